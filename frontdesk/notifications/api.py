"""REST endpoints of notifications: the caller's own in-app notifications (`/me/…`), and the
webhook endpoints with their deliveries (admins).

Thin: parse → access_* → one service → schema. Nobody reads another's notifications: there is
no endpoint that names a person. A webhook's signing secret is write-only: it is shown once, in
the answer to its creation, and never again.
"""

import secrets

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status as WithStatus

from frontdesk.api.auth import request_agent
from frontdesk.api.pagination import Page
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.notifications.models import Notification, Webhook, WebhookDelivery
from frontdesk.notifications.schemas import (
    DeliveryQuery,
    MarkReadIn,
    MarkReadOut,
    NotificationPageOut,
    NotificationQuery,
    UnreadCountOut,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)
from frontdesk.notifications.selectors import (
    access_webhook,
    notification_page,
    unread_count,
    webhook_deliveries,
    webhook_list,
)
from frontdesk.notifications.services import (
    notifications_mark_read,
    webhook_delete,
    webhook_delivery_retry,
    webhook_save,
)

router = Router(tags=["notifications"])

UNREAD_CAP = 99


# --- in-app notifications ------------------------------------------------------------------


@router.get("/me/notifications", response={200: NotificationPageOut, **ERRORS}, summary="My notifications")
def list_my_notifications(request: HttpRequest, query: Query[NotificationQuery]) -> Page[Notification]:
    """Newest first, a page at a time; `unread=true` keeps the unread ones."""
    user = request_agent(request)
    return notification_page(user=user, cursor=query.cursor, size=query.limit, unread_only=query.unread)


@router.get(
    "/me/notifications/unread-count",
    response={200: UnreadCountOut, **ERRORS},
    summary="How many of my notifications are unread",
)
def count_my_unread_notifications(request: HttpRequest) -> dict[str, object]:
    """Counted up to 99 (the badge shows 99+ beyond), so that it stays cheap."""
    count = unread_count(user=request_agent(request), cap=UNREAD_CAP)
    return {"unread": min(count, UNREAD_CAP), "more": count > UNREAD_CAP}


@router.post("/me/notifications/read", response={200: MarkReadOut, **ERRORS}, summary="Mark my notifications read")
def mark_my_notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, object]:
    """`{"ids": [1, 2]}` marks those (ids that are not yours are left alone); `{"all": true}` every one."""
    user = request_agent(request)
    if payload.all == (payload.ids is not None):
        raise ValidationError(_("Send either `ids` or `all: true`."), field="ids")
    marked = notifications_mark_read(user=user, ids=None if payload.all else payload.ids, now=timezone.now())
    return {"marked": marked}


# --- webhooks (admins) ---------------------------------------------------------------------


@router.get("/webhooks", response={200: list[WebhookOut], **ERRORS}, summary="List webhooks (admins)")
def list_webhooks(request: HttpRequest) -> list[Webhook]:
    return list(webhook_list(user=request_agent(request)))


@router.post("/webhooks", response={201: WebhookCreatedOut, **ERRORS}, summary="Create a webhook (admins)")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> WithStatus[Webhook]:
    """The answer shows the signing secret, the only time it is shown; leave `secret` out to get a
    random one. Each POST is signed: `Frontdesk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>.<body>">`."""
    changes = payload.model_dump(exclude={"secret"})
    secret = payload.secret or secrets.token_urlsafe(32)
    webhook = webhook_save(**changes, secret=secret, actor=request_agent(request), now=timezone.now())
    return WithStatus(201, webhook)


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Read a webhook (admins)")
def get_webhook(request: HttpRequest, webhook_id: int) -> Webhook:
    return access_webhook(request_agent(request), webhook_id)


@router.put("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="Change a webhook (admins)")
def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookIn) -> Webhook:
    """Every field; leave `secret` out to keep the one it has."""
    user = request_agent(request)
    webhook = access_webhook(user, webhook_id)
    changes = payload.model_dump(exclude={"secret"})
    secret = payload.secret or webhook.secret
    return webhook_save(webhook=webhook, **changes, secret=secret, actor=user, now=timezone.now())


@router.delete(
    "/webhooks/{webhook_id}", response={204: None, **ERRORS}, summary="Delete a webhook and its deliveries (admins)"
)
def delete_webhook(request: HttpRequest, webhook_id: int) -> WithStatus[None]:
    webhook_delete(webhook_id=webhook_id, actor=request_agent(request))
    return WithStatus(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: list[WebhookDeliveryOut], **ERRORS},
    summary="A webhook's recent deliveries (admins)",
)
def list_webhook_deliveries(
    request: HttpRequest, webhook_id: int, query: Query[DeliveryQuery]
) -> list[WebhookDelivery]:
    """Newest first: what was sent, how the endpoint answered, and when it is tried next."""
    user = request_agent(request)
    return webhook_deliveries(user=user, webhook=access_webhook(user, webhook_id), limit=query.limit)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    response={200: WebhookDeliveryOut, **ERRORS},
    summary="Send a delivery again (admins)",
)
def retry_webhook_delivery(request: HttpRequest, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """It goes back to pending with its attempts reset, and is sent right after."""
    user = request_agent(request)
    delivery = access_webhook(user, webhook_id).deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("Delivery %(id)s of this webhook does not exist.") % {"id": delivery_id})
    return webhook_delivery_retry(delivery=delivery, actor=user, now=timezone.now())
