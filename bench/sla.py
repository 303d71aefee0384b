"""SLA figures: the sweep over 1,000,000 open tickets, and how soon a breach reaches a webhook.

    python -m bench.sla [--db sqlite|postgres|both] [--tickets 1000000] [--sweeps 50] [--due 100]
                        [--latency-tickets 8] [--no-latency] [--rebuild]

Prints figures and asserts nothing (see bench/README.md, "SLA"):
- the in-process time of `sla.services.sla_sweep` when nothing is due, with the query plan
  that shows the partial index `sla_clock_alarm_due` at work, and when 100 clocks are due;
- from a breach's deadline to its webhook arriving at an HTTP server on loopback, with the
  real processes: `frontdesk serve` (embedded), and `frontdesk web` with two
  `frontdesk worker` processes on PostgreSQL and Redis.
"""

import argparse
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.measure import (
    ROOT,
    add_database_option,
    analyze,
    cached,
    child_env,
    chosen_databases,
    database_mb,
    explain,
    log,
    percentiles,
    postgres_url,
    recorded,
    run_child,
    save_results,
    timed,
)

DATA = ROOT / "bench" / "data"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
VERSION = 2  # bump when the generated data changes shape: cached data sets are then rebuilt
TARGET_SWEEP_MS = 100.0  # one sweep with nothing due, 1,000,000 open tickets (the issue)
TARGET_LATENCY_S = 30.0  # deadline to webhook received (the issue)
WEBHOOK_SECRET = "bench-sla-webhook-secret"  # noqa: S105  # a throwaway endpoint's
# First response and resolution targets (minutes) by priority, 24/7, in the sweep's data set.
TARGETS = {"urgent": (240, 1440), "high": (720, 4320), "normal": (2880, 10080), "low": (4320, 20160)}
PRIORITIES = [("normal", 70), ("low", 12), ("high", 14), ("urgent", 4)]


