"""The session engine that reads the session row with a prepared statement (workspace.sessions)."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import User
from frontdesk.workspace.sessions import SessionStore

ENGINE = "frontdesk.workspace.sessions"


@pytest.fixture
def prepared_sessions(settings: Any) -> None:
    settings.SESSION_ENGINE = ENGINE


@pytest.mark.usefixtures("prepared_sessions")
def test_a_signed_in_agent_stays_signed_in_until_signing_out(agent: User) -> None:
    client = Client()
    client.force_login(agent)

    assert client.get("/notifications/").status_code == 200
    client.post("/logout/")
    assert client.get("/notifications/").status_code == 302


def test_a_stored_session_reads_back_in_one_query(
    agent: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    stored = SessionStore()
    stored["answer"] = 42
    stored.save()

    with django_assert_num_queries(1):
        loaded = SessionStore(stored.session_key).load()

    assert loaded == {"answer": 42}


def test_an_expired_session_reads_as_none(db: None) -> None:
    stored = SessionStore()
    stored["answer"] = 42
    stored.save()
    Session.objects.filter(session_key=stored.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    session = SessionStore(stored.session_key)

    assert session.load() == {}
    assert session.session_key is None


def test_an_unknown_session_reads_as_none(db: None) -> None:
    session = SessionStore("no-such-session-key-at-all")

    assert session.load() == {}
    assert session.session_key is None
