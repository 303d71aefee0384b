"""Routing figures: assignment decisions per second, and the fairness of a simulated day.

    python -m bench.routing [--db sqlite|postgres|both] [--agents 200] [--tickets 10000]
                            [--day-agents 20] [--day-hours 12] [--breakdown]

Every figure starts from a fresh, migrated database (SQLite in a temporary data folder;
PostgreSQL in the database `frontdesk_bench_routing`, dropped and created again) and runs
in a child process with production's environment (DATABASE_URL only for PostgreSQL, no
REDIS_URL). What each figure means is in the "Routing" section of bench/README.md.
Nothing here asserts a timing.
"""

import argparse
import heapq
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.__main__ import _git_state, _postgres_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "frontdesk_bench_routing"
TARGET_RATE = 500.0  # assignment decisions per second, SQLite, one process (the issue)
TARGET_SPREAD = 1  # max − min unanswered among eligible working agents at steady state (the issue)
ROOMY = 10_000  # the largest capacity a profile takes: nobody fills up
BINDING = 20  # the default capacity: 200 agents hold 4,000 of the 10,000 waiting tickets
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAY_START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
WARM_UP = timedelta(hours=1)  # the day's first hour is not steady state
SETTLE = timedelta(minutes=5)  # nor the minutes after an agent starts taking tickets (starts at 0 unanswered)

TEAMS = ["Reservations", "Guest relations", "Owners", "Spain", "Baltics"]
SKILLS = ["refunds", "damage", "parking", "accessibility"]
OTHER_TAGS = ["late-arrival", "vip-guest", "invoice"]
CHANNELS = ["email", "chat", "whatsapp", "airbnb", "booking_com", "phone"]
LANGUAGES = ["en", "es", "lt", "ru", "de"]