# --- parent ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sla", description=__doc__.split("\n")[0])
    add_database_option(parser)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets (default 1,000,000)")
    parser.add_argument("--sweeps", type=int, default=50, help="timed sweeps with nothing due (default 50)")
    parser.add_argument("--due", type=int, default=100, help="clocks due in the busy sweep (default 100)")
    parser.add_argument("--latency-tickets", type=int, default=8, help="breaches per latency figure (default 8)")
    parser.add_argument("--no-latency", action="store_true", help="only the sweep figures")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again even if it is cached")
    parser.add_argument("--child", choices=["sweep", "latency-setup", "latency-tickets"], help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    databases = chosen_databases(args.db)
    runs: dict[str, Any] = {"sweep": {}, "latency": {}}
    for name in databases:
        print(f"\n== SLA sweep: {name}, {args.tickets:,} open tickets ==", flush=True)
        runs["sweep"][name] = run_sweep(name, args)
    if not args.no_latency:
        modes = [(f"embedded, {name}", name, False) for name in databases]
        if "postgres" in databases:
            modes.append(("web + 2 workers, postgres + redis", "postgres", True))
        for label, name, separate in modes:
            print(f"\n== SLA breach latency: {label} ==", flush=True)
            try:
                runs["latency"][label] = run_latency(name, separate=separate, count=args.latency_tickets)
            except RuntimeError as exc:
                runs["latency"][label] = {"not_measured": str(exc)}
    print_report(runs, args)
    save_results("sla", {"args": vars(args), **runs})
    return 0


def run_sweep(db: str, args: argparse.Namespace) -> dict[str, Any]:
    from bench.__main__ import _postgres_database

    data_dir = DATA / f"sla-{db}-{args.tickets}"
    env = child_env(FRONTDESK_DATA=str(data_dir))
    fresh = args.rebuild or not _cached(data_dir, args.tickets)
    if db == "postgres":
        name = f"frontdesk_bench_sla_{args.tickets}"
        env["DATABASE_URL"] = postgres_url(name)
        fresh = _postgres_database(name, fresh=fresh) or fresh
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bench.sla", "--child", "sweep", "--tickets", str(args.tickets)]
    command += ["--sweeps", str(args.sweeps), "--due", str(args.due)]
    measured = run_child(command, env, "sweep measurement")
    measured["load_average"] = os.getloadavg()
    return measured


def _cached(data_dir: Path, tickets: int) -> bool:
    return cached(data_dir / "sla-dataset.json", version=VERSION, tickets=tickets)


# --- the latency: real processes, a webhook receiver on loopback -------------------------------


class Receiver:
    """An HTTP server on 127.0.0.1 that notes when each webhook arrives (and checks its signature)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = dict(
                    part.split("=", 1) for part in self.headers.get("Frontdesk-Signature", "").split(",") if "=" in part
                )
                expected = hmac.new(
                    WEBHOOK_SECRET.encode(), f"{parts.get('t', '')}.".encode() + body, hashlib.sha256
                ).hexdigest()
                with receiver.lock:
                    receiver.received.append(
                        {
                            "arrived": arrived,
                            "payload": json.loads(body),
                            "signed": hmac.compare_digest(expected, parts.get("v1", "")),
                        }
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/sla"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _frontdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "frontdesk.cli", *args]


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session it was started in: only its own children
            process.wait()


def _wait_for(what: str, condition: Any, timeout: float, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a process exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run_latency(db: str, *, separate: bool, count: int) -> dict[str, Any]:
    """Set up a policy (1-minute first response, 24/7) and a webhook for breaches; start the processes;
    create `count` tickets whose first response is due 10–20 s later; note when each breach arrives."""
    from bench.__main__ import _postgres_database
    from bench.measure import _free_port
    from frontdesk.core.probe import answers

    work = Path(tempfile.mkdtemp(prefix="bench-sla-latency-"))
    env = child_env(FRONTDESK_DATA=str(work), FRONTDESK_EMAIL_HOST="127.0.0.1", FRONTDESK_EMAIL_PORT="9")
    queue = ""
    if db == "postgres":
        name = "frontdesk_bench_sla_latency"
        _postgres_database(name, fresh=True)
        env["DATABASE_URL"] = postgres_url(name)
    if separate:
        if not answers("redis", REDIS_URL):
            raise RuntimeError(f"Redis does not answer at {REDIS_URL} (BENCH_REDIS_URL)")
        queue = f"bench-sla-{uuid.uuid4().hex[:8]}"
        env.update(REDIS_URL=REDIS_URL, FRONTDESK_QUEUE=queue)
    receiver = Receiver()
    processes: list[subprocess.Popen[bytes]] = []
    log = work / "processes.log"
    try:
        subprocess.run(_frontdesk("migrate"), env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
        setup = [sys.executable, "-m", "bench.sla", "--child", "latency-setup", "--url", receiver.url]
        subprocess.run(setup, env=env, cwd=ROOT, check=True, timeout=120)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        if separate:
            processes.append(_start(_frontdesk("web", "--port", str(port), "--workers", "1"), env, log))
            for _ in range(2):
                processes.append(_start(_frontdesk("worker", "--workers", "2"), env, log))
            _wait_for("two workers", lambda: log.read_text().count("Frontdesk worker with") == 2, 90, processes)
        else:
            processes.append(_start(_frontdesk("serve", "--port", str(port)), env, log))
        _wait_for("the server", lambda: _healthy(url), 90, processes)
        up_seconds = time.monotonic() - started
        tickets = [sys.executable, "-m", "bench.sla", "--child", "latency-tickets", "--latency-tickets", str(count)]
        result = subprocess.run(tickets, env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, timeout=120)
        created: list[int] = json.loads(result.stdout.decode().strip().splitlines()[-1])
        _wait_for(
            f"{count} breach webhooks", lambda: len(receiver.received) >= count, 20 + TARGET_LATENCY_S * 3, processes
        )
        time.sleep(1)  # a second delivery of one breach would arrive now
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{exc}; see {log}") from exc
    finally:
        _stop(processes)
        receiver.stop()
        if queue:
            from huey import RedisHuey

            RedisHuey(queue, url=REDIS_URL).flush()
    rows = []
    for item in receiver.received:
        payload = item["payload"]
        due = datetime.fromisoformat(payload["due_at"]).timestamp()
        fired = datetime.fromisoformat(payload["fired_at"]).timestamp()
        rows.append(
            {
                "ticket": payload["ticket"]["id"],
                "latency_s": round(item["arrived"] - due, 2),
                "fired_after_s": round(fired - due, 2),
                "delivered_after_s": round(item["arrived"] - fired, 2),
                "signed": item["signed"],
            }
        )
    shutil.rmtree(work, ignore_errors=True)
    latencies = sorted(row["latency_s"] for row in rows)
    return {
        "processes": "frontdesk web --workers 1 + 2 × frontdesk worker --workers 2" if separate else "frontdesk serve",
        "database": db,
        "startup_s": round(up_seconds, 1),
        "tickets": created,
        "received": rows,
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "max_s": max(latencies) if latencies else None,
        "breaches_once": sorted(row["ticket"] for row in rows) == sorted(created),
        "all_signed": all(row["signed"] for row in rows),
    }


# --- report ---------------------------------------------------------------------------------


def print_report(runs: dict[str, Any], args: argparse.Namespace) -> None:
    print("\nSLA figures (bench/README.md, 'SLA'; targets from the issue)")
    for db, run in runs["sweep"].items():
        data = run["dataset"]
        quiet = run["nothing_due"]
        verdict = "ok" if quiet["p95_ms"] < TARGET_SWEEP_MS else "MISSED"
        print(
            f"\n  {db}: {data['tickets']:,} open tickets, {data['clocks']:,} clocks, {data['indexed']:,} with an "
            f"alarm to come (in the partial index); database {data['database_mb']:,} MB, built in "
            f"{data['build_seconds']:.0f} s; load average {run['load_average'][0]:.1f}"
        )
        print(
            f"    sweep, nothing due: p50 {quiet['p50_ms']:.2f} ms, p95 {quiet['p95_ms']:.2f} ms, max "
            f"{quiet['max_ms']:.2f} ms over {quiet['sweeps']} sweeps (target < {TARGET_SWEEP_MS:.0f} ms: {verdict}); "
            f"uses the index: {'yes' if quiet['uses_index'] else 'NO'}"
        )
        print(f"    query: {quiet['sql']}")
        for line in quiet["plan"].splitlines():
            print(f"      {line}")
        for busy in run["due"]:
            per_ticket = max(busy["due"], 1)
            print(
                f"    sweep with {busy['due']} clocks due: {busy['ms']:.0f} ms, {busy['fired']} alarms fired "
                f"({busy['ms'] / per_ticket:.1f} ms and {busy['statements'] / per_ticket:.0f} SQL statements per "
                f"ticket: clocks recomputed; alarm, notification, e-mail and webhook rows; jobs queued after commit)"
            )
    for label, run in runs["latency"].items():
        if "not_measured" in run:
            print(f"\n  breach to webhook, {label}: not measured: {run['not_measured']}")
            continue
        verdict = "ok" if run["max_s"] is not None and run["max_s"] <= TARGET_LATENCY_S else "MISSED"
        print(
            f"\n  breach to webhook, {label} ({run['processes']}, up in {run['startup_s']} s): "
            f"{len(run['received'])} of {len(run['tickets'])} breaches received, p50 {run['p50_s']} s, "
            f"max {run['max_s']} s (target ≤ {TARGET_LATENCY_S:.0f} s: {verdict}); each once: "
            f"{'yes' if run['breaches_once'] else 'NO'}; signatures valid: {'yes' if run['all_signed'] else 'NO'}"
        )
        fired = [row["fired_after_s"] for row in run["received"]]
        delivered = [row["delivered_after_s"] for row in run["received"]]
        if fired:
            print(
                f"    deadline → alarm fired (the sweep's period is 5 s): median {statistics.median(fired):.2f} s, "
                f"max {max(fired):.2f} s; fired → received: median {statistics.median(delivered):.2f} s, "
                f"max {max(delivered):.2f} s"
            )


# --- children ------------------------------------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
    if args.child == "sweep":
        return child_sweep(args)
    if args.child == "latency-setup":
        return child_latency_setup(args.url)
    return child_latency_tickets(args.latency_tickets)


def child_sweep(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    marker = Path(settings.DATA_DIR) / "sla-dataset.json"
    if not _cached(Path(settings.DATA_DIR), args.tickets):
        log(f"Building the data set: {args.tickets:,} open tickets with their clocks …")
        info = build(tickets=args.tickets, now=datetime.now(UTC).replace(microsecond=0))
        marker.write_text(json.dumps(info, indent=1))
        log(f"Built in {info['build_seconds']:.0f} s.")
    info = json.loads(marker.read_text())
    analyze()
    result: dict[str, Any] = {"dataset": {**info, **_counts()}}
    built_at = datetime.fromisoformat(info["built_at"])
    result["nothing_due"] = time_quiet_sweeps(built_at, args.sweeps)
    log(f"  nothing due: p50 {result['nothing_due']['p50_ms']:.2f} ms")
    result["due"] = [time_busy_sweep(args.due) for _ in range(3)]
    log(f"  {args.due} due: " + ", ".join(f"{busy['ms']:.0f} ms" for busy in result["due"]))
    print(json.dumps(result, default=str))
    return 0


def _counts() -> dict[str, Any]:
    from frontdesk.sla.models import Clock

    return {
        "clocks": Clock.objects.count(),
        "indexed": Clock.objects.filter(next_alarm_at__isnull=False).count(),
        "database_mb": database_mb(),
    }


def time_quiet_sweeps(now: datetime, sweeps: int) -> dict[str, Any]:
    """`sla_sweep` at the instant the data set was built (every alarm is later), `sweeps` times,
    after one unmeasured sweep; then the sweep's query with its plan."""
    from frontdesk.sla.services import sla_sweep

    fired = 0

    def sweep() -> None:
        nonlocal fired
        fired += sla_sweep(now=now)

    _result, statements = recorded(sweep)
    timings, _cpu, _last = timed(sweep, sweeps, warm_up=False)  # the recorded sweep was the unmeasured one
    sql, params = statements[0]  # the query that finds what is due
    plan = explain(sql, params, analyze=True)
    p50, p95 = percentiles(timings, digits=3)
    return {
        "sweeps": sweeps,
        "fired": fired,
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": round(max(timings), 3),
        "sql": sql % tuple(repr(str(value)) for value in params),
        "plan": plan,
        "uses_index": "sla_clock_alarm_due" in plan and "Seq Scan" not in plan and "SCAN sla_clock" not in plan,
    }


def time_busy_sweep(due: int) -> dict[str, Any]:
    """One sweep at the instant the `due`-th next alarm falls due: that many clocks are due. It fires
    them (the data set keeps the result: the next run's sweep finds the next ones)."""
    from django.db import connection

    from frontdesk.sla.models import Clock
    from frontdesk.sla.services import sla_sweep

    instants = Clock.objects.filter(next_alarm_at__isnull=False).order_by("next_alarm_at")
    now = instants.values_list("next_alarm_at", flat=True)[due - 1]
    assert now is not None  # the filter above
    count = Clock.objects.filter(next_alarm_at__lte=now).count()
    statements = 0

    def count_statement(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_statement):
        started = time.perf_counter()
        fired = sla_sweep(now=now, budget=60.0)
        ms = (time.perf_counter() - started) * 1000
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return {"due": count, "fired": fired, "ms": round(ms, 1), "statements": statements, "at": now.isoformat()}


def build(*, tickets: int, now: datetime, seed: int = 5) -> dict[str, Any]:
    """N open tickets (new or open, none answered yet) created over the last hours to days, each with
    its first-response and resolution clocks as `sla_refresh` leaves them at `now`: running, with the
    75 % warning still to come; one 24/7 policy with targets by priority, one webhook.

    Agents, teams, contacts and the batch writer are bench/dataset.py's."""
    from django.db import connection, transaction

    from bench import dataset
    from frontdesk.notifications.models import Webhook
    from frontdesk.sla.models import Calendar, Clock, Policy, PolicyTarget
    from frontdesk.tickets.models import Ticket

    started = time.perf_counter()
    rng = random.Random(seed)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        if connection.vendor == "sqlite":
            connection.cursor().execute("PRAGMA cache_size = -200000")
        team_members = dataset._people(rng, now)
        contacts = dataset._contacts(rng, min(tickets, 40_000), now)
        calendar = Calendar.objects.create(name="24/7", always_open=True, updated_at=now)
        policy = Policy.objects.create(
            name="Standard",
            calendar=calendar,
            warn_at=[0.75, 0.9],
            active_since=now - timedelta(days=30),
            updated_at=now,
        )
        for priority, (first, resolution) in TARGETS.items():
            PolicyTarget.objects.create(
                policy=policy, priority=priority, first_response_minutes=first, resolution_minutes=resolution
            )
        Webhook.objects.create(  # nothing listens: deliveries are written, never sent
            name="ops", url="http://127.0.0.1:9/sla", secret=WEBHOOK_SECRET, events=[], created_at=now
        )
        ticket_columns = [
            "id", "subject", "requester_id", "channel", "status", "priority", "team_id", "assignee_id",
            "custom_fields", "awaiting_agent", "awaiting_since", "created_at", "updated_at", "last_activity_at",
            "last_customer_message_at", "sla_due_at",
        ]  # fmt: skip
        clock_columns = [
            "ticket_id", "metric", "started_at", "policy_id", "target_minutes", "state", "elapsed_seconds",
            "paused_seconds", "due_at", "next_alarm_at", "computed_at",
        ]  # fmt: skip
        computed = adapt(now)
        arrivals = _arrivals(rng, tickets)
        for start in range(0, tickets, dataset.BATCH):
            size = min(dataset.BATCH, tickets - start)
            ticket_rows, clock_rows = [], []
            for offset in range(size):
                ticket_id = start + offset + 1
                seconds_ago, priority = _arrival(arrivals[ticket_id - 1])
                first, resolution = TARGETS[priority]
                created = now - timedelta(seconds=seconds_ago)
                team = rng.randint(1, dataset.TEAMS)
                assignee = rng.choice(team_members[team]) if rng.random() < 0.6 and team_members[team] else None
                status = "open" if assignee is not None and rng.random() < 0.5 else "new"
                first_due = created + timedelta(minutes=first)
                ticket_rows.append(
                    (
                        ticket_id, f"Booking question {ticket_id}", rng.randint(1, contacts), "email", status,
                        priority, team, assignee, "{}", True, adapt(created), adapt(created), adapt(created),
                        adapt(created), adapt(created), adapt(first_due),
                    )
                )  # fmt: skip
                elapsed = int((now - created).total_seconds())
                for metric, minutes in (("first_response", first), ("resolution", resolution)):
                    clock_rows.append(
                        (
                            ticket_id, metric, adapt(created), policy.pk, minutes, "running", elapsed, 0,
                            adapt(created + timedelta(minutes=minutes)),
                            adapt(created + timedelta(minutes=0.75 * minutes)), computed,
                        )
                    )  # fmt: skip
            dataset._insert(Ticket, ticket_columns, ticket_rows)
            dataset._insert(Clock, clock_columns, clock_rows)
            done = start + size
            if done % max(dataset.BATCH, tickets // 10 // dataset.BATCH * dataset.BATCH) == 0 or done == tickets:
                log(f"  {done:,} / {tickets:,} tickets")
        dataset._reset_sequences()
    return {
        "version": VERSION,
        "tickets": tickets,
        "built_at": now.isoformat(),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def _arrivals(rng: random.Random, tickets: int) -> list[int]:
    """When each ticket came and its priority (`_arrival` reads them), oldest first: ids follow
    creation, as in a live database, so the time-ordered indexes are appended to rather than written
    all over (1,000,000 tickets on SQLite: 209 s instead of 548 s). Each came recently enough that
    its first 75 % warning is still to come."""
    names = list(TARGETS)
    weights = dict(PRIORITIES)
    drawn = rng.choices(range(len(names)), weights=[weights[name] for name in names], k=tickets)
    # One int per ticket (seconds ago × 4 + priority), sorted: a million tuples would take far more memory.
    keys = [int(rng.uniform(60, 0.7 * TARGETS[names[p]][0] * 60)) * 4 + p for p in drawn]
    keys.sort(reverse=True)
    return keys


def _arrival(key: int) -> tuple[int, str]:
    """(seconds before `now`, priority) from one of `_arrivals`."""
    return key // 4, list(TARGETS)[key % 4]


def child_latency_setup(url: str) -> int:
    """An admin, an agent, a 24/7 policy with a 1-minute first response for every priority, and a
    webhook for breaches to `url`."""
    from django.utils import timezone

    from frontdesk.accounts.models import Role
    from frontdesk.accounts.services import user_create
    from frontdesk.notifications.services import webhook_save
    from frontdesk.sla.services import TargetInput, calendar_save, policy_save

    now = timezone.now()
    admin = user_create(email="admin@bench.frontdesk", name="Admin", role=Role.ADMIN)
    user_create(email="agent@bench.frontdesk", name="Agent", role=Role.AGENT)
    calendar = calendar_save(name="24/7", time_zone="UTC", always_open=True, hours={}, actor=admin, now=now)
    targets = [TargetInput(priority=p, first_response_minutes=1) for p in ("low", "normal", "high", "urgent")]
    policy_save(name="Fast", calendar=calendar, targets=targets, actor=admin, now=now - timedelta(hours=1))
    webhook_save(name="bench", url=url, secret=WEBHOOK_SECRET, events=["sla.breach"], actor=admin, now=now)
    return 0


def child_latency_tickets(count: int) -> int:
    """`count` tickets assigned to the agent whose first response (1 minute) is due 10–20 s from now:
    created 40–50 s ago. Prints their ids."""
    from django.utils import timezone

    from frontdesk.accounts.models import User
    from frontdesk.accounts.services import contact_create
    from frontdesk.tickets.services import ticket_create

    agent = User.objects.get(email="agent@bench.frontdesk")
    admin = User.objects.get(email="admin@bench.frontdesk")
    ids = []
    for n in range(count):
        due_in = 10 + 10 * n / max(count - 1, 1)
        requester = contact_create(email=f"guest{n}-{uuid.uuid4().hex[:6]}@guests.example", actor=admin)
        created = timezone.now() - timedelta(seconds=60 - due_in)
        ticket = ticket_create(
            subject=f"Breach {n}", requester=requester, channel="email", body_text="Where are the keys?",
            assignee=agent, actor=None, now=created,
        )  # fmt: skip
        ids.append(ticket.pk)
    print(json.dumps(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
