"""Permission-scoped reads of notifications: a person's own notifications, and (admins) webhooks."""

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationError
from frontdesk.notifications.models import Notification, Webhook, WebhookDelivery


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first. Nobody reads another's."""
    require_agent(user)
    notifications = Notification.objects.filter(recipient=user).select_related("ticket")
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    next_cursor: str | None


def notification_page(*, user: User, cursor: str = "", size: int = 50, unread_only: bool = False) -> NotificationPage:
    """A page of `notification_list`, newest first; `cursor` continues after the last one shown."""
    if not 1 <= size <= 100:
        raise ValidationError("Page size must be between 1 and 100.", field="limit")
    rows = list(
        notification_list(user=user, unread_only=unread_only)
        .filter(_after(cursor))
        .order_by("-created_at", "-pk")[: size + 1]
    )
    items = rows[:size]
    last = items[-1] if len(rows) > size else None
    cursor = f"{last.created_at.isoformat()}|{last.pk}" if last else ""
    return NotificationPage(items, base64.urlsafe_b64encode(cursor.encode()).decode() if last else None)


def _after(cursor: str) -> Q:
    if not cursor:
        return Q()
    try:
        at, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment, number = datetime.fromisoformat(at), int(pk)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time is aware")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The cursor is not valid; start again from the first page.", field="cursor") from None
    return Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=number)


def unread_count(*, user: User, cap: int = 99) -> int:
    return notification_list(user=user, unread_only=True).order_by()[: cap + 1].count()


def require_admin(user: object) -> User:
    agent = require_agent(user)
    if agent.role != Role.ADMIN:
        raise PermissionDenied("Only admins may manage webhooks.")
    return agent


def webhook_list(*, user: User) -> QuerySet[Webhook]:
    require_admin(user)
    return Webhook.objects.all()


def access_webhook(user: User, webhook_id: int) -> Webhook:
    webhook = webhook_list(user=user).filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} does not exist.")
    return webhook


def webhook_deliveries(*, user: User, webhook: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    require_admin(user)
    return list(webhook.deliveries.order_by("-created_at", "-pk")[:limit])
