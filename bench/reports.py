"""`python -m bench.reports`: the per-agent productivity report and the tickets CSV over a large data set.

    python -m bench.reports [--tickets 1000000] [--db sqlite|postgres|both] [--rebuild]

Prints figures and asserts nothing (see bench/README.md, "Productivity reports"):
the in-process time of `reports.selectors.agent_report` for the last 30 days and the
last year, each query it runs, and the tickets CSV of the whole year downloaded from a
real `frontdesk web` worker, with that worker's peak RSS before and after.
"""

import argparse
import bisect
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench.measure import analyze, database_mb

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
VERSION = 1  # bump when the generated data changes shape: cached data sets are then rebuilt
REPEAT = 5  # timed runs of each report after one unmeasured run; the median is shown
TARGET_SECONDS, TARGET_MB = 2.0, 150.0


# --- parent: one child process per database, then the server --------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="data set size (default 1,000,000)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "postgresql", "both"], default="sqlite")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again even if it is cached")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.tickets)

    databases = {"both": ["sqlite", "postgres"], "postgresql": ["postgres"]}.get(args.db, [args.db])
    runs = []
    for db in databases:
        print(f"\n== productivity reports: {db}, {args.tickets:,} tickets ==", flush=True)
        runs.append(run_database(db, args))
    for run in runs:
        print_report(run)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"reports-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps({"args": vars(args), "runs": runs}, indent=1, default=str))
    print(f"\nSaved to {path.relative_to(ROOT)}")
    return 0


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    import shutil
    import subprocess

    from bench.__main__ import _postgres_database
    from bench.measure import Server

    data_dir = DATA / f"reports-{db}-{args.tickets}"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["FRONTDESK_DATA"] = str(data_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    fresh = args.rebuild or not _cached(data_dir, args.tickets)
    if db == "postgres":
        name = f"frontdesk_bench_reports_{args.tickets}"
        env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        fresh = _postgres_database(name, fresh=fresh) or fresh
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    command = [sys.executable, "-m", "bench.reports", "--child", "--tickets", str(args.tickets)]
    result = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the report measurement failed with exit status {result.returncode} (output above)")
    measured: dict[str, Any] = json.loads(result.stdout.decode().strip().splitlines()[-1])

    server = Server(env=env, log=data_dir / "server.log", workers=1)
    try:
        server.start()
        measured["csv"] = measure_csv(server, measured)
    except RuntimeError as exc:
        measured["csv"] = {"not_measured": str(exc)}
    finally:
        server.stop()
    measured.update(db=db, load_average={"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()})
    return measured


def _cached(data_dir: Path, tickets: int) -> bool:
    marker = data_dir / "reports-dataset.json"
    if not marker.exists():
        return False
    info = json.loads(marker.read_text())
    return bool(info.get("version") == VERSION and info.get("tickets") == tickets)


def measure_csv(server: Any, measured: dict[str, Any]) -> dict[str, Any]:
    """Download the year's tickets CSV from the server; its VmHWM before (after a small CSV) and after."""
    import httpx

    headers = {"Authorization": f"Bearer {measured['token']}"}
    first, last = measured["csv_range"]
    with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
        warm = client.get(f"/api/v1/reports/tickets.csv?start={last}&end={last}")
        if warm.status_code != 200:
            return {"not_measured": f"the small CSV answered {warm.status_code}: {warm.text[:200]}"}
        before = _peak_mb(server)
        started = time.perf_counter()
        first_byte = None
        size = lines = 0
        with client.stream("GET", f"/api/v1/reports/tickets.csv?start={first}&end={last}") as response:
            if response.status_code != 200:
                return {"not_measured": f"the CSV answered {response.status_code}"}
            for chunk in response.iter_bytes():
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    return {
        "rows": lines - 1,
        "mb": round(size / 1e6, 1),
        "seconds": round(seconds, 1),
        "first_byte_ms": round((first_byte or 0) * 1000),
        "rows_per_second": round((lines - 1) / seconds),
        "peak_rss_before_mb": before,
        "peak_rss_after_mb": _peak_mb(server),
    }


def _peak_mb(server: Any) -> float:
    """VmHWM of the process serving requests: `frontdesk web --workers 1` serves in its own process."""
    from bench.measure import _status_mb

    workers = server.workers_memory()
    if workers:
        return float(max(worker["peak_mb"] for worker in workers))
    return _status_mb(server.process.pid, "VmHWM")


def print_report(run: dict[str, Any]) -> None:
    dataset = run["dataset"]
    print(
        f"\nProductivity reports on {run['db']}: {dataset['tickets']:,} tickets, {dataset['messages']:,} messages, "
        f"{dataset['intervals']:,} work intervals, {dataset['agents']} agents, database {dataset['database_mb']:,} MB "
        f"(built in {dataset['build_seconds']:.0f} s); load average before {run['load_average']['before'][0]:.1f}, "
        f"after {run['load_average']['after'][0]:.1f} on {run['load_average']['cpus']} CPUs"
    )
    for name, report in run["reports"].items():
        verdict = "ok" if report["median_s"] < TARGET_SECONDS else "MISSED"
        print(
            f"  agent report, {name} ({report['received']:,} tickets received): median {report['median_s']:.3f} s "
            f"of {REPEAT}, first {report['first_s']:.3f} s, min {report['min_s']:.3f} s "
            f"(target < {TARGET_SECONDS:.0f} s: {verdict})"
        )
        for query in report["queries"]:
            print(f"      {query['ms']:9.1f} ms  {query['sql'][:150]}")
    csv = run["csv"]
    if "not_measured" in csv:
        print(f"  tickets CSV: not measured: {csv['not_measured']}")
        return
    verdict = "ok" if csv["peak_rss_after_mb"] < TARGET_MB else "MISSED"
    print(
        f"  tickets CSV, last year, from `frontdesk web --workers 1`: {csv['rows']:,} rows, {csv['mb']:,} MB in "
        f"{csv['seconds']} s ({csv['rows_per_second']:,} rows/s, first byte after {csv['first_byte_ms']} ms); "
        f"worker peak RSS {csv['peak_rss_before_mb']:.0f} MB before, {csv['peak_rss_after_mb']:.0f} MB after "
        f"(target < {TARGET_MB:.0f} MB: {verdict})"
    )


# --- child: build the data set, time the report ------------------------------------------


def child(tickets: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    marker = Path(settings.DATA_DIR) / "reports-dataset.json"
    if not _cached(Path(settings.DATA_DIR), tickets):
        log(f"Building the data set: {tickets:,} assigned tickets with replies, and a year of shifts …")
        info = build(tickets=tickets, now=timezone.now())
        marker.write_text(json.dumps(info, indent=1))
        log(f"Built in {info['build_seconds']:.0f} s.")
    info = json.loads(marker.read_text())
    analyze()
    result: dict[str, Any] = {"dataset": {**info, "database_mb": database_mb()}}
    result.update(_time_reports())
    result["token"] = _token()
    print(json.dumps(result, default=str))
    return 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _admin() -> Any:
    from frontdesk.accounts.models import Role, User

    return User.objects.filter(role=Role.ADMIN).order_by("pk").first()


def _time_reports() -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from frontdesk.reports.periods import days_period
    from frontdesk.reports.selectors import agent_report

    admin = _admin()
    now = timezone.now()
    zone = timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    periods = {
        "last 30 days": days_period(today - timedelta(days=29), today, zone=zone),
        "last year": days_period(today - timedelta(days=365), today, zone=zone),
    }
    reports: dict[str, Any] = {}
    for name, period in periods.items():
        timings = []
        for _ in range(REPEAT + 1):
            started = time.perf_counter()
            rows = agent_report(user=admin, start=period.start, end=period.end, now=now)
            timings.append(time.perf_counter() - started)
        calls: list[tuple[str, Any]] = []

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            calls.append((sql, params))  # noqa: B023  # read right after the report
            return execute(sql, params, many, context)

        with connection.execute_wrapper(wrapper):
            agent_report(user=admin, start=period.start, end=period.end, now=now)
        reports[name] = {
            "first_s": round(timings[0], 3),
            "median_s": round(statistics.median(timings[1:]), 3),
            "min_s": round(min(timings[1:]), 3),
            "agents": len(rows),
            "received": sum(row.received for row in rows),
            "queries": [_timed(sql, params) for sql, params in calls],
        }
        log(f"  agent report, {name}: median {reports[name]['median_s']:.3f} s")
    year = periods["last year"]
    return {"reports": reports, "csv_range": [year.first_day.isoformat(), year.last_day.isoformat()]}


def _timed(sql: str, params: Any) -> dict[str, Any]:
    """One query of the report run again on its own, with its rows fetched (SQLite computes as it fetches)."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        ms = (time.perf_counter() - started) * 1000
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql, params)
        plan = "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())
    return {"sql": sql, "ms": round(ms, 1), "plan": plan}


def _token() -> str:
    from django.utils import timezone

    from frontdesk.accounts.models import ApiToken
    from frontdesk.accounts.services import api_token_create

    ApiToken.objects.filter(name="bench-reports").delete()
    _, plain = api_token_create(user=_admin(), name="bench-reports", now=timezone.now())
    return plain


# --- the data set ------------------------------------------------------------------------------

TICKET_COLUMNS = [
    "id", "subject", "requester_id", "channel", "status", "priority", "type", "team_id", "assignee_id",
    "language", "booking_stage", "booking_channel", "custom_fields", "outcome", "assigned_at",
    "assignee_opened_at", "awaiting_agent", "awaiting_since", "needs_manager", "needs_manager_reason",
    "created_at", "updated_at", "last_activity_at", "first_response_at", "last_customer_message_at",
    "last_agent_reply_at", "solved_at", "closed_at",
]  # fmt: skip
MESSAGE_COLUMNS = [
    "id", "ticket_id", "kind", "channel", "author_agent_id", "author_contact_id", "body_text", "body_html",
    "created_at", "response_seconds", "first_response", "booking_phase",
]  # fmt: skip
INTERVAL_COLUMNS = ["id", "agent_id", "kind", "started_at", "ended_at"]


def build(*, tickets: int, now: datetime, seed: int = 3) -> dict[str, Any]:
    """N tickets over the last year, every one assigned (so the year's CSV has N rows), each with the
    customer's message and a first reply that answered it, 40% with a second exchange; pre-booking
    tickets that ended have an outcome; 49 agents work five days a week with a few pauses a day.

    Agents, teams, contacts and the batch writer are bench/dataset.py's."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from bench import dataset
    from frontdesk.routing.models import WorkInterval
    from frontdesk.tickets.models import Message

    started = time.perf_counter()
    rng = random.Random(seed)
    with transaction.atomic():
        if connection.vendor == "sqlite":
            connection.cursor().execute("PRAGMA cache_size = -200000")
        team_members = dataset._people(rng, now)
        contacts = dataset._contacts(rng, min(tickets, 40_000), now)
        messages = _tickets(rng, tickets, contacts, team_members, now)
        agents = sorted({agent for members in team_members.values() for agent in members})
        intervals = _insert_all(WorkInterval, INTERVAL_COLUMNS, _intervals(rng, agents, now))
        dataset._reset_sequences()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [WorkInterval, Message]):
                cursor.execute(statement)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "version": VERSION,
        "tickets": tickets,
        "messages": messages,
        "intervals": intervals,
        "agents": len(agents),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def _insert_all(model: Any, columns: list[str], rows: Iterator[tuple[Any, ...]], batch: int = 20_000) -> int:
    from bench import dataset

    count = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            dataset._insert(model, columns, chunk)
            count, chunk = count + len(chunk), []
    dataset._insert(model, columns, chunk)
    return count + len(chunk)


def _tickets(rng: random.Random, count: int, contacts: int, team_members: dict[int, list[int]], now: datetime) -> int:
    from django.db import connection

    from bench import dataset
    from frontdesk.demo.services import SCENARIOS
    from frontdesk.tickets.models import Message, Ticket

    adapt = connection.ops.adapt_datetimefield_value
    year = timedelta(days=365)
    everyone = sorted({agent for members in team_members.values() for agent in members})
    contact_weights = list(accumulate(1.0 / (n + 50) for n in range(contacts)))
    messages = 0
    for start in range(0, count, dataset.BATCH):
        size = min(dataset.BATCH, count - start)
        ticket_rows, message_rows = [], []
        languages = dataset._weighted(rng, dataset.LANGUAGES, size)
        channels = dataset._weighted(rng, dataset.CHANNELS, size)
        priorities = dataset._weighted(rng, dataset.PRIORITIES, size)
        for offset in range(size):
            ticket_id = start + offset + 1
            created = now - year + year * (ticket_id / (count + 1)) + timedelta(minutes=rng.uniform(-30, 30))
            created = min(created, now - timedelta(minutes=5))
            recent = now - created < dataset.RECENT
            status = dataset._weighted(rng, dataset.STATUS_RECENT if recent else dataset.STATUS_OLDER, 1)[0]
            language, channel = languages[offset], channels[offset]
            scenario = SCENARIOS[rng.randrange(len(SCENARIOS))]
            subject, body, reply = scenario.texts[language]
            team = rng.choices(range(1, 11), weights=range(15, 5, -1))[0] if rng.random() < 0.95 else None
            assignee = rng.choice(team_members[team] if team else everyone)
            requester = bisect.bisect_left(contact_weights, rng.random() * contact_weights[-1]) + 1
            stage = scenario.booking_stage
            phase = "" if not stage else "before" if stage == "pre_booking" else "after"
            latest = now - timedelta(minutes=1)
            assigned = min(latest, created + timedelta(minutes=rng.expovariate(1 / 10)))
            answered = status != "new"
            first_reply = min(latest, assigned + timedelta(minutes=rng.expovariate(1 / 40)))
            second = answered and rng.random() < 0.4
            follow_up = min(latest, first_reply + timedelta(hours=rng.expovariate(1 / 6)))
            second_reply = min(latest, follow_up + timedelta(minutes=rng.expovariate(1 / 30)))
            last = second_reply if second else first_reply if answered else created
            solved = last if status in ("solved", "closed") else None
            outcome = ""
            if stage == "pre_booking" and solved is not None:
                outcome = "booked" if rng.random() < 0.35 else "not_booked"
            awaiting = not answered or (status == "open" and rng.random() < 0.3)
            needs_manager = status in ("open", "pending", "on_hold") and rng.random() < 0.01
            ticket_rows.append(
                (
                    ticket_id, f"{subject} ({ticket_id})", requester, channel, status, priorities[offset],
                    scenario.type, team, assignee, language, stage,
                    dataset._booking_channel(rng, stage, channel), "{}", outcome, adapt(assigned),
                    adapt(assigned + timedelta(minutes=1)) if answered else None, awaiting,
                    adapt(created) if awaiting else None, needs_manager,
                    "Refund over €200 needs a supervisor's approval." if needs_manager else "",
                    adapt(created), adapt(last), adapt(last), adapt(first_reply) if answered else None,
                    adapt(follow_up if second else created), adapt(last) if answered else None,
                    adapt(solved) if solved else None,
                    adapt(solved + timedelta(days=4)) if status == "closed" and solved else None,
                )
            )  # fmt: skip
            base = 4 * ticket_id
            message_rows.append((base, ticket_id, "reply", channel, None, requester, body, "", adapt(created), None,
                                 False, ""))  # fmt: skip
            if answered:
                waited = max(0, int((first_reply - created).total_seconds()))
                message_rows.append((base + 1, ticket_id, "reply", channel, assignee, None, reply, "",
                                     adapt(first_reply), waited, True, phase))  # fmt: skip
            if second:
                waited = max(0, int((second_reply - follow_up).total_seconds()))
                message_rows += [
                    (base + 2, ticket_id, "reply", channel, None, requester, "Thanks, one more question.", "",
                     adapt(follow_up), None, False, ""),
                    (base + 3, ticket_id, "reply", channel, assignee, None, "Of course, here is the answer.", "",
                     adapt(second_reply), waited, False, phase),
                ]  # fmt: skip
        dataset._insert(Ticket, TICKET_COLUMNS, ticket_rows)
        dataset._insert(Message, MESSAGE_COLUMNS, message_rows)
        messages += len(message_rows)
        done = start + size
        if done % max(dataset.BATCH, count // 10 // dataset.BATCH * dataset.BATCH) == 0 or done == count:
            log(f"  {done:,} / {count:,} tickets")
    return messages


def _intervals(rng: random.Random, agents: list[int], now: datetime) -> Iterator[tuple[Any, ...]]:
    """Each agent works five days a week: an 8-hour shift starting between 7:00 and 10:00 UTC, with 0–3
    pauses of 5–40 minutes. A shift (or pause) still running now is left open."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    interval_id = 0
    first_day = (now - timedelta(days=366)).replace(hour=0, minute=0, second=0, microsecond=0)
    for agent in agents:
        days_off = {agent % 7, (agent + 3) % 7}
        for day in range(367):
            midnight = first_day + timedelta(days=day)
            if midnight.weekday() in days_off:
                continue
            begin = midnight + timedelta(hours=7 + 3 * rng.random())
            if begin >= now:
                break
            end = begin + timedelta(hours=8)
            interval_id += 1
            yield (interval_id, agent, "shift", adapt(begin), adapt(end) if end <= now else None)
            pause_start = begin
            for _ in range(rng.choice((0, 1, 2, 2, 3))):
                pause_start += timedelta(minutes=rng.uniform(30, 140))
                pause_end = pause_start + timedelta(minutes=rng.uniform(5, 40))
                if pause_start >= now or pause_end >= end:
                    break
                interval_id += 1
                yield (interval_id, agent, "paused", adapt(pause_start), adapt(pause_end) if pause_end <= now else None)
                pause_start = pause_end


if __name__ == "__main__":
    sys.exit(main())
