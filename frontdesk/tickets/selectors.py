"""Permission-scoped reads of tickets. Every face (workspace, API) reads through these."""

import base64
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import Contact, Role, User
from frontdesk.accounts.selectors import agent_team_ids, require_agent
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.core.queries import Prepared
from frontdesk.tickets.models import UNSOLVED, Attachment, Message, MessageKind, Status, Tag, Ticket, TicketEvent

COUNT_CAP = 1000


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """Admins and supervisors see every ticket; agents see their teams' tickets, their own and unrouted ones."""
    require_agent(user)
    tickets = Ticket.objects.all()
    if user.role in (Role.ADMIN, Role.SUPERVISOR):
        return tickets
    return tickets.filter(Q(team_id__in=agent_team_ids(user)) | Q(assignee_id=user.pk) | Q(team__isnull=True))


# The teams an agent is a member of (Team.members' table), for _visible_to_agent.
_MEMBER_TEAMS = "SELECT team_id FROM accounts_team_members WHERE user_id = %s"


def _visible_to_agent(tickets: QuerySet[Ticket], *, member: int, assignee: int) -> QuerySet[Ticket]:
    """`visible_tickets` of an agent for reads of a few rows by key: the agent's teams as a
    subquery, so that the read is one query (a list reads the team ids once, for its index
    ranges). `member` and `assignee` are both the agent's id, apart so that a `Prepared` read
    finds each as a parameter of its own (_visible_read).

    The subquery is written out: the ORM took longer to build it, on every ticket page and
    API read, than the database takes to run the whole query."""
    teams = RawSQL(_MEMBER_TEAMS, (member,))  # noqa: S611  (constant SQL, bound parameter)
    return tickets.filter(Q(team_id__in=teams) | Q(assignee_id=assignee) | Q(team__isnull=True))


def access_ticket(user: User, ticket_id: int, *, with_tags: bool = False) -> Ticket:
    """The ticket if `user` may see it; NotFound otherwise (whether or not it exists).

    With `with_tags`, the ticket also carries `tag_names`: its tags' names in alphabetical
    order, read in the same query (the ticket page shows them)."""
    found = _TICKET_BY_KEY[with_tags].all(user, ticket_id)
    if not found:
        raise NotFound(f"Ticket #{ticket_id} does not exist or is not visible to you.")
    ticket: Ticket = found[0]
    if with_tags:
        _name_tags(ticket)
    return ticket


