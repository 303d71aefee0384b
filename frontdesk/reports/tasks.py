from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from frontdesk.reports.services import weekly_report_queue


@db_periodic_task(crontab(minute="0"))
@lock_task("reports-weekly")
def queue_weekly_report() -> int:
    """Every hour: from Monday 07:00 (site time) on, last week's report for each admin and supervisor
    who has not got it (Huey's clock is UTC, so the service decides on the site's time)."""
    return weekly_report_queue(now=timezone.now())
