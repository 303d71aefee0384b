"""Rows for report scenarios, written straight to the tables with the times each test names."""

from datetime import datetime
from typing import Any

from frontdesk.accounts.models import User
from frontdesk.routing.models import IntervalKind, WorkInterval
from frontdesk.tickets.models import Message, Ticket
from frontdesk.tickets.tests.factories import MessageFactory, TicketFactory


def assigned_ticket(agent: User | None, at: datetime | None, **fields: Any) -> Ticket:
    """A ticket whose current assignee got it at `at`."""
    return TicketFactory.create(assignee=agent, assigned_at=at, status=fields.pop("status", "open"), **fields)


def reply(
    agent: User, at: datetime, *, waited: int | None, first: bool = False, phase: str = "", ticket: Ticket | None = None
) -> Message:
    """An agent's reply; `waited` is how long the customer had waited (None: it answered no one)."""
    return MessageFactory.create(
        ticket=ticket or TicketFactory.create(assignee=agent, assigned_at=at),
        author_agent=agent,
        author_contact=None,
        created_at=at,
        response_seconds=waited,
        first_response=first,
        booking_phase=phase,
    )


def shift(agent: User, started: datetime, ended: datetime | None) -> WorkInterval:
    return WorkInterval.objects.create(agent=agent, kind=IntervalKind.SHIFT, started_at=started, ended_at=ended)


def pause(agent: User, started: datetime, ended: datetime | None) -> WorkInterval:
    return WorkInterval.objects.create(agent=agent, kind=IntervalKind.PAUSED, started_at=started, ended_at=ended)
