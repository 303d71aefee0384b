"""The `frontdesk` command, called in-process."""

from typing import Any

import pytest

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.services import api_token_authenticate
from frontdesk.cli import main
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db


def test_agent_create_prints_generated_password_that_signs_in(capsys: Any) -> None:
    assert main(["agent", "create", "--email", "Egle@Example.LT", "--name", "Eglė", "--role", "supervisor"]) == 0

    out = capsys.readouterr().out
    password = out.split("Password: ")[1].strip()
    user = User.objects.get(email="egle@example.lt")
    assert user.role == Role.SUPERVISOR
    assert user.check_password(password)


def test_agent_create_with_duplicate_email_fails_with_a_message(capsys: Any) -> None:
    main(["agent", "create", "--email", "a@example.com", "--name", "A", "--password", "long enough 1"])

    assert main(["agent", "create", "--email", "a@example.com", "--name", "B", "--password", "long enough 1"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_token_create_prints_a_working_token(capsys: Any) -> None:
    main(["agent", "create", "--email", "bot@example.com", "--name", "Bot", "--password", "long enough 1"])
    capsys.readouterr()

    assert main(["token", "create", "--email", "bot@example.com"]) == 0

    token = capsys.readouterr().out.strip()
    assert api_token_authenticate(plain=token, now=NOW) == User.objects.get(email="bot@example.com")


def test_token_create_for_unknown_agent_fails(capsys: Any) -> None:
    assert main(["token", "create", "--email", "nobody@example.com"]) == 2
    assert "no active agent" in capsys.readouterr().err


def test_events_lists_each_event_with_its_subscribers(capsys: Any) -> None:
    assert main(["events"]) == 0

    out = capsys.readouterr().out
    assert (
        "frontdesk.accounts.events.ContactMerged\n    frontdesk.tickets.services.tickets_move_to_merged_contact" in out
    )
