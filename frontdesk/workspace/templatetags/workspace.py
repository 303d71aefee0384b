"""Template tags and filters of the workspace: how audit events, counts, labels and SLA clocks read.

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
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import User
from frontdesk.notifications.selectors import unread_count
from frontdesk.routing.models import AgentState, RoutingProfile
from frontdesk.routing.selectors import own_profile
from frontdesk.sla.models import Clock, ClockState, Metric
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
from frontdesk.tickets.selectors import COUNT_CAP, DUE_SOON

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
    "metric": Metric,
    "clock_state": ClockState,
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
                "tags": ticket.tag_names,  # type: ignore[attr-defined]  # ticket_page reads them
                "status": ticket.status,
                "status_label": statuses.get(ticket.status, ticket.status),
                "priority": ticket.priority,
                "priority_label": priorities.get(ticket.priority, ticket.priority),
                "team": (ticket.team.name if ticket.team else "") or "—",
                "assignee": ticket.assignee.name if ticket.assignee else None,
                "activity_iso": activity.isoformat(),  # what |date:'c' gives
                "activity_title": localize(activity),  # what {{ datetime }} gives
                "activity_ago": _ago(ticket.last_activity_at, now),
                **_sla_badge(ticket.sla_due_at, now),
            }
        )
    return rows


# --- SLA deadlines ----------------------------------------------------------------------
#
# How long until (or since) a deadline reads two ways: a badge on an inbox row ("in 42 min",
# "5 min late") and a countdown on the ticket page ("41:59 left", "breached 12 min ago").
# workspace.js keeps both ticking from the ISO deadline in `data-sla-due`, with the same
# wording (`sla_texts`) and the same tones: "late" from the deadline on, "soon" in the hour
# before it (what the inbox's "due within the hour" filter lists), "ok" before that.


def sla_tone(due: datetime, now: datetime) -> str:
    if due <= now:
        return "late"
    return "soon" if due - now <= DUE_SOON else "ok"


def _span(seconds: int) -> str:
    """A duration in its two largest units: "42 min", "3 h 5 min", "2 d 4 h"."""
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if not minutes:
            return _("%(hours)d h") % {"hours": hours}
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    if not hours:
        return _("%(days)d d") % {"days": days}
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def _seconds(span: timedelta) -> int:
    """Whole seconds, rounded down."""
    return int(span.total_seconds() // 1)


def sla_badge_text(due: datetime, now: datetime) -> str:
    """ "in 42 min" (minutes rounded up: never "in 0 min"), or "5 min late" (at least 1 min)."""
    if due > now:
        minutes = -((now - due) // timedelta(minutes=1))  # rounded up
        return _("in %(time)s") % {"time": _span(minutes * 60)}
    return _("%(time)s late") % {"time": _span(max(60, _seconds(now - due)))}


def sla_countdown_text(due: datetime, now: datetime) -> str:
    """ "41:59 left" to the second (rounded down), or "breached 12 min ago" (at least 1 min)."""
    if due <= now:
        return _("breached %(time)s ago") % {"time": _span(max(60, _seconds(now - due)))}
    minutes, seconds = divmod(_seconds(due - now), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    digits = f"{hours}:{minutes:02}:{seconds:02}" if hours or days else f"{minutes}:{seconds:02}"
    if days:
        digits = _("%(days)d d %(time)s") % {"days": days, "time": digits}
    return _("%(time)s left") % {"time": digits}


def _sla_badge(due: datetime | None, now: datetime) -> dict[str, str]:
    if due is None:
        return {"sla_due_iso": "", "sla_text": "", "sla_tone": ""}
    return {
        "sla_due_iso": due.isoformat(),
        "sla_text": sla_badge_text(due, now),
        "sla_tone": sla_tone(due, now),
    }


@register.simple_tag
def sla_texts() -> SafeString:
    """The wording of SLA times in the active language, for workspace.js (a JSON script element)."""
    texts = {
        "minutes": _("%(minutes)d min"),
        "hours": _("%(hours)d h"),
        "hoursMinutes": _("%(hours)d h %(minutes)d min"),
        "days": _("%(days)d d"),
        "daysHours": _("%(days)d d %(hours)d h"),
        "in": _("in %(time)s"),
        "late": _("%(time)s late"),
        "left": _("%(time)s left"),
        "daysTime": _("%(days)d d %(time)s"),
        "breached": _("breached %(time)s ago"),
    }
    return json_script(texts, "sla-texts")


STOPPED_TONES: dict[str, str] = {ClockState.BREACHED: "late", ClockState.MET: "met"}


@register.simple_tag
def sla_clocks(clocks: Sequence[Clock]) -> list[dict[str, Any]]:
    """The ticket's SLA clocks as lines of the SLA panel, with every value ready to print.

    A running clock counts down live (workspace.js) to its deadline: green, amber in the
    hour before it, red once it passed. A paused clock shows the time paused so far (its
    stored pause, and since it was computed: a paused clock is recomputed whenever its
    ticket's status changes), a stopped one the business time it took."""
    now = timezone.now()
    metrics, states = _labels(Metric), _labels(ClockState)
    lines = []
    for clock in clocks:
        line: dict[str, Any] = {
            "metric": metrics.get(clock.metric, clock.metric),
            "target": _span(clock.target_minutes * 60),
            "state": clock.state,
            "state_label": states.get(clock.state, clock.state),
            "due_iso": "",
            "text": "",
            "tone": "",
        }
        if clock.stopped_at is None and clock.due_at is not None:  # running, or running late
            line["due_iso"] = clock.due_at.isoformat()
            line["text"] = sla_countdown_text(clock.due_at, now)
            line["tone"] = sla_tone(clock.due_at, now)
        elif clock.state == ClockState.PAUSED:
            paused = clock.paused_seconds + max(0, int((now - clock.computed_at).total_seconds()))
            line["text"] = _("paused for %(time)s, %(used)s of business time used") % {
                "time": _span(paused),
                "used": _span(clock.elapsed_seconds),
            }
            line["tone"] = "paused"
        else:
            line["text"] = _("%(used)s of business time") % {"used": _span(clock.elapsed_seconds)}
            line["tone"] = STOPPED_TONES.get(clock.state, "")
        lines.append(line)
    return lines


# --- notifications ----------------------------------------------------------------------

UNREAD_SHOWN = 99


@register.simple_tag
def unread_notifications(user: User) -> str:
    """The bell's badge: how many of the user's notifications are unread ("99+" beyond), "" for none.

    Read with the signed-in user (SessionBackend), so the header costs no query of its own."""
    if not isinstance(user, User):
        return ""
    count = getattr(user, "unread_notifications", None)
    if count is None:
        count = unread_count(user=user, cap=UNREAD_SHOWN)
    if not count:
        return ""
    return f"{UNREAD_SHOWN}+" if count > UNREAD_SHOWN else str(count)


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
