from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.models import Role
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.notifications.models import Notification, StaffEmail, WebhookDelivery
from frontdesk.notifications.services import webhook_save
from frontdesk.sla import services
from frontdesk.sla.models import Alarm, Clock, ClockState
from frontdesk.sla.services import sla_refresh, sla_sweep
from frontdesk.sla.tests.factories import policy_with
from frontdesk.tickets.events import TicketCreated
from frontdesk.tickets.models import Status, Ticket
from frontdesk.tickets.services import ticket_add_customer_message, ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import NOW, new_ticket

pytestmark = pytest.mark.django_db


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """Event handlers read the clock: it stands at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Ticket]:
    """A ticket created through the service, with its event handlers (the SLA refresh among them) run."""

    def create(**fields: Any) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            return new_ticket(**fields)

    return create


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The tickets `sla_refresh` runs for, in order (it still runs)."""
    seen: list[int] = []
    real = services.sla_refresh

    def counted(*, ticket_id: int, **arguments: Any) -> services.Refreshed:
        seen.append(ticket_id)
        return real(ticket_id=ticket_id, **arguments)

    monkeypatch.setattr(services, "sla_refresh", counted)
    return seen


def test_a_new_ticket_gets_its_clocks_and_the_inbox_its_next_deadline() -> None:
    policy_with()
    ticket = new_ticket()
    sla_refresh(ticket_id=ticket.pk, now=NOW)

    clocks = {clock.metric: clock for clock in Clock.objects.filter(ticket=ticket)}
    assert clocks["first_response"].due_at == NOW + minutes(60)
    assert clocks["resolution"].due_at == NOW + minutes(480)
    assert clocks["first_response"].next_alarm_at == NOW + minutes(45)
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + minutes(60)


def test_a_new_ticket_is_refreshed_after_commit_when_a_policy_is_active(
    committed: Callable[..., Ticket], refreshes: list[int]
) -> None:
    policy_with()
    ticket = committed()

    assert refreshes == [ticket.pk]
    assert Clock.objects.filter(ticket=ticket).exists()


def test_without_an_active_policy_a_new_ticket_costs_one_read_after_commit(
    refreshes: list[int], django_assert_num_queries: Any
) -> None:
    policy_with(is_active=False)
    ticket = new_ticket()

    with django_assert_num_queries(1):
        services.refresh_on_create(TicketCreated(ticket_id=ticket.pk, actor_id=None))

    assert refreshes == []
    assert not Clock.objects.filter(ticket=ticket).exists()


def test_warnings_and_breach_fire_once_each_and_notify_assignee_lead_and_webhooks(
    committed: Callable[..., Ticket],
) -> None:
    lead = UserFactory.create(role=Role.SUPERVISOR, email="lead@example.com")
    agent = UserFactory.create()
    team = TeamFactory.create(lead=lead)
    team.members.add(agent)
    admin = UserFactory.create(role=Role.ADMIN)
    webhook_save(name="ops", url="http://127.0.0.1:9/hook", secret="s" * 20, events=[], actor=admin, now=NOW)
    policy_with()
    ticket = committed(team=team, assignee=agent)

    assert sla_sweep(now=NOW + minutes(44)) == 0
    assert sla_sweep(now=NOW + minutes(45)) == 1
    assert sla_sweep(now=NOW + minutes(46)) == 0
    assert sla_sweep(now=NOW + minutes(60)) == 2  # 90 % passed unseen: recorded, only the breach announced
    assert sla_sweep(now=NOW + minutes(61)) == 0

    alarms = list(Alarm.objects.filter(ticket=ticket).values_list("metric", "permille", "announced"))
    assert alarms == [("first_response", 750, True), ("first_response", 900, False), ("first_response", 1000, True)]
    assert Notification.objects.filter(recipient=agent).count() == 2
    assert StaffEmail.objects.filter(to_address="lead@example.com").count() == 2
    assert WebhookDelivery.objects.count() == 2
    assert Clock.objects.get(ticket=ticket, metric="first_response").state == ClockState.BREACHED
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + minutes(60)


