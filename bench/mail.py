"""E-mail ingest figures: messages per second through the pipeline and the MTA pipe, and memory.

    python -m bench.mail [--db sqlite|postgres|both] [--messages 1000] [--pipe-messages 50]
                         [--auto-ack on|off] [--breakdown]

Every figure starts from a fresh, migrated database (SQLite in a temporary data
folder; PostgreSQL in the database `frontdesk_bench_mail`, dropped and created
again) and runs in child processes with the environment production has
(DATABASE_URL only for PostgreSQL, no REDIS_URL: jobs go to the SQLite Huey file
and are not run during the measurement). What each figure means is in the
"E-mail ingest" section of bench/README.md. Nothing here asserts a timing.
"""

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CORPUS = Path(
    os.environ.get("FRONTDESK_MAIL_CORPUS")
    or next(
        (str(p) for p in (ROOT.parent / "shared" / "mail-corpus", Path("/work/shared/mail-corpus")) if p.is_dir()),
        str(ROOT.parent / "shared" / "mail-corpus"),
    )
)
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "frontdesk_bench_mail"
MAILBOX = "bench"
MAILBOX_ADDRESS = "support@bench-hotel.example"
UNREACHABLE_SMTP = "smtp://127.0.0.1:9"  # nothing listens; acknowledgements are queued, never delivered here
LIMIT = 64 * 1024 * 1024  # the mailbox's size limit and FRONTDESK_MAX_ATTACHMENT_BYTES in every run

