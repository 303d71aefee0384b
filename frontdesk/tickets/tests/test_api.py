"""The tickets REST API: list, create, read, change, escalate, history, messages, attachments, tags."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Contact, ContactIdentity, Role, User
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.tickets.models import EventKind, Status, Tag, Ticket
from frontdesk.tickets.services import ticket_add_note, ticket_create, ticket_reply
from frontdesk.tickets.tests.factories import NOW, TicketFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def admin() -> User:
    return UserFactory.create(role=Role.ADMIN, name="Ada Admin")


@pytest.fixture
def api(admin: User) -> Client:
    """The admin's API client."""
    return api_client(admin)


def new_ticket(subject: str = "Late check-in", **fields: Any) -> Ticket:
    return ticket_create(
        subject=subject,
        requester=fields.pop("requester", None) or ContactFactory.create(),
        channel="email",
        body_text="We arrive at midnight.",
        actor=None,
        now=NOW,
        **fields,
    )


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


# --- list --------------------------------------------------------------------------------


def test_list_is_newest_activity_first_with_the_ticket_fields(api: Client) -> None:
    team = TeamFactory.create(name="Front office")
    older = TicketFactory.create(last_activity_at=NOW - timedelta(hours=1))
    newer = TicketFactory.create(last_activity_at=NOW, team=team, priority="high", booking_stage="in_stay")
    newer.tags.set([Tag.objects.create(name="parking")])

    response = api.get("/api/v1/tickets")

    assert response.status_code == 200
    assert ids(response) == [newer.pk, older.pk]
    first = response.json()["items"][0]
    assert first["team"] == {"id": team.pk, "name": "Front office"}
    assert first["requester"] == {"id": newer.requester_id, "name": newer.requester.name}
    assert first["tags"] == ["parking"]
    assert first["priority"] == "high"
    assert first["booking_stage"] == "in_stay"
    assert first["booking_channel"] is None
    assert response.json()["next_cursor"] is None


def test_list_filters_like_the_workspace(api: Client) -> None:
    team, agent = TeamFactory.create(), UserFactory.create()
    wanted = TicketFactory.create(team=team, status=Status.PENDING, channel="chat", assignee=agent, priority="urgent")
    wanted.tags.set([Tag.objects.create(name="refund")])
    TicketFactory.create(team=team, status=Status.OPEN, channel="chat")
    TicketFactory.create(status=Status.PENDING, channel="email")

    by_team_and_status = api.get(f"/api/v1/tickets?team={team.pk}&status=pending")
    by_channel = api.get("/api/v1/tickets?channel=chat&status=pending")
    by_tag = api.get("/api/v1/tickets?tag=refund")
    by_assignee = api.get(f"/api/v1/tickets?assignee={agent.pk}&priority=urgent")
    by_view = api.get("/api/v1/tickets?view=pending&channel=chat")

    assert ids(by_team_and_status) == [wanted.pk]
    assert ids(by_channel) == [wanted.pk]
    assert ids(by_tag) == [wanted.pk]
    assert ids(by_assignee) == [wanted.pk]
    assert ids(by_view) == [wanted.pk]


def test_status_filter_takes_a_comma_list_or_repeats(api: Client) -> None:
    new, pending = TicketFactory.create(status=Status.NEW), TicketFactory.create(status=Status.PENDING)
    TicketFactory.create(status=Status.SOLVED)

    assert set(ids(api.get("/api/v1/tickets?status=new,pending"))) == {new.pk, pending.pk}
    assert set(ids(api.get("/api/v1/tickets?status=new&status=pending"))) == {new.pk, pending.pk}


def test_list_filters_by_requester_organisation_and_unassigned(api: Client) -> None:
    organisation = OrganisationFactory.create()
    contact = ContactFactory.create(organisation=organisation)
    mine = TicketFactory.create(requester=contact, organisation=organisation)
    TicketFactory.create(assignee=UserFactory.create())

    assert ids(api.get(f"/api/v1/tickets?requester={contact.pk}")) == [mine.pk]
    assert ids(api.get(f"/api/v1/tickets?organisation={organisation.pk}")) == [mine.pk]
    assert ids(api.get("/api/v1/tickets?unassigned=true")) == [mine.pk]


