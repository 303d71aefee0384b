"""The SLA REST API: calendars and holidays, policies, contracts, and a ticket's clocks.

Every agent reads the configuration; supervisors and admins change it. A ticket's clocks are
visible to whoever may see the ticket and 404 for anyone else. Refused input names its field
and changes nothing.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.sla.models import Alarm, AlarmLevel, Calendar, Clock, Contract, Holiday, Policy, PolicyTarget
from frontdesk.sla.services import sla_refresh
from frontdesk.sla.tests.factories import WEEKDAYS_9_TO_5, CalendarFactory, PolicyFactory, policy_with
from frontdesk.sla.tests.test_ical import LITHUANIA_2027, SPAIN_2027
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.tests.factories import NOW, TicketFactory, new_ticket

pytestmark = pytest.mark.django_db

JSON = "application/json"
CALENDARS, POLICIES, CONTRACTS = "/api/v1/sla/calendars", "/api/v1/sla/policies", "/api/v1/sla/contracts"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """Endpoints and the background refresh read the clock: it stands at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supervisor() -> User:
    return UserFactory.create(role=Role.SUPERVISOR)


@pytest.fixture
def api(supervisor: User) -> Client:
    """The supervisor's API client."""
    return api_client(supervisor)


@pytest.fixture
def agent_api() -> Client:
    return api_client(UserFactory.create(role=Role.AGENT))


def calendar_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Madrid office", "time_zone": "Europe/Madrid", "hours": WEEKDAYS_9_TO_5, **fields}


def policy_body(calendar: Calendar, /, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Standard",
        "calendar": calendar.pk,
        "targets": [{"priority": "normal", "first_response_minutes": 60, "resolution_minutes": 480}],
        **fields,
    }


def ics_file(data: bytes, name: str = "holidays.ics") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/calendar")


def error(response: Any) -> tuple[int, str | None]:
    return response.status_code, response.json()["error"]["field"]


# --- calendars ---------------------------------------------------------------------------


def test_supervisor_creates_a_calendar(api: Client) -> None:
    response = api.post(CALENDARS, calendar_body(hours={"0": [["14:00", "18:00"], ["09:00", "13:00"]]}), JSON)

    calendar = Calendar.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": calendar.pk,
        "name": "Madrid office",
        "time_zone": "Europe/Madrid",
        "always_open": False,
        "hours": {"0": [["09:00", "13:00"], ["14:00", "18:00"]]},
        "holidays": [],
        "updated_at": "2026-11-02T09:00:00Z",
    }


def test_any_agent_reads_the_calendars_with_their_holidays(agent_api: Client) -> None:
    calendar = CalendarFactory.create(name="Vilnius")
    Holiday.objects.create(calendar=calendar, name="Kalėdos", first_day=date(2027, 12, 24), last_day=date(2027, 12, 26))

    listed = agent_api.get(CALENDARS)
    read = agent_api.get(f"{CALENDARS}/{calendar.pk}")

    assert listed.status_code == read.status_code == 200
    assert listed.json() == [read.json()]
    assert read.json()["holidays"] == [
        {
            "id": Holiday.objects.get().pk,
            "name": "Kalėdos",
            "first_day": "2027-12-24",
            "last_day": "2027-12-26",
            "uid": "",
        }
    ]


@pytest.mark.parametrize("calendars", [1, 8])
def test_calendar_list_runs_a_fixed_number_of_queries(
    agent_api: Client, calendars: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(calendars):
        calendar = CalendarFactory.create()
        Holiday.objects.create(calendar=calendar, name="X", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1))

    # token and its last use, calendars, their holidays
    with django_assert_max_num_queries(4):
        response = agent_api.get(CALENDARS)

    assert len(response.json()) == calendars


def test_supervisor_changes_a_calendar_keeping_its_holidays(api: Client, supervisor: User) -> None:
    calendar = CalendarFactory.create(name="Old")
    Holiday.objects.create(calendar=calendar, name="X", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1))

    response = api.put(f"{CALENDARS}/{calendar.pk}", calendar_body(name="Madrid", always_open=True, hours={}), JSON)

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["always_open"], len(response.json()["holidays"])) == (
        "Madrid",
        True,
        1,
    )
    assert Calendar.objects.get().name == "Madrid"


def test_supervisor_deletes_a_calendar_no_policy_uses(api: Client) -> None:
    calendar = CalendarFactory.create()

    response = api.delete(f"{CALENDARS}/{calendar.pk}")

    assert response.status_code == 204
    assert not Calendar.objects.exists()


