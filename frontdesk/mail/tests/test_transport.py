"""The IMAP and SMTP transport against real servers on loopback (Dovecot, aiosmtpd)."""

from dataclasses import replace
from typing import Any

import pytest

from frontdesk.core.errors import ValidationError
from frontdesk.mail.tests.servers import (
    LEGACY_LOOPBACK,
    SMTP_USER,
    SMTP_UTF8_PASSWORD,
    ImapAccount,
    SmtpServer,
    free_port,
)
from frontdesk.mail.transport import (
    STORED_KEYWORD,
    FetchedMessage,
    ImapClient,
    ServerUrl,
    TransportError,
    check_imap,
    check_smtp,
    parse_server_url,
    smtp_send,
)

SEEN_AND_STORED = {"\\Seen", STORED_KEYWORD}


def message(subject: str, body: bytes = b"Hello.\r\n") -> bytes:
    return f"From: customer@example.test\r\nTo: help@example.test\r\nSubject: {subject}\r\n\r\n".encode() + body


# --- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imaps://user:pass@mail.example.com/INBOX?move_to=Archive",
            ServerUrl("imaps", "mail.example.com", 993, "user", "pass", "INBOX", "Archive", True),
        ),
        (
            "smtp+starttls://user:pass@smtp.example.com:587",
            ServerUrl("smtp+starttls", "smtp.example.com", 587, "user", "pass", "", "", True),
        ),
        (
            "imap+starttls://help%40example.com:p%3Aw%2Fd%20%C3%A4@Mail.Example.COM",
            ServerUrl("imap+starttls", "mail.example.com", 143, "help@example.com", "p:w/d ä", "INBOX", "", True),
        ),
        (
            "IMAPS://u:p@[2001:db8::1]:10993/Support%20Queue?verify=no",
            ServerUrl("imaps", "2001:db8::1", 10993, "u", "p", "Support Queue", "", False),
        ),
        ("imap://u:p@localhost/", ServerUrl("imap", "localhost", 143, "u", "p", "INBOX", "", True)),
        ("smtps://smtp.example.com", ServerUrl("smtps", "smtp.example.com", 465, "", "", "", "", True)),
        ("smtp://127.0.0.1", ServerUrl("smtp", "127.0.0.1", 25, "", "", "", "", True)),
        ("imaps://u@mail.example.com", ServerUrl("imaps", "mail.example.com", 993, "u", "", "INBOX", "", True)),
    ],
)
def test_parse_server_url_reads_scheme_host_port_credentials_and_options(url: str, expected: ServerUrl) -> None:
    assert parse_server_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mail.example.com",
        "http://user:pass@mail.example.com",
        "imaps://",
        "imaps://user:pass@mail.example.com:99999",
        "imaps://user:pass@mail.example.com:0",
        "imaps://user:pass@mail.example.com:port",
        "imaps://mail.example.com/INBOX",
        "smtps://user:pass@smtp.example.com/INBOX",
        "smtps://smtp.example.com?move_to=Archive",
        "imaps://user:pass@mail.example.com?colour=blue",
        "imaps://user:pass@mail.example.com?verify=no&verify=yes",
        "imaps://user:pass@mail.example.com?verify=maybe",
        "imaps://user:pass%0D%0AX@mail.example.com",
        "imaps://user:pass@mail.example.com/INBOX?move_to=INBOX",
        "imaps://user:pass@mail.example.com/INBOX#top",
    ],
)
def test_parse_server_url_rejects_bad_addresses_on_the_url_field(url: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_server_url(url)

    assert raised.value.field == "url"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("imaps://help%40example.com:secret@mail.example.com", "imaps://help%40example.com@mail.example.com"),
        (
            "imap+starttls://u:secret@[::1]:1143/Support%20Queue?move_to=Done&verify=no",
            "imap+starttls://u@[::1]:1143/Support%20Queue?move_to=Done&verify=no",
        ),
        ("smtp+starttls://u:secret@smtp.example.com:2525", "smtp+starttls://u@smtp.example.com:2525"),
    ],
)
def test_redacted_url_drops_only_the_password(url: str, redacted: str) -> None:
    server = parse_server_url(url)

    assert server.redacted() == redacted
    assert parse_server_url(server.redacted()).with_password("secret") == server
    assert "secret" not in repr(server)


# --- IMAP ---------------------------------------------------------------------------------------

THREE_MESSAGES = [
    message("First"),
    message("Zweite Nachricht", "Grüße aus Köln\r\n.a line starting with a dot\r\nFrom the start\r\n".encode()),
    message("Third", b"\xff\xfe raw 8-bit bytes\r\n"),
]


