"""RT6: routing stays correct with several worker processes assigning at once (PostgreSQL).

Four real OS processes, each with its own Django and database connection, create 2,000
tickets (500 each) through `ticket_create` (each creation runs an assignment pass after
commit, as in production) and also call `routing_assign_waiting` between creations and
until nothing more moves; a second, smaller run has capacities that bind. The test then
reads what they committed. Left out of the SQLite run (the `postgres` marker, see
conftest.py), whose write lock serialises everything anyway; the PostgreSQL run of the
suite runs it (about 30–60 s on a 2-core machine: the passes hold the routing lock in
turn, so their cost adds up).
"""

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.db.models import Count

from frontdesk.accounts.tests.factories import ContactFactory
from frontdesk.routing.models import AgentState, Assignment, RoutingProfile, Rule
from frontdesk.routing.services import routing_assign_waiting, shift_stop
from frontdesk.routing.tests.factories import working_agent
from frontdesk.tickets.models import EventKind, Status, Ticket, TicketEvent
from frontdesk.tickets.tests.factories import NOW, TicketFactory

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKERS = 4
AGENTS = 20
LATER = NOW + timedelta(minutes=5)

# One worker process: set up Django, say it is ready, wait for "go" on stdin, then create its
# tickets as they "arrive", running an extra assignment pass every few tickets and at the end.
WORKER = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "frontdesk.settings"
import django
django.setup()
from django.utils import timezone
from frontdesk.accounts.models import Contact
from frontdesk.routing.services import routing_assign_waiting
from frontdesk.tickets.services import ticket_create

worker, count, requester = int(sys.argv[1]), int(sys.argv[2]), Contact.objects.get(pk=int(sys.argv[3]))
print("ready", flush=True)
sys.stdin.readline()
extra = 0  # tickets this worker's own passes assigned (the rest went through the events' passes)
for n in range(count):
    ticket_create(subject=f"Worker {worker}, ticket {n}", requester=requester, channel="email",
                  body_text="Can we check in early?", actor=None, now=timezone.now())
    if n % 50 == worker:
        extra += routing_assign_waiting(now=timezone.now())
while more := routing_assign_waiting(now=timezone.now()):
    extra += more
print("done", extra, flush=True)
"""


def _database_url() -> str:
    """The URL of the test database this test's connection uses, for the worker processes."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    # Commits need not wait for the disk here (a crash loses the test database anyway); the
    # routing lock is held until commit, so this keeps the workers from queueing on fsyncs.
    options = "?options=" + quote("-c synchronous_commit=off", safe="")
    return f"postgres://{user}{password}@{host}{port}/{quote(settings['NAME'], safe='')}{options}"


def _run_workers(data: Path, tickets_each: int) -> list[str]:
    """Start the workers, let them all begin at once, and return their last lines of output."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=_database_url(), FRONTDESK_DATA=str(data))
    requesters = ContactFactory.create_batch(WORKERS)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(n), str(tickets_each), str(requester.pk)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, requester in enumerate(requesters)
    ]
    try:
        ready = [worker.stdout.readline().strip() for worker in workers]  # type: ignore[union-attr]
        assert ready == ["ready"] * WORKERS, [worker.stderr.read() for worker in workers]  # type: ignore[union-attr]
        for worker in workers:
            worker.stdin.write("go\n")  # type: ignore[union-attr]
            worker.stdin.flush()  # type: ignore[union-attr]
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [worker.returncode for worker in workers] == [0] * WORKERS, [err[-3000:] for _out, err in outputs]
    return [out.strip().splitlines()[-1] for out, _err in outputs]


@pytest.mark.parametrize(
    ("tickets_each", "capacity", "each_agent_holds"),
    [
        pytest.param(500, 150, 100, id="2000-tickets-room-for-all"),  # 2,000 tickets over 20 agents: 100 each
        pytest.param(100, 15, 15, id="400-tickets-capacity-binds"),  # room for 300: the other 100 wait
    ],
)
def test_four_worker_processes_assign_arriving_tickets_once_each_fairly_and_within_capacity(
    transactional_db: None, tmp_path: Path, tickets_each: int, capacity: int, each_agent_holds: int
) -> None:
    agents = [working_agent(f"Agent {n}", capacity=capacity) for n in range(AGENTS)]

    finished = _run_workers(tmp_path, tickets_each)

    assert [line.split()[0] for line in finished] == ["done"] * WORKERS
    tickets = WORKERS * tickets_each
    assigned = AGENTS * each_agent_holds
    assert Ticket.objects.count() == tickets
    holders = dict(Ticket.objects.filter(assignee__isnull=False).values_list("pk", "assignee_id"))
    assert len(holders) == assigned
    assert Ticket.objects.filter(assignee__isnull=True, status=Status.NEW, awaiting_agent=True).count() == (
        tickets - assigned
    )
    # One decision and one ROUTED event per assigned ticket, naming its assignee; none twice.
    decisions = list(Assignment.objects.values_list("ticket_id", "agent_id", "rule"))
    assert len(decisions) == assigned
    assert {ticket: agent for ticket, agent, _rule in decisions} == holders
    assert {rule for _ticket, _agent, rule in decisions} == {Rule.ASSIGNED}
    routed = TicketEvent.objects.filter(kind=EventKind.ROUTED).values("ticket_id").annotate(n=Count("id"))
    assert {row["ticket_id"]: row["n"] for row in routed} == dict.fromkeys(holders, 1)
    # Fair and within capacity: nobody is left with room while tickets wait.
    per_agent = Counter(holders.values())
    counts = [per_agent[agent.pk] for agent in agents]
    assert max(counts) <= capacity
    assert max(counts) - min(counts) <= 1
    assert counts == [each_agent_holds] * AGENTS


def test_stopping_a_shift_while_a_pass_gives_the_agent_a_ticket_does_not_deadlock(transactional_db: None) -> None:
    agent = working_agent("Ana")
    [ticket] = TicketFactory.create_batch(1)
    deciding = threading.Event()
    outcome: dict[str, object] = {}

    def hold_until_the_stop_waits(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """The pass has decided (it holds the routing lock) and is about to note the agent's idle time."""
        if sql.startswith('UPDATE "routing_routingprofile"'):
            deciding.set()
            with connection.cursor() as cursor:
                for _ in range(200):  # until shift_stop waits for the routing lock (10 s at most)
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
        return execute(sql, params, many, context)

    def assign() -> None:
        try:
            with connection.execute_wrapper(hold_until_the_stop_waits):
                outcome["assigned"] = routing_assign_waiting(now=LATER)
        except Exception as exc:
            outcome["assigned"] = repr(exc)
        finally:
            deciding.set()
            connection.close()

    passing = threading.Thread(target=assign)
    passing.start()
    assert deciding.wait(timeout=30)
    try:
        shift_stop(agent=agent, actor=agent, now=LATER)
        outcome["stopped"] = "ok"
    except Exception as exc:
        outcome["stopped"] = repr(exc)
    passing.join(timeout=30)

    assert outcome == {"assigned": 1, "stopped": "ok"}
    ticket.refresh_from_db()
    assert ticket.assignee is None  # given by the pass, then handed back unopened when the shift stopped
    assert list(Assignment.objects.values_list("rule", flat=True)) == [Rule.ASSIGNED, Rule.RETURNED]
    assert RoutingProfile.objects.get(agent=agent).state == AgentState.OFF
