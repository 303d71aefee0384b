"""Permission-scoped reads of notifications: a person's own notifications, and (admins) webhooks."""

from django.db.models import QuerySet

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.api.pagination import Page, paginate
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationError
from frontdesk.notifications.models import Notification, Webhook, WebhookDelivery


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first. Nobody reads another's."""
    require_agent(user)
    notifications = Notification.objects.filter(recipient=user).select_related("ticket")
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def notification_page(*, user: User, cursor: str = "", size: int = 50, unread_only: bool = False) -> Page[Notification]:
    """A page of `notification_list`, newest first; `cursor` continues after the last one shown."""
    if not 1 <= size <= 100:
        raise ValidationError("Page size must be between 1 and 100.", field="limit")
    rows = notification_list(user=user, unread_only=unread_only)
    return paginate(rows, order="-created_at", cursor=cursor, size=size)


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
