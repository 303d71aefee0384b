"""Who sees and changes what through the workspace, whatever the URL.

Admins and supervisors see every ticket; agents and light agents see their
teams' tickets, their own and unrouted ones, and get 404 for the rest. Light
agents only add notes. Only supervisors and admins resolve escalations.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.tickets.models import MessageKind, Ticket
from frontdesk.tickets.services import ticket_add_note, ticket_escalate_to_manager
from frontdesk.tickets.tests.factories import new_ticket
from frontdesk.workspace.tests.conftest import NOW, client_for

pytestmark = pytest.mark.django_db

ALL_ROLES = [Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.LIGHT_AGENT]


@pytest.fixture
def reservations(db: None) -> Team:
    return TeamFactory.create(name="Reservations")


@pytest.fixture
def billing(db: None) -> Team:
    return TeamFactory.create(name="Billing")


def member(role: str, team: Team) -> User:
    user = UserFactory.create(role=role)
    team.members.add(user)
    return user


@pytest.mark.parametrize("role", ALL_ROLES)
def test_everyone_sees_their_own_teams_ticket(role: str, reservations: Team) -> None:
    ticket = new_ticket(team=reservations)

    response = client_for(member(role, reservations)).get(f"/tickets/{ticket.pk}/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "status"), [(Role.ADMIN, 200), (Role.SUPERVISOR, 200), (Role.AGENT, 404), (Role.LIGHT_AGENT, 404)]
)
def test_only_admins_and_supervisors_open_another_teams_ticket(
    role: str, status: int, reservations: Team, billing: Team
) -> None:
    ticket = new_ticket(team=billing, subject="Invoice dispute")

    response = client_for(member(role, reservations)).get(f"/tickets/{ticket.pk}/")

    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "listed"), [(Role.ADMIN, True), (Role.SUPERVISOR, True), (Role.AGENT, False), (Role.LIGHT_AGENT, False)]
)
def test_inbox_lists_another_teams_tickets_only_for_admins_and_supervisors(
    role: str, listed: bool, reservations: Team, billing: Team
) -> None:
    ticket = new_ticket(team=billing, subject="Invoice dispute")

    response = client_for(member(role, reservations)).get("/views/all/")

    assert (ticket in response.context["page"].items) is listed


def test_agent_sees_a_ticket_assigned_to_them_in_another_team(reservations: Team, billing: Team) -> None:
    agent = member(Role.AGENT, reservations)
    billing.members.add(agent)
    ticket = new_ticket(team=billing, assignee=agent)
    billing.members.remove(agent)

    assert client_for(agent).get(f"/tickets/{ticket.pk}/").status_code == 200


@pytest.mark.parametrize("url", ["/tickets/{id}/", "/tickets/{id}/live/"])
def test_an_invisible_ticket_is_not_found_by_url(url: str, reservations: Team, billing: Team) -> None:
    ticket = new_ticket(team=billing)

    response = client_for(member(Role.AGENT, reservations)).get(url.format(id=ticket.pk))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "action", ["reply", "note", "properties", "escalate", "escalate-to-team", "resolve-escalation"]
)
def test_an_invisible_ticket_is_not_found_for_every_action(action: str, reservations: Team, billing: Team) -> None:
    ticket = new_ticket(team=billing)
    data = {"reply-body": "x", "note-body": "x", "priority": "urgent", "escalate-reason": "x", "team-reason": "x"}

    response = client_for(member(Role.AGENT, reservations)).post(f"/tickets/{ticket.pk}/{action}/", data)

    ticket.refresh_from_db()
    assert response.status_code == 404
    assert (ticket.messages.count(), ticket.priority, ticket.needs_manager) == (1, "normal", False)


def test_a_ticket_that_does_not_exist_is_not_found(reservations: Team) -> None:
    assert client_for(member(Role.ADMIN, reservations)).get("/tickets/999999/").status_code == 404


def test_attachment_of_an_invisible_ticket_is_not_found(reservations: Team, billing: Team) -> None:
    ticket = new_ticket(team=billing)
    upload = SimpleUploadedFile("contract.pdf", b"%PDF-1.4", content_type="application/pdf")
    note = ticket_add_note(ticket=ticket, author=member(Role.AGENT, billing), attachments=[upload], now=NOW)
    attachment = note.attachments.get()

    outsider = client_for(member(Role.AGENT, reservations)).get(f"/attachments/{attachment.pk}/")
    supervisor = client_for(member(Role.SUPERVISOR, reservations)).get(f"/attachments/{attachment.pk}/")

    assert (outsider.status_code, supervisor.status_code) == (404, 200)


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.ADMIN, True), (Role.SUPERVISOR, True), (Role.AGENT, True), (Role.LIGHT_AGENT, False)]
)
def test_only_full_agents_reply_to_customers(role: str, allowed: bool, reservations: Team) -> None:
    ticket = new_ticket(team=reservations)

    response = client_for(member(role, reservations)).post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hi!"})

    assert ticket.messages.filter(kind=MessageKind.REPLY, author_agent__isnull=False).exists() is allowed
    assert response.status_code == (302 if allowed else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_adds_internal_notes(role: str, reservations: Team) -> None:
    ticket = new_ticket(team=reservations)

    response = client_for(member(role, reservations)).post(f"/tickets/{ticket.pk}/note/", {"note-body": "FYI"})

    assert response.status_code == 302
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.ADMIN, True), (Role.SUPERVISOR, True), (Role.AGENT, True), (Role.LIGHT_AGENT, False)]
)
def test_only_full_agents_change_properties(role: str, allowed: bool, reservations: Team) -> None:
    ticket = new_ticket(team=reservations)

    response = client_for(member(role, reservations)).post(f"/tickets/{ticket.pk}/properties/", {"priority": "urgent"})

    ticket.refresh_from_db()
    assert (ticket.priority == "urgent") is allowed
    assert response.status_code == (302 if allowed else 403)


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.ADMIN, True), (Role.SUPERVISOR, True), (Role.AGENT, True), (Role.LIGHT_AGENT, False)]
)
def test_only_full_agents_escalate_to_another_team(role: str, allowed: bool, reservations: Team, billing: Team) -> None:
    ticket = new_ticket(team=reservations)

    client_for(member(role, reservations)).post(
        f"/tickets/{ticket.pk}/escalate-to-team/", {"team-team": str(billing.pk), "team-reason": "Invoice"}
    )

    ticket.refresh_from_db()
    assert (ticket.team == billing) is allowed


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.ADMIN, True), (Role.SUPERVISOR, True), (Role.AGENT, False), (Role.LIGHT_AGENT, False)]
)
def test_only_admins_and_supervisors_resolve_escalations(role: str, allowed: bool, reservations: Team) -> None:
    ticket = new_ticket(team=reservations)
    ticket_escalate_to_manager(ticket=ticket, actor=member(Role.AGENT, reservations), reason="Refund", now=NOW)

    response = client_for(member(role, reservations)).post(
        f"/tickets/{ticket.pk}/resolve-escalation/", {"resolve-note": "Done"}
    )

    ticket.refresh_from_db()
    assert ticket.needs_manager is not allowed
    assert response.status_code == (302 if allowed else 403)


def test_light_agent_page_offers_notes_only(reservations: Team) -> None:
    ticket = new_ticket(team=reservations)

    content = client_for(member(Role.LIGHT_AGENT, reservations)).get(f"/tickets/{ticket.pk}/").content.decode()

    assert f'action="/tickets/{ticket.pk}/note/"' in content
    assert f'action="/tickets/{ticket.pk}/reply/"' not in content
    assert f'action="/tickets/{ticket.pk}/properties/"' not in content


def test_agent_page_offers_no_escalation_resolving(reservations: Team) -> None:
    ticket: Ticket = new_ticket(team=reservations)
    ticket_escalate_to_manager(ticket=ticket, actor=member(Role.AGENT, reservations), reason="Refund", now=NOW)

    agent_page = client_for(member(Role.AGENT, reservations)).get(f"/tickets/{ticket.pk}/").content.decode()
    supervisor_page = client_for(member(Role.SUPERVISOR, reservations)).get(f"/tickets/{ticket.pk}/").content.decode()

    assert "/resolve-escalation/" not in agent_page
    assert "/resolve-escalation/" in supervisor_page


def test_deactivated_agent_is_signed_out(reservations: Team) -> None:
    agent = member(Role.AGENT, reservations)
    client = client_for(agent)
    User.objects.filter(pk=agent.pk).update(is_active=False)

    response = client.get("/views/open/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
