"""Productivity reports (SPEC PR1, PR3, PR4): read-only, for supervisors and admins.

`agent_report` answers "who did what" for a period [start, end) with one query per
family of metrics (GROUP BY agent), never a query per agent or per ticket, each read
from a covering index, so it costs the same for 10 agents as for 500 and stays under
two seconds over a million tickets (`bench/reports.py`, docs/reports.md):

- **received**, and the inquiry-to-booking **conversion** (from the same rows):
  tickets whose current assignee is the agent and who got them in the period
  (`Ticket.assigned_at`); of those at the pre-booking stage, the share whose outcome
  is "booked".
- **pending**: the agent's tickets that wait for a manager right now — flagged
  "needs manager" (seed 001's *Pendiente*: the agent marked it because it needs the
  manager's attention) and not yet solved. It is a count at report time, whatever the
  period: it is the manager's to-do list per agent, not a history.
- **closed**: the agent's tickets solved in the period (`solved_at`) that are still
  solved or closed (a reopened ticket no longer counts).
- **response times**: replies that answered a waiting customer
  (`Message.response_seconds`), by the reply's author and when it was written:
  first responses and all responses, each overall and before / after booking
  (`Message.booking_phase`).
- **work time** and **invisible time**: the agent's `routing.WorkInterval`s of kind
  shift and paused, clipped to the period; an open interval counts up to
  min(end, now).

**SLA attainment** (`sla_report`, `contract_report`, SPEC SL5) reads the SLA app's clocks the
same way: one grouped query per breakdown (policy, team, agent, organisation) with
conditional counts per metric; its definitions are at the top of its section below.

CSAT and QA scores come with the surveys and quality features: each will be one more
family here (one grouped query returning `{agent id: figures}`), one more field of
`AgentMetrics`, one more entry in `COLUMNS`, which the API, the CSV and the weekly
e-mail read, and one more cell in `reports/_agent_row.html` (the page's grouped table).
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, Organisation, Team, User
from frontdesk.accounts.selectors import access_organisation, require_agent
from frontdesk.core.errors import PermissionDenied, ValidationError
from frontdesk.reports.periods import Period
from frontdesk.routing.models import IntervalKind, WorkInterval
from frontdesk.sla.models import Clock, ClockState, Contract, Metric
from frontdesk.tickets.models import UNSOLVED, BookingPhase, BookingStage, Message, Outcome, Status, Ticket

CLOSED_STATUSES = (Status.SOLVED, Status.CLOSED)


def require_manager(user: object) -> User:
    """Reports are for supervisors and admins; anyone else gets PermissionDenied."""
    agent = require_agent(user)
    if agent.role not in MANAGER_ROLES:
        raise PermissionDenied("Only supervisors and admins may see reports.")
    return agent


@dataclass(frozen=True)
class Mean:
    """An average kept as its sum and count, so that averages over several agents add up exactly."""

    total: int = 0
    count: int = 0

    @property
    def value(self) -> float | None:
        return self.total / self.count if self.count else None

    def __add__(self, other: "Mean") -> "Mean":
        return Mean(self.total + other.total, self.count + other.count)


@dataclass(frozen=True)
class AgentMetrics:
    """One agent's figures for a period (or, with agent_id None, the sum of several agents')."""

    agent_id: int | None
    name: str
    email: str = ""
    received: int = 0
    pending: int = 0
    closed: int = 0
    first_response: Mean = field(default_factory=Mean)
    first_response_before: Mean = field(default_factory=Mean)
    first_response_after: Mean = field(default_factory=Mean)
    response: Mean = field(default_factory=Mean)
    response_before: Mean = field(default_factory=Mean)
    response_after: Mean = field(default_factory=Mean)
    work_seconds: int = 0
    invisible_seconds: int = 0
    inquiries: int = 0  # pre-booking tickets received
    booked: int = 0  # of those, the ones whose outcome is "booked"

    @property
    def conversion(self) -> float | None:
        """Inquiry-to-booking conversion, 0–1; None without inquiries."""
        return self.booked / self.inquiries if self.inquiries else None


MEANS = (
    "first_response",
    "first_response_before",
    "first_response_after",
    "response",
    "response_before",
    "response_after",
)


def report_total(rows: list[AgentMetrics], name: StrOrPromise) -> AgentMetrics:
    """The rows added up: counts and times summed, averages over all the rows' replies."""
    sums: dict[str, Any] = {}
    for metric in ("received", "pending", "closed", "work_seconds", "invisible_seconds", "inquiries", "booked"):
        sums[metric] = sum(getattr(row, metric) for row in rows)
    for metric in MEANS:
        sums[metric] = sum((getattr(row, metric) for row in rows), Mean())
    return AgentMetrics(agent_id=None, name=str(name), **sums)


