"""`make bench`: build (or reuse) a data set, start a real server, measure, print a table, save JSON.

    python -m bench [--tickets 100000] [--db sqlite|postgres|both] [--requests 200] [--rebuild]

What each figure means is in bench/README.md. Numbers that could not be
measured are printed as "not measured: <why>", never guessed.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import DATASET_VERSION, INCOMPLETE
from bench.measure import (
    Figure,
    HttpClient,
    NotMeasured,
    Response,
    Server,
    copy_log_tail,
    create_rate,
    latency,
    percentiles,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
REQUEST_TIMEOUT = 120.0  # seconds; a request slower than this is reported, and the server restarted
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# django-helpdesk 2.6.1 on a machine like this one (SQLite, 100k tickets, gunicorn with 2 workers), from the issue.
PEER = {
    "create_api_1": 18.0,
    "create_api_8": 45.0,
    "inbox_page": 290.0,
    "inbox_api": 49_000.0,
    "ticket_page": 120.0,
    "ticket_api": 49_000.0,
    "search_page": 1_100.0,
    "search_api": 1_100.0,
    "search_common_page": 1_100.0,
    "worker_peak_rss": 350.0,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="data set size (default 100,000)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per latency figure")
    parser.add_argument("--creates", type=int, default=200, help="tickets created per API creation figure")
    parser.add_argument("--service-creates", type=int, default=500, help="tickets created through the services")
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again even if it is cached")
    parser.add_argument("--explain", action="store_true", help="also print the query plans of inbox and search")
    args = parser.parse_args(argv)

    runs = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        print(f"\n== {db}, {args.tickets:,} tickets ==", flush=True)
        runs.append(run_database(db, args))
    for run in runs:
        print_report(run, explain=args.explain)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps({"args": vars(args), "runs": runs}, indent=1, default=str))
    print(f"\nSaved to {path.relative_to(ROOT)}")
    return 0


def run_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = DATA / f"{db}-{args.tickets}"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["FRONTDESK_DATA"] = str(data_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if db == "postgres":
        env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/frontdesk_bench_{args.tickets}"

    load_before = os.getloadavg()
    started = time.perf_counter()
    _reset(db, data_dir, fresh=args.rebuild or not _cached(data_dir), tickets=args.tickets)
    prepared = _prepare(env, args)
    if prepared is None:  # the cached data set was damaged: build it again
        _reset(db, data_dir, fresh=True, tickets=args.tickets)
        prepared = _prepare(env, args)
    assert prepared is not None
    print(f"Prepared in {time.perf_counter() - started:.0f} s; starting the server …", flush=True)
    figures = [
        Figure(
            "create_service",
            "ticket creation, service layer (1 thread)",
            "/s",
            value=prepared["service_create"]["rate"],
            samples=prepared["service_create"]["count"],
        )
    ]
    server = Server(env=env, log=data_dir / "server.log", workers=args.workers)
    memory: list[dict[str, Any]] = []
    try:
        server.start()
        figures += measure_reads(server, prepared, args)
        figures += measure_creates(server.url, prepared, args)
        memory = server.workers_memory()
    except RuntimeError as exc:
        print(f"The server failed: {exc}\n{copy_log_tail(server.log)}", file=sys.stderr)
        figures.append(Figure("server", "server", "", not_measured=str(exc)))
    finally:
        server.stop()
    figures.append(_memory_figure(memory))
    return {
        "db": db,
        "tickets": args.tickets,
        "workers": args.workers,
        "git": _git_state(),
        "load_average": {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()},
        "dataset": prepared["dataset"],
        "figures": [figure.as_dict() for figure in figures],
        "workers_memory": memory,
        "queries": prepared["queries"],
    }


def _git_state() -> str:
    """The commit measured, and whether the working tree had changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    changed = len([line for line in dirty.stdout.splitlines() if not line.endswith("bench/")])
    return commit.stdout.strip() + (f" + {changed} changed files" if changed else "")


def _cached(data_dir: Path) -> bool:
    marker = data_dir / "dataset.json"
    return marker.exists() and json.loads(marker.read_text()).get("version") == DATASET_VERSION


def _reset(db: str, data_dir: Path, *, fresh: bool, tickets: int) -> None:
    """Start from an empty database when `fresh` (or when the PostgreSQL database is missing)."""
    if db == "postgres":
        fresh = _postgres_database(f"frontdesk_bench_{tickets}", fresh=fresh)
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)


def _postgres_database(name: str, *, fresh: bool) -> bool:
    """Make sure the benchmark database exists; (re)create it when `fresh`. Returns whether it is new."""
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and not fresh:
            return False
        if exists:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return True


