from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.accounts.models import Role
from frontdesk.accounts.services import contact_merge
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError
from frontdesk.tickets.models import EventKind, MessageKind, Status, TicketEvent
from frontdesk.tickets.selectors import TicketFilters, ticket_list
from frontdesk.tickets.services import (
    ticket_add_customer_message,
    ticket_add_note,
    ticket_escalate_to_manager,
    ticket_escalate_to_team,
    ticket_reply,
    ticket_resolve_escalation,
    ticket_update,
    tickets_close_solved,
)
from frontdesk.tickets.tests.factories import new_ticket

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_create_stores_first_message_from_requester_and_audit_event() -> None:
    ticket = new_ticket(tags=["Keys", "late check-in"], booking_stage="pre_check_in", booking_channel="airbnb")

    message = ticket.messages.get()
    assert message.author_contact == ticket.requester
    assert message.kind == MessageKind.REPLY
    assert ticket.status == Status.NEW
    assert ticket.awaiting_agent is True
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["keys", "late-check-in"]
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_create_rejects_unknown_booking_stage_naming_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        new_ticket(booking_stage="someday")
    assert error.value.field == "booking_stage"


def test_first_reply_opens_ticket_and_records_first_response() -> None:
    agent = UserFactory.create()
    ticket = new_ticket()

    ticket_reply(
        ticket=ticket, author=agent, body_text="Yes, the key box code is 1234.", now=NOW + timedelta(minutes=5)
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.awaiting_agent is False
    assert ticket.first_response_at == NOW + timedelta(minutes=5)


def test_reply_can_set_status_in_same_step() -> None:
    ticket = new_ticket()

    ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="Done.", status=Status.SOLVED, now=NOW)

    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.solved_at == NOW


def test_light_agent_cannot_reply_publicly_but_can_add_note() -> None:
    light = UserFactory.create(role=Role.LIGHT_AGENT)
    ticket = new_ticket()

    with pytest.raises(PermissionDenied):
        ticket_reply(ticket=ticket, author=light, body_text="Hi", now=NOW)
    note = ticket_add_note(ticket=ticket, author=light, body_text="Owner says yes", now=NOW)

    assert note.kind == MessageKind.NOTE
    ticket.refresh_from_db()
    assert ticket.awaiting_agent is True


def test_light_agent_cannot_change_properties() -> None:
    with pytest.raises(PermissionDenied):
        ticket_update(ticket=new_ticket(), actor=UserFactory.create(role=Role.LIGHT_AGENT), now=NOW, priority="high")


def test_update_audits_each_changed_field_with_old_and_new_values() -> None:
    agent = UserFactory.create(name="Rasa")
    team = TeamFactory.create(name="Guests", members=[agent])
    ticket = new_ticket()

    ticket_update(ticket=ticket, actor=agent, now=NOW, priority="urgent", team=team, assignee=agent, tags=["vip"])

    changes = {e.field: (e.old_value, e.new_value) for e in ticket.events.filter(kind=EventKind.CHANGED)}
    assert changes == {
        "priority": ("normal", "urgent"),
        "team": ("", "Guests"),
        "assignee": ("", "Rasa"),
        "status": ("new", "open"),
        "tags": ("", "vip"),
    }


def test_update_without_changes_writes_nothing() -> None:
    ticket = new_ticket(priority="high")

    ticket_update(ticket=ticket, actor=UserFactory.create(), now=NOW, priority="high")

    assert ticket.events.count() == 1


def test_status_transition_rules() -> None:
    agent = UserFactory.create()
    ticket = new_ticket()
    ticket_update(ticket=ticket, actor=agent, now=NOW, status=Status.SOLVED)
    ticket_update(ticket=ticket, actor=agent, now=NOW, status=Status.CLOSED)

    with pytest.raises(Conflict):
        ticket_update(ticket=ticket, actor=agent, now=NOW, status=Status.OPEN)


def test_cannot_go_back_to_new() -> None:
    ticket = new_ticket()
    ticket_update(ticket=ticket, actor=UserFactory.create(), now=NOW, status=Status.OPEN)

    with pytest.raises(ValidationError) as error:
        ticket_update(ticket=ticket, actor=UserFactory.create(), now=NOW, status=Status.NEW)
    assert error.value.field == "status"


def test_assignee_must_belong_to_team() -> None:
    outsider = UserFactory.create()
    ticket = new_ticket(team=TeamFactory.create())

    with pytest.raises(ValidationError) as error:
        ticket_update(ticket=ticket, actor=outsider, now=NOW, assignee=outsider)
    assert error.value.field == "assignee"


