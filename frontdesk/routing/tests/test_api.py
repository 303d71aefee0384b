"""The routing REST API: profiles, shift timer and intake, the team dashboard, routing decisions."""

from datetime import timedelta

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.routing.models import AgentState, Assignment, IntervalKind, RoutingProfile, Rule, Skill, WorkInterval
from frontdesk.routing.services import routing_assign_waiting, shift_stop
from frontdesk.routing.tests.factories import RoutingProfileFactory, working_agent
from frontdesk.tickets.models import Status
from frontdesk.tickets.tests.factories import NOW, TicketFactory, new_ticket

pytestmark = pytest.mark.django_db

JSON = "application/json"
STATE_CHANGES = ["shift/start", "shift/stop", "intake/pause", "intake/resume"]


@pytest.fixture
def supervisor() -> User:
    return UserFactory.create(role=Role.SUPERVISOR, name="Sue Supervisor")


@pytest.fixture
def api(supervisor: User) -> Client:
    """The supervisor's API client."""
    return api_client(supervisor)


def profile_url(agent: User) -> str:
    return f"/api/v1/agents/{agent.pk}/routing-profile"


# --- profiles ----------------------------------------------------------------------------


def test_agent_reads_their_own_profile_with_state_and_skill_names() -> None:
    agent = UserFactory.create(name="Ana")
    team = TeamFactory.create(name="Front office", members=[agent])
    profile = RoutingProfileFactory.create(
        agent=agent, teams=[team], booking_stages=["pre_check_in"], booking_channels=["airbnb"], capacity=5
    )
    profile.skills.set([Skill.objects.create(name="vip"), Skill.objects.create(name="parking")])

    response = api_client(agent).get(profile_url(agent))

    assert response.status_code == 200
    assert response.json() == {
        "agent": {"id": agent.pk, "name": "Ana"},
        "auto_assign": True,
        "booking_stages": ["pre_check_in"],
        "booking_channels": ["airbnb"],
        "channels": [],
        "teams": [{"id": team.pk, "name": "Front office"}],
        "languages": [],
        "priorities": [],
        "skills": ["parking", "vip"],
        "capacity": 5,
        "state": "working",
        "state_since": "2026-11-02T09:00:00Z",
    }


def test_agent_without_a_profile_reads_the_default_without_creating_one(api: Client) -> None:
    agent = UserFactory.create()

    response = api.get(profile_url(agent))

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["state_since"], response.json()["capacity"]) == ("off", None, 20)
    assert not RoutingProfile.objects.exists()


def test_agent_cannot_read_another_agents_profile() -> None:
    agent, other = UserFactory.create(), working_agent()

    response = api_client(agent).get(profile_url(other))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_supervisor_reads_any_agents_profile(api: Client) -> None:
    agent = working_agent("Ben")

    response = api.get(profile_url(agent))

    assert response.status_code == 200
    assert response.json()["agent"] == {"id": agent.pk, "name": "Ben"}


def test_a_light_agent_has_no_profile(api: Client) -> None:
    light_agent = UserFactory.create(role=Role.LIGHT_AGENT)

    response = api.get(profile_url(light_agent))

    assert response.status_code == 404


def test_unknown_agent_is_404(api: Client) -> None:
    assert api.get("/api/v1/agents/424242/routing-profile").status_code == 404


def test_supervisor_sets_every_field_of_a_profile(api: Client) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    Skill.objects.create(name="vip")
    changes = {
        "auto_assign": False,
        "booking_stages": ["pre_check_in", "pre_booking"],
        "booking_channels": ["airbnb"],
        "channels": ["airbnb", "email"],
        "teams": [team.pk],
        "languages": ["es-ES", "en"],
        "priorities": ["urgent"],
        "skills": ["vip", "Spa"],
        "capacity": 0,
    }

    response = api.patch(profile_url(agent), changes, content_type=JSON)

    body = response.json()
    assert response.status_code == 200
    assert body["auto_assign"] is False
    assert body["booking_stages"] == ["pre_booking", "pre_check_in"]
    assert body["channels"] == ["airbnb", "email"]
    assert body["teams"] == [{"id": team.pk, "name": team.name}]
    assert body["languages"] == ["en", "es"]
    assert body["skills"] == ["spa", "vip"]
    assert body["capacity"] == 0
    profile = RoutingProfile.objects.get(agent=agent)
    assert (profile.booking_channels, profile.priorities) == (["airbnb"], ["urgent"])
    assert set(Skill.objects.values_list("name", flat=True)) == {"spa", "vip"}


