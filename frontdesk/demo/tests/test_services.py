import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.db.models import Max, Min

from frontdesk.accounts.models import Contact, ContactIdentity, Organisation, Role, Team, User
from frontdesk.demo.services import demo_load_if_empty
from frontdesk.reports.selectors import agent_report
from frontdesk.routing.models import AgentState, IntervalKind, RoutingProfile, WorkInterval
from frontdesk.tickets.models import BookingStage, EventKind, Message, MessageKind, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEMO_CHANNELS = {"email", "chat", "phone", "sms", "whatsapp", "airbnb", "booking_com", "web"}


def load(tickets: int = 300) -> str:
    out = io.StringIO()
    demo_load_if_empty(out=out, tickets=tickets, now=NOW)
    return out.getvalue()


def test_loads_a_support_team_with_roles_teams_organisations_and_contacts() -> None:
    load(tickets=0)

    roles = sorted(User.objects.values_list("role", flat=True))
    assert roles.count(Role.ADMIN) == 1
    assert roles.count(Role.SUPERVISOR) == 2
    assert roles.count(Role.AGENT) == 10
    assert roles.count(Role.LIGHT_AGENT) == 1
    assert Team.objects.count() == 5
    assert not Team.objects.filter(lead=None).exists()
    assert not Team.objects.filter(members=None).exists()
    assert Organisation.objects.exclude(domain="").exclude(region="").count() == 20
    assert Contact.objects.filter(merged_into=None).count() == 150
    assert ContactIdentity.objects.filter(kind="phone").count() > 40
    assert set(Contact.objects.values_list("language", flat=True)) >= {"es", "lt"}


def test_loads_tickets_spread_over_statuses_channels_and_booking_stages() -> None:
    load()

    assert Ticket.objects.count() == 300
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Ticket.objects.values_list("channel", flat=True)) == DEMO_CHANNELS
    assert set(Ticket.objects.values_list("booking_stage", flat=True)) == {"", *BookingStage.values}
    assert set(Ticket.objects.values_list("language", flat=True)) == {"en", "es", "lt"}
    assert Ticket.objects.filter(status__in=("solved", "closed")).count() > 150
    assert Ticket.objects.filter(tags__isnull=False).distinct().count() == 300


def test_tickets_have_conversations_assignments_and_escalations() -> None:
    load(tickets=150)

    assert Message.objects.count() > 3 * 150
    assert Message.objects.filter(kind=MessageKind.NOTE).exists()
    assert Message.objects.filter(kind=MessageKind.NOTE, author_agent__role=Role.LIGHT_AGENT).exists()
    assert Ticket.objects.filter(assignee__isnull=False).count() > 75
    assert Ticket.objects.filter(needs_manager=True).exists()
    assert TicketEvent.objects.filter(kind=EventKind.ESCALATION_RESOLVED).exists()
    assert Ticket.objects.filter(team__name="Tier 2").exists()
    assert not Ticket.objects.filter(messages=None).exists()


def test_tickets_span_the_last_sixty_days_and_nothing_happens_after_now() -> None:
    load(tickets=100)

    span = Ticket.objects.aggregate(first=Min("created_at"), last=Max("last_activity_at"))
    assert NOW - timedelta(days=61) < span["first"] < NOW - timedelta(days=50)
    assert span["last"] <= NOW
    assert TicketEvent.objects.aggregate(last=Max("created_at"))["last"] <= NOW


def test_second_run_finds_agents_and_changes_nothing() -> None:
    load(tickets=20)

    output = load(tickets=20)

    assert "already has agents" in output
    assert User.objects.count() == 14
    assert Ticket.objects.count() == 20


def test_admin_and_other_agents_sign_in_with_the_printed_password() -> None:
    output = load(tickets=5)

    match = re.search(r"as (\S+@\S+) with password (\S+)", output)
    assert match is not None
    email, password = match.groups()
    assert authenticate(username=email, password=password) == User.objects.get(role=Role.ADMIN)
    assert authenticate(username="lucia@frontdesk.demo", password=password) is not None
    assert authenticate(username=email, password=password + "x") is None


def test_agents_have_routing_profiles_and_one_takes_only_pre_check_in_airbnb_guests() -> None:
    load(tickets=150)

    carlos = RoutingProfile.objects.get(agent__email="carlos@frontdesk.demo")
    assert (carlos.booking_stages, carlos.booking_channels) == (["pre_check_in"], ["airbnb"])
    assert RoutingProfile.objects.filter(agent__role=Role.AGENT).count() == 10
    assert not RoutingProfile.objects.filter(agent__role=Role.SUPERVISOR, auto_assign=True).exists()
    assert set(
        Ticket.objects.filter(assignee__email="carlos@frontdesk.demo").values_list("booking_stage", "booking_channel")
    ) == {("pre_check_in", "airbnb")}
    assert not RoutingProfile.objects.exclude(state=AgentState.OFF).exists()


def test_agents_worked_shifts_with_paused_intake_over_the_demo_period() -> None:
    load(tickets=0)

    span = WorkInterval.objects.aggregate(first=Min("started_at"), last=Max("ended_at"))
    assert NOW - timedelta(days=61) < span["first"] < NOW - timedelta(days=58)
    assert span["last"] <= NOW
    assert not WorkInterval.objects.filter(ended_at=None).exists()
    assert WorkInterval.objects.filter(kind=IntervalKind.PAUSED).count() > 200
    assert WorkInterval.objects.filter(kind=IntervalKind.SHIFT).values("agent").distinct().count() == 10


def test_inquiries_that_ended_have_an_outcome() -> None:
    load()

    inquiries = Ticket.objects.filter(booking_stage=BookingStage.PRE_BOOKING)
    assert set(inquiries.filter(status__in=("solved", "closed")).values_list("outcome", flat=True)) == {
        "booked",
        "not_booked",
    }
    assert set(inquiries.exclude(status__in=("solved", "closed")).values_list("outcome", flat=True)) <= {""}


def test_the_agent_report_over_the_demo_has_figures_for_every_agent() -> None:
    load()
    admin = User.objects.get(role=Role.ADMIN)

    rows = agent_report(user=admin, start=NOW - timedelta(days=30), end=NOW, now=NOW)

    takers = set(RoutingProfile.objects.filter(auto_assign=True).values_list("agent", flat=True))
    agents = [row for row in rows if row.agent_id in takers]
    assert len(agents) == 10
    assert all(row.received and row.work_seconds and row.invisible_seconds for row in agents)
    assert all(row.response.value for row in agents)
    assert sum(row.inquiries for row in agents) > sum(row.booked for row in agents) > 0
