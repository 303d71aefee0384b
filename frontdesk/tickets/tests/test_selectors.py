from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.core.errors import NotFound
from frontdesk.tickets import selectors
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.selectors import (
    OTHER_TICKETS,
    TicketFilters,
    access_ticket,
    count_capped,
    requester_other_tickets,
    ticket_attachments,
    ticket_events,
    ticket_list,
    ticket_page,
    view_counts,
)
from frontdesk.tickets.services import ticket_add_customer_message, ticket_add_note, ticket_create
from frontdesk.tickets.tests.factories import MessageFactory, TicketFactory, new_ticket

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_agent_sees_own_teams_assigned_and_unrouted_tickets_only() -> None:
    agent = UserFactory.create()
    mine, other = TeamFactory.create(members=[agent]), TeamFactory.create()
    visible = [
        TicketFactory.create(team=mine),
        TicketFactory.create(team=None),
        TicketFactory.create(team=other, assignee=agent),
    ]
    hidden = TicketFactory.create(team=other)

    found = set(ticket_list(user=agent, filters=TicketFilters()))

    assert found == set(visible)
    assert [access_ticket(agent, ticket.pk) for ticket in visible] == visible
    with pytest.raises(NotFound):
        access_ticket(agent, hidden.pk)


def test_requester_other_tickets_are_the_visible_ones_newest_first() -> None:
    agent = UserFactory.create()
    mine, other = TeamFactory.create(members=[agent]), TeamFactory.create()
    requester = ContactFactory.create()
    ticket = TicketFactory.create(team=mine, requester=requester, last_activity_at=NOW)
    older = TicketFactory.create(team=None, requester=requester, last_activity_at=NOW - timedelta(days=2))
    newer = TicketFactory.create(team=other, assignee=agent, requester=requester, last_activity_at=NOW)
    TicketFactory.create(team=other, requester=requester)  # not visible to the agent
    TicketFactory.create(team=mine)  # someone else's

    others = requester_other_tickets(user=agent, ticket=ticket)

    assert [(t.pk, t.subject, t.status) for t in others] == [
        (newer.pk, newer.subject, newer.status),
        (older.pk, older.subject, older.status),
    ]