def test_a_calendar_in_use_cannot_be_deleted(api: Client) -> None:
    policy = PolicyFactory.create()

    response = api.delete(f"{CALENDARS}/{policy.calendar_id}")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Calendar.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a time zone"),
        ({"hours": {"0": [["09:00", "13:00"], ["12:30", "17:00"]]}}, "hours", "overlap"),
        ({"hours": {"3": [["18:00", "09:00"]]}}, "hours", "opening must come before closing"),
        ({"hours": {"8": [["09:00", "17:00"]]}}, "hours", "not a weekday"),
        ({"hours": {"0": [["nine", "five"]]}}, "hours", "not a pair of times"),
        ({"hours": {}}, "hours", "needs business hours"),
        ({"name": ""}, "name", "needs a name"),
        ({"name": "x" * 101}, "name", "at most 100"),
        ({"hours": {"0": "09:00-17:00"}}, "hours.0", "valid list"),
    ],
)
def test_a_calendar_that_cannot_work_is_refused_naming_the_field(
    api: Client, fields: dict[str, Any], field: str, says: str
) -> None:
    calendar = CalendarFactory.create(name="Kept", time_zone="UTC")

    created = api.post(CALENDARS, calendar_body(**fields), JSON)
    changed = api.put(f"{CALENDARS}/{calendar.pk}", calendar_body(**fields), JSON)

    assert error(created) == error(changed) == (422, field)
    assert says in created.json()["error"]["message"]
    assert list(Calendar.objects.values_list("name", "time_zone")) == [("Kept", "UTC")]


def test_agents_may_not_change_calendars(agent_api: Client) -> None:
    calendar = CalendarFactory.create(name="Kept")

    responses = [
        agent_api.post(CALENDARS, calendar_body(), JSON),
        agent_api.put(f"{CALENDARS}/{calendar.pk}", calendar_body(), JSON),
        agent_api.delete(f"{CALENDARS}/{calendar.pk}"),
        agent_api.post(f"{CALENDARS}/{calendar.pk}/holidays", {"name": "X", "first_day": "2027-01-01"}, JSON),
        agent_api.post(f"{CALENDARS}/{calendar.pk}/holidays/import", {"file": ics_file(SPAIN_2027)}),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    assert list(Calendar.objects.values_list("name", flat=True)) == ["Kept"]
    assert not Holiday.objects.exists()


def test_an_unknown_calendar_is_404(api: Client) -> None:
    assert api.get(f"{CALENDARS}/424242").status_code == 404
    assert api.put(f"{CALENDARS}/424242", calendar_body(), JSON).status_code == 404
    assert api.delete(f"{CALENDARS}/424242").status_code == 404


# --- holidays ----------------------------------------------------------------------------


def test_supervisor_adds_a_day_and_a_range_and_removes_one(api: Client) -> None:
    calendar = CalendarFactory.create()
    url = f"{CALENDARS}/{calendar.pk}/holidays"

    day = api.post(url, {"name": "Año Nuevo", "first_day": "2027-01-01"}, JSON)
    summer = api.post(url, {"name": "Works closed", "first_day": "2027-08-02", "last_day": "2027-08-15"}, JSON)
    removed = api.delete(f"{url}/{day.json()['id']}")

    assert (day.status_code, summer.status_code, removed.status_code) == (201, 201, 204)
    assert (day.json()["first_day"], day.json()["last_day"]) == ("2027-01-01", "2027-01-01")
    assert list(calendar.holidays.values_list("name", "first_day", "last_day")) == [
        ("Works closed", date(2027, 8, 2), date(2027, 8, 15))
    ]


def test_a_holiday_ending_before_it_starts_is_refused(api: Client) -> None:
    calendar = CalendarFactory.create()

    response = api.post(
        f"{CALENDARS}/{calendar.pk}/holidays", {"name": "X", "first_day": "2027-01-02", "last_day": "2027-01-01"}, JSON
    )

    assert error(response) == (422, "last_day")
    assert not Holiday.objects.exists()


def test_a_holiday_is_removed_only_through_its_own_calendar(api: Client) -> None:
    calendar, other = CalendarFactory.create(), CalendarFactory.create()
    holiday = Holiday.objects.create(calendar=other, name="X", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1))

    response = api.delete(f"{CALENDARS}/{calendar.pk}/holidays/{holiday.pk}")

    assert response.status_code == 404
    assert Holiday.objects.exists()


