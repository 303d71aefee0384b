"""SQLite whose write transactions queue on a file lock instead of SQLite's busy loop.

Frontdesk begins every SQLite transaction IMMEDIATE (the write lock up front, so no
transaction fails on a lock upgrade). When another connection holds the lock,
SQLite's busy handler sleeps and retries — 1, 2, 5, 10 … 100 ms — so concurrent
writers oversleep: with 8 API clients, creating a ticket took 12 ms at the median
but up to 1.2 s. Here a writer first takes an exclusive `flock` on
`<database>.lock`, which the kernel hands to the next waiter the moment it is
released, across threads and processes. In-memory databases need no lock.
"""

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _holding = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self._lock_fd = os.open(f"{self.settings_dict['NAME']}.lock", os.O_RDWR | os.O_CREAT, 0o600)
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
