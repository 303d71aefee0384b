from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper

from frontdesk.accounts.models import Contact, ContactIdentity
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, UserFactory
from frontdesk.core.queries import Inserts, Prepared
from frontdesk.tickets.models import Message, Tag, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

IDENTITY = Prepared(
    lambda kind, value: ContactIdentity.objects.select_related("contact__organisation").filter(kind=kind, value=value),
    "kind",
    "value",
)


def test_a_prepared_read_gives_what_its_queryset_gives_for_other_values():
    organisation = OrganisationFactory(name="Sunny Stays")
    ada = ContactFactory(name="Ada", email="ada@example.com", organisation=organisation)
    ContactFactory(name="Bo", email="bo@example.com")

    found = IDENTITY.first("email", "ada@example.com")

    assert found is not None
    expected = ContactIdentity.objects.select_related("contact__organisation").get(value="ada@example.com")
    assert found == expected
    assert found.contact == ada
    assert found.contact.organisation.name == "Sunny Stays"  # loaded with it, as select_related does
    bo = IDENTITY.first("email", "bo@example.com")
    assert bo is not None
    assert bo.contact.organisation is None
    assert IDENTITY.first("email", "nobody@example.com") is None


def test_a_prepared_read_builds_its_sql_once_per_thread(django_assert_num_queries):
    Tag.objects.create(name="vip")
    built = []

    def build(name: str) -> QuerySet[Tag, tuple[str]]:
        built.append(name)
        return Tag.objects.filter(name=name).values_list("name")

    prepared = Prepared(build, "x")

    with django_assert_num_queries(2):
        assert prepared.all("vip") == [("vip",)]
        assert prepared.all("late") == []

    assert built == ["x"]


def test_a_prepared_read_gives_instances_their_annotations():
    ContactFactory.create(name="Ada", email="ada@example.com")
    prepared = Prepared(
        lambda value: Contact.objects.annotate(shout=Upper("name")).filter(identities__value=value), "x"
    )

    (ada,) = prepared.all("ada@example.com")

    assert ada.shout == "ADA"


def test_a_placeholder_that_does_not_reach_the_sql_as_one_parameter_is_refused():
    prepared = Prepared(lambda name: Tag.objects.filter(name__startswith=name), "x")  # becomes "x%"

    with pytest.raises(ValueError, match="placeholder 'x'"):
        prepared.all("vip")


NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _unsaved_ticket() -> Ticket:
    return Ticket(
        subject="Late check-in",
        requester=ContactFactory.create(),
        channel="email",
        created_at=NOW,
        updated_at=NOW,
        last_activity_at=NOW,
    )


def test_inserts_run_when_written_and_each_row_gets_the_id_of_the_row_it_names():
    ticket = _unsaved_ticket()
    event = TicketEvent(ticket=ticket, kind="created", new_value="Late check-in", created_at=NOW)
    rows = Inserts()
    rows.add(ticket)
    rows.add(event)
    assert not Ticket.objects.exists()  # compiled, not run

    with transaction.atomic():
        rows.write()

    assert Ticket.objects.get().subject == "Late check-in"
    assert TicketEvent.objects.get().ticket_id == ticket.pk == event.ticket_id
    assert event.ticket is ticket  # still the same object, as after save()
    assert not ticket._state.adding
    assert not event._state.adding


def test_several_rows_naming_the_same_row_each_get_its_id_and_the_statement_is_reused():
    for n in range(2):
        ticket = _unsaved_ticket()
        tag = Tag.objects.create(name=f"late-{n}")
        link = Ticket.tags.through(ticket=ticket, tag=tag)
        message = Message(ticket=ticket, kind="reply", channel="email", body_text="Keys?", created_at=NOW)
        event = TicketEvent(ticket=ticket, kind="created", created_at=NOW)
        rows = Inserts()
        for row in (ticket, link, message, event):
            rows.add(row)

        with transaction.atomic():
            rows.write()

        assert Ticket.tags.through.objects.get(pk=link.pk).ticket_id == ticket.pk
        assert Message.objects.get(pk=message.pk).ticket_id == ticket.pk == event.ticket_id
    assert Ticket.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_written_outside_a_transaction_the_rows_are_all_written_or_none():
    ticket = _unsaved_ticket()
    agent_and_contact = Message(  # a message has one author: the database refuses this row
        ticket=ticket,
        kind="reply",
        channel="email",
        author_agent=UserFactory.create(),
        author_contact=ticket.requester,
        created_at=NOW,
    )
    rows = Inserts()
    rows.add(ticket)
    rows.add(TicketEvent(ticket=ticket, kind="created", created_at=NOW))
    rows.add(agent_and_contact)

    with pytest.raises(IntegrityError):
        rows.write()

    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_a_row_that_names_an_unsaved_row_not_added_before_it_is_refused():
    ticket = _unsaved_ticket()

    with pytest.raises(ValueError, match="ticket names a row that is not added before it"):
        Inserts().add(TicketEvent(ticket=ticket, kind="created", created_at=NOW))
