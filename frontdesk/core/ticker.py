"""Jobs that must run more often than once a minute (Huey's periodic jobs run at most that often).

An app registers one in its `AppConfig.ready()` with `every(seconds, function)`. The embedded
server and each `frontdesk worker` that runs periodic jobs start one daemon thread that calls
each job in turn when it is due. A job takes no arguments, must be safe to run in several
processes at once, and gets its own database connection, closed after each run; one that
raises is logged and runs again next time.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass
class _Job:
    name: str
    seconds: float
    function: Callable[[], object]
    next_run: float = 0.0


_jobs: dict[str, _Job] = {}


def every(seconds: float, function: Callable[[], object], *, name: str) -> None:
    _jobs[name] = _Job(name, seconds, function)


def jobs() -> list[str]:
    return sorted(_jobs)


def run_due(clock: Callable[[], float] = time.monotonic) -> float:
    """Run the jobs that are due; returns how long until the next one is."""
    for job in _jobs.values():
        if clock() < job.next_run:
            continue
        job.next_run = clock() + job.seconds
        try:
            job.function()
        except Exception:
            logger.exception("ticker job failed", extra={"job": job.name})
        finally:
            close_old_connections()
    if not _jobs:
        return 60.0
    return max(0.0, min(job.next_run for job in _jobs.values()) - clock())


def start() -> threading.Event:
    """Start the ticker thread; set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            stop.wait(run_due())

    threading.Thread(target=loop, name="frontdesk-ticker", daemon=True).start()
    return stop