@dataclass(frozen=True)
class Column:
    """A column of the agent report, as the page, the CSV and the e-mail show it."""

    key: str  # the CSV header and the JSON field
    label: StrOrPromise
    kind: str  # "count", "seconds" (an average or a sum of seconds), "rate" (0–1) or "text"
    value: Callable[[AgentMetrics], Any]


def _mean(name: str) -> Callable[[AgentMetrics], float | None]:
    return lambda row: getattr(row, name).value


COLUMNS = [
    Column("agent", _("Agent"), "text", lambda row: row.name),
    Column("received", _("Received"), "count", lambda row: row.received),
    Column("pending", _("Needs manager"), "count", lambda row: row.pending),
    Column("closed", _("Closed"), "count", lambda row: row.closed),
    Column("first_response_seconds", _("First response"), "seconds", _mean("first_response")),
    Column("first_response_before_booking_seconds", _("First response, before booking"), "seconds",
           _mean("first_response_before")),
    Column("first_response_after_booking_seconds", _("First response, after booking"), "seconds",
           _mean("first_response_after")),
    Column("response_seconds", _("Response"), "seconds", _mean("response")),
    Column("response_before_booking_seconds", _("Response, before booking"), "seconds", _mean("response_before")),
    Column("response_after_booking_seconds", _("Response, after booking"), "seconds", _mean("response_after")),
    Column("work_seconds", _("Work time"), "seconds", lambda row: row.work_seconds),
    Column("invisible_seconds", _("Invisible time"), "seconds", lambda row: row.invisible_seconds),
    Column("inquiries", _("Inquiries"), "count", lambda row: row.inquiries),
    Column("booked", _("Booked"), "count", lambda row: row.booked),
    Column("conversion_rate", _("Conversion"), "rate", lambda row: row.conversion),
]  # fmt: skip


# --- the agent report --------------------------------------------------------------------


def _check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("A report period needs time zone–aware start and end.", field="start")
    if end <= start:
        raise ValidationError("The end of the period must be after its start.", field="end")


def report_team(*, user: User, team_id: int | None) -> Team | None:
    """The team a report is filtered to, or None for everyone."""
    require_manager(user)
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError(f"There is no team with id {team_id}.", field="team")
    return team


def agent_report(
    *, user: User, start: datetime, end: datetime, now: datetime, team_id: int | None = None
) -> list[AgentMetrics]:
    """Every agent's figures over [start, end), by name: the agents who can receive tickets, and anyone
    else with figures in the period. With `team_id`, only that team's members (with all their tickets).
    Supervisors and admins only."""
    require_manager(user)
    report_team(user=user, team_id=team_id)
    return agent_metrics(start=start, end=end, now=now, team_id=team_id)