def test_breach_escalates_raising_priority_and_moving_team(committed: Callable[..., Ticket]) -> None:
    other = TeamFactory.create()
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    policy_with(breach_raise_priority=True, breach_team=other, breach_notify_supervisors=True)
    ticket = committed()

    sla_sweep(now=NOW + minutes(61))

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team_id) == ("high", other.pk)
    assert Notification.objects.filter(recipient=supervisor, kind="sla.escalation").count() == 1
    sla_sweep(now=NOW + minutes(62))
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_pending_pauses_and_a_reply_meets_the_first_response() -> None:
    policy_with()
    agent = UserFactory.create()
    ticket = new_ticket()
    ticket_update(ticket=ticket, actor=agent, now=NOW + minutes(10), status=Status.PENDING)
    sla_refresh(ticket_id=ticket.pk, now=NOW + minutes(70))
    clock = Clock.objects.get(ticket=ticket, metric="first_response")
    assert (clock.state, clock.due_at, clock.paused_seconds) == (ClockState.PAUSED, None, 3600)

    ticket_update(ticket=ticket, actor=agent, now=NOW + minutes(70), status=Status.OPEN)
    ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk), author=agent, body_text="Hello", now=NOW + minutes(100))
    sla_refresh(ticket_id=ticket.pk, now=NOW + minutes(100))
    clock = Clock.objects.get(ticket=ticket, metric="first_response")
    assert (clock.state, clock.elapsed_seconds) == (ClockState.MET, 40 * 60)


def test_an_escalation_is_sent_to_webhooks_with_what_changed(committed: Callable[..., Ticket]) -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    webhook_save(
        name="ops", url="http://127.0.0.1:9/hook", secret="s" * 20, events=["sla.escalation"], actor=admin, now=NOW
    )
    policy_with(breach_raise_priority=True)
    ticket = committed()

    sla_sweep(now=NOW + minutes(61))

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "sla.escalation"
    assert delivery.payload["ticket"]["id"] == ticket.pk
    assert delivery.payload["changes"] == {"priority": {"from": "normal", "to": "high"}}


def test_a_backlog_of_due_alarms_is_swept_in_batches_until_none_is_left(committed: Callable[..., Ticket]) -> None:
    policy_with()
    tickets = [committed() for _ in range(5)]

    assert sla_sweep(now=NOW + minutes(45), batch=2) == 5

    assert Alarm.objects.filter(ticket__in=tickets, permille=750).count() == 5
    assert not Clock.objects.filter(next_alarm_at__lte=NOW + minutes(45)).exists()


# --- the triggers: one refresh per write ---------------------------------------------------


def resolution_state(ticket: Ticket) -> str:
    return Clock.objects.get(ticket=ticket, metric="resolution").state


def test_a_status_change_refreshes_the_clocks_once(
    committed: Callable[..., Ticket], refreshes: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    policy_with()
    ticket = committed()
    refreshes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=UserFactory.create(), now=NOW, status=Status.PENDING)

    assert refreshes == [ticket.pk]
    assert resolution_state(ticket) == ClockState.PAUSED


def test_a_reply_that_sets_the_status_refreshes_the_clocks_once_after_both(
    committed: Callable[..., Ticket], refreshes: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    policy_with()
    ticket = committed()
    refreshes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="Hello", status=Status.PENDING, now=NOW)

    assert refreshes == [ticket.pk]
    assert Clock.objects.get(ticket=ticket, metric="first_response").state == ClockState.MET
    assert resolution_state(ticket) == ClockState.PAUSED


def test_a_customer_message_that_reopens_refreshes_the_clocks_once_after_both(
    committed: Callable[..., Ticket], refreshes: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    policy_with()
    ticket = committed()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=UserFactory.create(), now=NOW, status=Status.PENDING)
    refreshes.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_customer_message(ticket=ticket, contact=ticket.requester, body_text="Any news?", now=NOW)

    assert refreshes == [ticket.pk]
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
    assert resolution_state(ticket) == ClockState.RUNNING
