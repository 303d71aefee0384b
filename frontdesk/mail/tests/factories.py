from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import factory

from frontdesk.core.crypto import encrypt_secret
from frontdesk.mail.models import InboundEmail, InboundSource, Mailbox
from frontdesk.mail.services import IngestResult, email_receive
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.tests.factories import NOW


class MailboxFactory(factory.django.DjangoModelFactory[Mailbox]):
    """A mailbox row as mailbox_create leaves it (without an inbound secret: use the service for one).

    Server passwords are given in plain text and stored encrypted:
    `MailboxFactory.create(imap_url="imaps://support@mail.example", imap_password="secret")`.
    """

    class Meta:
        model = Mailbox

    name = factory.Sequence(lambda n: f"support{n}")
    address = factory.LazyAttribute(lambda mailbox: f"{mailbox.name}@hotel.example")
    created_at = NOW
    imap_password = factory.Transformer("", transform=lambda plain: encrypt_secret(plain) if plain else "")
    smtp_password = factory.Transformer("", transform=lambda plain: encrypt_secret(plain) if plain else "")


def email_bytes(
    *,
    subject: str = "Late check-in",
    sender: str = "Guest <guest@guests.example>",
    to: str = "support@hotel.example",
    body: str = "We arrive at 23:00, can we still get the keys?",
    message_id: str | None = "<guest-1@guests.example>",
    date: datetime = NOW,
    in_reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A plain, well-formed message as a customer's mail program sends it; `in_reply_to`
    answers that Message-ID (In-Reply-To and References)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def inbound_email(mailbox: Mailbox, raw: bytes, now: datetime = NOW) -> InboundEmail:
    """`raw` stored as received by `mailbox` (services.email_receive), not processed yet."""
    return email_receive(mailbox=mailbox, raw=raw, source=InboundSource.PIPE, now=now)


def ticket_of(result: IngestResult) -> Ticket:
    """The ticket an ingested message became part of."""
    assert result.ticket is not None, result
    return Ticket.objects.get(pk=result.ticket)
