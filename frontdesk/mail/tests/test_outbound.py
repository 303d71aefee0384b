"""Mail Frontdesk writes to customers: signed with the mailbox's signature, and sent at once
when someone waits for it (an agent's reply, a sign-in link), else by the next sweep."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.mail.models import Mailbox, OutboundEmail, OutboundKind
from frontdesk.mail.services import mailbox_create, outbound_queue_email
from frontdesk.tickets.models import Channel
from frontdesk.tickets.services import ticket_create, ticket_reply
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox() -> Mailbox:
    box, _secret = mailbox_create(
        name="help",
        address="help@hotel.test",
        smtp_url="smtp://127.0.0.1:2525",
        signature="The Hotel team",
        actor=None,
        now=NOW,
    )
    return box


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time the outbox is asked to send at once (instead of sending)."""
    asked: list[str] = []
    monkeypatch.setattr("frontdesk.mail.tasks.send_outbox", lambda: asked.append("send"))
    return asked


def plain_text(outbound: OutboundEmail) -> str:
    message = message_from_bytes(bytes(outbound.raw), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")  # CRLF, as it travels


def test_a_reply_on_a_portal_ticket_is_e_mailed_with_the_link_to_the_portal_and_signed(
    mailbox: Mailbox, sends: list[str], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BASE_URL = "https://help.hotel.test"
    ana = ContactFactory.create(email="ana@example.com")
    ticket = ticket_create(
        subject="Late arrival",
        requester=ana,
        channel=Channel.WEB,
        body_text="Can I arrive at 23:00?",
        actor=None,
        now=NOW,
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=UserFactory.create(), body_text="Yes, the code is 1234.", now=NOW)

    sent = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
    assert sent.to_address == "ana@example.com"
    assert plain_text(sent) == (
        "Yes, the code is 1234.\n\n"
        f"See the conversation and answer in our portal: https://help.hotel.test/portal/tickets/{ticket.pk}/\n\n"
        "-- \nThe Hotel team\n"
    )
    assert sends == ["send"]


@pytest.mark.parametrize(
    ("kind", "asked"),
    [(OutboundKind.SIGN_IN, ["send"]), (OutboundKind.SURVEY, []), (OutboundKind.RELEASE_NOTE, [])],
)
def test_only_mail_someone_waits_for_is_sent_at_once(
    mailbox: Mailbox, sends: list[str], django_capture_on_commit_callbacks: Any, kind: str, asked: list[str]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queued = outbound_queue_email(
            to="ana@example.com", subject="Hello", text="Hi.", kind=kind, ticket=None, now=NOW
        )

    assert queued is not None
    assert plain_text(queued) == "Hi.\n\n-- \nThe Hotel team\n"
    assert sends == asked
