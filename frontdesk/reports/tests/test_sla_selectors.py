"""SLA attainment and the contract report: which clocks count, and each figure on small scenarios."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Organisation, Role, User
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, TeamFactory, UserFactory
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationError
from frontdesk.reports.periods import days_period
from frontdesk.reports.selectors import (
    Attainment,
    AttainmentRow,
    Breakdown,
    SlaReport,
    contract_organisations,
    contract_report,
    sla_report,
)
from frontdesk.reports.tests.factories import breached, clock, met
from frontdesk.sla.models import ClockState, Contract, Metric, Policy
from frontdesk.sla.services import sla_refresh, sla_sweep
from frontdesk.sla.tests.factories import PolicyFactory, policy_with
from frontdesk.tickets.models import Status, Ticket
from frontdesk.tickets.services import ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import TicketFactory, new_ticket

pytestmark = pytest.mark.django_db

OCTOBER = days_period(date(2026, 10, 1), date(2026, 10, 31), zone=UTC)
START, END = OCTOBER.start, OCTOBER.end
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
FR, NR, RES = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION


def day(n: float) -> datetime:
    """A time in October 2026: day(1) is its first instant, day(32) the first of November."""
    return START + timedelta(days=n - 1)


def ticket(**fields: Any) -> Ticket:
    return TicketFactory.create(created_at=fields.pop("created_at", day(1)), **fields)


def report(user: User, **filters: Any) -> SlaReport:
    return sla_report(user=user, start=START, end=END, now=NOW, **filters)


def figures(row: AttainmentRow) -> dict[str, tuple[int, int]]:
    return {metric: (row.metric(metric).met, row.metric(metric).breached) for metric in (FR, NR, RES)}


# --- which clocks count ---------------------------------------------------------------------


def test_a_clock_counts_when_it_ended_in_the_period(supervisor: User) -> None:
    subject = ticket()
    met(subject, FR, START)  # the first instant of the period
    met(subject, RES, day(31.99))
    breached(subject, NR, day(10), day(11), started_at=day(9))
    met(subject, NR, day(1) - timedelta(seconds=1), started_at=day(0))  # the day before
    met(subject, NR, END, started_at=day(31))  # the first instant of the next period

    assert figures(report(supervisor).total) == {FR: (1, 0), NR: (0, 1), RES: (1, 0)}


def test_a_running_clock_counts_as_breached_once_its_deadline_passed_in_the_period(supervisor: User) -> None:
    subject = ticket()
    breached(subject, FR, day(5))  # marked by the sweep
    clock(subject, RES, ClockState.RUNNING, due_at=day(20))  # 12 hours overdue, not swept yet
    clock(subject, NR, ClockState.RUNNING, due_at=NOW + timedelta(minutes=1), started_at=day(19))  # not yet due
    breached(subject, NR, day(0.5), started_at=day(0))  # breached in September: counted there
    clock(subject, NR, ClockState.PAUSED, started_at=day(2))  # paused: no deadline

    assert figures(report(supervisor).total) == {FR: (0, 1), NR: (0, 0), RES: (0, 1)}


def test_a_period_in_the_future_counts_only_clocks_that_ended(supervisor: User) -> None:
    breached(ticket(), FR, day(25))

    assert report(supervisor).total.overall == Attainment()


# --- attainment and the breakdowns ----------------------------------------------------------


def test_attainment_is_met_over_met_and_breached_per_metric_and_overall(supervisor: User) -> None:
    subject = ticket()
    for n in range(3):
        met(ticket(), FR, day(2 + n))
    breached(subject, FR, day(3), day(4))
    met(subject, RES, day(6))

    total = report(supervisor).total

    assert (total.first_response.rate, total.resolution.rate, total.next_response.rate) == (0.75, 1.0, None)
    assert total.overall == Attainment(met=4, breached=1)
    assert total.overall.rate == 0.8


def test_breakdowns_group_by_policy_team_agent_and_organisation_with_the_none_row_last(supervisor: User) -> None:
    gold, silver = PolicyFactory.create(name="Gold"), PolicyFactory.create(name="silver")
    sales = TeamFactory.create(name="Sales")
    ana = UserFactory.create(name="Ana")
    acme = OrganisationFactory.create(name="Acme")
    theirs = ticket(team=sales, assignee=ana, organisation=acme)
    met(theirs, FR, day(2), policy=gold)
    breached(theirs, RES, day(3), policy=gold)
    met(ticket(), FR, day(4), policy=silver)

    breakdowns = report(supervisor).breakdowns

    named = {breakdown: [(row.name, row.overall) for row in rows] for breakdown, rows in breakdowns.items()}
    assert named[Breakdown.POLICY] == [("Gold", Attainment(1, 1)), ("silver", Attainment(1, 0))]
    assert named[Breakdown.TEAM] == [("Sales", Attainment(1, 1)), ("No team", Attainment(1, 0))]
    assert named[Breakdown.AGENT] == [("Ana", Attainment(1, 1)), ("Unassigned", Attainment(1, 0))]
    assert named[Breakdown.ORGANISATION] == [("Acme", Attainment(1, 1)), ("No organisation", Attainment(1, 0))]
    assert [row.key for row in breakdowns[Breakdown.POLICY]] == [gold.pk, silver.pk]
    assert [row.key for row in breakdowns[Breakdown.ORGANISATION]] == [acme.pk, None]


def test_a_deleted_policy_leaves_its_clocks_in_a_row_of_their_own(supervisor: User) -> None:
    met(ticket(), FR, day(2), policy=None)

    (row,) = report(supervisor).breakdowns[Breakdown.POLICY]

    assert (row.key, row.name, row.overall) == (None, "No policy (deleted)", Attainment(1, 0))


def test_metric_filter_keeps_that_metrics_clocks(supervisor: User) -> None:
    subject = ticket()
    met(subject, FR, day(2))
    breached(subject, RES, day(3))

    filtered = report(supervisor, metric=RES)

    assert (filtered.metric, filtered.metrics) == (RES, [RES])
    assert figures(filtered.total) == {FR: (0, 0), NR: (0, 0), RES: (0, 1)}


def test_team_filter_keeps_the_clocks_of_that_teams_tickets(supervisor: User) -> None:
    sales, support = TeamFactory.create(), TeamFactory.create()
    met(ticket(team=sales), FR, day(2))
    breached(ticket(team=support), FR, day(3))

    filtered = report(supervisor, team_id=sales.pk)

    assert filtered.total.overall == Attainment(1, 0)
    assert [row.key for row in filtered.breakdowns[Breakdown.TEAM]] == [sales.pk]


def test_an_empty_period_has_no_rows_and_no_attainment(supervisor: User) -> None:
    empty = report(supervisor)

    assert all(rows == [] for rows in empty.breakdowns.values())
    assert empty.total.overall.rate is None


def test_the_report_is_four_queries_however_many_clocks(
    supervisor: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(6):
        subject = ticket(team=TeamFactory.create(), assignee=UserFactory.create(),
                         organisation=OrganisationFactory.create())  # fmt: skip
        met(subject, FR, day(2 + n), policy=PolicyFactory.create())
        breached(subject, RES, day(3 + n))

    with django_assert_num_queries(4):
        rows = report(supervisor).breakdowns[Breakdown.ORGANISATION]

    assert len(rows) == 6


@pytest.mark.parametrize("role", [Role.AGENT, Role.LIGHT_AGENT])
def test_only_supervisors_and_admins_see_attainment(role: str) -> None:
    with pytest.raises(PermissionDenied):
        report(UserFactory.create(role=role))


def test_an_unknown_metric_or_team_is_refused_with_its_field(supervisor: User) -> None:
    with pytest.raises(ValidationError) as metric:
        report(supervisor, metric="happiness")
    with pytest.raises(ValidationError) as team:
        report(supervisor, team_id=999_999)

    assert (metric.value.field, team.value.field) == ("metric", "team")


# --- the contract report ----------------------------------------------------------------------


@pytest.fixture
def acme() -> Organisation:
    return OrganisationFactory.create(name="Acme")


def contract(organisation: Organisation, name: str, starts: date, ends: date | None, policy: Policy) -> Contract:
    return Contract.objects.create(organisation=organisation, name=name, policy=policy, starts_on=starts, ends_on=ends)


def test_contract_report_lists_the_contracts_running_in_the_period(supervisor: User, acme: Organisation) -> None:
    gold = PolicyFactory.create(name="Gold")
    contract(acme, "2025", date(2025, 1, 1), date(2026, 9, 30), gold)  # ended the day before
    contract(acme, "Autumn", date(2026, 9, 1), date(2026, 10, 1), gold)  # its last day is the first
    contract(acme, "Open-ended", date(2026, 10, 31), None, gold)  # starts on the last day
    contract(acme, "2027", date(2026, 11, 1), None, gold)  # starts the day after
    contract(OrganisationFactory.create(), "Someone else's", date(2026, 1, 1), None, gold)

    result = contract_report(user=supervisor, organisation_id=acme.pk, period=OCTOBER, now=NOW)

    assert [(item.name, item.policy.name) for item in result.contracts] == [("Autumn", "Gold"), ("Open-ended", "Gold")]


def test_contract_report_counts_tickets_created_in_the_period(supervisor: User, acme: Organisation) -> None:
    for created in (day(1), day(15), day(31.99), day(0.99), day(32)):
        ticket(organisation=acme, created_at=created)
    ticket(created_at=day(2))  # another organisation's

    result = contract_report(user=supervisor, organisation_id=acme.pk, period=OCTOBER, now=NOW)

    assert result.tickets_created == 3


def test_contract_report_has_attainment_average_first_response_and_every_breach(
    supervisor: User, acme: Organisation
) -> None:
    answered = ticket(organisation=acme, subject="Wi-Fi down")
    waiting = ticket(organisation=acme, subject="Invoice copy")
    met(answered, FR, day(2), elapsed_seconds=1200)
    breached(answered, RES, day(3), day(4), elapsed_seconds=9999)  # solved a day late
    met(ticket(organisation=acme), FR, day(5), elapsed_seconds=1800)
    breached(waiting, FR, day(20), elapsed_seconds=3600)  # still unanswered, 12 hours late
    breached(ticket(), FR, day(6), day(7))  # another organisation's

    result = contract_report(user=supervisor, organisation_id=acme.pk, period=OCTOBER, now=NOW)

    assert figures(result.attainment) == {FR: (2, 1), NR: (0, 0), RES: (0, 1)}
    assert result.attainment.first_response.rate == pytest.approx(2 / 3)
    assert result.first_response_seconds == 1500  # the answered ones: (1200 + 1800) / 2
    assert [(b.ticket_id, b.subject, b.metric, b.due_at, b.stopped_at, b.late_seconds) for b in result.breaches] == [
        (answered.pk, "Wi-Fi down", RES, day(3), day(4), 86400),
        (waiting.pk, "Invoice copy", FR, day(20), None, 12 * 3600),
    ]


def test_contract_report_without_clocks_shows_dashes_not_zeros(supervisor: User, acme: Organisation) -> None:
    result = contract_report(user=supervisor, organisation_id=acme.pk, period=OCTOBER, now=NOW)

    assert (result.attainment.overall.rate, result.first_response_seconds, result.breaches) == (None, None, [])


def test_contract_report_is_five_queries_however_many_breaches(
    supervisor: User, acme: Organisation, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    contract(acme, "Gold", date(2026, 1, 1), None, PolicyFactory.create())
    for n in range(5):
        breached(ticket(organisation=acme), FR, day(2 + n), day(3 + n))

    with django_assert_num_queries(5):
        result = contract_report(user=supervisor, organisation_id=acme.pk, period=OCTOBER, now=NOW)

    assert len(result.breaches) == 5


def test_contract_report_of_an_unknown_organisation_is_not_found(supervisor: User) -> None:
    with pytest.raises(NotFound):
        contract_report(user=supervisor, organisation_id=999_999, period=OCTOBER, now=NOW)


def test_contract_report_is_for_supervisors_and_admins(acme: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        contract_report(user=UserFactory.create(role=Role.AGENT), organisation_id=acme.pk, period=OCTOBER, now=NOW)


def test_the_picker_lists_organisations_with_a_contract(supervisor: User, acme: Organisation) -> None:
    policy = PolicyFactory.create()
    contract(acme, "One", date(2026, 1, 1), None, policy)
    contract(acme, "Two", date(2027, 1, 1), None, policy)
    OrganisationFactory.create(name="No contract")

    assert list(contract_organisations(user=supervisor)) == [acme]


# --- end to end: what the SLA app writes ----------------------------------------------------


@pytest.fixture
def _at_the_start() -> Iterator[None]:
    with time_machine.travel(day(5), tick=False):
        yield


@pytest.mark.usefixtures("_at_the_start")
def test_reports_read_the_clocks_that_refresh_and_sweep_write(supervisor: User, acme: Organisation) -> None:
    """60 minutes to the first response, 480 to resolution, 24/7. One ticket answered in 30 minutes and
    solved in 2 hours; one left unanswered past both deadlines; one answered late, after 90 minutes."""
    policy = policy_with(name="Standard")
    contract(acme, "Standard support", date(2026, 1, 1), None, policy)
    team = TeamFactory.create(name="Support")
    ana = UserFactory.create(name="Ana")
    team.members.add(ana)
    opened = day(5)

    def create(subject: str) -> Ticket:
        created = new_ticket(subject=subject, requester=ContactFactory.create(organisation=acme), team=team,
                             assignee=ana, now=opened)  # fmt: skip
        sla_refresh(ticket_id=created.pk, now=opened)
        return created

    quick, ignored, late = create("Quick"), create("Ignored"), create("Late")
    ticket_reply(ticket=quick, author=ana, body_text="On it", now=opened + timedelta(minutes=30))
    ticket_update(ticket=Ticket.objects.get(pk=quick.pk), actor=ana, now=opened + timedelta(hours=2),
                  status=Status.SOLVED)  # fmt: skip
    ticket_reply(ticket=late, author=ana, body_text="Sorry", now=opened + timedelta(minutes=90))
    for subject in (quick, late):
        sla_refresh(ticket_id=subject.pk, now=opened + timedelta(hours=2))
    sla_sweep(now=opened + timedelta(hours=9))  # past both of "Ignored"'s deadlines and "Late"'s resolution
    now = opened + timedelta(hours=10)

    attainment = sla_report(user=supervisor, start=START, end=END, now=now)
    customer = contract_report(user=supervisor, organisation_id=acme.pk, period=OCTOBER, now=now)

    assert figures(attainment.total) == {FR: (1, 2), NR: (0, 0), RES: (1, 2)}
    assert [row.name for row in attainment.breakdowns[Breakdown.POLICY]] == ["Standard"]
    assert [row.name for row in attainment.breakdowns[Breakdown.AGENT]] == ["Ana"]
    assert figures(customer.attainment) == figures(attainment.total)
    assert customer.tickets_created == 3
    assert [item.name for item in customer.contracts] == ["Standard support"]
    assert customer.first_response_seconds == (30 + 90) * 60 / 2
    assert sorted((b.ticket_id, b.metric, b.late_seconds) for b in customer.breaches) == [
        (ignored.pk, FR, 9 * 3600),
        (ignored.pk, RES, 2 * 3600),
        (late.pk, FR, 30 * 60),
        (late.pk, RES, 2 * 3600),
    ]
