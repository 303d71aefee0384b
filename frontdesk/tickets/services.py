"""Every write to a ticket. Each service checks what the actor may do, changes
state, leaves an audit event and publishes a domain event after commit."""

import hashlib
import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import nh3
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils.html import strip_tags
from django.utils.text import slugify

from frontdesk.accounts.events import ContactMerged
from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, Contact, Team, User
from frontdesk.core.errors import Conflict, ValidationError
from frontdesk.core.events import publish
from frontdesk.core.queries import Inserts, Prepared
from frontdesk.core.services import UNSET, Unset, require_role
from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated
from frontdesk.tickets.models import (
    TRANSITIONS,
    Attachment,
    BookingChannel,
    BookingPhase,
    BookingStage,
    Channel,
    EventKind,
    Message,
    MessageKind,
    Outcome,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketType,
)

ASSIGNABLE_ROLES = EDITOR_ROLES

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
# Executables and scripts are refused whatever they are called.
BLOCKED_EXTENSIONS = frozenset(
    {
        "exe",
        "com",
        "bat",
        "cmd",
        "scr",
        "pif",
        "msi",
        "msp",
        "vbs",
        "vbe",
        "js",
        "jse",
        "wsf",
        "wsh",
        "ps1",
        "jar",
        "cpl",
        "hta",
        "lnk",
        "reg",
        "dll",
        "sys",
    }
)
_SNIFF = [
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
]
_EXECUTABLE_TYPES = frozenset({"application/x-msdownload", "application/x-executable"})
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


# --- helpers shared by the services below ----------------------------------


