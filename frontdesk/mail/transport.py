"""The wire side of the e-mail channel: read a mailbox over IMAP, send over SMTP.

Network code only, no models. Mailbox settings travel as a URL
(`imaps://user:pass@mail.example.com/INBOX?move_to=Archive`), parsed into a
`ServerUrl`; the password is stored apart, encrypted (frontdesk.core.crypto).

Nothing is lost between the server and the database: `ImapClient.fetch_unprocessed`
reads with BODY.PEEK[] (nothing changes on the server), the caller stores each raw
message, and only then calls `mark_processed`, which flags it (\\Seen and the keyword
`FrontdeskStored`) or moves it to another folder. A crash in between fetches the
message again, so the store step must be idempotent (Message-ID, or folder + UID).

Every failure is a `TransportError` whose text an administrator can act on, and whose
`temporary` flag tells the caller whether retrying later can help.
"""

import base64
import imaplib
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Literal, Self
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from frontdesk.core.errors import ValidationError

STORED_KEYWORD = "FrontdeskStored"

DEFAULT_PORTS = {
    "imap": 143,
    "imap+starttls": 143,
    "imaps": 993,
    "smtp": 25,
    "smtp+starttls": 587,
    "smtps": 465,
}
IMAP_SCHEMES = frozenset({"imap", "imap+starttls", "imaps"})
SMTP_SCHEMES = frozenset({"smtp", "smtp+starttls", "smtps"})
# The only hosts a password may be sent to without TLS: the connection never leaves the machine.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TransportError(Exception):
    """A mail server could not be used. `temporary`: retrying later may succeed."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary


@dataclass(frozen=True)
class ServerUrl:
    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)  # never in logs or tracebacks
    folder: str = ""
    move_to: str = ""
    verify_tls: bool = True

    @property
    def is_imap(self) -> bool:
        return self.scheme in IMAP_SCHEMES

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def redacted(self) -> str:
        """The URL without the password; `parse_server_url` reads it back."""
        user = quote(self.username, safe="") + "@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORTS[self.scheme] else f":{self.port}"
        path = f"/{quote(self.folder, safe='')}" if self.is_imap and self.folder != "INBOX" else ""
        query = {"move_to": self.move_to} if self.move_to else {}
        if not self.verify_tls:
            query["verify"] = "no"
        return f"{self.scheme}://{user}{host}{port}{path}" + (f"?{urlencode(query)}" if query else "")

    def with_password(self, password: str) -> "ServerUrl":
        return replace(self, password=password)


def parse_server_url(url: str, *, kind: Literal["imap", "smtp"] | None = None) -> ServerUrl:
    """Read a mailbox URL, of the given kind when one is given; ValidationError saying what is
    wrong with it (field "imap_url"/"smtp_url", or "url")."""

    def invalid(message: str) -> ValidationError:
        return ValidationError(message, field=f"{kind}_url" if kind else "url")

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise invalid(_("The address is not a valid URL (the port must be a number from 1 to 65535).")) from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise invalid(
            _("The address must start with imaps://, imap+starttls://, imap://, smtps://, smtp+starttls:// or smtp://.")
        )
    if kind and (scheme in IMAP_SCHEMES) != (kind == "imap"):
        raise invalid(_("This is not an %(kind)s URL.") % {"kind": kind.upper()})
    if not parts.hostname:
        raise invalid(_("The address has no server name."))
    if port == 0:
        raise invalid(_("The port must be a number from 1 to 65535."))
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    allowed = {"move_to", "verify"} if scheme in IMAP_SCHEMES else {"verify"}
    unknown = sorted(set(options) - allowed)
    if unknown or len(options) != len(parse_qsl(parts.query, keep_blank_values=True)) or parts.fragment:
        raise invalid(_("Unknown or repeated option in the address: %(options)s.") % {"options": parts.query})
    verify = options.get("verify", "yes").lower()
    if verify not in ("yes", "no"):
        raise invalid(_("The option verify must be yes or no."))
    if any(_CONTROL.search(text) for text in (username, password, path, options.get("move_to", ""))):
        raise invalid(_("The address contains control characters."))
    if scheme in IMAP_SCHEMES:
        if not username:
            raise invalid(_("The address needs a user name, as in imaps://user@mail.example.com."))
        folder, move_to = path or "INBOX", options.get("move_to", "")
        if move_to == folder:
            raise invalid(_("The folder to move processed messages to must differ from the folder read."))
    else:
        if path:
            raise invalid(_("An SMTP address has no folder: remove everything after the server name."))
        folder, move_to = "", ""
    return ServerUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        username=username,
        password=password,
        folder=folder,
        move_to=move_to,
        verify_tls=verify == "yes",
    )


def _tls_context(url: ServerUrl) -> ssl.SSLContext:
    if not url.verify_tls:
        # The administrator turned verification off (?verify=no) for a self-signed server.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    ca_file = getattr(settings, "MAIL_TLS_CA_FILE", None)
    if ca_file:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as error:
            raise TransportError(
                _("The CA file %(path)s named in MAIL_TLS_CA_FILE cannot be read: %(reason)s")
                % {"path": ca_file, "reason": error},
                temporary=False,
            ) from error
    return context


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


@contextmanager
def _errors_explained(url: ServerUrl, timeout: float) -> Iterator[None]:
    """Turn what imaplib, smtplib, ssl and socket raise into a TransportError."""
    where = {"where": url.where, "host": url.host}
    try:
        yield
    except TransportError:
        raise
    except ssl.SSLCertVerificationError as error:
        raise TransportError(
            _(
                "The TLS certificate of %(where)s is not trusted (%(reason)s). Give the server a valid "
                "certificate, or add ?verify=no to the address if you trust the network in between."
            )
            % {**where, "reason": error.verify_message},
            temporary=False,
        ) from error
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as error:
        raise TransportError(
            _("%(where)s closed the encrypted connection unexpectedly.") % where, temporary=True
        ) from error
    except ssl.SSLError as error:
        raise TransportError(
            _(
                "TLS with %(where)s failed (%(reason)s). Check that the scheme matches the port: "
                "imaps/smtps for implicit TLS (993, 465), imap+starttls/smtp+starttls for 143 and 587."
            )
            % {**where, "reason": error.reason or error},
            temporary=False,
        ) from error
    except socket.gaierror as error:
        raise TransportError(_("The server name %(host)s cannot be resolved.") % where, temporary=True) from error
    except ConnectionRefusedError as error:
        raise TransportError(
            _("%(where)s refused the connection: is the server running and the port right?") % where, temporary=True
        ) from error
    except TimeoutError as error:
        raise TransportError(
            _("%(where)s did not answer within %(seconds)d seconds.") % {**where, "seconds": timeout}, temporary=True
        ) from error
    except imaplib.IMAP4.readonly as error:  # a subclass of abort, but nothing broke off
        raise TransportError(
            _("The folder %(folder)s on %(where)s is read-only.") % {**where, "folder": url.folder}, temporary=False
        ) from error
    except imaplib.IMAP4.abort as error:
        raise TransportError(
            _("The connection to %(where)s broke off: %(reason)s") % {**where, "reason": _text(error.args[0])},
            temporary=True,
        ) from error
    except imaplib.IMAP4.error as error:
        raise TransportError(
            _("The IMAP server %(where)s answered: %(reason)s") % {**where, "reason": _text(error.args[0])},
            temporary=False,
        ) from error
    except smtplib.SMTPResponseException as error:
        raise _smtp_reply_error(
            _("The SMTP server %(where)s answered") % where, error.smtp_code, error.smtp_error
        ) from error
    except smtplib.SMTPServerDisconnected as error:
        raise TransportError(
            _("The SMTP server %(where)s closed the connection: %(reason)s") % {**where, "reason": error},
            temporary=True,
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise TransportError(
            _("The SMTP server %(where)s does not support what is needed: %(reason)s") % {**where, "reason": error},
            temporary=False,
        ) from error
    except smtplib.SMTPException as error:  # e.g. "No suitable authentication method found."
        raise TransportError(
            _("The SMTP server %(where)s cannot be used: %(reason)s") % {**where, "reason": error}, temporary=False
        ) from error
    except OSError as error:
        raise TransportError(
            _("Network error with %(where)s: %(reason)s") % {**where, "reason": error.strerror or error},
            temporary=True,
        ) from error


def _smtp_reply_error(context: str, code: int, reply: bytes | str) -> TransportError:
    return TransportError(f"{context}: {code} {_text(reply)}", temporary=400 <= code < 500)


# --- IMAP ---------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    """An IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mailbox_name(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    encoded: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            chunk = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=").replace(b"/", b",")
            encoded.append("&" + chunk.decode("ascii") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return _quoted("".join(encoded))


_FETCH_UID = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    raw: bytes


class ImapClient:
    """One IMAP session on `url.folder`; use as a context manager.

    Connects with implicit TLS (imaps) or STARTTLS (imap+starttls); plain imap only to
    this machine. Logs in and selects the folder on entry, logs out on exit.
    """

    def __init__(self, url: ServerUrl, *, timeout: float = 30.0) -> None:
        if not url.is_imap:
            raise TransportError(_("%(url)s is not an IMAP address.") % {"url": url.redacted()}, temporary=False)
        self.url = url
        self.timeout = timeout
        self.exists = 0  # messages in the folder when it was selected
        self.uidvalidity = 0  # with a UID, identifies a message in the folder for good
        self.capabilities: frozenset[str] = frozenset()
        self._keywords_allowed = True
        self._imap: imaplib.IMAP4 | None = None

    def __enter__(self) -> Self:
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            imap.logout()  # also closes the socket, whatever the server answers
        except (imaplib.IMAP4.error, OSError):
            imap.shutdown()

    def _connect(self) -> None:
        url = self.url
        if url.scheme == "imap" and url.host not in LOCAL_HOSTS:
            raise TransportError(
                _("Refusing to send the password to %(where)s unencrypted: use imaps:// or imap+starttls://.")
                % {"where": url.where},
                temporary=False,
            )
        if not url.password:
            raise TransportError(_("No password is set for %(url)s.") % {"url": url.redacted()}, temporary=False)
        context = _tls_context(url)
        with _errors_explained(url, self.timeout):
            if url.scheme == "imaps":
                self._imap = imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=self.timeout)
            else:
                self._imap = imaplib.IMAP4(url.host, url.port, timeout=self.timeout)
                if url.scheme == "imap+starttls":
                    if "STARTTLS" not in self._imap.capabilities:
                        raise TransportError(
                            _("%(where)s does not offer STARTTLS: use imaps:// (port 993) if it speaks TLS directly.")
                            % {"where": url.where},
                            temporary=False,
                        )
                    self._imap.starttls(ssl_context=context)
            self._login(self._imap)
            _typ, data = self._imap.capability()
            self.capabilities = frozenset(_text(data[-1]).upper().split())
            self._select(self._imap)

    def _login(self, imap: imaplib.IMAP4) -> None:
        url = self.url
        try:
            if (url.username + url.password).isascii():
                imap.login(_quoted(url.username), url.password)
            else:  # LOGIN is ASCII-only; SASL PLAIN carries UTF-8
                imap.authenticate("PLAIN", lambda _challenge: f"\0{url.username}\0{url.password}".encode())
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as error:
            reason = _text(error.args[0])
            # RFC 5530 codes: these say "not now", everything else "not like this".
            temporary = any(code in reason for code in ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]"))
            raise TransportError(
                _("%(where)s refused the login of %(user)s: %(reason)s")
                % {"where": url.where, "user": url.username, "reason": reason},
                temporary=temporary,
            ) from error

    def _select(self, imap: imaplib.IMAP4) -> None:
        url = self.url
        typ, data = imap.select(_mailbox_name(url.folder))
        if typ != "OK":
            raise TransportError(
                _("The folder %(folder)s cannot be opened on %(where)s: %(reason)s")
                % {"folder": url.folder, "where": url.where, "reason": _text(data[-1])},
                temporary=False,
            )
        self.exists = int(data[-1] or 0)
        self.uidvalidity = int(_text(imap.untagged_responses.get("UIDVALIDITY", [b"0"])[-1]) or 0)
        # No PERMANENTFLAGS means every flag sticks (RFC 3501 7.1); otherwise keywords need "\*".
        permanent_flags = imap.untagged_responses.get("PERMANENTFLAGS", [b"\\*"])[-1]
        self._keywords_allowed = b"\\*" in permanent_flags
        if not url.move_to and not self._keywords_allowed:
            raise TransportError(
                _(
                    "%(where)s does not let Frontdesk mark messages in %(folder)s with its own keyword; "
                    "add ?move_to=<folder> to the address so processed messages are moved instead."
                )
                % {"where": url.where, "folder": url.folder},
                temporary=False,
            )

    def _uid_command(self, command: str, *args: str) -> tuple[str, list[object]]:
        if self._imap is None:
            raise RuntimeError("ImapClient is used outside its `with` block")
        with _errors_explained(self.url, self.timeout):
            typ, data = self._imap.uid(command, *args)
        return typ, list(data)

    def _uid(self, command: str, *args: str) -> list[object]:
        typ, data = self._uid_command(command, *args)
        if typ != "OK":
            raise TransportError(
                _("%(where)s refused UID %(command)s: %(reason)s")
                % {"where": self.url.where, "command": command, "reason": _text(data[-1])},
                temporary=True,
            )
        return data

    def fetch_unprocessed(self, *, limit: int = 100) -> list[FetchedMessage]:
        """Up to `limit` messages not yet marked processed (nor deleted), oldest first, bytes as stored."""
        found = self._uid("SEARCH", "UNDELETED", "UNKEYWORD", STORED_KEYWORD)
        uids = sorted(int(uid) for line in found if isinstance(line, bytes) for uid in line.split())[:limit]
        if not uids:
            return []
        items = self._uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        raw_by_uid: dict[int, bytes] = {}
        for index, item in enumerate(items):
            # imaplib gives (b'3 (UID 7 BODY[] {1234}', literal) then b')' (or b' UID 7)').
            if not (isinstance(item, tuple) and b"BODY[]" in item[0]):
                continue
            after = items[index + 1] if index + 1 < len(items) else b""
            match = _FETCH_UID.search(item[0]) or _FETCH_UID.search(after if isinstance(after, bytes) else b"")
            if match:
                raw_by_uid[int(match.group(1))] = item[1]
        # A message expunged by another client between SEARCH and FETCH is simply absent.
        return [FetchedMessage(uid=uid, raw=raw_by_uid[uid]) for uid in uids if uid in raw_by_uid]

    def mark_processed(self, uid: int) -> None:
        """Call once the message is safely stored: flag it, then move it if `url.move_to` says so.

        The flag comes first, so a failed move never makes the message come back.
        """
        flags = f"\\Seen {STORED_KEYWORD}" if self._keywords_allowed else "\\Seen"
        self._uid("STORE", str(uid), "+FLAGS.SILENT", f"({flags})")
        if not self.url.move_to:
            return
        target = _mailbox_name(self.url.move_to)
        if "MOVE" in self.capabilities:
            self._uid_creating_target("MOVE", str(uid), target)
            return
        self._uid_creating_target("COPY", str(uid), target)
        self._uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._uid("EXPUNGE", str(uid))
        else:  # without UIDPLUS this also expunges whatever else is flagged \Deleted in the folder
            assert self._imap is not None
            with _errors_explained(self.url, self.timeout):
                self._imap.expunge()

    def _uid_creating_target(self, command: str, uid: str, target: str) -> None:
        typ, data = self._uid_command(command, uid, target)
        if typ != "OK" and "[TRYCREATE]" in _text(data[-1]):  # the folder does not exist yet
            assert self._imap is not None
            with _errors_explained(self.url, self.timeout):
                self._imap.create(target)
        if typ != "OK":
            self._uid(command, uid, target)


def check_imap(url: ServerUrl) -> str:
    """Connect, log in, open the folder: a sentence for the admin, or TransportError."""
    with ImapClient(url, timeout=15.0) as client:
        return ngettext(
            "Connected; %(folder)s has %(count)d message",
            "Connected; %(folder)s has %(count)d messages",
            client.exists,
        ) % {"folder": url.folder, "count": client.exists}


# --- SMTP ---------------------------------------------------------------------------------------


def _crlf(message: bytes) -> bytes:
    """SMTP carries lines ending in CRLF; a bare LF or CR would reach the receiver mangled."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _smtp_connect(url: ServerUrl, timeout: float) -> smtplib.SMTP:
    if url.is_imap:
        raise TransportError(_("%(url)s is not an SMTP address.") % {"url": url.redacted()}, temporary=False)
    if url.username and url.scheme == "smtp" and url.host not in LOCAL_HOSTS:
        raise TransportError(
            _("Refusing to send the password to %(where)s unencrypted: use smtps:// or smtp+starttls://.")
            % {"where": url.where},
            temporary=False,
        )
    context = _tls_context(url)
    if url.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(url.host, url.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(url.host, url.port, timeout=timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        if url.scheme == "smtp+starttls":
            if not smtp.has_extn("starttls"):
                raise TransportError(
                    _("%(where)s does not offer STARTTLS: use smtps:// (port 465) if it speaks TLS directly.")
                    % {"where": url.where},
                    temporary=False,
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if url.username:
            if not url.password:
                raise TransportError(_("No password is set for %(url)s.") % {"url": url.redacted()}, temporary=False)
            try:
                _smtp_login(smtp, url)
            except smtplib.SMTPAuthenticationError as error:
                raise TransportError(
                    _("%(where)s refused the login of %(user)s: %(code)d %(reason)s")
                    % {
                        "where": url.where,
                        "user": url.username,
                        "code": error.smtp_code,
                        "reason": _text(error.smtp_error),
                    },
                    temporary=400 <= error.smtp_code < 500,
                ) from error
    except BaseException:
        smtp.close()
        raise
    return smtp


def _smtp_login(smtp: smtplib.SMTP, url: ServerUrl) -> None:
    if (url.username + url.password).isascii():
        smtp.login(url.username, url.password)
        return
    # smtplib encodes credentials as ASCII; SASL PLAIN carries UTF-8 (RFC 4616).
    if "PLAIN" not in smtp.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPException("The server does not offer AUTH PLAIN, needed for a non-ASCII password.")
    credentials = base64.b64encode(f"\0{url.username}\0{url.password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {credentials}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _smtp_quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def smtp_send(url: ServerUrl, *, sender: str, recipients: Sequence[str], message: bytes, timeout: float = 30.0) -> None:
    """Hand `message` to the SMTP server for `recipients`, or raise TransportError.

    All or nothing: when the server refuses any recipient the transaction is reset before
    DATA, so nobody gets the message and a retry cannot send it twice to the others.
    Line endings are normalised to CRLF (the server would otherwise see bare LFs).
    """
    if not recipients:
        raise TransportError(_("The message has no recipients."), temporary=False)
    data = _crlf(message)
    with _errors_explained(url, timeout):
        smtp = _smtp_connect(url, timeout)
        try:
            options = []
            if not data.isascii() and smtp.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            if not all(address.isascii() for address in (sender, *recipients)):
                options.append("SMTPUTF8")  # smtplib raises SMTPNotSupportedError when the server lacks it
            code, reply = smtp.mail(sender, options)
            if code != 250:
                raise _smtp_reply_error(_("The server refused the sender %(sender)s") % {"sender": sender}, code, reply)
            refused = {}
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, _text(reply))
            if refused:
                smtp.rset()
                raise TransportError(
                    _("The server refused %(recipients)s; the message was sent to nobody.")
                    % {
                        "recipients": "; ".join(
                            f"{address} ({code} {reply})" for address, (code, reply) in refused.items()
                        )
                    },
                    temporary=all(400 <= code < 500 for code, _reply in refused.values()),
                )
            code, reply = smtp.data(data)
            if code != 250:
                raise _smtp_reply_error(_("The server did not accept the message"), code, reply)
        finally:
            _smtp_quit(smtp)


def check_smtp(url: ServerUrl) -> str:
    """Connect, EHLO, STARTTLS and log in as configured, NOOP, QUIT: a sentence, or TransportError."""
    timeout = 15.0
    with _errors_explained(url, timeout):
        smtp = _smtp_connect(url, timeout)
        try:
            code, reply = smtp.noop()
            if code != 250:
                raise _smtp_reply_error(_("The server answered NOOP"), code, reply)
        finally:
            _smtp_quit(smtp)
    security = {"smtps": _("TLS"), "smtp+starttls": _("STARTTLS"), "smtp": _("no encryption")}[url.scheme]
    if url.username:
        return _("Connected to %(where)s (%(security)s); signed in as %(user)s") % {
            "where": url.where,
            "security": security,
            "user": url.username,
        }
    return _("Connected to %(where)s (%(security)s), without signing in") % {"where": url.where, "security": security}
