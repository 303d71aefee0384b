from django.db import connection
from django.utils.module_loading import import_string
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from frontdesk.core.sqlite.statistics import analyze_new_indexes


@db_task(retries=5, retry_delay=30)
def retry_event_handler(path: str, event: object) -> None:
    """Run a domain-event handler that failed right after commit once more."""
    from django.db import transaction

    with transaction.atomic():
        import_string(path)(event)


@db_periodic_task(crontab(minute="17"))
def optimise_sqlite() -> None:
    """Hourly on SQLite: refresh the planner's statistics where they are stale (`PRAGMA optimize`),
    so that queries such as the reports keep choosing their covering indexes as tables grow, and
    measure indexes added since (analyze_new_indexes)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
        analyze_new_indexes(connection)