# cid: points an e-mail's inline image at one of its attachments (the workspace resolves it).
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitise_html(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow")


_KEPT_WHEN_LOCKING: list["models.ForeignKey[Any, Any]"] = [
    Ticket.requester.field,
    Ticket.organisation.field,
    Ticket.team.field,
    Ticket.assignee.field,
]


def _lock(ticket: Ticket) -> Ticket:
    """The current row, locked for the rest of the transaction, so concurrent writers do not lose changes.

    The people and team already read with `ticket` are kept on the locked row where it still
    names them, so that answering with the ticket does not read them again."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    for field in _KEPT_WHEN_LOCKING:
        if field.is_cached(ticket) and getattr(ticket, field.attname) == getattr(locked, field.attname):
            field.set_cached_value(locked, field.get_cached_value(ticket))
    return locked


def _event(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    now: datetime,
    *,
    field: str = "",
    old: object = "",
    new: object = "",
    note: str = "",
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        actor=actor,
        kind=kind,
        field=field,
        old_value=_text(old),
        new_value=_text(new),
        note=note,
        created_at=now,
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, User | Team):
        return value.name
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _body(body_text: str, body_html: str) -> tuple[str, str]:
    body_html = sanitise_html(body_html) if body_html.strip() else ""
    if not body_text.strip() and body_html:
        body_text = strip_tags(body_html.replace("<br>", "\n").replace("</p>", "\n\n")).strip()
    return body_text.strip(), body_html


def _store_attachments(message: Message, files: Sequence[UploadedFile]) -> None:
    for upload in files:
        filename = (upload.name or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:255] or "attachment"
        Attachment.objects.create(
            message=message,
            file=upload,
            filename=filename,
            content_type=_checked_content_type(upload, filename),
            size=upload.size or 0,
            sha256=_sha256(upload),
        )


def _sniffed(upload: UploadedFile) -> str | None:
    """The type the file's first bytes show, whatever it is called."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for magic, kind in _SNIFF if head.startswith(magic)), None)


def _checked_content_type(upload: UploadedFile, filename: str) -> str:
    sniffed = _sniffed(upload)
    if sniffed:
        return sniffed
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    return declared if _CONTENT_TYPE.match(declared) else "application/octet-stream"


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def validate_attachments(files: Sequence[UploadedFile]) -> None:
    """Checks that need no database: size, file name and content (no executables). Call before any write."""
    limit = settings.FRONTDESK_MAX_ATTACHMENT_BYTES
    for upload in files:
        name = upload.name or "attachment"
        if (upload.size or 0) > limit:
            raise ValidationError(
                f"{name} is {upload.size:,} bytes; the limit is {limit:,} bytes.", field="attachments"
            )
        if name.rsplit(".", 1)[-1].lower() in BLOCKED_EXTENSIONS and "." in name:
            raise ValidationError(f"{name}: files of this type are not accepted.", field="attachments")
        if _sniffed(upload) in _EXECUTABLE_TYPES:
            raise ValidationError(f"{name}: executable files are not accepted.", field="attachments")


def _check_choice(value: str, choices: type[models.TextChoices], field: str, *, blank: bool = False) -> str:
    if (blank and value == "") or value in _values(choices):
        return value
    raise ValidationError(
        f"“{value}” is not a valid {field.replace('_', ' ')}; use one of {', '.join(choices.values)}.", field=field
    )


@cache
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    return frozenset(choices.values)  # `.values` builds a new list on every use


def _check_assignee(assignee: User | None, team: Team | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or assignee.role not in ASSIGNABLE_ROLES:
        raise ValidationError(f"{assignee.name} cannot be assigned tickets.", field="assignee")
    if team is not None and not team.members.filter(pk=assignee.pk).exists():
        raise ValidationError(f"{assignee.name} is not a member of the team {team.name}.", field="assignee")


def normalise_tags(tags: Sequence[str]) -> list[str]:
    names = sorted({slugify(tag, allow_unicode=True)[:50] for tag in tags} - {""})
    return names


def _tags(names: list[str]) -> list[Tag]:
    """The tags with these names, created as needed."""
    existing = {tag.name: tag for tag in _named_tags(names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in _named_tags(names)}
    return list(existing.values())


def _named_tags(names: list[str]) -> list[Tag]:
    """Unordered: callers key them by name."""
    if not names:
        return []
    if len(names) > len(_TAGS_NAMED):
        return list(Tag.objects.filter(name__in=names).order_by())
    return _TAGS_NAMED[len(names) - 1].all(*names)


# New tickets name a few tags: the reads of up to 8 names are built once per thread (core.queries).
_TAGS_NAMED = [
    Prepared(lambda *names: Tag.objects.filter(name__in=names).order_by(), *(f"\0tag{n}" for n in range(count)))
    for count in range(1, 9)
]


def _publish_changed(
    ticket: Ticket, actor: User | None, fields: Sequence[str], *, message: Message | None = None
) -> None:
    if fields:
        publish(
            TicketChanged(
                ticket_id=ticket.pk,
                actor_id=actor.pk if actor else None,
                fields=tuple(fields),
                message_id=message.pk if message else None,
            )
        )


# --- services ------------------------------------------------------------------


def ticket_create(
    *,
    subject: str,
    requester: Contact,
    channel: str,
    body_text: str = "",
    body_html: str = "",
    stripped_text: str = "",
    attachments: Sequence[UploadedFile] = (),
    priority: str = Priority.NORMAL,
    type: str = "",
    team: Team | None = None,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    language: str = "",
    booking_stage: str = "",
    booking_channel: str = "",
    custom_fields: dict[str, Any] | None = None,
    actor: User | None,
    now: datetime,
) -> Ticket:
    """A new ticket with the requester's first message.

    Checks and reads come first, outside the transaction: on SQLite a transaction holds
    the database's one write lock, so it holds only the writes. The returned ticket has
    its requester, organisation (when the requester's was loaded), team, assignee and
    tag names (`tag_names`, as from access_ticket) in memory, so showing it needs no further query.
    """
    require_role(actor, EDITOR_ROLES, "create tickets")
    subject = subject.strip()
    if not subject:
        raise ValidationError("A ticket needs a subject.", field="subject")
    if len(subject) > 300:
        raise ValidationError("The subject is longer than 300 characters.", field="subject")
    body_text, body_html = _body(body_text, body_html)
    _check_choice(channel, Channel, "channel")
    _check_choice(priority, Priority, "priority")
    _check_choice(type, TicketType, "type", blank=True)
    _check_choice(booking_stage, BookingStage, "booking_stage", blank=True)
    _check_choice(booking_channel, BookingChannel, "booking_channel", blank=True)
    _check_assignee(assignee, team)
    validate_attachments(attachments)
    if requester.merged_into_id is not None:
        requester = Contact.objects.select_related("organisation").get(pk=requester.merged_into_id)
    tag_names = normalise_tags(tags)
    known_tags = _named_tags(tag_names)
    ticket = Ticket(
        subject=subject,
        requester=requester,
        channel=channel,
        status=Status.OPEN if assignee else Status.NEW,
        priority=priority,
        type=type,
        team=team,
        assignee=assignee,
        language=language or requester.language,
        booking_stage=booking_stage,
        booking_channel=booking_channel,
        custom_fields=custom_fields or {},
        awaiting_agent=True,
        awaiting_since=now,
        assigned_at=now if assignee else None,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        last_customer_message_at=now,
    )
    if Contact.organisation.is_cached(requester):
        ticket.organisation = requester.organisation
    else:
        ticket.organisation_id = requester.organisation_id

    # The rows that go with the ticket, and their INSERTs, are built before the transaction too
    # (core.queries.Inserts); they get the ticket's id when written.
    message = Message(
        ticket=ticket,
        kind=MessageKind.REPLY,
        channel=channel,
        author_contact=requester,
        body_text=body_text,
        body_html=body_html,
        stripped_text=stripped_text,
        created_at=now,
    )
    through = Ticket.tags.through
    new_tags = len(known_tags) < len(tag_names)
    rows = Inserts()
    for row in [
        ticket,
        *([] if new_tags else [through(ticket=ticket, tag=tag) for tag in known_tags]),
        message,
        _event(ticket, actor, EventKind.CREATED, now, new=ticket.subject),
    ]:
        rows.add(row)

    # The rows are written atomically by themselves (on PostgreSQL in one statement): a transaction
    # only when more goes with them.
    with transaction.atomic() if new_tags or attachments else nullcontext():
        rows.write()
        if new_tags:
            known_tags = _tags(tag_names)  # creates the new ones
            through.objects.bulk_create([through(ticket=ticket, tag=tag) for tag in known_tags])
        _store_attachments(message, attachments)
        publish(TicketCreated(ticket_id=ticket.pk, actor_id=actor.pk if actor else None, channel=channel))
    ticket.tag_names = tag_names  # type: ignore[attr-defined]  # as access_ticket(with_tags=True) gives them
    return ticket


@dataclass(frozen=True)
class _Change:
    field: str
    old: object
    new: object


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User | None,
    now: datetime,
    subject: str | Unset = UNSET,
    status: str | Unset = UNSET,
    priority: str | Unset = UNSET,
    type: str | Unset = UNSET,
    team: Team | Unset | None = UNSET,
    assignee: User | Unset | None = UNSET,
    tags: Sequence[str] | Unset = UNSET,
    language: str | Unset = UNSET,
    booking_stage: str | Unset = UNSET,
    booking_channel: str | Unset = UNSET,
    custom_fields: dict[str, Any] | Unset = UNSET,
    outcome: str | Unset = UNSET,
) -> Ticket:
    """Change a ticket's properties. Only what is given changes; each change is audited.

    `custom_fields` is merged: a key set to None is removed.
    """
    require_role(actor, EDITOR_ROLES, "change tickets")
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise Conflict("A closed ticket cannot be changed.", field="status")
    changes: list[_Change] = []

    def change(field: str, new: object) -> None:
        old = getattr(ticket, field)
        if old != new:
            changes.append(_Change(field, old, new))
            setattr(ticket, field, new)

    if not isinstance(subject, Unset):
        if not subject.strip():
            raise ValidationError("A ticket needs a subject.", field="subject")
        change("subject", subject.strip()[:300])
    if not isinstance(priority, Unset):
        change("priority", _check_choice(priority, Priority, "priority"))
    if not isinstance(type, Unset):
        change("type", _check_choice(type, TicketType, "type", blank=True))
    if not isinstance(language, Unset):
        change("language", language.strip()[:10])
    if not isinstance(booking_stage, Unset):
        change("booking_stage", _check_choice(booking_stage, BookingStage, "booking_stage", blank=True))
    if not isinstance(booking_channel, Unset):
        change("booking_channel", _check_choice(booking_channel, BookingChannel, "booking_channel", blank=True))
    if not isinstance(outcome, Unset):
        change("outcome", _check_choice(outcome, Outcome, "outcome", blank=True))
    if not isinstance(custom_fields, Unset):
        merged = {**ticket.custom_fields, **custom_fields}
        change("custom_fields", {key: value for key, value in merged.items() if value is not None})
    if not isinstance(team, Unset):
        change("team", team)
        # Someone outside the new team cannot keep the ticket.
        keeps_assignee = isinstance(assignee, Unset) and ticket.assignee is not None and team is not None
        if keeps_assignee and not team.members.filter(pk=ticket.assignee_id).exists():  # type: ignore[union-attr]
            change("assignee", None)
    if not isinstance(assignee, Unset):
        _check_assignee(assignee, ticket.team)
        change("assignee", assignee)
        if assignee is not None and ticket.status == Status.NEW and isinstance(status, Unset):
            status = Status.OPEN
    if not isinstance(status, Unset):
        _apply_status(ticket, status, now, change)
    if not isinstance(tags, Unset):
        names = normalise_tags(tags)
        old_names = sorted(ticket.tags.values_list("name", flat=True))
        if names != old_names:
            ticket.tags.set(_tags(names))
            ticket.tag_names = names  # type: ignore[attr-defined]
            changes.append(_Change("tags", old_names, names))

    if not changes:
        return ticket
    if any(c.field == "assignee" for c in changes):
        _assigned(ticket, ticket.assignee, now)
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save()
    TicketEvent.objects.bulk_create(
        [_event(ticket, actor, EventKind.CHANGED, now, field=c.field, old=c.old, new=c.new) for c in changes]
    )
    _publish_changed(ticket, actor, [c.field for c in changes])
    return ticket


def _assigned(ticket: Ticket, assignee: User | None, now: datetime) -> None:
    """A new assignee (or none): they have not opened the ticket yet."""
    ticket.assignee = assignee
    ticket.assigned_at = now if assignee is not None else None
    ticket.assignee_opened_at = None


def _apply_status(ticket: Ticket, status: str, now: datetime, change: Any) -> None:
    _check_choice(status, Status, "status")
    if status == ticket.status:
        return
    if status not in TRANSITIONS[ticket.status]:
        raise ValidationError(
            f"A ticket cannot go from {Status(ticket.status).label} to {Status(status).label}.", field="status"
        )
    change("status", status)
    if status == Status.SOLVED:
        ticket.solved_at = now
    elif status == Status.CLOSED:
        ticket.closed_at = now
    else:
        ticket.solved_at = None


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    body_text: str = "",
    body_html: str = "",
    attachments: Sequence[UploadedFile] = (),
    status: str | None = None,
    now: datetime,
) -> Message:
    """An agent's public reply to the requester; optionally sets the status in the same step."""
    require_role(author, EDITOR_ROLES, "reply to customers (add an internal note instead)")
    return _add_agent_message(
        ticket=ticket,
        author=author,
        kind=MessageKind.REPLY,
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
        status=status,
        now=now,
    )


@transaction.atomic
def ticket_add_note(
    *,
    ticket: Ticket,
    author: User,
    body_text: str = "",
    body_html: str = "",
    attachments: Sequence[UploadedFile] = (),
    now: datetime,
) -> Message:
    """An internal note: agents see it, the requester never does. Every agent role may add one."""
    return _add_agent_message(
        ticket=ticket,
        author=author,
        kind=MessageKind.NOTE,
        body_text=body_text,
        body_html=body_html,
        attachments=attachments,
        status=None,
        now=now,
    )


def _add_agent_message(
    *,
    ticket: Ticket,
    author: User,
    kind: str,
    body_text: str,
    body_html: str,
    attachments: Sequence[UploadedFile],
    status: str | None,
    now: datetime,
) -> Message:
    body_text, body_html = _body(body_text, body_html)
    if not body_text and not attachments:
        raise ValidationError("The message is empty.", field="body_text")
    validate_attachments(attachments)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise Conflict("The ticket is closed; open a follow-up ticket instead.", field="status")
    message = Message(
        ticket=ticket,
        kind=kind,
        channel=ticket.channel,
        author_agent=author,
        body_text=body_text,
        body_html=body_html,
        created_at=now,
    )
    if kind == MessageKind.REPLY and ticket.awaiting_agent and ticket.awaiting_since is not None:
        # This reply answers a waiting customer: how long they waited, for the reports.
        message.response_seconds = max(0, int((now - ticket.awaiting_since).total_seconds()))
        message.first_response = ticket.first_response_at is None
        message.booking_phase = _booking_phase(ticket.booking_stage)
        message.awaited_since = ticket.awaiting_since
    message.save(force_insert=True)
    _store_attachments(message, attachments)
    changes: list[_Change] = []

    def change(field: str, new: object) -> None:
        if getattr(ticket, field) != new:
            changes.append(_Change(field, getattr(ticket, field), new))
            setattr(ticket, field, new)

    if kind == MessageKind.REPLY:
        ticket.awaiting_agent = False
        ticket.awaiting_since = None
        ticket.last_agent_reply_at = now
        ticket.first_response_at = ticket.first_response_at or now
        if status is None and ticket.status == Status.NEW:
            status = Status.OPEN
    if status is not None:
        _apply_status(ticket, status, now, change)
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save()
    events = [
        _event(
            ticket,
            author,
            EventKind.REPLIED if kind == MessageKind.REPLY else EventKind.NOTE_ADDED,
            now,
            note=body_text[:200],
        )
    ]
    events += [_event(ticket, author, EventKind.CHANGED, now, field=c.field, old=c.old, new=c.new) for c in changes]
    TicketEvent.objects.bulk_create(events)
    publish(
        MessageAdded(ticket_id=ticket.pk, message_id=message.pk, kind=kind, actor_id=author.pk, from_customer=False)
    )
    _publish_changed(ticket, author, [c.field for c in changes], message=message)
    return message


def _booking_phase(stage: str) -> str:
    if not stage:
        return ""
    return BookingPhase.BEFORE if stage == BookingStage.PRE_BOOKING else BookingPhase.AFTER


@transaction.atomic
def ticket_add_customer_message(
    *,
    ticket: Ticket,
    contact: Contact,
    body_text: str = "",
    body_html: str = "",
    attachments: Sequence[UploadedFile] = (),
    channel: str | None = None,
    stripped_text: str = "",
    reopen_closed: bool = False,
    auto_generated: bool = False,
    now: datetime,
) -> Message:
    """The requester (or someone in copy) writes again: the ticket waits on an agent and reopens.

    `reopen_closed` lets a channel reopen a closed ticket (e-mail does, within its
    mailbox's reopen window). An `auto_generated` message (an auto-reply, a newsletter)
    is only recorded: it changes neither the status nor who the ticket waits on, and
    may land on a closed ticket.
    """
    body_text, body_html = _body(body_text, body_html)
    if not body_text and not attachments:
        raise ValidationError("The message is empty.", field="body_text")
    validate_attachments(attachments)
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED and not (reopen_closed or auto_generated):
        raise Conflict("The ticket is closed; open a follow-up ticket instead.", field="status")
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.REPLY,
        channel=channel or ticket.channel,
        author_contact=contact,
        body_text=body_text,
        body_html=body_html,
        stripped_text=stripped_text,
        created_at=now,
    )
    _store_attachments(message, attachments)
    changes: list[_Change] = []
    events: list[TicketEvent] = []
    if not auto_generated:
        if ticket.status in (Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED):
            if ticket.status == Status.CLOSED:
                events.append(_event(ticket, None, EventKind.REOPENED, now))
                ticket.closed_at = None
            changes.append(_Change("status", ticket.status, Status.OPEN))
            ticket.status = Status.OPEN
            ticket.solved_at = None
        if not ticket.awaiting_agent or ticket.awaiting_since is None:
            ticket.awaiting_since = now
        ticket.awaiting_agent = True
        ticket.last_customer_message_at = now
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save()
    events.insert(0, _event(ticket, None, EventKind.CUSTOMER_MESSAGE, now, note=body_text[:200]))
    events += [_event(ticket, None, EventKind.CHANGED, now, field=c.field, old=c.old, new=c.new) for c in changes]
    TicketEvent.objects.bulk_create(events)
    publish(
        MessageAdded(
            ticket_id=ticket.pk, message_id=message.pk, kind=MessageKind.REPLY, actor_id=None, from_customer=True
        )
    )
    _publish_changed(ticket, None, [c.field for c in changes], message=message)
    return message


