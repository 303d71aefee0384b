"""Real processes: `frontdesk serve` (embedded), `frontdesk web` and `frontdesk worker` against PostgreSQL and Redis."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import require_server
from frontdesk.core.probe import answers

pytestmark = pytest.mark.slow

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

SETUP = """
from datetime import timedelta
from django.utils import timezone
from frontdesk.accounts.services import contact_create
from frontdesk.tickets.services import ticket_create, ticket_update
from frontdesk.tickets.tasks import close_solved_tickets_now
long_ago = timezone.now() - timedelta(days=10)
ticket = ticket_create(subject="Solved long ago", requester=contact_create(email="guest@example.com"),
                       channel="email", body_text="Thanks", actor=None, now=long_ago)
ticket_update(ticket=ticket, actor=None, now=long_ago, status="solved")
close_solved_tickets_now()
print(ticket.pk)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(extra)
    return env


def _frontdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "frontdesk.cli", *args]


@pytest.fixture
def postgres_database() -> Iterator[str]:
    if not answers("postgres", POSTGRES_URL):
        require_server("PostgreSQL", f"nothing answers at {POSTGRES_URL}")
    import psycopg

    name = f"frontdesk_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_real_worker_runs_a_job_queued_in_redis(postgres_database: str, tmp_path: Path) -> None:
    if not answers("redis", REDIS_URL):
        require_server("Redis", f"nothing answers at {REDIS_URL}")
    queue = f"frontdesk-test-{uuid.uuid4().hex[:8]}"
    env = _env(DATABASE_URL=postgres_database, REDIS_URL=REDIS_URL, FRONTDESK_QUEUE=queue, FRONTDESK_DATA=str(tmp_path))
    subprocess.run(_frontdesk("migrate"), env=env, check=True, capture_output=True, timeout=120)
    # Queue the job from one process while no worker runs...
    setup = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + SETUP],
        env={**env, "DJANGO_SETTINGS_MODULE": "frontdesk.settings"},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ticket_id = int(setup.stdout.strip().splitlines()[-1])
    assert _status(postgres_database, ticket_id) == "solved"

    # ...and a separate worker process picks it up from Redis.
    worker = subprocess.Popen(
        _frontdesk("worker", "--workers", "1", "--no-periodic"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while _status(postgres_database, ticket_id) != "closed" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _status(postgres_database, ticket_id) == "closed"
    finally:
        worker.terminate()
        worker.wait(timeout=10)


def _status(database_url: str, ticket_id: int) -> str:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT status FROM tickets_ticket WHERE id = %s", (ticket_id,)).fetchone()
    return str(row[0]) if row else ""


def test_serve_starts_embedded_with_empty_database_and_answers_health(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        _frontdesk("serve", "--port", str(port)),
        env=_env(FRONTDESK_DATA=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = _get_when_up(f"http://127.0.0.1:{port}/healthz")
        login = _get_when_up(f"http://127.0.0.1:{port}/login/")
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert health == (200, '{"status": "ok", "database": "sqlite"}'), output
    assert login[0] == 200
    assert (tmp_path / "frontdesk.sqlite3").exists()
    assert "Sign in at" not in output  # no demo data without --demo


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's table of sockets")
def test_web_workers_each_listen_on_a_socket_of_their_own(tmp_path: Path) -> None:
    """So that the kernel spreads new connections over the workers (core.server)."""
    port = _free_port()
    server = subprocess.Popen(
        _frontdesk("web", "--port", str(port), "--workers", "2"),
        env=_env(FRONTDESK_DATA=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = _get_when_up(f"http://127.0.0.1:{port}/healthz")
        deadline = time.monotonic() + 30
        while (listening := _listening_sockets(port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)  # the second worker may still be starting
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert health == (200, '{"status": "ok", "database": "sqlite"}'), output
    assert listening == 2, output
    assert _listening_sockets(port) == 0


def _listening_sockets(port: int) -> int:
    """Sockets listening on 127.0.0.1:`port` (state 0A in /proc/net/tcp)."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


def _get_when_up(url: str, timeout: float = 60) -> tuple[int, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (loopback URL built here)
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
