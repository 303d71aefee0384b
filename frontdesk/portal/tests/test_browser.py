"""A customer in a real browser, on a phone-sized screen, on a real server: searches the help
centre, opens an article and finds it helpful, signs in with the link the real (test) SMTP
server received, opens a ticket while the form suggests that article, and reads the agent's
reply on the ticket's page.

The server is the workspace browser tests' (uvicorn over its own SQLite file); its one
mailbox sends to the loopback aiosmtpd server of the mail tests. Mail leaves the outbox when
it is swept; the test sweeps it, as the periodic job does.
"""

import email
import email.policy
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from frontdesk.mail.tests.servers import SmtpServer
from frontdesk.workspace.tests.test_browser import SCREENSHOTS, running_server

pytestmark = pytest.mark.browser

# Runs inside `frontdesk manage shell`: a mailbox that sends to the test SMTP server, an agent,
# a known customer, and a published article (indexed for search).
SETUP = textwrap.dedent(
    """
    from django.utils import timezone
    from frontdesk.accounts.services import contact_create, user_create
    from frontdesk.kb import services as kb
    from frontdesk.kb.search import reindex_all
    from frontdesk.mail.services import mailbox_create

    now = timezone.now()
    mailbox_create(name="support", address="support@hotel.example", smtp_url="smtp://127.0.0.1:{port}",
                   actor=None, now=now)
    editor = user_create(email="ana@hotel.test", name="Ana Agent", role="supervisor", password="correct horse")
    contact_create(name="Greta Guest", email="greta@example.com", language="en")
    category = kb.category_save(actor=editor, slug="stays", names={{"en": "Your stay"}})
    section = kb.section_save(actor=editor, category=category, slug="bookings", names={{"en": "Bookings"}})
    article = kb.article_create(actor=editor, section=section, visibility="public", locale="en",
                                title="How to change a booking",
                                body="Open **My bookings**, choose the booking and press *Change dates*.", now=now)
    kb.translation_set_status(actor=editor, translation=article, status="published", now=now)
    reindex_all()
    print("READY")
    """
)

CHECK_VOTE = (
    "from frontdesk.kb.models import Vote; print('VOTES', list(Vote.objects.values_list('helpful', flat=True)))"
)

REPLY = textwrap.dedent(
    """
    from django.utils import timezone
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Ticket
    from frontdesk.tickets.services import ticket_reply

    ticket = Ticket.objects.get()
    ticket_reply(ticket=ticket, author=User.objects.get(email="ana@hotel.test"),
                 body_text="You can change the dates yourself under My bookings.", now=timezone.now())
    print("REPLIED", ticket.pk, ticket.channel)
    """
)

SWEEP = (
    "from django.utils import timezone; from frontdesk.mail.services import outbox_send_due; "
    "print(outbox_send_due(now=timezone.now()))"
)


def _shell(data: Path, code: str) -> str:
    """Run `code` in `frontdesk manage shell` against the server's data (as running_server does)."""
    env = {**os.environ, "FRONTDESK_DATA": str(data), "FRONTDESK_SECRET_KEY": "browser-test-key"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "manage", "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@contextmanager
def _help_centre(data: Path, smtp_port: int) -> Iterator[str]:
    with running_server(data, SETUP.format(port=smtp_port)) as (url, printed):
        assert "READY" in printed
        yield url


def _received_link(smtp: SmtpServer, data: Path) -> str:
    """Sweep the outbox until the sign-in mail reaches the SMTP server; the link in its text."""
    deadline = time.monotonic() + 20
    while not smtp.received and time.monotonic() < deadline:
        _shell(data, SWEEP)
        if not smtp.received:
            time.sleep(0.5)
    assert smtp.received, "the sign-in e-mail never reached the SMTP server"
    message = email.message_from_bytes(smtp.received[-1].data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert smtp.received[-1].rcpt_tos == ["greta@example.com"]
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(r"https?://\S+/portal/sign-in/\S+/", body.get_content())
    assert match, body.get_content()
    return match.group(0)


def test_a_customer_finds_an_answer_signs_in_by_link_opens_a_ticket_and_reads_the_reply(
    browser: Browser, smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("portal-browser-data")
    with _help_centre(data, smtp_server.port) as url:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # a phone

        # The help centre: search, open the article, find it helpful.
        page.goto(url + "/help/")
        page.wait_for_url(url + "/help/en/")
        page.fill("#help-search", "change booking")
        page.press("#help-search", "Enter")
        result = page.locator("[data-result] a").first
        expect(result).to_have_text("How to change a booking")
        expect(page.locator("[data-result] mark").first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "frontdesk-help-search.png"), full_page=True)
        result.click()
        expect(page.locator("article h1")).to_have_text("How to change a booking")
        page.click("[data-vote=yes]")
        expect(page.locator("#vote")).to_have_attribute("data-vote-state", "thanks")
        expect(page.locator("#vote [role=status]")).to_have_text("Thank you for your feedback.")
        assert "VOTES [True]" in _shell(data, CHECK_VOTE)

        # Sign in by the e-mailed link.
        page.click("[data-sign-in]")
        page.fill("#id_email", "greta@example.com")
        page.click("main form button[type=submit]")
        expect(page.locator("[data-state=sent]")).to_contain_text("If we know the address greta@example.com")
        link = _received_link(smtp_server, data)
        page.goto(url + urlsplit(link).path)
        page.click("[data-redeem]")
        page.wait_for_url(url + "/portal/")
        expect(page.locator("h1")).to_have_text("My requests")

        # A ticket, with the article suggested while typing.
        page.click("text=New request")
        page.locator("#id_subject").press_sequentially("I need to change my booking dates", delay=20)
        suggestion = page.locator("[data-suggestion] a")
        expect(suggestion).to_have_text("How to change a booking")
        page.fill("#id_body", "We would like to arrive one day later.")
        page.screenshot(path=str(SCREENSHOTS / "frontdesk-portal-new-ticket.png"), full_page=True)
        page.click("form.ticket-form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text("we received your request")
        expect(page.locator(".conversation")).to_contain_text("We would like to arrive one day later.")

        # An agent answers (through the service); the customer reads it on the ticket's page.
        replied = _shell(data, REPLY)
        assert "web" in replied
        page.reload()
        agent_message = page.locator(".message-card.from-agent")
        expect(agent_message).to_contain_text("You can change the dates yourself under My bookings.")
        expect(agent_message).to_contain_text("Ana Agent")
        page.screenshot(path=str(SCREENSHOTS / "frontdesk-portal-ticket.png"), full_page=True)
