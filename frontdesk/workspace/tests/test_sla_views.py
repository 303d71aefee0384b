"""SLA in the workspace: the inbox's SLA filter, "next SLA due" order and badges, and the
ticket page's SLA panel."""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Team, User
from frontdesk.sla.services import sla_refresh
from frontdesk.sla.tests.factories import policy_with
from frontdesk.tickets.models import Status, Ticket
from frontdesk.tickets.services import ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import TicketFactory, new_ticket
from frontdesk.workspace.tests.conftest import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """The views read the clock: it stands at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def row_ids(response: object) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].items]  # type: ignore[attr-defined]


def with_clocks(ticket: Ticket, at: object = NOW) -> Ticket:
    sla_refresh(ticket_id=ticket.pk, now=at)  # type: ignore[arg-type]
    return Ticket.objects.get(pk=ticket.pk)


# --- inbox ------------------------------------------------------------------------------


def test_the_filter_bar_offers_the_sla_filters_and_orders(agent_client: Client) -> None:
    content = agent_client.get("/views/open/").content.decode()

    assert '<select name="sla" id="id_sla">' in content
    for option in ('value="breached">Breached', 'value="due_soon">Due within the hour'):
        assert option in content
    assert '<select name="sort" id="id_sort">' in content
    for option in ('value="" selected>Last activity', 'value="sla">Next SLA due'):
        assert option in content


def test_breached_view_lists_only_the_tickets_past_their_deadline(agent_client: Client, team: Team) -> None:
    late = TicketFactory.create(team=team, sla_due_at=NOW - minutes(5))
    TicketFactory.create(team=team, sla_due_at=NOW + minutes(30))
    TicketFactory.create(team=team, sla_due_at=None)

    response = agent_client.get("/views/all/?sla=breached")

    assert row_ids(response) == [late.pk]
    content = response.content.decode()
    badge = f'<time class="badge sla-badge sla-late" datetime="{late.sla_due_at.isoformat()}"'  # type: ignore[union-attr]
    assert badge in content
    assert 'data-sla-style="badge">5 min late</time>' in content


def test_due_within_the_hour_lists_the_amber_ones(agent_client: Client, team: Team) -> None:
    soon = TicketFactory.create(team=team, sla_due_at=NOW + minutes(42))
    TicketFactory.create(team=team, sla_due_at=NOW - minutes(1))
    TicketFactory.create(team=team, sla_due_at=NOW + minutes(61))

    response = agent_client.get("/views/all/?sla=due_soon")

    assert row_ids(response) == [soon.pk]
    assert 'class="badge sla-badge sla-soon"' in response.content.decode()
    assert ">in 42 min</time>" in response.content.decode()


def test_next_sla_due_order_pages_through_deadlines_then_the_rest(agent_client: Client, team: Team) -> None:
    without = [TicketFactory.create(team=team, last_activity_at=NOW - minutes(i)) for i in range(3)]
    due = [TicketFactory.create(team=team, sla_due_at=NOW + minutes(90 - i)) for i in range(24)]

    first = agent_client.get("/views/all/?sort=sla")
    second = agent_client.get(f"/views/all/?sort=sla&cursor={first.context['page'].next_cursor}")

    assert row_ids(first) == [ticket.pk for ticket in reversed(due)] + [without[0].pk]
    assert row_ids(second) == [ticket.pk for ticket in without[1:]]
    assert "Next page →" in first.content.decode()
    assert "← First page" in second.content.decode()
    assert 'class="badge sla-badge sla-ok"' in first.content.decode()  # 66 minutes and more ahead


def test_a_cursor_of_the_other_order_is_a_bad_request(agent_client: Client, team: Team) -> None:
    TicketFactory.create_batch(26, team=team)
    cursor = agent_client.get("/views/all/").context["page"].next_cursor

    assert agent_client.get(f"/views/all/?sort=sla&cursor={cursor}").status_code == 400


def test_sla_filter_values_that_do_not_parse_are_ignored(agent_client: Client, team: Team) -> None:
    ticket = TicketFactory.create(team=team)

    response = agent_client.get("/views/all/?sla=late&sort=priority")

    assert response.status_code == 200
    assert row_ids(response) == [ticket.pk]


def test_inbox_by_sla_queries_do_not_grow_with_the_number_of_tickets(
    agent_client: Client, agent: User, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(30):
        TicketFactory.create(team=team, status=Status.OPEN, sla_due_at=NOW + minutes(n) if n % 2 else None)

    # as the inbox by activity (test_views.py), with the keys read twice per rule and status:
    # the tickets with a deadline run out before the page is full
    with django_assert_max_num_queries(25):
        response = agent_client.get("/views/open/?sort=sla")

    assert len(response.context["page"].items) == 25


# --- ticket page --------------------------------------------------------------------------


def test_a_running_clock_counts_down_to_its_deadline(agent_client: Client, team: Team) -> None:
    policy_with({"normal": (60, None, 480)})
    ticket = with_clocks(new_ticket(team=team, now=NOW - minutes(18)))

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    panel = content[content.index('id="ticket-sla"') :]
    assert '<span class="sla-metric">First response</span>' in panel
    assert "target 1 h" in panel
    due = (NOW + minutes(42)).isoformat()
    assert f'<time class="sla-countdown sla-soon" datetime="{due}" data-sla-due="{due}"' in panel
    assert 'data-sla-style="countdown">42:00 left</time>' in panel
    assert "target 8 h" in panel  # resolution, green: 7 h 42 min left
    assert '<time class="sla-countdown sla-ok"' in panel


def test_a_breached_clock_says_since_when_in_red(agent_client: Client, team: Team) -> None:
    policy_with({"normal": (60, None, None)})
    ticket = with_clocks(new_ticket(team=team, now=NOW - minutes(72)))

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert re.search(r'<time class="sla-countdown sla-late"[^>]*>breached 12 min ago</time>', content)


def test_a_paused_clock_says_how_long_it_has_been_paused(agent_client: Client, agent: User, team: Team) -> None:
    policy_with({"normal": (None, None, 480)})
    ticket = new_ticket(team=team, now=NOW - minutes(90))
    ticket_update(ticket=ticket, actor=agent, status=Status.PENDING, now=NOW - minutes(60))
    with_clocks(ticket, at=NOW - minutes(60))  # computed when it paused: the hour since counts too

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert '<span class="badge sla-badge sla-paused">Paused</span>' in content
    assert "paused for 1 h, 30 min of business time used" in content
    assert "data-sla-due" not in content[content.index('id="ticket-sla"') : content.index("</section>")]


def test_a_met_clock_says_how_long_it_took(agent_client: Client, agent: User, team: Team) -> None:
    policy_with({"normal": (60, None, None)})
    ticket = new_ticket(team=team, now=NOW - minutes(30))
    ticket_reply(ticket=ticket, author=agent, body_text="On it.", now=NOW - minutes(5))
    with_clocks(ticket)

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert '<span class="badge sla-badge sla-met">Met</span>' in content
    assert "25 min of business time" in content


def test_a_ticket_without_a_policy_says_so(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "No SLA targets apply to this ticket." in content


def test_the_live_refresh_renders_the_sla_panel_again(agent_client: Client, team: Team) -> None:
    policy_with()
    ticket = with_clocks(new_ticket(team=team, now=NOW))

    content = agent_client.get(f"/tickets/{ticket.pk}/live/", headers=HTMX).content.decode()

    assert '<section id="ticket-sla" class="panel sla-panel" hx-swap-oob="true">' in content
    assert "1:00:00 left" in content
