"""Parsing raw e-mail into plain data: no database, no knowledge of our own addresses.

`parse_email(raw)` never raises. It uses the standard library's compat32 parser
for the MIME structure (policy.default raises on some real-world headers) and
decodes every header itself (raw 8-bit bytes, lenient RFC 2047, RFC 2231).
Parts of type message/* are kept unparsed so their exact bytes become the
attachment's data.

Headers: `ParsedEmail.headers` holds every top-level header as (name, decoded
value) in order; `ParsedEmail.get_header(name)` gives the first one ("" if none).
"""

import binascii
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy as email_policy
from email.errors import InvalidBase64LengthDefect, MissingHeaderBodySeparatorDefect
from email.feedparser import FeedParser
from email.message import Message

from frontdesk.mail.bounces import Bounce, BouncePart, find_bounce, is_daemon_address
from frontdesk.mail.charsets import (
    decode_8bit_header,
    decode_bytes,
    decode_header_value,
    has_surrogates,
    header_charset_candidates,
)
from frontdesk.mail.htmltext import html_to_text
from frontdesk.mail.quoting import strip_quoted
from frontdesk.tickets.services import sanitise_html

__all__ = [
    "Address",
    "Bounce",
    "ParsedAttachment",
    "ParsedEmail",
    "html_to_text",
    "parse_email",
    "sanitise_html",
]


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # as given, stripped; "" when none


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # decoded; never empty (falls back to e.g. "attachment-2.pdf")
    content_type: str  # lower-case "type/subtype"
    data: bytes  # exact decoded bytes; message/* parts: the embedded message's bytes
    content_id: str  # without <>; "" when none
    inline: bool  # an image referenced by cid: from the HTML body, or an inline image
    disposition: str = ""  # "attachment", "inline" or "" as declared


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # without <>; "" when missing or broken
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str  # decoded, single line, whitespace-collapsed
    date: datetime | None  # timezone-aware; None when missing or unparsable
    sender: Address  # From, else Reply-To, Sender, Return-Path; Address("", "") when none
    sender_source: str  # "from" | "reply-to" | "sender" | "return-path" | "none"
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    body_text: str
    body_html: str  # sanitised; "" when the mail has no HTML
    stripped_text: str  # body_text without quoted history and signature
    attachments: tuple[ParsedAttachment, ...]
    auto_generated: str  # "" or the reason, e.g. "auto-submitted: auto-replied"
    bounce: Bounce | None
    defects: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # decoded, in order
    content_type: str = ""  # of the top-level part, lower case

    def get_header(self, name: str) -> str:
        """The first header called `name` (case-insensitive), decoded; "" when absent."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), "")


class _Part(Message):
    """A compat32 message whose message/* parts the parser leaves as raw text.

    The feed parser decides whether to parse a sub-message by asking the part's
    content type; answering "application/..." keeps the embedded message's exact
    text as the payload. Use `_real_type` for the true type.
    """

    def get_content_type(self) -> str:
        ctype = Message.get_content_type(self)
        return "application/x-frontdesk-message" if ctype.startswith("message/") else ctype

    def get_content_maintype(self) -> str:
        return self.get_content_type().split("/")[0]


def _real_type(part: Message) -> str:
    return Message.get_content_type(part)


_POLICY = email_policy.compat32
_CHUNK = 1 << 16
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"[^<>\s]+@[^<>\s]+")
_WHITESPACE = re.compile(r"\s+")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PARAM_HEADERS = frozenset({"content-type", "content-disposition"})
_UU_ENCODINGS = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_UU_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\r\n]+)\r?\n(.*?)^end[ \t]*\r?$", re.MULTILINE | re.DOTALL)
_NO_REPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|noreply-.*|.*[-_.]noreply)$")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply|auto[ -]?response|out of (?:the )?office|autoreply"
    r"|abwesenheitsnotiz|automatische antwort|respuesta automática|fuera de la oficina"
    r"|automatinis atsakymas|réponse automatique|absence)\b",
    re.IGNORECASE,
)
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "message/global-delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "application/ms-tnef": ".dat",
    "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
}


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw message bytes. Never raises: the worst input gives a near-empty result."""
    try:
        return _without_nul(_parse(raw))
    except Exception as exc:
        text = raw[:1_000_000].decode("utf-8", errors="replace").replace("\x00", "")
        return ParsedEmail(
            message_id="",
            in_reply_to=(),
            references=(),
            subject="",
            date=None,
            sender=Address("", ""),
            sender_source="none",
            reply_to=(),
            to=(),
            cc=(),
            body_text=text,
            body_html="",
            stripped_text=text,
            attachments=(),
            auto_generated="",
            bounce=None,
            defects=(f"ParseError:{type(exc).__name__}",),
        )


def _without_nul(parsed: ParsedEmail) -> ParsedEmail:
    """NUL characters out of every text (PostgreSQL refuses them; they carry nothing readable).
    Attachment bytes stay as they are."""

    def clean(text: str) -> str:
        return text.replace("\x00", "")

    texts = (parsed.subject, parsed.body_text, parsed.body_html, parsed.stripped_text, parsed.sender.name)
    if not any("\x00" in text for text in texts) and not any("\x00" in a.filename for a in parsed.attachments):
        return parsed
    return replace(
        parsed,
        subject=clean(parsed.subject),
        body_text=clean(parsed.body_text),
        body_html=clean(parsed.body_html),
        stripped_text=clean(parsed.stripped_text),
        sender=Address(clean(parsed.sender.name), clean(parsed.sender.email)),
        attachments=tuple(replace(a, filename=clean(a.filename)) for a in parsed.attachments),
    )


_HEADER_LINE = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+[ \t]*:|From )")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _repair_header_block(raw: bytes) -> bytes | None:
    """Fix a header block broken by unindented continuation lines or leading junk.

    Non-header lines followed by more headers become continuations (or are dropped
    when they come before the first header). None when there is nothing to repair.
    """
    head = raw[:262144]
    lines: list[bytes] = []
    pos = 0
    for match in _LINE_END.finditer(head):
        line = head[pos : match.end()]
        if not line.strip():
            break  # the blank line that ends the header block
        lines.append(line)
        pos = match.end()
    header_indexes = [i for i, line in enumerate(lines) if _HEADER_LINE.match(line)]
    if not header_indexes:
        return None
    last = header_indexes[-1]
    fixed: list[bytes] = []
    changed = False
    for index, line in enumerate(lines[: last + 1]):
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t"):
            fixed.append(line)
        elif index < header_indexes[0]:
            changed = True  # junk before the first header: dropped
        else:
            fixed.append(b" " + line)
            changed = True
    if not changed:
        return None
    consumed = sum(len(line) for line in lines[: last + 1])
    return b"".join(fixed) + raw[consumed:]


def _message_from_bytes(raw: bytes, *, headers_only: bool = False) -> Message:
    # Fed in chunks so the whole message never exists a second time as one string.
    parser = FeedParser(_factory=_Part, policy=_POLICY)
    if headers_only:
        parser._set_headersonly()  # type: ignore[attr-defined]  # as HeaderParser does
    for start in range(0, len(raw), _CHUNK):
        parser.feed(raw[start : start + _CHUNK].decode("ascii", "surrogateescape"))
    return parser.close()


class _Headers:
    def __init__(self, msg: Message, candidates: tuple[str, ...]) -> None:
        self.raw: list[tuple[str, str]] = []
        for name, value in msg.raw_items():
            text = value if isinstance(value, str) else str(value)
            self.raw.append((name, _FOLD.sub("", text).strip()))
        self.candidates = candidates

    def raw_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.raw if key.lower() == wanted]

    def raw_first(self, name: str) -> str:
        values = self.raw_all(name)
        return values[0] if values else ""

    def decoded(self, name: str) -> str:
        return self.decode(self.raw_first(name))

    def decode(self, value: str) -> str:
        return decode_header_value(value, candidates=self.candidates)


def _ids(value: str) -> tuple[str, ...]:
    found = _MESSAGE_ID.findall(value)
    if not found:
        found = _BARE_ID.findall(value)
    return tuple(dict.fromkeys(found))


def _message_id(value: str) -> str:
    ids = _ids(value)
    return ids[0] if ids else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:  # pragma: no cover - older Pythons
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_Q_WORD = re.compile(r"=\?[^?\s]+\?[qQ]\?[^?]*?\?=")
_Q_SPECIALS = re.compile(r'[()<>@,;:\\".\[\]]')
_LOOSE_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")


def _protect_q_words(value: str) -> str:
    # A Q-encoded word may (illegally, but really) contain a comma or "<": hex-escape
    # such characters so the address parser does not split the name there.
    return _Q_WORD.sub(
        lambda m: m.group(0)[:2] + _Q_SPECIALS.sub(lambda c: f"={ord(c.group(0)):02X}", m.group(0)[2:-2]) + "?=",
        value,
    )


def _addresses(headers: _Headers, *names: str) -> tuple[Address, ...]:
    values = [_protect_q_words(v) for name in names for v in headers.raw_all(name)]
    if not values:
        return ()
    try:
        pairs = email.utils.getaddresses(values)
    except (RecursionError, IndexError, ValueError, TypeError):
        pairs = [("", found) for value in values for found in _LOOSE_ADDRESS.findall(value)]
    result: list[Address] = []
    for name, addr in pairs:
        decoded_name = _WHITESPACE.sub(" ", headers.decode(name)).strip()
        decoded_addr = headers.decode(addr).strip() if has_surrogates(addr) else addr.strip()
        if decoded_name or decoded_addr:
            result.append(Address(decoded_name, decoded_addr))
    return tuple(result)


def _return_path(headers: _Headers) -> tuple[Address | None, bool]:
    value = headers.raw_first("return-path")
    if not value:
        return None, False
    if re.fullmatch(r"<\s*>", value.strip()):
        return None, True
    _name, addr = email.utils.parseaddr(value)
    return (Address("", addr.strip()) if addr.strip() else None), False


def _declared_charsets(parts: list[Message]) -> list[str]:
    """Charsets declared in the message, text parts first (for raw 8-bit headers)."""
    text_first = sorted(parts, key=lambda p: not _real_type(p).startswith("text/"))
    found: list[str] = []
    for part in text_first:
        charset = part.get_param("charset")
        if isinstance(charset, str) and charset and charset not in found:
            found.append(charset)
    return found


def _payload_bytes(part: Message) -> bytes:
    cte = str(part.get("content-transfer-encoding") or "").strip().lower()
    payload = part.get_payload()
    if cte in _UU_ENCODINGS and isinstance(payload, str):
        return _uudecode_lines(payload)
    if cte == "base64" and isinstance(payload, str):
        significant = len(payload) - payload.count("\n") - payload.count("\r")
        if significant % 4 == 0:  # fast path; odd lengths go the stdlib's (lenient) way
            try:
                return binascii.a2b_base64(payload.encode("ascii", "ignore"))
            except binascii.Error:
                pass
    defects_before = len(part.defects)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken transfer encodings: keep what is there
        return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    new_defects = part.defects[defects_before:]
    if isinstance(payload, str) and any(isinstance(d, InvalidBase64LengthDefect) for d in new_defects):
        return _b64decode(payload)  # the stdlib then returns the undecoded text
    return data if isinstance(data, bytes) else b""


_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _b64decode(payload: str) -> bytes:
    """Base64 with a stray trailing character: decode every complete 4-character group."""
    cleaned = _NOT_BASE64.sub(b"", payload.encode("ascii", "ignore"))
    try:
        return binascii.a2b_base64(cleaned[: len(cleaned) - len(cleaned) % 4])
    except binascii.Error:  # pragma: no cover - cleaned input is always valid
        return b""


def _uudecode_lines(text: str) -> bytes:
    out = bytearray()
    for line in text.splitlines():
        if not line.strip() or line.startswith(("begin ", "end")) or line.strip() == "`":
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders pad lines; decode what the length character promises.
            count = ((ord(line[0]) - 32) & 63) * 4 // 3 + 1
            try:
                out += binascii.a2b_uu(line[: count + 1])
            except binascii.Error:
                continue
    return bytes(out)


def _part_text(part: Message, data: bytes) -> str:
    charset = part.get_param("charset")
    declared = charset if isinstance(charset, str) else None
    if not declared and _real_type(part) == "text/html":
        meta = _META_CHARSET.search(data[:4096])
        if meta:
            declared = meta.group(1).decode("ascii", "replace")
    return _NEWLINES.sub("\n", decode_bytes(data, declared))


def _param_source(part: Message, headers: _Headers) -> Message:
    """`part`, or a copy of its parameter headers with raw 8-bit bytes decoded.

    compat32 turns raw 8-bit bytes in parameters into U+FFFD; file names need them.
    """
    raw = {k.lower(): v for k, v in part.raw_items() if k.lower() in _PARAM_HEADERS}
    if not any(isinstance(v, str) and has_surrogates(v) for v in raw.values()):
        return part
    source = Message()
    for name, value in raw.items():
        text = _FOLD.sub("", str(value))
        if has_surrogates(text):
            text = decode_8bit_header(text.encode("utf-8", "surrogateescape"), headers.candidates)
        source[name] = text
    return source


def _filename(part: Message, headers: _Headers) -> str:
    try:
        source = _param_source(part, headers)
        value = source.get_param("filename", header="content-disposition")
        if value is None:
            value = source.get_param("name")
    except Exception:  # malformed parameters
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text)
        charset, _language, text = value
        try:
            name = decode_bytes(str(text).encode("latin-1"), str(charset or "") or None)
        except UnicodeEncodeError:
            name = str(text)
    elif isinstance(value, str):
        name = value
    else:
        return ""
    name = _CONTROL.sub(" ", headers.decode(name)).strip()
    return name.replace("/", "_").replace("\\", "_")


def _fallback_filename(part: Message, ctype: str, index: int, data: bytes, headers: _Headers) -> str:
    extension = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ".bin"
    if ctype in ("message/rfc822", "message/global"):
        inner = _message_from_bytes(data[:65536], headers_only=True)
        raw_subject = next((v for k, v in inner.raw_items() if k.lower() == "subject"), "")
        subject = _WHITESPACE.sub(" ", headers.decode(_FOLD.sub("", str(raw_subject)))).strip()
        if subject:
            return f"{subject.replace('/', '_')[:200]}{extension}"
    description = _WHITESPACE.sub(
        " ", headers.decode(_FOLD.sub("", str(part.get("content-description") or "")))
    ).strip()
    if description and (ctype.startswith("message/") or ctype == "text/rfc822-headers"):
        return f"{description.replace('/', '_')[:200]}{extension}"
    local = _content_id(part).split("@", 1)[0]
    if "." in local and not _CONTROL.search(local) and " " not in local and "/" not in local:
        return local
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        return "delivery-status.txt"
    return f"attachment-{index}{extension}"


def _content_id(part: Message) -> str:
    value = part.get("content-id")
    if not isinstance(value, str):
        return ""
    return value.strip().strip("<>").strip()


def _disposition(part: Message) -> str:
    try:
        value = part.get_content_disposition()
    except Exception:
        return ""
    return value or ""


def _uudecode(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Old-style uuencoded files inside a text body: (the text without them, files)."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str, bytes]] = []

    def take(match: re.Match[str]) -> str:
        files.append((match.group(1).strip(), _uudecode_lines(match.group(2))))
        return ""

    stripped = _UU_BLOCK.sub(take, text)
    return stripped, files


def _auto_generated(
    headers: _Headers,
    *,
    sender_email: str,
    return_path_null: bool,
    content_type: str,
    report_type: str,
    subject: str,
    bounce: Bounce | None,
) -> str:
    if bounce is not None:
        return "bounce"
    auto_submitted = headers.raw_first("auto-submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"auto-submitted: {auto_submitted.split(';')[0].strip()}"
    for name in ("x-autoreply", "x-autorespond", "x-autorepond", "x-autoreply-from"):
        if headers.raw_first(name):
            return "x-autoreply"
    if headers.raw_first("x-auto-response-suppress"):
        return "x-auto-response-suppress"
    precedence = headers.raw_first("precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    for name in ("list-id", "list-unsubscribe", "x-loop", "x-ms-exchange-inbox-rules-loop"):
        if headers.raw_first(name):
            return name
    if return_path_null:
        return "return-path: <>"
    if is_daemon_address(sender_email):
        local = sender_email.rsplit("@", 1)[0].lower()
        return "sender: postmaster" if local == "postmaster" else "sender: mailer-daemon"
    if _NO_REPLY.match(sender_email.rsplit("@", 1)[0].lower()):
        return "sender: no-reply"
    if content_type == "multipart/report":
        return f"report: {report_type or 'unknown'}"
    if _AUTO_SUBJECT.match(subject):
        return "subject: auto-reply"
    return ""


def _parse(raw: bytes) -> ParsedEmail:
    try:
        msg = _message_from_bytes(raw)
        if any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in msg.defects):
            repaired = _repair_header_block(raw)
            if repaired is not None:
                msg = _message_from_bytes(repaired)
                msg.defects.append(MissingHeaderBodySeparatorDefect())
        walked = list(msg.walk())
        extra_defects: list[str] = []
    except RecursionError:
        # Absurdly deep nesting: keep the headers, treat the body as text.
        msg = _message_from_bytes(raw, headers_only=True)
        walked = [msg]
        extra_defects = ["NestingTooDeep"]
    headers = _Headers(msg, header_charset_candidates(_declared_charsets(walked)))
    top_type = _real_type(msg)
    report_type = msg.get_param("report-type")
    report_type = report_type.lower() if isinstance(report_type, str) else ""

    # Sender, with fallbacks.
    from_ = _addresses(headers, "from")
    reply_to = _addresses(headers, "reply-to")
    sender_header = _addresses(headers, "sender")
    return_path, return_path_null = _return_path(headers)
    candidates: list[tuple[str, tuple[Address, ...]]] = [
        ("from", from_),
        ("reply-to", reply_to),
        ("sender", sender_header),
        ("return-path", (return_path,) if return_path else ()),
    ]
    sender, sender_source = Address("", ""), "none"
    for accept in (lambda a: "@" in a.email, lambda a: bool(a.email)):
        found_sender = next(((a, source) for source, found in candidates for a in found if accept(a)), None)
        if found_sender:
            sender, sender_source = found_sender
            break

    # Body and attachments.
    text_parts: list[str] = []
    html_parts: list[str] = []
    pending: list[tuple[Message, str, bytes]] = []  # (part, content type, data)
    bounce_parts: list[BouncePart] = []
    defects: list[str] = list(extra_defects)
    for part in walked:
        defects.extend(type(defect).__name__ for defect in part.defects)
        if part.is_multipart():
            continue
        ctype = _real_type(part).lower()
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart whose parts could not be read
        disposition = _disposition(part)
        data = _payload_bytes(part)
        is_named = bool(part.get_param("filename", header="content-disposition") or part.get_param("name"))
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not is_named:
            text = _part_text(part, data)
            if ctype == "text/plain":
                if text.strip():
                    text_parts.append(text)
            elif text.strip():
                html_parts.append(text)
            bounce_parts.append(BouncePart(ctype, text))
            continue
        if ctype.startswith(("message/", "text/rfc822-headers")):
            bounce_parts.append(BouncePart(ctype, decode_bytes(data[:200_000], "utf-8")))
        pending.append((part, ctype, data))

    body_text = "\n".join(text_parts)
    uu_files: list[tuple[str, bytes]] = []
    if body_text:
        body_text, uu_files = _uudecode(body_text)
    raw_html = "\n".join(html_parts)
    if not body_text.strip() and raw_html:
        body_text = html_to_text(raw_html)
    body_html = sanitise_html(raw_html) if raw_html else ""
    html_lower = raw_html.lower()

    attachments: list[ParsedAttachment] = []
    for index, (part, ctype, data) in enumerate(pending, start=1):
        content_id = _content_id(part)
        disposition = _disposition(part)
        referenced = bool(content_id) and f"cid:{content_id.lower()}" in html_lower
        inline = referenced or (disposition == "inline" and ctype.startswith("image/"))
        filename = _filename(part, headers) or _fallback_filename(part, ctype, index, data, headers)
        attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=ctype,
                data=data,
                content_id=content_id,
                inline=inline,
                disposition=disposition,
            )
        )
    for name, data in uu_files:
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachments.append(ParsedAttachment(name, guessed, data, "", False, "attachment"))

    subject = _WHITESPACE.sub(" ", headers.decoded("subject")).strip()
    to = _addresses(headers, "to")
    cc = _addresses(headers, "cc")
    bounce = find_bounce(
        top_content_type=top_type,
        report_type=report_type,
        parts=bounce_parts,
        body_text=body_text,
        subject=subject,
        sender_email=sender.email,
        sender_name=sender.name,
        return_path_null=return_path_null,
        failed_recipients_header=headers.decoded("x-failed-recipients"),
        exclude_addresses=[a.email for a in to],
    )
    auto = _auto_generated(
        headers,
        sender_email=sender.email,
        return_path_null=return_path_null,
        content_type=top_type,
        report_type=report_type,
        subject=subject,
        bounce=bounce,
    )
    return ParsedEmail(
        message_id=_message_id(headers.raw_first("message-id")),
        in_reply_to=_ids(headers.raw_first("in-reply-to")),
        references=_ids(" ".join(headers.raw_all("references"))),
        subject=subject,
        date=_date(headers.raw_first("date")),
        sender=sender,
        sender_source=sender_source,
        reply_to=reply_to,
        to=to,
        cc=cc,
        body_text=body_text,
        body_html=body_html,
        stripped_text=strip_quoted(body_text),
        attachments=tuple(attachments),
        auto_generated=auto,
        bounce=bounce,
        defects=tuple(dict.fromkeys(defects)),
        headers=tuple((name, headers.decode(value)) for name, value in headers.raw),
        content_type=top_type.lower(),
    )