@pytest.mark.parametrize("scheme", ["imap+starttls", "imaps", "imap"])
def test_fetch_returns_exact_bytes_oldest_first_until_marked_processed(imap_account: ImapAccount, scheme: str) -> None:
    uids = [imap_account.append(raw) for raw in THREE_MESSAGES]

    with ImapClient(imap_account.url(scheme)) as client:
        fetched = client.fetch_unprocessed()
        client.mark_processed(uids[0])
        client.mark_processed(uids[1])
    with ImapClient(imap_account.url(scheme)) as client:
        fetched_again = client.fetch_unprocessed()

    assert fetched == [FetchedMessage(uid=uid, raw=raw) for uid, raw in zip(uids, THREE_MESSAGES, strict=True)]
    assert fetched_again == [FetchedMessage(uid=uids[2], raw=THREE_MESSAGES[2])]
    assert imap_account.flags() == {uids[0]: SEEN_AND_STORED, uids[1]: SEEN_AND_STORED, uids[2]: set()}


def test_fetch_stops_at_the_limit_and_skips_deleted_messages(imap_account: ImapAccount) -> None:
    imap_account.append(message("Deleted"), flags="\\Deleted")
    uids = [imap_account.append(message(f"Message {n}")) for n in range(3)]

    with ImapClient(imap_account.url()) as client:
        fetched = client.fetch_unprocessed(limit=2)

    assert [m.uid for m in fetched] == uids[:2]


def test_messages_already_seen_by_a_person_are_still_fetched(imap_account: ImapAccount) -> None:
    uid = imap_account.append(message("Read in Thunderbird"), flags="\\Seen")

    with ImapClient(imap_account.url()) as client:
        assert [m.uid for m in client.fetch_unprocessed()] == [uid]


# 127.0.0.1 offers MOVE; LEGACY_LOOPBACK offers neither MOVE nor UIDPLUS (COPY, STORE \Deleted, EXPUNGE).
@pytest.mark.parametrize("host", ["127.0.0.1", LEGACY_LOOPBACK])
def test_mark_processed_moves_to_the_move_to_folder_creating_it(imap_account: ImapAccount, host: str) -> None:
    first, second = message("Moved"), message("Stays")
    uid = imap_account.append(first)
    imap_account.append(second)

    with ImapClient(imap_account.url(host=host, move_to="Erledigt é")) as client:
        client.mark_processed(uid)
        remaining = client.fetch_unprocessed()

    assert [m.raw for m in remaining] == [second]
    assert imap_account.messages("INBOX") == [second]
    assert imap_account.messages('"Erledigt &AOk-"') == [first]  # modified UTF-7, as RFC 3501 names it


def test_reads_the_folder_named_in_the_url(imap_account: ImapAccount) -> None:
    imap_account.create_folder('"Support Queue"')
    imap_account.append(message("In the inbox"))
    uid = imap_account.append(message("For support"), folder='"Support Queue"')

    with ImapClient(imap_account.url(folder="Support Queue")) as client:
        assert [(m.uid, m.raw) for m in client.fetch_unprocessed()] == [(uid, message("For support"))]
        assert (client.exists, client.uidvalidity > 0) == (1, True)


def test_check_imap_counts_the_messages_in_the_folder(imap_account: ImapAccount) -> None:
    imap_account.append(message("One"))
    imap_account.append(message("Two"))

    assert check_imap(imap_account.url("imaps")) == "Connected; INBOX has 2 messages"


def test_a_non_ascii_password_logs_in(dovecot: Any, trust_test_certificate: Any) -> None:
    account = dovecot.add_user(password="Grüße-пароль")

    assert check_imap(account.url()) == "Connected; INBOX has 0 messages"


def test_a_wrong_password_is_a_permanent_error(imap_account: ImapAccount) -> None:
    url = imap_account.url().with_password("wrong")

    with pytest.raises(TransportError, match="refused the login") as raised:
        check_imap(url)

    assert raised.value.temporary is False


def test_a_missing_folder_is_a_permanent_error(imap_account: ImapAccount) -> None:
    with pytest.raises(TransportError, match="The folder Nowhere cannot be opened") as raised:
        check_imap(imap_account.url(folder="Nowhere"))

    assert raised.value.temporary is False


def test_a_server_that_is_down_is_a_temporary_error(imap_account: ImapAccount) -> None:
    url = replace(imap_account.url("imaps"), port=free_port())

    with pytest.raises(TransportError, match="refused the connection") as raised:
        check_imap(url)

    assert raised.value.temporary is True


def test_an_untrusted_certificate_is_refused_unless_verification_is_off(
    imap_account: ImapAccount, settings: Any
) -> None:
    settings.MAIL_TLS_CA_FILE = None

    with pytest.raises(TransportError, match="not trusted") as raised:
        check_imap(imap_account.url("imaps"))

    assert raised.value.temporary is False
    assert check_imap(replace(imap_account.url("imaps"), verify_tls=False)).startswith("Connected")


def test_implicit_tls_on_the_starttls_port_explains_the_mismatch(imap_account: ImapAccount) -> None:
    url = replace(imap_account.url("imaps"), port=imap_account.server.imap_port)

    with pytest.raises(TransportError, match="scheme matches the port") as raised:
        check_imap(url)

    assert raised.value.temporary is False


def test_plain_imap_to_another_host_is_refused_before_connecting() -> None:
    url = ServerUrl("imap", "mail.example.com", 143, "user", "secret", "INBOX", "", True)

    with pytest.raises(TransportError, match="unencrypted") as raised:
        check_imap(url)

    assert raised.value.temporary is False