def _prepare(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any] | None:
    """Runs bench/prepare.py for one database; None when it found the cached data set damaged."""
    command = [sys.executable, "-m", "bench.prepare", "--tickets", str(args.tickets)]
    command += ["--service-creates", str(args.service_creates)]
    result = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=False)
    if result.returncode == INCOMPLETE:
        return None
    if result.returncode != 0:
        raise SystemExit(f"bench/prepare.py failed with exit status {result.returncode} (its output is above)")
    prepared: dict[str, Any] = json.loads(result.stdout.decode().strip().splitlines()[-1])
    return prepared


def measure_reads(server: Server, prepared: dict[str, Any], args: argparse.Namespace) -> list[Figure]:
    url = server.url
    team = prepared["agent"]["team"]
    ids = prepared["ticket_ids"]
    words = [word for word, _ in prepared["dataset"]["search_words"]]
    common = prepared["dataset"]["common_word"][0]
    cookie_name, cookie = prepared["session_cookie"]
    session = HttpClient(url, headers={"Cookie": f"{cookie_name}={cookie}"}, timeout=REQUEST_TIMEOUT)
    api = HttpClient(url, headers={"Authorization": f"Bearer {prepared['token']}"}, timeout=REQUEST_TIMEOUT)
    shares = ", ".join(f"{word} ({count:,})" for word, count in prepared["dataset"]["search_words"])
    cases = [
        ("healthz", "baseline: /healthz (SELECT 1)", api, lambda n: "/healthz", None),
        ("inbox_page", "inbox: /views/open/?team= (page of 25)", session, lambda n: f"/views/open/?team={team}", _rows),
        ("inbox_api", "inbox via API: ?view=open&team=&limit=25", api, lambda n: f"/api/v1/tickets?view=open&team={team}&limit=25", _items),  # noqa: E501
        ("ticket_page", "ticket page: /tickets/<id>/", session, lambda n: f"/tickets/{ids[n % len(ids)]}/", None),
        ("ticket_api", "ticket via API: /api/v1/tickets/<id>", api, lambda n: f"/api/v1/tickets/{ids[n % len(ids)]}", None),  # noqa: E501
        ("search_page", "search: /views/all/?q=<word>", session, lambda n: f"/views/all/?q={words[n % len(words)]}", _rows),  # noqa: E501
        ("search_api", "search via API: ?q=<word>&limit=25", api, lambda n: f"/api/v1/tickets?q={words[n % len(words)]}&limit=25", _items),  # noqa: E501
        ("search_common_page", f"search, common word “{common}”", session, lambda n: f"/views/all/?q={common}", _rows),
    ]  # fmt: skip
    figures = []
    with session, api:
        for key, label, client, paths, check in cases:
            figure = Figure(key, label, "ms")
            try:
                timings, figure.note = latency(client, paths, requests=args.requests, check=check)
                figure.p50, figure.p95 = percentiles(timings)
                figure.samples = len(timings)
            except TimeoutError:
                figure.not_measured = f"a request took longer than {REQUEST_TIMEOUT:.0f} s"
                server.stop()  # it would go on working on the abandoned request and slow the next figures
                server.start()
            except (NotMeasured, OSError, http.client.HTTPException) as exc:
                figure.not_measured = str(exc) or type(exc).__name__
            if key == "search_page":
                figure.note = f"words in the number of tickets shown: {shares}; " + figure.note
            if key == "search_common_page":
                figure.note = f"in {prepared['dataset']['common_word'][1]:,} tickets; " + figure.note
            print(f"  {label}: {_shown(figure)}", flush=True)
            figures.append(figure)
    return figures


def _rows(response: Response) -> str:
    return f"first response has {response.text.count('/tickets/')} links to tickets"


def _items(response: Response) -> str:
    items = response.json().get("items", [])
    return f"first response has {len(items)} items"


def measure_creates(url: str, prepared: dict[str, Any], args: argparse.Namespace) -> list[Figure]:
    team = prepared["agent"]["team"]
    emails = prepared["requester_emails"]
    rng = random.Random(5)
    subjects = ["Parking at the apartment", "Late check-in", "Wifi not working", "Refund for cancellation"]

    def payload(n: int) -> dict[str, Any]:
        return {
            "subject": f"{rng.choice(subjects)} ({n})",
            "requester_email": emails[n % len(emails)],
            "body_text": "We arrive late tonight; how do we get the keys? Booking ref BENCH" + str(n),
            "channel": "email",
            "team": team,
            "tags": ["bench"],
        }

    def client() -> HttpClient:
        return HttpClient(url, headers={"Authorization": f"Bearer {prepared['token']}"}, timeout=REQUEST_TIMEOUT)

    figures = []
    for clients in (1, 8):
        figure = Figure(f"create_api_{clients}", f"ticket creation, API, {clients} client(s)", "/s")
        try:
            figure.value = create_rate(client, payload, total=args.creates, clients=clients)
            figure.samples = args.creates // clients * clients
        except (NotMeasured, OSError, http.client.HTTPException) as exc:
            figure.not_measured = str(exc) or type(exc).__name__
        print(f"  {figure.label}: {_shown(figure)}", flush=True)
        figures.append(figure)
    return figures


