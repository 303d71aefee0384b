"""Template filters of the workspace: how audit events and counts read to a person."""

from datetime import datetime, timedelta

from django import template
from django.db import models
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from frontdesk.tickets.models import (
    BookingChannel,
    BookingStage,
    Channel,
    EventKind,
    Priority,
    Status,
    TicketEvent,
    TicketType,
)
from frontdesk.tickets.selectors import COUNT_CAP

register = template.Library()

FIELD_LABELS: dict[str, StrOrPromise] = {
    "subject": gettext_lazy("subject"),
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "type": gettext_lazy("type"),
    "team": gettext_lazy("team"),
    "assignee": gettext_lazy("assignee"),
    "tags": gettext_lazy("tags"),
    "language": gettext_lazy("language"),
    "booking_stage": gettext_lazy("booking stage"),
    "booking_channel": gettext_lazy("booking channel"),
    "custom_fields": gettext_lazy("custom fields"),
    "requester": gettext_lazy("requester"),
}
FIELD_CHOICES: dict[str, type[models.TextChoices]] = {
    "status": Status,
    "priority": Priority,
    "type": TicketType,
    "booking_stage": BookingStage,
    "booking_channel": BookingChannel,
    "channel": Channel,
}


@register.filter
def count_label(count: int) -> str:
    """A capped live count: "1000+" once there are more than the selectors count."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@register.filter
def ago(moment: datetime) -> str:
    """ "5 minutes ago": the largest unit only, as a list row has little room."""
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, depth=1)}


@register.filter
def event_summary(event: TicketEvent) -> str:
    """What happened, after the actor's name: "changed status from Open to Pending"."""
    field = str(FIELD_LABELS.get(event.field, event.field.replace("_", " ")))
    old, new = _value(event.field, event.old_value), _value(event.field, event.new_value)
    if event.kind == EventKind.CHANGED:
        if not old:
            return _("set %(field)s to %(new)s") % {"field": field, "new": new}
        if not new:
            return _("cleared %(field)s (was %(old)s)") % {"field": field, "old": old}
        return _("changed %(field)s from %(old)s to %(new)s") % {"field": field, "old": old, "new": new}
    if event.kind == EventKind.ESCALATED_TO_TEAM:
        if old:
            return _("escalated the ticket from %(old)s to %(new)s") % {"old": old, "new": new}
        return _("escalated the ticket to %(new)s") % {"new": new}
    phrases = {
        EventKind.CREATED: _("created the ticket"),
        EventKind.REPLIED: _("replied to the customer"),
        EventKind.NOTE_ADDED: _("added an internal note"),
        EventKind.CUSTOMER_MESSAGE: _("wrote again"),
        EventKind.ESCALATED_TO_MANAGER: _("asked for a manager"),
        EventKind.ESCALATION_RESOLVED: _("resolved the escalation"),
        EventKind.REQUESTER_MERGED: _("merged the requester into another contact"),
    }
    return phrases.get(event.kind, event.get_kind_display())  # type: ignore[call-overload]


def _value(field: str, value: str) -> str:
    choices = FIELD_CHOICES.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return value
