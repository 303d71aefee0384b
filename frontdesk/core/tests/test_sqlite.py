import threading
import time
from pathlib import Path
from typing import Any

from django.db.utils import ConnectionHandler


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
