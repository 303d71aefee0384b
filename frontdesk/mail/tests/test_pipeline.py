"""The inbound pipeline: storage, threading, duplicates, loops, bounces, quarantine."""

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from frontdesk.accounts.models import ContactIdentity
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.mail.models import InboundEmail, InboundStatus, Mailbox, OutboundEmail, OutboundKind, ThreadReason
from frontdesk.mail.services import (
    IngestResult,
    email_ingest,
    email_process,
    email_receive,
    emails_process_waiting,
    mailbox_create,
    outbox_send_due,
    reply_address,
)
from frontdesk.mail.tests.factories import email_bytes, ticket_of
from frontdesk.tickets.models import EventKind, Status, Ticket
from frontdesk.tickets.services import ticket_merge, ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db


def mail(
    *,
    sender: str = "ana@example.com",
    to: str = "help@hotel.test",
    body: str = "Can I arrive at 23:00?",
    message_id: str | None = None,
    **fields: Any,
) -> bytes:
    """A customer's message to the help mailbox, with a Message-ID of its own."""
    message_id = message_id or make_msgid(domain="example.com")
    return email_bytes(sender=sender, to=to, body=body, message_id=message_id, **fields)


@pytest.fixture
def mailbox() -> Mailbox:
    box, _secret = mailbox_create(name="help", address="help@hotel.test", actor=None, now=NOW)
    return box


def ingest(mailbox: Mailbox, raw: bytes, *, now: datetime = NOW) -> IngestResult:
    return email_ingest(mailbox=mailbox, raw=raw, source="pipe", now=now)


def test_a_new_mail_becomes_a_ticket_and_its_raw_bytes_are_kept(mailbox: Mailbox) -> None:
    raw = mail(body="Can I arrive at 23:00?\n\n> old quoted text\n")
    result = ingest(mailbox, raw)
    assert result.outcome == "created"
    ticket = ticket_of(result)
    assert ticket.subject == "Late check-in"
    assert ticket.channel == "email"
    assert ticket.requester.identities.get().value == "ana@example.com"
    message = ticket.messages.get()
    assert message.pk == result.message
    assert message.stripped_text == "Can I arrive at 23:00?"
    inbound = InboundEmail.objects.get(message=message)
    assert inbound.thread_reason == ThreadReason.NEW
    with inbound.raw.open("rb") as stored:
        assert stored.read() == raw