# --- parent --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "postgresql", "both"], default="sqlite")
    parser.add_argument("--agents", type=int, default=200, help="working agents in the decisions figure")
    parser.add_argument("--tickets", type=int, default=10_000, help="waiting tickets in the decisions figure")
    parser.add_argument("--day-agents", type=int, default=20, help="agents in the simulated day")
    parser.add_argument("--day-hours", type=float, default=12.0, help="length of the simulated day")
    parser.add_argument("--seed", type=int, default=20261102)
    parser.add_argument("--breakdown", action="store_true", help="also profile one decisions pass (cProfile, SQL)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--capacity", type=int, default=ROOMY, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return CHILDREN[args.child](args)

    databases = {"both": ["sqlite", "postgres"], "postgresql": ["postgres"]}.get(args.db, [args.db])
    runs = []
    for db in databases:
        print(f"\n== routing: {db} ==", flush=True)
        runs.append(run_database(db, args))
    for run in runs:
        print_report(run, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"routing-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    saved = {"args": {k: v for k, v in vars(args).items() if k not in ("child", "capacity", "profile")}, "runs": runs}
    path.write_text(json.dumps(saved, indent=1, default=str))
    print(f"\nSaved to {path.relative_to(ROOT)}")
    return 0


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    figures: dict[str, Any] = {}
    size = f"{args.agents} agents, {args.tickets:,} waiting tickets"
    for key, capacity, what in (
        ("decisions_roomy", ROOMY, "capacity high enough for all"),
        ("decisions_binding", BINDING, f"capacity {BINDING} binds"),
    ):
        with fresh_database(db) as env:
            print(f"  decisions: {size}, {what} …", flush=True)
            figures[key] = child(env, "decisions", args, "--capacity", str(capacity))
            _progress(figures[key])
    with fresh_database(db) as env:
        print(f"  simulated day: {args.day_agents} agents, {args.day_hours:g} hours …", flush=True)
        figures["day"] = child(env, "day", args)
        if "spread" in figures["day"]:
            print(f"    done in {figures['day']['seconds']} s: {figures['day']['totals']}", flush=True)
    if args.breakdown:
        with fresh_database(db) as env:
            print("  breakdown: the first decisions figure again, profiled …", flush=True)
            figures["breakdown"] = child(env, "decisions", args, "--capacity", str(ROOMY), "--profile")
    return {
        "db": db,
        "git": _git_state(),
        "load_average": {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()},
        "figures": figures,
    }


def _progress(figure: dict[str, Any]) -> None:
    if "rate" in figure:
        print(
            f"    {figure['decisions']:,} decisions in {figure['seconds']} s: {figure['rate']:,.0f}/s "
            f"({figure['queries_per_decision']} queries each)",
            flush=True,
        )


@contextmanager
def fresh_database(db: str) -> Iterator[dict[str, str]]:
    """An empty, migrated database; the environment that reaches it."""
    data = Path(tempfile.mkdtemp(prefix=f"frontdesk-bench-routing-{db}-"))
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["FRONTDESK_DATA"] = str(data)
    if db == "postgres":
        _postgres_database(DATABASE, fresh=True)
        env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
    subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    try:
        yield env
    finally:
        shutil.rmtree(data, ignore_errors=True)


def child(env: dict[str, str], mode: str, args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    """Runs `python -m bench.routing --child MODE`; its last line of output is a JSON object."""
    command = [sys.executable, "-m", "bench.routing", "--child", mode, "--seed", str(args.seed)]
    command += ["--agents", str(args.agents), "--tickets", str(args.tickets)]
    command += ["--day-agents", str(args.day_agents), "--day-hours", str(args.day_hours), *extra]
    result = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        return {"not_measured": f"bench/routing.py --child {mode} failed with exit status {result.returncode}"}
    lines = result.stdout.decode().strip().splitlines()
    figure: dict[str, Any] = json.loads(lines[-1]) if lines else {"not_measured": "the child printed nothing"}
    return figure


# --- report ----------------------------------------------------------------------------------


def print_report(run: dict[str, Any], args: argparse.Namespace) -> None:
    figures = run["figures"]
    load = run["load_average"]
    print(
        f"\nRouting on {run['db']}: fresh database per figure, one process; load average before "
        f"{load['before'][0]:.1f}, after {load['after'][0]:.1f} on {load['cpus']} CPUs; code {run['git']}"
    )
    rows = [("measure", "Frontdesk", "target")]
    for key, label in (
        ("decisions_roomy", f"assignment decisions, {args.agents} agents, {args.tickets:,} waiting, room for all"),
        ("decisions_binding", f"assignment decisions, the same, capacity {BINDING} binds"),
    ):
        figure = figures.get(key, {})
        if "rate" not in figure:
            rows.append((label, f"not measured: {figure.get('not_measured', '?')}", ""))
            continue
        shown = (
            f"{figure['rate']:,.0f} decisions/s ({figure['decisions']:,} in {figure['seconds']} s, "
            f"{figure['queries_per_decision']} queries each)"
        )
        target = ""
        if run["db"] == "sqlite":
            target = f"ok (≥{TARGET_RATE:.0f}/s)" if figure["rate"] >= TARGET_RATE else f"MISSED (<{TARGET_RATE:.0f}/s)"
        elif key == "decisions_roomy":
            target = f"(≥{TARGET_RATE:.0f}/s is for SQLite)"
        rows.append((label, shown, target))
    day = figures.get("day", {})
    label = f"simulated day, {args.day_agents} agents: max − min unanswered at steady state"
    if "spread" not in day:
        rows.append((label, f"not measured: {day.get('not_measured', '?')}", ""))
    elif not day["spread"]["steady"]["samples"]:
        rows.append((label, f"not measured: no steady state in a day of {args.day_hours:g} hours", ""))
    else:
        steady = day["spread"]["steady"]
        shown = (
            f"median {steady['median']}, p95 {steady['p95']}, max {steady['max']} "
            f"({steady['share_within_target']:.1%} of {steady['samples']} samples ≤ {TARGET_SPREAD})"
        )
        verdict = "ok" if steady["p95"] <= TARGET_SPREAD else "MISSED"
        rows.append((label, shown, f"{verdict} (≤{TARGET_SPREAD})"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))
    print("\nNotes:")
    for key in ("decisions_roomy", "decisions_binding"):
        figure = figures.get(key, {})
        if "rate" in figure:
            print(
                f"  {key}: still waiting {figure['still_waiting']:,}; agents at capacity {figure['agents_full']}; "
                f"unanswered per agent min {figure['per_agent']['min']}, max {figure['per_agent']['max']}; "
                f"decision log rows {figure['assignment_rows']:,}; statements {figure['statements']}"
            )
    if "spread" in day:
        every = day["spread"]["all"]
        print(
            f"  day: every minute's sample (after rebalancing): median {every['median']}, p95 {every['p95']}, "
            f"max {every['max']} over {every['samples']} samples; histogram at steady state "
            f"{day['spread']['steady']['histogram']}; {day['totals']}; simulated in {day['seconds']} s"
        )
        print(
            "  Steady state: after the day's first hour, and not within 5 minutes of an agent starting or "
            "resuming intake (they start at 0 unanswered); eligible = working with intake running."
        )
    breakdown = figures.get("breakdown", {})
    if "profile" in breakdown:
        print(
            f"\nBreakdown of one pass ({breakdown['decisions']:,} decisions in {breakdown['seconds']} s under "
            f"cProfile; SQL {breakdown['sql_seconds']} s of it). Statements (count, seconds):"
        )
        for statement, count, seconds in breakdown["statement_times"]:
            print(f"  {count:>7,}  {seconds:7.3f} s  {statement}")
        print("Functions by own time (calls, own s, cumulative s):")
        for row in breakdown["profile"]:
            print(f"  {row[1]:>9,}  {row[2]:7.3f}  {row[3]:7.3f}  {row[0]}")


# --- child processes (Django) ------------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()


def _statement(sql: str) -> str:
    words = sql.split()
    if not words:
        return "?"
    verb = words[0].upper()
    after = ("FROM", "INTO", "UPDATE")
    table = next((words[i].strip('"') for i in range(1, len(words)) if words[i - 1].upper() in after), "")
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    return f"{verb} {table}" if table else " ".join(words[:2])[:60]


class _Statements:
    """Counts (and times) every statement by verb and table, through Django's execute_wrapper."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = _statement(sql)
            self.counts[key] += 1
            self.seconds[key] += time.perf_counter() - started


def child_decisions(args: argparse.Namespace) -> int:
    """One pass of `routing_assign_waiting` over the waiting tickets, timed; what it left behind."""
    _django()
    import cProfile
    import pstats

    from django.db import connection
    from django.db.models import Count

    from frontdesk.routing.models import Assignment
    from frontdesk.routing.services import routing_assign_waiting
    from frontdesk.tickets.models import UNSOLVED, Ticket

    rng = random.Random(args.seed)
    agents = build_agents(rng, args.agents, capacity=args.capacity, working=True)
    build_waiting_tickets(rng, args.tickets)
    from bench.measure import analyze

    analyze()

    statements = _Statements()
    profiler = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(statements):
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        decisions = routing_assign_waiting(now=NOW)
        seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()

    held = dict(
        Ticket.objects.filter(assignee__isnull=False, status__in=UNSOLVED, awaiting_agent=True)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    counts = [held.get(agent, 0) for agent in agents]
    result: dict[str, Any] = {
        "rate": round(decisions / seconds, 1) if seconds else 0.0,
        "decisions": decisions,
        "seconds": round(seconds, 2),
        "capacity": args.capacity,
        "assigned_tickets": sum(counts),
        "assignment_rows": Assignment.objects.count(),
        "still_waiting": Ticket.objects.filter(assignee__isnull=True).count(),
        "agents_full": sum(1 for count in counts if count >= args.capacity),
        "per_agent": {"min": min(counts), "max": max(counts), "median": statistics.median(counts)},
        "queries_per_decision": round(sum(statements.counts.values()) / max(decisions, 1), 2),
        "statements": dict(statements.counts.most_common()),
        "vendor": connection.vendor,
    }
    if profiler:
        stats = pstats.Stats(profiler)
        rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:25]  # type: ignore[attr-defined]
        result["profile"] = [
            [f"{Path(path).name}:{line}({name})", calls, round(own, 3), round(cumulative, 3)]
            for (path, line, name), (_primitive, calls, own, cumulative, _callers) in rows
        ]
        result["sql_seconds"] = round(sum(statements.seconds.values()), 2)
        result["statement_times"] = [
            [key, statements.counts[key], round(statements.seconds[key], 3)]
            for key, _ in statements.seconds.most_common()
        ]
    print(json.dumps(result))
    return 0


# --- data ----------------------------------------------------------------------------------------


def build_agents(rng: random.Random, count: int, *, capacity: int, working: bool, varied: bool = True) -> list[int]:
    """`count` agents with routing profiles; every tenth (or, unless `varied`, every one) takes anything.

    The others are members of one or two teams and narrow what they take by booking
    stage, booking channel, contact channel, language, priority, team and skills, each
    with some probability, so that a ticket has a few dozen candidates rather than 200."""
    from django.contrib.auth.hashers import make_password

    from frontdesk.accounts.models import Role, Team, User
    from frontdesk.routing.models import AgentState, RoutingProfile, Skill
    from frontdesk.tickets.models import BookingChannel, BookingStage, Priority

    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"agent{n}@bench-routing.example", name=f"Agent {n:03}", role=Role.AGENT, password=password)
            for n in range(count)
        ]
    )
    teams = Team.objects.bulk_create([Team(name=name) for name in TEAMS])
    skills = Skill.objects.bulk_create([Skill(name=name) for name in SKILLS])
    state = AgentState.WORKING if working else AgentState.OFF
    profiles, memberships, own_teams, own_skills = [], [], [], []
    for n, user in enumerate(users):
        generalist = not varied or n % 10 == 0
        member_of = teams if generalist else rng.sample(teams, rng.choice([1, 1, 2]))
        memberships += [Team.members.through(team=team, user=user) for team in member_of]
        profile = RoutingProfile(
            agent=user,
            capacity=capacity,
            state=state,
            state_since=NOW - timedelta(hours=1),
            idle_since=NOW - timedelta(seconds=rng.randrange(3600)),
        )
        if not generalist:
            profile.booking_stages = _some(rng, BookingStage.values, 0.5, 3)
            profile.booking_channels = _some(rng, BookingChannel.values, 0.4, 2)
            profile.channels = _some(rng, CHANNELS, 0.4, 3)
            profile.languages = _some(rng, LANGUAGES, 0.5, 2)
            profile.priorities = [Priority.HIGH, Priority.URGENT] if rng.random() < 0.05 else []
            if len(member_of) > 1 and rng.random() < 0.5:
                own_teams.append(RoutingProfile.teams.through(routingprofile_id=user.pk, team=member_of[0]))
        chosen_skills = skills if generalist else (rng.sample(skills, rng.choice([1, 2])) if rng.random() < 0.3 else [])
        own_skills += [RoutingProfile.skills.through(routingprofile_id=user.pk, skill=skill) for skill in chosen_skills]
        profiles.append(profile)
    RoutingProfile.objects.bulk_create(profiles)
    Team.members.through.objects.bulk_create(memberships)
    RoutingProfile.teams.through.objects.bulk_create(own_teams)
    RoutingProfile.skills.through.objects.bulk_create(own_skills)
    return [user.pk for user in users]


def _some(rng: random.Random, values: list[str], probability: float, most: int) -> list[str]:
    """With `probability`, one to `most` of the values; otherwise none (takes any)."""
    if rng.random() >= probability:
        return []
    return sorted(rng.sample(values, rng.randint(1, most)))


def build_waiting_tickets(rng: random.Random, count: int) -> None:
    """`count` unassigned tickets waiting for an agent, one second apart, with varied routing fields."""
    from frontdesk.accounts.models import Contact, Team
    from frontdesk.tickets.models import BookingChannel, BookingStage, Priority, Status, Tag, Ticket

    contacts = Contact.objects.bulk_create([Contact(name=f"Guest {n}") for n in range(min(count, 1000))])
    teams = list(Team.objects.all())
    tags = {tag.name: tag for tag in Tag.objects.bulk_create([Tag(name=name) for name in SKILLS + OTHER_TAGS])}
    priorities = [Priority.LOW] * 2 + [Priority.NORMAL] * 14 + [Priority.HIGH] * 3 + [Priority.URGENT]
    tickets = []
    for n in range(count):
        at = NOW - timedelta(seconds=count - n)
        tickets.append(
            Ticket(
                subject=f"Question {n}",
                requester=contacts[n % len(contacts)],
                channel=rng.choice(CHANNELS),
                status=Status.NEW,
                priority=rng.choice(priorities),
                team=rng.choice(teams) if rng.random() < 0.7 else None,
                language=rng.choice([*LANGUAGES, "es-ES", "en-GB"]),
                booking_stage=rng.choice([*BookingStage.values, ""]),
                booking_channel=rng.choice([*BookingChannel.values, ""]),
                awaiting_agent=True,
                awaiting_since=at,
                created_at=at,
                updated_at=at,
                last_activity_at=at,
                last_customer_message_at=at,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    through = Ticket.tags.through
    links = []
    for ticket in tickets:
        if rng.random() < 0.1:
            links.append(through(ticket=ticket, tag=tags[rng.choice(SKILLS)]))
        if rng.random() < 0.3:
            links.append(through(ticket=ticket, tag=tags[rng.choice(OTHER_TAGS)]))
    through.objects.bulk_create(links, batch_size=5000)


# --- the simulated day ---------------------------------------------------------------------------


def child_day(args: argparse.Namespace) -> int:
    """A day of shifts, pauses, arrivals and answers, driven through the services with simulated time."""
    _django()
    import time_machine

    started = time.perf_counter()
    day = Day(args)
    # The services take `now`; the after-commit event handlers (the assignment pass on each new
    # ticket and each answer) read the clock as entry points do, so the clock follows the simulation.
    with time_machine.travel(DAY_START, tick=False) as clock:
        day.run(clock)
    result = day.result()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return 0


class Day:
    """The simulation: a heap of timed events, each handled through the services.

    Agents (all take any ticket, capacity 20) work staggered 8-hour shifts (or 70% of a shorter
    day), pause intake once or twice for 10–30 minutes, and answer one ticket at a time, oldest
    first, each in an exponential time whose mean is theirs (2–8 minutes). A ticket is opened
    when its agent starts on it, and solved by the reply. Customers write in a Poisson stream
    whose rate follows the answering capacity on shift (90% of it, 115% for two midday hours).
    Every minute: `routing_rebalance`, then a sample of the unanswered tickets of each agent
    who is working with intake running."""

    def __init__(self, args: argparse.Namespace) -> None:
        from frontdesk.accounts.models import Contact, User

        self.rng = random.Random(args.seed)
        self.end = DAY_START + timedelta(hours=args.day_hours)
        ids = build_agents(self.rng, args.day_agents, capacity=BINDING, working=False, varied=False)
        self.agents = {user.pk: user for user in User.objects.filter(pk__in=ids)}
        self.requesters = Contact.objects.bulk_create([Contact(name=f"Guest {n}") for n in range(500)])
        self.mean_minutes = {pk: math.exp(self.rng.uniform(math.log(2), math.log(8))) for pk in ids}
        self.state = dict.fromkeys(ids, "off")
        self.current: dict[int, int] = {}  # agent → the ticket they are answering
        self.stopping: set[int] = set()
        self.joined: list[datetime] = []  # when an agent started or resumed taking tickets
        self.events: list[tuple[datetime, int, str, int]] = []
        self.seq = 0
        self.samples: list[tuple[datetime, int]] = []
        self.totals: Counter[str] = Counter()
        self._plan(ids)

    def _at(self, when: datetime, kind: str, subject: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, subject))

    def _plan(self, ids: list[int]) -> None:
        hours = (self.end - DAY_START).total_seconds() / 3600
        shift = timedelta(hours=min(8.0, hours * 0.7))
        latest_start = self.end - shift - DAY_START
        shifts = {}
        for n, pk in enumerate(ids):
            begin = DAY_START + latest_start * (n / max(len(ids) - 1, 1))
            shifts[pk] = (begin, begin + shift)
            self._at(begin, "start", pk)
            self._at(begin + shift, "stop", pk)
            for _ in range(self.rng.choice([1, 1, 2])):
                pause = begin + shift * self.rng.uniform(0.2, 0.8)
                self._at(pause, "pause", pk)
                self._at(pause + timedelta(minutes=self.rng.uniform(10, 30)), "resume", pk)
        minute = DAY_START + timedelta(minutes=1)
        while minute <= self.end:
            self._at(minute, "minute")
            minute += timedelta(minutes=1)
        # Arrivals: a Poisson stream whose rate (per minute) follows the answering capacity on shift.
        peak = (DAY_START + timedelta(hours=hours * 0.45), DAY_START + timedelta(hours=hours * 0.45 + 2))

        def rate(when: datetime) -> float:
            capacity = sum(1 / self.mean_minutes[pk] for pk, (b, e) in shifts.items() if b <= when < e)
            return capacity * (1.15 if peak[0] <= when < peak[1] else 0.9)

        highest = max(rate(DAY_START + timedelta(minutes=m)) for m in range(int(hours * 60))) or 1.0
        when = DAY_START
        while True:
            when += timedelta(minutes=self.rng.expovariate(highest))
            if when >= self.end:
                break
            if self.rng.random() < rate(when) / highest:  # thinning: a non-homogeneous Poisson stream
                self._at(when, "arrive")

    def run(self, clock: Any) -> None:
        while self.events:
            when, _seq, kind, pk = heapq.heappop(self.events)
            clock.move_to(when)
            getattr(self, f"on_{kind}")(when, pk)
            self._work(when)

    # Each handler calls one service, as the agent's button or the customer's message would.

    def on_arrive(self, when: datetime, _pk: int) -> None:
        from frontdesk.tickets.services import ticket_create

        ticket_create(
            subject=f"Question {self.totals['arrived']}",
            requester=self.rng.choice(self.requesters),
            channel=self.rng.choice(CHANNELS),
            body_text="Can we check in before three?",
            actor=None,
            now=when,
        )
        self.totals["arrived"] += 1

    def on_start(self, when: datetime, pk: int) -> None:
        from frontdesk.routing.services import shift_start

        shift_start(agent=self.agents[pk], actor=self.agents[pk], now=when)
        self.state[pk] = "working"
        self.joined.append(when)

    def on_pause(self, when: datetime, pk: int) -> None:
        from frontdesk.routing.services import intake_pause

        if self.state[pk] == "working" and pk not in self.stopping:
            intake_pause(agent=self.agents[pk], actor=self.agents[pk], now=when)
            self.state[pk] = "paused"

    def on_resume(self, when: datetime, pk: int) -> None:
        from frontdesk.routing.services import intake_resume

        if self.state[pk] == "paused" and pk not in self.stopping:
            intake_resume(agent=self.agents[pk], actor=self.agents[pk], now=when)
            self.state[pk] = "working"
            self.joined.append(when)

    def on_stop(self, when: datetime, pk: int) -> None:
        """End of shift: finish the ticket in hand first (intake paused meanwhile), then stop."""
        from frontdesk.routing.services import intake_pause, shift_stop

        if pk in self.current:
            if self.state[pk] == "working":
                intake_pause(agent=self.agents[pk], actor=self.agents[pk], now=when)
                self.state[pk] = "paused"
            self.stopping.add(pk)
            return
        shift_stop(agent=self.agents[pk], actor=self.agents[pk], now=when)
        self.state[pk] = "off"

    def on_finish(self, when: datetime, pk: int) -> None:
        from frontdesk.tickets.models import Status, Ticket
        from frontdesk.tickets.services import ticket_reply

        ticket = Ticket.objects.get(pk=self.current.pop(pk))
        ticket_reply(ticket=ticket, author=self.agents[pk], body_text="Yes, from noon.", status=Status.SOLVED, now=when)
        self.totals["answered"] += 1
        if pk in self.stopping:
            self.stopping.discard(pk)
            self.on_stop(when, pk)

    def on_minute(self, when: datetime, _pk: int) -> None:
        from django.db.models import Count

        from frontdesk.routing.models import AgentState, RoutingProfile
        from frontdesk.routing.services import routing_rebalance
        from frontdesk.tickets.models import UNSOLVED, Ticket

        self.totals["rebalanced"] += routing_rebalance(now=when)
        eligible = list(
            RoutingProfile.objects.filter(state=AgentState.WORKING, auto_assign=True).values_list("agent_id", flat=True)
        )
        if len(eligible) < 2:
            return
        held = dict(
            Ticket.objects.filter(assignee_id__in=eligible, status__in=UNSOLVED, awaiting_agent=True)
            .values("assignee_id")
            .annotate(n=Count("id"))
            .values_list("assignee_id", "n")
        )
        counts = [held.get(pk, 0) for pk in eligible]
        self.samples.append((when, max(counts) - min(counts)))

    def _work(self, when: datetime) -> None:
        """Agents with nothing in hand open their oldest unanswered ticket and start on it."""
        from frontdesk.tickets.models import UNSOLVED, Ticket
        from frontdesk.tickets.services import ticket_mark_opened

        free = [pk for pk, state in self.state.items() if state != "off" and pk not in self.current]
        if not free:
            return
        waiting = Ticket.objects.filter(assignee_id__in=free, status__in=UNSOLVED, awaiting_agent=True).order_by(
            "awaiting_since", "id"
        )
        for ticket in waiting.only("id", "assignee_id", "assignee_opened_at"):
            pk = ticket.assignee_id
            if pk is None or pk in self.current:
                continue
            ticket_mark_opened(ticket=ticket, user=self.agents[pk], now=when)
            self.current[pk] = ticket.pk
            handling = timedelta(minutes=self.rng.expovariate(1 / self.mean_minutes[pk]))
            self._at(when + handling, "finish", pk)

    def result(self) -> dict[str, Any]:
        from frontdesk.routing.models import Assignment
        from frontdesk.tickets.models import UNSOLVED, Ticket

        def settled(when: datetime) -> bool:
            return when >= DAY_START + WARM_UP and not any(j <= when < j + SETTLE for j in self.joined)

        steady = [spread for when, spread in self.samples if settled(when)]
        rules = Counter(Assignment.objects.values_list("rule", flat=True))
        totals = {
            **self.totals,
            "decisions": dict(rules),
            "unanswered_at_end": Ticket.objects.filter(status__in=UNSOLVED, awaiting_agent=True).count(),
        }
        return {
            "spread": {"all": _distribution([s for _, s in self.samples]), "steady": _distribution(steady)},
            "totals": totals,
            "mean_handle_minutes": {str(pk): round(m, 1) for pk, m in self.mean_minutes.items()},
        }


def _distribution(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"samples": 0, "median": None, "p95": None, "max": None, "share_within_target": 0.0, "histogram": {}}
    ordered = sorted(values)
    return {
        "samples": len(ordered),
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
        "share_within_target": sum(1 for v in ordered if v <= TARGET_SPREAD) / len(ordered),
        "histogram": dict(sorted(Counter(ordered).items())),
    }


CHILDREN: dict[str, Callable[[argparse.Namespace], int]] = {"decisions": child_decisions, "day": child_day}


if __name__ == "__main__":
    sys.exit(main())