def test_empty_filter_values_mean_any(api: Client) -> None:
    ticket = TicketFactory.create()

    response = api.get("/api/v1/tickets?team=&channel=&status=&priority=&booking_stage=&assignee=")

    assert ids(response) == [ticket.pk]


def test_text_search_finds_words_in_messages(api: Client) -> None:
    found = new_ticket("Question")
    new_ticket("Other question")
    ticket_reply(ticket=found, author=UserFactory.create(), body_text="The sauna opens at seven.", now=NOW)

    assert ids(api.get("/api/v1/tickets?q=sauna")) == [found.pk]


def test_unknown_view_is_refused_naming_the_view(api: Client) -> None:
    response = api.get("/api/v1/tickets?view=everything")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "view"


def test_cursor_pages_walk_every_ticket_once(api: Client) -> None:
    tickets = [TicketFactory.create(last_activity_at=NOW - timedelta(minutes=i % 4)) for i in range(23)]
    pages: list[dict[str, Any]] = []
    cursor = ""

    for _ in range(5):
        pages.append(api.get(f"/api/v1/tickets?limit=5&cursor={cursor}").json())
        cursor = pages[-1]["next_cursor"] or ""

    expected = sorted(tickets, key=lambda t: (t.last_activity_at, t.pk), reverse=True)
    assert [len(page["items"]) for page in pages] == [5, 5, 5, 5, 3]
    assert [item["id"] for page in pages for item in page["items"]] == [ticket.pk for ticket in expected]
    assert pages[-1]["next_cursor"] is None


def test_broken_cursor_is_refused_naming_the_cursor(api: Client) -> None:
    response = api.get("/api/v1/tickets?cursor=not-a-cursor")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize("count", [5, 30])
