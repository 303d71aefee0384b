from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from frontdesk.notifications.services import staff_emails_send_due, webhook_deliveries_send_due


@db_task()
def send_staff_emails() -> int:
    return staff_emails_send_due(now=timezone.now())


@db_task()
def deliver_webhooks() -> int:
    return webhook_deliveries_send_due(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("notifications-outbox")
def sweep_outboxes() -> int:
    """Every minute: what is due again (retries) or was left by a process that died."""
    now = timezone.now()
    return staff_emails_send_due(now=now) + webhook_deliveries_send_due(now=now)