@transaction.atomic
def ticket_link_follow_up(*, ticket: Ticket, previous: Ticket, now: datetime) -> Ticket:
    """Record that `ticket` continues `previous` (a reply came after it was closed too long ago)."""
    if ticket.pk == previous.pk:
        raise ValidationError("A ticket cannot follow up itself.", field="follow_up_of")
    ticket = _lock(ticket)
    ticket.follow_up_of = previous
    ticket.save(update_fields=["follow_up_of"])
    TicketEvent.objects.bulk_create(
        [
            _event(ticket, None, EventKind.FOLLOW_UP, now, field="follow_up_of", new=f"#{previous.pk}"),
            _event(previous, None, EventKind.FOLLOW_UP, now, note=f"#{ticket.pk}"),
        ]
    )
    return ticket


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User | None, now: datetime) -> Ticket:
    """Merge `source` into `target`: its conversation moves over, and it closes and forwards to the target."""
    require_role(actor, EDITOR_ROLES, "merge tickets")
    while target.merged_into_id is not None:
        target = Ticket.objects.get(pk=target.merged_into_id)
    if source.pk == target.pk:
        raise ValidationError("A ticket cannot be merged into itself.", field="target")
    if source.merged_into_id is not None:
        raise Conflict(f"#{source.pk} is already merged into #{source.merged_into_id}.", field="source")
    source, target = _lock(source), _lock(target)
    Message.objects.filter(ticket=source).update(ticket=target)
    old_status = source.status
    source.status = Status.CLOSED
    source.merged_into = target
    source.closed_at = source.updated_at = now
    source.awaiting_agent = False
    source.awaiting_since = None
    source.save()
    target.updated_at = target.last_activity_at = now
    target.save(update_fields=["updated_at", "last_activity_at"])
    TicketEvent.objects.bulk_create(
        [
            _event(source, actor, EventKind.MERGED, now, field="merged_into", new=f"#{target.pk}"),
            _event(source, actor, EventKind.CHANGED, now, field="status", old=old_status, new=Status.CLOSED),
            _event(target, actor, EventKind.MERGED, now, note=f"#{source.pk}"),
        ]
    )
    _publish_changed(source, actor, ["status", "merged_into"])
    _publish_changed(target, actor, ["messages"])
    return target