def test_list_runs_a_fixed_number_of_queries(count: int, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    tag = Tag.objects.create(name="vip")
    organisation = OrganisationFactory.create()
    for _ in range(count):
        TicketFactory.create(team=team, assignee=agent, organisation=organisation).tags.set([tag])
    api = api_client(agent)
    api.get("/api/v1/tickets?limit=1")  # the token's first use is recorded once

    # token, agent's teams, one key query per visibility rule (their team, theirs, unrouted),
    # the page's tickets with requester/team/assignee/organisation, their tags
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/tickets?limit=100")

    assert len(response.json()["items"]) == count


def test_list_query_count_does_not_grow_with_the_page() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    api = api_client(admin)
    api.get("/api/v1/tickets")

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as context:
            api.get("/api/v1/tickets?limit=100")
        return len(context)

    TicketFactory.create_batch(5, team=TeamFactory.create(), assignee=UserFactory.create())
    with_five = queries_for_list()
    TicketFactory.create_batch(25, team=TeamFactory.create(), assignee=UserFactory.create())
    with_thirty = queries_for_list()

    assert with_five == with_thirty


# --- create --------------------------------------------------------------------------------


def test_create_with_an_existing_contact(api: Client, admin: User) -> None:
    contact = ContactFactory.create()
    team = TeamFactory.create(members=[admin])

    response = api.post(
        "/api/v1/tickets",
        {
            "subject": "Broken kettle",
            "requester": contact.pk,
            "body_text": "The kettle in room 12 does not heat.",
            "channel": "phone",
            "priority": "high",
            "type": "incident",
            "team": team.pk,
            "assignee": admin.pk,
            "tags": ["Room 12", "kitchen"],
            "booking_stage": "in_stay",
            "booking_channel": "airbnb",
            "custom_fields": {"room": "12"},
        },
        content_type=JSON,
    )

    body = response.json()
    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.requester == contact
    assert (ticket.channel, ticket.priority, ticket.type) == ("phone", "high", "incident")
    assert (ticket.team, ticket.assignee, ticket.status) == (team, admin, Status.OPEN)
    assert body["tags"] == ["kitchen", "room-12"]
    assert body["custom_fields"] == {"room": "12"}
    assert ticket.messages.get().body_text == "The kettle in room 12 does not heat."
    assert ticket.events.get().kind == EventKind.CREATED


def test_create_by_email_makes_the_contact_on_first_contact(api: Client) -> None:
    response = api.post(
        "/api/v1/tickets",
        {"subject": "Pets?", "requester_email": "Lina@Example.com", "requester_name": "Lina", "body_text": "Dog ok?"},
        content_type=JSON,
    )

    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert response.status_code == 201
    assert ticket.channel == "api"
    assert ticket.requester.name == "Lina"
    assert ContactIdentity.objects.get(value="lina@example.com").contact == ticket.requester


def test_create_by_email_reuses_the_known_contact(api: Client) -> None:
    contact = ContactFactory.create(email="known@example.com")

    response = api.post(
        "/api/v1/tickets", {"subject": "Again", "requester_email": "known@example.com"}, content_type=JSON
    )

    assert Ticket.objects.get(pk=response.json()["id"]).requester == contact


def test_create_answers_the_ticket_as_reading_it_does(api: Client) -> None:
    organisation = OrganisationFactory.create(name="Baltic Stays")
    ContactFactory.create(email="guest@example.com", organisation=organisation)
    Tag.objects.create(name="late")

    created = api.post(
        "/api/v1/tickets",
        {"subject": "Keys", "requester_email": "guest@example.com", "tags": ["late", "keys"]},
        content_type=JSON,
    )

    assert created.json()["organisation"] == {"id": organisation.pk, "name": "Baltic Stays"}
    assert created.json()["tags"] == ["keys", "late"]
    assert created.json() == api.get(f"/api/v1/tickets/{created.json()['id']}").json()


def test_create_runs_a_fixed_number_of_queries(
    api: Client, admin: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ContactFactory.create(email="guest@example.com", organisation=OrganisationFactory.create())
    team = TeamFactory.create(members=[admin])
    Tag.objects.create(name="late")
    api.get("/api/v1/tickets?limit=1")  # the token's first use is recorded once
    payload = {"subject": "Keys", "requester_email": "guest@example.com", "team": team.pk, "tags": ["late"]}

    # token, contact with organisation, team, tags; then the transaction (a savepoint
    # inside the test's): ticket, its tag, first message, audit event. The answer needs no query.
    with django_assert_max_num_queries(10):
        response = api.post("/api/v1/tickets", payload, content_type=JSON)

    assert response.status_code == 201


@pytest.mark.parametrize(
    "requester", [{}, {"requester": 1, "requester_email": "two@example.com"}], ids=["neither", "both"]
)
def test_create_needs_exactly_one_way_of_naming_the_requester(api: Client, requester: dict[str, Any]) -> None:
    response = api.post("/api/v1/tickets", {"subject": "Hello", **requester}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "requester"
    assert not Ticket.objects.exists()


def test_create_with_unknown_references_names_the_field(api: Client) -> None:
    contact = ContactFactory.create()

    unknown_contact = api.post("/api/v1/tickets", {"subject": "Hi", "requester": 99999}, content_type=JSON)
    unknown_team = api.post(
        "/api/v1/tickets", {"subject": "Hi", "requester": contact.pk, "team": 99999}, content_type=JSON
    )
    wrong_stage = api.post(
        "/api/v1/tickets", {"subject": "Hi", "requester": contact.pk, "booking_stage": "later"}, content_type=JSON
    )

    assert unknown_contact.json()["error"]["field"] == "requester"
    assert unknown_team.json()["error"]["field"] == "team"
    assert wrong_stage.json()["error"]["field"] == "booking_stage"
    assert not Ticket.objects.exists()


def test_create_with_an_assignee_outside_the_team_is_refused(api: Client) -> None:
    response = api.post(
        "/api/v1/tickets",
        {
            "subject": "Hi",
            "requester": ContactFactory.create().pk,
            "team": TeamFactory.create().pk,
            "assignee": UserFactory.create().pk,
        },
        content_type=JSON,
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "assignee"


def test_refused_create_does_not_keep_the_new_contact() -> None:
    light = api_client(UserFactory.create(role=Role.LIGHT_AGENT))

    response = light.post("/api/v1/tickets", {"subject": "Hi", "requester_email": "new@example.com"}, content_type=JSON)

    assert response.status_code == 403
    assert not Contact.objects.exists()


# --- read and change -------------------------------------------------------------------


def test_read_a_ticket(api: Client) -> None:
    organisation = OrganisationFactory.create(name="Baltic Stays")
    ticket = new_ticket(requester=ContactFactory.create(organisation=organisation), tags=["late"])

    response = api.get(f"/api/v1/tickets/{ticket.pk}")

    body = response.json()
    assert response.status_code == 200
    assert body["subject"] == "Late check-in"
    assert body["status"] == "new"
    assert body["organisation"] == {"id": organisation.pk, "name": "Baltic Stays"}
    assert body["tags"] == ["late"]
    assert body["awaiting_agent"] is True


def test_unknown_ticket_is_404(api: Client) -> None:
    response = api.get("/api/v1/tickets/424242")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_read_runs_a_fixed_number_of_queries(
    api: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = new_ticket(tags=["a", "b", "c"], team=TeamFactory.create())
    api.get(f"/api/v1/tickets/{ticket.pk}")

    # token, ticket with its relations, tags
    with django_assert_max_num_queries(3):
        assert api.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200


def test_patch_changes_only_the_fields_sent(api: Client) -> None:
    ticket = new_ticket(priority="low", tags=["keep"], language="lt")

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"priority": "urgent", "status": "pending"}, content_type=JSON)

    ticket.refresh_from_db()
    assert response.status_code == 200
    assert (ticket.priority, ticket.status, ticket.language) == ("urgent", "pending", "lt")
    assert list(ticket.tags.values_list("name", flat=True)) == ["keep"]
    assert response.json()["priority"] == "urgent"
    assert {(event.field, event.new_value) for event in ticket.events.filter(kind=EventKind.CHANGED)} == {
        ("priority", "urgent"),
        ("status", "pending"),
    }


def test_patch_team_assignee_tags_and_custom_fields(api: Client) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    ticket = new_ticket(custom_fields={"room": "12", "floor": "2"})

    response = api.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {
            "team": team.pk,
            "assignee": agent.pk,
            "tags": ["vip", "noise"],
            "custom_fields": {"floor": None, "bed": "king"},
            "type": "problem",
            "booking_channel": "vrbo",
        },
        content_type=JSON,
    )

    body = response.json()
    assert response.status_code == 200
    assert body["team"]["id"] == team.pk
    assert body["assignee"] == {"id": agent.pk, "name": agent.name}
    assert body["tags"] == ["noise", "vip"]
    assert body["custom_fields"] == {"room": "12", "bed": "king"}
    assert (body["type"], body["booking_channel"]) == ("problem", "vrbo")


def test_patch_with_null_clears_team_and_assignee(api: Client) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    ticket = new_ticket(team=team, assignee=agent, booking_stage="in_stay")

    response = api.patch(
        f"/api/v1/tickets/{ticket.pk}", {"team": None, "assignee": None, "booking_stage": None}, content_type=JSON
    )

    ticket.refresh_from_db()
    assert response.status_code == 200
    assert (ticket.team, ticket.assignee, ticket.booking_stage) == (None, None, "")


def test_patch_refuses_null_for_a_required_field(api: Client) -> None:
    ticket = new_ticket()

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"status": None}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status"


def test_patch_refuses_a_transition_the_workflow_forbids(api: Client) -> None:
    ticket = new_ticket()

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"status": "closed"}, content_type=JSON)

    ticket.refresh_from_db()
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "A ticket cannot go from New to Closed.",
        "field": "status",
    }
    assert ticket.status == Status.NEW


