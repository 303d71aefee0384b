"""Permission-scoped reads of tickets. Every face (workspace, API) reads through these."""

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import Contact, Role, Team, User
from frontdesk.accounts.selectors import agent_team_ids, require_agent
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.tickets.models import UNSOLVED, Attachment, Message, MessageKind, Status, Tag, Ticket, TicketEvent

COUNT_CAP = 1000


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """Admins and supervisors see every ticket; agents see their teams' tickets, their own and unrouted ones."""
    require_agent(user)
    tickets = Ticket.objects.all()
    if user.role in (Role.ADMIN, Role.SUPERVISOR):
        return tickets
    return tickets.filter(Q(team_id__in=agent_team_ids(user)) | Q(assignee_id=user.pk) | Q(team__isnull=True))


def _visible_by_key(user: User) -> QuerySet[Ticket]:
    """`visible_tickets` for reads of a few rows by key: the agent's teams as a subquery, so
    that the read is one query (a list reads the team ids once, for its index ranges)."""
    require_agent(user)
    tickets = Ticket.objects.all()
    if user.role in (Role.ADMIN, Role.SUPERVISOR):
        return tickets
    teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    return tickets.filter(Q(team_id__in=teams) | Q(assignee_id=user.pk) | Q(team__isnull=True))


def access_ticket(user: User, ticket_id: int) -> Ticket:
    """The ticket if `user` may see it; NotFound otherwise (whether or not it exists)."""
    ticket = (
        _visible_by_key(user)
        .select_related("requester", "organisation", "team", "assignee")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound(f"Ticket #{ticket_id} does not exist or is not visible to you.")
    return ticket


@dataclass(frozen=True)
class View:
    slug: str
    label: StrOrPromise


VIEWS = (
    View("my-unanswered", _("My unanswered")),
    View("unassigned", _("Unassigned")),
    View("open", _("Open")),
    View("pending", _("Pending")),
    View("needs-manager", _("Needs manager")),
    View("all", _("All")),
)
VIEW_SLUGS = frozenset(view.slug for view in VIEWS)


def _view_filter(slug: str, user: User) -> tuple[Q, tuple[str, ...]]:
    """What a view selects: a condition, and the statuses it covers (empty: any)."""
    if slug == "my-unanswered":
        return Q(assignee_id=user.pk, awaiting_agent=True), UNSOLVED
    if slug == "unassigned":
        return Q(assignee__isnull=True), UNSOLVED
    if slug == "open":
        return Q(), (Status.NEW, Status.OPEN)
    if slug == "pending":
        return Q(), (Status.PENDING,)
    if slug == "needs-manager":
        return Q(needs_manager=True), ()
    if slug == "all":
        return Q(), ()
    raise ValidationError(f"Unknown view “{slug}”.", field="view")


@dataclass(frozen=True)
class Page:
    items: list[Ticket]
    next_cursor: str | None


@dataclass(frozen=True)
class TicketFilters:
    """What an inbox or the API list narrows by. Empty means "any"."""

    view: str = "all"
    team: int | None = None
    channel: str = ""
    booking_stage: str = ""
    booking_channel: str = ""
    status: tuple[str, ...] = ()
    priority: str = ""
    tag: str = ""
    assignee: int | None = None
    requester: int | None = None
    organisation: int | None = None
    unassigned: bool = False
    q: str = ""


def _conditions(user: User, filters: TicketFilters) -> tuple[Q, tuple[str, ...] | None]:
    """The filters as one condition without visibility, and the statuses allowed (None: any)."""
    condition, statuses = _view_filter(filters.view, user)
    for value, lookup in (
        (filters.team, "team_id"),
        (filters.channel or None, "channel"),
        (filters.booking_stage or None, "booking_stage"),
        (filters.booking_channel or None, "booking_channel"),
        (filters.priority or None, "priority"),
        (filters.tag or None, "tags__name"),
        (filters.assignee, "assignee_id"),
        (filters.requester, "requester_id"),
        (filters.organisation, "organisation_id"),
    ):
        if value is not None:
            condition &= Q(**{lookup: value})
    if filters.unassigned:
        condition &= Q(assignee__isnull=True)
    if filters.q.strip():
        condition &= _text_match(filters.q)
    if filters.status:
        statuses = tuple(status for status in filters.status if not statuses or status in statuses)
        if not statuses:  # the view and the status filter exclude each other
            condition &= Q(pk__in=[])
    return condition, statuses or None


def ticket_list(*, user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    """Visible tickets that match, newest activity first, as one query (counts, exports)."""
    condition, statuses = _conditions(user, filters)
    tickets = visible_tickets(user).filter(condition)
    if statuses is not None:
        tickets = tickets.filter(status__in=statuses)
    return tickets.order_by("-last_activity_at", "-id")


def ticket_page(*, user: User, filters: TicketFilters, cursor: str = "", size: int = 25) -> Page:
    """One page of `ticket_list`, read so that indexes serve it at any table size.

    Neither SQLite nor PostgreSQL reads several index ranges in one ordered pass, so
    "my teams' tickets or mine, new or open" as one query collects and sorts every
    match. Here each pair of one visibility rule and one status is its own query, an
    equality filter that an index reads in activity order, fetching (activity, id) of
    at most `size` + 1 rows; the pairs are merged here and the page loaded in one query.
    A text search is one query: its candidates are bounded already.
    """
    if not 1 <= size <= 100:
        raise ValidationError("Page size must be between 1 and 100.", field="limit")
    condition, statuses = _conditions(user, filters)
    after = _after(cursor)
    if filters.q.strip():
        tickets = ticket_list(user=user, filters=filters).filter(after)
        keys = list(tickets.values_list("last_activity_at", "pk")[: size + 1])
    else:
        keys = sorted(
            {
                key
                for rule in _visibility_rules(user, team=filters.team)
                for status in statuses or (None,)
                for key in Ticket.objects.filter(rule, condition, after, *([Q(status=status)] if status else []))
                .order_by("-last_activity_at", "-id")
                .values_list("last_activity_at", "pk")[: size + 1]
            },
            reverse=True,
        )[: size + 1]
    ids = [pk for _, pk in keys[:size]]
    loaded = (
        Ticket.objects.filter(pk__in=ids)
        .select_related("requester", "organisation", "team", "assignee")
        .prefetch_related("tags")
        .in_bulk()
    )
    items = [loaded[pk] for pk in ids]
    return Page(items=items, next_cursor=encode_cursor(items[-1]) if len(keys) > size else None)


def _visibility_rules(user: User, *, team: int | None = None) -> list[Q]:
    """`visible_tickets` as equality conditions, one per index range (their union is what the user sees).

    With a `team` filter, the rules that cannot match it (another team, no team) are left
    out, and so is "assigned to me" when the team is one of the agent's (it is covered)."""
    require_agent(user)
    if user.role in (Role.ADMIN, Role.SUPERVISOR):
        return [Q()]
    team_ids = agent_team_ids(user)
    if team is not None:
        return [Q(team_id=team)] if team in team_ids else [Q(assignee_id=user.pk)]
    return [*(Q(team_id=team_id) for team_id in team_ids), Q(assignee_id=user.pk), Q(team__isnull=True)]


SEARCH_CANDIDATES = 1000


def _text_match(query: str) -> Q:
    """Tickets whose subject or any message matches every word of `query`, as prefixes.

    SQLite: FTS5 tables kept in step by triggers (migration 0002); PostgreSQL: stored
    tsvector columns with GIN indexes (migration 0003). See decision 0002. Like Zendesk's, the
    search is bounded: it considers the newest SEARCH_CANDIDATES matching subjects and
    messages, so a word found in every third ticket costs what a rare word costs.
    A number ("1234" or "#1234") also finds that ticket.
    """
    words = [word for word in "".join(ch if ch.isalnum() else " " for ch in query).split() if word]
    if not words:
        return Q()
    number = query.strip().lstrip("#")
    by_number = Q(pk=int(number)) if number.isdigit() and len(number) < 12 else Q(pk__in=[])
    if connection.vendor == "sqlite":
        match = " ".join('"' + word.replace('"', "") + '"*' for word in words)
        sql = (
            "SELECT rowid FROM (SELECT rowid FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s "
            "ORDER BY rowid DESC LIMIT %s) "
            "UNION SELECT m.ticket_id FROM tickets_message m WHERE m.id IN ("
            "SELECT rowid FROM tickets_message_fts WHERE tickets_message_fts MATCH %s ORDER BY rowid DESC LIMIT %s)"
        )
        params = (match, SEARCH_CANDIDATES, match, SEARCH_CANDIDATES)
        return by_number | Q(pk__in=RawSQL(sql, params))  # noqa: S611  (constant SQL, bound parameters)
    tsquery = " & ".join(word.replace("'", "").replace("\\", "") + ":*" for word in words)
    sql = (
        "SELECT id FROM (SELECT id FROM tickets_ticket WHERE subject_tsv @@ to_tsquery('simple', %s) "
        "ORDER BY id DESC LIMIT %s) subjects "
        "UNION SELECT ticket_id FROM (SELECT ticket_id FROM tickets_message WHERE body_tsv @@ to_tsquery('simple', %s) "
        "ORDER BY id DESC LIMIT %s) messages"
    )
    params = (tsquery, SEARCH_CANDIDATES, tsquery, SEARCH_CANDIDATES)
    return by_number | Q(pk__in=RawSQL(sql, params))  # noqa: S611  (constant SQL, bound parameters)


def count_capped(tickets: QuerySet[Ticket], cap: int = COUNT_CAP) -> int:
    """Counts up to `cap` + 1 rows: live counts never scan a whole table."""
    return tickets.order_by()[: cap + 1].count()


def view_counts(*, user: User) -> dict[str, int]:
    return {view.slug: count_capped(ticket_list(user=user, filters=TicketFilters(view=view.slug))) for view in VIEWS}


def encode_cursor(ticket: Ticket) -> str:
    return base64.urlsafe_b64encode(f"{ticket.last_activity_at.isoformat()}|{ticket.pk}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        at, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The cursor is not valid; start again from the first page.", field="cursor") from None


def _after(cursor: str) -> Q:
    """The rows after `cursor` in (activity, id) descending order; all rows for no cursor."""
    if not cursor:
        return Q()
    at, pk = _decode_cursor(cursor)
    return Q(last_activity_at__lt=at) | Q(last_activity_at=at, pk__lt=pk)


def ticket_messages(*, user: User, ticket: Ticket) -> QuerySet[Message]:
    """The conversation, oldest first, with authors and attachments. `ticket` comes from access_ticket."""
    require_agent(user)
    return (
        ticket.messages.select_related("author_agent", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def ticket_history(*, user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    require_agent(user)
    return ticket.events.select_related("actor").order_by("created_at", "id")


def requester_other_tickets(*, user: User, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The requester's other tickets, newest activity first: number, subject and status only."""
    return list(
        _visible_by_key(user)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("id", "subject", "status")
        .order_by("-last_activity_at")[:limit]
    )


def contact_timeline(*, user: User, contact: Contact, limit: int = 50) -> list[Ticket]:
    """A person's tickets across every channel, newest first, each with its public messages."""
    public = Message.objects.filter(kind=MessageKind.REPLY).select_related("author_agent", "author_contact")
    merged = Contact.objects.filter(merged_into=contact).values("pk")
    return list(
        visible_tickets(user)
        .filter(Q(requester=contact) | Q(requester__in=merged))
        .select_related("team", "assignee")
        .prefetch_related(Prefetch("messages", queryset=public.order_by("created_at")))
        .order_by("-last_activity_at")[:limit]
    )


def access_attachment(user: User, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("No such attachment.")
    access_ticket(user, attachment.message.ticket_id)
    return attachment


def tag_list(*, user: User, query: str = "") -> QuerySet[Tag]:
    """Tags in alphabetical order; those whose name starts with `query` when it is given."""
    require_agent(user)
    tags = Tag.objects.order_by("name")
    if query.strip():
        tags = tags.filter(name__startswith=query.strip().lower())
    return tags
