"""The per-agent report: each metric on a small hand-made scenario with exact figures."""

from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.core.errors import PermissionDenied, ValidationError
from frontdesk.reports.selectors import AgentMetrics, Mean, agent_report, received_tickets, report_total
from frontdesk.reports.tests.factories import assigned_ticket, pause, reply, shift
from frontdesk.tickets.models import BookingStage, Outcome, Status
from frontdesk.tickets.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 10, 5, tzinfo=UTC)  # the period: Monday 5 October 2026, 00:00 to 24:00 UTC
START, END = DAY, DAY + timedelta(days=1)
NOW = DAY + timedelta(hours=18)
HOUR = 3600


def at(hours: float) -> datetime:
    """A time on the report's day (negative: the day before)."""
    return DAY + timedelta(hours=hours)


@pytest.fixture
def ana() -> User:
    return UserFactory.create(name="Ana")


@pytest.fixture
def ben() -> User:
    return UserFactory.create(name="Ben")


def row_of(supervisor: User, agent: User, *, start: datetime = START, end: datetime = END) -> AgentMetrics:
    rows = agent_report(user=supervisor, start=start, end=end, now=NOW)
    return next(row for row in rows if row.agent_id == agent.pk)


def test_received_counts_tickets_assigned_to_the_agent_in_the_period(supervisor: User, ana: User) -> None:
    assigned_ticket(ana, at(0))  # the first moment of the period
    assigned_ticket(ana, at(9))
    assigned_ticket(ana, at(23.99))
    assigned_ticket(ana, at(-0.01))  # the day before
    assigned_ticket(ana, at(24))  # the first moment of the next period
    assigned_ticket(None, None)

    assert row_of(supervisor, ana).received == 3


def test_conversion_is_the_share_of_pre_booking_tickets_received_that_were_booked(supervisor: User, ana: User) -> None:
    pre = BookingStage.PRE_BOOKING
    assigned_ticket(ana, at(9), booking_stage=pre, outcome=Outcome.BOOKED)
    assigned_ticket(ana, at(10), booking_stage=pre, outcome=Outcome.NOT_BOOKED)
    assigned_ticket(ana, at(11), booking_stage=pre, outcome="")
    assigned_ticket(ana, at(12), booking_stage=BookingStage.POST_BOOKING, outcome=Outcome.BOOKED)
    assigned_ticket(ana, at(-2), booking_stage=pre, outcome=Outcome.BOOKED)  # received the day before

    row = row_of(supervisor, ana)

    assert (row.received, row.inquiries, row.booked) == (4, 3, 1)
    assert row.conversion == pytest.approx(1 / 3)


def test_conversion_is_empty_without_inquiries(supervisor: User, ana: User) -> None:
    assigned_ticket(ana, at(9), booking_stage=BookingStage.IN_STAY)

    assert row_of(supervisor, ana).conversion is None


def test_pending_counts_the_agents_unsolved_tickets_waiting_for_a_manager_now(
    supervisor: User, ana: User, ben: User
) -> None:
    assigned_ticket(ana, at(-100), needs_manager=True, status=Status.OPEN)  # assigned long before the period
    assigned_ticket(ana, at(9), needs_manager=True, status=Status.PENDING)
    assigned_ticket(ana, at(9), needs_manager=True, status=Status.SOLVED)  # no longer waiting on anyone
    assigned_ticket(ana, at(9), needs_manager=False, status=Status.PENDING)  # waits for the customer
    assigned_ticket(ben, at(9), needs_manager=True, status=Status.ON_HOLD)

    assert row_of(supervisor, ana).pending == 2
    assert row_of(supervisor, ben).pending == 1


def test_closed_counts_tickets_solved_in_the_period_that_stay_solved_or_closed(supervisor: User, ana: User) -> None:
    assigned_ticket(ana, at(-30), status=Status.CLOSED, solved_at=at(12))
    assigned_ticket(ana, at(-30), status=Status.SOLVED, solved_at=at(1))
    assigned_ticket(ana, at(-30), status=Status.SOLVED, solved_at=at(-1))  # the day before
    assigned_ticket(ana, at(-30), status=Status.OPEN, solved_at=at(2))  # reopened since

    assert row_of(supervisor, ana).closed == 2


def test_response_times_average_first_and_all_responses_before_and_after_booking(
    supervisor: User, ana: User, ben: User
) -> None:
    reply(ana, at(9), waited=600, first=True, phase="before")
    reply(ana, at(10), waited=300, phase="before")
    reply(ana, at(11), waited=1200, first=True, phase="after")
    reply(ana, at(12), waited=60, phase="after")
    reply(ana, at(13), waited=None)  # answered no one: a second reply in a row
    reply(ana, at(-1), waited=9999, first=True, phase="before")  # the day before
    reply(ben, at(9), waited=100, first=True, phase="after")

    row = row_of(supervisor, ana)

    assert row.first_response == Mean(total=1800, count=2)
    assert row.first_response.value == 900
    assert row.first_response_before.value == 600
    assert row.first_response_after.value == 1200
    assert row.response.value == 540
    assert row.response_before.value == 450
    assert row.response_after.value == 630
    assert row_of(supervisor, ben).response_before.value is None
    assert row_of(supervisor, ben).response_after.value == 100


def test_response_times_belong_to_the_replys_author_not_the_tickets_assignee(
    supervisor: User, ana: User, ben: User
) -> None:
    bens_ticket = assigned_ticket(ben, at(1))
    reply(ana, at(9), waited=120, first=True, phase="after", ticket=bens_ticket)

    assert row_of(supervisor, ana).first_response.value == 120
    assert row_of(supervisor, ben).first_response.value is None


