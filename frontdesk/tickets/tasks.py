from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from frontdesk.tickets.services import tickets_close_solved


@db_periodic_task(crontab(minute="*/10"))
@lock_task("tickets-close-solved")
def close_solved_tickets() -> int:
    """Every ten minutes: close tickets solved more than four days ago."""
    return tickets_close_solved(now=timezone.now(), after=timedelta(days=4))


@db_task()
def close_solved_tickets_now() -> int:
    """The same sweep on demand (the command line, tests of real workers)."""
    return tickets_close_solved(now=timezone.now(), after=timedelta(days=4))
