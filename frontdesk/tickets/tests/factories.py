from datetime import UTC, datetime
from typing import Any

import factory

from frontdesk.accounts.tests.factories import ContactFactory
from frontdesk.tickets.models import Channel, Message, Status, Ticket
from frontdesk.tickets.services import ticket_create

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class TicketFactory(factory.django.DjangoModelFactory[Ticket]):
    """A ticket row as the services would leave it, without its first message (use the services for those)."""

    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Question {n}")
    requester = factory.SubFactory(ContactFactory)
    channel = Channel.EMAIL
    status = Status.NEW
    created_at = NOW
    updated_at = NOW
    last_activity_at = NOW
    last_customer_message_at = NOW
    awaiting_since = NOW


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    channel = Channel.EMAIL
    author_contact = factory.SelfAttribute("ticket.requester")
    body_text = "Hello, I have a question about my booking."
    created_at = NOW


def new_ticket(**kwargs: Any) -> Ticket:
    """A ticket as a customer's first message creates it (through the service)."""
    values: dict[str, Any] = {
        "subject": "Late check-in",
        "requester": ContactFactory.create(),
        "channel": "email",
        "body_text": "We arrive at 23:00, can we still get the keys?",
        "actor": None,
        "now": NOW,
    }
    values.update(kwargs)
    return ticket_create(**values)