def test_supervisor_imports_an_icalendar_file_twice_without_duplicates(api: Client) -> None:
    calendar = CalendarFactory.create()
    url = f"{CALENDARS}/{calendar.pk}/holidays/import"

    first = api.post(url, {"file": ics_file(SPAIN_2027)})
    again = api.post(url, {"file": ics_file(SPAIN_2027)})

    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["imported"], len(first.json()["calendar"]["holidays"])) == (8, 8)
    assert (again.json()["imported"], len(again.json()["calendar"]["holidays"])) == (8, 8)
    assert first.json()["calendar"]["holidays"][0]["uid"] == "es-2027-0101@example.com"
    assert calendar.holidays.count() == 8


@pytest.mark.parametrize(
    "upload",
    [
        {"file": ics_file(b"<html><body>Holidays</body></html>", "holidays.html")},
        {"file": ics_file(b"")},
        {"file": ics_file(LITHUANIA_2027.replace(b"20270311", b"2027-03-11"))},
        {},
    ],
)
def test_a_file_that_is_not_icalendar_is_refused_naming_the_file_and_changes_nothing(
    api: Client, upload: dict[str, Any]
) -> None:
    calendar = CalendarFactory.create()
    Holiday.objects.create(calendar=calendar, name="Kept", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1))

    response = api.post(f"{CALENDARS}/{calendar.pk}/holidays/import", upload)

    assert error(response) == (422, "file")
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Kept"]


def test_a_json_body_is_not_an_import(api: Client) -> None:
    calendar = CalendarFactory.create()

    response = api.post(f"{CALENDARS}/{calendar.pk}/holidays/import", {"file": "BEGIN:VCALENDAR"}, JSON)

    assert error(response) == (422, "file")


# --- policies ----------------------------------------------------------------------------


def test_supervisor_creates_a_policy_with_its_targets(api: Client) -> None:
    calendar = CalendarFactory.create(name="24/7")
    organisation, team, escalation = OrganisationFactory.create(), TeamFactory.create(), TeamFactory.create(name="L2")

    response = api.post(
        POLICIES,
        policy_body(
            calendar,
            name="VIP",
            position=1,
            organisations=[organisation.pk],
            teams=[team.pk],
            channels=["email", "chat"],
            priorities=["high", "urgent"],
            tags=["VIP"],
            warn_at=[0.5, 0.8],
            targets=[
                {"priority": "urgent", "first_response_minutes": 15, "next_response_minutes": 30},
                {"priority": "high", "first_response_minutes": 60, "resolution_minutes": 960},
            ],
            breach_raise_priority=True,
            breach_team=escalation.pk,
            breach_notify_supervisors=True,
        ),
        JSON,
    )

    policy = Policy.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": policy.pk,
        "name": "VIP",
        "position": 1,
        "is_active": True,
        "calendar": {"id": calendar.pk, "name": "24/7"},
        "organisations": [organisation.pk],
        "teams": [team.pk],
        "channels": ["chat", "email"],
        "priorities": ["high", "urgent"],
        "tags": ["vip"],
        "warn_at": [0.5, 0.8],
        "breach_raise_priority": True,
        "breach_team": {"id": escalation.pk, "name": "L2"},
        "breach_notify_supervisors": True,
        "targets": [
            {
                "priority": "high",
                "first_response_minutes": 60,
                "next_response_minutes": None,
                "resolution_minutes": 960,
            },
            {
                "priority": "urgent",
                "first_response_minutes": 15,
                "next_response_minutes": 30,
                "resolution_minutes": None,
            },
        ],
        "active_since": "2026-11-02T09:00:00Z",
        "updated_at": "2026-11-02T09:00:00Z",
    }


def test_a_policy_takes_the_default_warnings(api: Client) -> None:
    response = api.post(POLICIES, policy_body(CalendarFactory.create()), JSON)

    assert response.json()["warn_at"] == [0.75, 0.9]


def test_any_agent_reads_the_policies(agent_api: Client) -> None:
    policy = policy_with(name="Standard")

    listed = agent_api.get(POLICIES)
    read = agent_api.get(f"{POLICIES}/{policy.pk}")

    assert listed.status_code == read.status_code == 200
    assert listed.json() == [read.json()]
    assert [target["priority"] for target in read.json()["targets"]] == ["low", "normal", "high", "urgent"]