@transaction.atomic
def ticket_record_delivery_failure(*, ticket: Ticket, summary: str, permanent: bool, now: datetime) -> Message:
    """A message we sent did not arrive (a bounce, or the outbox gave up): an internal note and an event."""
    ticket = _lock(ticket)
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.NOTE, channel=ticket.channel, body_text=summary, created_at=now
    )
    _event(
        ticket, None, EventKind.DELIVERY_FAILED, now, note=summary[:200], new="permanent" if permanent else "temporary"
    ).save()
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save(update_fields=["updated_at", "last_activity_at"])
    publish(
        MessageAdded(
            ticket_id=ticket.pk, message_id=message.pk, kind=MessageKind.NOTE, actor_id=None, from_customer=False
        )
    )
    return message


def ticket_mark_opened(*, ticket: Ticket, user: User, now: datetime) -> None:
    """The assignee opened their ticket: from now on routing never moves it (RT3)."""
    if ticket.assignee_id != user.pk or ticket.assignee_opened_at is not None:
        return
    Ticket.objects.filter(pk=ticket.pk, assignee_id=user.pk, assignee_opened_at__isnull=True).update(
        assignee_opened_at=now
    )
    ticket.assignee_opened_at = now


def ticket_set_sla_due(*, ticket: Ticket, due_at: datetime | None) -> None:
    """The SLA app keeps the earliest deadline of the ticket's running clocks here, for the inbox's
    "next SLA due" order and its "breached" and "due within the hour" filters. Derived, not a change
    anyone made: no history, no event."""
    if ticket.sla_due_at != due_at:
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due_at)
        ticket.sla_due_at = due_at