def test_patch_of_a_closed_ticket_is_a_conflict(api: Client) -> None:
    ticket = TicketFactory.create(status=Status.CLOSED)

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"priority": "high"}, content_type=JSON)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_patch_outcome_shows_in_the_ticket_and_its_history(api: Client) -> None:
    ticket = new_ticket()

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"outcome": "booked"}, content_type=JSON)

    assert response.status_code == 200
    assert response.json()["outcome"] == "booked"
    assert api.get(f"/api/v1/tickets/{ticket.pk}").json()["outcome"] == "booked"
    assert ticket.events.filter(kind=EventKind.CHANGED, field="outcome", new_value="booked").exists()


def test_patch_outcome_blank_clears_it(api: Client) -> None:
    ticket = TicketFactory.create(outcome="not_booked")

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"outcome": ""}, content_type=JSON)

    ticket.refresh_from_db()
    assert response.json()["outcome"] is None
    assert ticket.outcome == ""


def test_patch_refuses_an_unknown_outcome(api: Client) -> None:
    ticket = new_ticket()

    response = api.patch(f"/api/v1/tickets/{ticket.pk}", {"outcome": "maybe"}, content_type=JSON)

    ticket.refresh_from_db()
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "outcome"
    assert ticket.outcome == ""


def test_assignee_reading_a_ticket_marks_it_opened() -> None:
    agent = UserFactory.create()
    ticket = TicketFactory.create(assignee=agent, assigned_at=NOW)

    response = api_client(agent).get(f"/api/v1/tickets/{ticket.pk}")

    ticket.refresh_from_db()
    assert response.json()["assigned_at"] == "2026-11-02T09:00:00Z"
    assert ticket.assignee_opened_at is not None
    assert response.json()["assignee_opened_at"] is not None