def agent_metrics(*, start: datetime, end: datetime, now: datetime, team_id: int | None = None) -> list[AgentMetrics]:
    """`agent_report` without the permission check, for the weekly e-mail the system sends."""
    _check_period(start, end)
    members: list[int] | None = None
    if team_id is not None:
        members = list(Team.members.through.objects.filter(team_id=team_id).values_list("user_id", flat=True))
    families = [
        _received(start, end, members),
        _pending(),
        _closed(start, end, members),
        _responses(start, end, members),
        _intervals(start, end, now, members),
    ]
    seen = {agent_id for family in families for agent_id in family if agent_id is not None}
    agents = User.objects.filter(Q(is_active=True, role__in=EDITOR_ROLES) | Q(pk__in=seen))
    if members is not None:
        agents = agents.filter(pk__in=members)
    rows = []
    for agent_id, name, email in agents.order_by("name", "pk").values_list("pk", "name", "email"):
        figures: dict[str, Any] = {}
        for family in families:
            figures.update(family.get(agent_id, {}))
        rows.append(AgentMetrics(agent_id=agent_id, name=name, email=email, **figures))
    return rows


Figures = dict[int, dict[str, Any]]


def _of(queryset: QuerySet[Any], column: str, members: list[int] | None) -> QuerySet[Any]:
    return queryset.filter(**{f"{column}__in": members}) if members is not None else queryset


def _received(start: datetime, end: datetime, members: list[int] | None) -> Figures:
    pre_booking = Q(booking_stage=BookingStage.PRE_BOOKING)
    rows = (
        _of(Ticket.objects.filter(assignee__isnull=False, assigned_at__gte=start, assigned_at__lt=end), "assignee_id",
            members)
        .values("assignee_id")
        .annotate(
            # Counting an indexed column, never null here, not the id: PostgreSQL can then answer
            # from the index alone (the same below).
            received=Count("assigned_at"),
            inquiries=Count("assigned_at", filter=pre_booking),
            booked=Count("assigned_at", filter=pre_booking & Q(outcome=Outcome.BOOKED)),
        )
    )  # fmt: skip
    return {row.pop("assignee_id"): row for row in rows}


def _pending() -> Figures:
    """Tickets waiting for a manager are few: they are read through their partial index and counted
    here. Grouping in SQL would tempt SQLite into reading the whole table in assignee order instead."""
    counts: Counter[int] = Counter(
        assignee
        for assignee, status in Ticket.objects.filter(needs_manager=True).values_list("assignee_id", "status")
        if assignee is not None and status in UNSOLVED
    )
    return {assignee: {"pending": count} for assignee, count in counts.items()}


def _closed(start: datetime, end: datetime, members: list[int] | None) -> Figures:
    rows = (
        _of(
            Ticket.objects.filter(
                status__in=CLOSED_STATUSES, solved_at__gte=start, solved_at__lt=end, assignee__isnull=False
            ),
            "assignee_id",
            members,
        )
        .values("assignee_id")
        .annotate(closed=Count("solved_at"))
    )
    return {row.pop("assignee_id"): row for row in rows}


def _responses(start: datetime, end: datetime, members: list[int] | None) -> Figures:
    """Sums and counts per agent, first response or not, and booking phase (at most six groups per
    agent, read in that order from `message_response_report`), added up here into the six averages."""
    rows = (
        _of(
            Message.objects.filter(
                response_seconds__isnull=False, created_at__gte=start, created_at__lt=end, author_agent__isnull=False
            ),
            "author_agent_id",
            members,
        )
        .values("author_agent_id", "first_response", "booking_phase")
        .annotate(total=Sum("response_seconds"), count=Count("response_seconds"))
        .order_by()
    )
    figures: Figures = {}
    for row in rows:
        mean = Mean(total=row["total"], count=row["count"])
        phase = {BookingPhase.BEFORE: "_before", BookingPhase.AFTER: "_after"}.get(row["booking_phase"], "")
        names = ["response", f"response{phase}" if phase else ""]
        if row["first_response"]:
            names += ["first_response", f"first_response{phase}" if phase else ""]
        agent = figures.setdefault(row["author_agent_id"], {})
        for name in filter(None, names):
            agent[name] = agent.get(name, Mean()) + mean
    return figures