@pytest.mark.parametrize("policies", [1, 8])
def test_policy_list_runs_a_fixed_number_of_queries(
    agent_api: Client, policies: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(policies):
        policy_with(breach_team=TeamFactory.create())

    # token and its last use, policies with their calendars and teams, their targets
    with django_assert_max_num_queries(4):
        response = agent_api.get(POLICIES)

    assert len(response.json()) == policies


def test_supervisor_replaces_a_policy_and_its_targets(api: Client) -> None:
    policy = policy_with(name="Old")

    response = api.put(
        f"{POLICIES}/{policy.pk}",
        policy_body(policy.calendar, targets=[{"priority": "low", "resolution_minutes": 2880}], is_active=False),
        JSON,
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["is_active"]) == ("Standard", False)
    assert list(PolicyTarget.objects.values_list("priority", "resolution_minutes")) == [("low", 2880)]


def test_supervisor_deletes_a_policy_unless_a_contract_names_it(api: Client) -> None:
    named, free = PolicyFactory.create(), PolicyFactory.create()
    Contract.objects.create(organisation=OrganisationFactory.create(), name="Gold", policy=named, starts_on=NOW.date())

    refused = api.delete(f"{POLICIES}/{named.pk}")
    deleted = api.delete(f"{POLICIES}/{free.pk}")

    assert (refused.status_code, deleted.status_code) == (409, 204)
    assert list(Policy.objects.values_list("pk", flat=True)) == [named.pk]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"warn_at": [0.75, 1.5]}, "warn_at"),
        ({"warn_at": [-0.1]}, "warn_at"),
        (
            {"targets": [{"priority": "high", "first_response_minutes": 60}, {"priority": "high"}]},
            "targets",
        ),
        ({"targets": [{"priority": "critical", "first_response_minutes": 60}]}, "targets.priority"),
        ({"targets": [{"priority": "high", "first_response_minutes": 0}]}, "targets.first_response_minutes"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"organisations": [424242]}, "organisations"),
        ({"teams": [424242]}, "teams"),
        ({"breach_team": 424242}, "breach_team"),
        ({"calendar": 424242}, "calendar"),
        ({"name": " "}, "name"),
    ],
)
def test_a_policy_that_cannot_work_is_refused_naming_the_field_and_changes_nothing(
    api: Client, fields: dict[str, Any], field: str
) -> None:
    policy = policy_with(name="Kept")

    created = api.post(POLICIES, policy_body(policy.calendar, **fields), JSON)
    changed = api.put(f"{POLICIES}/{policy.pk}", policy_body(policy.calendar, **fields), JSON)

    assert error(created) == error(changed) == (422, field)
    assert list(Policy.objects.values_list("name", flat=True)) == ["Kept"]
    assert PolicyTarget.objects.filter(policy=policy).count() == 4


def test_agents_may_not_write_policies(agent_api: Client) -> None:
    policy = policy_with(name="Kept")

    responses = [
        agent_api.post(POLICIES, policy_body(policy.calendar, name="New"), JSON),
        agent_api.put(f"{POLICIES}/{policy.pk}", policy_body(policy.calendar, name="Changed"), JSON),
        agent_api.delete(f"{POLICIES}/{policy.pk}"),
    ]

    assert [response.status_code for response in responses] == [403] * 3
    assert [response.json()["error"]["code"] for response in responses] == ["forbidden"] * 3
    assert list(Policy.objects.values_list("name", flat=True)) == ["Kept"]


def test_saving_a_policy_recomputes_an_open_tickets_clocks(
    api: Client, django_capture_on_commit_callbacks: Any
) -> None:
    calendar = CalendarFactory.create(always_open=True)
    ticket = new_ticket()

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(POLICIES, policy_body(calendar), JSON)
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + timedelta(minutes=60)

    with django_capture_on_commit_callbacks(execute=True):
        api.put(
            f"{POLICIES}/{created.json()['id']}",
            policy_body(calendar, targets=[{"priority": "normal", "first_response_minutes": 20}]),
            JSON,
        )
    assert list(Clock.objects.filter(ticket=ticket).values_list("metric", "target_minutes")) == [("first_response", 20)]
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + timedelta(minutes=20)


# --- contracts ---------------------------------------------------------------------------


