"""Bounces in the corpus: BOUNCES-derived.json expectations, and mail that is no bounce."""

from frontdesk.mail.parsing import parse_email
from frontdesk.mail.tests.corpus import index_rows, load_json, parsed

# A returned original that the derived file's scan missed (we find it in the text).
EXTRA_ORIGINAL_IDS = {
    "sisimai/maildir/bsd/lhost-dragonfly-01.eml": "66681288.e06d1.3824794@df.example.jp",
}


def _bounces() -> dict[str, dict[str, object]]:
    expected: dict[str, dict[str, object]] = load_json("BOUNCES-derived.json")
    return expected


def test_every_listed_bounce_is_recognised() -> None:
    missing = [path for path in _bounces() if parsed(path).bounce is None]
    assert missing == []
    assert len(_bounces()) == 69


def test_bounce_status_matches() -> None:
    for path, item in _bounces().items():
        bounce = parsed(path).bounce
        assert bounce is not None
        statuses: list[str] = item["dsn_status"]  # type: ignore[assignment]
        if statuses:
            assert bounce.status in statuses, path


def test_bounce_original_message_id_matches() -> None:
    for path, item in _bounces().items():
        bounce = parsed(path).bounce
        assert bounce is not None
        expected = str(item["original_message_id"] or "").strip("<>")
        assert bounce.original_message_id == (expected or EXTRA_ORIGINAL_IDS.get(path, "")), path


def test_bounce_permanence_matches() -> None:
    checked = 0
    for path, item in _bounces().items():
        bounce = parsed(path).bounce
        assert bounce is not None
        if item["permanent"] is not None:
            assert bounce.permanent is item["permanent"], path
            checked += 1
    assert checked >= 35


def test_dsn_bounces_name_the_failed_recipient() -> None:
    for path, item in _bounces().items():
        bounce = parsed(path).bounce
        assert bounce is not None
        if item["dsn_status"]:
            assert bounce.recipient, path  # an address, or a local mailbox path (Exim)
            assert bounce.diagnostic, path


def test_specific_bounces() -> None:
    qmail = parsed("sisimai/maildir/bsd/lhost-qmail-01.eml").bounce
    assert qmail is not None
    assert (qmail.recipient, qmail.permanent) == ("kijitora@example.ne.jp", True)
    postfix = parsed("zammad/mail033-undelivered-mail-returned-to-sender.box").bounce
    assert postfix is not None
    assert (postfix.status, postfix.recipient) == ("5.1.1", "not_existing@znuny.com")
    assert postfix.original_message_id == "20150830145601.30.608881@edenhofer.zammad.com"
    delay = parsed("zammad/mail078.box").bounce
    assert delay is not None
    assert (delay.status, delay.permanent) == ("4.4.1", False)


def test_mail_that_is_no_bounce_gets_none() -> None:
    assert parsed("sisimai/maildir/not/is-not-bounce-01.eml").bounce is None
    assert parsed("sisimai/maildir/not/is-not-bounce-02.eml").bounce is None
    assert parsed("mimekit/messages/disposition-notification.txt").bounce is None
    assert parsed("sisimai/maildir/bsd/arf-01.eml").bounce is None
    listed = set(_bounces())
    extra = [r["path"] for r in index_rows() if r["path"] not in listed and parsed(r["path"]).bounce is not None]
    # A postmaster "bounce notification" (mailbox full) the derived file does not list,
    # and a truncated copy of a listed bounce: both really are bounces.
    assert sorted(extra) == [
        "flanker/bounce/delayed-broken.eml",
        "sisimai/maildir/not/rb-issue-368-bug.eml",
    ]


def test_hand_written_exim_bounce() -> None:
    mail = (
        b"From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
        b"Subject: Mail delivery failed: returning message to sender\n"
        b"X-Failed-Recipients: gone@example.net\n\n"
        b"This message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\n"
        b"recipients. This is a permanent error. The following address(es) failed:\n\n"
        b"  gone@example.net\n    SMTP error from remote mail server after RCPT TO:<gone@example.net>:\n"
        b"    550 5.1.1 User unknown\n\n------ This is a copy of the message, including all the headers.\n\n"
        b"Message-ID: <abc123@help.example.com>\nSubject: Your ticket\n\nHello\n"
    )
    bounce = parse_email(mail).bounce
    assert bounce is not None
    assert (bounce.status, bounce.recipient, bounce.permanent) == ("5.1.1", "gone@example.net", True)
    assert bounce.original_message_id == "abc123@help.example.com"
