"""Reads of a ticket's SLA clocks."""

from datetime import timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.sla.selectors import ticket_clocks
from frontdesk.sla.services import sla_refresh
from frontdesk.sla.tests.factories import policy_with
from frontdesk.tickets.selectors import access_ticket
from frontdesk.tickets.services import ticket_reply
from frontdesk.tickets.tests.factories import NOW, new_ticket

pytestmark = pytest.mark.django_db


def test_a_tickets_clocks_run_first_by_due_time_then_the_ended_ones(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    policy_with()
    agent = UserFactory.create()
    ticket = new_ticket(team=TeamFactory.create(members=[agent]))
    sla_refresh(ticket_id=ticket.pk, now=NOW)
    ticket_reply(ticket=ticket, author=agent, body_text="On it.", now=NOW + timedelta(minutes=5))
    sla_refresh(ticket_id=ticket.pk, now=NOW + timedelta(minutes=5))
    ticket = access_ticket(agent, ticket.pk)

    with django_assert_num_queries(1):  # the ticket page's read: without the policies
        clocks = ticket_clocks(user=agent, ticket=ticket, with_policy=False)

    with_policies = ticket_clocks(user=agent, ticket=ticket)
    assert [clock.pk for clock in clocks] == [clock.pk for clock in with_policies]
    running = [clock for clock in clocks if clock.stopped_at is None]
    assert clocks[: len(running)] == running
    assert [clock.due_at for clock in running] == sorted(clock.due_at for clock in running)  # type: ignore[type-var]
    assert any(clock.stopped_at is not None for clock in clocks)  # the first response, answered
