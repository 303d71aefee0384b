"""The Django side of the benchmark, run as a child process for one database.

`python -m bench.prepare --tickets N` with FRONTDESK_DATA (and DATABASE_URL for
PostgreSQL) set by bench/__main__.py: migrates, builds the data set when the
database is empty, removes the tickets earlier runs created, measures ticket
creation through the service layer, signs the benchmark agent in, and prints
one JSON object on stdout for the parent. Progress goes to stderr.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import database_mb


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--service-creates", type=int, default=500)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench import INCOMPLETE, dataset

    call_command("migrate", interactive=False, verbosity=0)
    marker = Path(settings.DATA_DIR) / "dataset.json"
    if not marker.exists():
        log(f"Building the data set: {args.tickets:,} tickets with 3 messages each ({_vendor()}) …")
        from django.utils import timezone

        built = dataset.build(tickets=args.tickets, now=timezone.now())
        info = {
            "version": built.version,
            "tickets": built.tickets,
            "build_seconds": round(built.seconds, 1),
            "search_words": built.search_words,
            "common_word": built.common_word,
            "references": built.references,
        }
        _analyse()
        marker.write_text(json.dumps(info, indent=1))
        log(f"Built in {built.seconds:.0f} s.")
    info = json.loads(marker.read_text())
    if not _complete(info["tickets"]):
        log("The cached data set has lost tickets (something else wrote to it); it will be rebuilt.")
        return INCOMPLETE
    _remove_earlier_runs(info["tickets"])
    result: dict[str, Any] = {"dataset": {**info, **_sizes()}}
    result["service_create"] = _measure_service_create(args.service_creates)
    _remove_earlier_runs(info["tickets"])
    _vacuum()
    result.update(_sign_in())
    result["queries"] = _query_plans(info)
    print(json.dumps(result))
    return 0


def _complete(tickets: int) -> bool:
    from frontdesk.tickets.models import Ticket

    return Ticket.objects.filter(pk__lte=tickets).count() == tickets


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def _analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _vacuum() -> None:
    """PostgreSQL: the steady state autovacuum keeps a live database in (visibility map set, so index-only
    scans work; statistics current; no dead rows from earlier runs). A no-op on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _sizes() -> dict[str, Any]:
    from frontdesk.tickets.models import Message, Ticket

    return {
        "database_mb": database_mb(),
        "tickets_now": Ticket.objects.count(),
        "messages_now": Message.objects.count(),
    }


def _remove_earlier_runs(tickets: int) -> None:
    """Tickets created by earlier benchmark runs (ids above the data set's) go, so every run sees the same data."""
    from django.contrib.sessions.models import Session

    from frontdesk.accounts.models import ApiToken
    from frontdesk.tickets.models import Ticket

    Ticket.objects.filter(pk__gt=tickets).delete()
    ApiToken.objects.all().delete()
    Session.objects.all().delete()


def _bench_agent() -> Any:
    from bench.dataset import BENCH_AGENT_EMAIL
    from frontdesk.accounts.models import User

    return User.objects.get(email=BENCH_AGENT_EMAIL)


def _measure_service_create(count: int) -> dict[str, Any]:
    """ticket_create in a loop, one transaction each, as a channel adapter would call it."""
    from django.utils import timezone

    from frontdesk.accounts.models import Contact
    from frontdesk.tickets.services import ticket_create

    agent = _bench_agent()
    team = agent.teams.get()
    rng = random.Random(7)
    contacts = list(Contact.objects.order_by("?")[:200])
    started = time.perf_counter()
    for n in range(count):
        ticket_create(
            subject=f"Benchmark ticket {n}: wifi down in apartment {rng.randint(1, 400)}",
            requester=rng.choice(contacts),
            channel="email",
            body_text="The wifi keeps disconnecting and the router lights are orange. " * 3,
            team=team,
            tags=["wifi"],
            actor=agent,
            now=timezone.now(),
        )
    seconds = time.perf_counter() - started
    return {"count": count, "seconds": round(seconds, 3), "rate": round(count / seconds, 1)}


def _sign_in() -> dict[str, Any]:
    """A workspace session and an API token for the benchmark agent, plus what to ask for."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from frontdesk.accounts.models import Contact
    from frontdesk.accounts.services import api_token_create
    from frontdesk.tickets.selectors import visible_tickets

    agent = _bench_agent()
    client = Client()
    client.force_login(agent)
    _, token = api_token_create(user=agent, name="bench", now=timezone.now())
    ids = list(visible_tickets(agent).values_list("pk", flat=True))
    rng = random.Random(11)
    emails = list(
        Contact.objects.filter(identities__kind="email").order_by("?").values_list("identities__value", flat=True)[:200]
    )
    return {
        "agent": {"email": agent.email, "id": agent.pk, "team": agent.teams.get().pk},
        "session_cookie": [settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value],
        "token": token,
        "visible_tickets": len(ids),
        "ticket_ids": rng.sample(ids, min(1000, len(ids))),
        "requester_emails": emails,
    }


def _query_plans(info: dict[str, Any]) -> dict[str, Any]:
    """The inbox and search pages as the selectors read them: in-process time (median of 15), every
    query one page runs, and the plan of the slowest with its real parameters."""
    from frontdesk.tickets.selectors import TicketFilters, ticket_page, view_counts

    agent = _bench_agent()
    team = agent.teams.get().pk
    cases = {
        "inbox": TicketFilters(view="open", team=team),
        "search": TicketFilters(view="all", q=info["search_words"][2][0]),
        "search_common": TicketFilters(view="all", q=info["common_word"][0]),
    }
    plans: dict[str, Any] = {}
    for name, filters in cases.items():
        plans[name] = _traced(lambda filters=filters: ticket_page(user=agent, filters=filters))
    plans["view_counts"] = _traced(lambda: view_counts(user=agent))
    return plans


def _traced(read: Any) -> dict[str, Any]:
    from django.db import connection

    calls: list[tuple[str, Any, float]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            calls.append((sql, params, (time.perf_counter() - started) * 1000))

    timings = []
    for _ in range(15):
        started = time.perf_counter()
        read()
        timings.append((time.perf_counter() - started) * 1000)
    with connection.execute_wrapper(wrapper):
        read()
    sql, params, _ = max(calls, key=lambda call: call[2])
    # PostgreSQL runs the query and shows actual times; SQLite's EXPLAIN QUERY PLAN has no such option.
    prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        plan = "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())
    return {
        "ms": round(statistics.median(timings), 2),
        "queries": [{"sql": sql, "ms": round(ms, 2)} for sql, _, ms in calls],
        "slowest_plan": plan,
    }


if __name__ == "__main__":
    sys.exit(main())
