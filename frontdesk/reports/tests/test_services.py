"""The weekly report e-mail: queued once per manager and week, sent through a real SMTP server."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.mail import EmailMessage as DjangoEmailMessage

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.mail.tests.servers import SmtpServer, free_port, parsed
from frontdesk.notifications import tasks as outbox_tasks
from frontdesk.notifications.models import DeliveryStatus, StaffEmail
from frontdesk.notifications.services import MAX_ATTEMPTS, RETRY_DELAYS
from frontdesk.notifications.services import staff_emails_send_due as report_emails_send_due
from frontdesk.reports import tasks
from frontdesk.reports.services import weekly_report_queue
from frontdesk.reports.tests.factories import assigned_ticket

pytestmark = pytest.mark.django_db

MONDAY_7 = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)  # the report of Monday 5 to Sunday 11 October goes out
LAST_WEEK = datetime(2026, 10, 5, tzinfo=UTC)


@pytest.fixture
def managers() -> list[User]:
    """An admin and a supervisor who get the report; an agent, and a former supervisor, who do not."""
    UserFactory.create(role=Role.AGENT, name="Ana Agent")
    UserFactory.create(role=Role.SUPERVISOR, is_active=False)
    return [
        UserFactory.create(role=Role.ADMIN, name="Alex Admin", email="alex@hotel.example"),
        UserFactory.create(role=Role.SUPERVISOR, name="Isabel", email="isabel@hotel.example", language="es"),
    ]


def test_monday_at_seven_queues_last_weeks_report_for_each_active_admin_and_supervisor(
    managers: list[User],
) -> None:
    ana = User.objects.get(name="Ana Agent")
    assigned_ticket(ana, LAST_WEEK + timedelta(days=2))

    assert weekly_report_queue(now=MONDAY_7) == 2

    emails = list(StaffEmail.objects.order_by("recipient_id"))
    assert [(e.to_address, e.key) for e in emails] == [
        (manager.email, f"weekly-report:2026-10-05:{manager.pk}") for manager in managers
    ]
    alex, isabel = emails
    assert alex.subject == "Agent report for 2026-10-05 to 2026-10-11"
    assert "Ana Agent" in alex.body
    assert (alex.attachment_name, alex.attachment_type) == ("agents-2026-10-05-2026-10-11.csv", "text/csv")
    assert alex.attachment.splitlines()[0].startswith("agent_id,agent,received,pending,closed,")
    assert any(line.split(",")[1:3] == ["Ana Agent", "1"] for line in alex.attachment.splitlines())
    assert isabel.attachment == alex.attachment


def test_running_the_queue_twice_adds_nothing(managers: list[User]) -> None:
    weekly_report_queue(now=MONDAY_7)

    assert weekly_report_queue(now=MONDAY_7 + timedelta(hours=1)) == 0
    assert StaffEmail.objects.count() == 2


def test_nothing_is_queued_on_monday_before_seven() -> None:
    UserFactory.create(role=Role.ADMIN)

    assert weekly_report_queue(now=MONDAY_7 - timedelta(minutes=1)) == 0
    assert not StaffEmail.objects.exists()


def test_a_missed_monday_is_caught_up_later_in_the_week(managers: list[User]) -> None:
    weekly_report_queue(now=MONDAY_7 + timedelta(days=2))

    assert set(StaffEmail.objects.values_list("key", flat=True)) == {
        f"weekly-report:{LAST_WEEK.date().isoformat()}:{user.pk}" for user in managers
    }


def test_due_reports_are_sent_once_with_the_table_and_the_csv_attached(managers: list[User], smtp: SmtpServer) -> None:
    weekly_report_queue(now=MONDAY_7)

    assert report_emails_send_due(now=MONDAY_7) == 2
    assert report_emails_send_due(now=MONDAY_7 + timedelta(hours=1)) == 0

    assert sorted(message.rcpt_tos[0] for message in smtp.received) == ["alex@hotel.example", "isabel@hotel.example"]
    message = parsed(next(m.data for m in smtp.received if m.rcpt_tos == ["alex@hotel.example"]))
    assert message["Subject"] == "Agent report for 2026-10-05 to 2026-10-11"
    assert message["From"] == "Frontdesk <frontdesk@hotel.example>"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Received" in body.get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "agents-2026-10-05-2026-10-11.csv"
    assert attachment.get_content_type() == "text/csv"
    sent = StaffEmail.objects.get(to_address="alex@hotel.example")
    assert (sent.status, sent.attempts, sent.sent_at) == (DeliveryStatus.SENT, 1, MONDAY_7)


def test_the_weekly_job_run_twice_sends_each_manager_one_email(
    managers: list[User], smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY_7 + timedelta(minutes=3), tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                tasks.queue_weekly_report()
        outbox_tasks.sweep_outboxes()

    assert len(smtp.received) == 2


def test_a_temporary_failure_is_retried_later(managers: list[User], smtp: SmtpServer) -> None:
    weekly_report_queue(now=MONDAY_7)
    smtp.fail_next("451 4.3.0 Try again later")

    assert report_emails_send_due(now=MONDAY_7) == 1

    waiting = StaffEmail.objects.get(status=DeliveryStatus.PENDING)
    assert (waiting.attempts, waiting.next_attempt_at) == (1, MONDAY_7 + RETRY_DELAYS[0])
    assert "451" in waiting.last_error
    assert report_emails_send_due(now=MONDAY_7 + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0
    assert report_emails_send_due(now=MONDAY_7 + RETRY_DELAYS[0]) == 1
    assert len(smtp.received) == 2


def test_an_unreachable_server_fails_the_email_after_the_last_attempt(settings: Any, managers: list[User]) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    weekly_report_queue(now=MONDAY_7)
    now = MONDAY_7
    for delay in (*RETRY_DELAYS, None):
        report_emails_send_due(now=now)
        now += delay or timedelta(0)

    statuses = set(StaffEmail.objects.values_list("status", "attempts"))
    assert statuses == {(DeliveryStatus.FAILED, MAX_ATTEMPTS)}


def test_a_permanent_refusal_fails_at_once(managers: list[User], smtp: SmtpServer) -> None:
    weekly_report_queue(now=MONDAY_7)
    smtp.refuse("alex@hotel.example", "550 5.1.1 No such user")

    report_emails_send_due(now=MONDAY_7)

    failed = StaffEmail.objects.get(to_address="alex@hotel.example")
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert [m.rcpt_tos for m in smtp.received] == [["isabel@hotel.example"]]


def test_the_csv_attachment_is_the_agents_csv(managers: list[User], mailoutbox: list[DjangoEmailMessage]) -> None:
    weekly_report_queue(now=MONDAY_7)

    report_emails_send_due(now=MONDAY_7)

    stored = StaffEmail.objects.get(to_address="alex@hotel.example")
    sent = next(message for message in mailoutbox if message.to == ["alex@hotel.example"])
    assert sent.attachments == [(stored.attachment_name, stored.attachment, "text/csv")]
