"""The e-mail admin pages: mailboxes (/settings/mailboxes/) and failed e-mails (/settings/failed-emails/)."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.core.crypto import decrypt_secret
from frontdesk.core.errors import NotFound
from frontdesk.mail.models import InboundEmail, InboundStatus, Mailbox, Outcome
from frontdesk.mail.services import email_process, mailbox_authenticate, mailbox_create
from frontdesk.mail.tests.factories import NOW, MailboxFactory, email_bytes, inbound_email
from frontdesk.mail.tests.servers import ImapAccount, SmtpServer, free_port
from frontdesk.tickets.models import Ticket
from frontdesk.workspace.tests.conftest import client_for

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory.create(name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def admin_client(admin: User) -> Client:
    return client_for(admin)


@pytest.fixture
def mailbox(admin: User) -> Mailbox:
    """A mailbox set up through the service, with both server passwords stored."""
    box, _secret = mailbox_create(
        name="support",
        address="support@hotel.example",
        imap_url="imaps://support:imap-password@mail.hotel.example/INBOX",
        smtp_url="smtps://support:smtp-password@mail.hotel.example",
        actor=admin,
        now=NOW,
    )
    return box


def quarantined(mailbox: Mailbox, raw: bytes) -> InboundEmail:
    """A real failure: the message is over the mailbox's size limit, so processing quarantines it."""
    mailbox.max_message_bytes = 100
    mailbox.save(update_fields=["max_message_bytes"])
    inbound = inbound_email(mailbox, raw, NOW)
    email_process(inbound_id=inbound.pk, now=NOW)
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.QUARANTINED
    return inbound


def mailbox_form_data(**changes: str) -> dict[str, str]:
    data = {
        "team": "",
        "language": "",
        "imap_url": "imaps://support@mail.hotel.example",
        "smtp_url": "smtps://support@mail.hotel.example",
        "signature": "",
        "auto_ack": "on",
        "auto_ack_text_en": "",
        "auto_ack_text_es": "",
        "auto_ack_text_lt": "",
        "reopen_days": "14",
        "max_message_mb": "30",
        "is_active": "on",
    }
    data.update(changes)
    return data


# --- who may see the pages ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/settings/mailboxes/"),
        ("get", "/settings/mailboxes/new/"),
        ("post", "/settings/mailboxes/new/"),
        ("get", "/settings/mailboxes/{mailbox}/"),
        ("post", "/settings/mailboxes/{mailbox}/"),
        ("post", "/settings/mailboxes/{mailbox}/secret/"),
        ("post", "/settings/mailboxes/{mailbox}/check-smtp/"),
        ("post", "/settings/mailboxes/new/check-imap/"),
        ("get", "/settings/failed-emails/"),
        ("post", "/settings/failed-emails/{email}/retry/"),
        ("get", "/settings/failed-emails/{email}/raw/"),
    ],
)
def test_only_admins_may_use_the_mail_pages(role: str, method: str, path: str, mailbox: Mailbox) -> None:
    email = quarantined(mailbox, email_bytes())
    client = client_for(UserFactory.create(role=role))

    response = getattr(client, method)(path.format(mailbox=mailbox.pk, email=email.pk), mailbox_form_data())

    assert response.status_code == 403
    email.refresh_from_db()
    assert email.status == InboundStatus.QUARANTINED


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/settings/mailboxes/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- mailbox list ----------------------------------------------------------------------