def test_work_and_invisible_time_are_clipped_to_the_period_and_open_intervals_run_to_now(
    supervisor: User, ana: User
) -> None:
    shift(ana, at(-10), at(-8))  # the day before: not counted
    shift(ana, at(-2), at(2))  # across midnight: 2 h in the period
    shift(ana, at(8), at(12))  # 4 h
    shift(ana, at(16), None)  # still running: 2 h up to now (18:00)
    pause(ana, at(9), at(9.5))  # 30 min
    pause(ana, at(17), None)  # still paused: 1 h up to now

    row = row_of(supervisor, ana)

    assert row.work_seconds == 8 * HOUR
    assert row.invisible_seconds == int(1.5 * HOUR)


def test_an_open_interval_counts_up_to_the_end_of_a_past_period(supervisor: User, ana: User) -> None:
    shift(ana, at(-4), None)  # started at 20:00 the day before, still running at 18:00 today
    pause(ana, at(-1), at(1))

    yesterday = row_of(supervisor, ana, start=START - timedelta(days=1), end=START)
    today = row_of(supervisor, ana, start=START, end=END)

    assert (yesterday.work_seconds, yesterday.invisible_seconds) == (4 * HOUR, HOUR)
    assert (today.work_seconds, today.invisible_seconds) == (18 * HOUR, HOUR)


def test_a_period_after_now_has_no_work_time(supervisor: User, ana: User) -> None:
    shift(ana, at(16), None)

    tomorrow = row_of(supervisor, ana, start=END, end=END + timedelta(days=1))

    assert tomorrow.work_seconds == 0


def test_lists_agents_who_can_receive_tickets_and_anyone_else_with_figures(supervisor: User, ana: User) -> None:
    UserFactory.create(name="Lia Light", role=Role.LIGHT_AGENT)
    UserFactory.create(name="Old Agent", is_active=False)
    gone = UserFactory.create(name="Gone Agent", is_active=False)
    assigned_ticket(gone, at(3))

    rows = agent_report(user=supervisor, start=START, end=END, now=NOW)

    assert [row.name for row in rows] == ["Ana", "Gone Agent", "Sara Supervisor"]
    assert rows[0] == AgentMetrics(agent_id=ana.pk, name="Ana", email=ana.email)


def test_team_filter_keeps_the_teams_members_with_all_their_tickets(supervisor: User, ana: User, ben: User) -> None:
    team = TeamFactory.create(members=[ana])
    assigned_ticket(ana, at(9))  # not the team's ticket: still Ana's work
    assigned_ticket(ben, at(9), team=team)

    rows = agent_report(user=supervisor, start=START, end=END, now=NOW, team_id=team.pk)

    assert [(row.name, row.received) for row in rows] == [("Ana", 1)]


def test_the_report_takes_one_query_per_family_of_metrics_whatever_the_number_of_agents(
    supervisor: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(5):
        agent = UserFactory.create()
        assigned_ticket(agent, at(n), booking_stage=BookingStage.PRE_BOOKING, needs_manager=True)
        reply(agent, at(n + 1), waited=60, first=True, phase="before")
        shift(agent, at(n), None)

    with django_assert_num_queries(6):  # received, pending, closed, responses, intervals, agents
        rows = agent_report(user=supervisor, start=START, end=END, now=NOW)

    assert sum(row.received for row in rows) == 10  # each reply's ticket is assigned to its author too


def test_total_adds_counts_and_averages_over_all_replies() -> None:
    rows = [
        AgentMetrics(agent_id=1, name="A", received=2, response=Mean(100, 1), inquiries=2, booked=1),
        AgentMetrics(agent_id=2, name="B", received=3, response=Mean(500, 3), inquiries=2, booked=2),
    ]

    total = report_total(rows, "All agents")

    assert (total.received, total.response.value, total.conversion) == (5, 150, 0.75)


def test_agents_may_not_see_reports(ana: User) -> None:
    with pytest.raises(PermissionDenied):
        agent_report(user=ana, start=START, end=END, now=NOW)
    with pytest.raises(PermissionDenied):
        received_tickets(user=ana, start=START, end=END)


def test_a_period_must_end_after_it_starts(supervisor: User) -> None:
    with pytest.raises(ValidationError):
        agent_report(user=supervisor, start=END, end=START, now=NOW)


def test_an_unknown_team_is_refused(supervisor: User) -> None:
    with pytest.raises(ValidationError):
        agent_report(user=supervisor, start=START, end=END, now=NOW, team_id=999_999)


def test_received_tickets_lists_each_ticket_with_its_first_response_time(supervisor: User, ana: User) -> None:
    ticket = assigned_ticket(
        ana, at(9), subject="Dogs allowed?", channel="airbnb", booking_stage=BookingStage.PRE_BOOKING,
        outcome=Outcome.BOOKED, created_at=at(8), status=Status.SOLVED, solved_at=at(11),
    )  # fmt: skip
    MessageFactory.create(ticket=ticket, created_at=at(8))
    reply(ana, at(10), waited=7200, first=True, phase="before", ticket=ticket)
    reply(ana, at(10.5), waited=60, phase="before", ticket=ticket)
    assigned_ticket(ana, at(-1))

    rows = list(received_tickets(user=supervisor, start=START, end=END))

    assert rows == [
        (ticket.pk, "Dogs allowed?", "Ana", None, "airbnb", "pre_booking", "solved", "booked",
         at(8), at(9), 7200, at(11)),
    ]  # fmt: skip
