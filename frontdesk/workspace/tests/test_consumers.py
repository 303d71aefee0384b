"""The workspace WebSocket, through the whole ASGI stack (session cookie, origin check, routing).

These tests commit for real (`transactional_db`): pushes are sent after commit.
"""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.asgi import application
from frontdesk.notifications.services import notify
from frontdesk.routing.services import intake_pause, shift_start
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.services import ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import new_ticket
from frontdesk.workspace.tests.conftest import NOW

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/workspace/", headers=headers)


@pytest.fixture
def team(transactional_db: None) -> Team:
    return TeamFactory.create(name="Reservations")


@pytest.fixture
def ana(team: Team) -> User:
    user = UserFactory.create(name="Ana", role=Role.AGENT)
    team.members.add(user)
    return user


@pytest.fixture
def ben(team: Team) -> User:
    user = UserFactory.create(name="Ben", role=Role.AGENT)
    team.members.add(user)
    return user


@pytest.fixture
def ticket(team: Team) -> Ticket:
    return new_ticket(team=team)


async def connected(user: User, watch: int | None = None) -> WebsocketCommunicator:
    communicator = socket(await database_sync_to_async(session_cookie)(user))
    accepted, _ = await communicator.connect()
    assert accepted
    if watch is not None:
        await communicator.send_json_to({"type": "watch", "ticket_id": watch})
        assert await communicator.receive_json_from() == {"type": "watching", "ticket_id": watch}
    return communicator


async def test_anonymous_socket_is_refused(transactional_db: None) -> None:
    accepted, code = await socket(None).connect()

    assert (accepted, code) == (False, 4401)


async def test_agent_hears_when_another_agent_changes_a_ticket(ana: User, ben: User, ticket: Ticket) -> None:
    inbox = await connected(ben)
    page = await connected(ben, watch=ticket.pk)

    await database_sync_to_async(ticket_update)(ticket=ticket, actor=ana, status="pending", now=NOW)

    expected = {"type": "ticket.changed", "ticket_id": ticket.pk, "actor_id": ana.pk, "fields": ["status"]}
    assert await inbox.receive_json_from(timeout=2) == expected
    assert await page.receive_json_from() == expected
    assert await page.receive_nothing()  # once, though the page is in the inbox group and the ticket's
    await inbox.disconnect()
    await page.disconnect()


async def test_a_reply_is_announced_without_its_content(ana: User, ben: User, ticket: Ticket) -> None:
    page = await connected(ben, watch=ticket.pk)

    message = await database_sync_to_async(ticket_reply)(ticket=ticket, author=ana, body_text="Code 4711", now=NOW)

    pushes: list[dict[str, Any]] = [await page.receive_json_from(timeout=2) for _ in range(2)]
    assert {
        "type": "ticket.message",
        "ticket_id": ticket.pk,
        "message_id": message.pk,
        "kind": "reply",
        "actor_id": ana.pk,
    } in pushes
    assert "4711" not in repr(pushes)
    await page.disconnect()


async def test_watching_a_ticket_one_may_not_see_is_refused(ben: User) -> None:
    hidden = await database_sync_to_async(new_ticket)(team=await database_sync_to_async(TeamFactory.create)())
    page = await connected(ben)

    await page.send_json_to({"type": "watch", "ticket_id": hidden.pk})

    assert await page.receive_json_from() == {"type": "error", "ticket_id": hidden.pk, "code": "not_found"}
    await page.send_json_to({"type": "typing", "ticket_id": hidden.pk})
    assert await page.receive_nothing()
    await page.disconnect()


async def test_typing_is_relayed_to_the_other_agents_on_the_ticket(ana: User, ben: User, ticket: Ticket) -> None:
    ana_page = await connected(ana, watch=ticket.pk)
    ben_page = await connected(ben, watch=ticket.pk)

    await ana_page.send_json_to({"type": "typing", "ticket_id": ticket.pk})

    assert await ben_page.receive_json_from(timeout=2) == {
        "type": "ticket.typing",
        "ticket_id": ticket.pk,
        "agent_id": ana.pk,
        "agent_name": "Ana",
    }
    assert await ana_page.receive_nothing()  # one's own typing is not echoed
    await ana_page.disconnect()
    await ben_page.disconnect()


async def test_typing_on_a_ticket_not_watched_goes_nowhere(ana: User, ben: User, ticket: Ticket) -> None:
    ana_page = await connected(ana)
    ben_page = await connected(ben, watch=ticket.pk)

    await ana_page.send_json_to({"type": "typing", "ticket_id": ticket.pk})

    assert await ben_page.receive_nothing()
    await ana_page.disconnect()
    await ben_page.disconnect()


async def test_every_agent_hears_when_an_agent_pauses_intake(ana: User, ben: User) -> None:
    await database_sync_to_async(shift_start)(agent=ana, actor=ana, now=NOW)
    dashboard = await connected(ben)

    await database_sync_to_async(intake_pause)(agent=ana, actor=ana, now=NOW)

    assert await dashboard.receive_json_from(timeout=2) == {
        "type": "agent.state",
        "agent_id": ana.pk,
        "old": "working",
        "state": "paused",
        "at": NOW.isoformat(),
    }
    await dashboard.disconnect()


async def test_a_notification_tells_only_its_recipients_pages(ana: User, ben: User, ticket: Ticket) -> None:
    ana_page = await connected(ana)
    ben_page = await connected(ben)

    await database_sync_to_async(notify)(
        recipients=[ana], kind="sla.breach", title="SLA breached", ticket=ticket, now=NOW
    )

    assert await ana_page.receive_json_from(timeout=2) == {"type": "notification"}
    assert await ben_page.receive_nothing()
    await ana_page.disconnect()
    await ben_page.disconnect()
