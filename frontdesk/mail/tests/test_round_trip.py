"""A whole conversation through real servers: Dovecot holds the mailbox Frontdesk polls over IMAP,
aiosmtpd receives what Frontdesk sends over SMTP."""

from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.mail.models import InboundEmail, Mailbox, OutboundEmail, OutboundStatus, ThreadReason
from frontdesk.mail.services import RETRY_DELAYS, mailbox_create, mailbox_poll, mailboxes_poll, outbox_send_due
from frontdesk.mail.tests.factories import email_bytes
from frontdesk.mail.tests.servers import ImapAccount, SmtpServer
from frontdesk.mail.transport import ServerUrl
from frontdesk.tickets.models import EventKind, Ticket
from frontdesk.tickets.services import ticket_reply
from frontdesk.tickets.tests.factories import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _url(url: ServerUrl) -> str:
    path = f"/{url.folder}" if url.folder else ""
    return f"{url.scheme}://{url.username}:{url.password}@{url.host}:{url.port}{path}"


def _customer_mail(*, subject: str, body: str, to: str = "help@hotel.test", in_reply_to: str = "") -> bytes:
    """As it reaches the IMAP server: with CRLF line endings."""
    message_id = f"<{abs(hash((subject, body)))}@example.com>"
    raw = email_bytes(
        sender="Ana <ana@example.com>",
        to=to,
        subject=subject,
        body=body,
        message_id=message_id,
        in_reply_to=in_reply_to,
    )
    return raw.replace(b"\n", b"\r\n")


@pytest.fixture
def mailbox(imap_account: ImapAccount, smtp_server: SmtpServer) -> Mailbox:
    box, _secret = mailbox_create(
        name="help",
        address="help@hotel.test",
        imap_url=_url(imap_account.url("imap+starttls")),
        smtp_url=_url(smtp_server.url()),
        actor=None,
        now=NOW,
    )
    return box


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_customer_writes_agent_answers_customer_replies_on_the_same_ticket(
    mailbox: Mailbox, imap_account: ImapAccount, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    first = _customer_mail(subject="Late check-in", body="Can I arrive at 23:00?")
    imap_account.append(first)
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox_poll(mailbox=mailbox, now=NOW) == 1
    ticket = Ticket.objects.get()
    assert ticket.subject == "Late check-in"
    # Marked on the server only now that it is stored; the next poll fetches nothing.
    assert all("FrontdeskStored" in flags for flags in imap_account.flags().values())
    assert mailbox_poll(mailbox=mailbox, now=NOW) == 0

    # The acknowledgement leaves with the next sweep of the outbox.
    assert outbox_send_due(now=NOW) == 1
    (ack,) = smtp_server.received
    assert ack.rcpt_tos == ["ana@example.com"]
    assert message_from_bytes(ack.data)["Auto-Submitted"] == "auto-replied"

    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="Yes, the night desk is open.", now=NOW)
    reply = message_from_bytes(smtp_server.received[-1].data, policy=policy.default)
    assert smtp_server.received[-1].login == "mailer"
    assert reply["To"] == "ana@example.com"
    assert reply["In-Reply-To"] == message_from_bytes(first)["Message-ID"]
    assert f"[#{ticket.pk}]" in reply["Subject"]
    plain = reply.get_body(("plain",))
    assert plain is not None
    assert "night desk" in plain.get_content()
    outbound = OutboundEmail.objects.get(message__isnull=False)
    assert outbound.status == OutboundStatus.SENT
    assert bytes(outbound.raw) == smtp_server.received[-1].data

    # The customer answers our reply, to the Reply-To address, from a client that drops the headers.
    answer = _customer_mail(
        subject="Re: " + reply["Subject"], body="Great, thanks!", to=parseaddr(reply["Reply-To"])[1]
    )
    imap_account.append(answer)
    with django_capture_on_commit_callbacks(execute=True):
        assert mailbox_poll(mailbox=mailbox, now=NOW + timedelta(minutes=5)) == 1
    inbound = InboundEmail.objects.latest("pk")
    assert inbound.ticket_id == ticket.pk
    assert inbound.thread_reason == ThreadReason.REPLY_TOKEN
    assert ticket.messages.count() == 3


@time_machine.travel(NOW, tick=False)  # the send job reads the clock
def test_a_temporary_smtp_failure_is_retried_and_a_lasting_one_shows_on_the_ticket(
    mailbox: Mailbox, imap_account: ImapAccount, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    imap_account.append(_customer_mail(subject="Towels", body="More towels please"))
    mailbox.auto_ack = False
    mailbox.save()
    mailbox_poll(mailbox=mailbox, now=NOW)
    ticket = Ticket.objects.get()

    smtp_server.fail_next("451 4.3.0 Try again later")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="On their way.", now=NOW)
    outbound = OutboundEmail.objects.get()
    assert outbound.status == OutboundStatus.PENDING
    assert outbound.attempts == 1
    assert "451" in outbound.last_error
    assert outbox_send_due(now=NOW) == 0  # not due yet
    assert outbox_send_due(now=NOW + RETRY_DELAYS[0]) == 1
    outbound.refresh_from_db()
    assert outbound.status == OutboundStatus.SENT
    assert len(smtp_server.received) == 1

    smtp_server.refuse("ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="And soap.", now=NOW)
    failed = OutboundEmail.objects.latest("pk")
    assert failed.status == OutboundStatus.FAILED
    assert ticket.events.filter(kind=EventKind.DELIVERY_FAILED).exists()
    assert "550" in ticket.messages.filter(kind="note").get().body_text


def test_an_unreachable_imap_server_backs_off(mailbox: Mailbox) -> None:
    mailbox.imap_url = "imap://frontdesk@127.0.0.1:9/INBOX"
    mailbox.save()
    assert mailbox_poll(mailbox=mailbox, now=NOW) == 0
    assert mailbox.imap_failures == 1
    assert "refused" in mailbox.imap_last_error
    assert mailbox.imap_next_poll_at == NOW + timedelta(minutes=1)
    mailbox_poll(mailbox=mailbox, now=NOW)
    assert mailbox.imap_next_poll_at == NOW + timedelta(minutes=2)
    # The periodic poll leaves it alone until then; `frontdesk mail poll` tries it anyway.
    assert mailboxes_poll(now=NOW + timedelta(minutes=1)) == []
    assert [polled.pk for polled, _stored in mailboxes_poll(now=NOW, including_backing_off=True)] == [mailbox.pk]