def test_someone_else_reading_a_ticket_leaves_it_unopened(api: Client) -> None:
    ticket = TicketFactory.create(assignee=UserFactory.create(), assigned_at=NOW)

    response = api.get(f"/api/v1/tickets/{ticket.pk}")

    ticket.refresh_from_db()
    assert response.json()["assignee_opened_at"] is None
    assert ticket.assignee_opened_at is None


# --- escalations and history -------------------------------------------------------------


def test_escalate_to_a_manager_and_resolve(api: Client) -> None:
    ticket = new_ticket()

    escalated = api.post(
        f"/api/v1/tickets/{ticket.pk}/escalate-to-manager", {"reason": "Wants a refund"}, content_type=JSON
    )
    resolved = api.post(
        f"/api/v1/tickets/{ticket.pk}/resolve-escalation", {"note": "Refund approved"}, content_type=JSON
    )

    assert escalated.status_code == 200
    assert (escalated.json()["needs_manager"], escalated.json()["needs_manager_reason"]) == (True, "Wants a refund")
    assert resolved.status_code == 200
    assert resolved.json()["needs_manager"] is False


def test_escalation_needs_a_reason(api: Client) -> None:
    ticket = new_ticket()

    response = api.post(f"/api/v1/tickets/{ticket.pk}/escalate-to-manager", {"reason": " "}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "reason"


def test_resolving_without_an_escalation_is_a_conflict(api: Client) -> None:
    response = api.post(f"/api/v1/tickets/{new_ticket().pk}/resolve-escalation", {}, content_type=JSON)

    assert response.status_code == 409


def test_escalate_to_another_team(api: Client) -> None:
    agent = UserFactory.create()
    tier1, tier2 = TeamFactory.create(members=[agent]), TeamFactory.create(name="Tier 2")
    ticket = new_ticket(team=tier1, assignee=agent)

    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/escalate-to-team",
        {"team": tier2.pk, "reason": "Payment gateway bug"},
        content_type=JSON,
    )

    assert response.status_code == 200
    assert response.json()["team"] == {"id": tier2.pk, "name": "Tier 2"}
    assert response.json()["assignee"] is None


