"""The customer portal's pages: signing in by e-mailed link, the ticket form with its
suggestions (and the deflections they count), a ticket's public conversation and replying.
"""

import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from frontdesk.accounts.models import Contact
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.kb.search import reindex_all
from frontdesk.mail.models import Mailbox, OutboundEmail
from frontdesk.mail.tests.factories import MailboxFactory
from frontdesk.portal.auth import SESSION_KEY
from frontdesk.portal.models import Deflection, MagicLink
from frontdesk.portal.tests.conftest import HelpCentreArticles, portal_client
from frontdesk.portal.tests.test_services import sent_token
from frontdesk.tickets.models import Channel, Status, Ticket
from frontdesk.tickets.services import ticket_add_note, ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mailbox(settings: object) -> Mailbox:
    settings.BASE_URL = "http://testserver"  # type: ignore[attr-defined]
    return MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def without_tokens(page: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", page)


# --- signing in ------------------------------------------------------------------------------------


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(ada: Contact, mailbox: Mailbox) -> None:
    known = Client().post("/portal/sign-in/", {"email": "ada@aurora.example"})
    unknown = Client().post("/portal/sign-in/", {"email": "eve@aurora.example"})

    assert known.status_code == unknown.status_code == 200
    assert without_tokens(text(known)).replace("ada@", "eve@") == without_tokens(text(unknown))
    assert "If we know the address" in text(known)
    assert list(MagicLink.objects.values_list("email", flat=True)) == ["ada@aurora.example"]


def test_a_customer_signs_in_by_the_link_after_confirming_and_lands_where_they_were_going(
    ada: Contact, mailbox: Mailbox
) -> None:
    client = Client()
    client.get("/portal/tickets/new/")
    client.post("/portal/sign-in/", {"email": "ada@aurora.example", "next": "/portal/tickets/new/"})
    link = f"/portal/sign-in/{sent_token(OutboundEmail.objects.get())}/"
    before = client.session.session_key

    shown = client.get(link)  # a mail scanner opening the link changes nothing
    assert "data-redeem" in text(shown)
    assert MagicLink.objects.get().used_at is None
    signed_in = client.post(link)

    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/portal/tickets/new/"
    assert client.session[SESSION_KEY] == ada.pk
    assert client.session.session_key != before  # a new session: no fixation
    assert client.get("/portal/").status_code == 200


def test_a_used_link_says_so_and_offers_a_new_one(ada: Contact, mailbox: Mailbox) -> None:
    Client().post("/portal/sign-in/", {"email": "ada@aurora.example"})
    link = f"/portal/sign-in/{sent_token(OutboundEmail.objects.get())}/"
    Client().post(link)

    again = Client().post(link)

    assert again.status_code == 422
    assert "already used" in text(again)
    assert 'href="/portal/sign-in/"' in text(again)


def test_the_sign_in_page_remembers_only_a_safe_destination(client: Client) -> None:
    safe = text(client.get("/portal/sign-in/?next=/portal/tickets/3/"))
    unsafe = text(client.get("/portal/sign-in/?next=https://evil.example/"))

    assert 'name="next" value="/portal/tickets/3/"' in safe
    assert 'value="https://evil.example/"' not in unsafe


def test_signing_out_forgets_the_customer_but_not_the_agent(ada: Contact) -> None:
    client = portal_client(ada)
    client.force_login(UserFactory.create())

    client.post("/portal/sign-out/")

    assert client.get("/portal/").status_code == 302
    assert "_auth_user_id" in client.session


# --- the ticket form and its suggestions -----------------------------------------------------------


def test_a_customer_opens_a_ticket_from_the_form(ada: Contact, ada_client: Client) -> None:
    response = ada_client.post("/portal/tickets/new/", {"subject": "Broken shower", "body": "Room 12, cold water."})

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.requester, ticket.language) == (Channel.WEB, ada, "en")
    page = text(ada_client.get(response["Location"]))
    assert f"we received your request #{ticket.pk}" in page
    assert "Room 12, cold water." in page


def test_the_form_shows_what_is_missing(ada_client: Client) -> None:
    response = ada_client.post("/portal/tickets/new/", {"subject": "", "body": ""})

    assert response.status_code == 422
    assert 'class="field-error"' in text(response)
    assert Ticket.objects.count() == 0


def test_suggestions_appear_while_typing_and_count_as_one_deflection(
    ada_client: Client, articles: HelpCentreArticles
) -> None:
    reindex_all()

    first = ada_client.post("/portal/tickets/new/suggestions/", {"subject": "invoice", "body": ""}, headers=HTMX)
    second = ada_client.post(
        "/portal/tickets/new/suggestions/", {"subject": "invoice", "body": "for my company booking"}, headers=HTMX
    )

    assert "Invoices for companies" in text(first)  # customers-only: Ada is signed in
    assert "Refund override" not in text(second)  # internal
    deflection = Deflection.objects.get()
    assert deflection.query == "invoice for my company booking"
    assert deflection.suggested >= 2
    assert deflection.opened_translation_id is None
    assert deflection.ticket_id is None


