"""People and tickets the workspace tests share: a hotel support team and its tickets."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.services import ticket_create

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def new_ticket(**kwargs: Any) -> Ticket:
    """A ticket as a customer's first message creates it (through the service)."""
    values: dict[str, Any] = {
        "subject": "Late check-in",
        "requester": ContactFactory.create(),
        "channel": "email",
        "body_text": "We arrive at 23:00, can we still get the keys?",
        "actor": None,
        "now": NOW,
    }
    values.update(kwargs)
    return ticket_create(**values)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent(db: None) -> User:
    return UserFactory.create(name="Ana Agent", role=Role.AGENT)


@pytest.fixture
def team(agent: User) -> Team:
    return TeamFactory.create(name="Reservations", members=[agent])


@pytest.fixture
def agent_client(agent: User) -> Client:
    return client_for(agent)
