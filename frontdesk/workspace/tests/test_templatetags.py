"""The workspace's template helpers give what Django's slower ways give, in every language."""

from datetime import timedelta

import pytest
from django.template.defaultfilters import date
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import localize

from frontdesk.accounts.models import Team, User
from frontdesk.accounts.tests.factories import ContactFactory
from frontdesk.tickets.models import (
    BookingChannel,
    BookingStage,
    Channel,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)
from frontdesk.tickets.selectors import access_ticket
from frontdesk.tickets.services import ticket_update
from frontdesk.tickets.tests.factories import TicketFactory
from frontdesk.workspace.forms import EscalateToManagerForm, ReplyForm
from frontdesk.workspace.templatetags.workspace import (
    ago,
    event_summary,
    form_errors,
    form_field,
    inbox_rows,
    label,
    moment,
    ticket_url,
)

pytestmark = pytest.mark.django_db

FIELDS = {
    "status": Status,
    "priority": Priority,
    "type": TicketType,
    "booking_stage": BookingStage,
    "booking_channel": BookingChannel,
    "channel": Channel,
}


@pytest.mark.parametrize("language", ["en", "es", "lt"])
@pytest.mark.parametrize("field", FIELDS)
def test_label_is_what_get_display_gives(field: str, language: str) -> None:
    tickets = [Ticket(**{field: value}) for value in [*FIELDS[field].values, "", "unknown"]]

    with translation.override(language):
        labels = [label(getattr(ticket, field), field) for ticket in tickets]
        displays = [getattr(ticket, f"get_{field}_display")() for ticket in tickets]

    assert labels == displays


def test_labels_follow_the_active_language() -> None:
    with translation.override("es"):
        spanish = label("pending", "status")
    with translation.override("lt"):
        lithuanian = label("pending", "status")

    assert (label("pending", "status"), spanish, lithuanian) == ("Pending", "Pendiente", "Laukiama")


def test_ticket_url_is_the_reversed_ticket_url() -> None:
    assert [ticket_url(pk) for pk in (1, 42, 1_000_000)] == [
        reverse("workspace:ticket", args=[pk]) for pk in (1, 42, 1_000_000)
    ]


def test_inbox_row_shows_what_the_ticket_holds(agent: User, team: Team) -> None:
    ticket = TicketFactory.create(
        team=team,
        assignee=agent,
        requester=ContactFactory.create(name="Greta <Guest>"),
        channel=Channel.WHATSAPP,
        status=Status.PENDING,
        priority=Priority.URGENT,
        awaiting_agent=True,
        needs_manager=True,
    )
    ticket_update(ticket=ticket, actor=agent, tags=["vip", "late-arrival"], now=timezone.now() - timedelta(hours=3))
    loaded = access_ticket(agent, ticket.pk, with_tags=True)  # as ticket_page reads it

    with translation.override("es"):
        [row] = inbox_rows([loaded])
        expected = {
            "pk": str(ticket.pk),
            "url": reverse("workspace:ticket", args=[ticket.pk]),
            "subject": ticket.subject,
            "awaiting_agent": True,
            "needs_manager": True,
            "requester": "Greta <Guest>",
            "channel": loaded.get_channel_display(),
            "tags": ["late-arrival", "vip"],
            "status": "pending",
            "status_label": "Pendiente",
            "priority": "urgent",
            "priority_label": loaded.get_priority_display(),
            "team": "Reservations",
            "assignee": "Ana Agent",
            "activity_iso": date(timezone.localtime(loaded.last_activity_at), "c"),
            "activity_title": localize(timezone.localtime(loaded.last_activity_at)),
            "activity_ago": ago(loaded.last_activity_at),
            "sla_due_iso": "",  # no SLA policy: no deadline
            "sla_text": "",
            "sla_tone": "",
        }

    assert row == expected
    assert row["activity_ago"] == "hace 3\xa0horas"


def test_inbox_row_of_an_unrouted_ticket_has_no_team_and_no_assignee(agent: User) -> None:
    ticket = TicketFactory.create(team=None, assignee=None)
    loaded = access_ticket(agent, ticket.pk, with_tags=True)

    [row] = inbox_rows([loaded])

    assert (row["team"], row["assignee"], row["tags"]) == ("—", None, [])


def test_form_field_shows_label_widget_and_errors() -> None:
    form = EscalateToManagerForm({"escalate-reason": "x" * 2001}, prefix="escalate")
    form.is_valid()

    html = form_field(form["reason"])

    assert html.startswith('<div class="field has-error">\n  <label for="id_escalate-reason">')
    assert "Why does a manager need to look at this?</label>" in html
    assert '<textarea name="escalate-reason"' in html
    assert '<div class="field-error" role="alert"><p>Ensure this value has at most 2000 characters' in html


def test_form_field_without_errors_shows_no_error_box() -> None:
    html = form_field(ReplyForm(prefix="reply")["body"])

    assert html.startswith('<div class="field">\n  <label for="id_reply-body">Reply to the customer</label>')
    assert "field-error" not in html


def test_form_errors_shows_what_belongs_to_no_field_escaped() -> None:
    form = ReplyForm({"reply-body": "hi"}, prefix="reply")
    form.is_valid()
    form.add_error(None, "The ticket <#12> is closed.")

    assert form_errors(form) == (
        '<div class="form-error" role="alert"><p>The ticket &lt;#12&gt; is closed.</p></div>\n'
    )
    assert form_errors(ReplyForm(prefix="reply")) == "\n"


@pytest.mark.parametrize(
    ("old", "new", "summary"),
    [
        ("", "Ana Agent", "assigned by routing to Ana Agent"),
        ("Ana Agent", "Ben Agent", "reassigned by routing from Ana Agent to Ben Agent"),
        ("Ana Agent", "", "returned to the queue from Ana Agent"),
    ],
)
def test_routing_moves_read_as_what_routing_did(old: str, new: str, summary: str) -> None:
    event = TicketEvent(kind=EventKind.ROUTED, field="assignee", old_value=old, new_value=new)

    assert event_summary(event) == summary


def test_outcome_changes_read_with_the_outcomes_label() -> None:
    event = TicketEvent(kind=EventKind.CHANGED, field="outcome", old_value="", new_value="not_booked")

    with translation.override("en"):
        assert event_summary(event) == "set outcome to Not booked"


def test_moment_gives_the_time_of_today_and_the_date_of_another_day() -> None:
    now = timezone.now()

    assert moment(now) == timezone.localtime(now).strftime("%H:%M")
    assert moment(now - timedelta(days=3)) == date(timezone.localtime(now - timedelta(days=3)), "j M, H:i")
