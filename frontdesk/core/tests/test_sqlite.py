import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from frontdesk.core.sqlite import base as sqlite_base
from frontdesk.core.sqlite.base import _Checkpointer
from frontdesk.core.sqlite.statistics import analyze_new_indexes


def _handler(path: Path) -> ConnectionHandler:
    # A busy timeout far shorter than the first writer's transaction: without the
    # file lock the second BEGIN IMMEDIATE would fail with "database is locked".
    options = {"transaction_mode": "IMMEDIATE", "timeout": 0.05}
    return ConnectionHandler({"default": {"ENGINE": "frontdesk.core.sqlite", "NAME": str(path), "OPTIONS": options}})


def test_a_second_writer_waits_for_the_first_to_commit_instead_of_failing(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    handler = _handler(tmp_path / "queue.sqlite3")
    first_in_transaction, events = threading.Event(), []

    def first() -> None:
        connection = handler.create_connection("default")
        connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE note (text TEXT)")
        first_in_transaction.set()
        time.sleep(0.3)
        events.append("first commits")
        connection.commit()
        connection.set_autocommit(True)
        connection.close()

    def second() -> None:
        connection = handler.create_connection("default")
        first_in_transaction.wait()
        connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        events.append("second begins")
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note VALUES ('after the first')")
        connection.commit()
        connection.set_autocommit(True)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    with django_db_blocker.unblock():  # its own database file, not the test database
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    assert events == ["first commits", "second begins"]


def _write_transactions(connection: Any, count: int) -> None:
    for _ in range(count):
        connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note VALUES (randomblob(3000))")
        connection.commit()
        connection.set_autocommit(True)


def test_writers_leave_checkpoints_to_the_checkpointer_and_the_wal_is_reused(
    tmp_path: Path, django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process's own checkpointer thread stays out of it: this test checkpoints at a chosen moment.
    monkeypatch.setattr(sqlite_base, "CHECKPOINT_EVERY", 1_000_000)
    monkeypatch.setattr(sqlite_base, "CHECKPOINT_INTERVAL", 3600.0)
    path = tmp_path / "wal.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "frontdesk.core.sqlite",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE"},
            }
        }
    )
    with django_db_blocker.unblock():
        connection = handler.create_connection("default")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone() == (0,)  # no checkpoint inside a writer's commit
            cursor.execute("CREATE TABLE note (text BLOB)")
        _write_transactions(connection, 50)
        filled = Path(f"{path}-wal").stat().st_size

        lock_fd = os.open(f"{path}.lock", os.O_RDWR)
        _Checkpointer.checkpoint(sqlite3.connect(path), lock_fd)
        os.close(lock_fd)
        _write_transactions(connection, 50)  # the same again: written over the copied WAL
        reused = Path(f"{path}-wal").stat().st_size
        connection.close()

    # Without a checkpoint (SQLite's own waits for 1,000 pages) the WAL would have grown to twice that.
    assert reused <= filled


def test_an_index_added_after_the_statistics_is_measured_once(tmp_path: Path, django_db_blocker: Any) -> None:
    connection = _handler(tmp_path / "stats.sqlite3").create_connection("default")

    def run(*statements: str) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    with django_db_blocker.unblock():  # its own database file, not the test database
        run(
            "CREATE TABLE ticket (team INTEGER, status TEXT)",
            "CREATE INDEX ticket_team ON ticket (team)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
            "INSERT INTO ticket SELECT i % 10, 'open' FROM n",
            "CREATE TABLE never_analysed (x INTEGER)",
            "CREATE INDEX never_analysed_x ON never_analysed (x)",
        )
        before_any = analyze_new_indexes(connection)  # no statistics at all: nothing is compared
        run("ANALYZE ticket", "CREATE INDEX ticket_status ON ticket (status)")
        measured = analyze_new_indexes(connection)
        again = analyze_new_indexes(connection)
        with connection.cursor() as cursor:
            cursor.execute("SELECT idx FROM sqlite_stat1 ORDER BY idx")
            statistics = [idx for (idx,) in cursor.fetchall()]
        connection.close()

    assert before_any == []
    assert measured == ["ticket_status"]
    assert again == []
    assert statistics == ["ticket_status", "ticket_team"]
