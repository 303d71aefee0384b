"""Reads of the e-mail channel, permission-scoped."""

from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.crypto import decrypt_secret
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.core.queries import Prepared
from frontdesk.core.services import require_role
from frontdesk.mail import transport
from frontdesk.mail.models import InboundEmail, InboundStatus, Mailbox, OutboundEmail
from frontdesk.mail.transport import ServerUrl
from frontdesk.tickets.models import Message, Ticket
from frontdesk.tickets.selectors import access_ticket, ticket_attachments


@dataclass(frozen=True)
class RawEmail:
    data: bytes
    filename: str


def _require_admin(user: User) -> None:
    require_agent(user)
    require_role(user, {Role.ADMIN}, "manage mailboxes")


def mailbox_list(*, user: User) -> QuerySet[Mailbox]:
    _require_admin(user)
    return Mailbox.objects.select_related("team").order_by("name")


def access_mailbox(user: User, mailbox_id: int) -> Mailbox:
    mailbox = mailbox_list(user=user).filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound("No such mailbox.")
    return mailbox


def failed_emails(*, user: User) -> QuerySet[InboundEmail]:
    """Quarantined mail, newest first: what an admin must look at."""
    _require_admin(user)
    return (
        InboundEmail.objects.filter(status=InboundStatus.QUARANTINED)
        .select_related("mailbox")
        .order_by("-received_at", "-pk")
    )


def failed_email_count(*, user: User) -> int:
    if user.role != Role.ADMIN:
        return 0
    return InboundEmail.objects.filter(status=InboundStatus.QUARANTINED).count()


def message_email_of(*, user: User, message_id: int) -> "MessageEmail":
    """The e-mail a message came or went as; NotFound when it did neither or is not visible."""
    message = Message.objects.filter(pk=message_id).only("pk", "ticket_id").first()
    if message is None:
        raise NotFound("No such message.")
    access_ticket(user, message.ticket_id)
    email = MessageEmail(
        InboundEmail.objects.filter(message_id=message_id).first(),
        OutboundEmail.objects.filter(message_id=message_id).first(),
    )
    if email.inbound is None and email.outbound is None:
        raise NotFound("This message did not come or go by e-mail.")
    return email


def message_raw(*, user: User, message_id: int) -> RawEmail:
    """The exact bytes of the e-mail behind a message, received or sent."""
    email = message_email_of(user=user, message_id=message_id)
    if email.inbound is not None:
        return inbound_raw(email.inbound)
    assert email.outbound is not None
    return RawEmail(bytes(email.outbound.raw), f"message-{message_id}.eml")


def inbound_raw(inbound: InboundEmail) -> RawEmail:
    try:
        with inbound.raw.open("rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        raise NotFound("The stored e-mail is missing from storage.") from None
    return RawEmail(data, f"email-{inbound.pk}.eml")


@dataclass(frozen=True)
class MessageEmail:
    """What the ticket page shows beside a message that came or went by e-mail."""

    inbound: InboundEmail | None
    outbound: OutboundEmail | None


# What the ticket page shows of an e-mail (workspace/_ticket_conversation.html), by relation of Message.
_SHOWN_FIELDS = {
    "inbound_email": ("thread_reason", "auto_generated", "withheld_attachments"),
    "outbound_email": ("status", "attempts", "last_error"),
}


def ticket_conversation(*, user: User, ticket: Ticket) -> list[Message]:
    """The conversation of a ticket from access_ticket, oldest first, as the ticket page shows it:
    each message with its authors, `email` (the e-mail it came or went as, a MessageEmail, or
    None) and `files` (its attachments).

    Two queries: the messages with their authors and e-mails, joined on the e-mails' unique
    message columns (only the columns the page shows: never an outgoing e-mail's raw bytes),
    and the attachments (none to read when there are no messages)."""
    require_agent(user)
    messages: list[Message] = _CONVERSATION.all(ticket.pk)
    files = ticket_attachments(user=user, ticket=ticket) if messages else {}
    for message in messages:
        inbound = _joined(message, "inbound_email")
        outbound = _joined(message, "outbound_email")
        message.email = MessageEmail(inbound, outbound) if inbound or outbound else None  # type: ignore[attr-defined]
        message.files = files.get(message.pk, [])  # type: ignore[attr-defined]
    return messages


def _conversation(ticket_id: int) -> QuerySet[Message]:
    fields = [field.name for field in Message._meta.concrete_fields]
    for relation, shown in _SHOWN_FIELDS.items():
        fields += [f"{relation}__{name}" for name in ("id", "message", *shown)]
    return (
        Message.objects.filter(ticket_id=ticket_id)
        .select_related("author_agent", "author_contact", *_SHOWN_FIELDS)
        .only(*fields, "author_agent__name", "author_contact__name")
        .order_by("created_at", "id")
    )


# Every load of the ticket page reads it: built once per thread (core.queries).
_CONVERSATION = Prepared(_conversation, -1)


def _joined(message: Message, relation: str) -> Any:
    """The row select_related read for a reverse one-to-one relation, or None when there is none."""
    try:
        return getattr(message, relation)
    except ObjectDoesNotExist:
        return None


# --- admin pages (mail/views.py) ---------------------------------------------------------


def mailbox_teams(*, user: User) -> QuerySet[Team]:
    """The teams a mailbox can send its tickets to; only admins set up mailboxes."""
    _require_admin(user)
    return Team.objects.order_by("name")


def access_failed_email(user: User, inbound_id: int) -> InboundEmail:
    """A received e-mail for the failed-mail page (admins only), whatever became of it since."""
    _require_admin(user)
    inbound = InboundEmail.objects.select_related("mailbox").filter(pk=inbound_id).first()
    if inbound is None:
        raise NotFound("No such e-mail.")
    return inbound


def mailbox_server_url(*, user: User, kind: Literal["imap", "smtp"], url: str, mailbox: Mailbox | None) -> ServerUrl:
    """The server a URL typed in the mailbox form names, for "Test connection".

    A URL without a password gets the mailbox's stored one when saving the form would keep
    it (mail.services.mailbox_update: the same URL as stored), so the test predicts the save.
    """
    _require_admin(user)
    if not url.strip():
        raise ValidationError(_("Type the server's address first."), field=f"{kind}_url")
    parsed = transport.parse_server_url(url, kind=kind)
    stored_password = getattr(mailbox, f"{kind}_password", "")
    if not parsed.password and stored_password and parsed.redacted() == getattr(mailbox, f"{kind}_url"):
        parsed = parsed.with_password(decrypt_secret(stored_password))
    return parsed