def test_patch_changes_only_the_fields_sent(api: Client) -> None:
    agent = working_agent(booking_stages=["in_stay"], languages=["lt"], capacity=7)

    response = api.patch(profile_url(agent), {"capacity": 3}, content_type=JSON)

    profile = RoutingProfile.objects.get(agent=agent)
    assert response.status_code == 200
    assert (profile.capacity, profile.booking_stages, profile.languages, profile.state) == (
        3,
        ["in_stay"],
        ["lt"],
        "working",
    )


def test_empty_lists_mean_any(api: Client) -> None:
    agent = working_agent(booking_stages=["in_stay"], channels=["chat"])

    api.patch(profile_url(agent), {"booking_stages": [], "channels": []}, content_type=JSON)

    profile = RoutingProfile.objects.get(agent=agent)
    assert (profile.booking_stages, profile.channels) == ([], [])


def test_agent_cannot_change_their_own_profile() -> None:
    agent = working_agent(capacity=5)

    response = api_client(agent).patch(profile_url(agent), {"capacity": 50}, content_type=JSON)

    assert response.status_code == 403
    assert RoutingProfile.objects.get(agent=agent).capacity == 5


def test_agent_cannot_change_another_agents_profile() -> None:
    agent, other = UserFactory.create(), working_agent(capacity=5)

    response = api_client(agent).patch(profile_url(other), {"capacity": 50}, content_type=JSON)

    assert response.status_code == 403
    assert RoutingProfile.objects.get(agent=other).capacity == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("booking_stages", ["after_checkout_party"]),
        ("booking_channels", ["carrier_pigeon"]),
        ("channels", ["fax"]),
        ("priorities", ["asap"]),
        ("capacity", -1),
        ("capacity", 10_001),
        ("auto_assign", None),
        ("skills", [""]),
    ],
)
def test_bad_input_is_refused_naming_the_field(api: Client, field: str, value: object) -> None:
    agent = working_agent(capacity=5)

    response = api.patch(profile_url(agent), {field: value}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert RoutingProfile.objects.get(agent=agent).capacity == 5


def test_unknown_team_is_refused_naming_the_field(api: Client) -> None:
    agent = working_agent()
    team = TeamFactory.create(members=[agent])

    response = api.patch(profile_url(agent), {"teams": [team.pk, 424242]}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "teams"
    assert "424242" in response.json()["error"]["message"]
    assert not RoutingProfile.objects.get(agent=agent).teams.exists()


def test_a_team_the_agent_is_not_in_is_refused_and_nothing_changes(api: Client) -> None:
    agent = working_agent(capacity=5)
    team = TeamFactory.create()

    response = api.patch(profile_url(agent), {"teams": [team.pk], "capacity": 9}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "teams"
    assert RoutingProfile.objects.get(agent=agent).capacity == 5


def test_list_skills(api: Client) -> None:
    vip, parking = Skill.objects.create(name="vip"), Skill.objects.create(name="parking")

    response = api.get("/api/v1/routing/skills")

    assert response.status_code == 200
    assert response.json() == [{"id": parking.pk, "name": "parking"}, {"id": vip.pk, "name": "vip"}]


# --- shift timer and intake --------------------------------------------------------------


def test_agent_runs_their_own_shift_and_intake() -> None:
    agent = UserFactory.create()
    api = api_client(agent)
    base = f"/api/v1/agents/{agent.pk}"

    states = [api.post(f"{base}/{action}").json()["state"] for action in STATE_CHANGES[:1] + STATE_CHANGES[2:]]
    stopped = api.post(f"{base}/shift/stop")

    assert states == ["working", "paused", "working"]
    assert stopped.status_code == 200
    assert stopped.json()["state"] == "off"
    assert stopped.json()["state_since"] is not None
    assert set(WorkInterval.objects.filter(agent=agent, ended_at__isnull=False).values_list("kind", flat=True)) == {
        IntervalKind.SHIFT,
        IntervalKind.PAUSED,
    }


def test_double_start_is_a_conflict() -> None:
    agent = UserFactory.create()
    api = api_client(agent)
    api.post(f"/api/v1/agents/{agent.pk}/shift/start")

    response = api.post(f"/api/v1/agents/{agent.pk}/shift/start")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert WorkInterval.objects.filter(agent=agent).count() == 1


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (AgentState.OFF, "shift/stop"),
        (AgentState.OFF, "intake/pause"),
        (AgentState.WORKING, "intake/resume"),
        (AgentState.PAUSED, "intake/pause"),
    ],
)
def test_a_change_the_state_does_not_allow_is_a_conflict(api: Client, state: str, action: str) -> None:
    agent = working_agent(state=state)

    response = api.post(f"/api/v1/agents/{agent.pk}/{action}")

    assert response.status_code == 409
    assert RoutingProfile.objects.get(agent=agent).state == state


@pytest.mark.parametrize("action", STATE_CHANGES)
def test_agent_cannot_change_another_agents_shift_or_intake(action: str) -> None:
    agent, other = UserFactory.create(), working_agent(state=AgentState.PAUSED)

    response = api_client(agent).post(f"/api/v1/agents/{other.pk}/{action}")

    assert response.status_code == 403
    assert RoutingProfile.objects.get(agent=other).state == AgentState.PAUSED


def test_supervisor_starts_and_pauses_an_agents_shift(api: Client) -> None:
    agent = UserFactory.create()

    started = api.post(f"/api/v1/agents/{agent.pk}/shift/start")
    paused = api.post(f"/api/v1/agents/{agent.pk}/intake/pause")

    assert (started.status_code, paused.status_code) == (200, 200)
    assert RoutingProfile.objects.get(agent=agent).state == AgentState.PAUSED


def test_me_endpoints_act_on_the_caller() -> None:
    agent, other = UserFactory.create(name="Ana"), working_agent()
    api = api_client(agent)

    states = [api.post(f"/api/v1/me/{action}").json()["state"] for action in ["shift/start", "intake/pause"]]
    mine = api.get("/api/v1/me/routing-profile").json()
    resumed = api.post("/api/v1/me/intake/resume").json()["state"]
    stopped = api.post("/api/v1/me/shift/stop").json()["state"]

    assert states == ["working", "paused"]
    assert (mine["agent"]["name"], mine["state"]) == ("Ana", "paused")
    assert (resumed, stopped) == ("working", "off")
    assert RoutingProfile.objects.get(agent=other).state == AgentState.WORKING


def test_stopping_a_shift_returns_unopened_tickets_to_the_queue(api: Client) -> None:
    agent = working_agent()
    ticket = new_ticket()
    routing_assign_waiting(now=NOW)

    response = api.post(f"/api/v1/agents/{agent.pk}/shift/stop")

    ticket.refresh_from_db()
    assert response.status_code == 200
    assert ticket.assignee is None


# --- the team dashboard ------------------------------------------------------------------


def test_dashboard_shows_each_agents_state_counts_and_the_queue() -> None:
    ana = working_agent("Ana", capacity=4)
    ben = working_agent("Ben", state=AgentState.PAUSED, state_since=NOW - timedelta(minutes=5))
    cleo = UserFactory.create(name="Cleo")  # never started a shift: no profile yet
    TicketFactory.create(assignee=ana, status=Status.OPEN, awaiting_agent=True)
    TicketFactory.create(assignee=ana, status=Status.OPEN, awaiting_agent=False)
    TicketFactory.create(assignee=ben, status=Status.PENDING, awaiting_agent=False, needs_manager=True)
    TicketFactory.create(assignee=ben, status=Status.SOLVED, awaiting_agent=False)
    TicketFactory.create(awaiting_since=NOW - timedelta(minutes=30))
    TicketFactory.create(awaiting_since=NOW - timedelta(minutes=10))

    response = api_client(cleo).get("/api/v1/routing/dashboard")

    body = response.json()
    assert response.status_code == 200
    assert body["agents"] == [
        {
            "agent": {"id": ana.pk, "name": "Ana"},
            "state": "working",
            "since": "2026-11-02T09:00:00Z",
            "unanswered": 1,
            "open": 2,
            "pending": 0,
            "capacity": 4,
        },
        {
            "agent": {"id": ben.pk, "name": "Ben"},
            "state": "paused",
            "since": "2026-11-02T08:55:00Z",
            "unanswered": 0,
            "open": 0,
            "pending": 1,
            "capacity": 20,
        },
        {
            "agent": {"id": cleo.pk, "name": "Cleo"},
            "state": "off",
            "since": None,
            "unanswered": 0,
            "open": 0,
            "pending": 0,
            "capacity": 20,
        },
    ]
    assert (body["queue_length"], body["oldest_waiting"], body["needs_manager"]) == (2, "2026-11-02T08:30:00Z", 1)


@pytest.mark.parametrize("agents", [2, 12])
def test_dashboard_runs_a_fixed_number_of_queries(
    api: Client, agents: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(agents):
        agent = working_agent()
        TicketFactory.create(assignee=agent, status=Status.OPEN)
        TicketFactory.create(assignee=agent, status=Status.PENDING, awaiting_agent=False)
    TicketFactory.create()
    api.get("/api/v1/routing/dashboard")  # the token's first use is recorded once

    # token, agents, profiles, counts per agent, the queue, needs manager
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/routing/dashboard")

    assert len(response.json()["agents"]) == agents + 1


# --- routing decisions -------------------------------------------------------------------


def test_ticket_assignments_show_each_decision_oldest_first(api: Client) -> None:
    agent = working_agent("Ana")
    ticket = new_ticket()
    routing_assign_waiting(now=NOW)
    shift_stop(agent=agent, actor=agent, now=NOW + timedelta(minutes=1))

    response = api.get(f"/api/v1/tickets/{ticket.pk}/assignments")

    assigned, returned = response.json()
    assert response.status_code == 200
    assert (assigned["rule"], assigned["agent"], assigned["previous"]) == (
        "assigned",
        {"id": agent.pk, "name": "Ana"},
        None,
    )
    assert assigned["figures"]["unanswered"] == {str(agent.pk): 0}
    assert "fewest unanswered" in assigned["note"]
    assert assigned["created_at"] == "2026-11-02T09:00:00Z"
    assert (returned["rule"], returned["agent"], returned["previous"]) == (
        "returned",
        None,
        {"id": agent.pk, "name": "Ana"},
    )
    assert returned["created_at"] == "2026-11-02T09:01:00Z"


def test_assignments_of_a_ticket_the_agent_may_not_see_are_404() -> None:
    agent = UserFactory.create()
    ticket = TicketFactory.create(team=TeamFactory.create())

    response = api_client(agent).get(f"/api/v1/tickets/{ticket.pk}/assignments")

    assert response.status_code == 404


@pytest.mark.parametrize("decisions", [1, 10])
def test_assignments_run_a_fixed_number_of_queries(
    api: Client, decisions: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = TicketFactory.create()
    for minute in range(decisions):
        Assignment.objects.create(
            ticket=ticket,
            agent=UserFactory.create(),
            previous=UserFactory.create(),
            rule=Rule.REBALANCED,
            created_at=NOW + timedelta(minutes=minute),
        )
    api.get(f"/api/v1/tickets/{ticket.pk}/assignments")

    # token, the ticket, its decisions with both agents
    with django_assert_max_num_queries(3):
        response = api.get(f"/api/v1/tickets/{ticket.pk}/assignments")

    assert len(response.json()) == decisions
