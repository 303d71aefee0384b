"""Every write of the e-mail channel: mailboxes, the inbound pipeline, the outbox.

Nothing is lost when a process dies (decision 0010): the raw bytes are written to the
file storage before anything else. The IMAP poller then commits the row that records
them (`email_receive`), marks the message on the server, and processes it
(`email_process`); the pipe and HTTP paths, whose sender keeps the message until we
answer, commit the row together with the ticket it became (`email_ingest`). Processing
happens whole or not at all; what fails is quarantined, with its bytes, for an admin
to retry. Processing an already-processed message only reports what happened the first
time.
"""

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Contact, ContactIdentity, IdentityKind, Role, Team, User
from frontdesk.accounts.selectors import identity_for
from frontdesk.accounts.services import contact_create, contact_get_or_create, normalise_identity
from frontdesk.core.crypto import decrypt_secret, encrypt_secret
from frontdesk.core.errors import Conflict, FrontdeskError, NotFound, ValidationError
from frontdesk.core.services import require_role
from frontdesk.mail import transport
from frontdesk.mail.models import (
    InboundEmail,
    InboundSource,
    InboundStatus,
    KnownMessageId,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    Outcome,
    ThreadReason,
)
from frontdesk.mail.parsing import ParsedAttachment, ParsedEmail, parse_email
from frontdesk.tickets.events import MessageAdded
from frontdesk.tickets.models import Channel, Message, MessageKind, Status, Ticket
from frontdesk.tickets.services import (
    ticket_add_customer_message,
    ticket_create,
    ticket_link_follow_up,
    ticket_record_delivery_failure,
    validate_attachments,
)

logger = logging.getLogger(__name__)

# A ticket's reply address: support+t1234-0123456789@example.com (the suffix is an HMAC,
# so nobody can thread onto a ticket by guessing its number).
REPLY_TOKEN = re.compile(r"\+t(\d{1,12})-([0-9a-f]{10})@", re.IGNORECASE)
SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")
# Headers that servers add on the way; what remains is what the sender wrote.
_TRACE_HEADERS = re.compile(
    rb"^(received|return-path|delivered-to|x-original-to|x-received|arc-[a-z-]+|authentication-results"
    rb"|received-spf|x-spam-[a-z-]+|dkim-signature|x-google-smtp-source|x-gm-message-state):",
    re.IGNORECASE,
)
AUTO_ACK_LIMIT = 3  # acknowledgements per sender …
AUTO_ACK_WINDOW = timedelta(minutes=10)  # … per this window
# Waits before the next attempt to send; after the last, the mail has failed.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
SENDING_LEASE = timedelta(minutes=5)  # a claimed message is retried after this if its sender died
UNKNOWN_SENDER = "unknown-sender@invalid"
# Mail someone waits for (an agent's reply, a customer's sign-in link) leaves at once, after
# commit; the rest (acknowledgements, surveys, release notes) goes with the next sweep.
SENT_AT_ONCE = frozenset({OutboundKind.REPLY, OutboundKind.SIGN_IN})


@dataclass(frozen=True)
class IngestResult:
    outcome: str
    ticket: int | None
    message: int | None
    inbound: int

    def as_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "ticket": self.ticket, "message": self.message}


# --- mailboxes -------------------------------------------------------------------


def _server_url(url: str, field: str) -> tuple[str, str]:
    """The URL to store (without password) and the encrypted password."""
    if not url.strip():
        return "", ""
    parsed = transport.parse_server_url(url, kind="imap" if field == "imap_url" else "smtp")
    return parsed.redacted(), encrypt_secret(parsed.password) if parsed.password else ""


def _server(url: str, encrypted_password: str) -> transport.ServerUrl:
    """A stored server URL with its password decrypted."""
    server = transport.parse_server_url(url)
    return server.with_password(decrypt_secret(encrypted_password)) if encrypted_password else server


def _inbound_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mailbox_create(
    *,
    name: str,
    address: str,
    team: Team | None = None,
    language: str = "",
    imap_url: str = "",
    smtp_url: str = "",
    signature: str = "",
    auto_ack: bool = True,
    actor: User | None,
    now: datetime,
) -> tuple[Mailbox, str]:
    """A new mailbox, and the secret of its HTTP inbound endpoint (shown once)."""
    require_role(actor, {Role.ADMIN}, "manage mailboxes")
    name = name.strip().lower()
    address = address.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,49}", name):
        raise ValidationError(_("A mailbox name is letters, digits, - and _."), field="name")
    if not re.fullmatch(r"[^@\s+]+@[^@\s]+\.[^@\s]+", address):
        raise ValidationError(
            _("“%(address)s” is not an e-mail address (and may not contain +).") % {"address": address}, field="address"
        )
    if Mailbox.objects.filter(name=name).exists():
        raise Conflict(_("A mailbox named “%(name)s” already exists.") % {"name": name}, field="name")
    if Mailbox.objects.filter(address=address).exists():
        raise Conflict(_("A mailbox for %(address)s already exists.") % {"address": address}, field="address")
    imap, imap_password = _server_url(imap_url, "imap_url")
    smtp, smtp_password = _server_url(smtp_url, "smtp_url")
    secret = secrets.token_urlsafe(24)
    mailbox = Mailbox.objects.create(
        name=name,
        address=address,
        team=team,
        language=language,
        imap_url=imap,
        imap_password=imap_password,
        smtp_url=smtp,
        smtp_password=smtp_password,
        inbound_secret_digest=_inbound_digest(secret),
        signature=signature,
        auto_ack=auto_ack,
        created_at=now,
    )
    _forget_addresses()
    return mailbox, secret


