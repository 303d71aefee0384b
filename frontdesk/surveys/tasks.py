from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from frontdesk.surveys.services import digest_queue


@db_periodic_task(crontab(minute="5"))
@lock_task("surveys-digest")
def queue_digest() -> int:
    """Every hour: from Monday 07:00 (site time) on, last week's feedback digest for each supervisor
    and admin who has not got it."""
    return digest_queue(now=timezone.now())