class _Seconds(Func):
    """The first datetime minus the second, in seconds, computed by the database itself (Django's own
    datetime subtraction calls back into Python for every row on SQLite)."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((julianday(%(expressions)s)) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM (%(expressions)s))"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)


def _intervals(start: datetime, end: datetime, now: datetime, members: list[int] | None) -> Figures:
    upper = min(end, now)  # an open interval runs up to here
    if upper <= start:
        return {}
    clipped = _Seconds(
        Least(
            Coalesce("ended_at", Value(upper, output_field=DateTimeField())), Value(end, output_field=DateTimeField())
        ),
        Greatest(F("started_at"), Value(start, output_field=DateTimeField())),
    )
    rows = (
        _of(
            WorkInterval.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start), started_at__lt=upper),
            "agent_id",
            members,
        )
        .values("agent_id")
        .annotate(
            work=Sum(clipped, filter=Q(kind=IntervalKind.SHIFT)),
            invisible=Sum(clipped, filter=Q(kind=IntervalKind.PAUSED)),
        )
    )
    return {
        row["agent_id"]: {"work_seconds": round(row["work"] or 0), "invisible_seconds": round(row["invisible"] or 0)}
        for row in rows
    }


# --- the tickets export --------------------------------------------------------------------

# The tickets export's columns (its CSV header), and the field each is read from.
_TICKET_FIELDS = {
    "id": "id",
    "subject": "subject",
    "agent": "assignee__name",
    "team": "team__name",
    "channel": "channel",
    "booking_stage": "booking_stage",
    "status": "status",
    "outcome": "outcome",
    "created_at": "created_at",
    "assigned_at": "assigned_at",
    "first_response_seconds": "first_response_seconds",
    "solved_at": "solved_at",
}
TICKET_COLUMNS = list(_TICKET_FIELDS)


def received_tickets(
    *, user: User, start: datetime, end: datetime, team_id: int | None = None, chunk_size: int = 2000
) -> Iterator[tuple[Any, ...]]:
    """The tickets behind the Received column, one tuple per ticket in `TICKET_COLUMNS` order, by
    assignment time. Read in chunks from a server-side cursor: memory stays the same for any range."""
    require_manager(user)
    report_team(user=user, team_id=team_id)
    _check_period(start, end)
    tickets = Ticket.objects.filter(assignee__isnull=False, assigned_at__gte=start, assigned_at__lt=end)
    if team_id is not None:
        tickets = tickets.filter(assignee__teams=team_id)
    first_response = Message.objects.filter(ticket=OuterRef("pk"), first_response=True).values("response_seconds")
    return (
        tickets.annotate(first_response_seconds=Subquery(first_response[:1], output_field=IntegerField()))
        .order_by("assigned_at", "id")
        .values_list(*_TICKET_FIELDS.values())
        .iterator(chunk_size=chunk_size)
    )


# --- SLA attainment (SPEC SL5) -------------------------------------------------------------
#
# A clock counts in a period [start, end) when it ended in it (`stopped_at` in the period,
# state met or breached: the `sla_clock_stopped` index), or when it still runs and its
# deadline passed in the period, before now (`due_at` in [start, min(end, now)) with no
# `stopped_at`: the partial index `sla_clock_running_breached`). Such a clock is breached
# whatever its stored state says: the sweep may not have marked it yet. A clock counts once
# per report; a breach still open is counted in the period its deadline passed, and when it
# stops it counts (again breached) in the period it stopped. Attainment is met / (met +
# breached). Teams, agents and organisations are the ticket's current ones.

SLA_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION)


@dataclass(frozen=True)
class Attainment:
    """Clocks that met their target and clocks that breached it."""

    met: int = 0
    breached: int = 0

    @property
    def counted(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> float | None:
        """met / (met + breached), 0–1; None when nothing counted."""
        return self.met / self.counted if self.counted else None

    def __add__(self, other: "Attainment") -> "Attainment":
        return Attainment(self.met + other.met, self.breached + other.breached)


@dataclass(frozen=True)
class AttainmentRow:
    """One policy's, team's, agent's or organisation's attainment per metric (key None: without one)."""

    key: int | None
    name: str
    first_response: Attainment = field(default_factory=Attainment)
    next_response: Attainment = field(default_factory=Attainment)
    resolution: Attainment = field(default_factory=Attainment)

    @property
    def overall(self) -> Attainment:
        return self.first_response + self.next_response + self.resolution

    def metric(self, metric: str) -> Attainment:
        value: Attainment = getattr(self, metric)
        return value

    def __add__(self, other: "AttainmentRow") -> "AttainmentRow":
        return AttainmentRow(
            key=self.key,
            name=self.name,
            **{metric: self.metric(metric) + other.metric(metric) for metric in SLA_METRICS},
        )


class Breakdown:
    POLICY = "policy"
    TEAM = "team"
    AGENT = "agent"
    ORGANISATION = "organisation"


# What each breakdown groups the clocks by (its id and name), and what its "none" row is called.
_BREAKDOWNS: dict[str, tuple[str, str, StrOrPromise]] = {
    Breakdown.POLICY: ("policy_id", "policy__name", _("No policy (deleted)")),
    Breakdown.TEAM: ("ticket__team_id", "ticket__team__name", _("No team")),
    Breakdown.AGENT: ("ticket__assignee_id", "ticket__assignee__name", _("Unassigned")),
    Breakdown.ORGANISATION: ("ticket__organisation_id", "ticket__organisation__name", _("No organisation")),
}
BREAKDOWNS = list(_BREAKDOWNS)


@dataclass(frozen=True)
class SlaReport:
    start: datetime
    end: datetime
    metric: str | None
    team_id: int | None
    total: AttainmentRow
    breakdowns: dict[str, list[AttainmentRow]]  # by Breakdown, each sorted by name, "none" last

    @property
    def metrics(self) -> list[str]:
        """The metrics the report shows: the one asked for, or all three."""
        return [self.metric] if self.metric else list(SLA_METRICS)


def counted_clocks(*, start: datetime, end: datetime, now: datetime) -> QuerySet[Clock]:
    """The clocks that count in [start, end): ended in it (met or breached), or still running with
    their deadline passed in it. Read through `sla_clock_stopped` and `sla_clock_running_breached`."""
    ended = Q(stopped_at__gte=start, stopped_at__lt=end, state__in=[ClockState.MET, ClockState.BREACHED])
    upper = min(end, now)
    if upper <= start:
        return Clock.objects.filter(ended)
    overdue = Q(stopped_at__isnull=True, due_at__gte=start, due_at__lt=upper)
    return Clock.objects.filter(ended | overdue)


# A counted clock that did not meet its target breached it (a running one is overdue).
_BREACHED = ~Q(state=ClockState.MET)


def _attainment_counts() -> dict[str, Count]:
    counts = {}
    for metric in SLA_METRICS:
        counts[f"{metric}_met"] = Count("pk", filter=Q(metric=metric, state=ClockState.MET))
        counts[f"{metric}_breached"] = Count("pk", filter=Q(metric=metric) & _BREACHED)
    return counts


def _attainment_row(key: int | None, name: str, figures: dict[str, int]) -> AttainmentRow:
    return AttainmentRow(
        key=key,
        name=name,
        **{
            metric: Attainment(met=figures[f"{metric}_met"], breached=figures[f"{metric}_breached"])
            for metric in SLA_METRICS
        },
    )


def sla_report(
    *, user: User, start: datetime, end: datetime, now: datetime, metric: str | None = None, team_id: int | None = None
) -> SlaReport:
    """SLA attainment over [start, end) in total and by policy, team, agent and organisation: one
    grouped query per breakdown, whatever the number of clocks. With `metric`, only that metric's
    clocks; with `team_id`, only the clocks of that team's tickets. Supervisors and admins only."""
    require_manager(user)
    _check_period(start, end)
    if metric and metric not in SLA_METRICS:
        raise ValidationError(f"Unknown metric “{metric}”; use one of: {', '.join(SLA_METRICS)}.", field="metric")
    report_team(user=user, team_id=team_id)
    clocks = counted_clocks(start=start, end=end, now=now)
    if metric:
        clocks = clocks.filter(metric=metric)
    if team_id is not None:
        clocks = clocks.filter(ticket__team_id=team_id)
    breakdowns = {}
    for breakdown, (key, name, nobody) in _BREAKDOWNS.items():
        groups = clocks.values(key, name).annotate(**_attainment_counts()).order_by()
        rows = []
        for group in groups:
            pk, label = group.pop(key), group.pop(name)
            rows.append(_attainment_row(pk, str(nobody) if pk is None else label or f"#{pk}", group))
        breakdowns[breakdown] = sorted(rows, key=lambda row: (row.key is None, row.name.casefold(), row.key or 0))
    total = sum(breakdowns[Breakdown.POLICY], AttainmentRow(key=None, name=str(_("All"))))
    return SlaReport(start=start, end=end, metric=metric or None, team_id=team_id, total=total, breakdowns=breakdowns)