def test_opening_a_suggestion_and_sending_nothing_is_a_deflection(
    ada_client: Client, articles: HelpCentreArticles
) -> None:
    reindex_all()
    customers = articles.customers
    ada_client.get("/portal/tickets/new/")
    ada_client.post("/portal/tickets/new/suggestions/", {"subject": "company invoices", "body": ""}, headers=HTMX)

    opened = ada_client.get(f"/portal/suggestions/{customers.article_id}/en/")

    assert opened["Location"] == f"/help/en/articles/{customers.article_id}-{customers.slug}/"
    deflection = Deflection.objects.get()
    assert (deflection.opened_translation_id, deflection.ticket_id) == (customers.pk, None)


def test_a_ticket_sent_after_the_suggestions_is_not_a_deflection(
    ada_client: Client, articles: HelpCentreArticles
) -> None:
    reindex_all()
    ada_client.get("/portal/tickets/new/")
    ada_client.post("/portal/tickets/new/suggestions/", {"subject": "change booking", "body": ""}, headers=HTMX)
    ada_client.get(f"/portal/suggestions/{articles.public.article_id}/en/")

    ada_client.post("/portal/tickets/new/", {"subject": "change booking", "body": "It did not help."})
    ada_client.get("/portal/tickets/new/")
    ada_client.post("/portal/tickets/new/", {"subject": "Another thing", "body": "Hello."})

    assert list(Deflection.objects.values_list("ticket_id", flat=True)) == [Ticket.objects.order_by("pk")[0].pk]


def test_no_suggestion_no_deflection(ada_client: Client, articles: HelpCentreArticles) -> None:
    reindex_all()

    response = ada_client.post("/portal/tickets/new/suggestions/", {"subject": "helicopter", "body": ""}, headers=HTMX)

    assert text(response).strip() == ""
    assert Deflection.objects.count() == 0


# --- a ticket's page ----------------------------------------------------------------------------


def test_the_ticket_page_shows_the_agents_reply_but_not_internal_notes(ada: Contact, ada_client: Client) -> None:
    ada_client.post("/portal/tickets/new/", {"subject": "Late check-in", "body": "We arrive at 23:00."})
    ticket = Ticket.objects.get()
    agent = UserFactory.create(name="Ana Agent")
    ticket_add_note(ticket=ticket, author=agent, body_text="Check the key box code", now=NOW)
    ticket_reply(ticket=ticket, author=agent, body_text="The key box code is 4321.", now=NOW)

    page = text(ada_client.get(f"/portal/tickets/{ticket.pk}/"))

    assert "The key box code is 4321." in page
    assert "Ana Agent" in page
    assert "Check the key box code" not in page
    assert page.index("We arrive at 23:00.") < page.index("The key box code is 4321.")


def test_a_customer_replies_on_their_ticket(ada: Contact, ada_client: Client) -> None:
    ada_client.post("/portal/tickets/new/", {"subject": "Late check-in", "body": "We arrive at 23:00."})
    ticket = Ticket.objects.get()
    ticket_update(ticket=ticket, actor=UserFactory.create(), status=Status.SOLVED, now=NOW)

    response = ada_client.post(f"/portal/tickets/{ticket.pk}/", {"body": "Thanks, and parking?"})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/#latest"
    assert ticket.status == Status.OPEN
    assert ticket.messages.order_by("pk").last().body_text == "Thanks, and parking?"  # type: ignore[union-attr]


def test_an_empty_reply_is_refused_on_the_form(ada: Contact, ada_client: Client) -> None:
    ada_client.post("/portal/tickets/new/", {"subject": "Late check-in", "body": "We arrive at 23:00."})
    ticket = Ticket.objects.get()

    response = ada_client.post(f"/portal/tickets/{ticket.pk}/", {"body": "  "})

    assert response.status_code == 422
    assert "The message is empty." in text(response)


def test_a_closed_ticket_offers_a_new_request_instead_of_a_reply(ada: Contact, ada_client: Client) -> None:
    ada_client.post("/portal/tickets/new/", {"subject": "Late check-in", "body": "We arrive at 23:00."})
    ticket = Ticket.objects.get()
    agent = UserFactory.create()
    ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED, now=NOW)
    ticket_update(ticket=ticket, actor=agent, status=Status.CLOSED, now=NOW)

    page = text(ada_client.get(f"/portal/tickets/{ticket.pk}/"))
    refused = ada_client.post(f"/portal/tickets/{ticket.pk}/", {"body": "Hello?"})

    assert "This request is closed." in page
    assert "Send reply" not in page
    assert refused.status_code == 409


def test_the_portal_is_in_the_customers_language(ada: Contact) -> None:
    ada.language = "es"
    ada.save()

    page = portal_client(ada).get("/portal/")

    assert '<html lang="es">' in text(page)
    assert page["Content-Language"] == "es"


def test_suggestions_asked_for_after_signing_out_send_the_page_to_the_sign_in(client: Client) -> None:
    response = client.post("/portal/tickets/new/suggestions/", {"subject": "wifi"}, headers=HTMX)

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/portal/sign-in/?next=/portal/"
