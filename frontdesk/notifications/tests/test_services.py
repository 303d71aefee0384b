"""Notifications against real servers on loopback: webhooks POSTed to a threaded HTTP server,
staff e-mail sent to aiosmtpd, in-app notifications pushed after commit."""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.mail.tests.servers import (
    SmtpServer,
    free_port,
    parsed,
    smtp_server,
    staff_smtp,
    tls_certificate,
    trust_test_certificate,
)
from frontdesk.notifications.models import DeliveryStatus, Notification, StaffEmail, Webhook, WebhookDelivery
from frontdesk.notifications.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    SENDING_LEASE,
    notify,
    staff_email_queue,
    staff_emails_send_due,
    user_group,
    webhook_deliveries_send_due,
    webhook_save,
    webhooks_queue,
)
from frontdesk.tickets.tests.factories import NOW

__all__ = ["smtp_server", "staff_smtp", "tls_certificate", "trust_test_certificate"]  # the aiosmtpd fixtures

SECRET = "whsec-0123456789abcdef"  # a test endpoint's signing secret


# --- a webhook endpoint on loopback --------------------------------------------------------


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST and answers with the statuses
    in `answers`, in turn (200 once they run out), after `delay` seconds."""

    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers.items()), body, time.time()))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/hook"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def deliveries(self) -> Counter[int]:
        """How many times each delivery id arrived."""
        with self._lock:
            return Counter(int(item.headers["Frontdesk-Delivery"]) for item in self.received)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def signature_valid(received: Received, secret: str) -> bool:
    """Check the Frontdesk-Signature header as a receiver would: HMAC-SHA256 of "<t>.<body>"."""
    parts = dict(part.split("=", 1) for part in received.headers["Frontdesk-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def admin() -> User:
    return UserFactory.create(role=Role.ADMIN)


def hook(url: str, events: list[str] | None = None, name: str = "ops", *, is_active: bool = True) -> Webhook:
    return webhook_save(
        name=name, url=url, secret=SECRET, events=events or [], is_active=is_active, actor=admin(), now=NOW
    )


def queued(event: str = "sla.breach", **payload: Any) -> list[WebhookDelivery]:
    """Deliveries written as a service writes them; the test's transaction never commits, so the
    after-commit send does not run and the test sends them itself."""
    webhooks_queue(event=event, payload={"ticket": {"id": 7}, **payload}, now=NOW)
    return list(WebhookDelivery.objects.filter(event=event).order_by("pk"))


def state(delivery: WebhookDelivery) -> tuple[str, int, Any, int | None]:
    delivery.refresh_from_db()
    return delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.response_status


# --- webhooks --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_webhook_is_a_signed_json_post_sent_after_commit(
    receiver: WebhookReceiver, django_capture_on_commit_callbacks: Any
) -> None:
    hook(receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks_queue(event="sla.breach", payload={"ticket": {"id": 7, "subject": "Late check-in"}}, now=NOW)
        assert receiver.received == []  # nothing leaves inside the transaction

    [delivery] = WebhookDelivery.objects.all()
    [received] = receiver.received
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Frontdesk-Event"] == "sla.breach"
    assert received.headers["Frontdesk-Delivery"] == str(delivery.pk)
    assert received.json() == {
        "event": "sla.breach",
        "sent_at": "2026-11-02T09:00:00Z",
        "ticket": {"id": 7, "subject": "Late check-in"},
    }
    assert signature_valid(received, SECRET)
    assert not signature_valid(received, SECRET + "x")
    assert state(delivery)[:2] == (DeliveryStatus.SENT, 1)
    assert delivery.response_status == 200


@pytest.mark.django_db
def test_the_signature_covers_the_body(receiver: WebhookReceiver) -> None:
    hook(receiver.url)
    queued()
    webhook_deliveries_send_due(now=NOW)
    [received] = receiver.received
    tampered = Received(received.headers, received.body.replace(b'"id":7', b'"id":8'), received.at)

    assert signature_valid(received, SECRET)
    assert not signature_valid(tampered, SECRET)


@pytest.mark.django_db
def test_a_webhook_gets_only_the_events_it_subscribed_to(receiver: WebhookReceiver) -> None:
    breaches = hook(receiver.url + "?breaches", events=["sla.breach"], name="breaches")
    everything = hook(receiver.url + "?all", events=[], name="all")
    hook(receiver.url + "?off", events=[], name="off", is_active=False)

    queued("sla.warning")
    queued("sla.breach")
    assert webhook_deliveries_send_due(now=NOW) == 3

    sent = Counter((delivery.webhook_id, delivery.event) for delivery in WebhookDelivery.objects.all())
    assert sent == {(everything.pk, "sla.warning"): 1, (everything.pk, "sla.breach"): 1, (breaches.pk, "sla.breach"): 1}
    assert sorted(item.headers["Frontdesk-Event"] for item in receiver.received) == [
        "sla.breach",
        "sla.breach",
        "sla.warning",
    ]


@pytest.mark.django_db
def test_a_server_error_is_tried_again_after_the_backoff_then_delivered(receiver: WebhookReceiver) -> None:
    hook(receiver.url)
    [delivery] = queued()
    receiver.answers = [500, 503]

    assert webhook_deliveries_send_due(now=NOW) == 0
    assert state(delivery) == (DeliveryStatus.PENDING, 1, NOW + RETRY_DELAYS[0], 500)
    assert delivery.last_error == "HTTP 500"
    assert webhook_deliveries_send_due(now=NOW + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0
    assert len(receiver.received) == 1  # not due yet: not tried

    later = NOW + RETRY_DELAYS[0]
    assert webhook_deliveries_send_due(now=later) == 0
    assert state(delivery) == (DeliveryStatus.PENDING, 2, later + RETRY_DELAYS[1], 503)
    assert webhook_deliveries_send_due(now=later + RETRY_DELAYS[1]) == 1

    assert state(delivery) == (DeliveryStatus.SENT, 3, later + RETRY_DELAYS[1] + SENDING_LEASE, 200)
    assert delivery.delivered_at == later + RETRY_DELAYS[1]
    assert delivery.last_error == ""
    assert len(receiver.received) == 3
    assert len({item.body for item in receiver.received}) == 1  # the same event each time


@pytest.mark.django_db
def test_a_client_error_fails_the_delivery_at_once(receiver: WebhookReceiver) -> None:
    hook(receiver.url)
    [delivery] = queued()
    receiver.answers = [400]

    assert webhook_deliveries_send_due(now=NOW) == 0
    assert state(delivery)[:2] == (DeliveryStatus.FAILED, 1)
    assert delivery.response_status == 400
    assert webhook_deliveries_send_due(now=NOW + timedelta(days=1)) == 0
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_too_many_requests_is_tried_again(receiver: WebhookReceiver) -> None:
    hook(receiver.url)
    [delivery] = queued()
    receiver.answers = [429]

    webhook_deliveries_send_due(now=NOW)

    assert state(delivery) == (DeliveryStatus.PENDING, 1, NOW + RETRY_DELAYS[0], 429)


@pytest.mark.django_db
def test_an_unreachable_endpoint_is_tried_again_with_backoff_and_fails_after_the_last_attempt() -> None:
    hook(f"http://127.0.0.1:{free_port()}/hook")  # nothing listens
    [delivery] = queued()

    now = NOW
    schedule = []
    for _attempt in range(MAX_ATTEMPTS):
        assert webhook_deliveries_send_due(now=now) == 0
        status, attempts, next_attempt_at, _response = state(delivery)
        schedule.append((status, attempts, next_attempt_at - now))
        now = next_attempt_at

    assert schedule[:-1] == [
        (DeliveryStatus.PENDING, attempt, delay) for attempt, delay in enumerate(RETRY_DELAYS, start=1)
    ]
    assert schedule[-1][:2] == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in delivery.last_error or "Connection refused" in delivery.last_error
    assert webhook_deliveries_send_due(now=now + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_a_delivery_left_by_a_sender_that_died_is_sent_once_its_lease_ends(receiver: WebhookReceiver) -> None:
    hook(receiver.url)
    [delivery] = queued()
    with mock.patch("urllib.request.urlopen", side_effect=SystemExit), pytest.raises(SystemExit):
        webhook_deliveries_send_due(now=NOW)  # the process dies while posting

    assert webhook_deliveries_send_due(now=NOW + SENDING_LEASE - timedelta(seconds=1)) == 0
    assert webhook_deliveries_send_due(now=NOW + SENDING_LEASE) == 1
    assert receiver.deliveries() == {delivery.pk: 1}


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_senders_never_send_a_delivery_twice(transactional_db: None, receiver: WebhookReceiver) -> None:
    """Four threads, each with its own PostgreSQL connection, send the same 40 due deliveries;
    the endpoint is slow, so they claim while the others are still posting."""
    endpoint = hook(receiver.url)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(webhook=endpoint, event="sla.breach", payload={"n": n}, next_attempt_at=NOW, created_at=NOW)
            for n in range(40)
        ]
    )
    receiver.delay = 0.05
    start = threading.Barrier(4)
    sent: list[int] = []

    def sender() -> None:
        try:
            start.wait()
            while count := webhook_deliveries_send_due(now=NOW, limit=3):
                sent.append(count)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    ids = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert receiver.deliveries() == dict.fromkeys(ids, 1)
    assert sum(sent) == 40
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


# --- staff e-mail ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_email_is_sent_after_commit_through_the_smtp_server(
    smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    lead = UserFactory.create(name="Lina Lead", email="lina@hotel.example")
    UserFactory.create(email="gone@hotel.example", is_active=False)
    gone = User.objects.get(email="gone@hotel.example")

    with django_capture_on_commit_callbacks(execute=True):
        queued_count = staff_email_queue(
            recipients=[lead, lead, gone],
            subject="SLA breached: First response on #7 Late check-in",
            body="Ticket #7 is past its first-response target.\n\nhttp://127.0.0.1:8000/tickets/7/\n",
            now=NOW,
        )
        assert smtp.received == []

    assert queued_count == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["lina@hotel.example"]
    message = parsed(received.data)
    assert message["Subject"] == "SLA breached: First response on #7 Late check-in"
    assert message["To"] == "lina@hotel.example"
    assert message["From"] == "Frontdesk <frontdesk@hotel.example>"
    assert "past its first-response target" in message.get_content()
    row = StaffEmail.objects.get()
    assert (row.status, row.attempts, row.recipient) == (DeliveryStatus.SENT, 1, lead)
    assert row.sent_at is not None  # the after-commit job reads the clock


@pytest.mark.django_db
def test_staff_email_with_an_attachment(smtp: SmtpServer) -> None:
    staff_email_queue(
        recipients=[UserFactory.create(email="isabel@hotel.example")],
        subject="Weekly SLA",
        body="Attached.",
        attachment=("sla.csv", "policy,attained\nGold,98%\n", "text/csv"),
        now=NOW,
    )
    assert staff_emails_send_due(now=NOW) == 1

    message = parsed(smtp.received[0].data)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "sla.csv"
    assert attachment.get_content().replace("\r\n", "\n") == "policy,attained\nGold,98%\n"  # CRLF on the wire


@pytest.mark.django_db
def test_a_temporary_smtp_failure_is_tried_again_after_the_backoff(smtp: SmtpServer) -> None:
    staff_email_queue(recipients=[UserFactory.create(email="lina@hotel.example")], subject="S", body="B", now=NOW)
    smtp.fail_next("451 4.3.0 Try again later")

    assert staff_emails_send_due(now=NOW) == 0
    row = StaffEmail.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.PENDING, 1, NOW + RETRY_DELAYS[0])
    assert "451" in row.last_error
    assert staff_emails_send_due(now=NOW + RETRY_DELAYS[0] - timedelta(seconds=1)) == 0
    assert staff_emails_send_due(now=NOW + RETRY_DELAYS[0]) == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(smtp.received) == 1


@pytest.mark.django_db
def test_a_refused_recipient_fails_the_email_at_once(smtp: SmtpServer) -> None:
    staff_email_queue(recipients=[UserFactory.create(email="nobody@hotel.example")], subject="S", body="B", now=NOW)
    smtp.refuse("nobody@hotel.example", "550 5.1.1 No such user")

    assert staff_emails_send_due(now=NOW) == 0

    row = StaffEmail.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert staff_emails_send_due(now=NOW + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_staff_email_with_a_key_is_written_once_per_recipient() -> None:
    lina = UserFactory.create(email="lina@hotel.example")
    for _ in range(3):
        staff_email_queue(recipients=[lina], subject="Weekly", body="B", key="weekly:2026-45", now=NOW)

    assert list(StaffEmail.objects.values_list("key", flat=True)) == [f"weekly:2026-45:{lina.pk}"]


# --- in-app -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_writes_one_row_per_active_recipient_and_pushes_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    ana, ben = UserFactory.create(), UserFactory.create()
    gone = UserFactory.create(is_active=False)
    pushes: list[tuple[str, dict[str, str]]] = []

    with (
        mock.patch("frontdesk.notifications.services.broadcast", side_effect=lambda *args: pushes.append(args)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        rows = notify(recipients=[ana, ben, ana, gone], kind="sla.breach", title="SLA breached", body="…", now=NOW)
        assert pushes == []

    assert len(rows) == 2
    assert sorted(Notification.objects.values_list("recipient_id", "kind", "title")) == [
        (ana.pk, "sla.breach", "SLA breached"),
        (ben.pk, "sla.breach", "SLA breached"),
    ]
    assert sorted(pushes) == sorted(
        [(user_group(ana.pk), {"type": "notification"}), (user_group(ben.pk), {"type": "notification"})]
    )


@pytest.mark.django_db
def test_notify_in_a_transaction_that_rolls_back_writes_and_pushes_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    ana = UserFactory.create()
    pushes: list[object] = []

    def decide_then_fail() -> None:
        with transaction.atomic():
            notify(recipients=[ana], kind="sla.warning", title="SLA warning", now=NOW)
            raise RuntimeError("the decision is undone")

    with (
        mock.patch("frontdesk.notifications.services.broadcast", side_effect=lambda *args: pushes.append(args)),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        decide_then_fail()

    assert callbacks == []
    assert pushes == []
    assert not Notification.objects.exists()