def test_escalate_to_an_unknown_team_names_the_team(api: Client) -> None:
    response = api.post(
        f"/api/v1/tickets/{new_ticket().pk}/escalate-to-team", {"team": 999, "reason": "x"}, content_type=JSON
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "team"


def test_history_lists_every_change_oldest_first(api: Client, admin: User) -> None:
    ticket = new_ticket()
    api.patch(f"/api/v1/tickets/{ticket.pk}", {"priority": "high"}, content_type=JSON)
    api.post(f"/api/v1/tickets/{ticket.pk}/escalate-to-manager", {"reason": "Angry guest"}, content_type=JSON)

    response = api.get(f"/api/v1/tickets/{ticket.pk}/events")

    events = response.json()
    assert response.status_code == 200
    assert [event["kind"] for event in events] == ["created", "changed", "escalated_to_manager"]
    assert events[1]["field"] == "priority"
    assert (events[1]["old_value"], events[1]["new_value"]) == ("normal", "high")
    assert events[1]["actor"] == {"id": admin.pk, "name": "Ada Admin"}
    assert events[2]["note"] == "Angry guest"


# --- messages and attachments ----------------------------------------------------------


def test_conversation_lists_messages_with_authors_and_attachments(api: Client, admin: User) -> None:
    ticket = new_ticket()
    ticket_reply(ticket=ticket, author=admin, body_html="<p>Sure!<script>x()</script></p>", now=NOW)
    ticket_add_note(
        ticket=ticket,
        author=admin,
        body_text="See the photo",
        attachments=[SimpleUploadedFile("door.png", b"\x89PNG\r\n\x1a\nrest", content_type="image/png")],
        now=NOW,
    )

    response = api.get(f"/api/v1/tickets/{ticket.pk}/messages")

    first, reply, note = response.json()
    assert response.status_code == 200
    assert first["author"] == {"type": "contact", "id": ticket.requester_id, "name": ticket.requester.name}
    assert (reply["kind"], reply["body_html"]) == ("reply", "<p>Sure!</p>")
    assert reply["author"] == {"type": "agent", "id": admin.pk, "name": "Ada Admin"}
    assert note["kind"] == "note"
    [attachment] = note["attachments"]
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == ("door.png", "image/png", 12)
    assert attachment["url"] == f"/api/v1/attachments/{attachment['id']}"


def test_conversation_runs_a_fixed_number_of_queries(
    api: Client, admin: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = new_ticket()
    for n in range(8):
        ticket_add_note(
            ticket=ticket,
            author=admin,
            body_text=f"note {n}",
            attachments=[SimpleUploadedFile(f"{n}.txt", b"text", content_type="text/plain")],
            now=NOW,
        )
    api.get(f"/api/v1/tickets/{ticket.pk}/messages")

    # token, ticket, messages with authors, attachments
    with django_assert_max_num_queries(4):
        assert len(api.get(f"/api/v1/tickets/{ticket.pk}/messages").json()) == 9


def test_reply_as_json_with_a_status(api: Client) -> None:
    ticket = new_ticket()

    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"kind": "reply", "body_text": "Key is in the box.", "status": "pending"},
        content_type=JSON,
    )

    ticket.refresh_from_db()
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["body_text"]) == ("reply", "Key is in the box.")
    assert (ticket.status, ticket.awaiting_agent) == (Status.PENDING, False)


def test_note_as_json(api: Client) -> None:
    ticket = new_ticket()

    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"kind": "note", "body_text": "Owner informed"}, content_type=JSON
    )

    ticket.refresh_from_db()
    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert ticket.awaiting_agent is True