def test_attachments_the_ticket_would_refuse_are_withheld_and_named(mailbox: Mailbox) -> None:
    message = message_from_bytes(mail(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    message.add_attachment(b"%PDF-1.4 booking", maintype="application", subtype="pdf", filename="booking.pdf")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="invoice.txt")
    message.add_attachment(b"echo hi", maintype="application", subtype="octet-stream", filename="run.bat")
    result = ingest(mailbox, message.as_bytes())
    assert result.outcome == "created"
    assert [a.filename for a in ticket_of(result).messages.get().attachments.all()] == ["booking.pdf"]
    withheld = InboundEmail.objects.get(pk=result.inbound).withheld_attachments
    assert [item["filename"] for item in withheld] == ["invoice.txt", "run.bat"]
    assert withheld[0]["reason"] == "invoice.txt: executable files are not accepted."


def test_replies_thread_by_reply_token_subject_token_and_in_reply_to(mailbox: Mailbox) -> None:
    first = ingest(mailbox, mail(message_id="<first@example.com>"))
    ticket = ticket_of(first)

    by_header = ingest(mailbox, mail(subject="Re: Late check-in", in_reply_to="<first@example.com>"))
    by_subject = ingest(mailbox, mail(subject=f"About my booking [#{ticket.pk}]"))
    by_address = ingest(mailbox, mail(subject="hello", to=reply_address(mailbox, ticket)))
    forged = ingest(mailbox, mail(subject="hello", to=f"help+t{ticket.pk}-0000000000@hotel.test"))
    # Delivered to the reply address though the To header names someone else (a Bcc, an alias).
    bcc = ingest(mailbox, mail(subject="hi", headers={"Delivered-To": reply_address(mailbox, ticket)}))
    assert bcc.ticket == ticket.pk

    assert {by_header.ticket, by_subject.ticket, by_address.ticket} == {ticket.pk}
    reasons = [InboundEmail.objects.get(pk=r.inbound).thread_reason for r in (by_header, by_subject, by_address)]
    assert reasons == [ThreadReason.IN_REPLY_TO, ThreadReason.SUBJECT_TOKEN, ThreadReason.REPLY_TOKEN]
    assert forged.outcome == "created"
    assert forged.ticket != ticket.pk


def test_the_same_message_twice_is_a_duplicate_but_same_id_other_content_is_not(mailbox: Mailbox) -> None:
    raw = mail(message_id="<same@example.com>")
    first = ingest(mailbox, raw)
    # The same message again, with one more Received header from another route.
    again = ingest(mailbox, b"Received: from relay2.example.com\r\n" + raw)
    other = ingest(mailbox, mail(message_id="<same@example.com>", body="Something else entirely"))
    assert again.outcome == "duplicate"
    assert again.ticket == first.ticket
    assert again.message == first.message
    assert other.outcome in ("created", "appended")
    assert other.message not in (None, first.message)
    assert InboundEmail.objects.count() == 3


def test_mail_for_a_merged_ticket_lands_on_its_target(mailbox: Mailbox) -> None:
    source = ticket_of(ingest(mailbox, mail(message_id="<a@example.com>")))
    target = ticket_of(ingest(mailbox, mail(sender="bo@example.com")))
    ticket_merge(source=source, target=target, actor=None, now=NOW)
    reply = ingest(mailbox, mail(in_reply_to="<a@example.com>", subject="Re: x"))
    assert reply.ticket == target.pk


def _close(ticket: Ticket, now: datetime) -> Ticket:
    agent = UserFactory.create(role="admin")
    ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED, now=now)
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket_update(ticket=ticket, actor=agent, status=Status.CLOSED, now=now)
    return Ticket.objects.get(pk=ticket.pk)


def test_a_reply_to_a_closed_ticket_reopens_it_within_the_window_and_opens_a_follow_up_after(
    mailbox: Mailbox,
) -> None:
    ticket = _close(ticket_of(ingest(mailbox, mail(message_id="<c@example.com>"))), NOW)

    soon = ingest(mailbox, mail(in_reply_to="<c@example.com>"), now=NOW + timedelta(days=3))
    assert soon.ticket == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()

    ticket = _close(ticket, NOW + timedelta(days=4))
    late = ingest(mailbox, mail(in_reply_to="<c@example.com>"), now=NOW + timedelta(days=30))
    follow_up = ticket_of(late)
    assert late.outcome == "created"
    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_of_id == ticket.pk
    assert InboundEmail.objects.get(pk=late.inbound).thread_reason == ThreadReason.FOLLOW_UP
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_an_auto_reply_is_recorded_but_neither_reopens_nor_gets_an_acknowledgement(mailbox: Mailbox) -> None:
    mailbox.smtp_url = "smtp://127.0.0.1:1"
    mailbox.save()
    ticket = ticket_of(ingest(mailbox, mail(message_id="<s@example.com>")))
    ticket = _close(ticket, NOW)
    acks = OutboundEmail.objects.filter(kind=OutboundKind.AUTO_ACK).count()
    out_of_office = mail(in_reply_to="<s@example.com>", headers={"Auto-Submitted": "auto-replied"})
    result = ingest(mailbox, out_of_office, now=NOW + timedelta(hours=1))
    assert result.outcome == "appended"
    assert result.ticket == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    newsletter = ingest(mailbox, mail(sender="news@shop.test", headers={"Precedence": "bulk"}))
    assert newsletter.outcome == "created"
    assert OutboundEmail.objects.filter(kind=OutboundKind.AUTO_ACK).count() == acks