def mailbox_update(
    *,
    mailbox: Mailbox,
    actor: User | None,
    team: Team | None,
    language: str,
    imap_url: str,
    smtp_url: str,
    signature: str,
    auto_ack: bool,
    auto_ack_texts: dict[str, str],
    reopen_days: int,
    max_message_bytes: int,
    is_active: bool,
) -> Mailbox:
    """Change a mailbox. A server URL without a password keeps the stored password."""
    require_role(actor, {Role.ADMIN}, "manage mailboxes")
    for field, url in (("imap_url", imap_url), ("smtp_url", smtp_url)):
        stored, password = _server_url(url, field)
        if stored and not password and stored == getattr(mailbox, field):
            continue  # same server, password unchanged
        setattr(mailbox, field, stored)
        setattr(mailbox, field.replace("_url", "_password"), password)
    if max_message_bytes < 1024:
        raise ValidationError(_("The size limit must be at least 1 KB."), field="max_message_bytes")
    mailbox.team = team
    mailbox.language = language
    mailbox.signature = signature
    mailbox.auto_ack = auto_ack
    mailbox.auto_ack_texts = {lang: text for lang, text in auto_ack_texts.items() if text.strip()}
    mailbox.reopen_days = reopen_days
    mailbox.max_message_bytes = max_message_bytes
    mailbox.is_active = is_active
    mailbox.imap_failures = 0
    mailbox.imap_next_poll_at = None
    mailbox.save()
    return mailbox


def mailbox_new_inbound_secret(*, mailbox: Mailbox, actor: User | None) -> str:
    require_role(actor, {Role.ADMIN}, "manage mailboxes")
    secret = secrets.token_urlsafe(24)
    mailbox.inbound_secret_digest = _inbound_digest(secret)
    mailbox.save(update_fields=["inbound_secret_digest"])
    return secret


def mailbox_authenticate(*, name: str, secret: str) -> Mailbox:
    """The active mailbox that `secret` opens, for the HTTP inbound endpoint."""
    mailbox = Mailbox.objects.filter(name=name, is_active=True).first()
    if (
        mailbox is None
        or not mailbox.inbound_secret_digest
        or not hmac.compare_digest(mailbox.inbound_secret_digest, _inbound_digest(secret))
    ):
        raise NotFound(_("No such mailbox, or a wrong secret."))
    return mailbox


# --- inbound -------------------------------------------------------------------------


def _content_digest(raw: bytes) -> str:
    """SHA-256 of the message without its leading trace headers."""
    head, sep, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = bool(_TRACE_HEADERS.match(line))
        if not skipping:
            kept.append(line)
    digest = hashlib.sha256(b"\n".join(kept))
    digest.update(sep + body)
    return digest.hexdigest()


def email_receive(*, mailbox: Mailbox, raw: bytes, source: str, now: datetime) -> InboundEmail:
    """Store the raw bytes, unchanged, and commit the row that records them. Nothing else.

    The same bytes still waiting from an earlier attempt (a process died before
    processing them) are not stored twice: that row is returned.
    """
    sha256 = hashlib.sha256(raw).hexdigest()
    waiting = InboundEmail.objects.filter(mailbox=mailbox, sha256=sha256, status=InboundStatus.RECEIVED).first()
    if waiting is not None:
        return waiting
    inbound = InboundEmail(
        mailbox=mailbox,
        source=source,
        sha256=sha256,
        size=len(raw),
        received_at=now,
        oversized=len(raw) > mailbox.max_message_bytes,
    )
    # Described now from its head (email_process parses it whole), so that a later delivery of
    # the same message finds this row (email_ingest).
    _describe(inbound, parse_email(raw[: 64 * 1024]), raw)
    inbound.raw.name = _store_raw(raw, sha256)
    inbound.save(force_insert=True)
    return inbound


def _store_raw(raw: bytes, sha256: str) -> str:
    """Write the bytes under their hash, unless they are there already; the storage name."""
    name = f"mail/raw/{sha256[:2]}/{sha256}.eml"
    if not isinstance(default_storage, FileSystemStorage):
        return name if default_storage.exists(name) else default_storage.save(name, ContentFile(raw))
    path = Path(default_storage.path(name))
    if path.is_file() and path.stat().st_size == len(raw):
        return name  # the same message, stored before
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(raw)
    os.replace(partial, path)  # whole or not at all, even if this process dies
    return name