# django-helpdesk 2.6.1 reading 1,000 such messages from a local directory, on a machine like this one (the issue).
PEER_RATE = 27.0
PEER_RATE_WAL = 60.0
TARGET_RATE = 300.0  # in-process pipeline on SQLite, 5× the peer's best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--messages", type=int, default=1000, help="generated messages (default 1,000)")
    parser.add_argument("--pipe-messages", type=int, default=50, help="messages per pipe-command figure")
    parser.add_argument("--pipe-concurrency", type=int, default=4, help="concurrent pipes in the second figure")
    parser.add_argument("--big-mb", type=float, default=30.0, help="size of the large message, MB (default 30)")
    parser.add_argument(
        "--auto-ack",
        choices=["on", "off"],
        default="on",
        help="acknowledge new tickets (queued for an unreachable SMTP server, never sent here; default on)",
    )
    parser.add_argument("--breakdown", action="store_true", help="also time each step of the pipeline (SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the generated messages and data folders")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help="processes in the parallel in-process figure")
    args = parser.parse_args(argv)
    if args.child:
        return CHILDREN[args.child](args)

    work = Path(tempfile.mkdtemp(prefix="frontdesk-bench-mail-"))
    try:
        started = time.perf_counter()
        generated = generate(work / "generated", count=args.messages, seed=20261124)
        big = generate_big(work / "big.eml", megabytes=args.big_mb, seed=7)
        tiny = generated.files[0]
        corpus = corpus_files()
        print(
            f"Generated {len(generated.files):,} messages ({generated.megabytes:.1f} MB) and a "
            f"{big.stat().st_size / 1e6:.1f} MB one in {time.perf_counter() - started:.1f} s; "
            f"corpus: {len(corpus)} files",
            flush=True,
        )
        runs = []
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            print(f"\n== {db} ==", flush=True)
            runs.append(run_database(db, args, work, generated, corpus, big, tiny))
    finally:
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for run in runs:
        print_report(run, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"mail-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    saved = {"args": {k: v for k, v in vars(args).items() if k not in ("child", "files")}, "runs": runs}
    path.write_text(json.dumps(saved, indent=1, default=str))
    print(f"\nSaved to {path.relative_to(ROOT)}")
    return 0


# --- one database ------------------------------------------------------------------------


def run_database(
    db: str,
    args: argparse.Namespace,
    work: Path,
    generated: "Generated",
    corpus: list[Path],
    big: Path,
    tiny: Path,
) -> dict[str, Any]:
    load_before = os.getloadavg()
    figures: dict[str, Any] = {}
    lists = work / "lists"
    lists.mkdir(exist_ok=True)

    with fresh_database(db, work, args) as env:
        print(f"  in-process pipeline, {len(generated.files):,} generated messages …", flush=True)
        figures["inprocess_generated"] = child(env, "ingest", _file_list(lists / "generated", generated.files))
        figures["inprocess_generated"]["expected"] = generated.expected
        _progress(figures["inprocess_generated"])
    with fresh_database(db, work, args) as env:
        print(f"  in-process pipeline, the same messages, {args.workers} processes at once …", flush=True)
        figures["inprocess_parallel"] = parallel(env, lists, generated.files, workers=args.workers)
        _progress(figures["inprocess_parallel"])
    if corpus:
        with fresh_database(db, work, args) as env:
            print(f"  in-process pipeline, the corpus ({len(corpus)} files) …", flush=True)
            figures["inprocess_corpus"] = child(env, "ingest", _file_list(lists / "corpus", corpus))
            _progress(figures["inprocess_corpus"])
    else:
        figures["inprocess_corpus"] = {"not_measured": f"no corpus at {CORPUS} (set FRONTDESK_MAIL_CORPUS)"}
    with fresh_database(db, work, args) as env:
        count = min(args.pipe_messages, len(generated.files) // 2)
        print(f"  pipe command: start-up floor, then {count} messages sequentially …", flush=True)
        figures["pipe_floor"] = pipe_floor(env)
        figures["pipe_sequential"] = pipe_rate(env, generated.files[:count], concurrency=1)
        _progress(figures["pipe_sequential"])
        print(f"  pipe command: {count} more messages, {args.pipe_concurrency} pipes at a time …", flush=True)
        figures["pipe_concurrent"] = pipe_rate(
            env, generated.files[count : 2 * count], concurrency=args.pipe_concurrency
        )
        _progress(figures["pipe_concurrent"])
    with fresh_database(db, work, args) as env:
        print(f"  peak RSS, one {big.stat().st_size / 1e6:.0f} MB message: in-process …", flush=True)
        figures["rss_inprocess"] = child(env, "rss", _file_list(lists / "rss", [tiny, big]))
    with fresh_database(db, work, args) as env:
        print("  peak RSS: through the pipe command …", flush=True)
        figures["rss_pipe"] = pipe_memory(env, tiny, big)
    if args.breakdown:
        with fresh_database(db, work, args) as env:
            print("  breakdown: the generated messages again, each step timed …", flush=True)
            figures["breakdown"] = child(env, "breakdown", _file_list(lists / "generated", generated.files))
    return {
        "db": db,
        "auto_ack": args.auto_ack,
        "git": _git_state(),
        "load_average": {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()},
        "generated": {"messages": len(generated.files), "megabytes": round(generated.megabytes, 1)},
        "figures": figures,
    }


def _progress(figure: dict[str, Any]) -> None:
    if "rate" in figure:
        print(f"    {figure['rate']:,.1f} messages/s; outcomes {figure['outcomes']}", flush=True)


def _file_list(path: Path, files: list[Path]) -> Path:
    path.write_text("\n".join(str(f) for f in files))
    return path


def _git_state() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    return commit.stdout.strip() or "unknown"


@contextmanager
def fresh_database(db: str, work: Path, args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """An empty, migrated database with the benchmark mailbox; the environment to reach it."""
    data = Path(tempfile.mkdtemp(prefix=f"data-{db}-", dir=work))
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["FRONTDESK_DATA"] = str(data)
    env["FRONTDESK_MAX_ATTACHMENT_BYTES"] = str(LIMIT)
    env["BENCH_MAIL_AUTO_ACK"] = args.auto_ack
    if db == "postgres":
        _recreate_postgres(DATABASE)
        env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
    subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    child(env, "setup", None)
    try:
        yield env
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


def _recreate_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def parallel(env: dict[str, str], lists: Path, files: list[Path], *, workers: int) -> dict[str, Any]:
    """The messages dealt round-robin to `workers` processes that start their loops at one
    moment (after Django's start-up); the rate is all messages over the wall time until the
    last process ends. Replies may now arrive before what they answer, so more tickets open."""
    start_at = time.time() + 5.0
    commands = [
        [
            sys.executable,
            "-m",
            "bench.mail",
            "--child",
            "ingest",
            "--start-at",
            str(start_at),
            "--files",
            str(_file_list(lists / f"part-{n}", files[n::workers])),
        ]
        for n in range(workers)
    ]
    processes = [subprocess.Popen(c, env=env, cwd=ROOT, stdout=subprocess.PIPE) for c in commands]
    results = []
    for process in processes:
        out, _ = process.communicate()
        if process.returncode != 0:
            return {"not_measured": f"a worker failed with exit status {process.returncode}"}
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    if min(r["started_at"] for r in results) < start_at - 0.01:
        return {"not_measured": "a worker started late"}
    seconds = max(r["ended_at"] for r in results) - start_at
    timings = [t for r in results for t in r["timings_ms"]]
    p50, p95 = _percentiles(timings)
    outcomes: Counter[str] = Counter()
    for r in results:
        outcomes.update(r["outcomes"])
    return {
        "rate": round(len(files) / seconds, 1),
        "messages": len(files),
        "workers": workers,
        "seconds": round(seconds, 2),
        "p50_ms": p50,
        "p95_ms": p95,
        "outcomes": dict(outcomes),
    }


def child(env: dict[str, str], mode: str, files: Path | None) -> dict[str, Any]:
    """Runs `python -m bench.mail --child MODE`; its last line of output is a JSON object."""
    command = [sys.executable, "-m", "bench.mail", "--child", mode]
    if files is not None:
        command += ["--files", str(files)]
    result = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        return {"not_measured": f"bench/mail.py --child {mode} failed with exit status {result.returncode}"}
    lines = result.stdout.decode().strip().splitlines()
    figure: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    figure.pop("timings_ms", None)  # only the parallel figure needs every timing
    return figure


# --- the pipe command ----------------------------------------------------------------------


def _frontdesk() -> list[str]:
    script = Path(sys.executable).with_name("frontdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "frontdesk.cli"]


def _pipe(env: dict[str, str], path: Path, mailbox: str = MAILBOX) -> tuple[int, str, float]:
    """One `frontdesk mail ingest` with the file on stdin: exit status, output, seconds."""
    result, seconds = _timed_pipe([*_frontdesk(), "mail", "ingest", "--mailbox", mailbox], path, env)
    return result.returncode, result.stdout.decode(errors="replace").strip()[-600:], seconds


def _timed_pipe(
    command: list[str], path: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[bytes], float]:
    """Run `command` with the message at `path` on stdin; its result and wall time in seconds."""
    started = time.perf_counter()
    with path.open("rb") as stdin:
        result = subprocess.run(
            command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, check=False
        )
    return result, time.perf_counter() - started


def pipe_floor(env: dict[str, str], runs: int = 10) -> dict[str, Any]:
    """What any pipe costs: start Python and Django, read stdin, look the mailbox up (a missing one)."""
    empty = Path(env["FRONTDESK_DATA"]) / "empty.eml"
    empty.write_bytes(b"")
    timings = []
    for _ in range(runs):
        status, _text, seconds = _pipe(env, empty, mailbox="no-such-mailbox")
        if status != 75:
            return {"not_measured": f"a pipe to a missing mailbox exited with {status}, not 75"}
        timings.append(seconds * 1000)
    return {"p50_ms": round(statistics.median(timings), 1), "runs": runs}


def pipe_rate(env: dict[str, str], files: list[Path], *, concurrency: int) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(path: Path) -> None:
        status, text, seconds = _pipe(env, path)
        with lock:
            timings.append(seconds * 1000)
            if status != 0:
                errors.append(f"{path.name}: exit {status}: {text}")
                outcomes["failed"] += 1
            else:
                outcomes[json.loads(text.splitlines()[-1])["outcome"]] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, files))
    seconds = time.perf_counter() - started
    p50, p95 = _percentiles(timings)
    return {
        "rate": round(len(files) / seconds, 1),
        "messages": len(files),
        "seconds": round(seconds, 2),
        "concurrency": concurrency,
        "p50_ms": p50,
        "p95_ms": p95,
        "outcomes": dict(outcomes),
        "errors": errors[:5],
    }


# Runs a command in a child made with fork() (not vfork), so that the child's peak RSS starts from this small
# process and not from the benchmark's (Linux keeps ru_maxrss across exec); prints that peak last, in KB.
_MEASURED = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_pid, status, usage = os.wait4(pid, 0)
sys.stdout.flush()
print(usage.ru_maxrss, flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _pipe_peak(env: dict[str, str], path: Path) -> tuple[int, str, float, float]:
    """A pipe as in _pipe, with its own peak RSS in MB (measured by a small forking parent)."""
    command = _frontdesk()
    if not command[0].startswith("/"):
        command[0] = shutil.which(command[0]) or command[0]
    result, seconds = _timed_pipe(
        [sys.executable, "-c", _MEASURED, *command, "mail", "ingest", "--mailbox", MAILBOX], path, env
    )
    lines = result.stdout.decode(errors="replace").strip().splitlines()
    peak = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else 0.0
    return result.returncode, "\n".join(lines[:-1])[-600:], seconds, peak


def pipe_memory(env: dict[str, str], tiny: Path, big: Path) -> dict[str, Any]:
    """Peak RSS of one pipe process with a small message, then of one with the large message."""
    status_small, text_small, _s, small = _pipe_peak(env, tiny)
    status_big, text_big, seconds, peak = _pipe_peak(env, big)
    if status_small or status_big or not small or not peak:
        return {"not_measured": f"the pipe exited with {status_small}/{status_big}: {text_small} {text_big}"[:300]}
    size = big.stat().st_size / 1e6
    return {
        "message_mb": round(size, 1),
        "baseline_mb": round(small, 1),
        "peak_mb": round(peak, 1),
        "growth_mb": round(peak - small, 1),
        "multiple": round((peak - small) / size, 2),
        "seconds": round(seconds, 2),
        "outcome": json.loads(text_big.splitlines()[-1])["outcome"],
    }


def _percentiles(timings: list[float]) -> tuple[float, float]:
    if not timings:
        return 0.0, 0.0
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return round(statistics.median(ordered), 2), round(p95, 2)


# --- child processes (Django) ----------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()


def child_setup(args: argparse.Namespace) -> int:
    """The benchmark mailbox: acknowledgements on (to an unreachable server) or off; a size limit above the large
    message."""
    _django()
    from django.utils import timezone

    from frontdesk.mail.models import Mailbox
    from frontdesk.mail.services import mailbox_create

    ack = os.environ.get("BENCH_MAIL_AUTO_ACK", "on") == "on"
    mailbox, _secret = mailbox_create(
        name=MAILBOX,
        address=MAILBOX_ADDRESS,
        smtp_url=UNREACHABLE_SMTP if ack else "",
        auto_ack=ack,
        actor=None,
        now=timezone.now(),
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(max_message_bytes=LIMIT)
    print(json.dumps({"mailbox": mailbox.pk}))
    return 0


def _ingest_loop(files: list[Path], start_at: float | None = None) -> dict[str, Any]:
    from django.utils import timezone

    from frontdesk.mail.models import InboundSource, Mailbox
    from frontdesk.mail.services import email_ingest

    mailbox = Mailbox.objects.get(name=MAILBOX)
    messages = [(path.name, path.read_bytes()) for path in files]
    outcomes: Counter[str] = Counter()
    timings: list[tuple[float, str]] = []
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    started_at = time.time()
    started = time.perf_counter()
    for name, raw in messages:
        sent = time.perf_counter()
        result = email_ingest(mailbox=mailbox, raw=raw, source=InboundSource.PIPE, now=timezone.now())
        timings.append(((time.perf_counter() - sent) * 1000, name))
        outcomes[result.outcome] += 1
    seconds = time.perf_counter() - started
    p50, p95 = _percentiles([t for t, _ in timings])
    return {
        "started_at": started_at,
        "ended_at": time.time(),
        "timings_ms": [round(t, 3) for t, _ in timings],
        "rate": round(len(messages) / seconds, 1),
        "messages": len(messages),
        "megabytes": round(sum(len(raw) for _, raw in messages) / 1e6, 1),
        "seconds": round(seconds, 2),
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": round(max(t for t, _ in timings), 1) if timings else 0.0,
        "first_ms": round(timings[0][0], 1) if timings else 0.0,
        "slowest": [[name, round(t, 1)] for t, name in sorted(timings, reverse=True)[:5]],
        "outcomes": dict(outcomes),
    }


def _database_counts() -> dict[str, Any]:
    from frontdesk.mail.models import InboundEmail, OutboundEmail
    from frontdesk.tickets.models import Attachment, Message, Ticket

    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
        "inbound_by_status": dict(Counter(InboundEmail.objects.values_list("status", flat=True))),
        "acknowledgements_queued": OutboundEmail.objects.filter(kind="auto_ack").count(),
        "vendor": _vendor(),
    }


def _vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def child_ingest(args: argparse.Namespace) -> int:
    _django()
    files = [Path(line) for line in Path(args.files).read_text().splitlines() if line]
    result = _ingest_loop(files, args.start_at)
    result["database"] = _database_counts()
    print(json.dumps(result))
    return 0


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_rss(args: argparse.Namespace) -> int:
    """One process: a small message (so that the code is loaded), then the large one; VmHWM before and after."""
    _django()
    from django.utils import timezone

    from frontdesk.mail.models import InboundSource, Mailbox
    from frontdesk.mail.services import email_ingest
    from frontdesk.tickets.models import Attachment

    tiny, big = [Path(line) for line in Path(args.files).read_text().splitlines() if line]
    mailbox = Mailbox.objects.get(name=MAILBOX)
    email_ingest(mailbox=mailbox, raw=tiny.read_bytes(), source=InboundSource.PIPE, now=timezone.now())
    before_peak, before_rss = _status_mb("VmHWM"), _status_mb("VmRSS")
    started = time.perf_counter()
    raw = big.read_bytes()  # what the pipe command does: the whole message from stdin
    result = email_ingest(mailbox=mailbox, raw=raw, source=InboundSource.PIPE, now=timezone.now())
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    size = len(raw) / 1e6
    stored = Attachment.objects.filter(size__gte=len(raw) // 2).count()
    print(
        json.dumps(
            {
                "message_mb": round(size, 1),
                "baseline_mb": round(before_peak, 1),
                "baseline_rss_mb": round(before_rss, 1),
                "peak_mb": round(peak, 1),
                "growth_mb": round(peak - before_peak, 1),
                "multiple": round((peak - before_peak) / size, 2),
                "seconds": round(seconds, 2),
                "outcome": result.outcome,
                "large_attachments_stored": stored,
            }
        )
    )
    return 0


def child_breakdown(args: argparse.Namespace) -> int:
    """The ingest loop with each step of the pipeline timed (exclusive times) and every query counted."""
    _django()
    from django.core.files.storage import default_storage
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from frontdesk.core import events
    from frontdesk.mail import services

    timer = StepTimer()
    for name in (
        "email_receive",
        "email_process",
        "parse_email",
        "_content_digest",
        "_earlier_delivery",
        "_auto_generated",
        "_thread",
        "_sender_contact",
        "_uploads",
        "ticket_create",
        "ticket_add_customer_message",
        "_keep_content_ids",
        "_queue_auto_ack",
    ):
        setattr(services, name, timer.wrap(name, getattr(services, name)))
    events.run_handler = timer.wrap("after-commit handlers", events.run_handler)
    default_storage.save = timer.wrap("storage: write raw file", default_storage.save)  # type: ignore[method-assign]
    default_storage.exists = timer.wrap("storage: exists", default_storage.exists)  # type: ignore[method-assign]
    commit = BaseDatabaseWrapper._commit  # type: ignore[attr-defined]
    BaseDatabaseWrapper._commit = timer.wrap("COMMIT", commit)  # type: ignore[attr-defined]
    _patch_huey(timer)

    files = [Path(line) for line in Path(args.files).read_text().splitlines() if line]
    with connection.execute_wrapper(timer.query):
        result = _ingest_loop(files)
    result["steps"] = timer.report(result["messages"], result["seconds"])
    print(json.dumps(result))
    return 0


def _patch_huey(timer: "StepTimer") -> None:
    from django.conf import settings

    huey = settings.HUEY
    huey.enqueue = timer.wrap("Huey: enqueue job", huey.enqueue)


class StepTimer:
    """Exclusive wall time per step (a step's own time, without the steps it calls) and the SQL run in each."""

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []  # [name, started, time spent in inner steps]
        self.own: dict[str, float] = {}
        self.calls: Counter[str] = Counter()
        self.sql_ms: dict[str, float] = {}
        self.sql_count: Counter[str] = Counter()
        self.statements: Counter[str] = Counter()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append([name, time.perf_counter(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                step, started, inner = self.stack.pop()
                spent = time.perf_counter() - started
                self.own[step] = self.own.get(step, 0.0) + spent - inner
                self.calls[step] += 1
                if self.stack:
                    self.stack[-1][2] += spent

        return timed

    def query(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            step = self.stack[-1][0] if self.stack else "(outside any step)"
            self.sql_ms[step] = self.sql_ms.get(step, 0.0) + spent
            self.sql_count[step] += 1
            if self.stack:
                self.stack[-1][2] += spent
            self.statements[_statement(sql)] += 1

    def report(self, messages: int, seconds: float) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        for step in set(self.own) | set(self.sql_ms):
            steps.append(
                {
                    "step": step,
                    "calls_per_message": round(self.calls[step] / messages, 2),
                    "python_ms": round(self.own.get(step, 0.0) * 1000 / messages, 3),
                    "sql_ms": round(self.sql_ms.get(step, 0.0) * 1000 / messages, 3),
                    "queries_per_message": round(self.sql_count[step] / messages, 2),
                }
            )
        steps.sort(key=lambda s: -(s["python_ms"] + s["sql_ms"]))
        total = sum(self.own.values()) + sum(self.sql_ms.values())
        return {
            "per_message_ms": round(seconds * 1000 / messages, 3),
            "timed_ms": round(total * 1000 / messages, 3),
            "queries_per_message": round(sum(self.sql_count.values()) / messages, 1),
            "steps": steps,
            "statements": [[sql, round(n / messages, 2)] for sql, n in self.statements.most_common(25)],
        }


def _statement(sql: str) -> str:
    """A query's shape: its verb and table."""
    words = sql.replace('"', "").split()
    if not words:
        return "?"
    verb = words[0].upper()
    table = ""
    for keyword in ("FROM", "INTO", "UPDATE"):
        upper = [w.upper() for w in words]
        if keyword in upper and upper.index(keyword) + 1 < len(words):
            table = words[upper.index(keyword) + 1]
            break
    return f"{verb} {table}".strip()


CHILDREN: dict[str, Callable[[argparse.Namespace], int]] = {
    "setup": child_setup,
    "ingest": child_ingest,
    "rss": child_rss,
    "breakdown": child_breakdown,
}


# --- the messages --------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    index = CORPUS / "INDEX.csv"
    if not index.is_file():
        return []
    with index.open(newline="", encoding="utf-8") as handle:
        return [CORPUS / row["path"] for row in csv.DictReader(handle)]


FIRST = {
    "en": ["Emma", "Oliver", "Sophie", "James", "Grace", "Harry", "Chloe", "Jack", "Lucy", "Thomas", "Mia", "Daniel"],
    "es": ["Lucía", "Javier", "María", "Sergio", "Carmen", "Álvaro", "Paula", "Íñigo", "Noelia", "Raúl"],
    "lt": ["Rūta", "Mantas", "Eglė", "Tomas", "Gintarė", "Žygimantas", "Aistė", "Lukas", "Ieva", "Šarūnas"],
    "ru": ["Анна", "Дмитрий", "Ольга", "Сергей", "Мария", "Алексей", "Елена", "Иван"],
}
LAST = {
    "en": ["Smith", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes", "Green", "Hall"],
    "es": ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Muñoz", "Ibáñez"],
    "lt": ["Kazlauskas", "Jankauskienė", "Petrauskas", "Žukauskaitė", "Vasiliauskas", "Butkutė", "Balčiūnas"],
    "ru": ["Иванова", "Смирнов", "Кузнецова", "Попов", "Соколова", "Лебедев", "Новикова"],
}
LATIN = {"Анна": "anna", "Дмитрий": "dmitry", "Ольга": "olga", "Сергей": "sergey", "Мария": "maria"}
DOMAINS = {
    "en": ["gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "icloud.com"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"],
    "lt": ["gmail.com", "inbox.lt", "one.lt", "delfi.lt"],
    "ru": ["mail.ru", "yandex.ru", "gmail.com"],
}
SUBJECTS = {
    "en": [
        "Late check-in tonight",
        "Parking at the apartment",
        "Wifi not working in room {room}",
        "Refund for cancelled booking {ref}",
        "Change of dates for booking {ref}",
        "Invoice for my stay",
        "Left my charger in the room",
        "Is early check-in possible?",
        "Airport transfer on Friday",
        "Noise from the street",
        "Extra bed for a child",
        "Can we bring our dog?",
        "Booking confirmation not received",
        "Charged twice for {ref}",
    ],
    "es": [
        "Llegada tarde esta noche",
        "Aparcamiento en el apartamento",
        "Reembolso de la reserva {ref}",
        "Cambio de fechas, reserva {ref}",
        "Factura de mi estancia",
        "El wifi no funciona",
        "¿Se puede hacer el check-in antes?",
    ],
    "lt": [
        "Vėlyvas atvykimas šiandien",
        "Automobilio stovėjimo vieta",
        "Pinigų grąžinimas už užsakymą {ref}",
        "Sąskaita faktūra už viešnagę",
        "Neveikia belaidis internetas",
    ],
    "ru": [
        "Поздний заезд сегодня",
        "Парковка у апартаментов",
        "Возврат денег за бронирование {ref}",
        "Счёт за проживание",
        "Не работает вай-фай",
    ],
}
SENTENCES = {
    "en": [
        "We are booked for three nights under reference {ref} and our flight lands at 23:40.",
        "Could you tell us how to collect the keys if reception is already closed?",
        "The wifi in room {room} keeps dropping every few minutes, which makes it impossible to work.",
        "I cancelled within the free cancellation period but the refund has not arrived yet.",
        "Is there a parking space we can use, and how much does it cost per night?",
        "We would like to move our stay by two days if that is possible.",
        "Please send the invoice with our company name and VAT number on it.",
        "I think I left my phone charger plugged in next to the bed.",
        "My card was charged twice for the same booking; I attach the bank statement.",
        "We are travelling with a small child; could you add a cot to the room?",
        "Thanks a lot for your help, the stay was lovely otherwise.",
        "Looking forward to hearing from you.",
    ],
    "es": [
        "Tenemos una reserva de tres noches con la referencia {ref} y llegaremos muy tarde.",
        "¿Podrían indicarnos cómo recoger las llaves si la recepción está cerrada?",
        "Cancelé dentro del plazo gratuito pero todavía no he recibido el reembolso.",
        "¿Hay aparcamiento disponible y cuánto cuesta por noche?",
        "Nos gustaría cambiar las fechas de la estancia, si es posible.",
        "Por favor, envíen la factura a nombre de la empresa, con el NIF.",
        "Muchas gracias por su ayuda, un saludo cordial.",
    ],
    "lt": [
        "Turime užsakymą trims naktims, numeris {ref}, atvyksime vėlai vakare.",
        "Ar galite pasakyti, kaip pasiimti raktus, jei registratūra jau uždaryta?",
        "Atšaukiau užsakymą laiku, bet pinigų dar negrąžinote.",
        "Ar yra automobilio stovėjimo vieta ir kiek ji kainuoja?",
        "Prašome atsiųsti sąskaitą faktūrą įmonės vardu.",
        "Labai ačiū už pagalbą, gražios dienos.",
    ],
    "ru": [
        "У нас бронирование на три ночи, номер {ref}, мы приедем очень поздно.",
        "Подскажите, пожалуйста, как получить ключи, если ресепшен закрыт?",
        "Я отменил бронирование вовремя, но деньги до сих пор не вернулись.",
        "Есть ли парковка и сколько она стоит в сутки?",
        "Пришлите, пожалуйста, счёт на имя компании.",
        "Заранее спасибо, с уважением.",
    ],
}
REPLY_SENTENCES = {
    "en": ["Thanks for the quick answer.", "Sorry, one more question about this.", "It still does not work."],
    "es": ["Gracias por la respuesta.", "Perdón, una pregunta más.", "Sigue sin funcionar."],
    "lt": ["Ačiū už atsakymą.", "Atsiprašau, dar vienas klausimas.", "Vis dar neveikia."],
    "ru": ["Спасибо за быстрый ответ.", "Извините, ещё один вопрос.", "Всё ещё не работает."],
}
LANGUAGES = ["en"] * 55 + ["es"] * 20 + ["lt"] * 12 + ["ru"] * 13


class Generated:
    def __init__(self, files: list[Path], expected: dict[str, int]) -> None:
        self.files = files
        self.expected = expected
        self.megabytes = sum(f.stat().st_size for f in files) / 1e6


def generate(folder: Path, *, count: int, seed: int) -> Generated:
    """`count` customer e-mails, always the same for a seed: about 70% start a conversation (from ~300
    senders), 30% continue one (In-Reply-To and References, or only a [#n] in the subject), about 1% are
    the same message delivered again; plain text or text+HTML, quoted history in replies, a small PDF or
    PNG on about 10%, a few auto-replies, UTF-8, ISO-8859-1 and Windows-1251 bodies."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    senders = [_person(rng, n) for n in range(300)]
    conversations: list[dict[str, Any]] = []  # each: sender, subject, ticket number, message ids, last text
    sent: list[bytes] = []
    expected: Counter[str] = Counter()
    when = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    files = []
    for n in range(count):
        when += timedelta(seconds=rng.randint(5, 300))
        roll = rng.random()
        if roll < 0.01 and sent:
            raw = _redelivered(rng, rng.choice(sent[-50:]), when)
            expected["duplicate"] += 1
        elif roll < 0.30 and conversations:
            raw = _reply(rng, rng.choice(conversations[-150:]), when, n)
            expected["appended"] += 1
        else:
            raw = _new(rng, rng.choice(senders), when, n, ticket=expected["created"] + 1, into=conversations)
            expected["created"] += 1
        sent.append(raw)
        path = folder / f"{n:05d}.eml"
        path.write_bytes(raw)
        files.append(path)
    return Generated(files, dict(expected))


def _person(rng: random.Random, n: int) -> dict[str, str]:
    language = rng.choice(LANGUAGES)
    first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
    local = f"{LATIN.get(first, first)}.{last}".lower() if language != "ru" else f"{LATIN.get(first, 'guest')}{n}"
    local = local.encode("ascii", "ignore").decode() or f"guest{n}"
    return {"language": language, "name": f"{first} {last}", "email": f"{local}{n}@{rng.choice(DOMAINS[language])}"}


def _charset(rng: random.Random, language: str) -> str:
    if language == "es" and rng.random() < 0.5:
        return "iso-8859-1"
    if language == "ru" and rng.random() < 0.7:
        return "windows-1251"
    return "utf-8"


def _fill(text: str, rng: random.Random) -> str:
    return text.format(ref=f"BK-{rng.randint(100000, 999999)}", room=rng.randint(101, 420))


def _message(
    rng: random.Random,
    *,
    sender: dict[str, str],
    subject: str,
    text: str,
    when: datetime,
    n: int,
    headers: dict[str, str],
) -> tuple[bytes, str]:
    message = EmailMessage()
    domain = sender["email"].split("@")[1]
    message["Return-Path"] = f"<{sender['email']}>"
    message["Received"] = (
        f"from mail-{rng.randint(1, 99)}.{domain} (mail-{rng.randint(1, 99)}.{domain} "
        f"[198.51.100.{rng.randint(1, 254)}]) by mx.bench-hotel.example with ESMTPS id {rng.getrandbits(48):x}; "
        f"{format_datetime(when)}"
    )
    message["From"] = formataddr((sender["name"], sender["email"]))
    message["To"] = formataddr(("Bench Hotel", MAILBOX_ADDRESS))
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message_id = f"{rng.getrandbits(64):016x}.{n}@{domain}"
    message["Message-ID"] = f"<{message_id}>"
    message["MIME-Version"] = "1.0"
    for key, value in headers.items():
        message[key] = value
    charset = _charset(rng, sender["language"])
    message.set_content(text, charset=charset)
    if rng.random() < 0.45:
        paragraphs = "".join(f"<p>{line}</p>" for line in text.split("\n\n") if not line.startswith(">"))
        html = f'<html><body><div dir="ltr" style="font-family:Arial">{paragraphs}</div></body></html>'
        message.add_alternative(html, subtype="html", charset=charset)
    if rng.random() < 0.10:
        size = rng.randint(20_000, 200_000)
        if rng.random() < 0.5:
            data, kind, name = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(size), "pdf", "booking.pdf"
            message.add_attachment(data, maintype="application", subtype=kind, filename=name)
        else:
            data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(size)
            message.add_attachment(data, maintype="image", subtype="png", filename="screenshot.png")
    return message.as_bytes(), message_id


def _new(
    rng: random.Random,
    sender: dict[str, str],
    when: datetime,
    n: int,
    *,
    ticket: int,
    into: list[dict[str, Any]],
) -> bytes:
    language = sender["language"]
    subject = _fill(rng.choice(SUBJECTS[language]), rng)
    headers: dict[str, str] = {}
    if rng.random() < 0.02:  # an out-of-office answer to something of ours: a ticket, never acknowledged
        subject = f"Automatic reply: {subject}"
        headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
        text = "I am out of the office until Monday with limited access to e-mail."
    else:
        sentences = rng.sample(SENTENCES[language], k=min(len(SENTENCES[language]), rng.randint(2, 5)))
        text = "Hello,\n\n" + "\n\n".join(_fill(s, rng) for s in sentences) + f"\n\n{sender['name']}\n"
    raw, message_id = _message(rng, sender=sender, subject=subject, text=text, when=when, n=n, headers=headers)
    if not headers:  # nobody answers an auto-reply
        into.append({"sender": sender, "subject": subject, "ticket": ticket, "ids": [message_id], "text": text})
    return raw


def _reply(rng: random.Random, conversation: dict[str, Any], when: datetime, n: int) -> bytes:
    sender = conversation["sender"]
    language = sender["language"]
    text = "\n\n".join(rng.sample(REPLY_SENTENCES[language], k=2)) + f"\n\n{sender['name']}\n"
    if rng.random() < 0.7:  # the mail program quotes what came before
        quoted = "\n".join(f"> {line}" if line else ">" for line in conversation["text"].splitlines())
        text += f"\nOn {format_datetime(when - timedelta(hours=2))}, Bench Hotel wrote:\n{quoted}\n"
    headers: dict[str, str] = {}
    if rng.random() < 0.2:  # only the ticket number in the subject (a new mail, not a reply)
        subject = f"{conversation['subject']} [#{conversation['ticket']}]"
    else:
        subject = f"Re: {conversation['subject']}"
        headers["In-Reply-To"] = f"<{conversation['ids'][-1]}>"
        headers["References"] = " ".join(f"<{i}>" for i in conversation["ids"][-10:])
    raw, message_id = _message(rng, sender=sender, subject=subject, text=text, when=when, n=n, headers=headers)
    conversation["ids"].append(message_id)
    conversation["text"] = text
    return raw


def _redelivered(rng: random.Random, raw: bytes, when: datetime) -> bytes:
    """The same message again, as an MTA retry delivers it: one more trace header on top."""
    trace = f"Received: from mx2.bench-hotel.example by mx.bench-hotel.example; {format_datetime(when)}\n"
    return trace.encode() + raw


def generate_big(path: Path, *, megabytes: float, seed: int) -> Path:
    """A customer's e-mail of about `megabytes` MB: a short text and one base64 PDF attachment."""
    rng = random.Random(seed)
    message = EmailMessage()
    message["From"] = formataddr(("Emma Walker", "emma.walker@gmail.com"))
    message["To"] = MAILBOX_ADDRESS
    message["Subject"] = "Scanned documents for the group booking"
    message["Date"] = format_datetime(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    message["Message-ID"] = "<big-message.1@gmail.com>"
    message.set_content("Hello,\n\nhere are the scanned passports and the signed contract.\n\nEmma\n")
    data = b"%PDF-1.4\n" + rng.randbytes(int(megabytes * 1e6 / 1.3514))  # base64 with line breaks: ×1.351
    message.add_attachment(data, maintype="application", subtype="pdf", filename="documents.pdf")
    path.write_bytes(message.as_bytes())
    return path


# --- report ----------------------------------------------------------------------------------


def print_report(run: dict[str, Any], args: argparse.Namespace) -> None:
    figures = run["figures"]
    ack = (
        f"acknowledgements ON, queued for an unreachable SMTP server ({UNREACHABLE_SMTP}); the send job goes "
        "to the Huey queue and is not run during the measurement"
        if run["auto_ack"] == "on"
        else "acknowledgements OFF"
    )
    load = run["load_average"]
    print(
        f"\nE-mail ingest on {run['db']}: fresh database per figure; {ack}; load average before "
        f"{load['before'][0]:.1f}, after {load['after'][0]:.1f} on {load['cpus']} CPUs; code {run['git']}"
    )
    rows = [("measure", "Frontdesk", "django-helpdesk 2.6.1", "ratio", "target")]
    for key, label in (
        ("inprocess_generated", f"in-process pipeline, {run['generated']['messages']:,} generated"),
        ("inprocess_parallel", f"in-process pipeline, the same, {args.workers} processes"),
        ("inprocess_corpus", "in-process pipeline, the corpus"),
        ("pipe_sequential", "pipe command, 1 at a time (incl. start-up)"),
        ("pipe_concurrent", f"pipe command, {args.pipe_concurrency} at a time (incl. start-up)"),
    ):
        figure = figures.get(key, {})
        if "rate" not in figure:
            rows.append((label, f"not measured: {figure.get('not_measured', '?')}", "", "", ""))
            continue
        rate = f"{figure['rate']:,.0f}" if figure["rate"] >= 10 else f"{figure['rate']:.1f}"
        shown = f"{rate} msg/s (p50 {figure['p50_ms']:.1f} ms, p95 {figure['p95_ms']:.1f} ms)"
        ratio = f"{figure['rate'] / PEER_RATE_WAL:.1f}× WAL, {figure['rate'] / PEER_RATE:.1f}×"
        target = ""
        if key in ("inprocess_generated", "inprocess_parallel") and run["db"] == "sqlite":
            target = "ok (≥300/s)" if figure["rate"] >= TARGET_RATE else "MISSED (<300/s)"
        elif key == "inprocess_generated":
            target = "(≥300/s is for SQLite)"
        rows.append((label, shown, f"{PEER_RATE:.0f} msg/s ({PEER_RATE_WAL:.0f} WAL)", ratio, target))
    floor = figures.get("pipe_floor", {})
    if "p50_ms" in floor:
        rows.append(("pipe command start-up floor (missing mailbox)", f"p50 {floor['p50_ms']:.0f} ms", "", "", ""))
    for key, label in (("rss_inprocess", "peak RSS, large message, in-process"), ("rss_pipe", "peak RSS, pipe")):
        figure = figures.get(key, {})
        if "peak_mb" not in figure:
            rows.append((label, f"not measured: {figure.get('not_measured', '?')}", "", "", ""))
            continue
        shown = (
            f"{figure['peak_mb']:.0f} MB (before {figure['baseline_mb']:.0f} MB; +{figure['growth_mb']:.0f} MB "
            f"= {figure['multiple']:.1f}× the {figure['message_mb']:.0f} MB message)"
        )
        rows.append((label, shown, "", "", "a small multiple"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))
    print("\nNotes:")
    generated = figures.get("inprocess_generated", {})
    if "outcomes" in generated:
        print(
            f"  generated: outcomes {generated['outcomes']} (expected {generated['expected']}); "
            f"{generated['megabytes']} MB; first message {generated['first_ms']} ms, slowest {generated['max_ms']} ms; "
            f"database afterwards {generated['database']}"
        )
    corpus = figures.get("inprocess_corpus", {})
    if "outcomes" in corpus:
        print(
            f"  corpus: {corpus['messages']} files, {corpus['megabytes']} MB; outcomes {corpus['outcomes']}; "
            f"slowest {corpus['slowest'][:3]}"
        )
    for key in ("pipe_sequential", "pipe_concurrent"):
        figure = figures.get(key, {})
        if "outcomes" in figure:
            errors = f"; errors: {figure['errors']}" if figure["errors"] else ""
            print(
                f"  {key}: {figure['messages']} messages in {figure['seconds']} s; "
                f"outcomes {figure['outcomes']}{errors}"
            )
    for key in ("rss_inprocess", "rss_pipe"):
        figure = figures.get(key, {})
        if "outcome" in figure:
            stored = figure.get("large_attachments_stored")
            extra = f", large attachment stored: {stored}" if stored is not None else ""
            print(f"  {key}: outcome {figure['outcome']} in {figure['seconds']} s{extra}")
    print(
        "  The peer's figures are from the issue (django-helpdesk 2.6.1 reading 1,000 messages from a local "
        "directory); the pipe figures include starting Python and Django for every message, as an MTA's pipe does."
    )
    breakdown = figures.get("breakdown")
    if breakdown and "steps" in breakdown:
        steps = breakdown["steps"]
        print(
            f"\nBreakdown ({breakdown['rate']:,.0f} msg/s with the timers on; "
            f"{steps['per_message_ms']} ms per message, "
            f"{steps['timed_ms']} ms of it in timed steps; {steps['queries_per_message']} queries per message). "
            "Exclusive times: a step's own Python, and the SQL it ran itself, per message:"
        )
        for step in steps["steps"]:
            print(
                f"  {step['step']:<28} {step['calls_per_message']:>5.2f} calls  python {step['python_ms']:7.3f} ms"
                f"  sql {step['sql_ms']:7.3f} ms ({step['queries_per_message']:.2f} queries)"
            )
        print("  Statements per message: " + ", ".join(f"{sql} ×{n}" for sql, n in steps["statements"]))


if __name__ == "__main__":
    sys.exit(main())
