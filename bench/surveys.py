"""`python -m bench.surveys`: the survey dashboards' queries over 1,000,000 answers, and the throttle check.

    python -m bench.surveys [--db sqlite|postgres|both] [--answers 1000000] [--runs 9] [--rebuild]

Prints figures and asserts nothing (see bench/README.md, "Surveys"): p50 and p95 of each
`surveys.scores` query the dashboard runs (summaries over 90 days and a year, the trend by week
over a year, a breakdown by each dimension, themes, the drill-down's pages, the public score),
the whole dashboard page, and what a send pays for the throttle (`surveys.services.throttled_by`
from the contact's locked row, and its parts) on contacts with a year of surveys behind them.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import accumulate
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
POSTGRES_DATABASE = "bench_surveys"
VERSION = 5  # bump when the generated data changes shape (or the indexes): cached data sets are then rebuilt
TARGET_MS = 1000.0  # every dashboard query over 1,000,000 answers (the issue)
TARGET_THROTTLE_MS = 1.0  # the throttle check per send (the issue)
THROTTLE_CALLS = 2000

AGENTS, TEAMS, ORGANISATIONS, CONTACTS = 50, 8, 2_000, 200_000
REGIONS = [
    "Andalucía", "Cataluña", "Madrid", "Valencia", "Canarias", "Baleares",
    "Vilnius", "Kaunas", "Klaipėda", "London", "Lisbon", "Berlin",
]  # fmt: skip
PRODUCTS = [f"Product {n}" for n in range(1, 21)]
CHANNELS = [("email", 30), ("airbnb", 14), ("booking_com", 12), ("whatsapp", 12), ("chat", 12), ("phone", 8),
            ("sms", 4), ("web", 6), ("api", 2)]  # fmt: skip
STAGES = [("pre_booking", 20), ("post_booking", 20), ("pre_check_in", 15), ("in_stay", 15), ("post_stay", 10), ("", 20)]
LANGUAGES = [("en", 60), ("es", 25), ("lt", 15)]
# (survey, share of invitations, trigger, questions: (kind, topic, chance of an answer once answered))
SURVEYS = [
    ("After a ticket", 55, "ticket_solved",
     [("csat", "", 1.0), ("yes_no", "solved", 0.9), ("ces", "", 0.45), ("comment", "", 0.4)]),
    ("After a chat", 20, "chat_ended", [("csat", "", 1.0), ("yes_no", "solved", 0.9), ("comment", "", 0.4)]),
    ("After a call", 10, "call_logged", [("csat", "", 1.0), ("ces", "", 0.5), ("comment", "", 0.4)]),
    ("Quarterly relationship", 15, "",
     [("nps", "", 1.0), ("csat", "representative", 1.0), ("csat", "response_time", 1.0), ("comment", "", 0.5)]),
]  # fmt: skip
RESPONSE_RATE = 0.25
THROTTLED = 0.04  # of invitations: recorded as throttled, never sent
# Scores drawn with these weights (index = score − lowest).
SCORE_WEIGHTS = {
    "csat": (1, [5, 5, 8, 30, 52]),
    "ces": (1, [3, 4, 6, 10, 17, 30, 30]),
    "nps": (0, [2, 1, 2, 2, 3, 5, 6, 12, 20, 25, 22]),
    "yes_no": (0, [18, 82]),
}
# Comments by language and mood; each is analysed once by surveys.text when the data set is built.
COMMENTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "negative": [
            "The check-in was slow and nobody answered the phone.",
            "Nobody told us the door code, we waited outside for an hour.",
            "The wifi did not work for the whole stay.",
            "The room was dirty and the towels were not changed.",
            "Too expensive for what we got, the refund never came.",
            "I had to write three times before anyone replied.",
        ],
        "neutral": [
            "The apartment was fine, the check-in instructions could be clearer.",
            "Answer came the next day.",
            "OK overall, parking was hard to find.",
        ],
        "positive": [
            "Very friendly staff, they solved my problem quickly.",
            "Fast answer and clear information, thank you!",
            "Great service, the host was very helpful.",
        ],
        "idea": [
            "It would be great if you could send the door code by SMS.",
            "You should add a self check-in option with a key box.",
            "Please add late checkout as an option when booking.",
        ],
    },
    "es": {
        "negative": [
            "El check-in fue muy lento y nadie contestaba al teléfono.",
            "Nadie nos dio el código de la puerta, esperamos una hora en la calle.",
            "El wifi no funcionó durante toda la estancia.",
            "La habitación estaba sucia y no cambiaron las toallas.",
            "Demasiado caro para lo que ofrecen, el reembolso nunca llegó.",
            "Falta de información sobre la llegada, tuve que escribir tres veces.",
        ],
        "neutral": [
            "El apartamento estaba bien, las instrucciones podrían ser más claras.",
            "La respuesta llegó al día siguiente.",
        ],
        "positive": [
            "Personal muy amable, resolvieron mi problema rápidamente.",
            "Respuesta rápida e información clara, ¡gracias!",
            "Excelente servicio, el anfitrión fue muy atento.",
        ],
        "idea": [
            "Sería genial que enviaran el código de la puerta por SMS.",
            "Deberían añadir la opción de salida tardía al reservar.",
        ],
    },
    "lt": {
        "negative": [
            "Įsiregistravimas buvo labai lėtas, niekas neatsiliepė telefonu.",
            "Niekas nepasakė durų kodo, laukėme lauke valandą.",
            "Belaidis internetas neveikė visą viešnagę.",
            "Kambarys buvo nešvarus, rankšluosčiai nepakeisti.",
        ],
        "neutral": ["Butas buvo normalus, instrukcijos galėtų būti aiškesnės.", "Atsakymas atėjo kitą dieną."],
        "positive": [
            "Labai malonus personalas, greitai išsprendė mano problemą.",
            "Greitas atsakymas ir aiški informacija, ačiū!",
        ],
        "idea": [
            "Būtų puiku, jei durų kodą atsiųstumėte SMS žinute.",
            "Siūlau pridėti vėlyvo išsiregistravimo galimybę.",
        ],
    },
}


# --- parent: one child process per database ------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.surveys", description=__doc__.split("\n")[0])
    add_database_option(parser)
    parser.add_argument("--answers", type=int, default=1_000_000, help="answers in the data set (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each query after one unmeasured (default 9)")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again even if it is cached")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    runs = []
    for name in chosen_databases(args.db):
        print(f"\n== survey dashboards: {name}, {args.answers:,} answers ==", flush=True)
        runs.append(run_database(name, args))
    for run in runs:
        print_report(run)
    save_results("surveys", {"args": vars(args), "runs": runs})
    return 0


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    from bench.__main__ import _postgres_database

    data_dir = DATA / f"surveys-{db}"
    env = child_env(FRONTDESK_DATA=str(data_dir))
    fresh = args.rebuild or not _cached(data_dir, args.answers)
    if db == "postgres":
        # One database whatever the size: the marker in the data folder says which size it holds.
        env["DATABASE_URL"] = postgres_url(POSTGRES_DATABASE)
        fresh = _postgres_database(POSTGRES_DATABASE, fresh=fresh) or fresh
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    command = [sys.executable, "-m", "bench.surveys", "--child", "--answers", str(args.answers)]
    command += ["--runs", str(args.runs)]
    measured = run_child(command, env, "survey measurement")
    measured.update(db=db, load_average={"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()})
    return measured


def _cached(data_dir: Path, answers: int) -> bool:
    return cached(data_dir / "surveys-dataset.json", version=VERSION, answers=answers)


def print_report(run: dict[str, Any]) -> None:
    data = run["dataset"]
    load = run["load_average"]
    print(
        f"\nSurvey dashboards on {run['db']}: {data['answers']:,} answers ({data['scored']:,} CSAT/NPS/CES, "
        f"{data['comments']:,} comments), {data['invitations']:,} invitations ({data['sent']:,} sent, "
        f"{data['answered']:,} answered) over {data['days']} days; {data['contacts']:,} contacts, "
        f"{data['organisations']:,} organisations; database {data['database_mb']:,} MB, built in "
        f"{data['build_seconds']:.0f} s; load average before {load['before'][0]:.1f}, after {load['after'][0]:.1f} "
        f"on {load['cpus']} CPUs"
    )
    print(f"  {'query':58} {'p50 ms':>9} {'p95 ms':>9} {'cpu ms':>9}  rows  index only")
    for figure in run["figures"]:
        if "not_measured" in figure:
            print(f"  {figure['label']:58} not measured: {figure['not_measured'][:150]}")
            continue
        target = figure["target_ms"]
        verdict = (
            "  (many queries: no target)"
            if target is None
            else ""
            if figure["p95_ms"] < target
            else (f"  MISSED (target < {target:.0f} ms)")
        )
        covered = {True: "yes", False: "no", None: ""}[figure.get("covered")]
        print(
            f"  {figure['label']:58} {figure['p50_ms']:9.1f} {figure['p95_ms']:9.1f} {figure['cpu_p50_ms']:9.1f} "
            f"{figure['rows']:>5}  "
            f"{covered}{verdict}"
        )
    throttle = run["throttle"]
    verdict = "ok" if throttle["p95_ms"] < TARGET_THROTTLE_MS else "MISSED"
    print(
        f"  throttle, per send at the present to contacts with {throttle['history']:.1f} sends each on average "
        f"({throttle['calls']:,} sends, {100 * throttle['sent_share']:.0f} % of them going out):\n"
        f"    the check (throttled_by, from the locked row; {throttle['check_queries']} queries in all): "
        f"p50 {1000 * throttle['check_p50_ms']:.1f} µs, p95 {1000 * throttle['check_p95_ms']:.1f} µs "
        f"(target < {TARGET_THROTTLE_MS:.0f} ms: {verdict})\n"
        f"    with the update of the row's last send when it goes out: "
        f"p50 {throttle['paid_p50_ms']:.3f} ms, p95 {throttle['paid_p95_ms']:.3f} ms "
        f"(the update alone: p50 {throttle['record_p50_ms']:.3f} ms, p95 {throttle['record_p95_ms']:.3f} ms)\n"
        f"    the lock of the row (a send's lock, on the contact's row before): "
        f"p50 {throttle['lock_p50_ms']:.3f} ms, p95 {throttle['lock_p95_ms']:.3f} ms\n"
        f"    the query the check asked before (surveyed_within, the call): p50 {throttle['old_p50_ms']:.3f} ms, "
        f"p95 {throttle['old_p95_ms']:.3f} ms; its statement alone: p50 {throttle['old_sql_p50_ms']:.3f} ms, "
        f"p95 {throttle['old_sql_p95_ms']:.3f} ms\n"
        f"    the check for an event handled late (an instant of the past year; "
        f"{throttle['late_queries']:.2f} queries each): p50 {throttle['late_p50_ms']:.3f} ms, "
        f"p95 {throttle['late_p95_ms']:.3f} ms"
    )
    missed = [
        figure["label"]
        for figure in run["figures"]
        if figure.get("target_ms") is not None and figure["p95_ms"] >= figure["target_ms"]
    ]
    verdict = "yes" if not missed else "NO: " + ", ".join(missed)
    print(f"  every dashboard query under its target at p95: {verdict}")


# --- child: build the data set, time the queries ---------------------------------------------


def child(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import logging
    import warnings

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    logging.getLogger("frontdesk.request").setLevel(logging.WARNING)  # a line per page request otherwise
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files here

    call_command("migrate", interactive=False, verbosity=0)
    marker = Path(settings.DATA_DIR) / "surveys-dataset.json"
    if not _cached(Path(settings.DATA_DIR), args.answers):
        log(f"Building the data set: {args.answers:,} answers and their invitations over a year …")
        info = build(answers=args.answers, now=datetime.now(UTC).replace(microsecond=0))
        marker.write_text(json.dumps(info, indent=1))
        log(f"Built in {info['build_seconds']:.0f} s.")
        if connection.vendor == "sqlite":  # the build's gigabyte of WAL into the database file
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    info = json.loads(marker.read_text())
    log("ANALYZE …")
    analyze()
    now = datetime.fromisoformat(info["built_at"])
    result: dict[str, Any] = {"dataset": {**info, **_counts(now)}}
    result["figures"] = measure_queries(now, args.runs)
    result["throttle"] = measure_throttle(now, info)
    print(json.dumps(result, default=str))
    return 0


def _counts(now: datetime) -> dict[str, Any]:
    from frontdesk.surveys.models import Answer, Invitation

    return {
        "answers": Answer.objects.count(),
        "scored": Answer.objects.filter(kind__in=["csat", "nps", "ces"]).count(),
        "comments": Answer.objects.exclude(comment="").count(),
        "invitations": Invitation.objects.count(),
        "sent": Invitation.objects.filter(status__in=["sent", "answered"]).count(),
        "answered": Invitation.objects.filter(status="answered").count(),
        "database_mb": database_mb(),
    }


def _plans(call: Callable[[], object]) -> list[str]:
    """The plan of every SELECT `call` runs."""
    _result, statements = recorded(call)
    return [explain(sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]


def measure_queries(now: datetime, runs: int) -> list[dict[str, Any]]:
    from django.test import Client

    from frontdesk.accounts.models import Role, User
    from frontdesk.surveys import scores
    from frontdesk.surveys.models import Answer

    quarter, year = now - timedelta(days=90), now - timedelta(days=365)
    busiest_agent = (
        Answer.objects.filter(answered_at__gte=quarter, agent__isnull=False)
        .values_list("agent_id", flat=True)
        .order_by("agent_id")
        .first()
    )
    some_organisation = (
        Answer.objects.filter(answered_at__gte=quarter, organisation__isnull=False)
        .order_by("-answered_at")
        .values_list("organisation_id", flat=True)
        .first()
    )
    theme = (
        Answer.objects.exclude(themes=[])
        .exclude(comment="")
        .order_by("-answered_at")
        .values_list("themes", flat=True)
        .first()
        or [""]
    )[0]
    second_page = scores.answers(start=quarter, end=now).next_cursor
    queries: list[tuple[str, Callable[[], object], float | None]] = [
        ("summary, last 90 days", lambda: scores.summary(start=quarter, end=now), TARGET_MS),
        ("summary, last year", lambda: scores.summary(start=year, end=now), TARGET_MS),
        (
            "summary, 90 days, one agent",
            lambda: scores.summary(start=quarter, end=now, filters=scores.Filters(agent_id=busiest_agent)),
            TARGET_MS,
        ),
        (
            "summary, year, one organisation",
            lambda: scores.summary(start=year, end=now, filters=scores.Filters(organisation_id=some_organisation)),
            TARGET_MS,
        ),
        ("trend by week, last year", lambda: scores.trend(start=year, end=now, bucket="week"), TARGET_MS),
        ("trend by day, last 90 days", lambda: scores.trend(start=quarter, end=now, bucket="day"), TARGET_MS),
        ("trend by month, last year", lambda: scores.trend(start=year, end=now, bucket="month"), TARGET_MS),
    ]
    for dimension in scores.DIMENSIONS:
        queries.append(
            (
                f"breakdown by {dimension}, last 90 days",
                lambda dimension=dimension: scores.breakdown(start=quarter, end=now, dimension=dimension),  # type: ignore[misc]
                TARGET_MS,
            )
        )
    for dimension in scores.DIMENSIONS:
        queries.append(
            (
                f"breakdown by {dimension}, last year",
                lambda dimension=dimension: scores.breakdown(start=year, end=now, dimension=dimension),  # type: ignore[misc]
                TARGET_MS,
            )
        )
    # Filtered: each filter at its broadest value of the year (the most invitations: the most rows to
    # read), the breakdown by agent (by organisation, the most rows out, when the filter is the agent).
    broadest = {dimension: _broadest(dimension, year) for dimension in scores.DIMENSIONS}
    for dimension, (label, filters) in broadest.items():
        by = "organisation" if dimension == "agent" else "agent"
        queries.append(
            (
                f"breakdown by {by}, year, {dimension} = {label}",
                lambda by=by, filters=filters: scores.breakdown(start=year, end=now, dimension=by, filters=filters),  # type: ignore[misc]
                TARGET_MS,
            )
        )
    # Two filters: with the breakdown's, three dimensions, which the rollup does not hold (the rows).
    two = scores.Filters(**{**vars(broadest["survey"][1]), "channel": broadest["channel"][1].channel})
    no_organisation = replace(two, channel="", organisation_id=0)
    queries += [
        (
            f"breakdown by organisation, year, survey and channel = {broadest['survey'][0]}, {broadest['channel'][0]}",
            lambda: scores.breakdown(start=year, end=now, dimension="organisation", filters=two),
            TARGET_MS,
        ),
        (
            f"breakdown by agent, year, survey = {broadest['survey'][0]}, no organisation",
            lambda: scores.breakdown(start=year, end=now, dimension="agent", filters=no_organisation),
            TARGET_MS,
        ),
        (
            f"summary, year, survey = {broadest['survey'][0]}",
            lambda: scores.summary(start=year, end=now, filters=broadest["survey"][1]),
            TARGET_MS,
        ),
        (
            f"summary, year, survey and channel = {broadest['survey'][0]}, {broadest['channel'][0]}",
            lambda: scores.summary(start=year, end=now, filters=two),
            TARGET_MS,
        ),
        ("themes, last 90 days", lambda: scores.themes(start=quarter, end=now), TARGET_MS),
        ("themes, last year", lambda: scores.themes(start=year, end=now), TARGET_MS),
        (
            "themes over time by week, last 90 days",
            lambda: scores.themes_over_time(start=quarter, end=now, bucket="week"),
            TARGET_MS,
        ),
        ("phrases (es), last 90 days", lambda: scores.phrases(start=quarter, end=now, language="es"), TARGET_MS),
        ("drill-down, first page, last 90 days", lambda: scores.answers(start=quarter, end=now), TARGET_MS),
        ("drill-down, second page", lambda: scores.answers(start=quarter, end=now, cursor=second_page), TARGET_MS),
        (
            "drill-down, CSAT 1–2, last 90 days",
            lambda: scores.answers(start=quarter, end=now, kind="csat", score_max=2),
            TARGET_MS,
        ),
        (
            "drill-down, one organisation's answers, last year",
            lambda: scores.answers(start=year, end=now, filters=scores.Filters(organisation_id=some_organisation)),
            TARGET_MS,
        ),
        (
            f"drill-down, theme {theme}, last 90 days",
            lambda: scores.answers(start=quarter, end=now, theme=theme),
            TARGET_MS,
        ),
        ("drill-down, ideas, last 90 days", lambda: scores.answers(start=quarter, end=now, ideas=True), TARGET_MS),
        ("public CSAT (last 90 days)", lambda: scores.public_csat(now=now), TARGET_MS),
    ]
    admin = User.objects.filter(role=Role.ADMIN).first()
    assert admin is not None  # the builder made one
    client = Client()
    client.force_login(admin)
    local = now.date()
    for label, first in (("90 days", local - timedelta(days=89)), ("year", local - timedelta(days=364))):
        address = f"/reports/surveys/?start={first.isoformat()}&end={local.isoformat()}"

        def page(address: str = address) -> object:
            response = client.get(address)
            if response.status_code != 200:
                raise RuntimeError(f"{address} answered {response.status_code}")
            return response

        queries.append((f"dashboard page (every section), last {label}", page, None))

    figures: list[dict[str, Any]] = []
    for label, call, target in queries:
        try:
            timings, cpu, result = timed(call, runs)
        except Exception as exc:  # a page that does not render (the project mid-change): said, not fatal
            figures.append({"label": label, "not_measured": f"{type(exc).__name__}: {exc}"})
            log(f"  {label}: not measured: {exc}")
            continue
        p50, p95 = percentiles(timings)
        page_like = label.startswith("dashboard page") or label.startswith("phrases")
        plans = [] if page_like else _plans(call)
        figures.append(
            {
                "label": label,
                "p50_ms": p50,
                "p95_ms": p95,
                "cpu_p50_ms": round(statistics.median(cpu), 2),
                "target_ms": target,
                "runs": runs,
                "rows": _rows(result),
                "covered": None if page_like or "drill-down" in label or "themes" in label else _index_only(plans),
                "plans": plans,
            }
        )
        log(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    return figures


def _broadest(dimension: str, since: datetime) -> tuple[str, Any]:
    """The dimension's value with the most invitations sent since then (from the rollup), and the
    filters that narrow to it."""
    from django.db.models import Sum

    from frontdesk.surveys import scores
    from frontdesk.surveys.models import MonthFigures

    value = (
        MonthFigures.objects.filter(dimension=dimension, other_dimension="", month__gte=since.date())
        .values("value")
        .annotate(sent=Sum("sent"))
        .order_by("-sent", "value")
        .values_list("value", flat=True)
        .first()
    ) or ""
    column = scores.COLUMNS[dimension]
    if column.endswith("_id"):
        chosen: Any = int(value) if value else 0
    else:
        chosen = value or scores.NOT_SET
    return (value or "none"), scores.Filters(**{column: chosen})


def _index_only(plans: list[str]) -> bool:
    """Whether every statement reads the answers and invitations from an index alone (the covering
    indexes), if at all."""
    for plan in plans:
        for line in plan.splitlines():
            if "surveys_answer" not in line and "surveys_invitation" not in line:  # the rollup's few rows aside
                continue
            if "Seq Scan" in line or "Bitmap Heap Scan" in line or ("Index Scan" in line and "Only" not in line):
                return False
            if line.strip().startswith(("SCAN", "SEARCH")) and "COVERING INDEX" not in line:
                return False
    return True


def _rows(result: object) -> int:
    from frontdesk.api.pagination import Page

    if isinstance(result, list):
        return len(result)
    if isinstance(result, Page):
        return len(result.items)
    return 1


def measure_throttle(now: datetime, info: dict[str, Any]) -> dict[str, Any]:
    """What a send pays for the throttle, for random contacts at `now` (after every send of the data
    set, as the sweep sends), each in a transaction rolled back afterwards: the lock of the contact's
    Recipient row (the lock a send takes anyway, as it took the contact's row before), the check
    (`throttled_by`: from the locked row, no query), and, when the send would go out, the update of
    the row's last send. Then what the check no longer does at `now`: the query every send asked
    before (`surveyed_within`), which the check still asks for an event handled late (an instant
    before the contact's last send)."""
    from django.db import connection, transaction

    from frontdesk.surveys.models import Invitation, Recipient
    from frontdesk.surveys.services import recipient_lock, surveyed_within, throttled_by

    rng = random.Random(11)
    contacts = info["contacts"]
    chosen = [rng.randint(1, contacts) for _ in range(THROTTLE_CALLS)]
    earlier = [now - timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(THROTTLE_CALLS)]
    statements: list[float] = []

    def timed_statement(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - started) * 1000)

    def send_like(contact: int, moment: datetime) -> dict[str, Any]:
        """Lock, check and (when it would go out) record, as invitation_send does; rolled back."""
        with transaction.atomic():
            started = time.perf_counter()
            recipient = recipient_lock(contact_id=contact)
            locked = time.perf_counter()
            before = len(statements)
            held_back = throttled_by(recipient, now=moment, days=30)
            checked = time.perf_counter()
            call = {"lock": (locked - started) * 1000, "check": (checked - locked) * 1000}
            call["queries"] = len(statements) - before
            if held_back is None and moment == now:
                Recipient.objects.filter(pk=recipient.pk).update(last_sent_at=moment)
                call["record"] = (time.perf_counter() - checked) * 1000
            transaction.set_rollback(True)
        return call

    for contact in chosen[:50]:  # unmeasured
        send_like(contact, now)
    with connection.execute_wrapper(timed_statement):
        calls = [send_like(contact, now) for contact in chosen]
        old, old_sql = [], []
        for contact in chosen:
            before = len(statements)
            started = time.perf_counter()
            surveyed_within(contact_id=contact, now=now, days=30)
            old.append((time.perf_counter() - started) * 1000)
            old_sql += statements[before:]
        late = [send_like(contact, moment) for contact, moment in zip(chosen, earlier, strict=True)]
    sent = Invitation.objects.filter(sent_at__isnull=False).count()
    figures: dict[str, Any] = {
        "calls": len(calls),
        "history": sent / contacts,
        "sent_share": sum("record" in call for call in calls) / len(calls),
        "check_queries": sum(call["queries"] for call in calls),
        "late_queries": sum(call["queries"] for call in late) / len(late),
    }
    timings = {
        "check": [call["check"] for call in calls],
        "lock": [call["lock"] for call in calls],
        "record": [call["record"] for call in calls if "record" in call],
        "paid": [call["check"] + call.get("record", 0.0) for call in calls],
        "old": old,
        "old_sql": old_sql,
        "late": [call["check"] for call in late],
    }
    for name, values in timings.items():
        figures[f"{name}_p50_ms"], figures[f"{name}_p95_ms"] = percentiles(values, digits=4)
    figures["p50_ms"], figures["p95_ms"] = figures["check_p50_ms"], figures["check_p95_ms"]
    return figures


# --- the data set ---------------------------------------------------------------------------


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def _plan(rng: random.Random, answers: int) -> int:
    """How many invitations make `answers` answers: drawn with the same stream `build` uses."""
    made = invitations = 0
    while made < answers:
        invitations += 1
        made += sum(_decide(rng)[2])
    return invitations


def _decide(rng: random.Random) -> tuple[int, str, list[int]]:
    """An invitation's survey, status and which of its questions are answered (1/0 each)."""
    survey = rng.choices(range(len(SURVEYS)), weights=[share for _name, share, _t, _q in SURVEYS])[0]
    draw = rng.random()
    status = "throttled" if draw < THROTTLED else "answered" if draw < THROTTLED + RESPONSE_RATE else "sent"
    questions = SURVEYS[survey][3]
    taken = [int(rng.random() < chance) if status == "answered" else 0 for _kind, _topic, chance in questions]
    if status == "answered" and not any(taken):
        taken[0] = 1
    return survey, status, taken


def build(*, answers: int, now: datetime, seed: int = 6) -> dict[str, Any]:
    """Agents, teams, organisations and contacts, four surveys, and a year of invitations with
    their answers (comments analysed by surveys.text), written straight to the tables — the rollup
    (`MonthFigures`) kept by its triggers as for any write — and each contact's throttle row.

    Invitations are written oldest first, as a live database gets them; contact n gets every
    CONTACTS-th invitation, so each contact's sends are weeks apart (more than the throttle's 30 days)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from bench import dataset
    from frontdesk.accounts.models import Organisation, Role, Team, User
    from frontdesk.surveys import text
    from frontdesk.surveys.models import Answer, Invitation, MonthFigures, Question, Recipient, Survey

    started = time.perf_counter()
    adapt = connection.ops.adapt_datetimefield_value
    invitations = _plan(random.Random(seed), answers)
    log(f"  {invitations:,} invitations make {answers:,} answers")
    plan_rng, rng = random.Random(seed), random.Random(seed + 1)
    pool = _comment_pool(text)
    with transaction.atomic():
        if connection.vendor == "sqlite":
            connection.cursor().execute("PRAGMA cache_size = -400000")
        password = make_password(dataset.PASSWORD)
        roles = [Role.ADMIN, Role.SUPERVISOR, Role.SUPERVISOR] + [Role.AGENT] * (AGENTS - 3)
        User.objects.bulk_create(
            [
                User(
                    id=n,
                    email=f"agent{n}@bench.frontdesk",
                    name=f"Agent {n}",
                    role=role,
                    password=password,
                    created_at=now,
                )
                for n, role in enumerate(roles, start=1)
            ]
        )
        Team.objects.bulk_create([Team(id=n, name=f"Team {n}", lead_id=n + 3) for n in range(1, TEAMS + 1)])
        team_of = {agent: 1 + agent % TEAMS for agent in range(4, AGENTS + 1)}
        Team.members.through.objects.bulk_create(
            [Team.members.through(team_id=team, user_id=agent) for agent, team in team_of.items()]
        )
        region_of = {n: REGIONS[rng.randrange(len(REGIONS))] for n in range(1, ORGANISATIONS + 1)}
        Organisation.objects.bulk_create(
            [
                Organisation(
                    id=n,
                    name=f"Hotel group {n}",
                    domain=f"group{n}.example",
                    region=region_of[n],
                    key_account=n % 10 == 0,
                    created_at=now,
                )
                for n in range(1, ORGANISATIONS + 1)
            ]
        )
        contacts = dataset._contacts(rng, CONTACTS * 4, now)
        surveys, questions = [], []
        for name, _share, trigger, asked in SURVEYS:
            kind = "relationship" if not trigger else "transactional"
            made_survey = Survey.objects.create(name=name, kind=kind, trigger=trigger, created_at=now, updated_at=now)
            surveys.append(made_survey.pk)
            questions.append(
                [
                    Question.objects.create(survey=made_survey, position=n, kind=k, topic=topic).pk
                    for n, (k, topic, _chance) in enumerate(asked)
                ]
            )
        agents = list(team_of)
        agent_weights = list(accumulate(1.0 / (n + 8) for n in range(len(agents))))
        organisation_weights = list(accumulate(1.0 / (n + 20) for n in range(ORGANISATIONS)))
        product_weights = list(accumulate(1.0 / (n + 3) for n in range(len(PRODUCTS))))
        invitation_columns = [
            "id", "survey_id", "contact_id", "ticket_id", "occasion", "language", "to_address", "status", "reason",
            "send_at", "sent_at", "reminders_sent", "next_reminder_at", "answered_at", "created_at", "agent_id",
            "team_id", "organisation_id", "channel", "region", "product", "booking_stage",
        ]  # fmt: skip
        answer_columns = [
            "id", "invitation_id", "question_id", "survey_id", "kind", "topic", "score", "comment", "answered_at",
            "contact_id", "agent_id", "team_id", "organisation_id", "channel", "region", "product", "booking_stage",
            "language", "sentiment", "sentiment_label", "themes", "is_idea",
        ]  # fmt: skip
        span = timedelta(days=365).total_seconds()
        answer_id = made = 0
        batch_invitations: list[tuple[Any, ...]] = []
        batch_answers: list[tuple[Any, ...]] = []
        for invitation_id in range(1, invitations + 1):
            survey, status, taken = _decide(plan_rng)
            _name, _share, trigger, asked = SURVEYS[survey]
            created = now - timedelta(seconds=span * (1 - invitation_id / (invitations + 1)) + 3600)
            contact = (invitation_id - 1) % contacts + 1
            language = _weighted(rng, LANGUAGES)
            agent: int | None
            team: int | None
            if trigger:
                agent = agents[_pick(rng, agent_weights)]
                team, channel = team_of[agent], _weighted(rng, CHANNELS)
                product, stage = PRODUCTS[_pick(rng, product_weights)], _weighted(rng, STAGES)
                organisation = _pick(rng, organisation_weights) + 1 if rng.random() < 0.6 else None
            else:
                agent = team = None
                channel = product = stage = ""
                organisation = _pick(rng, organisation_weights) + 1
            region = region_of[organisation] if organisation else ""
            sent = created if status != "throttled" else None
            answered = None
            if status == "answered":
                answered = min(created + timedelta(seconds=rng.expovariate(1 / 21600)), now - timedelta(seconds=1))
            batch_invitations.append(
                (
                    invitation_id, surveys[survey], contact, None, "", language,
                    f"guest{contact}@guests.example" if sent else "", status,
                    "Surveyed recently" if status == "throttled" else "", adapt(created), adapt(sent) if sent else None,
                    0, None, adapt(answered) if answered else None, adapt(created), agent, team, organisation, channel,
                    region, product, stage,
                )
            )  # fmt: skip
            mood = "neutral"
            for (kind, topic, _chance), question, asked_now in zip(asked, questions[survey], taken, strict=True):
                if not asked_now or made >= answers:
                    continue
                score, comment, analysis = None, "", None
                if kind == "comment":
                    comment, analysis = _comment(rng, pool, language, mood)
                else:
                    low, weights = SCORE_WEIGHTS[kind]
                    score = low + rng.choices(range(len(weights)), weights=weights)[0]
                    if kind in ("csat", "nps") and mood == "neutral":
                        mood = (
                            "negative"
                            if score <= (2 if kind == "csat" else 6)
                            else "positive"
                            if score >= (5 if kind == "csat" else 9)
                            else "neutral"
                        )
                answer_id += 1
                made += 1
                assert answered is not None  # only answered invitations take answers
                batch_answers.append(
                    (
                        answer_id, invitation_id, question, surveys[survey], kind, topic, score, comment,
                        adapt(answered), contact, agent, team, organisation, channel, region, product, stage,
                        analysis.language if analysis else "", analysis.sentiment if analysis else None,
                        analysis.sentiment_label if analysis else "",
                        json.dumps(list(analysis.themes)) if analysis else "[]", bool(analysis and analysis.is_idea),
                    )
                )  # fmt: skip
            if len(batch_invitations) >= dataset.BATCH:
                dataset._insert(Invitation, invitation_columns, batch_invitations)
                dataset._insert(Answer, answer_columns, batch_answers)
                batch_invitations, batch_answers = [], []
                if invitation_id % (dataset.BATCH * 40) == 0:
                    log(f"  {invitation_id:,} / {invitations:,} invitations, {made:,} answers")
        dataset._insert(Invitation, invitation_columns, batch_invitations)
        dataset._insert(Answer, answer_columns, batch_answers)
        dataset._reset_sequences()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Invitation, Answer, MonthFigures]):
                cursor.execute(statement)
        # The throttle's rows, as the sends would have left them (the rollup's rows the triggers made).
        last_sends = (
            Invitation.objects.filter(sent_at__isnull=False)
            .values("contact_id")
            .annotate(last=Max("sent_at"))
            .order_by()
        )
        Recipient.objects.bulk_create(
            (Recipient(contact_id=row["contact_id"], last_sent_at=row["last"]) for row in last_sends.iterator()),
            batch_size=5000,
        )
    if connection.vendor == "postgresql":
        # Each batch of the load updated the month's rollup rows again: a year of their old versions,
        # in minutes, which autovacuum reclaims over that year in a live database.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL surveys_monthfigures")
    return {
        "version": VERSION,
        "answers": answers,
        "invitations_made": invitations,
        "contacts": contacts,
        "agents": AGENTS,
        "teams": TEAMS,
        "organisations": ORGANISATIONS,
        "days": 365,
        "built_at": now.isoformat(),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    import bisect

    return bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def _comment_pool(text: Any) -> dict[str, dict[str, list[tuple[str, Any]]]]:
    """Every comment with its analysis, made once."""
    return {
        language: {
            mood: [(comment, text.analyse(comment, hint=language)) for comment in comments]
            for mood, comments in moods.items()
        }
        for language, moods in COMMENTS.items()
    }


def _comment(
    rng: random.Random, pool: dict[str, dict[str, list[tuple[str, Any]]]], language: str, mood: str
) -> tuple[str, Any]:
    """A comment in the customer's language that fits the score given (one in ten an idea)."""
    moods = pool[language]
    choice = "idea" if rng.random() < 0.1 else mood
    comment, analysis = rng.choice(moods[choice])
    return comment, analysis


if __name__ == "__main__":
    sys.exit(main())
