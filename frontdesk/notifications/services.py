"""Every write of notifications: in-app notifications, staff e-mail and webhooks.

Apps call `notify`, `staff_email_queue` and `webhooks_queue` inside their own transaction:
each writes rows only, so what is decided is written with the decision or not at all. After
commit a job sends what is due, outside any transaction; a sweeper every minute sends what a
dead process left behind. A claimed row is leased, so that two senders never send one twice.
Temporary failures are retried with backoff, then the row is marked failed (visible to admins).

A webhook is a JSON POST signed like Stripe's: the header
`Frontdesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`.
"""

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F

from frontdesk.accounts.models import Role, User
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.core.realtime import broadcast
from frontdesk.core.services import require_role
from frontdesk.notifications.models import DeliveryStatus, Notification, StaffEmail, Webhook, WebhookDelivery
from frontdesk.tickets.models import Ticket

logger = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SENDING_LEASE = timedelta(minutes=5)  # a claimed row is tried again after this if its sender died
WEBHOOK_TIMEOUT = 10  # seconds
SIGNATURE_HEADER = "Frontdesk-Signature"


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


# --- in-app --------------------------------------------------------------------


def notify(
    *, recipients: Iterable[User], kind: str, title: str, body: str = "", ticket: Ticket | None = None, now: datetime
) -> list[Notification]:
    """A notification for each recipient (once per person), pushed to their open pages after commit."""
    unique = {user.pk: user for user in recipients if user.is_active}
    rows = Notification.objects.bulk_create(
        [
            Notification(recipient_id=pk, kind=kind, title=title[:300], body=body, ticket=ticket, created_at=now)
            for pk in unique
        ]
    )
    for pk in unique:
        transaction.on_commit(partial(broadcast, user_group(pk), {"type": "notification"}), robust=True)
    return rows


def notifications_mark_read(*, user: User, ids: Iterable[int] | None, now: datetime) -> int:
    """Mark the user's notifications read (all of them for `ids` None). Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now)


# --- staff e-mail ----------------------------------------------------------------


def staff_email_queue(
    *,
    recipients: Iterable[User],
    subject: str,
    body: str,
    now: datetime,
    key: str | None = None,
    attachment: tuple[str, str, str] | None = None,
) -> int:
    """An e-mail to each active recipient with an address, sent after commit. With `key`, the
    recipient's e-mail is written once whatever the number of calls ("<key>:<user id>")."""
    name, content, content_type = attachment or ("", "", "")
    rows = [
        StaffEmail(
            recipient=user,
            to_address=user.email,
            subject=subject[:300],
            body=body,
            attachment_name=name,
            attachment=content,
            attachment_type=content_type,
            key=f"{key}:{user.pk}" if key else None,
            next_attempt_at=now,
            created_at=now,
        )
        for user in {user.pk: user for user in recipients}.values()
        if user.is_active and user.email
    ]
    StaffEmail.objects.bulk_create(rows, ignore_conflicts=key is not None)
    if rows:
        transaction.on_commit(_send_emails_soon, robust=True)
    return len(rows)


def _send_emails_soon() -> None:
    from frontdesk.notifications.tasks import send_staff_emails

    send_staff_emails()


def staff_emails_send_due(*, now: datetime, limit: int = 50) -> int:
    """Send the staff e-mails that are due. Returns how many were sent."""
    sent = 0
    for pk in _claim(StaffEmail, now, limit):
        email = StaffEmail.objects.get(pk=pk)
        message = EmailMessage(
            subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to_address]
        )
        if email.attachment_name:
            message.attach(email.attachment_name, email.attachment, email.attachment_type or "text/plain")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            _failed(email, f"{type(error).__name__}: {error}", now, permanent=_permanent_smtp(error))
            continue
        StaffEmail.objects.filter(pk=pk).update(
            status=DeliveryStatus.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
        )
        sent += 1
    return sent