def email_process(*, inbound_id: int, now: datetime, force: bool = False) -> IngestResult:
    """Parse a stored message and make it part of a ticket; quarantine it when that fails.

    `force` processes a quarantined message again (an admin's retry), and one over
    its mailbox's size limit.
    """
    with transaction.atomic():
        inbound = InboundEmail.objects.select_for_update().select_related("mailbox").get(pk=inbound_id)
        if inbound.status == InboundStatus.PROCESSED or (inbound.status == InboundStatus.QUARANTINED and not force):
            return _result(inbound)
        try:
            with transaction.atomic():
                _check_size(inbound, force=force)
                with inbound.raw.open("rb") as stored:
                    raw = stored.read()
                parsed = parse_email(raw)
                _describe(inbound, parsed, raw)
                _process(inbound, parsed, now, earlier=_earlier_delivery(inbound))
                inbound.save()
        except Exception as exc:  # anything: the message must stay, visible, and retryable
            inbound = InboundEmail.objects.get(pk=inbound_id)  # without what the rolled-back work set
            _quarantine(inbound, exc, now)
            inbound.save()
        return _result(inbound)


def email_ingest(*, mailbox: Mailbox, raw: bytes, source: str, now: datetime) -> IngestResult:
    """Store and process one message: the pipe command and the HTTP endpoint.

    Their sender keeps the message until we answer, so the bytes are written to the
    file storage first and the row that records them is committed with the ticket it
    became, in one transaction (parsing runs before it, holding no lock). A process that
    dies half-way leaves at most an unreferenced file; the sender delivers again.
    """
    sha256 = hashlib.sha256(raw).hexdigest()
    oversized = len(raw) > mailbox.max_message_bytes
    parsed = parse_email(raw) if not oversized else None
    inbound = InboundEmail(
        mailbox=mailbox, source=source, sha256=sha256, size=len(raw), received_at=now, oversized=oversized
    )
    if parsed is not None:
        _describe(inbound, parsed, raw)
    known = _deliveries(inbound)
    waiting = next((e for e in known if e.status == InboundStatus.RECEIVED and e.sha256 == sha256), None)
    if waiting is not None:  # stored by an attempt that died (email_receive); another process may be at it
        return email_process(inbound_id=waiting.pk, now=now)
    inbound.raw.name = _store_raw(raw, sha256)
    try:
        with transaction.atomic():
            _check_size(inbound, force=False)
            assert parsed is not None
            earlier = next((e for e in known if e.outcome in (Outcome.CREATED, Outcome.APPENDED)), None)
            _process(inbound, parsed, now, earlier=earlier)
            inbound.save(force_insert=True)
    except Exception as exc:  # the message must stay, visible, and retryable
        inbound.pk = None
        _quarantine(inbound, exc, now)
        inbound.save(force_insert=True)
    return _result(inbound)


def _check_size(inbound: InboundEmail, *, force: bool) -> None:
    if inbound.oversized and not force:
        raise ValidationError(
            _("The message is %(size)s bytes; the mailbox takes at most %(limit)s.")
            % {"size": f"{inbound.size:,}", "limit": f"{inbound.mailbox.max_message_bytes:,}"}
        )


def _describe(inbound: InboundEmail, parsed: ParsedEmail, raw: bytes) -> None:
    """What the message says of itself: for threading, duplicates, and the admins' list."""
    inbound.rfc_message_id = parsed.message_id[:998]
    inbound.content_sha256 = _content_digest(raw)
    inbound.subject = parsed.subject[:300]
    inbound.sender = parsed.sender.email[:320]


def _quarantine(inbound: InboundEmail, exc: Exception, now: datetime) -> None:
    """Mark the row failed, with the error, and what its head says when nothing was read yet."""
    logger.exception("mail.quarantined", extra={"inbound": inbound.pk, "sha256": inbound.sha256})
    if not inbound.subject and not inbound.sender:
        try:
            with inbound.raw.open("rb") as stored:
                head = stored.read(64 * 1024)
            _describe(inbound, parse_email(head), head)
        except OSError:
            pass
    inbound.status = InboundStatus.QUARANTINED
    inbound.outcome = Outcome.QUARANTINED
    inbound.error = (exc.message if isinstance(exc, FrontdeskError) else f"{type(exc).__name__}: {exc}")[:2000]
    inbound.ticket = inbound.message = inbound.duplicate_of = None
    inbound.attempts += 1
    inbound.processed_at = now