def test_ticket_page_reads_run_one_query_each(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    agent = UserFactory.create()
    ticket = TicketFactory.create(team=TeamFactory.create(members=[agent]))

    with django_assert_num_queries(2):
        access_ticket(agent, ticket.pk)
        requester_other_tickets(user=agent, ticket=ticket)


def test_a_ticket_read_with_its_tags_has_their_names_in_alphabetical_order(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    tagged = new_ticket(team=team, tags=["wifi", "vip", "check-in"])
    untagged = new_ticket(team=team)

    with django_assert_num_queries(2):
        read = [access_ticket(agent, ticket.pk, with_tags=True) for ticket in (tagged, untagged)]

    names = [ticket.tag_names for ticket in read]  # type: ignore[attr-defined]  # set by with_tags
    assert names == [["check-in", "vip", "wifi"], []]
    assert names[0] == [tag.name for tag in tagged.tags.order_by("name")]


def test_ticket_attachments_are_grouped_by_message_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    ticket = new_ticket(team=team)
    files = [SimpleUploadedFile(f"photo{n}.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png") for n in range(4)]
    with_two = ticket_add_note(ticket=ticket, author=agent, body_text="two", attachments=files[:2], now=NOW)
    with_one = ticket_add_note(ticket=ticket, author=agent, body_text="one", attachments=files[2:3], now=NOW)
    ticket_add_note(ticket=new_ticket(team=team), author=agent, body_text="else", attachments=files[3:], now=NOW)

    with django_assert_num_queries(1):
        attachments = ticket_attachments(user=agent, ticket=ticket)

    assert {pk: [a.filename for a in found] for pk, found in attachments.items()} == {
        with_two.pk: ["photo0.png", "photo1.png"],
        with_one.pk: ["photo2.png"],
    }


def test_ticket_events_are_the_history_with_its_actors_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    agent = UserFactory.create()
    ticket = new_ticket(team=TeamFactory.create(members=[agent]))
    ticket_add_note(ticket=ticket, author=agent, body_text="noted", attachments=[], now=NOW)

    with django_assert_num_queries(1):
        events = ticket_events(user=agent, ticket=ticket)
        actors = [event.actor.name if event.actor else None for event in events]

    assert events == list(ticket.events.order_by("created_at", "id"))
    assert actors[-1] == agent.name


def test_requester_other_tickets_are_the_newest_few(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    requester = ContactFactory.create()
    ticket = TicketFactory.create(requester=requester, last_activity_at=NOW)
    others = [
        TicketFactory.create(requester=requester, last_activity_at=NOW - timedelta(hours=n))
        for n in range(1, OTHER_TICKETS + 2)
    ]

    with django_assert_num_queries(1):
        found = requester_other_tickets(user=supervisor, ticket=ticket)

    assert found == others[:OTHER_TICKETS]


def test_supervisor_sees_every_ticket() -> None:
    tickets = [TicketFactory.create(team=TeamFactory.create()) for _ in range(3)]

    assert set(ticket_list(user=UserFactory.create(role=Role.SUPERVISOR), filters=TicketFilters())) == set(tickets)


def test_list_is_newest_activity_first_and_cursor_pages_do_not_overlap() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    tickets = [TicketFactory.create(last_activity_at=NOW + timedelta(minutes=i % 3)) for i in range(7)]
    expected = sorted(tickets, key=lambda t: (t.last_activity_at, t.pk), reverse=True)

    first = ticket_page(user=admin, filters=TicketFilters(), size=4)
    second = ticket_page(user=admin, filters=TicketFilters(), cursor=first.next_cursor or "", size=4)

    assert first.items + second.items == expected
    assert second.next_cursor is None


def test_my_unanswered_view_follows_who_spoke_last() -> None:
    agent = UserFactory.create()
    waiting = TicketFactory.create(assignee=agent, status="open", awaiting_agent=True)
    TicketFactory.create(assignee=agent, status="open", awaiting_agent=False)

    assert list(ticket_list(user=agent, filters=TicketFilters(view="my-unanswered"))) == [waiting]


def test_text_search_finds_subject_and_message_words_with_prefixes() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    by_subject = ticket_create(
        subject="Parking at the Vilnius apartment",
        requester=ContactFactory.create(),
        channel="email",
        body_text="Hello",
        actor=None,
        now=NOW,
    )
    by_body = ticket_create(
        subject="Question", requester=ContactFactory.create(), channel="email", body_text="Hello", actor=None, now=NOW
    )
    ticket_add_customer_message(
        ticket=by_body, contact=by_body.requester, body_text="Is there parking nearby?", now=NOW
    )
    ticket_create(
        subject="Wifi", requester=ContactFactory.create(), channel="chat", body_text="No internet", actor=None, now=NOW
    )

    found = set(ticket_list(user=admin, filters=TicketFilters(q="park")))
    by_number = list(ticket_list(user=admin, filters=TicketFilters(q=f"#{by_body.pk}")))

    assert found == {by_subject, by_body}
    assert by_number == [by_body]


@pytest.mark.parametrize("terms_per_word", [32, 1])
def test_text_search_matches_every_word_as_a_prefix_however_the_terms_are_read(
    monkeypatch: pytest.MonkeyPatch, terms_per_word: int
) -> None:
    """On SQLite a word is asked for as the terms it begins, read from the vocabulary, unless it
    begins more than FTS_TERMS of them or has letters beyond ASCII: then as an FTS5 prefix."""
    monkeypatch.setattr(selectors, "FTS_TERMS", terms_per_word)
    admin = UserFactory.create(role=Role.ADMIN)
    refunded = MessageFactory.create(body_text="Refunded the deposit for Šiauliai").ticket
    refunds = MessageFactory.create(body_text="Two refunds, one deposit").ticket
    MessageFactory.create(body_text="A refund, no money left behind")
    MessageFactory.create(body_text="Šiauliai, without anything else")

    def found(q: str) -> set[Ticket]:
        return set(ticket_list(user=admin, filters=TicketFilters(view="all", q=q)))

    assert found("refund depos") == {refunded, refunds}
    assert found("REFUNDS Deposit") == {refunds}
    assert found("šiaul refund") == {refunded}
    assert found("refundx") == set()


def test_text_search_keeps_the_newest_matching_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound holds across PostgreSQL's buckets of message ids (migration 0011): the
    newest SEARCH_CANDIDATES matching messages, wherever they fall, and no older one."""
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    admin = UserFactory.create(role=Role.ADMIN)
    bucket = 2**16  # message ids per bucket: tickets_message_bucket (migration 0011)
    by_age = {}
    for pk in (5, bucket + 5, 3 * bucket + 1, 3 * bucket + 9, 7 * bucket + 2):  # buckets 0, 1, 3, 3 and 7
        message = MessageFactory.create(pk=pk, body_text=f"Refunded deposit {pk}")
        by_age[pk] = message.ticket
    MessageFactory.create(pk=8 * bucket, body_text="Nothing to see")

    found = set(ticket_list(user=admin, filters=TicketFilters(view="all", q="refund deposit")))

    assert found == {by_age[7 * bucket + 2], by_age[3 * bucket + 9], by_age[3 * bucket + 1]}


def test_counts_are_capped() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    TicketFactory.create_batch(5)

    assert count_capped(ticket_list(user=admin, filters=TicketFilters()), cap=3) == 4
    assert view_counts(user=admin)["all"] == 5


def test_view_counts_follow_the_askers_teams_and_role() -> None:
    """The counts' statement is built once per asker: a change of teams or role is a new one."""
    agent = UserFactory.create(role=Role.AGENT)
    reservations, payments = TeamFactory.create(members=[agent]), TeamFactory.create()
    TicketFactory.create_batch(2, team=reservations, status="open")
    TicketFactory.create_batch(3, team=payments, status="open")
    counts = view_counts(user=User.objects.get(pk=agent.pk))

    payments.members.add(agent)
    with_payments = view_counts(user=User.objects.get(pk=agent.pk))
    User.objects.filter(pk=agent.pk).update(role=Role.SUPERVISOR)
    TicketFactory.create(team=None, status="open")
    as_supervisor = view_counts(user=User.objects.get(pk=agent.pk))

    assert (counts["open"], with_payments["open"], as_supervisor["open"]) == (2, 5, 6)


def _walk(user: User, filters: TicketFilters, size: int) -> list[Ticket]:
    seen: list[Ticket] = []
    page = ticket_page(user=user, filters=filters, size=size)
    seen += page.items
    while page.next_cursor:
        page = ticket_page(user=user, filters=filters, cursor=page.next_cursor, size=size)
        seen += page.items
    return seen


@pytest.mark.parametrize("team", [None, 0, 2], ids=["any-team", "own-team", "other-team"])
@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
@pytest.mark.parametrize("view", ["my-unanswered", "unassigned", "open", "pending", "needs-manager", "all"])
def test_paging_by_index_ranges_gives_exactly_the_single_query_list(role: str, view: str, team: int | None) -> None:
    user = UserFactory.create(role=role)
    teams = [TeamFactory.create(members=[user]), TeamFactory.create(members=[user]), TeamFactory.create()]
    statuses = ["new", "open", "pending", "on_hold", "solved"]
    for i in range(40):
        TicketFactory.create(
            team=[*teams, None][i % 4],
            assignee=user if i % 3 == 0 else None,
            status=statuses[i % 5],
            awaiting_agent=i % 2 == 0,
            needs_manager=i % 7 == 0,
            last_activity_at=NOW + timedelta(minutes=i % 6),  # ties on activity, broken by id
        )
    filters = TicketFilters(view=view, team=None if team is None else teams[team].pk)

    assert _walk(user, filters, size=3) == list(ticket_list(user=user, filters=filters))


def test_a_status_filter_outside_the_view_finds_nothing() -> None:
    TicketFactory.create(status="pending")

    page = ticket_page(
        user=UserFactory.create(role=Role.ADMIN), filters=TicketFilters(view="open", status=("pending",))
    )

    assert page.items == []
