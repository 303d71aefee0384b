"""The inbox by SLA: "breached" and "due within the hour" filters, and the "next SLA due" order
read page by page across visibility rules and statuses, as the activity order is."""

from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.core.errors import ValidationError
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.selectors import TicketFilters, ticket_list, ticket_page
from frontdesk.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BY_SLA = TicketFilters(sort="sla")


def _walk(user: User, filters: TicketFilters, size: int) -> list[Ticket]:
    seen: list[Ticket] = []
    page = ticket_page(user=user, filters=filters, size=size, now=NOW)
    seen += page.items
    while page.next_cursor:
        page = ticket_page(user=user, filters=filters, cursor=page.next_cursor, size=size, now=NOW)
        seen += page.items
    return seen


def _due_in(minutes: int | None) -> datetime | None:
    return None if minutes is None else NOW + timedelta(minutes=minutes)


def test_breached_means_the_next_deadline_has_passed() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    late = TicketFactory.create(sla_due_at=_due_in(-5))
    due_now = TicketFactory.create(sla_due_at=NOW)
    for minutes in (1, 60, None):
        TicketFactory.create(sla_due_at=_due_in(minutes))

    page = ticket_page(user=admin, filters=TicketFilters(sla="breached"), now=NOW)

    assert set(page.items) == {late, due_now}


def test_due_within_the_hour_leaves_out_the_breached_and_the_later_ones() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    soon = [TicketFactory.create(sla_due_at=_due_in(minutes)) for minutes in (1, 59, 60)]
    for minutes in (-5, 0, 61, None):
        TicketFactory.create(sla_due_at=_due_in(minutes))

    page = ticket_page(user=admin, filters=TicketFilters(sla="due_soon"), now=NOW)

    assert set(page.items) == set(soon)


def test_the_sla_filters_are_relative_to_the_now_given() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    ticket = TicketFactory.create(sla_due_at=_due_in(30))

    later = ticket_page(user=admin, filters=TicketFilters(sla="breached"), now=NOW + timedelta(minutes=31))
    earlier = ticket_page(user=admin, filters=TicketFilters(sla="breached"), now=NOW)

    assert (later.items, earlier.items) == ([ticket], [])


def test_next_sla_due_comes_first_then_the_tickets_without_a_deadline_by_activity() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    later = TicketFactory.create(sla_due_at=_due_in(90), last_activity_at=NOW)
    breached = TicketFactory.create(sla_due_at=_due_in(-10), last_activity_at=NOW - timedelta(days=1))
    soon = TicketFactory.create(sla_due_at=_due_in(5), last_activity_at=NOW - timedelta(hours=2))
    quiet = TicketFactory.create(sla_due_at=None, last_activity_at=NOW - timedelta(days=3))
    busy = TicketFactory.create(sla_due_at=None, last_activity_at=NOW + timedelta(minutes=1))

    page = ticket_page(user=admin, filters=BY_SLA, now=NOW)

    assert page.items == [breached, soon, later, busy, quiet]
    assert list(ticket_list(user=admin, filters=BY_SLA)) == page.items


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_cursor_pages_by_sla_cross_into_the_tickets_without_a_deadline(size: int) -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    # ties on the deadline and on activity, broken by id (ascending, then descending)
    with_deadline = [TicketFactory.create(sla_due_at=_due_in(i % 2)) for i in range(4)]
    without = [TicketFactory.create(sla_due_at=None, last_activity_at=NOW - timedelta(hours=i % 2)) for i in range(3)]

    walked = _walk(admin, BY_SLA, size=size)

    assert walked == [
        *sorted(with_deadline, key=lambda t: (t.sla_due_at, t.pk)),
        *sorted(without, key=lambda t: (t.last_activity_at, t.pk), reverse=True),
    ]