def emails_process_waiting(*, now: datetime, older_than: timedelta = timedelta(minutes=1), batch: int = 200) -> int:
    """Process messages stored by a process that died before processing them."""
    waiting = list(
        InboundEmail.objects.filter(status=InboundStatus.RECEIVED, received_at__lte=now - older_than)
        .order_by("received_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in waiting:
        email_process(inbound_id=pk, now=now)
    return len(waiting)


def _result(inbound: InboundEmail) -> IngestResult:
    message = inbound.message_id
    if inbound.duplicate_of_id is not None:  # the message the first delivery became
        message = InboundEmail.objects.filter(pk=inbound.duplicate_of_id).values_list("message_id", flat=True).first()
    return IngestResult(
        outcome=inbound.outcome or Outcome.QUARANTINED,
        ticket=inbound.ticket_id,
        message=message,
        inbound=inbound.pk,
    )


def _process(inbound: InboundEmail, parsed: ParsedEmail, now: datetime, *, earlier: InboundEmail | None) -> None:
    """Thread a described message (see _describe) onto a ticket, given its earlier delivery if any."""
    mailbox = inbound.mailbox
    inbound.attempts += 1
    inbound.processed_at = now
    inbound.auto_generated = _auto_generated(parsed)[:100]
    if parsed.bounce is not None:
        b = parsed.bounce
        inbound.bounce = {
            "permanent": b.permanent,
            "status": b.status,
            "recipient": b.recipient,
            "original_message_id": b.original_message_id,
            "diagnostic": b.diagnostic[:500],
        }
    inbound.status = InboundStatus.PROCESSED
    inbound.error = ""
    if earlier is not None:
        inbound.outcome = Outcome.DUPLICATE
        inbound.duplicate_of = earlier
        inbound.ticket_id = earlier.ticket_id
        return

    if parsed.bounce is not None and _attach_bounce(inbound, parsed, now):
        return

    ticket, reason = _thread(parsed)
    auto = bool(inbound.auto_generated)
    contact = _sender_contact(parsed, mailbox, auto=auto)
    uploads, withheld = _uploads(parsed)
    inbound.withheld_attachments = withheld
    body_text = parsed.body_text or ("" if uploads else _("(This message has no text.)"))
    if ticket is not None and ticket.status == Status.CLOSED and not auto:
        reopen_until = (ticket.closed_at or now) + timedelta(days=mailbox.reopen_days)
        if now > reopen_until:
            previous, ticket, reason = ticket, None, ThreadReason.FOLLOW_UP
    if ticket is not None:
        message = ticket_add_customer_message(
            ticket=ticket,
            contact=contact,
            body_text=body_text,
            body_html=parsed.body_html,
            attachments=uploads,
            channel=Channel.EMAIL,
            stripped_text=parsed.stripped_text,
            reopen_closed=True,
            auto_generated=auto,
            now=now,
        )
        inbound.outcome = Outcome.APPENDED
    else:
        ticket = ticket_create(
            subject=parsed.subject[:300] or _("(no subject)"),
            requester=contact,
            channel=Channel.EMAIL,
            body_text=body_text,
            body_html=parsed.body_html,
            attachments=uploads,
            stripped_text=parsed.stripped_text,
            team=mailbox.team,
            language=contact.language or mailbox.language,
            actor=None,
            now=now,
        )
        if reason == ThreadReason.FOLLOW_UP:
            ticket_link_follow_up(ticket=ticket, previous=previous, now=now)
        message = ticket.messages.get()
        inbound.outcome = Outcome.CREATED
        reason = reason or ThreadReason.NEW
    _keep_content_ids(message, parsed)
    inbound.ticket = ticket
    inbound.message = message
    inbound.thread_reason = reason
    if parsed.message_id:
        KnownMessageId.objects.create(message_id=parsed.message_id[:998], ticket=ticket)
    if inbound.outcome == Outcome.CREATED and not auto:
        _queue_auto_ack(mailbox, ticket, parsed, now)


def _deliveries(inbound: InboundEmail) -> list[InboundEmail]:
    """Earlier rows of the same message in the same mailbox: the same bytes, or the same
    Message-ID with the same content (copies that came another way). Oldest first."""
    key = {"rfc_message_id": inbound.rfc_message_id} if inbound.rfc_message_id else {"sha256": inbound.sha256}
    rows = InboundEmail.objects.filter(mailbox_id=inbound.mailbox_id, **key).order_by("pk")
    return [
        row
        for row in rows.only("pk", "sha256", "content_sha256", "status", "outcome", "ticket_id")
        if row.outcome != Outcome.DUPLICATE
        and (row.sha256 == inbound.sha256 or row.content_sha256 == inbound.content_sha256)
    ]


def _earlier_delivery(inbound: InboundEmail) -> InboundEmail | None:
    """The earlier delivery a stored message duplicates, if any."""
    done = (Outcome.CREATED, Outcome.APPENDED)
    return next((e for e in _deliveries(inbound) if e.pk != inbound.pk and e.outcome in done), None)


_own_addresses: tuple[float, frozenset[str]] = (0.0, frozenset())


def _our_addresses() -> frozenset[str]:
    """Every mailbox's address, read again every 30 seconds (and by this process whenever
    it changes a mailbox): mail from one of them is our own, coming back."""
    global _own_addresses
    expires, addresses = _own_addresses
    if time.monotonic() >= expires:
        addresses = frozenset(Mailbox.objects.values_list("address", flat=True))
        _own_addresses = (time.monotonic() + 30, addresses)
    return addresses


def _forget_addresses() -> None:
    global _own_addresses
    _own_addresses = (0.0, frozenset())


def _auto_generated(parsed: ParsedEmail) -> str:
    """Why this mail must never be answered automatically, or ""."""
    if parsed.auto_generated:
        return parsed.auto_generated
    sender = parsed.sender.email.lower()
    if sender and sender in _our_addresses():
        return "sender: our own mailbox"
    if parsed.message_id.lower().endswith("@" + settings.FRONTDESK_MAIL_ID_DOMAIN):
        return "message-id: ours"
    return ""


def _thread(parsed: ParsedEmail) -> tuple[Ticket | None, str]:
    """The ticket this mail continues, and why; (None, "") for a new conversation."""
    delivered = [parsed.get_header(name) for name in ("delivered-to", "x-original-to", "envelope-to")]
    for address in [*(a.email for a in (*parsed.to, *parsed.cc)), *delivered]:
        match = REPLY_TOKEN.search(address)
        if match and hmac.compare_digest(match.group(2).lower(), _token_signature(int(match.group(1)))):
            ticket = Ticket.objects.filter(pk=int(match.group(1))).first()
            if ticket is not None:
                return _forwarded(ticket), ThreadReason.REPLY_TOKEN
    for match in SUBJECT_TOKEN.finditer(parsed.subject):
        ticket = Ticket.objects.filter(pk=int(match.group(1))).first()
        if ticket is not None:
            return _forwarded(ticket), ThreadReason.SUBJECT_TOKEN
    for reason, ids in ((ThreadReason.IN_REPLY_TO, parsed.in_reply_to), (ThreadReason.REFERENCES, parsed.references)):
        if not ids:
            continue
        known = {k.message_id: k.ticket_id for k in KnownMessageId.objects.filter(message_id__in=ids[-50:])}
        for message_id in reversed(ids):
            if message_id in known:
                return _forwarded(Ticket.objects.get(pk=known[message_id])), reason
    return None, ""


def _forwarded(ticket: Ticket) -> Ticket:
    """A merged ticket's target (following a chain of merges)."""
    seen = {ticket.pk}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def _token_signature(number: int) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"reply-token:{number}".encode(), hashlib.sha256).hexdigest()[:10]


def reply_address(mailbox: Mailbox, ticket: Ticket) -> str:
    local, domain = mailbox.address.split("@", 1)
    return f"{local}+t{ticket.pk}-{_token_signature(ticket.pk)}@{domain}"


def _sender_contact(parsed: ParsedEmail, mailbox: Mailbox, *, auto: bool) -> Contact:
    """The contact behind the sender's address (created on first contact). A person writing
    again clears a failing mark on their address."""
    try:
        address = normalise_identity(kind=IdentityKind.EMAIL, value=parsed.sender.email[:320])
    except ValidationError:  # no usable address at all
        address = UNKNOWN_SENDER
    identity = identity_for(kind=IdentityKind.EMAIL, value=address)
    if identity is None:
        name = _("Unknown sender") if address == UNKNOWN_SENDER else parsed.sender.name[:200]
        try:
            return contact_create(name=name or address.split("@")[0], email=address, language=mailbox.language)
        except Conflict:  # created meanwhile by another process
            return contact_get_or_create(kind=IdentityKind.EMAIL, value=address)
    if identity.failing_since is not None and not auto:
        identity.failing_since, identity.failure = None, ""
        identity.save(update_fields=["failing_since", "failure"])
    return identity.contact


def _attachment_name(part: ParsedAttachment) -> str:
    """The file name the ticket stores (tickets.services._store_attachments): no folders, 255 at most."""
    return part.filename.replace("\\", "/").rsplit("/", 1)[-1][:255] or "attachment"


def _uploads(parsed: ParsedEmail) -> tuple[list[SimpleUploadedFile], list[dict[str, str]]]:
    """The attachments the ticket takes, and those it withholds (they stay in the raw message):
    what the ticket would refuse (size, file type, an executable's content) is withheld instead."""
    uploads: list[SimpleUploadedFile] = []
    withheld: list[dict[str, str]] = []
    for part in parsed.attachments:
        filename = _attachment_name(part)
        upload = SimpleUploadedFile(filename, part.data, part.content_type)
        try:
            validate_attachments([upload])
        except ValidationError as error:
            withheld.append({"filename": filename, "reason": error.message})
        else:
            uploads.append(upload)
    return uploads, withheld


def _keep_content_ids(message: Message, parsed: ParsedEmail) -> None:
    """Attachments are stored in order; give the inline ones their Content-ID for cid: links."""
    ids = {_attachment_name(part): part.content_id for part in parsed.attachments}
    if not any(ids.values()):
        return
    for attachment in message.attachments.all():
        content_id = ids.get(attachment.filename, "")
        if content_id:
            attachment.content_id = content_id[:255]
            attachment.save(update_fields=["content_id"])


def _attach_bounce(inbound: InboundEmail, parsed: ParsedEmail, now: datetime) -> bool:
    """A bounce of a message we sent lands on that message's ticket; False when we sent no such message."""
    bounce = parsed.bounce
    assert bounce is not None
    known = (
        KnownMessageId.objects.filter(message_id=bounce.original_message_id).order_by("-outbound_id").first()
        if bounce.original_message_id
        else None
    )
    if known is None:
        return False
    ticket = _forwarded(Ticket.objects.get(pk=known.ticket_id))
    sent = OutboundEmail.objects.filter(pk=known.outbound_id).first() if known.outbound_id else None
    recipient = bounce.recipient or (sent.to_address if sent else "")
    if bounce.permanent:
        summary = _("Delivery to %(recipient)s failed permanently (%(status)s): %(diagnostic)s")
        if known.outbound_id:
            OutboundEmail.objects.filter(pk=known.outbound_id).update(
                status=OutboundStatus.BOUNCED, last_error=bounce.diagnostic[:2000]
            )
        if recipient:
            ContactIdentity.objects.filter(kind=IdentityKind.EMAIL, value=recipient.lower()).update(
                failing_since=now, failure=f"{bounce.status} {bounce.diagnostic}".strip()[:300]
            )
    else:
        summary = _("Delivery to %(recipient)s is delayed (%(status)s): %(diagnostic)s")
    message = ticket_record_delivery_failure(
        ticket=ticket,
        summary=summary
        % {"recipient": recipient or "?", "status": bounce.status or "?", "diagnostic": bounce.diagnostic or "—"},
        permanent=bounce.permanent,
        now=now,
    )
    inbound.ticket = ticket
    inbound.message = message
    inbound.outcome = Outcome.APPENDED
    inbound.thread_reason = ThreadReason.BOUNCE
    return True


# --- outbound --------------------------------------------------------------------------


def _mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The mailbox the customer last wrote to; else the team's; else the first one."""
    last = (
        InboundEmail.objects.filter(ticket=ticket, status=InboundStatus.PROCESSED)
        .order_by("-received_at")
        .select_related("mailbox")
        .first()
    )
    if last is not None and last.mailbox.is_active:
        return last.mailbox
    active = Mailbox.objects.filter(is_active=True)
    team = active.filter(team_id=ticket.team_id).first() if ticket.team_id else None
    return team or active.order_by("pk").first()


def _thread_ids(ticket: Ticket) -> tuple[str, list[str]]:
    """What our mail answers (the customer's latest message) and the thread it belongs to."""
    known = list(
        KnownMessageId.objects.filter(ticket=ticket).order_by("-pk").values_list("message_id", "outbound_id")[:10]
    )
    answered = next((message_id for message_id, outbound in known if outbound is None), known[0][0] if known else "")
    return answered, [message_id for message_id, _outbound in reversed(known)]


def _ticket_subject(ticket: Ticket) -> str:
    subject = SUBJECT_TOKEN.sub("", ticket.subject).strip()
    subject = re.sub(r"^((re|aw|sv|fw|fwd|r|rv|ats)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return f"Re: {subject} [#{ticket.pk}]"


def _build(
    *,
    mailbox: Mailbox,
    ticket: Ticket | None,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    now: datetime,
    auto_submitted: bool = False,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    headers: dict[str, str] | None = None,
) -> bytes:
    """The message as it travels: `text` signed with the mailbox's signature, threaded onto the
    ticket's conversation when there is one."""
    if mailbox.signature:
        text = f"{text}\n\n-- \n{mailbox.signature}"
    mail = EmailMessage()
    display = mailbox.team.name if mailbox.team else settings.FRONTDESK_MAIL_FROM_NAME
    mail["From"] = formataddr((display, mailbox.address))
    mail["Reply-To"] = formataddr((display, reply_address(mailbox, ticket) if ticket else mailbox.address))
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = f"<{message_id}>"
    answered, thread = _thread_ids(ticket) if ticket else ("", [])
    if answered:
        mail["In-Reply-To"] = f"<{answered}>"
        mail["References"] = " ".join(f"<{i}>" for i in thread)
    for name, value in (headers or {}).items():
        mail[name] = value
    if auto_submitted:
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
        mail["Precedence"] = "auto_reply"
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _sep, subtype = content_type.partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return mail.as_bytes(policy=policy.SMTP)  # CRLF line endings, as they travel


def _new_message_id() -> str:
    return make_msgid(domain=settings.FRONTDESK_MAIL_ID_DOMAIN)[1:-1]


def _recipient(ticket: Ticket) -> str:
    last = InboundEmail.objects.filter(ticket=ticket, status=InboundStatus.PROCESSED, auto_generated="")
    sender = last.exclude(sender="").order_by("-received_at").values_list("sender", flat=True).first()
    if sender:
        return str(sender).lower()
    identity = (
        ContactIdentity.objects.filter(contact_id=ticket.requester_id, kind=IdentityKind.EMAIL)
        .order_by("-is_primary", "pk")
        .first()
    )
    return identity.value if identity and identity.value != UNKNOWN_SENDER else ""


def _queue(
    *,
    mailbox: Mailbox,
    ticket: Ticket | None,
    kind: str,
    to: str,
    raw: bytes,
    message_id: str,
    message: Message | None,
    now: datetime,
) -> OutboundEmail:
    outbound = OutboundEmail.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        message=message,
        kind=kind,
        rfc_message_id=message_id,
        sender=mailbox.address,
        to_address=to,
        recipients=[to],
        raw=raw,
        next_attempt_at=now,
        created_at=now,
    )
    if ticket is not None:
        KnownMessageId.objects.create(message_id=message_id, ticket=ticket, outbound=outbound)
    if kind in SENT_AT_ONCE:
        transaction.on_commit(_send_soon)
    return outbound


def _send_soon() -> None:
    from frontdesk.mail.tasks import send_outbox

    send_outbox()


def _queue_auto_ack(mailbox: Mailbox, ticket: Ticket, parsed: ParsedEmail, now: datetime) -> None:
    """An acknowledgement goes to the outbox; its bytes are built when it is sent (_auto_ack_raw),
    which keeps ingesting fast."""
    to = parsed.sender.email.lower()
    if not mailbox.auto_ack or not mailbox.smtp_url or not to or to == UNKNOWN_SENDER:
        return
    recent = OutboundEmail.objects.filter(
        to_address=to, kind=OutboundKind.AUTO_ACK, created_at__gt=now - AUTO_ACK_WINDOW
    ).count()
    if recent >= AUTO_ACK_LIMIT:
        return
    _queue(
        mailbox=mailbox,
        ticket=ticket,
        kind=OutboundKind.AUTO_ACK,
        to=to,
        raw=b"",
        message_id=_new_message_id(),
        message=None,
        now=now,
    )


def _customer_language(mailbox: Mailbox, ticket: Ticket) -> str:
    """What Frontdesk's own words in mail about the ticket are written in."""
    return ticket.language or mailbox.language or settings.LANGUAGE_CODE


def _auto_ack_raw(outbound: OutboundEmail, now: datetime) -> bytes:
    mailbox, ticket = outbound.mailbox, outbound.ticket
    assert ticket is not None  # an acknowledgement answers a ticket's first message
    language = _customer_language(mailbox, ticket)
    with translation.override(language):
        text = mailbox.auto_ack_texts.get(language) or _(
            "Thank you for writing to us. We have received your message and will answer as soon as we can.\n\n"
            "Your request has the number #%(number)s; please keep it in the subject when you write again."
        ) % {"number": ticket.pk}
    return _build(
        mailbox=mailbox,
        ticket=ticket,
        to=outbound.to_address,
        subject=_ticket_subject(ticket),
        text=text,
        html="",
        message_id=outbound.rfc_message_id,
        now=now,
        auto_submitted=True,
    )


def outbound_queue_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    kind: str,
    ticket: Ticket | None,
    now: datetime,
    headers: dict[str, str] | None = None,
) -> OutboundEmail | None:
    """Mail to a customer that is not an agent's reply (a survey, a sign-in link, release notes):
    through the outbox, from the ticket's mailbox (a reply threads onto the ticket) or, without a
    ticket, the first active one. None when no mailbox can send it."""
    mailbox = _mailbox_for(ticket) if ticket else Mailbox.objects.filter(is_active=True).order_by("pk").first()
    if mailbox is None or not mailbox.smtp_url or not to:
        return None
    message_id = _new_message_id()
    raw = _build(
        mailbox=mailbox,
        ticket=ticket,
        to=to,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        now=now,
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    return _queue(
        mailbox=mailbox, ticket=ticket, kind=kind, to=to, raw=raw, message_id=message_id, message=None, now=now
    )


def outbound_queue_reply(event: MessageAdded) -> None:
    """Handler (outside a transaction, so that a customer's message costs none): an agent's
    public reply on an e-mail ticket goes to the outbox."""
    if event.kind != MessageKind.REPLY or event.from_customer:
        return
    with transaction.atomic():
        _queue_reply(event)


def _queue_reply(event: MessageAdded) -> None:
    message = Message.objects.select_related("ticket", "author_agent").get(pk=event.message_id)
    ticket = message.ticket
    if OutboundEmail.objects.filter(message=message).exists():
        return  # handled already (a retried handler)
    if ticket.channel not in (Channel.EMAIL, Channel.WEB) and not InboundEmail.objects.filter(ticket=ticket).exists():
        return
    mailbox = _mailbox_for(ticket)
    to = _recipient(ticket)
    if mailbox is None or not to:
        return
    now = message.created_at
    text = message.body_text
    if ticket.channel == Channel.WEB:  # opened in the portal: the reply is there too
        with translation.override(_customer_language(mailbox, ticket)):
            link = _("See the conversation and answer in our portal: %(url)s") % {
                "url": settings.BASE_URL + reverse("portal:ticket", args=[ticket.pk])
            }
        text = f"{text}\n\n{link}"
    attachments = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as f:
            attachments.append((attachment.filename, attachment.content_type, f.read()))
    message_id = _new_message_id()
    raw = _build(
        mailbox=mailbox,
        ticket=ticket,
        to=to,
        subject=_ticket_subject(ticket),
        text=text,
        html=message.body_html,
        message_id=message_id,
        now=now,
        attachments=attachments,
    )
    _queue(
        mailbox=mailbox,
        ticket=ticket,
        kind=OutboundKind.REPLY,
        to=to,
        raw=raw,
        message_id=message_id,
        message=message,
        now=now,
    )


def _claim(now: datetime, limit: int) -> list[int]:
    """Due messages, claimed for SENDING_LEASE so that two senders never send one twice."""
    with transaction.atomic():
        due = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:limit]
        )
        ids = [o.pk for o in due]
        OutboundEmail.objects.filter(pk__in=ids).update(next_attempt_at=now + SENDING_LEASE)
    return ids


