"""Template tags and filters of the workspace: how audit events, counts and labels read.

The inbox and the ticket page are the pages agents load all day. Their hot spots (a
row per ticket, a field per property) use the helpers here, which give exactly what
Django's own tags give (get_FOO_display, {% url %}, |date, an included template) at a
fraction of the cost; test_templatetags.py holds them to that.
"""

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.db import models
from django.forms import BoundField, Form
from django.forms.utils import ErrorList
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import dateformat, timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import User
from frontdesk.routing.models import AgentState, RoutingProfile
from frontdesk.routing.selectors import own_profile
from frontdesk.tickets.models import (
    BookingChannel,
    BookingStage,
    Channel,
    EventKind,
    Outcome,
    Priority,
    Status,
    Ticket,
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
    "outcome": gettext_lazy("outcome"),
    "requester": gettext_lazy("requester"),
}
FIELD_CHOICES: dict[str, type[models.TextChoices]] = {
    "status": Status,
    "priority": Priority,
    "type": TicketType,
    "booking_stage": BookingStage,
    "booking_channel": BookingChannel,
    "channel": Channel,
    "outcome": Outcome,
    "agent_state": AgentState,
}


@register.filter
def count_label(count: int) -> str:
    """A capped live count: "1000+" once there are more than the selectors count."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    """A form field with its label and errors.

    Built here rather than included from a template: a ticket page shows a dozen fields,
    and including a template for each cost as much as rendering their widgets.
    """
    errors = field.errors
    return format_html(
        '<div class="field{}">\n  <label for="{}">{}</label>\n  {}\n  {}\n</div>\n',
        " has-error" if errors else "",
        field.id_for_label,
        field.label,
        field,
        _errors("field-error", errors),
    )


@register.simple_tag
def form_errors(form: Form) -> SafeString:
    """The errors of a form that belong to no field (a service's refusal, mostly)."""
    return format_html("{}\n", _errors("form-error", form.non_field_errors()))


def _errors(css_class: str, errors: ErrorList) -> SafeString | str:
    if not errors:
        return ""
    messages = format_html_join("", "<p>{}</p>", ((error,) for error in errors))
    return format_html('<div class="{}" role="alert">{}</div>', css_class, messages)


@register.filter
def ago(moment: datetime) -> str:
    """ "5 minutes ago": the largest unit only, as a list row has little room."""
    return _ago(moment, timezone.now())


def _ago(moment: datetime, now: datetime) -> str:
    if now - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


@register.filter
def moment(value: datetime) -> str:
    """A time of today as "09:05", of another day as "2 Nov, 09:05", in local time."""
    local = timezone.localtime(value)
    return dateformat.format(local, "H:i" if local.date() == timezone.localdate() else "j M, H:i")


@register.filter
def label(value: str, field: str) -> str:
    """A choice's label, what get_FOO_display() gives: `{{ ticket.status|label:"status" }}`.

    get_FOO_display() translates every choice of the field on each call; this translates
    them once per language.
    """
    return _labels(FIELD_CHOICES[field]).get(value, value)


@register.filter
def ticket_url(ticket_id: int) -> str:
    """`{% url 'workspace:ticket' ticket_id %}`, without reversing the URL on every row."""
    return _url_maker("workspace:ticket")(ticket_id)


@register.simple_tag
def inbox_rows(tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    """The inbox rows with every value ready to print.

    A page is 25 rows of seven columns. Done in the template, each row translated every
    choice label again, reversed its URL, formatted its time with the template machinery
    and read the clock; here each of those is done once per page or in plain Python.
    """
    statuses, priorities, channels = _labels(Status), _labels(Priority), _labels(Channel)
    url = _url_maker("workspace:ticket")
    now = timezone.now()
    rows = []
    for ticket in tickets:
        activity = timezone.localtime(ticket.last_activity_at)
        rows.append(
            {
                "pk": str(ticket.pk),  # a ticket number: never localised (no "1,234")
                "url": url(ticket.pk),
                "subject": ticket.subject,
                "awaiting_agent": ticket.awaiting_agent,
                "needs_manager": ticket.needs_manager,
                "requester": str(ticket.requester),
                "channel": channels.get(ticket.channel, ticket.channel),
                "tags": [tag.name for tag in ticket.tags.all()],
                "status": ticket.status,
                "status_label": statuses.get(ticket.status, ticket.status),
                "priority": ticket.priority,
                "priority_label": priorities.get(ticket.priority, ticket.priority),
                "team": (ticket.team.name if ticket.team else "") or "—",
                "assignee": ticket.assignee.name if ticket.assignee else None,
                "activity_iso": activity.isoformat(),  # what |date:'c' gives
                "activity_title": localize(activity),  # what {{ datetime }} gives
                "activity_ago": _ago(ticket.last_activity_at, now),
            }
        )
    return rows


_LABELS: dict[tuple[type[models.TextChoices], str | None], dict[str, str]] = {}


def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Value → label in the active language; translated once per language and process."""
    key = (choices, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in choices.choices}
    return labels


@functools.lru_cache(maxsize=64)
def _url_pattern(name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    mark = 918273645
    before, after = reverse(name, args=[mark], urlconf=urlconf).split(str(mark))
    return before, after


def _url_maker(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for many pks: reversed once, the number put in its place."""
    before, after = _url_pattern(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{before}{int(pk)}{after}"


EVENT_PHRASES: dict[str, StrOrPromise] = {
    EventKind.CREATED: gettext_lazy("created the ticket"),
    EventKind.REPLIED: gettext_lazy("replied to the customer"),
    EventKind.NOTE_ADDED: gettext_lazy("added an internal note"),
    EventKind.CUSTOMER_MESSAGE: gettext_lazy("wrote again"),
    EventKind.ESCALATED_TO_MANAGER: gettext_lazy("asked for a manager"),
    EventKind.ESCALATION_RESOLVED: gettext_lazy("resolved the escalation"),
    EventKind.REQUESTER_MERGED: gettext_lazy("merged the requester into another contact"),
}


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
    if event.kind == EventKind.ROUTED:
        return _routed(old, new)
    if event.kind == EventKind.ESCALATED_TO_TEAM:
        if old:
            return _("escalated the ticket from %(old)s to %(new)s") % {"old": old, "new": new}
        return _("escalated the ticket to %(new)s") % {"new": new}
    phrase = EVENT_PHRASES.get(event.kind)
    return str(phrase) if phrase is not None else event.get_kind_display()


def _routed(old: str, new: str) -> str:
    """Routing moved the ticket: to an agent, from one agent to another, or back to the queue."""
    if not new:
        return _("returned to the queue from %(old)s") % {"old": old} if old else _("returned to the queue")
    if old:
        return _("reassigned by routing from %(old)s to %(new)s") % {"old": old, "new": new}
    return _("assigned by routing to %(new)s") % {"new": new}


def _value(field: str, value: str) -> str:
    choices = FIELD_CHOICES.get(field)
    return _labels(choices).get(value, value) if choices is not None else value


@register.simple_tag
def shift_of(user: User) -> RoutingProfile | None:
    """`{% shift_of user as shift %}`: the signed-in agent's shift state, for their shift bar."""
    return own_profile(user) if isinstance(user, User) else None
