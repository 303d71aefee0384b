from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError
from frontdesk.routing import services
from frontdesk.routing.models import AgentState, Assignment, IntervalKind, RoutingProfile, Rule, WorkInterval
from frontdesk.routing.services import (
    intake_pause,
    intake_resume,
    routing_assign_waiting,
    routing_profile_update,
    routing_rebalance,
    shift_start,
    shift_stop,
)
from frontdesk.routing.tests.factories import working_agent
from frontdesk.tickets.models import EventKind, Message, MessageKind, Status, Ticket, TicketEvent
from frontdesk.tickets.services import (
    ticket_add_customer_message,
    ticket_mark_opened,
    ticket_reply,
    ticket_route,
    ticket_update,
)
from frontdesk.tickets.tests.factories import NOW, TicketFactory, new_ticket

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(minutes=5)


def holding(agent: User, count: int, **fields: object) -> list[Ticket]:
    """`count` unanswered tickets the agent holds and has not opened."""
    return TicketFactory.create_batch(count, assignee=agent, status=Status.OPEN, assigned_at=NOW, **fields)


def waiting(count: int = 1, **fields: object) -> list[Ticket]:
    return TicketFactory.create_batch(count, **fields)


def manager() -> User:
    return UserFactory.create(role=Role.SUPERVISOR)


# --- RT2: automatic assignment ----------------------------------------------------------


def test_new_ticket_goes_to_the_agent_with_fewest_unanswered_as_in_the_seed() -> None:
    ana, ben, carla = working_agent("Ana"), working_agent("Ben"), working_agent("Carla")
    holding(ana, 20)
    holding(ben, 20)
    holding(carla, 5)
    [ticket] = waiting()

    assert routing_assign_waiting(now=LATER) == 1

    ticket.refresh_from_db()
    assert ticket.assignee == carla
    assert ticket.status == Status.OPEN
    assert ticket.assigned_at == LATER


def test_ties_go_to_the_agent_idle_longest() -> None:
    working_agent("Recent", idle_since=NOW)
    longest = working_agent("Longest", idle_since=NOW - timedelta(hours=1))
    [ticket] = waiting()

    routing_assign_waiting(now=LATER)

    ticket.refresh_from_db()
    assert ticket.assignee == longest


def test_tickets_are_spread_evenly_and_oldest_first() -> None:
    ana, ben = working_agent("Ana"), working_agent("Ben")
    tickets = [TicketFactory.create(awaiting_since=NOW - timedelta(minutes=minutes)) for minutes in range(6)]

    assert routing_assign_waiting(now=LATER) == 6

    counts = {agent: Ticket.objects.filter(assignee=agent).count() for agent in (ana, ben)}
    assert counts == {ana: 3, ben: 3}
    assert Assignment.objects.order_by("id").values_list("ticket_id", flat=True)[0] == tickets[-1].pk


def test_capacity_is_respected_and_the_rest_waits_in_the_queue() -> None:
    agent = working_agent(capacity=2)
    holding(agent, 1)
    waiting(3)

    assert routing_assign_waiting(now=LATER) == 1

    assert Ticket.objects.filter(assignee=agent).count() == 2
    assert Ticket.objects.filter(assignee__isnull=True).count() == 2


def test_a_waiting_ticket_is_assigned_as_soon_as_someone_becomes_eligible(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    agent = UserFactory.create()
    [older, newer] = [TicketFactory.create(awaiting_since=NOW - timedelta(minutes=m)) for m in (10, 5)]
    RoutingProfile.objects.create(agent=agent, capacity=1)
    assert routing_assign_waiting(now=NOW) == 0  # off shift: nobody is eligible

    with django_capture_on_commit_callbacks(execute=True):
        shift_start(agent=agent, actor=agent, now=LATER)

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.assignee == agent
    assert newer.assignee is None


def test_every_assignment_records_its_rule_and_the_counts_it_compared() -> None:
    ana, ben = working_agent("Ana"), working_agent("Ben")
    holding(ben, 3)
    [ticket] = waiting()

    routing_assign_waiting(now=LATER)

    decision = Assignment.objects.get(ticket=ticket)
    assert decision.rule == Rule.ASSIGNED
    assert decision.agent == ana
    assert decision.figures["unanswered"] == {str(ana.pk): 0, str(ben.pk): 3}
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ROUTED)
    assert event.new_value == "Ana"
    assert "fewest unanswered" in event.note
    assert "Ana 0; Ben 3" in event.note


