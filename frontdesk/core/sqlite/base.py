"""SQLite whose write transactions queue on a file lock instead of SQLite's busy loop, and whose
WAL is copied back into the database outside any write transaction.

Frontdesk begins every SQLite transaction IMMEDIATE (the write lock up front, so no
transaction fails on a lock upgrade). When another connection holds the lock,
SQLite's busy handler sleeps and retries — 1, 2, 5, 10 … 100 ms — so concurrent
writers oversleep: with 8 API clients, creating a ticket took 12 ms at the median
but up to 1.2 s. Here a writer first takes an exclusive `flock` on
`<database>.lock`, which the kernel hands to the next waiter the moment it is
released, across threads and processes. In-memory databases need no lock.

Checkpoints: SQLite's automatic checkpoint runs inside the commit that
takes the WAL past 1,000 pages, while that writer still holds the write lock, and with
`synchronous=NORMAL` it syncs the WAL and the database file — every writer queued behind
it waits for that. Creating a ticket writes about 50 pages, so one commit in 20 paid for
a checkpoint: half of the average commit's time. Here automatic checkpoints are off on
every connection to a database file, and one thread per process and file checkpoints
after every `CHECKPOINT_EVERY` commits of the process, and at least once a second (writes
outside transactions are not counted; with nothing to copy a checkpoint costs a few
microseconds). Its PASSIVE checkpoint (the kind the automatic one is) copies the WAL while
writers go on appending to it; only the few pages they appended meanwhile are copied
holding the lock (see `_Checkpointer`). Durability is unchanged: a transaction is durable
once its commit is in the WAL, as before.
"""

import fcntl
import logging
import os
import sqlite3
import threading
from typing import Any

from django.db.backends.sqlite3 import base

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 20  # commits; at ~50 pages a ticket, about SQLite's own 1,000 pages
CHECKPOINT_INTERVAL = 1.0  # seconds at most between checkpoints


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _holding = False
    _checkpointer: "_Checkpointer | None" = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self._lock_fd = os.open(f"{self.settings_dict['NAME']}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            connection.execute("PRAGMA wal_autocheckpoint=0")  # _Checkpointer does it, outside the write lock
            self._checkpointer = _checkpointer_for(str(self.settings_dict["NAME"]))
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        if self._lock_fd is not None and not self._holding:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # blocks until the writer before us commits
            self._holding = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in django-stubs
        except BaseException:
            self._release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release()
        if self._checkpointer is not None:
            self._checkpointer.committed()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _release(self) -> None:
        if self._holding and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._holding = False


class _Checkpointer:
    """A daemon thread with its own connection that copies the WAL into the database file.

    Each round is two PASSIVE checkpoints: the first, without the write lock, copies what
    is there; the second, holding the file lock writers queue on, copies only what they
    committed meanwhile, so that the WAL ends fully copied and the next writer starts it
    again from the beginning (as after SQLite's own checkpoint) instead of letting it grow.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = os.getpid()
        self._commits = 0
        self._due = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._commits += 1  # a lost increment under a race only delays a checkpoint a little
        if self._commits >= CHECKPOINT_EVERY:
            self._commits = 0
            self._due.set()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=20, check_same_thread=False)
        lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            self._due.wait(CHECKPOINT_INTERVAL)
            self._due.clear()
            try:
                self.checkpoint(connection, lock_fd)
            except Exception:  # a passing error (disk full, …): the next round catches up
                logger.warning("sqlite checkpoint failed", exc_info=True)

    @staticmethod
    def checkpoint(connection: sqlite3.Connection, lock_fd: int) -> None:
        busy, frames, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if busy or frames <= 0:  # another process is checkpointing, or the WAL is empty (or not in use)
            return
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)


_checkpointers: dict[str, _Checkpointer] = {}
_checkpointers_lock = threading.Lock()


def _checkpointer_for(path: str) -> _Checkpointer:
    """This process's checkpointer for the database file (a forked child starts its own)."""
    with _checkpointers_lock:
        checkpointer = _checkpointers.get(path)
        if checkpointer is None or checkpointer.pid != os.getpid():
            checkpointer = _checkpointers[path] = _Checkpointer(path)
        return checkpointer
