"""What the benchmarks share: choosing and preparing their databases, running their measuring child
processes, timing calls and reading query plans; and a real `frontdesk web` server in a subprocess,
with the HTTP measurements made against it."""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


# --- the databases and the child processes ------------------------------------------------


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "postgresql", "both"],
        default=None,
        help="default: both when PostgreSQL answers at BENCH_POSTGRES_URL, else sqlite",
    )


def chosen_databases(db: str | None) -> list[str]:
    """The databases `--db` names ("sqlite", "postgres"); none named: both when PostgreSQL answers."""
    from frontdesk.core.probe import answers

    db = db or ("both" if answers("postgres", POSTGRES_ADMIN_URL) else "sqlite")
    return {"both": ["sqlite", "postgres"], "postgresql": ["postgres"]}.get(db, [db])


def postgres_url(name: str) -> str:
    """The address of the database `name` on the server of BENCH_POSTGRES_URL."""
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child with production's settings (no test database, no
    queue, no settings module of ours), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(extra)
    return env


def cached(marker: Path, **expected: object) -> bool:
    """Whether the data set's marker file says it was built as `expected` (its version, its size)."""
    if not marker.exists():
        return False
    info = json.loads(marker.read_text())
    return all(info.get(key) == value for key, value in expected.items())


def run_child(command: list[str], env: dict[str, str], what: str) -> dict[str, Any]:
    """Run a measuring child (its log goes to this terminal) and read the JSON of its last line."""
    result = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the {what} failed with exit status {result.returncode} (output above)")
    measured: dict[str, Any] = json.loads(result.stdout.decode().strip().splitlines()[-1])
    return measured