def test_supervisor_creates_changes_and_deletes_a_contract(api: Client) -> None:
    organisation, policy = OrganisationFactory.create(name="Hotel Sol"), PolicyFactory.create(name="Gold")
    body = {"organisation": organisation.pk, "name": "Gold 2027", "policy": policy.pk, "starts_on": "2027-01-01"}

    created = api.post(CONTRACTS, body, JSON)
    contract = Contract.objects.get()
    changed = api.put(f"{CONTRACTS}/{contract.pk}", {**body, "ends_on": "2027-12-31"}, JSON)
    deleted = api.delete(f"{CONTRACTS}/{contract.pk}")

    assert created.status_code == 201
    assert created.json() == {
        "id": contract.pk,
        "organisation": {"id": organisation.pk, "name": "Hotel Sol"},
        "name": "Gold 2027",
        "policy": {"id": policy.pk, "name": "Gold"},
        "starts_on": "2027-01-01",
        "ends_on": None,
    }
    assert (changed.status_code, changed.json()["ends_on"]) == (200, "2027-12-31")
    assert deleted.status_code == 204
    assert not Contract.objects.exists()


def test_agents_list_contracts_by_organisation(agent_api: Client) -> None:
    policy = PolicyFactory.create()
    sol, mar = OrganisationFactory.create(), OrganisationFactory.create()
    ours = Contract.objects.create(organisation=sol, name="Sol", policy=policy, starts_on=date(2027, 1, 1))
    Contract.objects.create(organisation=mar, name="Mar", policy=policy, starts_on=date(2027, 1, 1))

    everything = agent_api.get(CONTRACTS)
    filtered = agent_api.get(CONTRACTS, {"organisation": sol.pk})
    read = agent_api.get(f"{CONTRACTS}/{ours.pk}")

    assert len(everything.json()) == 2
    assert [contract["name"] for contract in filtered.json()] == ["Sol"]
    assert read.json() == filtered.json()[0]


@pytest.mark.parametrize("contracts", [1, 8])
def test_contract_list_runs_a_fixed_number_of_queries(
    agent_api: Client, contracts: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(contracts):
        Contract.objects.create(
            organisation=OrganisationFactory.create(), name="C", policy=PolicyFactory.create(), starts_on=NOW.date()
        )

    # token and its last use, contracts with their organisations and policies
    with django_assert_max_num_queries(3):
        response = agent_api.get(CONTRACTS)

    assert len(response.json()) == contracts


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": "2026-12-31"}, "ends_on"),
        ({"organisation": 424242}, "organisation"),
        ({"policy": 424242}, "policy"),
        ({"starts_on": "next year"}, "starts_on"),
        ({"name": ""}, "name"),
    ],
)
def test_a_contract_that_cannot_be_is_refused_naming_the_field_and_changes_nothing(
    api: Client, fields: dict[str, Any], field: str
) -> None:
    organisation, policy = OrganisationFactory.create(), PolicyFactory.create()
    contract = Contract.objects.create(
        organisation=organisation, name="Kept", policy=policy, starts_on=date(2027, 1, 1)
    )
    body = {"organisation": organisation.pk, "name": "Gold", "policy": policy.pk, "starts_on": "2027-01-01", **fields}

    created = api.post(CONTRACTS, body, JSON)
    changed = api.put(f"{CONTRACTS}/{contract.pk}", body, JSON)

    assert error(created) == error(changed) == (422, field)
    assert list(Contract.objects.values_list("name", "ends_on")) == [("Kept", None)]


def test_agents_may_not_write_contracts(agent_api: Client) -> None:
    organisation, policy = OrganisationFactory.create(), PolicyFactory.create()
    contract = Contract.objects.create(
        organisation=organisation, name="Kept", policy=policy, starts_on=date(2027, 1, 1)
    )
    body = {"organisation": organisation.pk, "name": "Gold", "policy": policy.pk, "starts_on": "2027-01-01"}

    responses = [
        agent_api.post(CONTRACTS, body, JSON),
        agent_api.put(f"{CONTRACTS}/{contract.pk}", body, JSON),
        agent_api.delete(f"{CONTRACTS}/{contract.pk}"),
    ]

    assert [response.status_code for response in responses] == [403] * 3
    assert list(Contract.objects.values_list("name", flat=True)) == ["Kept"]


# --- a ticket's clocks -------------------------------------------------------------------


