from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from frontdesk.mail.services import emails_process_waiting, mailboxes_poll, outbox_send_due


@db_task()
def send_outbox() -> int:
    """Send what is due, right after mail someone waits for is queued (services.SENT_AT_ONCE;
    the periodic sweep catches the rest)."""
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
    return sum(stored for _mailbox, stored in mailboxes_poll(now=timezone.now()))


@db_periodic_task(crontab(minute="*"))
@lock_task("mail-waiting")
def process_waiting_mail() -> int:
    """Every minute: process mail a process stored but died before processing."""
    return emails_process_waiting(now=timezone.now())
