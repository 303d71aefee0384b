"""Sign-in links, customers' tickets and deflection (the portal's services).

A sign-in link goes only to a known contact's address, whatever is asked; it works once, for
20 minutes; an address gets at most five an hour. The ticket form's suggestions count as a
deflection when the customer opened one and sent nothing.
"""

import email
import email.policy
import re
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.accounts.models import Contact
from frontdesk.accounts.services import contact_merge
from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.core.errors import Conflict, NotFound, ValidationError
from frontdesk.mail.models import Mailbox, OutboundEmail, OutboundKind
from frontdesk.mail.tests.factories import MailboxFactory
from frontdesk.portal import services
from frontdesk.portal.models import Deflection, MagicLink
from frontdesk.portal.selectors import deflection_summary
from frontdesk.tickets.models import Channel, Status
from frontdesk.tickets.services import ticket_update
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver/portal/sign-in/([A-Za-z0-9_-]+)/")


@pytest.fixture
def mailbox(settings: object) -> Mailbox:
    """A mailbox that can send, so that sign-in links reach the outbox."""
    settings.BASE_URL = "http://testserver"  # type: ignore[attr-defined]
    return MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")


def sent_text(outbound: OutboundEmail) -> str:
    message = email.message_from_bytes(bytes(outbound.raw), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def sent_token(outbound: OutboundEmail | None) -> str:
    assert outbound is not None
    match = LINK.search(sent_text(outbound))
    assert match, sent_text(outbound)
    return match.group(1)


def request_link(address: str, *, now: datetime = NOW, next_url: str = "") -> OutboundEmail | None:
    before = set(OutboundEmail.objects.values_list("pk", flat=True))
    services.magic_link_request(email=address, next_url=next_url, now=now)
    new = OutboundEmail.objects.exclude(pk__in=before)
    return new.first()


# --- sign-in links --------------------------------------------------------------------------


def test_a_known_address_gets_a_link_that_signs_in_once(ada: Contact, mailbox: Mailbox) -> None:
    outbound = request_link("Ada@Aurora.example", next_url="/portal/tickets/new/")

    assert outbound is not None
    assert outbound.kind == OutboundKind.SIGN_IN
    assert outbound.to_address == "ada@aurora.example"
    token = sent_token(outbound)
    signed = services.magic_link_redeem(token=token, now=NOW + timedelta(minutes=5))
    assert signed.contact == ada
    assert signed.next_url == "/portal/tickets/new/"
    with pytest.raises(ValidationError, match="already used"):
        services.magic_link_redeem(token=token, now=NOW + timedelta(minutes=6))


def test_only_the_tokens_digest_is_stored(ada: Contact, mailbox: Mailbox) -> None:
    token = sent_token(request_link("ada@aurora.example"))

    link = MagicLink.objects.get()
    assert token not in link.digest
    assert len(link.digest) == 64
    assert link.expires_at == NOW + timedelta(minutes=20)


def test_a_link_expires_after_twenty_minutes(ada: Contact, mailbox: Mailbox) -> None:
    token = sent_token(request_link("ada@aurora.example"))

    with pytest.raises(ValidationError, match="expired"):
        services.magic_link_redeem(token=token, now=NOW + timedelta(minutes=20))
    assert MagicLink.objects.get().used_at is None


def test_a_made_up_token_is_not_valid(db: None) -> None:
    with pytest.raises(NotFound, match="not valid"):
        services.magic_link_redeem(token="made-up", now=NOW)


def test_an_unknown_address_gets_nothing_and_the_caller_cannot_tell(ada: Contact, mailbox: Mailbox) -> None:
    assert request_link("nobody@aurora.example") is None
    assert MagicLink.objects.count() == 0
    assert django_mail.outbox == []


def test_an_address_gets_at_most_five_links_an_hour(ada: Contact, mailbox: Mailbox) -> None:
    sent = [request_link("ada@aurora.example", now=NOW + timedelta(minutes=minute)) for minute in range(6)]
    later = request_link("ada@aurora.example", now=NOW + timedelta(minutes=61))

    assert [outbound is not None for outbound in sent] == [True] * 5 + [False]
    assert MagicLink.objects.count() == 6
    assert later is not None


def test_an_address_that_is_not_one_is_refused(db: None) -> None:
    with pytest.raises(ValidationError) as refused:
        services.magic_link_request(email="not an address", now=NOW)
    assert refused.value.field == "email"


def test_the_link_is_in_the_customers_language(mailbox: Mailbox) -> None:
    ContactFactory.create(name="Lucía", email="lucia@example.es", language="es")

    outbound = request_link("lucia@example.es")

    assert outbound is not None
    message = email.message_from_bytes(bytes(outbound.raw), policy=email.policy.default)
    html = message.get_body(("html",))
    assert html is not None
    assert '<html lang="es">' in html.get_content()


def test_a_link_leads_only_to_the_portal_or_the_help_centre(ada: Contact, mailbox: Mailbox) -> None:
    for target in ("https://evil.example/portal/", "//evil.example/portal/", "/admin/", "javascript:alert(1)"):
        token = sent_token(request_link("ada@aurora.example", next_url=target))
        assert services.magic_link_redeem(token=token, now=NOW).next_url == "", target


def test_a_link_of_a_contact_merged_away_signs_in_the_contact_it_was_merged_into(mailbox: Mailbox) -> None:
    old = ContactFactory.create(name="Ada (old)", email="ada.old@example.com")
    target = ContactFactory.create(name="Ada", email="ada@example.com")
    token = sent_token(request_link("ada.old@example.com"))
    contact_merge(source=old, target=target, actor=None, now=NOW)

    assert services.magic_link_redeem(token=token, now=NOW).contact == target
    assert sent_token(request_link("ada.old@example.com")) != token  # the identity moved
    assert MagicLink.objects.order_by("pk").last().contact == target  # type: ignore[union-attr]


def test_without_a_mailbox_no_link_is_sent_and_nothing_fails(ada: Contact) -> None:
    services.magic_link_request(email="ada@aurora.example", now=NOW)

    assert OutboundEmail.objects.count() == 0


# --- tickets ----------------------------------------------------------------------------------


def test_a_customers_ticket_comes_from_the_web_with_them_as_requester(ada: Contact) -> None:
    upload = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\nrest", content_type="image/png")

    ticket = services.customer_ticket_create(
        contact=ada, subject="Broken shower", body="Room 12.", attachments=[upload], language="en", now=NOW
    )

    assert (ticket.channel, ticket.requester, ticket.organisation, ticket.status) == (
        Channel.WEB,
        ada,
        ada.organisation,
        Status.NEW,
    )
    assert ticket.messages.get().attachments.get().filename == "photo.png"


def test_a_ticket_needs_words_or_a_file(ada: Contact) -> None:
    with pytest.raises(ValidationError) as refused:
        services.customer_ticket_create(contact=ada, subject="Hello", body="  ", now=NOW)
    assert refused.value.field == "body"


def test_an_executable_is_refused(ada: Contact) -> None:
    upload = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream")

    with pytest.raises(ValidationError):
        services.customer_ticket_create(contact=ada, subject="Hello", body="See file", attachments=[upload], now=NOW)


def test_a_reply_reopens_a_solved_ticket_but_a_closed_one_takes_none(ada: Contact) -> None:
    agent = UserFactory.create()
    ticket = services.customer_ticket_create(contact=ada, subject="Wifi", body="No signal.", now=NOW)
    ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED, now=NOW)

    message = services.customer_ticket_reply(contact=ada, ticket=ticket, body="Still broken.", now=NOW)

    ticket.refresh_from_db()
    assert (message.channel, message.author_contact, ticket.status, ticket.awaiting_agent) == (
        Channel.WEB,
        ada,
        Status.OPEN,
        True,
    )
    ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED, now=NOW)
    ticket_update(ticket=ticket, actor=agent, status=Status.CLOSED, now=NOW)
    with pytest.raises(Conflict):
        services.customer_ticket_reply(contact=ada, ticket=ticket, body="Hello?", now=NOW)


