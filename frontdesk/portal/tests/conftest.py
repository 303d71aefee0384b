"""Customers, their organisation, and a help centre with articles of every visibility.

`portal_client(contact)` is a browser signed in to the portal as that contact (the session a
redeemed magic link leaves). The `browser` fixture (Chromium) is the workspace's; the SMTP
server (`smtp_server`) is the mail tests'.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from frontdesk.accounts.models import Contact, Organisation
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory
from frontdesk.kb.models import ArticleStatus, Section, Translation, Visibility
from frontdesk.kb.tests.factories import SectionFactory, article
from frontdesk.mail.tests.servers import smtp_server, tls_certificate, trust_test_certificate
from frontdesk.portal.auth import SESSION_KEY
from frontdesk.workspace.tests.conftest import browser

__all__ = ["browser", "smtp_server", "tls_certificate", "trust_test_certificate"]


def portal_client(contact: Contact, **options: object) -> Client:
    client = Client(**options)  # type: ignore[arg-type]
    session = client.session
    session[SESSION_KEY] = contact.pk
    session.save()
    return client


@pytest.fixture
def organisation(db: None) -> Organisation:
    return OrganisationFactory.create(name="Hotel Aurora", portal_shared=False)


@pytest.fixture
def ada(organisation: Organisation) -> Contact:
    """A customer of Hotel Aurora."""
    return ContactFactory.create(name="Ada Guest", email="ada@aurora.example", organisation=organisation, language="en")


@pytest.fixture
def colleague(organisation: Organisation) -> Contact:
    """Another customer of the same organisation."""
    return ContactFactory.create(name="Cy Colleague", email="cy@aurora.example", organisation=organisation)


@pytest.fixture
def stranger(db: None) -> Contact:
    """A customer of another organisation."""
    other = OrganisationFactory.create(name="Other Inc", portal_shared=True)
    return ContactFactory.create(name="Sam Stranger", email="sam@other.example", organisation=other)


@pytest.fixture
def ada_client(ada: Contact) -> Client:
    return portal_client(ada)


@dataclass
class HelpCentreArticles:
    section: Section
    public: Translation
    customers: Translation
    internal: Translation
    draft: Translation


@pytest.fixture
def articles(db: None) -> HelpCentreArticles:
    """One article of each visibility, published, and a public draft, in one section."""
    section = SectionFactory.create(slug="bookings", names={"en": "Bookings", "es": "Reservas"})
    return HelpCentreArticles(
        section=section,
        public=article(section=section, title="Change a booking", body="Open **My bookings** and choose Change."),
        customers=article(
            section=section,
            visibility=Visibility.CUSTOMERS,
            title="Invoices for companies",
            body="Your company invoices are under Billing.",
        ),
        internal=article(
            section=section,
            visibility=Visibility.INTERNAL,
            title="Refund override procedure",
            body="Agents only: how to override a refund limit.",
        ),
        draft=article(section=section, title="Upcoming loyalty programme", body="Not yet.", status=ArticleStatus.DRAFT),
    )
