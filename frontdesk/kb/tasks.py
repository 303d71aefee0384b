from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from frontdesk.kb.services import changelog_announce_due


@db_periodic_task(crontab(minute="*/5"))
@lock_task("kb-changelog-announce")
def announce_release_notes() -> int:
    """Every five minutes: e-mail release notes that are published and due to their subscribers,
    each once (the service claims each entry, so an overlapping run sends nothing twice)."""
    return changelog_announce_due(now=timezone.now())