def test_a_new_ticket_is_assigned_when_it_is_created(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    agent = working_agent()

    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket()

    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_a_customer_reply_on_an_unassigned_ticket_is_assigned(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    ticket = TicketFactory.create(awaiting_agent=False, awaiting_since=None, status=Status.PENDING)
    agent = working_agent()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_customer_message(ticket=ticket, contact=ticket.requester, body_text="Any news?", now=LATER)

    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.awaiting_since == LATER


def test_an_answer_that_makes_room_brings_the_next_waiting_ticket(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    agent = working_agent(capacity=1)
    [held] = holding(agent, 1)
    [next_one] = waiting()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=held, author=agent, body_text="Done.", now=LATER)

    next_one.refresh_from_db()
    assert next_one.assignee == agent


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """What each routing pass assigned, in order (the passes still run)."""
    assigned: list[int] = []
    real = services.routing_assign_waiting

    def counted(**arguments: Any) -> int:
        assigned.append(real(**arguments))
        return assigned[-1]

    monkeypatch.setattr(services, "routing_assign_waiting", counted)
    return assigned


def test_an_answer_that_sets_the_status_runs_one_pass(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, passes: list[int]
) -> None:
    agent = working_agent(capacity=1)
    [held] = holding(agent, 1)
    [next_one] = waiting()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=held, author=agent, body_text="Done.", status=Status.SOLVED, now=LATER)

    assert passes == [1]
    next_one.refresh_from_db()
    assert next_one.assignee == agent


def test_a_person_changing_the_status_runs_one_pass(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, passes: list[int]
) -> None:
    agent = working_agent(capacity=1)
    [held] = holding(agent, 1)
    [next_one] = waiting()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=held, actor=agent, status=Status.SOLVED, now=LATER)

    assert passes == [1]
    next_one.refresh_from_db()
    assert next_one.assignee == agent


def test_a_ticket_a_person_assigned_meanwhile_is_left_alone() -> None:
    working_agent()
    [ticket] = waiting()
    other = UserFactory.create()
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_update(ticket=ticket, actor=other, assignee=other, now=NOW)

    assert ticket_route(ticket=stale, assignee=UserFactory.create(), note="", now=LATER) is False
    ticket.refresh_from_db()
    assert ticket.assignee == other


# --- RT1: routing profiles --------------------------------------------------------------


def test_the_seeds_pre_check_in_airbnb_agent_gets_only_those_conversations() -> None:
    specialist = working_agent("Specialist", booking_stages=["pre_check_in"], booking_channels=["airbnb"])
    generalist = working_agent("Generalist", idle_since=LATER)  # idle less long: loses ties
    [airbnb] = waiting(booking_stage="pre_check_in", booking_channel="airbnb")
    [booking_com] = waiting(booking_stage="pre_check_in", booking_channel="booking_com")
    [pre_booking] = waiting(booking_stage="pre_booking", booking_channel="airbnb")

    routing_assign_waiting(now=LATER)

    for ticket in (airbnb, booking_com, pre_booking):
        ticket.refresh_from_db()
    assert airbnb.assignee == specialist
    assert booking_com.assignee == generalist
    assert pre_booking.assignee == generalist


@pytest.mark.parametrize(
    ("profile", "ticket_fields"),
    [
        ({"channels": ["phone"]}, {"channel": "email"}),
        ({"languages": ["es"]}, {"language": "lt"}),
        ({"priorities": ["urgent"]}, {"priority": "normal"}),
        ({"booking_stages": ["post_booking"]}, {"booking_stage": ""}),
    ],
)
def test_a_profile_condition_keeps_other_tickets_away(profile: dict[str, Any], ticket_fields: dict[str, Any]) -> None:
    working_agent(**profile)
    [ticket] = waiting(**ticket_fields)

    assert routing_assign_waiting(now=LATER) == 0

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_languages_match_by_primary_language() -> None:
    agent = working_agent(languages=["es"])
    [ticket] = waiting(language="es-ES")

    routing_assign_waiting(now=LATER)

    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_team_tickets_go_only_to_members_and_to_the_teams_of_the_profile() -> None:
    member = working_agent("Member")
    working_agent("Outsider", idle_since=NOW - timedelta(hours=1))  # idle longer, but in neither team
    front, back = TeamFactory.create(members=[member]), TeamFactory.create(members=[member])
    RoutingProfile.objects.get(agent=member).teams.set([front])
    [front_ticket] = waiting(team=front)
    [back_ticket] = waiting(team=back)

    routing_assign_waiting(now=LATER)

    front_ticket.refresh_from_db()
    back_ticket.refresh_from_db()
    assert front_ticket.assignee == member
    assert back_ticket.assignee is None