# --- deflection ---------------------------------------------------------------------------------


def test_suggestions_are_one_deflection_per_form(ada: Contact) -> None:
    assert services.deflection_record(contact=ada, query="wif", suggested=0, now=NOW) is None
    first = services.deflection_record(contact=ada, query="wifi", suggested=2, now=NOW)
    assert first is not None
    again = services.deflection_record(
        contact=ada, query="wifi does not work", suggested=4, deflection_id=first.pk, now=NOW
    )

    assert again == first
    assert Deflection.objects.get().query == "wifi does not work"
    assert Deflection.objects.get().suggested == 4


def test_another_customers_deflection_is_not_touched(ada: Contact, stranger: Contact) -> None:
    theirs = services.deflection_record(contact=stranger, query="parking", suggested=1, now=NOW)
    assert theirs is not None

    mine = services.deflection_record(contact=ada, query="wifi", suggested=1, deflection_id=theirs.pk, now=NOW)
    services.deflection_open(contact=ada, deflection_id=theirs.pk, translation_id=1)

    assert mine is not None
    assert mine.pk != theirs.pk
    theirs.refresh_from_db()
    assert (theirs.query, theirs.opened_translation_id) == ("parking", None)


def test_an_opened_suggestion_without_a_ticket_counts_as_deflected(ada: Contact, colleague: Contact) -> None:
    agent = UserFactory.create()
    # Ada reads a suggestion and sends nothing: deflected.
    read = services.deflection_record(contact=ada, query="wifi", suggested=3, now=NOW)
    assert read is not None
    services.deflection_open(contact=ada, deflection_id=read.pk, translation_id=7)
    # Cy reads one and sends the ticket all the same: not deflected.
    sent = services.deflection_record(contact=colleague, query="invoice", suggested=2, now=NOW)
    assert sent is not None
    services.deflection_open(contact=colleague, deflection_id=sent.pk, translation_id=8)
    ticket = services.customer_ticket_create(
        contact=colleague, subject="Invoice", body="Need it.", deflection_id=sent.pk, now=NOW
    )
    # Ada opens another form, is shown suggestions, reads none.
    services.deflection_record(contact=ada, query="parking", suggested=1, now=NOW)

    summary = deflection_summary(user=agent, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1))

    assert Deflection.objects.get(pk=sent.pk).ticket_id == ticket.pk
    assert (summary.shown, summary.opened, summary.deflected, summary.submitted) == (3, 2, 1, 1)
    assert summary.rate == 33.3
