from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from frontdesk.routing.services import routing_assign_waiting, routing_rebalance


@db_periodic_task(crontab(minute="*"))
@lock_task("routing-assign")
def assign_waiting() -> int:
    """Every minute: assign what still waits (events assign at once; this catches the rest)."""
    return routing_assign_waiting(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("routing-rebalance")
def rebalance() -> int:
    """Every minute: move unopened tickets from agents who are behind to faster ones."""
    return routing_rebalance(now=timezone.now())
