"""What the REST API reads and writes for notifications: a person's own in-app notifications,
and (admins) webhook endpoints and their deliveries."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema

from frontdesk.api.schemas import Id, Input
from frontdesk.notifications.models import DeliveryStatus, Notification

# --- in-app notifications ------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="e.g. sla.warning, sla.breach, sla.escalation.")
    title: str
    body: str
    ticket: int | None = Field(description="The ticket it is about (id), if any.")
    created_at: datetime
    read_at: datetime | None = Field(description="null while unread.")

    @staticmethod
    def resolve_ticket(notification: Notification) -> int | None:
        return notification.ticket_id


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class NotificationQuery(Input):
    unread: bool = Field(False, description="Only the unread ones.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")


class MarkReadIn(Input):
    """Either `ids`, or `all: true`."""

    ids: list[Id] | None = Field(None, max_length=1000, description="Ids of your notifications to mark read.")
    all: bool = Field(False, description="Mark every one of your notifications read.")


class MarkReadOut(Schema):
    marked: int = Field(description="How many were unread and are now read.")


class UnreadCountOut(Schema):
    unread: int = Field(description="Unread notifications, counted up to 99.")
    more: bool = Field(description="There are more than 99.")


# --- webhooks ----------------------------------------------------------------------------

EventName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_.]+$")]
EVENTS_HELP = "Events to send, e.g. sla.warning, sla.breach; empty: every event."


class WebhookOut(Schema):
    """An endpoint that receives events as signed JSON POSTs. The secret is never shown again."""

    id: int
    name: str
    url: str
    events: list[str] = Field(description=EVENTS_HELP)
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret: shown this once, keep it.")


class WebhookIn(Input):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500, description="http:// or https://.")
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        description="At least 16 characters. On create, leave out to get a random one; on change, to keep it.",
    )
    events: list[EventName] = Field(default_factory=list, max_length=50, description=EVENTS_HELP)
    is_active: bool = True


class DeliveryQuery(Input):
    limit: int = Field(50, ge=1, le=200)


class WebhookDeliveryOut(Schema):
    """One event sent (or to send) to one endpoint, retried with backoff until it is accepted."""

    id: int
    event: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime = Field(description="When it is tried next, while pending.")
    last_error: str
    response_status: int | None = Field(description="The endpoint's last HTTP status, if it answered.")
    created_at: datetime
    delivered_at: datetime | None
