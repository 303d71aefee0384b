"""What each role may see and change through the API — and nothing else, whatever the id in the URL.

Admins and supervisors see every ticket. Agents and light agents see their
teams' tickets, tickets assigned to them and unrouted ones; any other ticket
answers exactly like one that does not exist. Light agents read and add notes
only. Only supervisors and admins resolve escalations; only admins create
agents and teams.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.api.tests.factories import NOW, api_client
from frontdesk.tickets.models import Message, Status, Ticket
from frontdesk.tickets.services import ticket_add_note, ticket_create, ticket_escalate_to_manager
from frontdesk.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
ADMIN, SUPERVISOR, AGENT, LIGHT_AGENT = Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.LIGHT_AGENT


@dataclass
class World:
    user: User
    api: Client
    team: Team
    other_team: Team
    ours: Ticket
    unrouted: Ticket
    theirs: Ticket
    theirs_assigned_to_user: Ticket


def world_for(role: str) -> World:
    """`user` of `role` in `team`; `theirs` belongs to another team and is not assigned to `user`."""
    user = UserFactory.create(role=role)
    colleague = UserFactory.create()
    team, other_team = TeamFactory.create(members=[user]), TeamFactory.create(members=[colleague])

    def ticket(subject: str, team: Team | None) -> Ticket:
        return ticket_create(
            subject=subject,
            requester=ContactFactory.create(),
            channel="email",
            body_text="Hello",
            team=team,
            actor=None,
            now=NOW,
        )

    return World(
        user=user,
        api=api_client(user),
        team=team,
        other_team=other_team,
        ours=ticket("Ours", team),
        unrouted=ticket("Unrouted", None),
        theirs=ticket("Theirs", other_team),
        theirs_assigned_to_user=TicketFactory.create(subject="Theirs, assigned to me", team=other_team, assignee=user),
    )


def subjects(response: Any) -> set[str]:
    return {item["subject"] for item in response.json()["items"]}


# --- seeing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (ADMIN, {"Ours", "Unrouted", "Theirs", "Theirs, assigned to me"}),
        (SUPERVISOR, {"Ours", "Unrouted", "Theirs", "Theirs, assigned to me"}),
        (AGENT, {"Ours", "Unrouted", "Theirs, assigned to me"}),
        (LIGHT_AGENT, {"Ours", "Unrouted", "Theirs, assigned to me"}),
    ],
)
def test_list_shows_exactly_the_tickets_the_role_may_see(role: str, expected: set[str]) -> None:
    world = world_for(role)

    assert subjects(world.api.get("/api/v1/tickets?limit=100")) == expected


@pytest.mark.parametrize("role", [AGENT, LIGHT_AGENT])
def test_filtering_by_another_team_shows_agents_nothing(role: str) -> None:
    world = world_for(role)

    response = world.api.get(f"/api/v1/tickets?team={world.other_team.pk}&unassigned=true")

    assert response.json()["items"] == []


@pytest.mark.parametrize("role", [ADMIN, SUPERVISOR])
def test_managers_read_every_ticket(role: str) -> None:
    world = world_for(role)

    assert world.api.get(f"/api/v1/tickets/{world.theirs.pk}").status_code == 200
    assert world.api.get(f"/api/v1/tickets/{world.theirs.pk}/messages").status_code == 200


INVISIBLE_TICKET_REQUESTS = [
    ("get", "", None),
    ("patch", "", {"priority": "urgent"}),
    ("get", "/messages", None),
    ("post", "/messages", {"kind": "note", "body_text": "peek"}),
    ("post", "/messages", {"kind": "reply", "body_text": "peek"}),
    ("get", "/events", None),
    ("post", "/escalate-to-manager", {"reason": "peek"}),
    ("post", "/resolve-escalation", {"note": "peek"}),
]


@pytest.mark.parametrize("role", [AGENT, LIGHT_AGENT])
@pytest.mark.parametrize(("method", "suffix", "body"), INVISIBLE_TICKET_REQUESTS)
def test_another_teams_ticket_answers_like_a_missing_one(
    role: str, method: str, suffix: str, body: dict[str, str] | None
) -> None:
    world = world_for(role)
    missing_id = world.theirs.pk + 1000
    send = getattr(world.api, method)

    hidden = send(f"/api/v1/tickets/{world.theirs.pk}{suffix}", body, content_type=JSON)
    missing = send(f"/api/v1/tickets/{missing_id}{suffix}", body, content_type=JSON)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"] == missing.json()["error"]["message"].replace(
        str(missing_id), str(world.theirs.pk)
    )
    world.theirs.refresh_from_db()
    assert (world.theirs.priority, world.theirs.needs_manager) == ("normal", False)
    assert world.theirs.messages.count() == 1


@pytest.mark.parametrize("role", [AGENT, LIGHT_AGENT])
def test_attachment_of_another_teams_ticket_is_not_found(role: str) -> None:
    world = world_for(role)
    note = ticket_add_note(
        ticket=world.theirs,
        author=UserFactory.create(role=ADMIN),
        body_text="Passport scan",
        attachments=[SimpleUploadedFile("passport.pdf", b"%PDF-1.4 secret", content_type="application/pdf")],
        now=NOW,
    )

    response = world.api.get(f"/api/v1/attachments/{note.attachments.get().pk}")

    assert response.status_code == 404


@pytest.mark.parametrize("role", [AGENT, LIGHT_AGENT])
def test_escalating_to_another_team_by_id_does_not_reach_its_tickets(role: str) -> None:
    world = world_for(role)

    response = world.api.post(
        f"/api/v1/tickets/{world.theirs.pk}/escalate-to-team",
        {"team": world.team.pk, "reason": "mine now"},
        content_type=JSON,
    )

    world.theirs.refresh_from_db()
    assert response.status_code == 404
    assert world.theirs.team == world.other_team


# --- changing ------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 200), (SUPERVISOR, 200), (AGENT, 200), (LIGHT_AGENT, 403)])
def test_who_may_change_a_ticket(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.patch(f"/api/v1/tickets/{world.ours.pk}", {"priority": "urgent"}, content_type=JSON)

    world.ours.refresh_from_db()
    assert response.status_code == status
    assert world.ours.priority == {200: "urgent", 403: "normal"}[status]


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 201), (SUPERVISOR, 201), (AGENT, 201), (LIGHT_AGENT, 403)])
def test_who_may_reply_publicly(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post(
        f"/api/v1/tickets/{world.ours.pk}/messages", {"kind": "reply", "body_text": "Hi!"}, content_type=JSON
    )

    assert response.status_code == status
    assert Message.objects.filter(ticket=world.ours, author_agent=world.user).count() == {201: 1, 403: 0}[status]


@pytest.mark.parametrize("role", [ADMIN, SUPERVISOR, AGENT, LIGHT_AGENT])
def test_every_role_may_add_an_internal_note(role: str) -> None:
    world = world_for(role)

    response = world.api.post(
        f"/api/v1/tickets/{world.ours.pk}/messages", {"kind": "note", "body_text": "FYI"}, content_type=JSON
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "note"


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 200), (SUPERVISOR, 200), (AGENT, 200), (LIGHT_AGENT, 403)])
def test_who_may_ask_for_a_manager(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post(
        f"/api/v1/tickets/{world.ours.pk}/escalate-to-manager", {"reason": "Refund over limit"}, content_type=JSON
    )

    world.ours.refresh_from_db()
    assert response.status_code == status
    assert world.ours.needs_manager is (status == 200)


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 201), (SUPERVISOR, 201), (AGENT, 201), (LIGHT_AGENT, 403)])
def test_who_may_create_contacts(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post(
        "/api/v1/contacts", {"name": "New guest", "email": "new@guest.example"}, content_type=JSON
    )

    assert response.status_code == status


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 200), (SUPERVISOR, 200), (AGENT, 403), (LIGHT_AGENT, 403)])
def test_only_managers_resolve_escalations(role: str, status: int) -> None:
    world = world_for(role)
    ticket_escalate_to_manager(ticket=world.ours, actor=None, reason="Refund", now=NOW)

    response = world.api.post(
        f"/api/v1/tickets/{world.ours.pk}/resolve-escalation", {"note": "Approved"}, content_type=JSON
    )

    world.ours.refresh_from_db()
    assert response.status_code == status
    assert world.ours.needs_manager is {200: False, 403: True}[status]


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 200), (SUPERVISOR, 200), (AGENT, 200), (LIGHT_AGENT, 403)])
def test_who_may_hand_a_ticket_to_another_team(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post(
        f"/api/v1/tickets/{world.ours.pk}/escalate-to-team",
        {"team": world.other_team.pk, "reason": "Billing question"},
        content_type=JSON,
    )

    world.ours.refresh_from_db()
    assert response.status_code == status
    assert world.ours.team == {200: world.other_team, 403: world.team}[status]


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 201), (SUPERVISOR, 201), (AGENT, 201), (LIGHT_AGENT, 403)])
def test_who_may_create_a_ticket(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post(
        "/api/v1/tickets", {"subject": "Phoned in", "requester": ContactFactory.create().pk}, content_type=JSON
    )

    assert response.status_code == status
    assert Ticket.objects.filter(subject="Phoned in").count() == {201: 1, 403: 0}[status]


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 201), (SUPERVISOR, 403), (AGENT, 403), (LIGHT_AGENT, 403)])
def test_only_admins_create_agents(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post(
        "/api/v1/agents", {"email": "new@frontdesk.test", "name": "New", "role": "admin"}, content_type=JSON
    )

    assert response.status_code == status
    assert User.objects.filter(email="new@frontdesk.test").count() == {201: 1, 403: 0}[status]


@pytest.mark.parametrize(("role", "status"), [(ADMIN, 201), (SUPERVISOR, 403), (AGENT, 403), (LIGHT_AGENT, 403)])
def test_only_admins_create_teams(role: str, status: int) -> None:
    world = world_for(role)

    response = world.api.post("/api/v1/teams", {"name": "New team", "members": [world.user.pk]}, content_type=JSON)

    assert response.status_code == status
    assert Team.objects.filter(name="New team").count() == {201: 1, 403: 0}[status]


def test_refusal_says_what_the_role_may_not_do() -> None:
    world = world_for(LIGHT_AGENT)

    response = world.api.post(
        f"/api/v1/tickets/{world.ours.pk}/messages", {"kind": "reply", "body_text": "Hi"}, content_type=JSON
    )

    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "Your role (Light agent) may not reply to customers (add an internal note instead).",
        "field": None,
    }


def test_agent_sees_a_ticket_assigned_to_them_in_another_team() -> None:
    world = world_for(AGENT)

    response = world.api.patch(
        f"/api/v1/tickets/{world.theirs_assigned_to_user.pk}", {"status": Status.PENDING}, content_type=JSON
    )

    assert response.status_code == 200