def outbox_send_due(*, now: datetime, limit: int = 100) -> int:
    """Send what is due in the outbox. Returns how many were sent."""
    sent = 0
    for pk in _claim(now, limit):
        outbound = OutboundEmail.objects.select_related("mailbox", "ticket").get(pk=pk)
        if not outbound.raw:
            outbound.raw = _auto_ack_raw(outbound, now)
            outbound.save(update_fields=["raw"])
        try:
            if not outbound.mailbox.smtp_url:
                raise transport.TransportError(_("The mailbox has no SMTP server."), temporary=False)
            url = _server(outbound.mailbox.smtp_url, outbound.mailbox.smtp_password)
            transport.smtp_send(
                url, sender=outbound.sender, recipients=outbound.recipients, message=bytes(outbound.raw)
            )
        except (transport.TransportError, ValidationError) as exc:
            _sending_failed(outbound, str(exc), getattr(exc, "temporary", False), now)
            continue
        outbound.status = OutboundStatus.SENT
        outbound.sent_at = now
        outbound.attempts += 1
        outbound.last_error = ""
        outbound.save(update_fields=["status", "sent_at", "attempts", "last_error"])
        sent += 1
    return sent


@transaction.atomic
def _sending_failed(outbound: OutboundEmail, error: str, temporary: bool, now: datetime) -> None:
    outbound.attempts += 1
    outbound.last_error = error[:2000]
    if temporary and outbound.attempts <= len(RETRY_DELAYS):
        outbound.next_attempt_at = now + RETRY_DELAYS[outbound.attempts - 1]
        outbound.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        return
    outbound.status = OutboundStatus.FAILED
    outbound.save(update_fields=["attempts", "last_error", "status"])
    if outbound.ticket is None:
        return
    ticket_record_delivery_failure(
        ticket=outbound.ticket,
        summary=_("The e-mail to %(recipient)s could not be sent after %(attempts)s attempts: %(error)s")
        % {"recipient": outbound.to_address, "attempts": outbound.attempts, "error": error},
        permanent=True,
        now=now,
    )


