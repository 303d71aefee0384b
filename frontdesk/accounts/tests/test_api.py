"""The accounts REST API: contacts, organisations, agents, teams."""

from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Contact, ContactIdentity, Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def admin() -> User:
    return UserFactory.create(role=Role.ADMIN, name="Ada Admin", email="ada@frontdesk.test")


@pytest.fixture
def api(admin: User) -> Client:
    """The admin's API client."""
    return api_client(admin)


def names(response: Any) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


# --- contacts --------------------------------------------------------------------------


def test_contacts_are_listed_by_name_with_their_addresses(api: Client) -> None:
    organisation = OrganisationFactory.create(name="Baltic Stays")
    ContactFactory.create(name="Rasa", email="rasa@example.com", organisation=organisation)
    ContactFactory.create(name="Andrius", email="andrius@example.com")

    response = api.get("/api/v1/contacts")

    assert response.status_code == 200
    assert names(response) == ["Andrius", "Rasa"]
    rasa = response.json()["items"][1]
    assert rasa["organisation"] == {"id": organisation.pk, "name": "Baltic Stays"}
    assert rasa["identities"] == [
        {"kind": "email", "value": "rasa@example.com", "is_primary": True, "failing_since": None, "failure": ""}
    ]


def test_contact_search_matches_name_or_address(api: Client) -> None:
    ContactFactory.create(name="Rasa", email="rasa@example.com")
    ContactFactory.create(name="Jonas", email="booking-7@partner.example")

    assert names(api.get("/api/v1/contacts?q=ras")) == ["Rasa"]
    assert names(api.get("/api/v1/contacts?q=partner")) == ["Jonas"]


def test_contact_pages_walk_everyone_once_even_with_equal_names(api: Client) -> None:
    contacts = [ContactFactory.create(name=f"Guest {i % 3}") for i in range(7)]
    first = api.get("/api/v1/contacts?limit=3").json()
    second = api.get(f"/api/v1/contacts?limit=3&cursor={first['next_cursor']}").json()
    third = api.get(f"/api/v1/contacts?limit=3&cursor={second['next_cursor']}").json()

    seen = [item["id"] for page in (first, second, third) for item in page["items"]]

    assert seen == [contact.pk for contact in sorted(contacts, key=lambda c: (c.name, c.pk))]
    assert third["next_cursor"] is None


def test_broken_contact_cursor_names_the_cursor(api: Client) -> None:
    response = api.get("/api/v1/contacts?cursor=%%%")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize("count", [5, 30])
