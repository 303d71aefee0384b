"""parse_email against the real-world corpus (../shared/mail-corpus) and by hand."""

import base64
import hashlib
import os
import re
import tracemalloc
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.mail.parsing import (
    Address,
    ParsedEmail,
    html_to_text,
    parse_email,
    sanitise_html,
)
from frontdesk.mail.tests.corpus import (
    corpus_root,
    index_rows,
    load_json,
    parsed,
    raw,
    require_corpus,
)

MESSAGE_SUFFIXES = {".eml", ".box", ".txt", ".msg", ".mbox"}

# --- Where Frontdesk deliberately differs from Zammad's expectations (zammad/*.yml) ---------
ZAMMAD_SENDER_EXCEPTIONS = {
    "mail035.box": 'From: "x@y" (a quoted address only): Zammad keeps the quotes in the address',
    "mail076.box": 'From: "name"@example.com>: Zammad keeps the stray ">"; we parse the address',
}
ZAMMAD_SUBJECT_EXCEPTIONS = {
    "mail018.box": "broken UTF-7 encoded-words with spaces: we decode them, Zammad leaves them raw",
}
# The attachment bytes (md5 multiset) differ.
ZAMMAD_BYTES_EXCEPTIONS = {
    "mail025.box": "uuencoded file in a text body: we decode it as an attachment, Zammad does not",
    "mail062.box": "extra inline HTML parts: we join them into the body, Zammad makes document.html attachments",
    "mail085.box": "a second inline HTML part: joined into the body, not a document.html attachment",
    "mail087.box": "a part without Content-Type is plain text: our body, Zammad's 'file' attachment",
}
# The bytes match; the file names differ.
ZAMMAD_NAME_EXCEPTIONS = {
    "mail008.box": "unnamed image: Zammad image.gif, we attachment-1.gif",
    "mail080.box": "unnamed image: Zammad image.jpg, we attachment-1.jpg",
    "mail100.box": "unnamed image: Zammad image.jpg, we the Content-ID's local part",
    "mail042.box": "unnamed application/pgp-encrypted: Zammad 'file', we attachment-1.pgp",
    "mail053.box": "unnamed text/rfc822-headers: Zammad 'file', we its Content-Description",
    "mail064.box": "decomposed (NFD) UTF-8 name: Zammad garbles it, we keep it",
    "mail073.box": "Latin-1 raw 8-bit name: Zammad leaves U+FFFD, we decode it",
    "mail102.box": "a repeated file name: Zammad renames the second copy, we keep the name sent",
}