def _permanent_smtp(error: Exception) -> bool:
    """The server refused for good (5xx): trying again would get the same answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


# --- webhooks ----------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    require_role(actor, (Role.ADMIN,), "manage webhooks")


def webhook_save(
    *,
    webhook: Webhook | None = None,
    name: str,
    url: str,
    secret: str,
    events: list[str],
    is_active: bool = True,
    actor: User,
    now: datetime,
) -> Webhook:
    """Create or change a webhook endpoint (admins only)."""
    _require_admin(actor)
    if not url.startswith(("http://", "https://")):
        raise ValidationError("A webhook URL starts with http:// or https://.", field="url")
    if len(secret) < 16:
        raise ValidationError("The signing secret needs at least 16 characters.", field="secret")
    if not name.strip():
        raise ValidationError("A webhook needs a name.", field="name")
    webhook = webhook or Webhook(created_at=now)
    webhook.name, webhook.url, webhook.secret = name.strip(), url, secret
    webhook.events, webhook.is_active = sorted(set(events)), is_active
    webhook.save()
    return webhook


def webhook_delete(*, webhook_id: int, actor: User) -> None:
    _require_admin(actor)
    if not Webhook.objects.filter(pk=webhook_id).delete()[0]:
        raise NotFound(f"Webhook {webhook_id} does not exist.")


def webhooks_queue(*, event: str, payload: dict[str, Any], now: datetime) -> int:
    """A delivery of `event` to every active webhook that subscribed to it, sent after commit."""
    hooks = [hook for hook in Webhook.objects.filter(is_active=True) if not hook.events or event in hook.events]
    body = json.loads(json.dumps({"event": event, "sent_at": now, **payload}, cls=DjangoJSONEncoder))
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(webhook=hook, event=event, payload=body, next_attempt_at=now, created_at=now)
            for hook in hooks
        ]
    )
    if hooks:
        transaction.on_commit(_deliver_soon, robust=True)
    return len(hooks)


def _deliver_soon() -> None:
    from frontdesk.notifications.tasks import deliver_webhooks

    deliver_webhooks()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_deliveries_send_due(*, now: datetime, limit: int = 50) -> int:
    """POST the deliveries that are due. Returns how many an endpoint accepted."""
    delivered = 0
    for pk in _claim(WebhookDelivery, now, limit):
        delivery = WebhookDelivery.objects.select_related("webhook").get(pk=pk)
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310  (the URL's scheme is checked when it is saved)
            delivery.webhook.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Frontdesk-Webhook/1",
                SIGNATURE_HEADER: sign(delivery.webhook.secret, int(now.timestamp()), body),
                "Frontdesk-Event": delivery.event,
                "Frontdesk-Delivery": str(delivery.pk),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            # 4xx other than 408/429 will not get better by trying again.
            permanent = 400 <= error.code < 500 and error.code not in (408, 429)
            _failed(delivery, f"HTTP {error.code}", now, permanent=permanent, response_status=error.code)
            continue
        except (urllib.error.URLError, OSError) as error:
            _failed(delivery, f"{type(error).__name__}: {error}", now, permanent=False)
            continue
        WebhookDelivery.objects.filter(pk=pk).update(
            status=DeliveryStatus.SENT,
            delivered_at=now,
            attempts=F("attempts") + 1,
            response_status=status,
            last_error="",
        )
        delivered += 1
    return delivered


def webhook_delivery_retry(*, delivery: WebhookDelivery, actor: User, now: datetime) -> WebhookDelivery:
    """An admin sends a failed delivery again."""
    _require_admin(actor)
    delivery.status, delivery.next_attempt_at, delivery.attempts = DeliveryStatus.PENDING, now, 0
    delivery.save(update_fields=["status", "next_attempt_at", "attempts"])
    transaction.on_commit(_deliver_soon, robust=True)
    return delivery


# --- outboxes -------------------------------------------------------------------------


def _claim(model: type[StaffEmail] | type[WebhookDelivery], now: datetime, limit: int) -> list[int]:
    """Due rows, claimed for SENDING_LEASE (on PostgreSQL, skipping rows another sender holds)."""
    with transaction.atomic():
        due = (
            model.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(due)
        model.objects.filter(pk__in=ids).update(next_attempt_at=now + SENDING_LEASE)
    return ids


def _failed(row: StaffEmail | WebhookDelivery, error: str, now: datetime, *, permanent: bool, **fields: object) -> None:
    attempts = row.attempts + 1
    update: dict[str, object] = {"attempts": attempts, "last_error": error[:2000], **fields}
    if not permanent and attempts < MAX_ATTEMPTS:
        update["next_attempt_at"] = now + RETRY_DELAYS[attempts - 1]
    else:
        update["status"] = DeliveryStatus.FAILED
        logger.warning("delivery failed", extra={"outbox": type(row).__name__, "id": row.pk, "error": error})
    type(row).objects.filter(pk=row.pk).update(**update)