def test_acknowledgements_are_limited_and_our_own_never_loops(mailbox: Mailbox) -> None:
    mailbox.smtp_url = "smtp://127.0.0.1:1"  # queued; sending fails (nothing listens), which is fine here
    mailbox.save()
    for n in range(5):
        ingest(mailbox, mail(subject=f"Question {n}"), now=NOW + timedelta(minutes=n))
    acks = OutboundEmail.objects.filter(kind=OutboundKind.AUTO_ACK)
    assert acks.count() == 3
    outbox_send_due(now=NOW + timedelta(minutes=5))  # built now; sending fails, nothing listens
    ack = acks.first()
    assert ack is not None
    raw = bytes(ack.raw)
    assert b"Auto-Submitted: auto-replied" in raw
    assert b"In-Reply-To:" in raw
    for n in range(20):  # the acknowledgement comes back to us (a forwarding loop)
        ingest(mailbox, raw.replace(b"Message-ID:", f"X-Loop: {n}\r\nMessage-ID:".encode(), 1))
    ingest(mailbox, mail(sender="other@example.com", subject="Fresh"), now=NOW + timedelta(hours=1))
    assert OutboundEmail.objects.count() == 4  # only the new customer's acknowledgement


def test_a_permanent_bounce_lands_on_the_ticket_and_marks_the_address_failing(
    mailbox: Mailbox, django_capture_on_commit_callbacks
) -> None:
    mailbox.smtp_url = "smtp://127.0.0.1:1"
    mailbox.save()
    ticket = ticket_of(ingest(mailbox, mail(sender="gone@example.com")))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="We can do that.", now=NOW)
    sent = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
    bounce = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: help@hotel.test\r\nSubject: Undelivered Mail\r\n"
        b"Message-ID: <bounce1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        + f"Message-ID: <{sent.rfc_message_id}>\r\n".encode()
        + b"--B--\r\n"
    )
    result = ingest(mailbox, bounce, now=NOW + timedelta(minutes=5))
    assert result.outcome == "appended"
    assert result.ticket == ticket.pk
    assert InboundEmail.objects.get(pk=result.inbound).thread_reason == ThreadReason.BOUNCE
    assert ticket.events.filter(kind=EventKind.DELIVERY_FAILED).exists()
    identity = ContactIdentity.objects.get(value="gone@example.com")
    assert identity.failing_since is not None
    assert "5.1.1" in identity.failure
    sent.refresh_from_db()
    assert sent.status == "bounced"


def test_what_cannot_be_processed_is_quarantined_with_its_bytes_and_can_be_retried(mailbox: Mailbox) -> None:
    mailbox.max_message_bytes = 1024
    mailbox.save()
    raw = mail(body="x" * 5000)
    result = ingest(mailbox, raw)
    assert result.outcome == "quarantined"
    assert result.ticket is None
    inbound = InboundEmail.objects.get(pk=result.inbound)
    assert inbound.status == InboundStatus.QUARANTINED
    assert "1,024" in inbound.error
    assert inbound.subject == "Late check-in"
    assert inbound.sender == "ana@example.com"
    assert Ticket.objects.count() == 0
    assert email_process(inbound_id=inbound.pk, now=NOW).outcome == "quarantined"  # no retry by itself
    retried = email_process(inbound_id=inbound.pk, now=NOW, force=True)
    assert retried.outcome == "created"
    assert Ticket.objects.count() == 1


def test_a_message_stored_by_a_process_that_died_is_processed_once(mailbox: Mailbox) -> None:
    raw = mail()
    stored = email_receive(mailbox=mailbox, raw=raw, source="pipe", now=NOW)  # …and the process dies here
    again = email_receive(mailbox=mailbox, raw=raw, source="pipe", now=NOW)  # the MTA delivers it again
    assert again.pk == stored.pk
    assert emails_process_waiting(now=NOW + timedelta(minutes=5)) == 1
    assert ingest(mailbox, raw).outcome == "duplicate"
    assert Ticket.objects.count() == 1