def test_a_ticket_tagged_with_a_skill_goes_to_an_agent_who_has_it() -> None:
    boss = manager()
    speaker = working_agent("Speaker", idle_since=LATER)
    other = working_agent("Other")
    routing_profile_update(agent=speaker, actor=boss, skills=["German"], now=NOW)
    [ticket] = waiting()
    ticket.tags.create(name="german")
    [plain] = waiting()

    routing_assign_waiting(now=LATER)

    ticket.refresh_from_db()
    plain.refresh_from_db()
    assert ticket.assignee == speaker
    assert plain.assignee == other


def test_only_supervisors_and_admins_change_routing_profiles() -> None:
    agent = working_agent()

    with pytest.raises(PermissionDenied):
        routing_profile_update(agent=agent, actor=agent, capacity=50, now=NOW)


def test_a_profile_rejects_unknown_values_and_changes_nothing() -> None:
    agent = working_agent(capacity=7)

    with pytest.raises(ValidationError) as error:
        routing_profile_update(agent=agent, actor=manager(), booking_stages=["someday"], capacity=9, now=NOW)

    assert error.value.field == "booking_stages"
    assert RoutingProfile.objects.get(agent=agent).capacity == 7


def test_a_profile_cannot_name_a_team_the_agent_is_not_in() -> None:
    agent = working_agent()

    with pytest.raises(ValidationError) as error:
        routing_profile_update(agent=agent, actor=manager(), teams=[TeamFactory.create()], now=NOW)

    assert error.value.field == "teams"


# --- RT4, RT5: shift timer and intake ------------------------------------------------------


def test_a_paused_agent_keeps_their_tickets_and_gets_no_new_ones() -> None:
    paused, other = working_agent("Paused"), working_agent("Other", idle_since=LATER)
    held = holding(paused, 1)
    intake_pause(agent=paused, actor=paused, now=NOW)
    [ticket] = waiting()

    routing_assign_waiting(now=LATER)

    ticket.refresh_from_db()
    assert ticket.assignee == other
    assert Ticket.objects.get(pk=held[0].pk).assignee == paused


def test_paused_time_is_recorded_as_invisible_time() -> None:
    agent = UserFactory.create()
    shift_start(agent=agent, actor=agent, now=NOW)
    intake_pause(agent=agent, actor=agent, now=NOW + timedelta(minutes=10))
    intake_resume(agent=agent, actor=agent, now=NOW + timedelta(minutes=25))
    shift_stop(agent=agent, actor=agent, now=NOW + timedelta(hours=1))

    intervals = {(i.kind, i.started_at, i.ended_at) for i in WorkInterval.objects.filter(agent=agent)}
    assert intervals == {
        (IntervalKind.SHIFT, NOW, NOW + timedelta(hours=1)),
        (IntervalKind.PAUSED, NOW + timedelta(minutes=10), NOW + timedelta(minutes=25)),
    }
    assert RoutingProfile.objects.get(agent=agent).state == AgentState.OFF


def test_stopping_the_shift_while_paused_closes_both_intervals() -> None:
    agent = UserFactory.create()
    shift_start(agent=agent, actor=agent, now=NOW)
    intake_pause(agent=agent, actor=agent, now=NOW + timedelta(minutes=10))
    shift_stop(agent=agent, actor=agent, now=NOW + timedelta(minutes=30))

    assert not WorkInterval.objects.filter(agent=agent, ended_at__isnull=True).exists()


def test_stopping_the_shift_hands_back_unopened_tickets_and_keeps_opened_ones() -> None:
    agent = working_agent("Leaving")
    unopened, opened = holding(agent, 2)
    ticket_mark_opened(ticket=opened, user=agent, now=NOW)

    shift_stop(agent=agent, actor=agent, now=LATER)

    unopened.refresh_from_db()
    opened.refresh_from_db()
    assert unopened.assignee is None
    assert opened.assignee == agent
    assert Assignment.objects.get(ticket=unopened).rule == Rule.RETURNED
    assert TicketEvent.objects.get(ticket=unopened, kind=EventKind.ROUTED).old_value == "Leaving"