def test_moving_team_unassigns_agent_outside_new_team() -> None:
    agent = UserFactory.create()
    ticket = new_ticket(team=TeamFactory.create(members=[agent]), assignee=agent)

    ticket_update(ticket=ticket, actor=agent, now=NOW, team=TeamFactory.create())

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_customer_message_reopens_solved_ticket_and_waits_on_agent() -> None:
    agent = UserFactory.create()
    ticket = new_ticket()
    ticket_reply(ticket=ticket, author=agent, body_text="Solved", status=Status.SOLVED, now=NOW)

    ticket_add_customer_message(ticket=ticket, contact=ticket.requester, body_text="Not yet!", now=NOW)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.awaiting_agent is True
    assert ticket.solved_at is None


def test_escalation_to_manager_and_back() -> None:
    agent, manager = UserFactory.create(), UserFactory.create(role=Role.SUPERVISOR)
    ticket = new_ticket()

    ticket_escalate_to_manager(ticket=ticket, actor=agent, reason="Guest asks for a refund", now=NOW)
    waiting = list(ticket_list(user=manager, filters=TicketFilters(view="needs-manager")))
    with pytest.raises(PermissionDenied):
        ticket_resolve_escalation(ticket=ticket, actor=agent, now=NOW)
    ticket_resolve_escalation(ticket=ticket, actor=manager, note="Refund approved", now=NOW)

    assert waiting == [ticket]
    ticket.refresh_from_db()
    assert ticket.needs_manager is False
    kinds = list(ticket.events.values_list("kind", "note"))
    assert (EventKind.ESCALATED_TO_MANAGER, "Guest asks for a refund") in kinds
    assert (EventKind.ESCALATION_RESOLVED, "Refund approved") in kinds


def test_escalation_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as error:
        ticket_escalate_to_manager(ticket=new_ticket(), actor=UserFactory.create(), reason="  ", now=NOW)
    assert error.value.field == "reason"


def test_escalate_to_team_moves_ticket_and_unassigns() -> None:
    agent = UserFactory.create()
    tier2 = TeamFactory.create(name="Tier 2")
    ticket = new_ticket(team=TeamFactory.create(members=[agent]), assignee=agent)

    ticket_escalate_to_team(ticket=ticket, actor=agent, team=tier2, reason="Payment gateway bug", now=NOW)

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (tier2, None)
    event = ticket.events.get(kind=EventKind.ESCALATED_TO_TEAM)
    assert (event.new_value, event.note) == ("Tier 2", "Payment gateway bug")


def test_attachments_are_stored_with_checksum_and_sniffed_type() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    ticket = new_ticket(attachments=[SimpleUploadedFile("photo.png", png, content_type="text/plain")])

    attachment = ticket.messages.get().attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("photo.png", "image/png", 40)
    assert attachment.file.read() == png


def test_executable_attachment_is_refused_and_nothing_is_written() -> None:
    exe = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00rest", content_type="application/pdf")
    requester = ContactFactory.create()

    with pytest.raises(ValidationError):
        new_ticket(requester=requester, attachments=[exe])
    assert not requester.tickets.exists()


def test_oversized_attachment_is_refused(settings: Any) -> None:
    settings.FRONTDESK_MAX_ATTACHMENT_BYTES = 10
    with pytest.raises(ValidationError) as error:
        new_ticket(attachments=[SimpleUploadedFile("a.txt", b"x" * 11)])
    assert "limit" in error.value.message


def test_html_body_is_sanitised_and_text_derived() -> None:
    ticket = new_ticket(body_text="", body_html='<p onclick="x()">Hi<script>alert(1)</script></p>')

    message = ticket.messages.get()
    assert message.body_html == "<p>Hi</p>"
    assert message.body_text == "Hi"


def test_close_solved_closes_only_old_enough_solved_tickets() -> None:
    agent = UserFactory.create()
    old, recent = new_ticket(), new_ticket()
    ticket_update(ticket=old, actor=agent, now=NOW - timedelta(days=5), status=Status.SOLVED)
    ticket_update(ticket=recent, actor=agent, now=NOW - timedelta(days=1), status=Status.SOLVED)

    assert tickets_close_solved(now=NOW, after=timedelta(days=4)) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == (Status.CLOSED, Status.SOLVED)


def test_merging_contacts_moves_tickets_after_commit(django_capture_on_commit_callbacks: Any) -> None:
    source, target = ContactFactory.create(), ContactFactory.create()
    ticket = new_ticket(requester=source)

    with django_capture_on_commit_callbacks(execute=True):
        contact_merge(source=source, target=target, actor=None, now=NOW)

    ticket.refresh_from_db()
    assert ticket.requester == target
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REQUESTER_MERGED).exists()
