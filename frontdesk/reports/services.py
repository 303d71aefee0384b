"""Every write of the reports: the weekly report e-mail.

From Monday 07:00 (site time zone) `weekly_report_queue` makes last week's agent report and
writes an e-mail to each active admin and supervisor — subject, text body in the recipient's
language, and the CSV attached — to the staff e-mail outbox (notifications app), keyed by
recipient and week, so that a second run adds nothing. The outbox sends and retries it.
"""

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import MANAGER_ROLES, User
from frontdesk.notifications.models import StaffEmail
from frontdesk.notifications.services import staff_email_queue
from frontdesk.reports.exports import agent_csv, csv_filename, text_table
from frontdesk.reports.periods import Preset, preset_period
from frontdesk.reports.selectors import agent_metrics, report_total

SEND_WEEKDAY, SEND_HOUR = 0, 7  # the weekly report goes out on Monday at 07:00, site time


def weekly_report_queue(*, now: datetime) -> int:
    """Last week's report (Monday to Sunday) for every active admin and supervisor who does not have it
    yet, written to the outbox. From Monday 07:00 on: on Monday before then it does nothing (last week's
    report waits for 07:00), and later in the week it catches up on a Monday the server missed.
    Returns how many e-mails were queued."""
    local = timezone.localtime(now)
    if local.weekday() == SEND_WEEKDAY and local.hour < SEND_HOUR:
        return 0
    period = preset_period(Preset.LAST_WEEK, now=now, zone=timezone.get_current_timezone())
    key = f"weekly-report:{period.first_day.isoformat()}"
    managers = list(User.objects.filter(is_active=True, role__in=MANAGER_ROLES).order_by("pk"))
    sent = set(
        StaffEmail.objects.filter(key__in=[f"{key}:{user.pk}" for user in managers]).values_list("key", flat=True)
    )
    recipients = [user for user in managers if f"{key}:{user.pk}" not in sent]
    if not recipients:
        return 0
    rows = agent_metrics(start=period.start, end=period.end, now=now)
    csv = agent_csv(rows)
    queued = 0
    for recipient in recipients:
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            dates = {"first": period.first_day.isoformat(), "last": period.last_day.isoformat()}
            body = render_to_string(
                "reports/weekly_email.txt",
                {"recipient": recipient, "dates": dates, "table": text_table(rows, report_total(rows, _("Total")))},
            )
            subject = _("Agent report for %(first)s to %(last)s") % dates
        # Two runs at once: the second's row conflicts with the first's (same key) and is left out.
        queued += staff_email_queue(
            recipients=[recipient],
            subject=subject,
            body=body,
            key=key,
            attachment=(csv_filename("agents", period), csv, "text/csv"),
            now=now,
        )
    return queued
