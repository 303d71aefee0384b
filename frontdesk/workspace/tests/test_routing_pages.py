"""Routing in the workspace: the shift bar, routing on the ticket page, the agents and
their cards, the team dashboard. Who may do what, whatever the URL."""

from datetime import timedelta

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.routing.models import AgentState, IntervalKind, RoutingProfile, WorkInterval
from frontdesk.routing.services import routing_assign_waiting, shift_stop
from frontdesk.routing.tests.factories import RoutingProfileFactory
from frontdesk.tickets.models import Status
from frontdesk.tickets.services import ticket_escalate_to_manager, ticket_update
from frontdesk.tickets.tests.factories import TicketFactory, new_ticket
from frontdesk.workspace.tests.conftest import NOW, client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory.create(name="Sara Supervisor", role=Role.SUPERVISOR)


def working(agent: User, **profile: object) -> RoutingProfile:
    return RoutingProfileFactory.create(agent=agent, **profile)


def state_of(agent: User) -> str:
    return RoutingProfile.objects.get(agent=agent).state


# --- shift bar ---------------------------------------------------------------------------


def test_every_page_shows_the_agents_shift_bar(agent_client: Client) -> None:
    content = agent_client.get("/views/open/").content.decode()

    assert 'id="shift-bar"' in content
    assert "Off shift" in content
    assert "Start timer" in content


def test_light_agent_who_receives_no_tickets_has_no_shift_bar(db: None) -> None:
    content = client_for(UserFactory.create(role=Role.LIGHT_AGENT)).get("/views/open/").content.decode()

    assert 'id="shift-bar"' not in content


