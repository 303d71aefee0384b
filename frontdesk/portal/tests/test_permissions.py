"""A customer sees their own tickets — and their organisation's when it shares them — and
nothing else, whatever the URL: another customer's ticket, its files and its internal notes
answer exactly like something that does not exist, on the pages and in the API. Articles: the
public ones for everyone, customers-only ones for signed-in customers, internal ones and drafts
for no customer.
"""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from frontdesk.accounts.models import Contact, Organisation, User
from frontdesk.accounts.services import contact_merge
from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.kb.search import reindex_all
from frontdesk.portal.tests.conftest import HelpCentreArticles, portal_client
from frontdesk.tickets.models import Attachment, Ticket
from frontdesk.tickets.services import ticket_add_note, ticket_create
from frontdesk.tickets.tests.factories import NOW
from frontdesk.workspace.tests.conftest import client_for

pytestmark = pytest.mark.django_db

JSON = "application/json"


def ticket_of(contact: Contact, subject: str, *, with_file: bool = False) -> Ticket:
    files = [SimpleUploadedFile("plan.pdf", b"%PDF-1.4 floor plan", content_type="application/pdf")]
    return ticket_create(
        subject=subject,
        requester=contact,
        channel="web",
        body_text=f"About {subject.lower()}.",
        attachments=files if with_file else [],
        actor=None,
        now=NOW,
    )


def ticket_urls(ticket: Ticket) -> list[str]:
    """Every page and endpoint that shows something of the ticket."""
    attachment = Attachment.objects.filter(message__ticket=ticket).first()
    urls = [f"/portal/tickets/{ticket.pk}/", f"/api/v1/portal/tickets/{ticket.pk}"]
    if attachment is not None:
        urls += [
            f"/portal/tickets/{ticket.pk}/attachments/{attachment.pk}/",
            f"/api/v1/portal/attachments/{attachment.pk}",
        ]
    return urls


def listed(client: Client, scope: str = "mine") -> set[str]:
    page = client.get(f"/portal/?scope={scope}").content.decode()
    api = {item["subject"] for item in client.get(f"/api/v1/portal/tickets?scope={scope}").json()["items"]}
    html = {subject for subject in ("Room for Ada", "Invoice for Cy", "Parking for Sam") if subject in page}
    assert html == api  # the page and the API agree
    return api


# --- tickets ----------------------------------------------------------------------------------


def test_a_customer_never_sees_another_customers_ticket_whatever_the_url(
    ada: Contact, ada_client: Client, stranger: Contact
) -> None:
    mine = ticket_of(ada, "Room for Ada", with_file=True)
    theirs = ticket_of(stranger, "Parking for Sam", with_file=True)

    for url in ticket_urls(mine):
        assert ada_client.get(url).status_code == 200, url
    for url in ticket_urls(theirs):
        response = ada_client.get(url)
        assert response.status_code == 404, url
        assert b"Parking for Sam" not in response.content, url
    replied = ada_client.post(f"/api/v1/portal/tickets/{theirs.pk}/messages", {"body": "Let me in"}, content_type=JSON)
    assert replied.status_code == 404
    assert ada_client.post(f"/portal/tickets/{theirs.pk}/", {"body": "Let me in"}).status_code == 404
    assert theirs.messages.count() == 1
    assert listed(ada_client) == {"Room for Ada"}


def test_an_unknown_ticket_answers_like_someone_elses(ada_client: Client, stranger: Contact) -> None:
    theirs = ticket_of(stranger, "Parking for Sam")
    unknown = theirs.pk + 1000

    answer = ada_client.get(f"/api/v1/portal/tickets/{theirs.pk}")
    assert answer.status_code == ada_client.get(f"/api/v1/portal/tickets/{unknown}").status_code == 404
    assert ada_client.get(f"/api/v1/portal/tickets/{unknown}").json() == answer.json()


def test_organisation_tickets_stay_private_while_the_organisation_does_not_share_them(
    ada: Contact, ada_client: Client, colleague: Contact
) -> None:
    ticket_of(ada, "Room for Ada")
    theirs = ticket_of(colleague, "Invoice for Cy", with_file=True)

    for url in ticket_urls(theirs):
        assert ada_client.get(url).status_code == 404, url
    assert listed(ada_client, "organisation") == {"Room for Ada"}
    assert b"scope=organisation" not in ada_client.get("/portal/").content


def test_members_see_each_others_tickets_when_the_organisation_shares_them(
    ada: Contact, ada_client: Client, colleague: Contact, stranger: Contact, organisation: Organisation
) -> None:
    organisation.portal_shared = True
    organisation.save()
    ticket_of(ada, "Room for Ada")
    theirs = ticket_of(colleague, "Invoice for Cy", with_file=True)
    other = ticket_of(stranger, "Parking for Sam")

    for url in ticket_urls(theirs):
        assert ada_client.get(url).status_code == 200, url
    assert ada_client.get(f"/portal/tickets/{other.pk}/").status_code == 404
    assert listed(ada_client, "mine") == {"Room for Ada"}
    assert listed(ada_client, "organisation") == {"Room for Ada", "Invoice for Cy"}
    reply = ada_client.post(f"/api/v1/portal/tickets/{theirs.pk}/messages", {"body": "Same here"}, content_type=JSON)
    assert reply.status_code == 201


