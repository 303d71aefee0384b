"""Rows for report scenarios (tickets, replies, work intervals, SLA clocks), written straight to the
tables with the times each test names."""

from datetime import datetime
from typing import Any

from frontdesk.accounts.models import User
from frontdesk.routing.models import IntervalKind, WorkInterval
from frontdesk.sla.models import Clock, ClockState, Policy
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


def clock(
    ticket: Ticket,
    metric: str,
    state: str,
    *,
    due_at: datetime | None = None,
    stopped_at: datetime | None = None,
    policy: Policy | None = None,
    started_at: datetime | None = None,
    elapsed_seconds: int = 0,
    target_minutes: int = 60,
) -> Clock:
    """An SLA clock row as `sla_refresh` leaves it: met clocks have no deadline, breached and running
    ones do; `stopped_at` None while it runs."""
    return Clock.objects.create(
        ticket=ticket,
        metric=metric,
        started_at=started_at or ticket.created_at,
        policy=policy,
        target_minutes=target_minutes,
        state=state,
        stopped_at=stopped_at,
        elapsed_seconds=elapsed_seconds,
        due_at=due_at,
        computed_at=stopped_at or ticket.created_at,
    )


def met(ticket: Ticket, metric: str, at: datetime, **fields: Any) -> Clock:
    """A clock that met its target at `at` (a reply, or solving)."""
    return clock(ticket, metric, ClockState.MET, stopped_at=at, **fields)


def breached(ticket: Ticket, metric: str, due: datetime, stopped: datetime | None = None, **fields: Any) -> Clock:
    """A clock that passed its deadline `due`, stopped late at `stopped` or still running."""
    return clock(ticket, metric, ClockState.BREACHED, due_at=due, stopped_at=stopped, **fields)
