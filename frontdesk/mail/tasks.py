from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from frontdesk.mail.models import Mailbox
from frontdesk.mail.services import emails_process_waiting, mailbox_poll, outbox_send_due


@db_task()
def send_outbox() -> int:
    """Send what is due, right after an agent replies (the periodic sweep catches the rest)."""
    return outbox_send_due(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("mail-outbox")
def sweep_outbox() -> int:
    """Every minute: send due mail, including retries."""
    return outbox_send_due(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("mail-poll")
def poll_mailboxes() -> int:
    """Every minute: fetch new mail from each IMAP mailbox that is not backing off."""
    now = timezone.now()
    due = Mailbox.objects.filter(is_active=True).exclude(imap_url="")
    stored = 0
    for mailbox in due.filter(Q(imap_next_poll_at__isnull=True) | Q(imap_next_poll_at__lte=now)):
        stored += mailbox_poll(mailbox=mailbox, now=now)
    return stored


@db_periodic_task(crontab(minute="*"))
@lock_task("mail-waiting")
def process_waiting_mail() -> int:
    """Every minute: process mail a process stored but died before processing."""
    return emails_process_waiting(now=timezone.now())