@pytest.mark.parametrize(("sla", "sort"), [("", "sla"), ("breached", "activity"), ("due_soon", "sla")])
@pytest.mark.parametrize("team", [None, 0, 2], ids=["any-team", "own-team", "other-team"])
@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
@pytest.mark.parametrize("view", ["my-unanswered", "open", "all"])
def test_paging_by_index_ranges_gives_exactly_the_single_query_list(
    role: str, view: str, team: int | None, sla: str, sort: str
) -> None:
    user = UserFactory.create(role=role)
    teams = [TeamFactory.create(members=[user]), TeamFactory.create(members=[user]), TeamFactory.create()]
    statuses = ["new", "open", "pending", "on_hold", "solved"]
    deadlines = [-90, -5, 0, 10, 30, 59, 60, 61, 240, None, None]
    for i in range(44):
        TicketFactory.create(
            team=[*teams, None][i % 4],
            assignee=user if i % 3 == 0 else None,
            status=statuses[i % 5],
            awaiting_agent=i % 2 == 0,
            last_activity_at=NOW + timedelta(minutes=i % 6),  # ties on activity, broken by id
            sla_due_at=_due_in(deadlines[i % len(deadlines)]),  # and on deadlines
        )
    filters = TicketFilters(view=view, team=None if team is None else teams[team].pk, sla=sla, sort=sort)

    assert _walk(user, filters, size=3) == list(ticket_list(user=user, filters=filters, now=NOW))


def test_a_text_search_sorts_by_sla_too() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    none = TicketFactory.create(subject="Parking", sla_due_at=None)
    due = TicketFactory.create(subject="Parking again", sla_due_at=_due_in(30))
    TicketFactory.create(subject="Breakfast", sla_due_at=_due_in(10))

    assert _walk(admin, TicketFilters(q="parking", sort="sla"), size=1) == [due, none]


def test_a_cursor_of_one_order_is_refused_by_the_other() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    TicketFactory.create_batch(3, sla_due_at=_due_in(30))
    by_activity = ticket_page(user=admin, filters=TicketFilters(), size=1).next_cursor
    by_sla = ticket_page(user=admin, filters=BY_SLA, size=1, now=NOW).next_cursor
    assert by_activity is not None
    assert by_sla is not None

    with pytest.raises(ValidationError) as activity_in_sla:
        ticket_page(user=admin, filters=BY_SLA, cursor=by_activity, size=1, now=NOW)
    with pytest.raises(ValidationError) as sla_in_activity:
        ticket_page(user=admin, filters=TicketFilters(), cursor=by_sla, size=1, now=NOW)

    assert activity_in_sla.value.field == sla_in_activity.value.field == "cursor"


@pytest.mark.parametrize(("field", "filters"), [("sla", TicketFilters(sla="late")), ("sort", TicketFilters(sort="x"))])
def test_unknown_sla_filter_or_sort_is_refused_naming_it(field: str, filters: TicketFilters) -> None:
    with pytest.raises(ValidationError) as refused:
        ticket_page(user=UserFactory.create(role=Role.ADMIN), filters=filters, now=NOW)

    assert refused.value.field == field


def test_an_sla_filter_without_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        ticket_page(user=UserFactory.create(role=Role.ADMIN), filters=TicketFilters(sla="breached"))


@pytest.mark.parametrize(
    ("with_deadline", "queries"),
    [
        # the agent's team ids; per rule (their team, theirs, unrouted) and status (new, open) the
        # deadlines; the page's tickets with their tags
        (30, 1 + 6 + 1),
        # the deadlines run out before the page is full: the same for the tickets without one
        (3, 1 + 6 + 6 + 1),
    ],
)
def test_a_page_by_sla_runs_a_fixed_number_of_queries(
    with_deadline: int, queries: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    for i in range(with_deadline):
        TicketFactory.create(team=team, status="open", sla_due_at=_due_in(i))
    TicketFactory.create_batch(30, team=team, status="new", sla_due_at=None)
    agent = User.objects.get(pk=agent.pk)  # no team ids remembered

    with django_assert_num_queries(queries):
        page = ticket_page(user=agent, filters=TicketFilters(view="open", sort="sla"), size=25, now=NOW)

    assert len(page.items) == 25
