"""SL4: each alarm fires once with two `frontdesk worker` processes sweeping at once (PostgreSQL).

Two real workers (Redis queue, PostgreSQL test database) run the SLA sweep from their ticker
every 5 s, both from the moment they start, and deliver webhooks and staff e-mail through their
Huey threads: to an HTTP server and an aiosmtpd server on loopback. Tickets are set up with
their clocks as the services left them at creation, with alarms already due (warnings at 75 %
and 90 %, breaches with escalations), so that the two workers' first sweeps race for the same
tickets; one more ticket's alarms fall due one after the other while the workers run, so that
later sweeps of both see each of them. The test then reads what they committed: every alarm
once, one notification, e-mail and webhook per announced alarm and recipient, one escalation
(webhook, supervisor's notification and e-mail) per breach, each received once by the servers,
and the priority raised one step. Left out of the SQLite run (the `postgres`
marker, see conftest.py); about 40 s.
"""

import os
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from conftest import require_server
from frontdesk.accounts.models import Role, Team
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.core.probe import answers
from frontdesk.mail.tests.servers import SmtpServer, smtp_server, tls_certificate, trust_test_certificate
from frontdesk.notifications.models import DeliveryStatus, Notification, StaffEmail, WebhookDelivery
from frontdesk.notifications.services import webhook_save
from frontdesk.notifications.tests.test_services import SECRET, WebhookReceiver, receiver, signature_valid
from frontdesk.sla.models import Alarm, Clock
from frontdesk.sla.tests.factories import policy_with
from frontdesk.tickets.models import Priority, Ticket, TicketEvent
from frontdesk.tickets.tests.factories import new_ticket

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

__all__ = ["receiver", "smtp_server", "tls_certificate", "trust_test_certificate"]  # fixtures

REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKERS = 2
BREACHED = 12  # tickets whose breach is due when the workers start
SWEEP_SECONDS = 5  # the ticker's period for the SLA sweep (sla/apps.py)


def _database_url() -> str:
    """The URL of the test database this test's connection uses, for the worker processes."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(settings['NAME'], safe='')}"


@pytest.fixture
def queue() -> Iterator[str]:
    """A Redis queue of this test's own, emptied afterwards."""
    if not answers("redis", REDIS_URL):
        require_server("Redis", f"nothing answers at {REDIS_URL}")
    from huey import RedisHuey

    name = f"frontdesk-sla-test-{uuid.uuid4().hex[:8]}"
    yield name
    RedisHuey(name, url=REDIS_URL).flush()