def test_internal_notes_and_their_files_never_reach_the_customer(ada: Contact, ada_client: Client) -> None:
    ticket = ticket_of(ada, "Room for Ada")
    agent = UserFactory.create(name="Ana Agent")
    note = ticket_add_note(
        ticket=ticket,
        author=agent,
        body_text="VIP: upgrade quietly",
        attachments=[SimpleUploadedFile("notes.pdf", b"%PDF-1.4 secret", content_type="application/pdf")],
        now=NOW,
    )
    file = note.attachments.get()

    page = ada_client.get(f"/portal/tickets/{ticket.pk}/")
    detail = ada_client.get(f"/api/v1/portal/tickets/{ticket.pk}").json()

    assert b"upgrade quietly" not in page.content
    assert b"notes.pdf" not in page.content
    assert [message["body_text"] for message in detail["messages"]] == ["About room for ada."]
    assert ada_client.get(f"/portal/tickets/{ticket.pk}/attachments/{file.pk}/").status_code == 404
    assert ada_client.get(f"/api/v1/portal/attachments/{file.pk}").status_code == 404


def test_a_merged_contact_sees_the_tickets_of_the_contact_it_was_merged_into(db: None) -> None:
    old = ContactFactory.create(name="Old Ada", email="ada.old@example.com")
    target = ContactFactory.create(name="Ada", email="ada@example.com")
    signed_in_as_old = portal_client(old)
    ticket_of(target, "Room for Ada")
    contact_merge(source=old, target=target, actor=None, now=NOW)

    assert listed(signed_in_as_old) == {"Room for Ada"}


def test_without_signing_in_the_portal_asks_to_sign_in_and_the_api_refuses(client: Client, ada: Contact) -> None:
    ticket = ticket_of(ada, "Room for Ada")

    page = client.get(f"/portal/tickets/{ticket.pk}/")

    assert page.status_code == 302
    assert page["Location"] == f"/portal/sign-in/?next=/portal/tickets/{ticket.pk}/"
    assert client.get(f"/api/v1/portal/tickets/{ticket.pk}").status_code == 401
    assert client.get("/api/v1/portal/tickets").status_code == 401


def test_an_agents_session_is_not_a_customers(ada: Contact) -> None:
    ticket = ticket_of(ada, "Room for Ada")
    agent = client_for(UserFactory.create())

    assert agent.get("/api/v1/portal/tickets").status_code == 401
    assert agent.get(f"/portal/tickets/{ticket.pk}/").status_code == 302


# --- articles -----------------------------------------------------------------------------------


def article_urls(translation: Any) -> list[str]:
    article_id, slug = translation.article_id, translation.slug
    return [
        f"/help/en/articles/{article_id}-{slug}/",
        f"/help/en/articles/{article_id}/",
        f"/help/es/articles/{article_id}/",
        f"/help/lt/articles/{article_id}-{slug}/",
    ]


def test_anonymous_readers_see_public_articles_only(client: Client, articles: HelpCentreArticles) -> None:
    assert client.get(article_urls(articles.public)[0]).status_code == 200
    for hidden in (articles.customers, articles.internal, articles.draft):
        for url in article_urls(hidden):
            response = client.get(url)
            assert response.status_code == 404, url
            assert hidden.title.encode() not in response.content


def test_customers_see_customers_only_articles_but_never_internal_ones_or_drafts(
    ada_client: Client, articles: HelpCentreArticles
) -> None:
    assert ada_client.get(article_urls(articles.public)[0]).status_code == 200
    assert ada_client.get(article_urls(articles.customers)[0]).status_code == 200
    for hidden in (articles.internal, articles.draft):
        for url in article_urls(hidden):
            response = ada_client.get(url)
            assert response.status_code == 404, url
            assert hidden.title.encode() not in response.content
        assert ada_client.get(f"/portal/suggestions/{hidden.article_id}/en/").status_code == 404
        voted = ada_client.post(f"/help/en/articles/{hidden.article_id}/vote/", {"helpful": "yes"})
        assert voted.status_code == 404


def test_listings_and_search_show_each_reader_only_what_they_may_read(
    client: Client, ada_client: Client, articles: HelpCentreArticles
) -> None:
    reindex_all()
    everyone_section = client.get("/help/en/sections/bookings/").content.decode()
    customer_section = ada_client.get("/help/en/sections/bookings/").content.decode()
    everyone_search = client.get("/help/en/search/?q=invoices+refund+booking+loyalty").content.decode()
    customer_search = ada_client.get("/help/en/search/?q=invoices+refund+booking+loyalty").content.decode()

    assert "Change a booking" in everyone_section
    assert "Change a booking" in customer_section
    assert "Invoices for companies" not in everyone_section
    assert "Invoices for companies" in customer_section
    assert "Change a booking" in everyone_search
    assert "Invoices for companies" in customer_search
    for page in (everyone_section, customer_section, everyone_search, customer_search):
        assert "Refund override" not in page
        assert "loyalty programme" not in page
    assert "Invoices for companies" not in everyone_search


def test_agents_read_internal_articles_in_the_help_centre(articles: HelpCentreArticles) -> None:
    agent: User = UserFactory.create()

    assert client_for(agent).get(article_urls(articles.internal)[0]).status_code == 200
