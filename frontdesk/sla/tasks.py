from django.utils import timezone
from huey.contrib.djhuey import db_task, lock_task

from frontdesk.sla.services import sla_refresh_all


@db_task()
@lock_task("sla-refresh-all")
def refresh_all() -> int:
    """Refresh every open ticket's clocks after a policy or calendar changed."""
    return sla_refresh_all(now=timezone.now())