def _collapse(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _md5_as_zammad(path: str, data: bytes, expected: list[str]) -> str:
    # Zammad stores text-like parts with LF line endings; we keep the message's own
    # bytes, so for a CRLF message a part also matches on its LF-converted bytes.
    exact = _md5(data)
    if exact in expected or b"\r\n" not in raw(path):
        return exact
    return _md5(data.replace(b"\r\n", b"\n"))


def _zammad_samples() -> dict[str, dict[str, object]]:
    samples: dict[str, dict[str, object]] = load_json("zammad/EXPECTED-derived-summary.json")
    return samples


# --- The whole corpus --------------------------------------------------------------------


def test_index_lists_every_message_file_of_the_corpus() -> None:
    root = require_corpus()
    on_disk = {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.suffix in MESSAGE_SUFFIXES and path.parent != root
    }
    assert on_disk - {row["path"] for row in index_rows()} == set()


def test_every_corpus_message_parses() -> None:
    failures = {}
    for row in index_rows():
        result = parsed(row["path"])
        assert isinstance(result, ParsedEmail)
        if any(defect.startswith("ParseError") for defect in result.defects):
            failures[row["path"]] = result.defects
    assert failures == {}
    assert len(index_rows()) >= 400


def test_every_corpus_date_is_timezone_aware() -> None:
    dates = [parsed(row["path"]).date for row in index_rows()]
    assert all(date is None or date.tzinfo is not None for date in dates)
    assert sum(date is not None for date in dates) > 300


def test_message_ids_come_without_angle_brackets() -> None:
    for row in index_rows():
        result = parsed(row["path"])
        ids = (result.message_id, *result.in_reply_to, *result.references)
        assert all("<" not in i and ">" not in i and " " not in i for i in ids), row["path"]


THREADING_EXCEPTIONS = {
    "mikel-mail/error_emails/multiple_references_with_one_invalid.eml": "two References"
    " headers: we keep the ids of both, the derived file only the first header's",
}


def test_threading_headers_match_the_derived_expectations() -> None:
    expected = load_json("THREADING-derived.json")
    for path, item in expected.items():
        result = parsed(path)
        if path in THREADING_EXCEPTIONS:
            continue
        assert result.message_id == (item["message_id"] or "").strip("<>"), path
        assert list(result.in_reply_to) == [i.strip("<>") for i in item["in_reply_to"]], path
        references = list(dict.fromkeys(i.strip("<>") for i in item["references"]))
        assert list(result.references) == references, path


# --- Zammad expectations -----------------------------------------------------------------


def test_sender_address_matches_zammad() -> None:
    samples = _zammad_samples()
    mismatches = {
        name: (item["from_email"], parsed(f"zammad/{name}").sender.email)
        for name, item in samples.items()
        if (item["from_email"] or "") != parsed(f"zammad/{name}").sender.email
    }
    assert mismatches.keys() == ZAMMAD_SENDER_EXCEPTIONS.keys()
    assert len(samples) == 108


def test_subject_matches_zammad() -> None:
    mismatches = {
        name
        for name, item in _zammad_samples().items()
        if _collapse(item["subject"]) != parsed(f"zammad/{name}").subject  # type: ignore[arg-type]
    }
    assert mismatches == ZAMMAD_SUBJECT_EXCEPTIONS.keys()


def _expected_attachments(item: dict[str, object]) -> list[dict[str, str]]:
    attachments: list[dict[str, str]] = item["attachments"]  # type: ignore[assignment]
    # Zammad adds a synthetic "message.html" holding the HTML body; ours is body_html.
    return [a for a in attachments if a["filename"] != "message.html"]


def test_attachment_bytes_match_zammad() -> None:
    mismatches = set()
    for name, item in _zammad_samples().items():
        path = f"zammad/{name}"
        expected = sorted(a["md5"] for a in _expected_attachments(item))
        got = sorted(_md5_as_zammad(path, a.data, expected) for a in parsed(path).attachments)
        if expected != got:
            mismatches.add(name)
    assert mismatches == ZAMMAD_BYTES_EXCEPTIONS.keys()


def test_attachment_names_match_zammad() -> None:
    mismatches = set()
    for name, item in _zammad_samples().items():
        if name in ZAMMAD_BYTES_EXCEPTIONS:
            continue
        path = f"zammad/{name}"
        expected = sorted(a["filename"] for a in _expected_attachments(item))
        got = sorted(a.filename for a in parsed(path).attachments)
        if expected != got:
            mismatches.add(name)
    assert mismatches == ZAMMAD_NAME_EXCEPTIONS.keys()


def test_zammad_html_only_mail_gets_text_and_sanitised_html() -> None:
    result = parsed("zammad/mail001.box")
    assert result.sender == Address("", "John.Smith@example.com")
    assert result.subject == "CI Daten für PublicView"
    assert "wie besprochen hier noch die Daten für die Intranetseite" in result.body_text
    assert "<div" in result.body_html
    assert "<script" not in parsed("zammad/mail047.box").body_html


def test_mail_without_from_falls_back_to_reply_to_or_return_path() -> None:
    result = parsed("zammad/mail016.box")
    assert result.sender_source in ("reply-to", "sender", "return-path")
    assert "@" in result.sender.email


def test_gb2312_declared_body_is_decoded_as_gb18030() -> None:
    result = parsed("zammad/mail031.box")
    assert result.body_text.count("\ufffd") < 5


def test_raw_8bit_gbk_subject_is_decoded() -> None:
    assert parsed("zammad/mail046.box").subject == "转发：整体提升企业服务水平"


def test_rfc2231_chinese_file_name_is_decoded() -> None:
    names = [a.filename for a in parsed("zammad/mail015.box").attachments]
    assert names == ["绩效管理,究竟谁错了.xls"]


def test_inline_cid_image_is_flagged_and_kept_in_html() -> None:
    result = parsed("zammad/mail009.box")
    inline = [a for a in result.attachments if a.inline]
    assert inline
    assert all(a.content_id for a in inline)
    assert f"cid:{inline[0].content_id}" in result.body_html


def test_forwarded_message_attachment_keeps_its_exact_bytes() -> None:
    path = "zammad/mail014.box"
    attachment = parsed(path).attachments[0]
    assert attachment.content_type == "message/rfc822"
    assert attachment.data in raw(path)
    assert attachment.filename == "Neue Anfrage erstellt - 33284.eml"


def test_signature_and_encrypted_parts_are_attachments() -> None:
    types = {a.content_type for a in parsed("zammad/mail040.box").attachments}
    assert "application/pkcs7-signature" in types or "application/x-pkcs7-signature" in types
    assert {a.filename for a in parsed("zammad/mail041.box").attachments} == {"smime.p7m"}


# --- Auto-generated mail -----------------------------------------------------------------

# No signal in INDEX.csv, but auto-generated all the same.
AUTO_WITHOUT_INDEX_SIGNAL = {
    "flanker/bounce/delayed-broken.eml": "a bounce with a broken MIME structure",
    "mimekit/messages/feedback-report.txt": "an ARF abuse report (multipart/report)",
    "mikel-mail/error_emails/encoding_madness.eml": "from no-reply@",
    "mikel-mail/mime_emails/raw_email_encoded_stack_level_too_deep.eml": "from gmail-noreply@",
    "mikel-mail/plain_emails/raw_email_trailing_dot.eml": "from noreply@ (a list)",
    "sisimai/maildir/bsd/lhost-kddi-01.eml": "from no-reply@ (an error notice)",
    "zammad/mail094.box": "from noreply@ (an order confirmation)",
    "zammad/mail098.box": "Reply-To noreply@",
    "zammad/mail099.box": "Reply-To noreply@",
}


def test_mail_with_auto_or_bounce_signals_is_auto_generated() -> None:
    signalled = [r["path"] for r in index_rows() if r["auto_signals"] or r["bounce_signals"]]
    assert len(signalled) > 80
    assert [path for path in signalled if not parsed(path).auto_generated] == []


def test_ordinary_mail_is_not_auto_generated() -> None:
    ordinary = [
        r["path"]
        for r in index_rows()
        if not (r["auto_signals"] or r["bounce_signals"]) and r["path"] not in AUTO_WITHOUT_INDEX_SIGNAL
    ]
    assert len(ordinary) > 250
    flagged = {path: parsed(path).auto_generated for path in ordinary}
    assert {path: why for path, why in flagged.items() if why} == {}


def test_auto_generated_reasons() -> None:
    assert parsed("sisimai/maildir/bsd/rfc3834-01.eml").auto_generated == ("auto-submitted: auto-replied")
    assert parsed("zammad/mail043.box").auto_generated == "precedence: bulk"
    assert parsed("sisimai/maildir/bsd/rfc3834-03.eml").auto_generated == "subject: auto-reply"
    assert parsed("zammad/mail035.box").auto_generated == "return-path: <>"


# --- Hand-written messages ---------------------------------------------------------------


def _message(body: str, *, headers: str = "", content_type: str = "text/plain") -> bytes:
    head = (
        "From: Ona <ona@example.lt>\nTo: help@example.com\nSubject: Re: order\n"
        "Message-ID: <m1@example.lt>\nDate: Tue, 07 May 2024 10:00:00 +0200\n"
        f"MIME-Version: 1.0\nContent-Type: {content_type}; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
    )
    return (head + headers + "\n" + body).encode("utf-8")


def test_headers_are_decoded_and_exposed() -> None:
    result = parse_email(_message("Hi", headers="X-Test: =?utf-8?q?=C5=A1ventas?=\n"))
    assert result.get_header("x-test") == "šventas"
    assert result.get_header("missing") == ""
    assert result.date == datetime(2024, 5, 7, 8, 0, tzinfo=UTC)
    assert result.to == (Address("", "help@example.com"),)


def test_broken_message_id_date_and_from_do_not_raise() -> None:
    raw_mail = b"Message-ID: <>\nDate: yesterday-ish\nFrom: <>\nReturn-Path: <x@y.example>\n\nhi"
    result = parse_email(raw_mail)
    assert (result.message_id, result.date) == ("", None)
    assert (result.sender.email, result.sender_source) == ("x@y.example", "return-path")


def test_encoded_word_with_comma_keeps_the_display_name_whole() -> None:
    result = parsed("zammad/mail065.box")
    assert result.sender == Address("Bürling, Andreas", "smith@example.com")


def test_charset_aliases() -> None:
    mail = (
        b"From: a@example.com\nSubject: =?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=\n"
        b"Content-Type: text/plain; charset=shift_jis\n\n\x83c\x81[\x83\x8b"
    )
    result = parse_email(mail)
    assert result.subject == "안녕하세요"
    assert result.body_text == "ツール"


def test_iso_8859_1_with_windows_1252_bytes() -> None:
    mail = b"From: a@example.com\nContent-Type: text/plain; charset=iso-8859-1\n\n\x93hi\x94 \xe4"
    assert parse_email(mail).body_text == "\u201chi\u201d ä"


STRIPPED_CASES = [
    (
        "Thanks, that works.\n\nOn Mon, 6 May 2024 at 09:12, Help Desk <help@example.com> wrote:\n"
        "> Please try again.\n",
        "Thanks, that works.",
    ),
    (
        "Gracias, ya funciona.\n\nEl lun, 6 may 2024 a las 9:12, Soporte (<help@example.com>)"
        " escribió:\n> Pruebe otra vez.\n",
        "Gracias, ya funciona.",
    ),
    (
        "Ačiū, veikia.\n\n2024-05-06, pr, 09:12 Pagalba <help@example.com> rašė:\n> Bandykite.\n",
        "Ačiū, veikia.",
    ),
    (
        "Danke!\n\nAm 06.05.2024 um 09:12 schrieb Support <help@example.com>:\n> Bitte neu.\n",
        "Danke!",
    ),
    (
        "See below.\n\n________________________________\nFrom: Help <help@example.com>\n"
        "Sent: Monday, May 6, 2024 9:12 AM\nTo: Ona\nSubject: order\n\nOld text\n",
        "See below.",
    ),
    ("Short answer.\n\nSent from my iPhone\n", "Short answer."),
    ("Short answer.\n-- \nOna Petraitė\nCEO\n", "Short answer."),
    ("Respuesta.\n\nEnviado desde mi iPhone\n", "Respuesta."),
]


def test_stripped_text_of_hand_written_replies() -> None:
    for body, expected in STRIPPED_CASES:
        assert parse_email(_message(body)).stripped_text == expected, body


def test_stripped_text_of_real_replies() -> None:
    outlook = parsed("django-helpdesk/forwarded-message.eml").stripped_text
    assert outlook == "This is email body"
    german_gmx = parsed("zammad/mail036.box")
    assert "Gesendet:" not in german_gmx.stripped_text
    assert "Gesendet:" in german_gmx.body_text
    thunderbird_de = parsed("zammad/mail005.box")
    assert "schrieb Martin Edenhofer" in thunderbird_de.body_text
    assert "schrieb Martin Edenhofer" not in thunderbird_de.stripped_text
    assert thunderbird_de.stripped_text.endswith("John & Marc")
    apple_mail = parsed("zammad/mail003.box")
    assert "wrote:" in apple_mail.body_text
    assert "wrote:" not in apple_mail.stripped_text
    signature = parsed("zammad/mail030.box")
    assert signature.stripped_text.endswith("Vielen Dank!")
    assert "Freundliche Grüße" in signature.body_text


def test_forwarded_content_is_kept_in_stripped_text() -> None:
    body = "FYI\n\n---------- Forwarded message ---------\nFrom: A <a@x.example>\nDate: today\n\nOld"
    assert parse_email(_message(body)).stripped_text.endswith("Old")


def test_html_to_text_is_readable() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>Hello <b>there</b></p>"
        "<ul><li>one</li><li>two</li></ul><p><a href='https://example.com/x'>link</a> and "
        "<a href='https://example.com/y'>https://example.com/y</a><br>next</p></body></html>"
    )
    assert html_to_text(html) == (
        "Hello there\n\n- one\n- two\n\nlink (https://example.com/x) and https://example.com/y\nnext"
    )