def save_results(name: str, results: dict[str, Any]) -> None:
    """bench/results/<name>-<UTC time>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nSaved to {path.relative_to(ROOT)}")


def log(message: str) -> None:
    """A progress line on stderr (a child's stdout is its result)."""
    print(message, file=sys.stderr, flush=True)


# --- in-process measurements ---------------------------------------------------------------


def timed(call: Callable[[], object], runs: int, *, warm_up: bool = True) -> tuple[list[float], list[float], object]:
    """Wall-clock and this process's CPU milliseconds of each of `runs` calls, after one unmeasured
    call (the caches warm) unless `warm_up` is False; and the last call's result."""
    result = call() if warm_up else None
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return timings, cpu, result


def recorded(call: Callable[[], object]) -> tuple[object, list[tuple[str, Any]]]:
    """The result of `call`, and every SQL statement it ran with its parameters."""
    from django.db import connection

    statements: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = call()
    return result, statements


def explain(sql: str, params: Any, *, analyze: bool = False) -> str:
    """The statement's plan: `EXPLAIN` (with `analyze`: `EXPLAIN (ANALYZE, BUFFERS)`) on PostgreSQL,
    `EXPLAIN QUERY PLAN` on SQLite."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def database_mb() -> int:
    """The size of the Django connection's database, in MB."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
        return round(cursor.fetchone()[0] / 1e6)


def analyze() -> None:
    """The planner's statistics, as a database in use keeps them (autovacuum on PostgreSQL; ANALYZE
    on SQLite), also for indexes a migration added since the data set was built."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


class NotMeasured(Exception):
    """A figure that could not be measured; the message says why."""


@dataclass
class Figure:
    key: str
    label: str
    unit: str  # "ms" (latency: p50 and p95), "/s" (rate) or "MB"
    p50: float | None = None
    p95: float | None = None
    value: float | None = None
    samples: int = 0
    note: str = ""
    not_measured: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """`frontdesk web --workers N` on a free port, its output in `log`."""

    env: dict[str, str]
    log: Path
    workers: int = 2
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        frontdesk = Path(sys.executable).with_name("frontdesk")
        command = [str(frontdesk)] if frontdesk.exists() else [sys.executable, "-m", "frontdesk.cli"]
        command += ["web", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log}")
            try:
                with HttpClient(self.url, timeout=2) as client:
                    if client.get("/healthz").status_code == 200:
                        return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s; see {self.log}")

    def workers_memory(self) -> list[dict[str, Any]]:
        """Peak (VmHWM) and current (VmRSS) resident memory of each worker process, in MB."""
        assert self.process is not None
        return [
            {"pid": pid, "peak_mb": _status_mb(pid, "VmHWM"), "rss_mb": _status_mb(pid, "VmRSS")}
            for pid in _children(self.process.pid)
            if "resource_tracker" not in _cmdline(pid)
        ]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session this server was started in
            self.process.wait()


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(entry.name))
    return sorted(children)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# --- requests ----------------------------------------------------------------------------


@dataclass
class Response:
    method: str
    path: str
    status_code: int
    headers: dict[str, str]  # names in lower case
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class HttpClient:
    """One keep-alive HTTP/1.1 connection (the standard library's http.client), for one thread.

    The figures are the server's, so the client must cost little: about 0.15–0.25 ms of the
    bench's CPU a request (bench/README.md), where httpx took 0.5–0.8 ms (on 2 CPUs, that was taken
    from the server when 8 clients create tickets, and added to every latency). Errors: OSError (TimeoutError when
    the server does not answer in `timeout` seconds) and http.client.HTTPException.
    """

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, timeout: float) -> None:
        address = urlsplit(url)
        self._connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=timeout)
        self._headers = headers or {}

    def get(self, path: str) -> Response:
        return self._request("GET", path, None, self._headers)

    def post(self, path: str, payload: Any) -> Response:
        """`payload` sent as JSON."""
        body = json.dumps(payload).encode()
        return self._request("POST", path, body, {**self._headers, "Content-Type": "application/json"})

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        for attempt in (1, 2):
            try:
                self._connection.request(method, path, body=body, headers=headers)
                answer = self._connection.getresponse()
                content = answer.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._connection.close()  # the server closed an idle connection: open a new one, once
                if attempt == 2:
                    raise
        return Response(method, path, answer.status, {k.lower(): v for k, v in answer.getheaders()}, content)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check(response: Response, expected: int, what: str) -> None:
    if response.status_code != expected:
        where = response.headers.get("location", "")
        detail = f" (redirect to {where})" if where else f": {response.text[:160]!r}"
        raise NotMeasured(f"{response.method} {what} answered {response.status_code}{detail}")


def latency(
    client: HttpClient,
    paths: Callable[[int], str],
    *,
    requests: int,
    warmup: int = 10,
    budget: float = 60.0,
    check: Callable[[Response], str] | None = None,
) -> tuple[list[float], str]:
    """Milliseconds for each of `requests` sequential GETs of paths(i), after `warmup` unmeasured ones.

    A slow figure stops after `budget` seconds once it has 20 samples; the note then says so.
    """
    note = ""
    started = time.perf_counter()
    for n in range(warmup):
        response = client.get(paths(n))
        _check(response, 200, paths(n))
        if check is not None and not note:
            note = check(response)
        if time.perf_counter() - started > budget / 10:
            break  # slow pages are warm after a request or two
    timings: list[float] = []
    started = time.perf_counter()
    for n in range(requests):
        path = paths(warmup + n)
        sent = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - sent) * 1000)
        _check(response, 200, path)
        if len(timings) >= 20 and time.perf_counter() - started > budget:
            note = f"stopped after {len(timings)} of {requests} requests ({budget:.0f} s budget); " + note
            break
    return timings, note


def percentiles(timings: Sequence[float], digits: int = 2) -> tuple[float, float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return round(statistics.median(ordered), digits), round(p95, digits)


def create_rate(
    make_client: Callable[[], HttpClient], payload: Callable[[int], dict[str, Any]], *, total: int, clients: int
) -> float:
    """Tickets per second through POST /api/v1/tickets with `clients` concurrent clients."""
    errors: list[BaseException] = []
    per_client = total // clients

    def run(offset: int) -> None:
        try:
            with make_client() as client:
                for n in range(per_client):
                    response = client.post("/api/v1/tickets", payload(offset * per_client + n))
                    _check(response, 201, "/api/v1/tickets")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with make_client() as client:  # one unmeasured request, so a missing endpoint fails fast
        _check(client.post("/api/v1/tickets", payload(-1)), 201, "/api/v1/tickets")
    threads = [threading.Thread(target=run, args=(offset,)) for offset in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise (
            errors[0] if isinstance(errors[0], NotMeasured) else NotMeasured(f"{type(errors[0]).__name__}: {errors[0]}")
        )
    return round(per_client * clients / seconds, 1)


def copy_log_tail(log: Path, lines: int = 20) -> str:
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
