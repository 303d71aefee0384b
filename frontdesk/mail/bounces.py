"""Delivery failures: RFC 3464 DSNs and the common non-standard bounce formats.

Works on already-extracted parts (content type + decoded text) so it needs no
MIME tree; `parsing.parse_email` feeds it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounce:
    permanent: bool  # 5.x.x, or a non-standard bounce that is clearly permanent
    status: str  # "5.1.1", "4.4.1", or "" when unknown
    recipient: str  # the failed recipient address, "" when unknown
    original_message_id: str  # Message-ID of the message that bounced, without <>, "" when unknown
    diagnostic: str  # the remote server's diagnostic text, short
    action: str = ""  # DSN Action ("failed", "delayed", ...), "" for non-standard bounces


@dataclass(frozen=True)
class BouncePart:
    content_type: str
    text: str


_DAEMON_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "mail-daemon", "mdaemon"}
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (?:has )?fail"
    r"|failure notice|returned mail|mail delivery failed|delivery failure|mail system error"
    r"|could not send message|delivery notification|non[- ]?deliver|returned to sender"
    r"|delivery error|delayed mail|bounce notification|mail delivery|delivery status"
    r"|unzustellbar|nicht zugestellt|übermittlungsstatus|не доставлено|недостав",
    re.IGNORECASE,
)
_BOUNCE_BODY = re.compile(
    r"could not be delivered|permanent error|permanent fatal|undeliverable"
    r"|delivery to the following recipient|following address(?:es)? failed"
    r"|message (?:was|could) not be delivered|delivery has failed|user unknown"
    r"|unable to deliver|not delivered",
    re.IGNORECASE,
)
_TEMPORARY_TEXT = re.compile(
    r"temporar|delayed|will (?:be )?retr|still trying|not yet been delivered|mailbox (?:is )?full"
    r"|over quota|quota exceeded",
    re.IGNORECASE,
)
_PERMANENT_TEXT = re.compile(
    r"permanent|user unknown|unknown user|no such user|does not exist|doesn't exist"
    r"|mailbox unavailable|invalid recipient|recipient rejected|address rejected"
    r"|no mailbox|not found|unrouteable|host not found|account (?:is )?disabled",
    re.IGNORECASE,
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<!\d)([45])\d\d(?:[ -]|$)", re.MULTILINE)
_ADDRESS = r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+\.[^\s<>()\[\]\"',;:]+"
_ANGLE_RECIPIENT = re.compile(rf"^\s*<({_ADDRESS})>:?", re.MULTILINE)
_BARE_ADDRESS = re.compile(rf"({_ADDRESS})")
_MESSAGE_ID_LINE = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*(?:\r?\n[ \t]+)?<?([^\s<>]+@[^\s<>]+?)>?[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_BLOCK_END = re.compile(r"\r?\n\r?\n|\r\r")
_ORIGINAL_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers"})
_RECIPIENT_KEYS = frozenset({"final-recipient", "original-recipient", "status", "action"})
_DAEMON_NAME = re.compile(r"mail delivery (?:sub)?system|mailer[- ]daemon|postmaster", re.I)
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})


def is_daemon_address(email: str) -> bool:
    """mailer-daemon@..., postmaster@... (the senders of bounces)."""
    local = email.rsplit("@", 1)[0].strip().lower()
    return local in _DAEMON_LOCAL_PARTS


def _dsn_fields(text: str) -> list[dict[str, str]]:
    """Per-recipient field groups of a delivery-status body.

    Groups are separated by blank lines (RFC 3464); senders that omit them get a
    new group whenever a field repeats.
    """
    unfolded = re.sub(r"\r?\n[ \t]+(?=\S)|\r[ \t]+(?=\S)", " ", text)
    groups: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", unfolded):
        if not line.strip():
            if current:
                groups.append(current)
                current = {}
            continue
        name, sep, value = line.partition(":")
        if not sep or " " in name.strip():
            continue
        key = name.strip().lower()
        if key in current:
            groups.append(current)
            current = {}
        current[key] = value.strip()
    if current:
        groups.append(current)
    return groups


def _address_of(field: str) -> str:
    # "rfc822; user@example.com" -> "user@example.com"
    value = field.split(";", 1)[1] if ";" in field else field
    return value.strip().strip("<>").strip()


def _status_of(value: str) -> str:
    match = _STATUS.search(value)
    return ".".join(match.groups()) if match else ""


def _message_id_in_headers(text: str) -> str:
    end = _HEADER_BLOCK_END.search(text)
    head = text[: end.start()] if end else text
    match = _MESSAGE_ID_LINE.search(head)
    return match.group(1) if match else ""


def _original_message_id(parts: Sequence[BouncePart], scan_texts: Sequence[str]) -> str:
    for part in parts:
        if part.content_type in _ORIGINAL_TYPES:
            found = _message_id_in_headers(part.text)
            if found:
                return found
    for text in scan_texts:
        match = _MESSAGE_ID_LINE.search(text)
        if match:
            return match.group(1)
    return ""


def _permanence(status: str, action: str, text: str) -> bool:
    if status:
        return status.startswith("5")
    if action.startswith("delayed"):
        return False
    if _TEMPORARY_TEXT.search(text):
        return False
    code = _SMTP_CODE.search(text)
    if code:
        return code.group(1) == "5"
    return action.startswith("failed") or bool(_PERMANENT_TEXT.search(text))


def _short(text: str, limit: int = 500) -> str:
    return re.sub(r"\s+", " ", text).strip()[:limit]


def _text_recipient(text: str, exclude: set[str]) -> str:
    for pattern in (_ANGLE_RECIPIENT, _BARE_ADDRESS):
        for match in pattern.finditer(text):
            address = match.group(1).strip(".")
            if address.lower() not in exclude and not is_daemon_address(address):
                return address
    return ""


def _before_original(text: str) -> str:
    """The bounce's own explanation, without the returned message that often follows it."""
    match = re.search(
        r"^.*(?:original message|returned message|message headers follow|below this line"
        r"|undelivered message|headers of the original|-- ?$).*$",
        text,
        re.IGNORECASE | re.MULTILINE,
    )
    return text[: match.start()] if match and match.start() > 0 else text