@transaction.atomic(savepoint=False)  # a routing pass moves hundreds in its transaction
def ticket_route(*, ticket: Ticket, assignee: User | None, note: str, now: datetime) -> bool:
    """Routing moves a waiting ticket: to an agent, to another one, or back to the queue (None).

    The move happens only if the ticket is still as routing read it: same assignee and
    status, still waiting on an agent, and not opened by its assignee. Otherwise someone
    changed it meanwhile; nothing happens and False is returned. `note` says why (the
    rule and the counts it compared) and shows in the ticket's history.
    """
    status = Status.OPEN if assignee is not None and ticket.status == Status.NEW else ticket.status
    moved = Ticket.objects.filter(
        pk=ticket.pk,
        assignee_id=ticket.assignee_id,
        status=ticket.status,
        awaiting_agent=True,
        assignee_opened_at__isnull=True,
    ).update(
        assignee=assignee,
        status=status,
        assigned_at=now if assignee is not None else None,
        updated_at=now,
    )
    if not moved:
        return False
    events = [
        _event(ticket, None, EventKind.ROUTED, now, field="assignee", old=ticket.assignee, new=assignee, note=note)
    ]
    fields = ["assignee"]
    if status != ticket.status:
        events.append(_event(ticket, None, EventKind.CHANGED, now, field="status", old=ticket.status, new=status))
        fields.append("status")
    TicketEvent.objects.bulk_create(events)
    _assigned(ticket, assignee, now)
    ticket.status, ticket.updated_at = status, now
    _publish_changed(ticket, None, fields)
    return True


