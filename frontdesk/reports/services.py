"""Every write of the reports: the weekly report e-mail.

From Monday 07:00 (site time zone) `weekly_report_queue` makes last week's agent
report and writes one outbox row per active admin and supervisor — subject, text body
in the recipient's language, and the CSV to attach. A unique constraint on (recipient,
period) makes a second run add nothing. `report_emails_send_due` sends what is due
through Django's e-mail backend (the `FRONTDESK_EMAIL_*` settings), outside any
transaction, retrying a temporary failure with backoff and giving up after
`MAX_ATTEMPTS`; a permanent refusal (5xx) fails at once.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import MANAGER_ROLES, User
from frontdesk.reports.exports import agent_csv, csv_filename, text_table
from frontdesk.reports.models import ReportEmail, ReportEmailStatus
from frontdesk.reports.periods import Preset, preset_period
from frontdesk.reports.selectors import agent_metrics, report_total

logger = logging.getLogger(__name__)

SEND_WEEKDAY, SEND_HOUR = 0, 7  # the weekly report goes out on Monday at 07:00, site time
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SENDING_LEASE = timedelta(minutes=10)  # a claimed e-mail is tried again after this if its sender died


def weekly_report_queue(*, now: datetime) -> int:
    """Last week's report (Monday to Sunday) for every active admin and supervisor who does not have it
    yet, written to the outbox. From Monday 07:00 on: on Monday before then it does nothing (last week's
    report waits for 07:00), and later in the week it catches up on a Monday the server missed.
    Returns how many e-mails were queued."""
    local = timezone.localtime(now)
    if local.weekday() == SEND_WEEKDAY and local.hour < SEND_HOUR:
        return 0
    period = preset_period(Preset.LAST_WEEK, now=now, zone=timezone.get_current_timezone())
    recipients = list(
        User.objects.filter(is_active=True, role__in=MANAGER_ROLES)
        .exclude(pk__in=ReportEmail.objects.filter(period_start=period.start).values("recipient_id"))
        .order_by("pk")
    )
    if not recipients:
        return 0
    rows = agent_metrics(start=period.start, end=period.end, now=now)
    csv = agent_csv(rows)
    emails = []
    for recipient in recipients:
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            dates = {"first": period.first_day.isoformat(), "last": period.last_day.isoformat()}
            body = render_to_string(
                "reports/weekly_email.txt",
                {"recipient": recipient, "dates": dates, "table": text_table(rows, report_total(rows, _("Total")))},
            )
            subject = _("Agent report for %(first)s to %(last)s") % dates
        emails.append(
            ReportEmail(
                recipient=recipient,
                to_address=recipient.email,
                period_start=period.start,
                period_end=period.end,
                subject=subject,
                body=body,
                csv=csv,
                csv_filename=csv_filename("agents", period),
                next_attempt_at=now,
                created_at=now,
            )
        )
    # Two runs at once: the second's rows conflict with the first's and are left out.
    ReportEmail.objects.bulk_create(emails, ignore_conflicts=True)
    transaction.on_commit(_send_soon, robust=True)
    return len(emails)


def _send_soon() -> None:
    from frontdesk.reports.tasks import send_report_emails

    send_report_emails()


def _claim(now: datetime, limit: int) -> list[int]:
    """Due e-mails, claimed for SENDING_LEASE so that two senders never send one twice."""
    with transaction.atomic():
        due = (
            ReportEmail.objects.select_for_update(skip_locked=True)
            .filter(status=ReportEmailStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:limit]
        )
        ids = [email.pk for email in due]
        ReportEmail.objects.filter(pk__in=ids).update(next_attempt_at=now + SENDING_LEASE)
    return ids


def report_emails_send_due(*, now: datetime, limit: int = 50) -> int:
    """Send the report e-mails that are due. Returns how many were sent."""
    sent = 0
    for pk in _claim(now, limit):
        email = ReportEmail.objects.get(pk=pk)
        message = EmailMessage(
            subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to_address]
        )
        message.attach(email.csv_filename, email.csv, "text/csv")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            _sending_failed(email, error, now)
            continue
        ReportEmail.objects.filter(pk=pk).update(
            status=ReportEmailStatus.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
        )
        sent += 1
    return sent


def _permanent(error: Exception) -> bool:
    """The server refused for good (5xx): trying again would get the same answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _sending_failed(email: ReportEmail, error: Exception, now: datetime) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    if not _permanent(error) and email.attempts < MAX_ATTEMPTS:
        email.next_attempt_at = now + RETRY_DELAYS[email.attempts - 1]
    else:
        email.status = ReportEmailStatus.FAILED
        logger.warning(
            "report e-mail failed", extra={"report_email": email.pk, "to": email.to_address, "error": email.last_error}
        )
    email.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