def test_a_ticket_shows_its_clocks_and_the_alarms_fired() -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    policy = policy_with({"normal": (60, None, 480)}, name="Standard")
    ticket = new_ticket(team=team)
    sla_refresh(ticket_id=ticket.pk, now=NOW + timedelta(minutes=50))

    response = api_client(agent).get(f"/api/v1/tickets/{ticket.pk}/sla")

    assert response.status_code == 200
    assert response.json() == {
        "clocks": [
            {
                "metric": "first_response",
                "started_at": "2026-11-02T09:00:00Z",
                "target_minutes": 60,
                "state": "running",
                "due_at": "2026-11-02T10:00:00Z",
                "stopped_at": None,
                "elapsed_seconds": 3000,
                "paused_seconds": 0,
                "policy": {"id": policy.pk, "name": "Standard"},
            },
            {
                "metric": "resolution",
                "started_at": "2026-11-02T09:00:00Z",
                "target_minutes": 480,
                "state": "running",
                "due_at": "2026-11-02T17:00:00Z",
                "stopped_at": None,
                "elapsed_seconds": 3000,
                "paused_seconds": 0,
                "policy": {"id": policy.pk, "name": "Standard"},
            },
        ],
        "alarms": [
            {
                "metric": "first_response",
                "level": "warning",
                "percent": 75.0,
                "due_at": "2026-11-02T09:45:00Z",
                "fired_at": "2026-11-02T09:50:00Z",
            }
        ],
    }
    assert Alarm.objects.get().level == AlarmLevel.WARNING


def test_a_ticket_without_a_policy_has_no_clocks(api: Client) -> None:
    ticket = TicketFactory.create()

    response = api.get(f"/api/v1/tickets/{ticket.pk}/sla")

    assert response.json() == {"clocks": [], "alarms": []}


def test_a_tickets_sla_is_404_for_someone_who_cannot_see_the_ticket() -> None:
    outsider = UserFactory.create(role=Role.AGENT)
    policy_with()
    ticket = new_ticket(team=TeamFactory.create(members=[UserFactory.create()]))
    sla_refresh(ticket_id=ticket.pk, now=NOW + timedelta(minutes=50))

    hidden = api_client(outsider).get(f"/api/v1/tickets/{ticket.pk}/sla")
    missing = api_client(outsider).get("/api/v1/tickets/424242/sla")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"
    assert "first_response" not in hidden.content.decode()


@pytest.mark.parametrize("alarms", [1, 3])
def test_ticket_sla_runs_a_fixed_number_of_queries(
    api: Client, alarms: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    policy_with()
    ticket = new_ticket()
    sla_refresh(ticket_id=ticket.pk, now=NOW + timedelta(minutes=(45, 54, 60)[alarms - 1]))

    # token and its last use, the ticket (twice: clocks and alarms each check it), clocks with policies, alarms
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/tickets/{ticket.pk}/sla")

    assert len(response.json()["alarms"]) == alarms


# --- the OpenAPI document ----------------------------------------------------------------

SLA_OPERATIONS = {
    ("/api/v1/sla/calendars", "get"): "200",
    ("/api/v1/sla/calendars", "post"): "201",
    ("/api/v1/sla/calendars/{calendar_id}", "get"): "200",
    ("/api/v1/sla/calendars/{calendar_id}", "put"): "200",
    ("/api/v1/sla/calendars/{calendar_id}", "delete"): "204",
    ("/api/v1/sla/calendars/{calendar_id}/holidays", "post"): "201",
    ("/api/v1/sla/calendars/{calendar_id}/holidays/{holiday_id}", "delete"): "204",
    ("/api/v1/sla/calendars/{calendar_id}/holidays/import", "post"): "200",
    ("/api/v1/sla/policies", "get"): "200",
    ("/api/v1/sla/policies", "post"): "201",
    ("/api/v1/sla/policies/{policy_id}", "get"): "200",
    ("/api/v1/sla/policies/{policy_id}", "put"): "200",
    ("/api/v1/sla/policies/{policy_id}", "delete"): "204",
    ("/api/v1/sla/contracts", "get"): "200",
    ("/api/v1/sla/contracts", "post"): "201",
    ("/api/v1/sla/contracts/{contract_id}", "get"): "200",
    ("/api/v1/sla/contracts/{contract_id}", "put"): "200",
    ("/api/v1/sla/contracts/{contract_id}", "delete"): "204",
    ("/api/v1/tickets/{ticket_id}/sla", "get"): "200",
}


def test_the_openapi_document_lists_the_sla_endpoints_with_typed_schemas(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    for (path, method), status in SLA_OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["summary"], (path, method)
        assert operation["tags"] == ["sla"], (path, method)
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        if status != "204":
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert "$ref" in schema or "$ref" in schema["items"], (path, method)
    body = document["paths"]["/api/v1/sla/calendars/{calendar_id}/holidays/import"]["post"]["requestBody"]
    assert body["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    assert {"CalendarOut", "PolicyOut", "PolicyIn", "TargetIn", "ContractOut", "TicketSlaOut"} <= set(
        document["components"]["schemas"]
    )
