"""REST endpoints for tickets, their conversation and history, attachments and tags.

Each endpoint is thin: parse → access_* → one service → schema. Permissions live
in the selectors and services; an invisible ticket answers 404 like a missing one.
"""

from contextlib import nullcontext
from typing import Annotated, Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import File, Query, Router, UploadedFile
from ninja.responses import Status as WithStatus

from frontdesk.accounts.models import Contact, IdentityKind, User
from frontdesk.accounts.selectors import access_contact, chosen_agent, chosen_team, identity_for
from frontdesk.accounts.services import contact_get_or_create, normalise_identity
from frontdesk.api.auth import request_agent
from frontdesk.api.params import FormOrJson, json_alternative
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.tickets.models import Attachment, Message, MessageKind, Tag, Ticket, TicketEvent
from frontdesk.tickets.schemas import (
    EscalateToManagerIn,
    EscalateToTeamIn,
    MergeIn,
    MessageIn,
    MessageOut,
    ResolveEscalationIn,
    TagOut,
    TagQuery,
    TicketEventOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TicketQuery,
)
from frontdesk.tickets.selectors import (
    Page,
    access_attachment,
    access_ticket,
    tag_list,
    ticket_events,
    ticket_messages,
    ticket_page,
)
from frontdesk.tickets.services import (
    ticket_add_note,
    ticket_create,
    ticket_escalate_to_manager,
    ticket_escalate_to_team,
    ticket_mark_opened,
    ticket_merge,
    ticket_reply,
    ticket_resolve_escalation,
    ticket_update,
)

router = Router(tags=["tickets"])


def _requester(user: User, payload: TicketIn) -> Contact | None:
    """The requester named, or None for an e-mail address no contact has yet."""
    if payload.requester is not None and payload.requester_email is None:
        try:
            return access_contact(user, payload.requester)
        except NotFound:
            raise ValidationError(f"There is no contact with id {payload.requester}.", field="requester") from None
    if payload.requester_email is not None and payload.requester is None:
        address = normalise_identity(kind=IdentityKind.EMAIL, value=payload.requester_email)
        identity = identity_for(kind=IdentityKind.EMAIL, value=address)
        return identity.contact if identity else None
    raise ValidationError("Give exactly one of `requester` (a contact id) or `requester_email`.", field="requester")


# --- tickets ---------------------------------------------------------------------------


