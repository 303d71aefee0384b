"""People and tickets the workspace tests share: a hotel support team and its tickets; and
Chromium for the browser tests."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from conftest import require_server
from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Browser

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHROMIUM = "/usr/bin/chromium"


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


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    """Debian's Chromium driven by Playwright (imported here only: most tests need no browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        require_server("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()