class Workers:
    """`frontdesk worker` processes with the test database, the queue and the loopback servers."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        for n in range(count):
            with (self.logs / f"worker-{n}.log").open("wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "frontdesk.cli", "worker", "--workers", "2"],
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until each has printed its banner: its ticker is running (it starts before the banner)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert all(process.poll() is None for process in self.processes), self.output()
            if all("Frontdesk worker with" in log.read_text() for log in self.logs.glob("worker-*.log")):
                return
            time.sleep(0.1)
        raise AssertionError(f"the workers did not start within {timeout} s\n{self.output()}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.logs.glob("*.log")))


@pytest.fixture
def workers(
    transactional_db: None, queue: str, receiver: WebhookReceiver, smtp_server: SmtpServer, tmp_path: Path
) -> Iterator[Workers]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=REDIS_URL,
        FRONTDESK_QUEUE=queue,
        FRONTDESK_DATA=str(tmp_path),
        FRONTDESK_EMAIL_HOST="127.0.0.1",
        FRONTDESK_EMAIL_PORT=str(smtp_server.port),
        FRONTDESK_EMAIL_FROM="Frontdesk <frontdesk@hotel.example>",
    )
    running = Workers(env, tmp_path)
    yield running
    running.stop()


def created_at(when: datetime, **fields: Any) -> Ticket:
    """A ticket created at `when` through the service; its clocks are computed then, by the SLA
    event handler (the clock stands at `when` for it), so the alarms due since are left to the sweep."""
    with time_machine.travel(when, tick=False):
        return new_ticket(now=when, **fields)


def wait_until(condition: Callable[[], bool], timeout: float, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n{workers.output()}"
        assert all(process.poll() is None for process in workers.processes), workers.output()
        time.sleep(0.25)


def test_two_worker_processes_fire_each_warning_breach_and_escalation_once(
    workers: Workers, receiver: WebhookReceiver, smtp_server: SmtpServer
) -> None:
    now = timezone.now()
    supervisor = UserFactory.create(role=Role.SUPERVISOR, email="sam@hotel.example")
    lead = UserFactory.create(email="lina@hotel.example")
    agent = UserFactory.create(email="ana@hotel.example")
    team: Team = TeamFactory.create(lead=lead, members=[agent])
    admin = UserFactory.create(role=Role.ADMIN)  # neither a lead nor a supervisor: gets nothing
    webhook_save(name="ops", url=receiver.url, secret=SECRET, events=[], actor=admin, now=now)
    # First response: 60 minutes for low and normal, 1 minute for high and urgent (the live ticket).
    targets: dict[str, tuple[int | None, int | None, int | None]] = {
        "low": (60, None, 480),
        "normal": (60, None, 480),
        "high": (1, None, 480),
        "urgent": (1, None, 480),
    }
    policy_with(
        targets,
        active_since=now - timedelta(days=1),
        breach_raise_priority=True,
        breach_notify_supervisors=True,
    )
    ticket = {"team": team, "assignee": agent}
    warned = created_at(now - timedelta(minutes=50), subject="75 % due", **ticket)
    warned_twice = created_at(now - timedelta(minutes=56), subject="75 % and 90 % due", **ticket)
    breached = [created_at(now - timedelta(hours=2), subject=f"Breached {n}", **ticket) for n in range(BREACHED)]
    assert Clock.objects.filter(next_alarm_at__lte=now).count() == BREACHED + 2
    assert not Alarm.objects.exists()

    workers.start(WORKERS)
    workers.wait_ready()
    # Due while the workers run: 75 % in 5 s, 90 % in 14 s, the breach in 20 s (1-minute target).
    live = created_at(timezone.now() - timedelta(seconds=40), subject="Live", priority=Priority.HIGH, **ticket)

    def breach_fired_and_everything_sent() -> bool:
        return (
            Alarm.objects.filter(ticket=live, permille=1000).exists()
            and not WebhookDelivery.objects.exclude(status=DeliveryStatus.SENT).exists()
            and not StaffEmail.objects.exclude(status=DeliveryStatus.SENT).exists()
        )

    wait_until(breach_fired_and_everything_sent, 60, "the live ticket's breach, delivered", workers)
    time.sleep(SWEEP_SECONDS + 2)  # each worker sweeps again after the last alarm: nothing more may fire
    workers.stop()

    # Every alarm once per clock and fraction; the most severe due at once is announced.
    alarms = Counter(Alarm.objects.values_list("ticket_id", "metric", "clock_started_at", "permille"))
    assert set(alarms.values()) == {1}
    fired: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for ticket_id, permille, was_announced in Alarm.objects.order_by("permille").values_list(
        "ticket_id", "permille", "announced"
    ):
        fired[ticket_id].append((permille, was_announced))
    assert fired[warned.pk] == [(750, True)]
    assert fired[warned_twice.pk] == [(750, False), (900, True)]
    for each in breached:
        assert fired[each.pk] == [(750, False), (900, False), (1000, True)]
    assert [permille for permille, _announced in fired[live.pk]] == [750, 900, 1000]
    assert dict(fired[live.pk])[750] is True  # due alone, 9 s before the next: a sweep saw it alone
    assert dict(fired[live.pk])[1000] is True
    assert set(Alarm.objects.values_list("metric", flat=True)) == {"first_response"}

    announced = list(Alarm.objects.filter(announced=True).values_list("pk", "ticket_id", "level"))
    breaches = [ticket_id for _pk, ticket_id, level in announced if level == "breach"]
    assert sorted(breaches) == sorted([each.pk for each in breached] + [live.pk])

    # In-app: the assignee once per announced alarm; the supervisor once per breach (the escalation).
    notifications = Counter(Notification.objects.values_list("recipient_id", "ticket_id", "kind"))
    expected = Counter((agent.pk, ticket_id, f"sla.{level}") for _pk, ticket_id, level in announced)
    expected.update((supervisor.pk, ticket_id, "sla.escalation") for ticket_id in breaches)
    assert notifications == expected

    # E-mail: the team lead once per announced alarm, the supervisor once per breach; each received once.
    emails = Counter(StaffEmail.objects.values_list("to_address", flat=True))
    assert emails == {"lina@hotel.example": len(announced), "sam@hotel.example": len(breaches)}
    assert set(StaffEmail.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    received = Counter((tuple(message.rcpt_tos), _subject(message.data)) for message in smtp_server.received)
    assert received == Counter(
        ((address,), subject) for address, subject in StaffEmail.objects.values_list("to_address", "subject")
    )

    # Webhooks: one delivery per announced alarm and one per escalation, each posted once, signed.
    deliveries = list(WebhookDelivery.objects.values_list("pk", "event", "payload", "status", "attempts"))
    expected_events = Counter((ticket_id, f"sla.{level}") for _pk, ticket_id, level in announced)
    expected_events.update((ticket_id, "sla.escalation") for ticket_id in breaches)
    assert Counter((payload["ticket"]["id"], event) for _pk, event, payload, _s, _a in deliveries) == expected_events
    escalations = {
        payload["ticket"]["id"]: (payload["changes"], payload["supervisors_notified"])
        for _pk, event, payload, _s, _a in deliveries
        if event == "sla.escalation"
    }
    one_step = {"priority": {"from": "normal", "to": "high"}}
    assert escalations == {
        **{each.pk: (one_step, True) for each in breached},
        live.pk: ({"priority": {"from": "high", "to": "urgent"}}, True),
    }
    assert {(status, attempts) for _pk, _e, _p, status, attempts in deliveries} == {(DeliveryStatus.SENT, 1)}
    assert receiver.deliveries() == {pk: 1 for pk, *_rest in deliveries}
    assert all(signature_valid(item, SECRET) for item in receiver.received)

    # Escalation: the priority raised one step, once.
    priorities = dict(Ticket.objects.values_list("pk", "priority"))
    assert {priorities[each.pk] for each in breached} == {Priority.HIGH}
    assert priorities[live.pk] == Priority.URGENT
    assert priorities[warned.pk] == priorities[warned_twice.pk] == Priority.NORMAL
    raised = Counter(TicketEvent.objects.filter(field="priority").values_list("ticket_id", flat=True))
    assert raised == Counter(breaches)


def _subject(data: bytes) -> str:
    import email
    from email.policy import default

    return str(email.message_from_bytes(data, policy=default)["Subject"])
