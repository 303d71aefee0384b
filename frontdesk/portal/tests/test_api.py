"""The portal's REST API: what a signed-in customer does on the pages — list, read, open and
answer their tickets, get suggestions — with the portal's session cookie, the CSRF token for
writes, and the same permission rules (see test_permissions.py).
"""

from collections.abc import Iterator

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Contact, Organisation
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.kb.search import reindex_all
from frontdesk.portal.models import Deflection
from frontdesk.portal.services import customer_ticket_create
from frontdesk.portal.tests.conftest import HelpCentreArticles, portal_client
from frontdesk.tickets.models import Channel, Status, Ticket
from frontdesk.tickets.services import ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

JSON = "application/json"
TICKETS = "/api/v1/portal/tickets"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def ticket_for(contact: Contact, subject: str = "Late check-in") -> Ticket:
    return customer_ticket_create(contact=contact, subject=subject, body="We arrive at 23:00.", now=NOW)


def test_me_is_the_signed_in_customer(ada: Contact, ada_client: Client, organisation: Organisation) -> None:
    me = ada_client.get("/api/v1/portal/me").json()

    assert me == {
        "id": ada.pk,
        "name": "Ada Guest",
        "language": "en",
        "organisation": {"id": organisation.pk, "name": "Hotel Aurora"},
        "sees_organisation_tickets": False,
    }


def test_a_customer_opens_a_ticket_and_reads_the_agents_reply(ada: Contact, ada_client: Client) -> None:
    created = ada_client.post(TICKETS, {"subject": "Late check-in", "body": "We arrive at 23:00."}, content_type=JSON)
    ticket = Ticket.objects.get()
    ticket_reply(ticket=ticket, author=UserFactory.create(name="Ana Agent"), body_text="Key box: 4321.", now=NOW)

    detail = ada_client.get(f"{TICKETS}/{ticket.pk}").json()

    assert created.status_code == 201
    assert created.json()["id"] == ticket.pk
    assert (ticket.channel, ticket.requester) == (Channel.WEB, ada)
    assert detail["status"] == Status.OPEN
    assert [(m["author"]["type"], m["author"]["is_me"], m["body_text"]) for m in detail["messages"]] == [
        ("contact", True, "We arrive at 23:00."),
        ("agent", False, "Key box: 4321."),
    ]
    assert detail["messages"][1]["author"]["name"] == "Ana Agent"


def test_a_ticket_with_files_is_sent_as_a_form(ada_client: Client) -> None:
    photo = SimpleUploadedFile("door.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")

    created = ada_client.post(TICKETS, {"subject": "Door", "body": "See photo", "attachments": [photo]})

    file = created.json()["messages"][0]["attachments"][0]
    assert created.status_code == 201
    assert file["filename"] == "door.png"
    assert ada_client.get(file["url"]).status_code == 200


def test_a_customer_replies_and_a_closed_ticket_answers_409(ada: Contact, ada_client: Client) -> None:
    ticket = ticket_for(ada)

    reply = ada_client.post(f"{TICKETS}/{ticket.pk}/messages", {"body": "Also: parking?"}, content_type=JSON)
    agent = UserFactory.create()
    ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED, now=NOW)
    ticket_update(ticket=ticket, actor=agent, status=Status.CLOSED, now=NOW)
    refused = ada_client.post(f"{TICKETS}/{ticket.pk}/messages", {"body": "Hello?"}, content_type=JSON)

    assert reply.status_code == 201
    assert reply.json()["author"]["is_me"] is True
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"


def test_the_list_pages_newest_first(ada: Contact, ada_client: Client) -> None:
    for number in range(3):
        with time_machine.travel(NOW.replace(hour=10 + number), tick=False):
            ticket_for(ada, f"Question {number}")

    first = ada_client.get(f"{TICKETS}?limit=2").json()
    rest = ada_client.get(f"{TICKETS}?limit=2&cursor={first['next_cursor']}").json()

    assert [item["subject"] for item in first["items"]] == ["Question 2", "Question 1"]
    assert [item["subject"] for item in rest["items"]] == ["Question 0"]
    assert rest["next_cursor"] is None
    assert ada_client.get(f"{TICKETS}?scope=everyone").status_code == 422


def test_writes_need_the_csrf_token(ada: Contact) -> None:
    client = portal_client(ada, enforce_csrf_checks=True)
    client.get("/portal/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    refused = client.post(TICKETS, {"subject": "Hello", "body": "Hi"}, content_type=JSON)
    accepted = client.post(TICKETS, {"subject": "Hello", "body": "Hi"}, content_type=JSON, HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert client.get(TICKETS).status_code == 200  # reads need no token


def test_suggestions_and_an_opened_article_make_a_deflection(ada_client: Client, articles: HelpCentreArticles) -> None:
    reindex_all()

    suggested = ada_client.post(
        "/api/v1/portal/suggestions", {"text": "invoices for my company"}, content_type=JSON
    ).json()
    opened = ada_client.post(
        f"/api/v1/portal/deflections/{suggested['deflection']}/opened",
        {"article_id": articles.customers.article_id},
        content_type=JSON,
    )
    hidden = ada_client.post(
        f"/api/v1/portal/deflections/{suggested['deflection']}/opened",
        {"article_id": articles.internal.article_id},
        content_type=JSON,
    )

    assert suggested["articles"][0]["title"] == "Invoices for companies"
    assert suggested["articles"][0]["url"].startswith("http://testserver/help/en/articles/")
    assert "Refund override procedure" not in [article["title"] for article in suggested["articles"]]
    assert opened.status_code == 204
    assert hidden.status_code == 404
    deflection = Deflection.objects.get()
    assert (deflection.opened_translation_id, deflection.ticket_id) == (articles.customers.pk, None)
    created = ada_client.post(
        TICKETS, {"subject": "Invoice", "body": "Still need one", "deflection": deflection.pk}, content_type=JSON
    )
    deflection.refresh_from_db()
    assert deflection.ticket_id == created.json()["id"]


def test_reading_a_ticket_costs_the_same_however_long_the_conversation(
    ada: Contact, ada_client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = ticket_for(ada)
    agent = UserFactory.create()
    for number in range(10):
        ticket_reply(ticket=ticket, author=agent, body_text=f"Reply {number}", now=NOW)
    for number in range(10):
        ticket_for(ada, f"Other {number}")

    with django_assert_max_num_queries(8):
        detail = ada_client.get(f"{TICKETS}/{ticket.pk}")
    with django_assert_max_num_queries(6):
        listing = ada_client.get(TICKETS)

    assert len(detail.json()["messages"]) == 11
    assert len(listing.json()["items"]) == 11
