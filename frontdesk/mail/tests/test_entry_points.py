"""The ways mail comes in: the MTA pipe command (as real processes, killed mid-way), the HTTP
endpoint, and the raw download."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.mail.cli import EX_TEMPFAIL
from frontdesk.mail.services import email_ingest, mailbox_create
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.tests.factories import NOW

RAW = (
    b"From: =?utf-8?q?Ana_Mart=C3=ADnez?= <ana@example.com>\r\n"
    b"To: help@hotel.test\r\nSubject: Parking\r\nMessage-ID: <parking-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    b"\xbfHay parking en el hotel?\r\n"
)


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["FRONTDESK_DATA"] = str(data)
    return env


def _run(data: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args], input=stdin, env=_env(data), capture_output=True, timeout=120
    )


def _python(data: Path, code: str) -> subprocess.CompletedProcess[bytes]:
    prelude = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'frontdesk.settings'; django.setup()\n"
    return subprocess.run([sys.executable, "-c", prelude + code], env=_env(data), capture_output=True, timeout=120)


@pytest.mark.slow
def test_the_pipe_survives_a_kill_between_storing_and_processing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(data, "migrate").returncode == 0
    assert _run(data, "mailbox", "add", "--name", "help", "--address", "help@hotel.test").returncode == 0

    # A process stores the message, then dies before it becomes a ticket.
    killed = _python(
        data,
        "import signal\n"
        "from django.utils import timezone\n"
        "from frontdesk.mail.models import Mailbox\n"
        "from frontdesk.mail.services import email_receive\n"
        "email_receive(mailbox=Mailbox.objects.get(), raw=" + repr(RAW) + ", source='pipe', now=timezone.now())\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    assert killed.returncode == -9, killed.stderr.decode()

    # The MTA did not hear "stored", so it delivers again: one ticket, then a duplicate.
    first = _run(data, "mail", "ingest", "--mailbox", "help", stdin=RAW)
    assert first.returncode == 0, first.stderr.decode()
    created = json.loads(first.stdout)
    assert created["outcome"] == "created"
    assert created["ticket"]
    assert created["message"]
    again = json.loads(_run(data, "mail", "ingest", "--mailbox", "help", stdin=RAW).stdout)
    assert again == {"outcome": "duplicate", "ticket": created["ticket"], "message": created["message"]}

    counts = _python(
        data,
        "from frontdesk.mail.models import InboundEmail\n"
        "from frontdesk.tickets.models import Ticket\n"
        "raw = InboundEmail.objects.order_by('pk').first().raw.read()\n"
        "print(Ticket.objects.count(), InboundEmail.objects.count(), raw == " + repr(RAW) + ")\n",
    )
    assert counts.stdout.split() == [b"1", b"2", b"True"], counts.stderr.decode()


@pytest.mark.slow
def test_the_pipe_asks_the_mta_to_retry_when_it_cannot_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(data, "migrate").returncode == 0
    unknown = _run(data, "mail", "ingest", "--mailbox", "nope", stdin=RAW)
    assert unknown.returncode == EX_TEMPFAIL
    assert b"no mailbox named 'nope'" in unknown.stderr

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    broken = _run(not_a_folder, "mail", "ingest", "--mailbox", "help", stdin=RAW)
    assert broken.returncode == EX_TEMPFAIL


@pytest.mark.django_db
def test_the_http_endpoint_takes_raw_mime_with_the_mailbox_secret() -> None:
    _box, secret = mailbox_create(name="help", address="help@hotel.test", actor=None, now=NOW)
    client = Client()
    url = "/api/v1/mail/help/inbound"

    refused = client.post(url, RAW, content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.status_code == 404
    anonymous = client.post(url, RAW, content_type="message/rfc822")
    assert anonymous.status_code == 401

    accepted = client.post(url, RAW, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["outcome"] == "created"
    assert body["ticket"]
    assert body["message"]


@pytest.mark.django_db
def test_the_raw_email_and_its_details_download_byte_for_byte_for_those_who_see_the_ticket() -> None:
    box, _secret = mailbox_create(name="help", address="help@hotel.test", actor=None, now=NOW)
    result = email_ingest(mailbox=box, raw=RAW, source="pipe", now=NOW)
    admin = UserFactory.create(role="admin")
    outsider = UserFactory.create(role="agent")  # in no team; the ticket has a team below
    assert result.ticket is not None
    Ticket.objects.filter(pk=result.ticket).update(team=TeamFactory.create())

    client = Client()
    client.force_login(admin)
    raw = client.get(f"/api/v1/messages/{result.message}/raw")
    assert raw.status_code == 200
    assert raw["Content-Type"] == "message/rfc822"
    assert raw.content == RAW
    details: Any = client.get(f"/api/v1/messages/{result.message}/email").json()
    assert details["direction"] == "in"
    assert details["thread_reason"] == "new"
    assert details["message_id"] == "parking-1@example.com"
    message: Any = client.get(f"/api/v1/tickets/{result.ticket}/messages").json()[0]
    assert message["body_text"] == "¿Hay parking en el hotel?"
    assert message["stripped_text"] == "¿Hay parking en el hotel?"

    client.force_login(outsider)
    assert client.get(f"/api/v1/messages/{result.message}/raw").status_code == 404