def test_sanitise_html_keeps_cid_images_and_drops_scripts() -> None:
    html = '<p onclick="x()">Hi<script>alert(1)</script><img src="cid:a@b"><a href="javascript:x">j</a>'
    cleaned = sanitise_html(html)
    assert 'src="cid:a@b"' in cleaned
    assert "script" not in cleaned
    assert "onclick" not in cleaned
    assert "javascript" not in cleaned


def test_html_only_mail_body_text_comes_from_the_html() -> None:
    result = parse_email(_message("<p>Hola <i>mundo</i></p>", content_type="text/html"))
    assert result.body_text == "Hola mundo"
    assert result.body_html == "<p>Hola <i>mundo</i></p>"


# --- Size and robustness -----------------------------------------------------------------


def test_a_30_mb_message_keeps_exact_attachment_bytes_within_a_small_multiple_of_memory() -> None:
    payload = os.urandom(22 * 1024 * 1024)
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    mail = (
        b"From: a@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n"
        b"\r\nsee attachment\r\n--XX\r\nContent-Type: application/pdf; name=big.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--XX--\r\n"
    )
    assert len(mail) > 30_000_000
    tracemalloc.start()
    try:
        result = parse_email(mail)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(a.filename, a.content_type) for a in result.attachments] == [("big.pdf", "application/pdf")]
    assert result.attachments[0].data == payload
    assert result.body_text == "see attachment"
    assert peak < 4 * len(mail)


