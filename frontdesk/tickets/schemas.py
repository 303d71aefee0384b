"""What the REST API reads and writes for tickets, messages, attachments, history and tags."""

from datetime import datetime
from typing import Any

from django.urls import reverse
from ninja import Field, Schema
from pydantic import field_validator

from frontdesk.accounts.schemas import AgentRef, ContactRef, OrganisationRef, TeamRef
from frontdesk.api.schemas import Blankable, Id, Input
from frontdesk.tickets.models import (
    Attachment,
    BookingChannel,
    BookingStage,
    Channel,
    EventKind,
    Message,
    MessageKind,
    Outcome,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from frontdesk.tickets.selectors import VIEWS, SlaFilter, Sort, TicketFilters

# --- tickets ---------------------------------------------------------------------------


class TicketOut(Schema):
    id: int = Field(description="The ticket number.")
    subject: str
    status: Status
    priority: Priority
    type: TicketType | None
    channel: Channel
    requester: ContactRef
    organisation: OrganisationRef | None
    team: TeamRef | None
    assignee: AgentRef | None
    tags: list[str]
    language: str
    booking_stage: BookingStage | None
    booking_channel: BookingChannel | None
    custom_fields: dict[str, Any]
    awaiting_agent: bool = Field(description="The customer spoke last and no agent has answered yet.")
    needs_manager: bool
    needs_manager_reason: str
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    outcome: Outcome | None = Field(description="What the inquiry led to; null while not known.")
    assigned_at: datetime | None = Field(description="When the current assignee got the ticket.")
    assignee_opened_at: datetime | None = Field(
        description="When the assignee first opened it; routing never moves it after that."
    )
    merged_into: int | None = Field(None, alias="merged_into_id", description="Set when merged into that ticket.")
    follow_up_of: int | None = Field(None, alias="follow_up_of_id", description="The closed ticket this one continues.")
    sla_due_at: datetime | None = Field(
        description="The next SLA deadline: the earliest of the running clocks' (in the past: breached); "
        "null when no clock runs (no policy applies, the ticket is paused, or every target is met)."
    )

    # Blank choices are stored as "" and shown as null.
    @staticmethod
    def resolve_type(ticket: Ticket) -> str | None:
        return ticket.type or None

    @staticmethod
    def resolve_booking_stage(ticket: Ticket) -> str | None:
        return ticket.booking_stage or None

    @staticmethod
    def resolve_booking_channel(ticket: Ticket) -> str | None:
        return ticket.booking_channel or None

    @staticmethod
    def resolve_outcome(ticket: Ticket) -> str | None:
        return ticket.outcome or None

    @staticmethod
    def resolve_tags(ticket: Ticket) -> list[str]:
        # Read with the ticket where it was read or written whole (access_ticket(with_tags=True),
        # ticket_page, ticket_create, a change of tags); a service's locked copy reads them here.
        names: list[str] | None = getattr(ticket, "tag_names", None)
        return names if names is not None else [tag.name for tag in ticket.tags.all()]


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


_VIEW_HELP = "One of: " + ", ".join(view.slug for view in VIEWS) + "."


class TicketQuery(Input):
    """The inbox filters; empty means any."""

    view: str = Field("all", description=_VIEW_HELP)
    team: Blankable[Id] = None
    channel: Blankable[Channel] = None
    booking_stage: Blankable[BookingStage] = None
    booking_channel: Blankable[BookingChannel] = None
    status: list[Status] = Field(
        default_factory=list, description="Repeat the parameter or separate with commas: status=new,open."
    )
    priority: Blankable[Priority] = None
    tag: str = ""
    assignee: Blankable[Id] = Field(None, description="Agent id.")
    requester: Blankable[Id] = Field(None, description="Contact id.")
    organisation: Blankable[Id] = Field(None, description="Organisation id.")
    unassigned: bool = False
    q: str = Field("", description="Words in the subject or any message, or a ticket number.")
    sla: Blankable[SlaFilter] = Field(
        None,
        description="breached: the next SLA deadline has passed; due_soon: it comes within the hour.",
    )
    sort: Sort = Field(
        Sort.ACTIVITY,
        description="activity: newest activity first. sla: by next SLA deadline, earliest first (breached "
        "tickets, longest overdue first, then those due soonest), then the tickets without one, newest "
        "activity first.",
    )
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")

    @field_validator("status", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> list[str]:
        values = value if isinstance(value, list) else [value]
        return [part.strip() for item in values for part in str(item).split(",") if part.strip()]

    def filters(self) -> TicketFilters:
        return TicketFilters(
            view=self.view or "all",
            team=self.team,
            channel=self.channel or "",
            booking_stage=self.booking_stage or "",
            booking_channel=self.booking_channel or "",
            status=tuple(self.status),
            priority=self.priority or "",
            tag=self.tag.strip(),
            assignee=self.assignee,
            requester=self.requester,
            organisation=self.organisation,
            unassigned=self.unassigned,
            q=self.q,
            sla=self.sla or "",
            sort=self.sort,
        )


class TicketIn(Input):
    """A new ticket. Name the requester by contact id, or by e-mail address (created on first contact)."""

    subject: str = Field(max_length=300)
    requester: Id | None = Field(None, description="Contact id.")
    requester_email: str | None = Field(None, max_length=320)
    requester_name: str = Field("", max_length=200, description="Used when `requester_email` is new.")
    body_text: str = ""
    body_html: str = Field("", description="Sanitised on the way in.")
    channel: Channel = Channel.API
    priority: Priority = Priority.NORMAL
    type: Blankable[TicketType] = None
    team: Id | None = Field(None, description="Team id.")
    assignee: Id | None = Field(None, description="Agent id; must be a member of `team` when both are given.")
    tags: list[str] = Field(default_factory=list)
    language: str = Field("", max_length=10)
    booking_stage: Blankable[BookingStage] = None
    booking_channel: Blankable[BookingChannel] = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


# Fields of TicketPatch that may be null: null clears them.
NULLABLE_PATCH_FIELDS = frozenset({"team", "assignee", "type", "booking_stage", "booking_channel", "outcome"})


class TicketPatch(Input):
    """Only the fields sent change. `team`, `assignee`, `type`, `booking_stage`, `booking_channel` and
    `outcome` may be null to clear them; `custom_fields` is merged, and a key set to null is removed."""

    subject: str | None = Field(None, max_length=300)
    status: Status | None = None
    priority: Priority | None = None
    type: Blankable[TicketType] = None
    team: Id | None = Field(None, description="Team id.")
    assignee: Id | None = Field(None, description="Agent id.")
    tags: list[str] | None = Field(None, description="The complete new set of tags.")
    language: str | None = Field(None, max_length=10)
    booking_stage: Blankable[BookingStage] = None
    booking_channel: Blankable[BookingChannel] = None
    custom_fields: dict[str, Any] | None = None
    outcome: Blankable[Outcome] = Field(None, description="booked or not_booked; set by an agent or a booking system.")

    @field_validator("subject", "status", "priority", "tags", "language", "custom_fields")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("this field cannot be null; leave it out to keep its value")
        return value


class EscalateToManagerIn(Input):
    reason: str = Field(description="Why a manager is needed.")


class ResolveEscalationIn(Input):
    note: str = ""


class EscalateToTeamIn(Input):
    team: Id = Field(description="Team id.")
    reason: str


class MergeIn(Input):
    into: Id = Field(description="The ticket this one is merged into.")


# --- history ---------------------------------------------------------------------------


class TicketEventOut(Schema):
    id: int
    kind: EventKind
    field: str
    old_value: str
    new_value: str
    note: str
    actor: AgentRef | None = Field(description="Null when Frontdesk itself made the change.")
    created_at: datetime


# --- messages and attachments ----------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str = Field(description="Download address (same authentication).")

    @staticmethod
    def resolve_url(attachment: Attachment) -> str:
        return reverse("api-v1:attachment-download", args=[attachment.pk])


class AuthorOut(Schema):
    type: str = Field(description="agent or contact")
    id: int
    name: str


class MessageOut(Schema):
    id: int
    kind: MessageKind
    channel: Channel
    author: AuthorOut | None
    body_text: str
    body_html: str = Field(description="Sanitised; safe to render.")
    stripped_text: str = Field(description="E-mail: the new part, without quoted history or signature.")
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(message: Message) -> dict[str, object] | None:
        if message.author_agent is not None:
            return {"type": "agent", "id": message.author_agent.pk, "name": message.author_agent.name}
        if message.author_contact is not None:
            return {"type": "contact", "id": message.author_contact.pk, "name": message.author_contact.name}
        return None

    @staticmethod
    def resolve_attachments(message: Message) -> list[Attachment]:
        return list(message.attachments.all())


class MessageIn(Input):
    """A public reply or an internal note. Send JSON, or multipart/form-data with `attachments`."""

    kind: MessageKind = MessageKind.REPLY
    body_text: str = ""
    body_html: str = Field("", description="Sanitised on the way in.")
    status: Blankable[Status] = Field(None, description="Replies only: the status the ticket moves to.")


# --- tags ------------------------------------------------------------------------------


class TagQuery(Input):
    q: str = Field("", description="Keep the tags whose name starts with this.")
    limit: int = Field(100, ge=1, le=1000)


class TagOut(Schema):
    id: int
    name: str
