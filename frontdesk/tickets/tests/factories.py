from datetime import UTC, datetime

import factory

from frontdesk.accounts.tests.factories import ContactFactory
from frontdesk.tickets.models import Channel, Message, Status, Ticket

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


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    channel = Channel.EMAIL
    author_contact = factory.SelfAttribute("ticket.requester")
    body_text = "Hello, I have a question about my booking."
    created_at = NOW