def find_bounce(
    *,
    top_content_type: str,
    report_type: str,
    parts: Sequence[BouncePart],
    body_text: str,
    subject: str,
    sender_email: str,
    sender_name: str = "",
    return_path_null: bool,
    failed_recipients_header: str,
    exclude_addresses: Sequence[str] = (),
) -> Bounce | None:
    """The bounce carried by a message, or None when it is not one."""
    dsn_parts = [p for p in parts if p.content_type in _DSN_TYPES]
    is_report = top_content_type == "multipart/report"
    if is_report and report_type and report_type != "delivery-status" and not dsn_parts:
        return None  # disposition notifications, abuse reports: not bounces
    texts = [p.text for p in parts if p.content_type in ("text/plain", "text/html")] or [body_text]
    scan = [body_text, *(t for t in texts if t is not body_text)]
    exclude = {a.lower() for a in exclude_addresses if a}
    exclude.add(sender_email.lower())

    if dsn_parts or (is_report and report_type == "delivery-status"):
        groups = [g for p in dsn_parts for g in _dsn_fields(p.text)]
        recipients = [g for g in groups if _RECIPIENT_KEYS & g.keys()] or groups or [{}]
        chosen = next(
            (g for g in recipients if g.get("action", "").lower().startswith("failed")),
            recipients[0],
        )
        status = _status_of(chosen.get("status", ""))
        action = chosen.get("action", "").lower().split()[0] if chosen.get("action") else ""
        diagnostic = chosen.get("diagnostic-code", "")
        diagnostic = diagnostic.split(";", 1)[1] if ";" in diagnostic else diagnostic
        recipient = _address_of(chosen.get("final-recipient", "")) or _address_of(chosen.get("original-recipient", ""))
        recipient = recipient or failed_recipients_header.split(",")[0].strip()
        if not recipient:
            recipient = _text_recipient(_before_original(body_text), exclude)
        if not status:
            status = _status_of(diagnostic)
        explanation = diagnostic or _before_original(body_text)
        return Bounce(
            permanent=_permanence(status, action, explanation),
            status=status,
            recipient=recipient,
            original_message_id=_original_message_id(parts, scan),
            diagnostic=_short(diagnostic or _before_original(body_text) or "".join(p.text for p in dsn_parts)),
            action=action,
        )

    daemon = (
        is_daemon_address(sender_email)
        or bool(_DAEMON_NAME.search(sender_name))
        or return_path_null
        or not sender_email
    )
    if not (failed_recipients_header or daemon):
        return None
    own_text = _before_original(body_text)
    if not (
        failed_recipients_header
        or _BOUNCE_SUBJECT.search(subject)
        or (is_daemon_address(sender_email) and _BOUNCE_BODY.search(own_text))
    ):
        return None
    status = _status_of(own_text)
    recipient = failed_recipients_header.split(",")[0].strip() or _text_recipient(own_text, exclude)
    return Bounce(
        permanent=_permanence(status, "", own_text),
        status=status,
        recipient=recipient,
        original_message_id=_original_message_id(parts, scan),
        diagnostic=_short(own_text),
        action="",
    )