@transaction.atomic
def ticket_escalate_to_manager(*, ticket: Ticket, actor: User | None, reason: str, now: datetime) -> Ticket:
    """Mark a ticket as waiting for a manager ("pending for manager"), with the reason."""
    require_role(actor, EDITOR_ROLES, "escalate tickets")
    if not reason.strip():
        raise ValidationError("Say why a manager is needed.", field="reason")
    ticket = _lock(ticket)
    if ticket.needs_manager:
        raise Conflict("This ticket already waits for a manager.", field="needs_manager")
    ticket.needs_manager = True
    ticket.needs_manager_reason = reason.strip()
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save()
    _event(ticket, actor, EventKind.ESCALATED_TO_MANAGER, now, note=reason.strip()).save()
    _publish_changed(ticket, actor, ["needs_manager"])
    return ticket


@transaction.atomic
def ticket_resolve_escalation(*, ticket: Ticket, actor: User, note: str = "", now: datetime) -> Ticket:
    """A manager has dealt with the escalation; the ticket goes back to its agent."""
    require_role(actor, MANAGER_ROLES, "resolve escalations")
    ticket = _lock(ticket)
    if not ticket.needs_manager:
        raise Conflict("This ticket does not wait for a manager.", field="needs_manager")
    ticket.needs_manager = False
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save()
    _event(ticket, actor, EventKind.ESCALATION_RESOLVED, now, note=note.strip()).save()
    _publish_changed(ticket, actor, ["needs_manager"])
    return ticket