def test_handed_back_tickets_go_to_whoever_is_still_working(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    leaving, staying = working_agent("Leaving"), working_agent("Staying")
    [ticket] = holding(leaving, 1)

    with django_capture_on_commit_callbacks(execute=True):
        shift_stop(agent=leaving, actor=leaving, now=LATER)

    ticket.refresh_from_db()
    assert ticket.assignee == staying


@pytest.mark.parametrize(
    ("service", "state"),
    [(shift_start, AgentState.WORKING), (intake_resume, AgentState.WORKING), (intake_pause, AgentState.OFF)],
)
def test_a_timer_action_in_the_wrong_state_is_refused(service: Callable[..., RoutingProfile], state: str) -> None:
    agent = working_agent(state=state)

    with pytest.raises(Conflict):
        service(agent=agent, actor=agent, now=LATER)

    assert RoutingProfile.objects.get(agent=agent).state == state


def test_an_agent_cannot_stop_someone_elses_timer_but_a_supervisor_can() -> None:
    agent, colleague = working_agent(), working_agent()

    with pytest.raises(PermissionDenied):
        shift_stop(agent=agent, actor=colleague, now=LATER)
    shift_stop(agent=agent, actor=manager(), now=LATER)

    assert RoutingProfile.objects.get(agent=agent).state == AgentState.OFF


# --- RT3: rebalancing -------------------------------------------------------------------------


def answered(agent: User, count: int) -> None:
    """`count` customers the agent answered since their shift started (at NOW)."""
    for _ in range(count):
        ticket = TicketFactory.create(assignee=agent, status=Status.OPEN, awaiting_agent=False, awaiting_since=None)
        Message.objects.create(
            ticket=ticket,
            kind=MessageKind.REPLY,
            channel=ticket.channel,
            author_agent=agent,
            body_text="Answered.",
            response_seconds=120,
            created_at=NOW + timedelta(minutes=1),
        )


def test_unopened_tickets_move_to_the_agent_clearing_faster_as_in_the_seed() -> None:
    ana, ben, carla = working_agent("Ana"), working_agent("Ben"), working_agent("Carla")
    holding(ana, 20)
    holding(ben, 20)
    holding(carla, 5)
    answered(ana, 2)
    answered(ben, 2)
    answered(carla, 15)

    moved = routing_rebalance(now=LATER)

    counts = {
        agent.name: Ticket.objects.filter(assignee=agent, awaiting_agent=True).count() for agent in (ana, ben, carla)
    }
    assert moved == 10
    assert counts == {"Ana": 15, "Ben": 15, "Carla": 15}
    decision = Assignment.objects.filter(rule=Rule.REBALANCED).first()
    assert decision is not None
    assert decision.agent == carla
    # 16 answers (15, and one for the benefit of the doubt) in the quarter of an hour a pace spans at least
    assert decision.figures["answers_per_hour"][str(carla.pk)] == 64.0


def test_a_ticket_the_agent_has_opened_never_moves() -> None:
    slow, fast = working_agent("Slow"), working_agent("Fast")
    tickets = holding(slow, 6)
    for ticket in tickets:
        ticket_mark_opened(ticket=ticket, user=slow, now=NOW)
    answered(fast, 10)

    assert routing_rebalance(now=LATER) == 0

    assert Ticket.objects.filter(assignee=slow).count() == 6


def test_tickets_do_not_move_to_an_agent_who_would_answer_them_later() -> None:
    fast, slow = working_agent("Fast"), working_agent("Slow")
    holding(fast, 4)
    answered(fast, 20)
    holding(slow, 2)

    assert routing_rebalance(now=LATER) == 0


def test_tickets_move_to_an_agent_with_a_shorter_queue_at_the_same_pace() -> None:
    busy, free = working_agent("Busy"), working_agent("Free")
    holding(busy, 8)
    answered(busy, 5)
    answered(free, 5)

    assert routing_rebalance(now=LATER) == 4


def test_a_paused_agents_tickets_stay_with_them() -> None:
    paused, fast = working_agent("Paused", state=AgentState.PAUSED), working_agent("Fast")
    holding(paused, 6)
    answered(fast, 10)

    assert routing_rebalance(now=LATER) == 0