# --- SMTP ---------------------------------------------------------------------------------------

EVERY_SMTP_MODE = pytest.mark.parametrize("smtp_server", ["plain", "starttls", "smtps"], indirect=True)
TRICKY = message(
    "Dots and bytes",
    ".a line starting with a dot\r\n..two dots\r\n.\r\nGrüße, 8-bit \xff\r\n".encode("latin-1", "replace")
    + "and UTF-8: Grüße\r\n".encode(),
)


@EVERY_SMTP_MODE
def test_smtp_send_delivers_the_exact_bytes(smtp_server: SmtpServer) -> None:
    smtp_send(
        smtp_server.url(),
        sender="help@example.test",
        recipients=["a@example.test", "b@example.test"],
        message=TRICKY,
    )

    [received] = smtp_server.received
    assert (received.mail_from, received.rcpt_tos, received.data) == (
        "help@example.test",
        ["a@example.test", "b@example.test"],
        TRICKY,
    )
    assert received.login == (None if smtp_server.mode == "plain" else SMTP_USER)


def test_smtp_send_turns_bare_line_feeds_into_crlf(smtp_server: SmtpServer) -> None:
    smtp_send(smtp_server.url(), sender="", recipients=["a@example.test"], message=b"Subject: x\n\n.dot\nend")

    assert smtp_server.received[0].data == b"Subject: x\r\n\r\n.dot\r\nend\r\n"


def test_smtp_send_to_an_international_address(smtp_server: SmtpServer) -> None:
    smtp_send(smtp_server.url(), sender="help@example.test", recipients=["jörg@bücher.example"], message=TRICKY)

    assert smtp_server.received[0].rcpt_tos == ["jörg@bücher.example"]


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_smtp_non_ascii_password_signs_in(smtp_server: SmtpServer) -> None:
    smtp_send(smtp_server.url(password=SMTP_UTF8_PASSWORD), sender="", recipients=["a@example.test"], message=TRICKY)

    assert smtp_server.received[0].login == SMTP_USER


@pytest.mark.parametrize("smtp_server", ["starttls"], indirect=True)
def test_smtp_wrong_password_is_a_permanent_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(TransportError, match="refused the login of mailer: 535") as raised:
        smtp_send(smtp_server.url(password="wrong"), sender="", recipients=["a@example.test"], message=TRICKY)

    assert raised.value.temporary is False
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("reply", "temporary"), [("451 4.3.0 Try again later", True), ("554 5.6.0 Message rejected", False)]
)
def test_smtp_refusal_of_the_message_is_temporary_for_4xx_permanent_for_5xx(
    smtp_server: SmtpServer, reply: str, temporary: bool
) -> None:
    smtp_server.fail_next(reply)

    with pytest.raises(TransportError, match=reply) as raised:
        smtp_send(smtp_server.url(), sender="", recipients=["a@example.test"], message=TRICKY)

    assert raised.value.temporary is temporary


@pytest.mark.parametrize(("reply", "temporary"), [("450 4.2.1 Mailbox busy", True), ("550 5.1.1 No such user", False)])
def test_smtp_refusing_one_recipient_sends_to_nobody(smtp_server: SmtpServer, reply: str, temporary: bool) -> None:
    smtp_server.refuse("gone@example.test", reply)

    with pytest.raises(TransportError, match=f"gone@example.test \\({reply}\\)") as raised:
        smtp_send(smtp_server.url(), sender="", recipients=["a@example.test", "gone@example.test"], message=TRICKY)

    assert raised.value.temporary is temporary
    assert smtp_server.received == []


def test_smtp_server_down_is_a_temporary_error() -> None:
    url = ServerUrl("smtp", "127.0.0.1", free_port(), "", "", "", "", True)

    with pytest.raises(TransportError, match="refused the connection") as raised:
        smtp_send(url, sender="", recipients=["a@example.test"], message=TRICKY)

    assert raised.value.temporary is True


def test_smtp_starttls_against_a_server_without_it_is_a_permanent_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(TransportError, match="does not offer STARTTLS") as raised:
        check_smtp(replace(smtp_server.url(), scheme="smtp+starttls"))

    assert raised.value.temporary is False


def test_smtp_password_over_plain_smtp_to_another_host_is_refused_before_connecting() -> None:
    url = ServerUrl("smtp", "smtp.example.com", 25, "user", "secret", "", "", True)

    with pytest.raises(TransportError, match="unencrypted"):
        smtp_send(url, sender="", recipients=["a@example.test"], message=TRICKY)


@pytest.mark.parametrize(
    ("smtp_server", "description"),
    [
        ("plain", "(no encryption), without signing in"),
        ("starttls", "(STARTTLS); signed in as mailer"),
        ("smtps", "(TLS); signed in as mailer"),
    ],
    indirect=["smtp_server"],
)
def test_check_smtp_describes_the_connection(smtp_server: SmtpServer, description: str) -> None:
    assert check_smtp(smtp_server.url()) == f"Connected to 127.0.0.1:{smtp_server.port} {description}"