@router.get("/tickets", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(request: HttpRequest, query: Query[TicketQuery]) -> Page:
    """Visible tickets that match the filters, a page at a time: newest activity first, or (`sort=sla`)
    next SLA deadline first. A cursor continues the sort it came from."""
    user = request_agent(request)
    return ticket_page(user=user, filters=query.filters(), cursor=query.cursor, size=query.limit, now=timezone.now())


@router.post("/tickets", response={201: TicketOut, **ERRORS}, summary="Create a ticket")
def create_ticket(request: HttpRequest, payload: TicketIn) -> WithStatus[Ticket]:
    user = request_agent(request)
    requester = _requester(user, payload)
    team = chosen_team(user=user, team_id=payload.team)
    assignee = chosen_agent(user=user, agent_id=payload.assignee, field="assignee")

    # Reads come first; a transaction only when a new contact must go with the ticket, so that
    # a contact created for a ticket that is then refused is not kept.
    with transaction.atomic() if requester is None else nullcontext():
        if requester is None:
            assert payload.requester_email is not None  # _requester answers None only for a new address
            requester = contact_get_or_create(
                kind=IdentityKind.EMAIL, value=payload.requester_email, name=payload.requester_name
            )
        ticket = ticket_create(
            subject=payload.subject,
            requester=requester,
            channel=payload.channel,
            body_text=payload.body_text,
            body_html=payload.body_html,
            priority=payload.priority,
            type=payload.type or "",
            team=team,
            assignee=assignee,
            tags=payload.tags,
            language=payload.language,
            booking_stage=payload.booking_stage or "",
            booking_channel=payload.booking_channel or "",
            custom_fields=payload.custom_fields,
            actor=user,
            now=timezone.now(),
        )
    return WithStatus(201, ticket)


@router.get("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Read a ticket")
def get_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    """Read by its assignee, the ticket counts as opened: routing no longer moves it."""
    user = request_agent(request)
    ticket = access_ticket(user, ticket_id, with_tags=True)
    ticket_mark_opened(ticket=ticket, user=user, now=timezone.now())
    return ticket


@router.patch("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="Change a ticket")
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> Ticket:
    """Only the fields sent change; every change is audited."""
    user = request_agent(request)
    ticket = access_ticket(user, ticket_id)  # ticket_update reads it again, locked
    changes: dict[str, Any] = payload.model_dump(mode="json", exclude_unset=True)
    if "team" in changes:
        changes["team"] = chosen_team(user=user, team_id=changes["team"])
    if "assignee" in changes:
        changes["assignee"] = chosen_agent(user=user, agent_id=changes["assignee"], field="assignee")
    for field in ("type", "booking_stage", "booking_channel", "outcome"):
        if field in changes:
            changes[field] = changes[field] or ""
    return ticket_update(ticket=ticket, actor=user, now=timezone.now(), **changes)


@router.post(
    "/tickets/{ticket_id}/escalate-to-manager",
    response={200: TicketOut, **ERRORS},
    summary="Ask a manager to step in",
)
def escalate_to_manager(request: HttpRequest, ticket_id: int, payload: EscalateToManagerIn) -> Ticket:
    user = request_agent(request)
    ticket = access_ticket(user, ticket_id)
    return ticket_escalate_to_manager(ticket=ticket, actor=user, reason=payload.reason, now=timezone.now())


@router.post(
    "/tickets/{ticket_id}/resolve-escalation",
    response={200: TicketOut, **ERRORS},
    summary="Resolve a manager escalation (supervisors and admins)",
)
def resolve_escalation(request: HttpRequest, ticket_id: int, payload: ResolveEscalationIn) -> Ticket:
    user = request_agent(request)
    ticket = access_ticket(user, ticket_id)
    return ticket_resolve_escalation(ticket=ticket, actor=user, note=payload.note, now=timezone.now())


@router.post(
    "/tickets/{ticket_id}/escalate-to-team",
    response={200: TicketOut, **ERRORS},
    summary="Hand a ticket to another team",
)
def escalate_to_team(request: HttpRequest, ticket_id: int, payload: EscalateToTeamIn) -> Ticket:
    user = request_agent(request)
    ticket = access_ticket(user, ticket_id)
    team = chosen_team(user=user, team_id=payload.team)
    assert team is not None  # the schema requires a team id
    return ticket_escalate_to_team(ticket=ticket, actor=user, team=team, reason=payload.reason, now=timezone.now())


@router.post("/tickets/{ticket_id}/merge", response={200: TicketOut, **ERRORS}, summary="Merge into another ticket")
def merge_ticket(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Ticket:
    """The conversation moves to the target; this ticket closes, and mail for it lands on the target."""
    user = request_agent(request)
    source = access_ticket(user, ticket_id)
    target = access_ticket(user, payload.into)
    return ticket_merge(source=source, target=target, actor=user, now=timezone.now())


@router.get(
    "/tickets/{ticket_id}/events",
    response={200: list[TicketEventOut], **ERRORS},
    summary="A ticket's history",
)
def list_ticket_events(request: HttpRequest, ticket_id: int) -> list[TicketEvent]:
    user = request_agent(request)
    return ticket_events(user=user, ticket=access_ticket(user, ticket_id))


# --- messages and attachments ----------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="A ticket's conversation",
    tags=["messages"],
)
def list_messages(request: HttpRequest, ticket_id: int) -> list[Message]:
    """Customer messages, replies and internal notes, oldest first, with their attachments."""
    user = request_agent(request)
    return list(ticket_messages(user=user, ticket=access_ticket(user, ticket_id)))


@router.post(
    "/tickets/{ticket_id}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Reply or add an internal note",
    tags=["messages"],
    openapi_extra=json_alternative(MessageIn),
)
def add_message(
    request: HttpRequest,
    ticket_id: int,
    payload: Annotated[MessageIn, FormOrJson(...)],
    attachments: File[list[UploadedFile] | None] = None,
) -> WithStatus[Message]:
    """JSON, or multipart/form-data when there are `attachments`. Light agents may add notes only."""
    user = request_agent(request)
    ticket = access_ticket(user, ticket_id)
    files = attachments or []
    now = timezone.now()
    if payload.kind == MessageKind.NOTE:
        if payload.status is not None:
            raise ValidationError(
                "A note cannot change the status; send a reply, or change the ticket.", field="status"
            )
        message = ticket_add_note(
            ticket=ticket,
            author=user,
            body_text=payload.body_text,
            body_html=payload.body_html,
            attachments=files,
            now=now,
        )
    else:
        message = ticket_reply(
            ticket=ticket,
            author=user,
            body_text=payload.body_text,
            body_html=payload.body_html,
            attachments=files,
            status=payload.status,
            now=now,
        )
    return WithStatus(201, message)


@router.get(
    "/attachments/{attachment_id}",
    response=ERRORS,
    summary="Download an attachment",
    tags=["messages"],
    url_name="attachment-download",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment: Attachment = access_attachment(request_agent(request), attachment_id)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound("The file of this attachment is missing from storage.") from None
    response = FileResponse(
        stored, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    # Never rendered in the browser as a page of ours, whatever the customer sent.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- tags ------------------------------------------------------------------------------


@router.get("/tags", response={200: list[TagOut], **ERRORS}, summary="List tags", tags=["tags"])
def list_tags(request: HttpRequest, query: Query[TagQuery]) -> list[Tag]:
    """Tag names in alphabetical order."""
    return list(tag_list(user=request_agent(request), query=query.q)[: query.limit])