def test_contact_list_runs_a_fixed_number_of_queries(
    api: Client, count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    organisation = OrganisationFactory.create()
    ContactFactory.create_batch(count, organisation=organisation)
    api.get("/api/v1/contacts?limit=1")

    # token, contacts with organisations, identities
    with django_assert_max_num_queries(3):
        assert len(api.get("/api/v1/contacts?limit=100").json()["items"]) == count


def test_create_a_contact_with_addresses(api: Client) -> None:
    organisation = OrganisationFactory.create()

    response = api.post(
        "/api/v1/contacts",
        {
            "name": "Marta",
            "email": "Marta@Example.com",
            "phone": "+370 600 12345",
            "organisation": organisation.pk,
            "language": "lt",
        },
        content_type=JSON,
    )

    body = response.json()
    assert response.status_code == 201
    assert body["name"] == "Marta"
    assert body["organisation"]["id"] == organisation.pk
    assert {(i["kind"], i["value"]) for i in body["identities"]} == {
        ("email", "marta@example.com"),
        ("phone", "+37060012345"),
    }


def test_create_a_contact_with_a_taken_address_is_a_conflict(api: Client) -> None:
    ContactFactory.create(email="taken@example.com")

    response = api.post("/api/v1/contacts", {"email": "taken@example.com"}, content_type=JSON)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Contact.objects.count() == 1


def test_create_a_contact_with_a_bad_address_names_the_field(api: Client) -> None:
    response = api.post("/api/v1/contacts", {"name": "X", "email": "not-an-address"}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "email"


def test_read_a_merged_contact_answers_with_the_one_it_went_into(api: Client) -> None:
    source, target = ContactFactory.create(), ContactFactory.create()
    api.post(f"/api/v1/contacts/{source.pk}/merge", {"target": target.pk}, content_type=JSON)

    response = api.get(f"/api/v1/contacts/{source.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == target.pk


def test_unknown_contact_is_404(api: Client) -> None:
    assert api.get("/api/v1/contacts/9999").status_code == 404


def test_patch_a_contact_changes_only_what_is_sent(api: Client) -> None:
    organisation = OrganisationFactory.create()
    contact = ContactFactory.create(name="Old name", language="es", organisation=organisation)

    renamed = api.patch(f"/api/v1/contacts/{contact.pk}", {"name": "New name"}, content_type=JSON)
    detached = api.patch(f"/api/v1/contacts/{contact.pk}", {"organisation": None}, content_type=JSON)

    contact.refresh_from_db()
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "New name"
    assert detached.json()["organisation"] is None
    assert (contact.name, contact.language, contact.organisation) == ("New name", "es", None)


def test_patch_a_contact_refuses_null_names_and_unknown_organisations(api: Client) -> None:
    contact = ContactFactory.create()

    null_name = api.patch(f"/api/v1/contacts/{contact.pk}", {"name": None}, content_type=JSON)
    unknown = api.patch(f"/api/v1/contacts/{contact.pk}", {"organisation": 9999}, content_type=JSON)

    assert null_name.json()["error"]["field"] == "name"
    assert unknown.json()["error"]["field"] == "organisation"


def test_add_an_address_to_a_contact(api: Client) -> None:
    contact = ContactFactory.create()

    response = api.post(
        f"/api/v1/contacts/{contact.pk}/identities", {"kind": "chat", "value": "visitor-42"}, content_type=JSON
    )

    assert response.status_code == 201
    assert response.json() == {
        "kind": "chat",
        "value": "visitor-42",
        "is_primary": False,
        "failing_since": None,
        "failure": "",
    }
    assert ContactIdentity.objects.get(value="visitor-42").contact == contact


def test_an_address_of_someone_else_is_a_conflict(api: Client) -> None:
    ContactFactory.create(email="taken@example.com")
    contact = ContactFactory.create()

    response = api.post(
        f"/api/v1/contacts/{contact.pk}/identities", {"kind": "email", "value": "taken@example.com"}, content_type=JSON
    )

    assert response.status_code == 409
    assert response.json()["error"]["field"] == "email"


def test_merge_moves_addresses_and_then_tickets(api: Client, django_capture_on_commit_callbacks: Any) -> None:
    source = ContactFactory.create(email="old@example.com")
    target = ContactFactory.create(email="new@example.com")
    ticket = TicketFactory.create(requester=source)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/contacts/{source.pk}/merge", {"target": target.pk}, content_type=JSON)

    ticket.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["id"] == target.pk
    assert {i["value"] for i in response.json()["identities"]} == {"old@example.com", "new@example.com"}
    assert ticket.requester == target


def test_merge_into_itself_or_nobody_names_the_target(api: Client) -> None:
    contact = ContactFactory.create()

    itself = api.post(f"/api/v1/contacts/{contact.pk}/merge", {"target": contact.pk}, content_type=JSON)
    nobody = api.post(f"/api/v1/contacts/{contact.pk}/merge", {"target": 9999}, content_type=JSON)

    assert (itself.status_code, itself.json()["error"]["field"]) == (422, "target")
    assert (nobody.status_code, nobody.json()["error"]["field"]) == (422, "target")


# --- organisations -------------------------------------------------------------------


def test_organisations_list_create_and_read(api: Client) -> None:
    OrganisationFactory.create(name="Zebra Apartments")

    created = api.post(
        "/api/v1/organisations",
        {"name": "Amber Hotels", "domain": "Amber.example", "region": "Baltics"},
        content_type=JSON,
    )
    listed = api.get("/api/v1/organisations")
    searched = api.get("/api/v1/organisations?q=amber")
    read = api.get(f"/api/v1/organisations/{created.json()['id']}")

    assert created.status_code == 201
    assert (created.json()["domain"], created.json()["region"]) == ("amber.example", "Baltics")
    assert names(listed) == ["Amber Hotels", "Zebra Apartments"]
    assert names(searched) == ["Amber Hotels"]
    assert read.json()["name"] == "Amber Hotels"


def test_organisation_name_is_required_and_unique(api: Client) -> None:
    OrganisationFactory.create(name="Amber Hotels")

    blank = api.post("/api/v1/organisations", {"name": " "}, content_type=JSON)
    taken = api.post("/api/v1/organisations", {"name": "Amber Hotels"}, content_type=JSON)

    assert (blank.status_code, blank.json()["error"]["field"]) == (422, "name")
    assert (taken.status_code, taken.json()["error"]["field"]) == (409, "name")


def test_unknown_organisation_is_404(api: Client) -> None:
    assert api.get("/api/v1/organisations/9999").status_code == 404


# --- agents and teams ----------------------------------------------------------------


def test_agents_are_listed_with_their_teams(api: Client, admin: User) -> None:
    bob = UserFactory.create(name="Bob", role=Role.LIGHT_AGENT)
    team = TeamFactory.create(members=[bob])
    UserFactory.create(name="Gone", is_active=False)

    response = api.get("/api/v1/agents")

    assert response.status_code == 200
    assert [(agent["name"], agent["role"], agent["teams"]) for agent in response.json()] == [
        ("Ada Admin", "admin", []),
        ("Bob", "light_agent", [team.pk]),
    ]


def test_read_an_agent(api: Client, admin: User) -> None:
    response = api.get(f"/api/v1/agents/{admin.pk}")

    assert response.json() == {
        "id": admin.pk,
        "name": "Ada Admin",
        "email": "ada@frontdesk.test",
        "role": "admin",
        "language": "en",
        "is_active": True,
        "teams": [],
    }


def test_admin_creates_an_agent(api: Client) -> None:
    response = api.post(
        "/api/v1/agents",
        {"email": "New@Frontdesk.test", "name": "Nora", "role": "supervisor", "password": "long enough"},
        content_type=JSON,
    )

    nora = User.objects.get(email="new@frontdesk.test")
    assert response.status_code == 201
    assert response.json()["role"] == "supervisor"
    assert nora.check_password("long enough")


def test_agent_with_a_taken_email_or_an_unknown_role_is_refused(api: Client, admin: User) -> None:
    taken = api.post("/api/v1/agents", {"email": admin.email, "name": "Twin"}, content_type=JSON)
    bad_role = api.post("/api/v1/agents", {"email": "x@frontdesk.test", "name": "X", "role": "boss"}, content_type=JSON)

    assert (taken.status_code, taken.json()["error"]["field"]) == (409, "email")
    assert (bad_role.status_code, bad_role.json()["error"]["field"]) == (422, "role")


def test_teams_are_listed_with_lead_and_members(api: Client, admin: User) -> None:
    team = TeamFactory.create(name="Front office", lead=admin, members=[admin])

    response = api.get("/api/v1/teams")

    assert response.json() == [
        {
            "id": team.pk,
            "name": "Front office",
            "lead": {"id": admin.pk, "name": "Ada Admin"},
            "members": [{"id": admin.pk, "name": "Ada Admin"}],
        }
    ]


def test_teams_list_runs_a_fixed_number_of_queries(
    api: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(6):
        TeamFactory.create(lead=UserFactory.create(), members=UserFactory.create_batch(3))
    api.get("/api/v1/teams")

    # token, teams with leads, members
    with django_assert_max_num_queries(3):
        assert len(api.get("/api/v1/teams").json()) == 6


def test_admin_creates_a_team(api: Client) -> None:
    lead, member = UserFactory.create(), UserFactory.create()

    response = api.post(
        "/api/v1/teams", {"name": "Night shift", "lead": lead.pk, "members": [lead.pk, member.pk]}, content_type=JSON
    )

    team = Team.objects.get(name="Night shift")
    assert response.status_code == 201
    assert team.lead == lead
    assert set(team.members.all()) == {lead, member}


def test_team_with_unknown_members_names_the_members(api: Client) -> None:
    response = api.post("/api/v1/teams", {"name": "Ghosts", "members": [9998, 9999]}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "members"
    assert not Team.objects.exists()


# --- organisations: region, owner, key account ----------------------------------------


def test_supervisor_names_an_account_owner_and_marks_a_key_account() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    owner = UserFactory.create(name="Olga Owner")
    organisation = OrganisationFactory.create(region="Baltics")
    url = f"/api/v1/organisations/{organisation.pk}"

    changed = api_client(supervisor).patch(url, {"owner": owner.pk, "key_account": True}, content_type=JSON)
    read = api_client(supervisor).get(url)

    organisation.refresh_from_db()
    assert changed.status_code == 200
    assert changed.json() == read.json()
    assert (read.json()["owner"], read.json()["key_account"], read.json()["region"]) == (
        {"id": owner.pk, "name": "Olga Owner"},
        True,
        "Baltics",
    )
    assert (organisation.owner, organisation.key_account, organisation.region) == (owner, True, "Baltics")


def test_organisation_patch_changes_only_what_is_sent(api: Client) -> None:
    owner = UserFactory.create()
    organisation = OrganisationFactory.create(region="Iberia", owner=owner, key_account=True)

    moved = api.patch(f"/api/v1/organisations/{organisation.pk}", {"region": " Baltics "}, content_type=JSON)
    ownerless = api.patch(f"/api/v1/organisations/{organisation.pk}", {"owner": None}, content_type=JSON)

    organisation.refresh_from_db()
    assert moved.json()["owner"] == {"id": owner.pk, "name": owner.name}
    assert (ownerless.json()["owner"], ownerless.json()["region"], ownerless.json()["key_account"]) == (
        None,
        "Baltics",
        True,
    )
    assert (organisation.owner, organisation.region, organisation.key_account) == (None, "Baltics", True)


@pytest.mark.parametrize("role", [Role.AGENT, Role.LIGHT_AGENT])
def test_agents_may_not_change_organisations(role: str) -> None:
    organisation = OrganisationFactory.create(region="Iberia")

    response = api_client(UserFactory.create(role=role)).patch(
        f"/api/v1/organisations/{organisation.pk}", {"region": "Baltics", "key_account": True}, content_type=JSON
    )

    organisation.refresh_from_db()
    assert response.status_code == 403
    assert (organisation.region, organisation.key_account) == ("Iberia", False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": 424242}, "owner"),
        ({"owner": 0}, "owner"),
        ({"region": None}, "region"),
        ({"region": "x" * 101}, "region"),
        ({"key_account": None}, "key_account"),
    ],
)
def test_an_organisation_change_that_cannot_be_is_refused_and_changes_nothing(
    api: Client, body: dict[str, Any], field: str
) -> None:
    organisation = OrganisationFactory.create(region="Iberia")

    response = api.patch(f"/api/v1/organisations/{organisation.pk}", {"key_account": True, **body}, content_type=JSON)

    organisation.refresh_from_db()
    assert (response.status_code, response.json()["error"]["field"]) == (422, field)
    assert (organisation.region, organisation.owner, organisation.key_account) == ("Iberia", None, False)


def test_an_account_owner_is_an_active_agent_not_a_light_agent(api: Client) -> None:
    organisation = OrganisationFactory.create()
    light_agent, former = UserFactory.create(role=Role.LIGHT_AGENT), UserFactory.create(is_active=False)

    responses = [
        api.patch(f"/api/v1/organisations/{organisation.pk}", {"owner": user.pk}, content_type=JSON)
        for user in (light_agent, former)
    ]

    organisation.refresh_from_db()
    assert [(response.status_code, response.json()["error"]["field"]) for response in responses] == [
        (422, "owner"),
        (422, "owner"),
    ]
    assert organisation.owner is None


def test_an_unknown_organisation_cannot_be_changed(api: Client) -> None:
    assert api.patch("/api/v1/organisations/424242", {"region": "Baltics"}, content_type=JSON).status_code == 404


@pytest.mark.parametrize("organisations", [1, 8])
def test_organisation_list_runs_a_fixed_number_of_queries(
    api: Client, organisations: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(organisations):
        OrganisationFactory.create(owner=UserFactory.create(), key_account=True)

    # token and its last use, the organisations with their owners
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/organisations")

    assert len(response.json()["items"]) == organisations