@transaction.atomic
def ticket_escalate_to_team(*, ticket: Ticket, actor: User, team: Team, reason: str, now: datetime) -> Ticket:
    """Hand the ticket to another team (a higher tier): it leaves its assignee and joins that team's queue."""
    require_role(actor, EDITOR_ROLES, "escalate tickets")
    if not reason.strip():
        raise ValidationError("Say why the ticket goes to another team.", field="reason")
    ticket = _lock(ticket)
    if ticket.team_id == team.pk:
        raise ValidationError(f"The ticket is already with {team.name}.", field="team")
    old_team = ticket.team
    _event(
        ticket, actor, EventKind.ESCALATED_TO_TEAM, now, field="team", old=old_team, new=team, note=reason.strip()
    ).save()
    fields = ["team"]
    if ticket.assignee is not None:
        _event(ticket, actor, EventKind.CHANGED, now, field="assignee", old=ticket.assignee, new=None).save()
        fields.append("assignee")
    ticket.team = team
    _assigned(ticket, None, now)
    ticket.updated_at = ticket.last_activity_at = now
    ticket.save()
    _publish_changed(ticket, actor, fields)
    return ticket


def tickets_close_solved(*, now: datetime, after: timedelta = timedelta(days=4), batch: int = 500) -> int:
    """Close tickets that have stayed solved for `after`. Returns how many were closed."""
    due = list(
        Ticket.objects.filter(status=Status.SOLVED, solved_at__lte=now - after)
        .order_by("solved_at")
        .values_list("pk", flat=True)[:batch]
    )
    closed = 0
    for ticket_id in due:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, status=Status.SOLVED).first()
            if ticket is None:
                continue  # reopened or closed meanwhile, perhaps by another worker
            ticket.status = Status.CLOSED
            ticket.closed_at = ticket.updated_at = now
            ticket.save(update_fields=["status", "closed_at", "updated_at"])
            _event(
                ticket,
                None,
                EventKind.CHANGED,
                now,
                field="status",
                old=Status.SOLVED,
                new=Status.CLOSED,
                note="closed automatically",
            ).save()
            _publish_changed(ticket, None, ["status"])
            closed += 1
    return closed


def tickets_move_to_merged_contact(event: ContactMerged) -> None:
    """Handler: a merged contact's tickets follow it to the contact it was merged into."""
    moved = list(Ticket.objects.filter(requester_id=event.source_id).values_list("pk", flat=True))
    if not moved:
        return
    Ticket.objects.filter(pk__in=moved).update(requester_id=event.target_id)
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=pk,
                actor_id=event.actor_id,
                kind=EventKind.REQUESTER_MERGED,
                field="requester",
                old_value=str(event.source_id),
                new_value=str(event.target_id),
                created_at=event.at,
            )
            for pk in moved
        ]
    )