# --- IMAP ----------------------------------------------------------------------------


def mailboxes_poll(*, now: datetime, including_backing_off: bool = False) -> list[tuple[Mailbox, int]]:
    """Poll every active IMAP mailbox (those backing off only when asked): each mailbox, with its
    poll state updated, and how many messages it stored."""
    due = Mailbox.objects.filter(is_active=True).exclude(imap_url="")
    if not including_backing_off:
        due = due.filter(Q(imap_next_poll_at__isnull=True) | Q(imap_next_poll_at__lte=now))
    return [(mailbox, mailbox_poll(mailbox=mailbox, now=now)) for mailbox in due]


def mailbox_poll(*, mailbox: Mailbox, now: datetime, limit: int = 100) -> int:
    """Fetch new mail from the mailbox's IMAP server: store each message, then mark it on
    the server, then process it. A connection failure backs off (1, 2, 4 … 60 minutes)."""
    url = _server(mailbox.imap_url, mailbox.imap_password)
    stored = 0
    try:
        with transport.ImapClient(url) as client:
            for fetched in client.fetch_unprocessed(limit=limit):
                inbound = email_receive(mailbox=mailbox, raw=fetched.raw, source=InboundSource.IMAP, now=now)
                client.mark_processed(fetched.uid)
                email_process(inbound_id=inbound.pk, now=now)
                stored += 1
    except transport.TransportError as exc:
        mailbox.imap_failures += 1
        mailbox.imap_last_error = str(exc)[:2000]
        mailbox.imap_next_poll_at = now + timedelta(minutes=min(2 ** (mailbox.imap_failures - 1), 60))
    else:
        mailbox.imap_failures = 0
        mailbox.imap_last_error = ""
        mailbox.imap_next_poll_at = None
    mailbox.imap_last_poll_at = now
    mailbox.save(update_fields=["imap_failures", "imap_last_error", "imap_next_poll_at", "imap_last_poll_at"])
    return stored