# --- the contract report -------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    ticket_id: int
    subject: str
    metric: str
    due_at: datetime
    stopped_at: datetime | None  # None: still open (not answered, not solved)
    late_seconds: int  # from the deadline to the stop, or to now while it is open (wall-clock)


@dataclass(frozen=True)
class ContractReport:
    organisation: Organisation
    start: datetime
    end: datetime
    contracts: list[Contract]  # the organisation's contracts running at some time in the period
    tickets_created: int
    attainment: AttainmentRow  # per metric and overall
    first_response_seconds: float | None  # average business time of the first responses given
    breaches: list[Breach]


def contract_report(*, user: User, organisation_id: int, period: Period, now: datetime) -> ContractReport:
    """One customer's SLA over a period, as sent to them: their contracts running in it (with their
    policies), the tickets they opened in it, attainment per metric, the average first response and
    every breach. A fixed number of queries (five), whatever the size. Supervisors and admins only."""
    require_manager(user)
    _check_period(period.start, period.end)
    organisation = access_organisation(user, organisation_id)
    start, end = period.start, period.end
    contracts = list(
        Contract.objects.filter(organisation=organisation, starts_on__lte=period.last_day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period.first_day))
        .select_related("policy")
        .order_by("starts_on", "pk")
    )
    tickets_created = Ticket.objects.filter(
        organisation=organisation, created_at__gte=start, created_at__lt=end
    ).count()
    clocks = counted_clocks(start=start, end=end, now=now).filter(ticket__organisation=organisation)
    answered = Q(metric=Metric.FIRST_RESPONSE, stopped_at__isnull=False)
    figures = clocks.aggregate(
        **_attainment_counts(),
        first_response_total=Sum("elapsed_seconds", filter=answered),
        first_response_count=Count("pk", filter=answered),
    )
    first = Mean(total=figures.pop("first_response_total") or 0, count=figures.pop("first_response_count"))
    rows = (
        clocks.filter(_BREACHED)
        .order_by("due_at", "ticket_id", "metric")
        .values_list("ticket_id", "ticket__subject", "metric", "due_at", "stopped_at")
    )
    breaches = [
        Breach(
            ticket_id=ticket_id,
            subject=subject,
            metric=metric,
            due_at=due_at,
            stopped_at=stopped_at,
            late_seconds=max(0, round(((stopped_at or now) - due_at).total_seconds())),
        )
        for ticket_id, subject, metric, due_at, stopped_at in rows
        if due_at is not None  # a breached clock always has its deadline
    ]
    return ContractReport(
        organisation=organisation,
        start=start,
        end=end,
        contracts=contracts,
        tickets_created=tickets_created,
        attainment=_attainment_row(organisation.pk, organisation.name, figures),
        first_response_seconds=first.value,
        breaches=breaches,
    )


def contract_organisations(*, user: User) -> QuerySet[Organisation]:
    """The organisations with a contract, by name: the contract report's picker."""
    require_manager(user)
    return Organisation.objects.filter(pk__in=Contract.objects.values("organisation_id")).order_by("name")