def test_note_cannot_change_the_status(api: Client) -> None:
    response = api.post(
        f"/api/v1/tickets/{new_ticket().pk}/messages",
        {"kind": "note", "body_text": "x", "status": "solved"},
        content_type=JSON,
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status"


def test_empty_message_is_refused_naming_the_body(api: Client) -> None:
    response = api.post(f"/api/v1/tickets/{new_ticket().pk}/messages", {"body_text": "  "}, content_type=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body_text"


def test_multipart_reply_with_attachments_round_trips_the_bytes(api: Client) -> None:
    ticket = new_ticket()
    pdf = b"%PDF-1.4 the booking confirmation \x00\x01\x02"
    photo = bytes(range(256)) * 40

    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {
            "kind": "reply",
            "body_text": "Both files attached.",
            "status": "solved",
            "attachments": [
                SimpleUploadedFile("confirmation.pdf", pdf, content_type="application/pdf"),
                SimpleUploadedFile("photo.raw", photo, content_type="application/octet-stream"),
            ],
        },
    )

    assert response.status_code == 201
    assert response.json()["body_text"] == "Both files attached."
    attachments = {item["filename"]: item for item in response.json()["attachments"]}
    assert set(attachments) == {"confirmation.pdf", "photo.raw"}
    downloaded = api.get(attachments["confirmation.pdf"]["url"])
    assert b"".join(downloaded.streaming_content) == pdf  # type: ignore[attr-defined]
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded["Content-Disposition"] == 'attachment; filename="confirmation.pdf"'
    assert downloaded["X-Content-Type-Options"] == "nosniff"
    assert b"".join(api.get(attachments["photo.raw"]["url"]).streaming_content) == photo  # type: ignore[attr-defined]
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_executable_attachment_is_refused_and_nothing_is_stored(api: Client) -> None:
    ticket = new_ticket()

    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/messages",
        {"body_text": "Run this", "attachments": [SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00binary")]},
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "attachments"
    assert ticket.messages.count() == 1


def test_unknown_attachment_is_404(api: Client) -> None:
    assert api.get("/api/v1/attachments/999").status_code == 404


# --- tags ------------------------------------------------------------------------------


def test_tags_are_listed_by_name_and_filtered_by_prefix(api: Client) -> None:
    for name in ("parking", "pets", "refund"):
        Tag.objects.create(name=name)

    everything = api.get("/api/v1/tags")
    starting_with_p = api.get("/api/v1/tags?q=P")

    assert [tag["name"] for tag in everything.json()] == ["parking", "pets", "refund"]
    assert [tag["name"] for tag in starting_with_p.json()] == ["parking", "pets"]


def test_merge_moves_the_conversation_and_forwards(api: Client) -> None:
    source, target = new_ticket(), new_ticket()
    client = api
    response = client.post(f"/api/v1/tickets/{source.pk}/merge", {"into": target.pk}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    source.refresh_from_db()
    assert source.status == "closed"
    assert source.merged_into_id == target.pk
    assert client.get(f"/api/v1/tickets/{source.pk}").json()["merged_into"] == target.pk
    assert target.messages.count() == 2
    again = client.post(f"/api/v1/tickets/{target.pk}/merge", {"into": target.pk}, content_type=JSON)
    assert again.status_code == 422


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("", {"priority": "high"}),
        ("/escalate-to-manager", {"reason": "Refund over the limit"}),
    ],
    ids=["update", "escalate"],
)
def test_a_change_answers_with_the_rows_it_read_before_locking(
    api: Client, admin: User, path: str, payload: dict[str, Any]
) -> None:
    """The service works on the row locked again; the requester, organisation, team and
    assignee read with the ticket are kept on it, so the answer loads none of them again."""
    team = TeamFactory.create(members=[admin])
    ticket = new_ticket(
        requester=ContactFactory.create(organisation=OrganisationFactory.create()), team=team, assignee=admin
    )
    api.get("/api/v1/tickets?limit=1")  # the token's first use is recorded once
    method = api.patch if not path else api.post

    with CaptureQueriesContext(connection) as queries:
        response = method(f"/api/v1/tickets/{ticket.pk}{path}", payload, content_type=JSON)

    assert response.status_code == 200
    assert response.json()["organisation"]["id"] == ticket.organisation_id
    loaded = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    for table in ("accounts_contact", "accounts_organisation", "accounts_team", "accounts_user"):
        assert not [sql for sql in loaded if sql.split(" WHERE ")[0].endswith(f'FROM "{table}"')], table