def test_start_timer_starts_work_and_the_bar_shows_it(agent_client: Client, agent: User) -> None:
    response = agent_client.post(f"/agents/{agent.pk}/shift/start/", {"place": "header"}, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<div class="shift-bar shift-bar--header" id="shift-bar"')
    assert "Working" in content
    assert "Pause intake" in content
    assert "Stop timer" in content
    assert state_of(agent) == AgentState.WORKING
    assert WorkInterval.objects.filter(agent=agent, kind=IntervalKind.SHIFT, ended_at=None).count() == 1


def test_pause_then_resume_intake_through_the_bar(agent_client: Client, agent: User) -> None:
    working(agent)

    paused = agent_client.post(f"/agents/{agent.pk}/shift/pause/", headers=HTMX)
    paused_state = state_of(agent)
    resumed = agent_client.post(f"/agents/{agent.pk}/shift/resume/", headers=HTMX)

    assert "Intake paused" in paused.content.decode()
    assert "Resume intake" in paused.content.decode()
    assert paused_state == AgentState.PAUSED
    assert "Pause intake" in resumed.content.decode()
    assert state_of(agent) == AgentState.WORKING
    assert WorkInterval.objects.filter(agent=agent, kind=IntervalKind.PAUSED).exclude(ended_at=None).count() == 1


def test_stop_timer_ends_the_shift(agent_client: Client, agent: User) -> None:
    working(agent)

    response = agent_client.post(f"/agents/{agent.pk}/shift/stop/", headers=HTMX)

    assert "Start timer" in response.content.decode()
    assert state_of(agent) == AgentState.OFF


def test_a_button_for_a_state_changed_meanwhile_shows_why_and_changes_nothing(
    agent_client: Client, agent: User
) -> None:
    working(agent, state_since=NOW)  # started in another tab; this page still showed "Start timer"

    response = agent_client.post(f"/agents/{agent.pk}/shift/start/", headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 409
    assert "Ana Agent&#x27;s shift has already started." in content
    assert "Stop timer" in content  # the bar now shows the state as it is
    assert RoutingProfile.objects.get(agent=agent).state_since == NOW
    assert WorkInterval.objects.filter(agent=agent).count() == 0


def test_without_javascript_the_bar_returns_to_the_page_it_was_on(agent_client: Client, agent: User) -> None:
    response = agent_client.post(
        f"/agents/{agent.pk}/shift/start/", headers={"Referer": "http://testserver/views/pending/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/views/pending/"
    assert state_of(agent) == AgentState.WORKING


def test_without_javascript_a_refused_change_shows_why_on_a_page(agent_client: Client, agent: User) -> None:
    response = agent_client.post(f"/agents/{agent.pk}/shift/pause/")

    assert response.status_code == 409
    assert "Ana Agent is not taking tickets, so intake cannot pause." in response.content.decode()


def test_agent_cannot_stop_someone_elses_timer(agent_client: Client) -> None:
    colleague = UserFactory.create(role=Role.AGENT)
    working(colleague)

    response = agent_client.post(f"/agents/{colleague.pk}/shift/stop/", headers=HTMX)

    assert response.status_code == 403
    assert state_of(colleague) == AgentState.WORKING


def test_supervisor_stops_an_agents_timer_from_their_card(supervisor: User, agent: User) -> None:
    working(agent)

    response = client_for(supervisor).post(f"/agents/{agent.pk}/shift/stop/", {"place": "card"}, headers=HTMX)

    assert 'id="agent-shift"' in response.content.decode()
    assert state_of(agent) == AgentState.OFF


def test_unknown_shift_action_is_not_found(agent_client: Client, agent: User) -> None:
    assert agent_client.post(f"/agents/{agent.pk}/shift/nap/", headers=HTMX).status_code == 404


def test_the_bar_is_fetched_again_when_a_push_says_the_state_changed(agent_client: Client, agent: User) -> None:
    working(agent, state=AgentState.PAUSED)

    response = agent_client.get(f"/agents/{agent.pk}/shift/", headers=HTMX)

    assert 'id="shift-bar"' in response.content.decode()
    assert "Intake paused" in response.content.decode()


# --- ticket page ---------------------------------------------------------------------------


def test_the_assignee_opening_their_ticket_keeps_it_from_routing(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team, assignee=agent)

    agent_client.get(f"/tickets/{ticket.pk}/")

    ticket.refresh_from_db()
    assert ticket.assignee_opened_at is not None


def test_another_agent_opening_the_ticket_leaves_it_unopened(agent: User, team: Team) -> None:
    colleague = UserFactory.create(role=Role.AGENT)
    team.members.add(colleague)
    ticket = new_ticket(team=team, assignee=agent)

    client_for(colleague).get(f"/tickets/{ticket.pk}/")

    ticket.refresh_from_db()
    assert ticket.assignee_opened_at is None


def test_history_says_routing_assigned_the_ticket_and_why(agent_client: Client, agent: User, team: Team) -> None:
    working(agent)
    ticket = new_ticket(team=team)
    routing_assign_waiting(now=NOW)
    shift_stop(agent=agent, actor=agent, now=NOW + timedelta(minutes=5))

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "assigned by routing to Ana Agent: <q>fewest unanswered among eligible agents: Ana Agent 0</q>" in content
    assert "returned to the queue from Ana Agent: <q>Ana Agent stopped work before opening it</q>" in content


def test_properties_form_sets_the_outcome(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team)
    seen = agent_client.get(f"/tickets/{ticket.pk}/").context["properties_form"].initial

    form = {**{f"initial-{k}": v or "" for k, v in seen.items()}, **{k: v or "" for k, v in seen.items()}}
    response = agent_client.post(f"/tickets/{ticket.pk}/properties/", {**form, "outcome": "booked"}, headers=HTMX)

    ticket.refresh_from_db()
    assert ticket.outcome == "booked"
    assert "Ana Agent</strong>\n        set outcome to Booked" in response.content.decode()


# --- agents and their cards ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_see_every_agent_with_role_teams_state_and_capacity(role: str, agent: User) -> None:
    TeamFactory.create(name="Reservations", members=[agent])
    TeamFactory.create(name="Billing", members=[agent])
    working(agent, state=AgentState.PAUSED, capacity=8)
    UserFactory.create(name="Lou Light", role=Role.LIGHT_AGENT)
    UserFactory.create(name="Gone Agent", is_active=False)
    manager = UserFactory.create(name="Max Manager", role=role)

    response = client_for(manager).get("/agents/")

    content = response.content.decode()
    assert [profile.agent for profile in response.context["profiles"]] == [agent, manager]
    assert f'<a href="/agents/{agent.pk}/">Ana Agent</a>' in content
    assert "Billing, Reservations" in content
    assert '<span class="badge state-paused">Intake paused</span>' in content
    assert '<td class="num">8</td>' in content


def test_agents_list_is_for_supervisors_and_admins_only(agent_client: Client) -> None:
    assert agent_client.get("/agents/").status_code == 403


def test_nav_links_the_team_dashboard_for_everyone_and_agents_for_supervisors(
    agent_client: Client, supervisor: User
) -> None:
    agents_view = agent_client.get("/views/open/").content.decode()
    supervisors_view = client_for(supervisor).get("/views/open/").content.decode()

    assert 'href="/dashboard/"' in agents_view
    assert 'href="/agents/"' not in agents_view
    assert 'href="/dashboard/"' in supervisors_view
    assert 'href="/agents/"' in supervisors_view


def test_supervisor_sets_an_agents_routing_profile(supervisor: User, agent: User, team: Team) -> None:
    form = {
        "booking_stages": ["pre_check_in"],
        "booking_channels": ["airbnb"],
        "channels": ["email", "airbnb"],
        "teams": [str(team.pk)],
        "languages": "es, EN-gb",
        "priorities": ["high", "urgent"],
        "skills": "Spanish, late arrival",
        "capacity": "12",
    }
    client = client_for(supervisor)

    response = client.post(f"/agents/{agent.pk}/", form)
    card = client.get(response["Location"]).content.decode()

    profile = RoutingProfile.objects.get(agent=agent)
    assert response.status_code == 302
    assert profile.auto_assign is False  # left unticked
    assert (profile.booking_stages, profile.booking_channels) == (["pre_check_in"], ["airbnb"])
    assert (profile.channels, profile.languages, profile.priorities) == (
        ["airbnb", "email"],
        ["en", "es"],
        ["high", "urgent"],
    )
    assert list(profile.teams.all()) == [team]
    assert sorted(profile.skills.values_list("name", flat=True)) == ["late-arrival", "spanish"]
    assert profile.capacity == 12
    assert "The routing profile of Ana Agent is saved." in card
    assert 'value="late-arrival, spanish"' in card


def test_card_offers_only_the_teams_the_agent_is_a_member_of(supervisor: User, agent: User, team: Team) -> None:
    TeamFactory.create(name="Billing")

    response = client_for(supervisor).get(f"/agents/{agent.pk}/")

    assert list(response.context["form"].fields["teams"].choices) == [(str(team.pk), "Reservations")]


def test_a_team_the_agent_is_not_in_is_refused_and_nothing_changes(supervisor: User, agent: User) -> None:
    working(agent, capacity=20)
    billing = TeamFactory.create(name="Billing")

    response = client_for(supervisor).post(f"/agents/{agent.pk}/", {"teams": [str(billing.pk)], "capacity": "5"})

    assert response.status_code == 422
    assert "is not one of the available choices" in response.content.decode()
    assert RoutingProfile.objects.get(agent=agent).capacity == 20


def test_a_capacity_that_is_not_a_count_is_refused_beside_the_field(supervisor: User, agent: User) -> None:
    response = client_for(supervisor).post(f"/agents/{agent.pk}/", {"capacity": "-3"})

    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not RoutingProfile.objects.filter(agent=agent).exists()


def test_the_services_refusal_shows_on_the_form_and_changes_nothing(supervisor: User) -> None:
    former = UserFactory.create(name="Fred Former", is_active=False)

    response = client_for(supervisor).post(f"/agents/{former.pk}/", {"capacity": "5", "auto_assign": "on"})

    assert response.status_code == 422
    assert "Fred Former cannot receive tickets." in response.content.decode()
    assert not RoutingProfile.objects.filter(agent=former).exists()


def test_agent_sees_their_own_card_read_only(agent_client: Client, agent: User) -> None:
    working(agent, capacity=7)

    response = agent_client.get(f"/agents/{agent.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="capacity" value="7"' in content
    assert all(field.disabled for field in response.context["form"].fields.values())
    assert ">Save</button>" not in content


def test_agent_cannot_open_another_agents_card(agent_client: Client) -> None:
    colleague = UserFactory.create(role=Role.AGENT)

    assert agent_client.get(f"/agents/{colleague.pk}/").status_code == 403


def test_agent_cannot_change_their_own_profile(agent_client: Client, agent: User) -> None:
    working(agent, capacity=7)

    response = agent_client.post(f"/agents/{agent.pk}/", {"capacity": "50"})

    assert response.status_code == 403
    assert RoutingProfile.objects.get(agent=agent).capacity == 7


def test_agent_cannot_change_another_agents_profile(agent_client: Client) -> None:
    colleague = UserFactory.create(role=Role.AGENT)

    response = agent_client.post(f"/agents/{colleague.pk}/", {"capacity": "50"})

    assert response.status_code == 403
    assert not RoutingProfile.objects.filter(agent=colleague).exists()


def test_a_light_agent_has_no_card(supervisor: User) -> None:
    light = UserFactory.create(role=Role.LIGHT_AGENT)

    assert client_for(supervisor).get(f"/agents/{light.pk}/").status_code == 404


def test_agents_list_queries_do_not_grow_with_the_number_of_agents(
    supervisor: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    agents = UserFactory.create_batch(15)
    TeamFactory.create(members=agents)
    for agent in agents[1::2]:  # half of them have a profile
        working(agent)
    client = client_for(supervisor)

    # session, user with their shift state, profiles, agents, their teams, the sidebar's 6 view counts
    with django_assert_max_num_queries(11):
        response = client.get("/agents/")

    assert len(response.context["profiles"]) == 16


def test_card_queries_stay_few(
    supervisor: User, agent: User, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    profile = working(agent, teams=[team])
    profile.skills.create(name="spanish")
    client = client_for(supervisor)

    # session, user with their shift state, the agent, their profile, their teams, the profile's
    # teams and skills, the sidebar's 6 view counts
    with django_assert_max_num_queries(13):
        response = client.get(f"/agents/{agent.pk}/")

    assert response.context["form"].initial["skills"] == "spanish"


# --- team dashboard ---------------------------------------------------------------------------


def test_dashboard_shows_each_agents_state_load_and_the_queue(agent_client: Client, agent: User, team: Team) -> None:
    working(agent, state=AgentState.PAUSED, state_since=NOW - timedelta(minutes=20), capacity=2)
    TicketFactory.create(team=team, assignee=agent, status=Status.OPEN, awaiting_agent=True)
    TicketFactory.create(team=team, assignee=agent, status=Status.OPEN, awaiting_agent=True)
    TicketFactory.create(team=team, assignee=agent, status=Status.PENDING, awaiting_agent=False)
    TicketFactory.create(team=team, status=Status.NEW, awaiting_agent=True, awaiting_since=NOW - timedelta(hours=3))
    ticket_escalate_to_manager(ticket=new_ticket(team=team), actor=agent, reason="Refund", now=NOW)

    response = agent_client.get("/dashboard/")

    content = response.content.decode()
    row = response.context["dashboard"].agents[0]
    assert (row.state, row.unanswered, row.open, row.pending, row.capacity) == ("paused", 2, 2, 1, 2)
    assert f'<tr data-agent-row="{agent.pk}" class="is-full">' in content
    assert '<span class="badge state-paused">Intake paused</span>' in content
    assert response.context["dashboard"].queue_length == 2
    assert "<dd data-queue-length>2</dd>" in content
    assert '<a href="/views/needs-manager/">1</a>' in content
    assert 'id="team-dashboard"' in content


def test_dashboard_refresh_returns_only_the_table(agent_client: Client) -> None:
    content = agent_client.get("/dashboard/", headers=HTMX).content.decode()

    assert content.startswith('<div id="team-dashboard"')
    assert "<html" not in content


def test_every_agent_sees_the_dashboard_and_only_managers_get_card_links(agent: User) -> None:
    colleague = UserFactory.create(name="Ben Agent", role=Role.AGENT)
    light = UserFactory.create(role=Role.LIGHT_AGENT)

    content = client_for(agent).get("/dashboard/").content.decode()
    light_response = client_for(light).get("/dashboard/")

    assert f'<a href="/agents/{agent.pk}/">Ana Agent</a>' in content  # one's own card
    assert f'<a href="/agents/{colleague.pk}/">' not in content
    assert light_response.status_code == 200


def test_dashboard_queries_do_not_grow_with_the_number_of_agents(
    agent_client: Client, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(15):
        agent = UserFactory.create()
        working(agent)
        TicketFactory.create(team=team, assignee=agent, status=Status.OPEN, awaiting_agent=True)
        ticket_update(ticket=TicketFactory.create(team=team), actor=agent, priority="high", now=NOW)

    # session, user with their shift state, agents, profiles, counts, queue, needs manager,
    # the sidebar's teams of the agent and 6 view counts
    with django_assert_max_num_queries(14):
        response = agent_client.get("/dashboard/")

    assert len(response.context["dashboard"].agents) == 16
