"""People and tickets the workspace tests share: a hotel support team and its tickets."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


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