def _with_tag_list(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket with its tags' names as one string (`tag_list`), read in the same query: for _name_tags."""
    return tickets.annotate(tag_list=RawSQL(_TAG_LIST[connection.vendor], ()))  # noqa: S611  (constant SQL)


def _name_tags(ticket: Ticket) -> None:
    """`ticket.tag_names`, in alphabetical order, from the `tag_list` of _with_tag_list."""
    tag_list: str | None = ticket.tag_list  # type: ignore[attr-defined]
    ticket.tag_names = sorted(tag_list.split(TAG_SEPARATOR)) if tag_list else []  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _VisibleRead:
    """A `Prepared` read of tickets in its two forms: every ticket (admins and supervisors), or
    an agent's (_visible_to_agent)."""

    everyone: Prepared[Ticket]
    agent: Prepared[Ticket]

    def all(self, user: User, *values: object) -> list[Ticket]:
        require_agent(user)
        if user.role in (Role.ADMIN, Role.SUPERVISOR):
            return self.everyone.all(*values)
        return self.agent.all(*values, user.pk, user.pk)


def _visible_read(read: Callable[..., QuerySet[Ticket]], *placeholders: int) -> _VisibleRead:
    """`read(tickets, *values)` narrowed to what the user may see, built once per thread."""
    return _VisibleRead(
        everyone=Prepared(lambda *values: read(Ticket.objects.all(), *values), *placeholders),
        agent=Prepared(
            lambda *values: read(
                _visible_to_agent(Ticket.objects.all(), member=values[-2], assignee=values[-1]), *values[:-2]
            ),
            *placeholders,
            -101,  # the agent's id, as a team member
            -102,  # and as the assignee
        ),
    )


def _ticket_by_key(tickets: QuerySet[Ticket], ticket_id: int, *, with_tags: bool) -> QuerySet[Ticket]:
    tickets = tickets.select_related("requester", "organisation", "team", "assignee")
    if with_tags:
        tickets = _with_tag_list(tickets)
    # By primary key: at most one row, so no ORDER BY and LIMIT (what .first() would add).
    return tickets.filter(pk=ticket_id)


# Every ticket page and API read of a ticket, with and without the tag names.
_TICKET_BY_KEY = {
    with_tags: _visible_read(functools.partial(_ticket_by_key, with_tags=with_tags), -1) for with_tags in (False, True)
}

# A ticket's tag names as one string, joined by TAG_SEPARATOR (a control character: tag names
# are slugs, services.normalise_tags), in no particular order: access_ticket sorts them.
TAG_SEPARATOR = "\x1f"
_TAG_LIST = {
    "sqlite": (
        "SELECT group_concat(tag.name, char(31)) FROM tickets_ticket_tags link "
        'JOIN tickets_tag tag ON tag.id = link.tag_id WHERE link.ticket_id = "tickets_ticket"."id"'
    ),
    "postgresql": (
        "SELECT string_agg(tag.name, chr(31)) FROM tickets_ticket_tags link "
        'JOIN tickets_tag tag ON tag.id = link.tag_id WHERE link.ticket_id = "tickets_ticket"."id"'
    ),
}


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


class SlaFilter(models.TextChoices):
    """Tickets by their next SLA deadline (`Ticket.sla_due_at`), relative to `now`."""

    BREACHED = "breached", _("Breached")
    DUE_SOON = "due_soon", _("Due within the hour")


DUE_SOON = timedelta(hours=1)


class Sort(models.TextChoices):
    ACTIVITY = "activity", _("Last activity")
    SLA = "sla", _("Next SLA due")


@dataclass(frozen=True)
class TicketFilters:
    """What an inbox or the API list narrows by, and in which order. Empty means "any"."""

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
    sla: str = ""  # a SlaFilter
    sort: str = Sort.ACTIVITY


def _conditions(user: User, filters: TicketFilters, now: datetime | None) -> tuple[Q, tuple[str, ...] | None]:
    """The filters as one condition without visibility, and the statuses allowed (None: any)."""
    condition, statuses = _view_filter(filters.view, user)
    if filters.sort not in Sort.values:
        raise ValidationError(f"Unknown sort order “{filters.sort}”.", field="sort")
    if filters.sla:
        condition &= _sla_filter(filters.sla, now)
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


def _sla_filter(value: str, now: datetime | None) -> Q:
    if value not in SlaFilter.values:
        raise ValidationError(f"Unknown SLA filter “{value}”.", field="sla")
    if now is None:
        raise TypeError("An SLA filter is relative to `now`: pass it.")
    if value == SlaFilter.BREACHED:
        return Q(sla_due_at__lte=now)
    return Q(sla_due_at__gt=now, sla_due_at__lte=now + DUE_SOON)


@dataclass(frozen=True)
class _Stretch:
    """A run of a sort order: its rows (with a deadline, without, or any: None), ordered by
    (`field`, id), both one way. A sort order is one or more stretches in turn; a cursor names its stretch."""

    name: str
    deadline: bool | None
    field: str
    descending: bool

    def rows(self) -> Q:
        return Q() if self.deadline is None else Q(sla_due_at__isnull=not self.deadline)

    def order(self) -> tuple[str, str]:
        return ("-" if self.descending else "") + self.field, "-id" if self.descending else "id"


_ACTIVITY = _Stretch("activity", None, "last_activity_at", descending=True)
SORTS: dict[str, tuple[_Stretch, ...]] = {
    Sort.ACTIVITY: (_ACTIVITY,),
    # Next SLA due first (the partial indexes ticket_team_sla_due and ticket_sla_due hold exactly
    # these rows in this order), then the tickets without a running clock, newest activity first.
    Sort.SLA: (
        _Stretch("sla", True, "sla_due_at", descending=False),
        _Stretch("sla-none", False, "last_activity_at", descending=True),
    ),
}


def ticket_list(*, user: User, filters: TicketFilters, now: datetime | None = None) -> QuerySet[Ticket]:
    """Visible tickets that match, in the filters' order, as one query (counts, exports).

    `now` is what the SLA filters are relative to (needed with one)."""
    condition, statuses = _conditions(user, filters, now)
    tickets = visible_tickets(user).filter(condition)
    if statuses is not None:
        tickets = tickets.filter(status__in=statuses)
    if filters.sort == Sort.SLA:
        return tickets.order_by(
            models.F("sla_due_at").asc(nulls_last=True),
            models.Case(models.When(sla_due_at__isnull=False, then="id")).asc(),
            "-last_activity_at",
            "-id",
        )
    return tickets.order_by("-last_activity_at", "-id")


def ticket_page(
    *, user: User, filters: TicketFilters, cursor: str = "", size: int = 25, now: datetime | None = None
) -> Page:
    """One page of `ticket_list`, read so that indexes serve it at any table size.

    Neither SQLite nor PostgreSQL reads several index ranges in one ordered pass, so
    "my teams' tickets or mine, new or open" as one query collects and sorts every
    match. Here each pair of one visibility rule and one status is its own query, an
    equality filter that an index reads in the sort's order, fetching (sort key, id) of
    at most `size` + 1 rows; the pairs are merged here and the page loaded in one query.
    A text search is one query: its candidates are bounded already.

    A sort order is a sequence of stretches (SORTS): by activity, one; by next SLA due,
    the tickets with a deadline (soonest first), then those without (newest activity
    first). The stretches are read in turn until the page is full, so the second costs
    nothing while the first fills the page. The cursor names the stretch and the key of
    the last row; it belongs to its sort order.
    """
    if not 1 <= size <= 100:
        raise ValidationError("Page size must be between 1 and 100.", field="limit")
    condition, statuses = _conditions(user, filters, now)
    # An SLA filter keeps only tickets with a deadline: no stretch without one is read.
    stretches = tuple(stretch for stretch in SORTS[filters.sort] if not (filters.sla and stretch.deadline is False))
    start, after = _position(cursor, stretches)
    if filters.q.strip():  # one query per stretch, through `visible_tickets`
        tickets = visible_tickets(user)
        sources = [(Q(), Q(status__in=statuses) if statuses else Q())]
    else:
        tickets = Ticket.objects.all()
        sources = [
            (rule, Q(status=status) if status else Q())
            for rule in _visibility_rules(user, team=filters.team)
            for status in statuses or (None,)
        ]
    keys: list[tuple[_Stretch, datetime, int]] = []
    for index in range(start, len(stretches)):
        stretch, wanted = stretches[index], size + 1 - len(keys)
        found: set[tuple[datetime, int]] = set()
        for rule, status in sources:
            found.update(
                tickets.filter(rule, condition, stretch.rows(), after if index == start else Q(), status)
                .order_by(*stretch.order())
                .values_list(stretch.field, "pk")[:wanted]
            )
        keys += [(stretch, at, pk) for at, pk in sorted(found, reverse=stretch.descending)[:wanted]]
        if len(keys) > size:
            break
    ids = [pk for _, _, pk in keys[:size]]
    loaded = _with_tag_list(
        Ticket.objects.filter(pk__in=ids).select_related("requester", "organisation", "team", "assignee")
    ).in_bulk()
    items = [loaded[pk] for pk in ids]
    for ticket in items:
        _name_tags(ticket)
    return Page(items=items, next_cursor=_encode_cursor(*keys[size - 1]) if len(keys) > size else None)


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
    tsvector columns with GIN indexes (migration 0003), a message's words indexed with the age
    of the message (0011). See decisions 0002 and 0018. Like Zendesk's, the
    search is bounded: it considers the newest SEARCH_CANDIDATES matching subjects and
    messages, so a word found in every third ticket costs what a rare word costs.
    A number ("1234" or "#1234") also finds that ticket.
    """
    words = [word for word in "".join(ch if ch.isalnum() else " " for ch in query).split() if word]
    if not words:
        return Q()
    number = query.strip().lstrip("#")
    by_number = Q(pk=int(number)) if number.isdigit() and len(number) < 12 else Q(pk__in=[])
    candidates = _sqlite_candidates(words) if connection.vendor == "sqlite" else _postgres_candidates(words)
    return by_number | Q(pk__in=candidates)


def _sqlite_candidates(words: list[str]) -> RawSQL:
    sql = (
        "SELECT rowid FROM (SELECT rowid FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s "
        "ORDER BY rowid DESC LIMIT %s) "
        "UNION SELECT m.ticket_id FROM tickets_message m WHERE m.id IN ("
        "SELECT rowid FROM tickets_message_fts WHERE tickets_message_fts MATCH %s ORDER BY rowid DESC LIMIT %s)"
    )
    subjects, messages = _fts_match("tickets_ticket_fts", words), _fts_match("tickets_message_fts", words)
    return RawSQL(sql, (subjects, SEARCH_CANDIDATES, messages, SEARCH_CANDIDATES))  # noqa: S611  (constant SQL, bound parameters)


# One window of buckets of messages (migration 0011), its matches newest first: sorted by id + 0,
# so that PostgreSQL never reads them by walking the primary key down from the newest message.
_MESSAGE_WINDOW = (
    "(SELECT ticket_id FROM tickets_message WHERE body_tsv @@ "
    "tickets_message_search_query(to_tsquery('simple', %s), %s, %s) ORDER BY id + 0 DESC)"
)


def _postgres_candidates(words: list[str]) -> RawSQL:
    """Messages are read newest first, window by window (the newest bucket, the two before it,
    then four, …), until the LIMIT has its rows: PostgreSQL runs the windows in turn and stops."""
    tsquery = " & ".join(word.replace("'", "").replace("\\", "") + ":*" for word in words)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tickets_message_bucket(max(id)) FROM tickets_message")
        newest = cursor.fetchone()[0] or 0
    windows = _bucket_windows(newest)
    sql = (
        "SELECT id FROM (SELECT id FROM tickets_ticket WHERE subject_tsv @@ to_tsquery('simple', %s) "  # noqa: S608  (constant SQL)
        "ORDER BY id DESC LIMIT %s) subjects "
        f"UNION SELECT ticket_id FROM ({' UNION ALL '.join([_MESSAGE_WINDOW] * len(windows))} LIMIT %s) messages"
    )
    params = [tsquery, SEARCH_CANDIDATES, *(value for window in windows for value in (tsquery, *window))]
    return RawSQL(sql, [*params, SEARCH_CANDIDATES])  # noqa: S611  (constant SQL, bound parameters)


FTS_TERMS = 32  # SQLite: a word that begins more terms than this is matched as a prefix


def _fts_match(table: str, words: list[str]) -> str:
    """An FTS5 query for `table`: every word, as the terms that begin with it ("park" OR "parking" …).

    FTS5 answers a prefix query ("park"*) by merging every posting of those terms before it
    yields a row (10 ms for a word in a third of 3,000,000 messages), but reads an OR of terms
    lazily, newest first, stopping at the LIMIT. The terms come from the table's fts5vocab
    (migration 0012). A word with letters beyond ASCII (which the tokenizer folds its own way),
    or that begins more than FTS_TERMS terms, stays a prefix query."""
    parts = []
    with connection.cursor() as cursor:
        for word in words:
            lowered = word.lower()
            if lowered.isascii():
                after = lowered[:-1] + chr(ord(lowered[-1]) + 1)  # the first string past the prefix
                cursor.execute(
                    f"SELECT term FROM {table}_terms WHERE term >= %s AND term < %s LIMIT %s",  # noqa: S608  (a constant table name)
                    [lowered, after, FTS_TERMS + 1],
                )
                terms = [term for (term,) in cursor.fetchall()]
                if 0 < len(terms) <= FTS_TERMS:
                    parts.append("(" + " OR ".join(f'"{term}"' for term in terms) + ")")
                    continue
            parts.append(f'"{word}"*')
    return " AND ".join(parts)


def _bucket_windows(newest: int) -> list[tuple[int, int]]:
    """Buckets `newest` to 0 in windows of 1, 2, 4, … buckets, newest first: (first, last) each."""
    windows, width = [], 1
    while newest >= 0:
        first = max(0, newest - width + 1)
        windows.append((first, newest))
        newest, width = first - 1, width * 2
    return windows


def count_capped(tickets: QuerySet[Ticket], cap: int = COUNT_CAP) -> int:
    """Counts up to `cap` + 1 rows: live counts never scan a whole table."""
    return tickets.order_by()[: cap + 1].count()


def view_counts(*, user: User) -> dict[str, int]:
    """Each view's count_capped, all in one statement: one round trip, not six.

    The statement depends only on who asks (role, id and an agent's teams). The ORM took
    longer to build it than the database takes to run it, and the sidebar asks again on
    every change of a ticket, so it is built once per asker (and process)."""
    require_agent(user)
    teams = () if user.role in (Role.ADMIN, Role.SUPERVISOR) else tuple(agent_team_ids(user))
    sql, params = _view_counts_statement(connection.vendor, user.role, user.pk, teams)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(zip((view.slug for view in VIEWS), cursor.fetchone(), strict=True))


@functools.lru_cache(maxsize=1024)
def _view_counts_statement(
    vendor: str, role: str, user_id: int, team_ids: tuple[int, ...]
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of view_counts for this asker, in the dialect of `vendor`."""
    asker = User(pk=user_id, role=role, is_active=True)
    asker._team_ids = list(team_ids)  # type: ignore[attr-defined]  # what agent_team_ids reads
    counts: list[str] = []
    params: list[Any] = []
    for view in VIEWS:
        capped = ticket_list(user=asker, filters=TicketFilters(view=view.slug)).order_by().values("pk")
        sql, view_params = capped[: COUNT_CAP + 1].query.sql_with_params()
        counts.append(f"(SELECT COUNT(*) FROM ({sql}) capped)")  # noqa: S608  (the ORM's SQL, bound parameters)
        params += view_params
    return "SELECT " + ", ".join(counts), tuple(params)


def _encode_cursor(stretch: _Stretch, at: datetime, pk: int) -> str:
    """ "<activity>|<id>" by activity (as before sorts had names), "<stretch>|<key>|<id>" otherwise."""
    parts = [at.isoformat(), str(pk)] if stretch is _ACTIVITY else [stretch.name, at.isoformat(), str(pk)]
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, datetime, int]:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        name, at, pk = parts if len(parts) == 3 else [_ACTIVITY.name, *parts]
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time is aware")
        return name, moment, int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The cursor is not valid; start again from the first page.", field="cursor") from None


def _position(cursor: str, stretches: tuple[_Stretch, ...]) -> tuple[int, Q]:
    """Where `cursor` is: the index of its stretch, and the rows of that stretch after it
    (for no cursor: the first stretch, all of it)."""
    if not cursor:
        return 0, Q()
    name, at, pk = _decode_cursor(cursor)
    index = next((n for n, stretch in enumerate(stretches) if stretch.name == name), None)
    if index is None:
        raise ValidationError(
            "The cursor belongs to another sort order; start again from the first page.", field="cursor"
        )
    stretch = stretches[index]
    if stretch.descending:
        return index, Q(**{f"{stretch.field}__lt": at}) | Q(**{stretch.field: at, "pk__lt": pk})
    return index, Q(**{f"{stretch.field}__gt": at}) | Q(**{stretch.field: at, "pk__gt": pk})


def ticket_messages(*, user: User, ticket: Ticket) -> QuerySet[Message]:
    """The conversation, oldest first, with authors and attachments. `ticket` comes from access_ticket."""
    require_agent(user)
    return (
        ticket.messages.select_related("author_agent", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def ticket_attachments(*, user: User, ticket: Ticket) -> dict[int, list[Attachment]]:
    """Message id → its attachments, for every message of a ticket from access_ticket: one query."""
    require_agent(user)
    files: dict[int, list[Attachment]] = {}
    for attachment in _TICKET_ATTACHMENTS.all(ticket.pk):
        files.setdefault(attachment.message_id, []).append(attachment)
    return files


def ticket_events(*, user: User, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's history, oldest first, with each change's actor."""
    require_agent(user)
    return _TICKET_EVENTS.all(ticket.pk)


# What the ticket page reads on every load, built once per thread (core.queries).
_TICKET_ATTACHMENTS = Prepared(
    lambda ticket_id: Attachment.objects.filter(message__ticket_id=ticket_id).order_by("pk"), -1
)
_TICKET_EVENTS = Prepared(
    lambda ticket_id: (
        TicketEvent.objects.filter(ticket_id=ticket_id).select_related("actor").order_by("created_at", "id")
    ),
    -1,
)

OTHER_TICKETS = 10


def requester_other_tickets(*, user: User, ticket: Ticket) -> list[Ticket]:
    """The requester's OTHER_TICKETS other tickets, newest activity first: number, subject and status only."""
    return _OTHER_TICKETS.all(user, ticket.requester_id, ticket.pk)


def _other_tickets(tickets: QuerySet[Ticket], requester_id: int, ticket_id: int) -> QuerySet[Ticket]:
    return (
        tickets.filter(requester_id=requester_id)
        .exclude(pk=ticket_id)
        .only("id", "subject", "status")
        .order_by("-last_activity_at")[:OTHER_TICKETS]
    )


_OTHER_TICKETS = _visible_read(_other_tickets, -1, -2)


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
