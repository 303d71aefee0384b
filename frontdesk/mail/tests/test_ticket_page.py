"""What agents see of e-mail on the ticket page: why a message landed there, its raw bytes,
inline images, delivery of our replies, merges and follow-ups."""

from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.mail.services import email_ingest, mailbox_create
from frontdesk.mail.tests.factories import ticket_of
from frontdesk.tickets.models import Attachment
from frontdesk.tickets.services import ticket_merge, ticket_reply
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

HTML_WITH_IMAGE = (
    b"From: Ana <ana@example.com>\r\nTo: help@hotel.test\r\nSubject: Broken lamp\r\n"
    b"Message-ID: <lamp@example.com>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="R"\r\n\r\n'
    b'--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>This one:</p><img src="cid:lamp.1@example.com">\r\n'
    b"--R\r\nContent-Type: image/png\r\nContent-ID: <lamp.1@example.com>\r\nContent-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: inline; filename="lamp.png"\r\n\r\n'
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    b"YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n--R--\r\n"
)


def test_the_ticket_page_shows_how_each_e_mail_came_and_went(django_capture_on_commit_callbacks: Any) -> None:
    mailbox, _secret = mailbox_create(
        name="help", address="help@hotel.test", smtp_url="smtp://127.0.0.1:9", actor=None, now=NOW
    )
    mailbox.auto_ack = False
    mailbox.save()
    result = email_ingest(mailbox=mailbox, raw=HTML_WITH_IMAGE, source="pipe", now=NOW)
    ticket = ticket_of(result)
    admin = UserFactory.create(role="admin")
    with django_capture_on_commit_callbacks(execute=True):  # the reply goes to the outbox; nothing listens
        ticket_reply(ticket=ticket, author=admin, body_text="We will replace it.", now=NOW)

    client = Client()
    client.force_login(admin)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    image = Attachment.objects.get(filename="lamp.png")
    assert image.content_id == "lamp.1@example.com"
    assert f'src="/attachments/{image.pk}/"' in page  # the inline image points at its attachment
    assert "No earlier message matched" in page  # why it became a new ticket
    assert f'href="/api/v1/messages/{result.message}/raw"' in page
    assert "Waiting to be sent" in page  # our reply, not delivered yet


def test_a_merged_ticket_says_where_its_mail_goes() -> None:
    mailbox, _secret = mailbox_create(name="help", address="help@hotel.test", actor=None, now=NOW)
    source = ticket_of(email_ingest(mailbox=mailbox, raw=HTML_WITH_IMAGE, source="pipe", now=NOW))
    other = HTML_WITH_IMAGE.replace(b"<lamp@", b"<lamp2@")
    target = ticket_of(email_ingest(mailbox=mailbox, raw=other, source="pipe", now=NOW))
    ticket_merge(source=source, target=target, actor=None, now=NOW)
    client = Client()
    client.force_login(UserFactory.create(role="admin"))
    page = client.get(f"/tickets/{source.pk}/").content.decode()
    assert f'Merged into <a href="/tickets/{target.pk}/">#{target.pk}</a>' in page


def test_admins_see_failed_e_mails_in_the_sidebar_and_agents_do_not() -> None:
    mailbox, _secret = mailbox_create(name="help", address="help@hotel.test", actor=None, now=NOW)
    mailbox.max_message_bytes = 100
    mailbox.save()
    email_ingest(mailbox=mailbox, raw=HTML_WITH_IMAGE, source="pipe", now=NOW)
    client = Client()
    client.force_login(UserFactory.create(role="admin"))
    nav = client.get("/nav/counts/").content.decode()
    assert "Failed e-mails" in nav
    assert '<span class="count">1</span>' in nav
    client.force_login(UserFactory.create(role="agent"))
    assert "Failed e-mails" not in client.get("/nav/counts/").content.decode()