def _corpus_seeds() -> list[bytes]:
    root = corpus_root()
    if root is None:
        return [b"From: a@b\n\nhi"]
    names = [
        "zammad/mail014.box",
        "zammad/mail018.box",
        "zammad/mail046.box",
        "sisimai/maildir/bsd/lhost-qmail-01.eml",
        "mimekit/messages/delivery-status.txt",
    ]
    return [(root / name).read_bytes()[:6000] for name in names]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(parse_email(data), ParsedEmail)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_corpus_seeds()),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=6000), st.binary(min_size=0, max_size=8)),
        max_size=12,
    ),
    cut=st.integers(min_value=0, max_value=6000),
)
def test_mutated_corpus_messages_never_raise(seed: bytes, edits: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(seed)
    for position, replacement in edits:
        index = position % (len(data) + 1)
        data[index : index + len(replacement)] = replacement
    assert isinstance(parse_email(bytes(data[: cut or None])), ParsedEmail)


def test_structural_garbage_never_raises() -> None:
    nasty = [
        b"",
        b"\xff\xfe\x00",
        b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 3000,
        b"To: " + b"(" * 5000 + b"\n\nx",
        b"Subject: =?utf-8?B?====?= =?x-unknown?Q?=FF?= =?utf-7?Q?+AAA- +ZZ?=\n\n",
        b'Content-Type: text/plain; charset="\xff"\nContent-Transfer-Encoding: base64\n\n!!!=',
        b"Content-Type: message/rfc822\n\nFrom: x\n\n",
        b"Content-Disposition: attachment; filename*=bogus''%ZZ%FF\n\nx",
    ]
    for data in nasty:
        assert isinstance(parse_email(data), ParsedEmail)


def test_nul_characters_are_dropped_from_texts_but_not_from_attachment_bytes() -> None:
    raw = (
        b"From: A\x00na <ana@example.com>\r\nSubject: Hel\x00lo\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nBo\x00dy\r\n"
        b'--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="a.bin"\r\n\r\n'
        b"x\x00y\r\n--B--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.subject == "Hello"
    assert parsed.sender.name == "Ana"
    assert parsed.body_text.strip() == "Body"
    assert parsed.attachments[0].data == b"x\x00y"