def _memory_figure(memory: list[dict[str, Any]]) -> Figure:
    figure = Figure("worker_peak_rss", "peak RSS per web worker (VmHWM)", "MB")
    if not memory:
        figure.not_measured = "no worker processes were found under the server process"
    else:
        figure.value = max(worker["peak_mb"] for worker in memory)
        figure.note = "workers: " + ", ".join(f"{w['peak_mb']:.0f} MB" for w in memory)
    return figure


# --- report ------------------------------------------------------------------------------


def _shown(figure: Figure) -> str:
    if figure.not_measured:
        return f"not measured: {figure.not_measured}"
    if figure.unit == "ms":
        return f"p50 {_ms(figure.p50)}  p95 {_ms(figure.p95)}"
    if figure.unit == "/s":
        return f"{figure.value:,.0f} tickets/s"
    return f"{figure.value:,.0f} {figure.unit}"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:,.1f} ms"


def _peer(key: str, unit: str) -> tuple[str, float | None]:
    peer = PEER.get(key)
    if peer is None:
        return "—", None
    if unit == "ms":
        return f"p50 {_ms(peer)}", peer
    if unit == "/s":
        return f"{peer:,.0f} tickets/s", peer
    return f"{peer:,.0f} {unit}", peer


def _ratio(figure: dict[str, Any], peer: float | None) -> tuple[str, str]:
    """How many times better than the peer, and whether that meets the issue's target."""
    if peer is None or "not_measured" in figure:
        return "", ""
    if figure["unit"] == "/s":
        ratio = figure["value"] / peer
    else:
        ours = figure["p50"] if figure["unit"] == "ms" else figure["value"]
        ratio = peer / max(ours, 0.001)
    if figure["key"] == "worker_peak_rss":
        return f"{ratio:.1f}×", "ok (<250 MB)" if figure["value"] < 250 else "over 250 MB"
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×", "ok (≥10×)" if ratio >= 10 else "MISSED (<10×)"


def print_report(run: dict[str, Any], *, explain: bool) -> None:
    dataset = run["dataset"]
    print(
        f"\nFrontdesk on {run['db']}: {dataset['tickets_now']:,} tickets, {dataset['messages_now']:,} messages, "
        f"database {dataset['database_mb']:,} MB, {run['workers']} web workers "
        f"(data set built in {dataset['build_seconds']:.0f} s); load average before "
        f"{run['load_average']['before'][0]:.1f}, after {run['load_average']['after'][0]:.1f} "
        f"on {run['load_average']['cpus']} CPUs; code {run['git']}"
    )
    rows = [("measure", "Frontdesk", "django-helpdesk 2.6.1", "ratio", "target")]
    for figure in run["figures"]:
        text, peer = _peer(figure["key"], figure["unit"])
        ratio, verdict = _ratio(figure, peer)
        rows.append((figure["label"], _shown(Figure(**figure)), text, ratio, verdict))
    widths = [max(len(row[i]) for row in rows if len(row[1]) < 60 or i != 1) for i in range(5)]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))
    notes = [f"  {figure['label']}: {figure['note']}" for figure in run["figures"] if figure.get("note")]
    print("\nNotes:\n" + "\n".join(notes))
    queries = run["queries"]
    print(
        "In-process times through the selectors (median of 15, no HTTP): "
        f"inbox page {queries['inbox']['ms']} ms, search {queries['search']['ms']} ms, "
        f"common-word search {queries['search_common']['ms']} ms, the six view counts "
        f"{queries['view_counts']['ms']} ms"
    )
    if explain:
        for name in ("inbox", "search", "search_common", "view_counts"):
            print(f"\n{name}: {len(queries[name]['queries'])} queries")
            for query in queries[name]["queries"]:
                print(f"  {query['ms']:8.2f} ms  {query['sql'][:300]}")
            print("  plan of the slowest:\n    " + queries[name]["slowest_plan"].replace("\n", "\n    "))


if __name__ == "__main__":
    sys.exit(main())