def test_mailbox_list_shows_servers_without_passwords_and_the_polling_state(
    admin_client: Client, mailbox: Mailbox
) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        team=TeamFactory.create(name="Reservations"),
        imap_last_poll_at=timezone.now() - timedelta(minutes=5),
        imap_last_error="mail.hotel.example:993 refused the connection",
        imap_failures=3,
        imap_next_poll_at=timezone.now() + timedelta(minutes=4),
    )

    response = admin_client.get("/settings/mailboxes/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "support@hotel.example" in page
    assert "Reservations" in page
    assert "imaps://support@mail.hotel.example" in page
    assert "smtps://support@mail.hotel.example" in page
    assert "imap-password" not in page
    assert "smtp-password" not in page
    assert mailbox.imap_password not in page  # nor the encrypted form
    assert "refused the connection" in page
    assert "3 failures in a row" in page
    assert "backing off until" in page


def test_mailbox_list_queries_do_not_grow_with_mailboxes(
    admin_client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(20):
        MailboxFactory.create(team=TeamFactory.create(), imap_url=f"imaps://box{n}@mail.hotel.example")

    # session, user with their shift state (header), messages-free page: the mailboxes with their teams
    with django_assert_max_num_queries(3):
        response = admin_client.get("/settings/mailboxes/")

    assert len(response.context["mailboxes"]) == 20


# --- creating a mailbox ------------------------------------------------------------------


def test_admin_creates_a_mailbox_and_sees_its_secret_once(admin_client: Client) -> None:
    team = TeamFactory.create(name="Reservations")
    assert admin_client.get("/settings/mailboxes/new/").status_code == 200

    response = admin_client.post(
        "/settings/mailboxes/new/",
        {
            "name": "bookings",
            "address": "Bookings@Hotel.example",
            "team": str(team.pk),
            "language": "es",
            "imap_url": "imaps://bookings:imap-password@mail.hotel.example",
            "smtp_url": "",
            "signature": "The Hotel team",
            "auto_ack": "on",
        },
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    mailbox = Mailbox.objects.get()
    assert (mailbox.name, mailbox.address, mailbox.team, mailbox.language) == (
        "bookings",
        "bookings@hotel.example",
        team,
        "es",
    )
    assert mailbox.imap_url == "imaps://bookings@mail.hotel.example"
    assert decrypt_secret(mailbox.imap_password) == "imap-password"
    secret = response.context["secret"]
    assert mailbox_authenticate(name="bookings", secret=secret) == mailbox
    page = response.content.decode()
    assert secret in page
    assert "http://testserver/api/v1/mail/bookings/inbound" in page
    assert "frontdesk mail ingest --mailbox bookings" in page
    assert secret not in admin_client.get(f"/settings/mailboxes/{mailbox.pk}/").content.decode()


def test_creating_a_mailbox_with_a_bad_server_url_shows_the_error_and_creates_nothing(admin_client: Client) -> None:
    response = admin_client.post(
        "/settings/mailboxes/new/",
        {"name": "bookings", "address": "bookings@hotel.example", "imap_url": "imaps://mail.hotel.example"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["imap_url"] == [
        "The address needs a user name, as in imaps://user@mail.example.com."
    ]
    assert "The address needs a user name" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_creating_a_second_mailbox_for_an_address_is_refused(admin_client: Client, mailbox: Mailbox) -> None:
    response = admin_client.post("/settings/mailboxes/new/", {"name": "other", "address": "support@hotel.example"})

    assert response.status_code == 409
    assert response.context["form"].errors["address"] == ["A mailbox for support@hotel.example already exists."]
    assert Mailbox.objects.count() == 1


# --- editing a mailbox -------------------------------------------------------------------


def test_editing_without_a_password_keeps_the_stored_one(admin_client: Client, mailbox: Mailbox) -> None:
    stored = (mailbox.imap_password, mailbox.smtp_password)
    page = admin_client.get(f"/settings/mailboxes/{mailbox.pk}/").content.decode()
    assert 'value="imaps://support@mail.hotel.example"' in page
    assert "imap-password" not in page

    response = admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/",
        mailbox_form_data(
            language="lt",
            signature="Viešbučio komanda",
            auto_ack_text_es="Gracias, le responderemos pronto.",
            reopen_days="30",
            max_message_mb="2.5",
            is_active="",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == "/settings/mailboxes/"
    mailbox.refresh_from_db()
    assert (mailbox.imap_password, mailbox.smtp_password) == stored
    assert decrypt_secret(mailbox.imap_password) == "imap-password"
    assert mailbox.language == "lt"
    assert mailbox.signature == "Viešbučio komanda"
    assert mailbox.auto_ack_texts == {"es": "Gracias, le responderemos pronto."}
    assert mailbox.reopen_days == 30
    assert mailbox.max_message_bytes == int(Decimal("2.5") * 1024 * 1024)
    assert mailbox.is_active is False
    assert "The settings of support are saved." in admin_client.get("/settings/mailboxes/").content.decode()


def test_editing_with_a_password_in_the_url_replaces_the_stored_one(admin_client: Client, mailbox: Mailbox) -> None:
    admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/",
        mailbox_form_data(smtp_url="smtps://support:new-password@mail.hotel.example"),
    )

    mailbox.refresh_from_db()
    assert mailbox.smtp_url == "smtps://support@mail.hotel.example"
    assert decrypt_secret(mailbox.smtp_password) == "new-password"
    assert decrypt_secret(mailbox.imap_password) == "imap-password"


def test_an_unchanged_size_limit_keeps_its_exact_bytes(admin_client: Client, mailbox: Mailbox) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(max_message_bytes=1_500_000)
    form = admin_client.get(f"/settings/mailboxes/{mailbox.pk}/").context["form"]

    admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/",
        mailbox_form_data(max_message_mb=str(form.initial["max_message_mb"])),
    )

    mailbox.refresh_from_db()
    assert form.initial["max_message_mb"] == Decimal("1.430511")
    assert mailbox.max_message_bytes == 1_500_000


def test_an_edit_the_service_refuses_shows_the_error_and_changes_nothing(
    admin_client: Client, mailbox: Mailbox
) -> None:
    response = admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/",
        mailbox_form_data(imap_url="imaps://other@imap.example", smtp_url="imaps://support@mail.hotel.example"),
    )

    assert response.status_code == 422
    assert response.context["form"].errors["smtp_url"] == ["This is not an SMTP URL."]
    assert "A password is stored." in response.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.imap_url == "imaps://support@mail.hotel.example"


def test_a_new_secret_replaces_the_old_one(admin_client: Client, admin: User) -> None:
    mailbox, old_secret = mailbox_create(name="support", address="support@hotel.example", actor=admin, now=NOW)

    response = admin_client.post(f"/settings/mailboxes/{mailbox.pk}/secret/", headers=HTMX)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    new_secret = response.context["secret"]
    assert new_secret in response.content.decode()
    assert "<html" not in response.content.decode()  # the part that htmx swaps in
    assert mailbox_authenticate(name="support", secret=new_secret) == mailbox
    with pytest.raises(NotFound):
        mailbox_authenticate(name="support", secret=old_secret)


# --- test connection ---------------------------------------------------------------------


def test_test_connection_shows_why_a_closed_port_fails(admin_client: Client) -> None:
    port = free_port()  # nothing listens there

    response = admin_client.post(
        "/settings/mailboxes/new/check-imap/", {"imap_url": f"imap://support:pw@127.0.0.1:{port}"}, headers=HTMX
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "is-error" in page
    assert f"127.0.0.1:{port} refused the connection: is the server running and the port right?" in page


def test_test_connection_shows_a_url_error_without_connecting(admin_client: Client) -> None:
    response = admin_client.post(
        "/settings/mailboxes/new/check-smtp/", {"smtp_url": "http://mail.example"}, headers=HTMX
    )

    assert "is-error" in response.content.decode()
    assert "The address must start with imaps://" in response.content.decode()


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_test_connection_signs_in_to_smtp_with_the_stored_password(
    admin_client: Client, admin: User, smtp_server: SmtpServer
) -> None:
    url = smtp_server.url()
    mailbox, _secret = mailbox_create(
        name="support",
        address="support@hotel.example",
        smtp_url=f"smtp+starttls://{url.username}:{url.password}@127.0.0.1:{url.port}",
        actor=admin,
        now=NOW,
    )

    response = admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/check-smtp/",
        {"smtp_url": f"smtp+starttls://{url.username}@127.0.0.1:{url.port}"},
        headers=HTMX,
    )

    page = response.content.decode()
    assert "is-ok" in page
    assert f"Connected to 127.0.0.1:{url.port} (STARTTLS); signed in as {url.username}" in page


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_test_connection_uses_a_typed_password_over_the_stored_one(
    admin_client: Client, mailbox: Mailbox, smtp_server: SmtpServer
) -> None:
    url = smtp_server.url()

    response = admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/check-smtp/",
        {"smtp_url": f"smtp+starttls://{url.username}:wrong@127.0.0.1:{url.port}"},
        headers=HTMX,
    )

    page = response.content.decode()
    assert "is-error" in page
    assert f"refused the login of {url.username}" in page


def test_test_connection_reads_the_imap_folder_with_the_stored_password(
    admin_client: Client, admin: User, imap_account: ImapAccount
) -> None:
    url = imap_account.url("imap+starttls")
    user = url.username.replace("@", "%40")
    mailbox, _secret = mailbox_create(
        name="support",
        address="support@hotel.example",
        imap_url=f"imap+starttls://{user}:{url.password}@127.0.0.1:{url.port}",
        actor=admin,
        now=NOW,
    )
    imap_account.append(email_bytes())

    response = admin_client.post(
        f"/settings/mailboxes/{mailbox.pk}/check-imap/",
        {"imap_url": f"imap+starttls://{user}@127.0.0.1:{url.port}"},
        headers=HTMX,
    )

    page = response.content.decode()
    assert "is-ok" in page
    assert "Connected; INBOX has 1 message" in page


# --- failed e-mails ----------------------------------------------------------------------


def test_failed_emails_lists_the_quarantined_ones_newest_first(admin_client: Client, mailbox: Mailbox) -> None:
    older = quarantined(mailbox, email_bytes(subject="Older", message_id="<a@guests.example>"))
    newer = inbound_email(mailbox, email_bytes(subject="Newer", message_id="<b@guests.example>"), NOW + timedelta(1))
    email_process(inbound_id=newer.pk, now=NOW + timedelta(1))

    response = admin_client.get("/settings/failed-emails/")

    assert response.status_code == 200
    assert [email.pk for email in response.context["page"]] == [newer.pk, older.pk]
    page = response.content.decode()
    assert "support" in page
    assert "over the size limit" in page
    assert f"the mailbox takes at most {100:,}" in page
    assert f'href="/settings/failed-emails/{older.pk}/raw/"' in page


def test_failed_emails_are_paginated_fifty_a_page_with_a_fixed_number_of_queries(
    admin_client: Client, mailbox: Mailbox, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(53):
        quarantined(mailbox, email_bytes(message_id=f"<m{n}@guests.example>"))

    # session, user with their shift state (header), the count, the page's e-mails with their mailboxes
    with django_assert_max_num_queries(4):
        first = admin_client.get("/settings/failed-emails/")
    second = admin_client.get("/settings/failed-emails/?page=2")

    assert len(first.context["page"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    assert len(second.context["page"]) == 3


def test_retry_makes_a_ticket_of_an_oversized_email_and_links_to_it(admin_client: Client, mailbox: Mailbox) -> None:
    email = quarantined(mailbox, email_bytes(subject="Late check-in"))

    response = admin_client.post(f"/settings/failed-emails/{email.pk}/retry/", headers=HTMX)

    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.status, email.outcome, email.attempts) == (InboundStatus.PROCESSED, Outcome.CREATED, 2)
    ticket = Ticket.objects.get()
    assert email.ticket == ticket
    assert ticket.subject == "Late check-in"
    page = response.content.decode()
    assert page.startswith(f'<tr id="failed-email-{email.pk}"')
    assert "Created a ticket" in page
    assert f'href="/tickets/{ticket.pk}/"' in page
    assert "Retry</button>" not in page
    assert not admin_client.get("/settings/failed-emails/").context["page"].object_list


def test_retry_without_javascript_returns_to_the_list_with_the_outcome(admin_client: Client, mailbox: Mailbox) -> None:
    email = quarantined(mailbox, email_bytes())

    response = admin_client.post(f"/settings/failed-emails/{email.pk}/retry/", follow=True)

    ticket = Ticket.objects.get()
    assert response.redirect_chain == [("/settings/failed-emails/", 302)]
    assert f"Created a ticket: #{ticket.pk}" in response.content.decode()


def test_a_retry_that_fails_again_shows_the_new_error(admin_client: Client, mailbox: Mailbox) -> None:
    email = quarantined(mailbox, email_bytes())
    Path(email.raw.path).unlink()  # the stored bytes are gone: processing cannot read them

    response = admin_client.post(f"/settings/failed-emails/{email.pk}/retry/", headers=HTMX)

    email.refresh_from_db()
    assert (email.status, email.attempts) == (InboundStatus.QUARANTINED, 2)
    page = response.content.decode()
    assert "Failed again." in page
    assert "FileNotFoundError" in page
    assert "Retry</button>" in page


def test_download_raw_gives_the_exact_bytes_received(admin_client: Client, mailbox: Mailbox) -> None:
    raw = (
        email_bytes(subject="Caf\u00e9", body="Line one\r\nLine two\n\u00a1Hola!").replace(b"\n", b"\r\n") + b"\x00\xff"
    )
    email = quarantined(mailbox, raw)

    response = admin_client.get(f"/settings/failed-emails/{email.pk}/raw/")

    assert response.status_code == 200
    assert response.content == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="email-{email.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_django_admin_lists_mail_without_secrets() -> None:
    superuser = UserFactory.create(role=Role.ADMIN)  # admins are staff
    mailbox = MailboxFactory.create(smtp_url="smtp://mailer@smtp.example", smtp_password="hunter2-secret")
    inbound_email(mailbox, email_bytes())
    client = client_for(superuser)
    for url in ("/admin/mail/mailbox/", f"/admin/mail/mailbox/{mailbox.pk}/change/", "/admin/mail/inboundemail/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"hunter2" not in response.content
        assert mailbox.smtp_password.encode() not in response.content
