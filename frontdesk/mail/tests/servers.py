"""Real mail servers on loopback for the mail tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Fixtures (exposed by conftest.py):

- `tls_certificate` (session): a self-signed certificate for 127.0.0.1, 127.0.0.2 and
  localhost, made with `cryptography`; both servers present it.
- `trust_test_certificate`: points settings.MAIL_TLS_CA_FILE at it for one test (the
  account fixtures below use it, so TLS to the test servers verifies).
- `dovecot` (session): Debian's /usr/sbin/dovecot, started once with a throw-away config;
  a `Dovecot` with the ports and `add_user()`. Also listens on 127.0.0.2, where it
  advertises only IMAP4rev1 (no MOVE, no UIDPLUS), to exercise the fallbacks.
- `imap_account`: a fresh user in that Dovecot for each test (`ImapAccount`: `url()`,
  `append()`, `flags()`, `messages()`, `create_folder()`), so tests never share a mailbox.
- `smtp_server`: an aiosmtpd server (`SmtpServer`: `url()`, `received`, `fail_next()`,
  `refuse()`), plain by default; parametrize it indirectly with "plain", "starttls"
  (STARTTLS required, then AUTH) or "smtps" (implicit TLS, then AUTH).
"""

import datetime
import email
import email.message
import email.policy
import grp
import imaplib
import ipaddress
import itertools
import logging
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import require_server
from frontdesk.mail.transport import ServerUrl

DOVECOT = Path("/usr/sbin/dovecot")
LOOPBACK = "127.0.0.1"
# aiosmtpd logs every session from its own thread, which may outlive the test whose
# captured output the log handler writes to.
logging.getLogger("mail.log").setLevel(logging.WARNING)
LEGACY_LOOPBACK = "127.0.0.2"  # Dovecot without MOVE and UIDPLUS on this address
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-secret"
SMTP_UTF8_PASSWORD = "smtp-Grüße"  # also accepted for SMTP_USER
IMAP_PASSWORD = "imap-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, *, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


# --- TLS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsCertificate:
    cert: Path  # also the CA file: the certificate is self-signed
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(directory: Path) -> TlsCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Frontdesk test mail server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address(LOOPBACK)),
                    x509.IPAddress(ipaddress.ip_address(LEGACY_LOOPBACK)),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return TlsCertificate(cert=cert_path, key=key_path)


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> TlsCertificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust_test_certificate(settings: Any, tls_certificate: TlsCertificate) -> TlsCertificate:
    settings.MAIL_TLS_CA_FILE = str(tls_certificate.cert)
    return tls_certificate


# --- Dovecot ------------------------------------------------------------------------------------


def _dovecot_config(directory: Path, certificate: TlsCertificate, imap_port: int, imaps_port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot drops privileges: its own users when the package made them, else nobody.
        def existing(*names: str) -> str:
            for name in names:
                try:
                    return pwd.getpwnam(name).pw_name
                except KeyError:
                    continue
            return "nobody"

        login_user, internal_user = existing("dovenull", "nobody"), existing("dovecot", "nobody")
        internal_group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
    else:
        login_user = internal_user = pwd.getpwuid(os.getuid()).pw_name
        internal_group = grp.getgrgid(os.getgid()).gr_name
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = {LOOPBACK}, {LEGACY_LOOPBACK}
ssl = yes
ssl_cert = <{certificate.cert}
ssl_key = <{certificate.key}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
mail_location = maildir:~/Maildir
auth_mechanisms = plain login
auth_failure_delay = 0
# One file per user: Dovecot reads a new file at once, where it re-reads a changed
# file only if a second has passed since it last looked.
passdb {{
  driver = passwd-file
  args = {directory}/users/%u
}}
userdb {{
  driver = passwd-file
  args = {directory}/users/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # no growing delay for 127.0.0.1 after the wrong-password tests
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
local {LEGACY_LOOPBACK} {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+
  }}
}}
"""


@dataclass
class Dovecot:
    directory: Path
    imap_port: int
    imaps_port: int
    process: subprocess.Popen[bytes]
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def log_path(self) -> Path:
        return self.directory / "dovecot.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no log)"

    def add_user(self, password: str = IMAP_PASSWORD) -> "ImapAccount":
        """A new user with an empty mailbox."""
        assert ":" not in password
        username = f"user{next(self._names)}@example.test"
        home = self.directory / "mail" / username
        if os.geteuid() == 0:
            uid, gid = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid
        else:
            uid, gid = os.getuid(), os.getgid()
        line = f"{username}:{{PLAIN}}{password}:{uid}:{gid}::{home}::\n"
        (self.directory / "users" / username).write_text(line, encoding="utf-8")
        return ImapAccount(server=self, username=username, password=password)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_running_dovecot: list[Dovecot] = []


@pytest.fixture(scope="session")
def dovecot(tls_certificate: TlsCertificate) -> Generator[Dovecot]:
    if not DOVECOT.exists():
        require_server("Dovecot", f"{DOVECOT} is missing (apt-get install dovecot-imapd)")
    # Not under pytest's 0700 temporary folder: the mail processes run as another user.
    directory = Path(tempfile.mkdtemp(prefix="frontdesk-dovecot-"))
    directory.chmod(0o755)
    (directory / "mail").mkdir()
    if os.geteuid() == 0:
        shutil.chown(directory / "mail", user="nobody")
    (directory / "users").mkdir()
    imap_port, imaps_port = free_port(), free_port()
    config = directory / "dovecot.conf"
    config.write_text(_dovecot_config(directory, tls_certificate, imap_port, imaps_port))
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = Dovecot(directory=directory, imap_port=imap_port, imaps_port=imaps_port, process=process)
    ready = all(wait_for_port(host, port) for host in (LOOPBACK, LEGACY_LOOPBACK) for port in (imap_port, imaps_port))
    if not ready or process.poll() is not None:
        server.stop()
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        pytest.fail(f"Dovecot did not start.\n{output}\n{server.log()}")
    _running_dovecot.append(server)
    yield server
    _running_dovecot.remove(server)
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A failing test shows the end of Dovecot's log."""
    report = yield
    if report.failed and _running_dovecot:
        tail = "\n".join(_running_dovecot[0].log().splitlines()[-30:])
        report.sections.append(("Dovecot log (last 30 lines)", tail))
    return report


_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
_FETCH_FLAGS = re.compile(rb"UID (\d+) FLAGS \(([^)]*)\)|FLAGS \(([^)]*)\) UID (\d+)")


@dataclass(frozen=True)
class ImapAccount:
    """One user's mailbox; the helpers talk to Dovecot directly (plain IMAP on loopback)."""

    server: Dovecot
    username: str
    password: str

    def url(
        self, scheme: str = "imap+starttls", *, host: str = LOOPBACK, folder: str = "INBOX", move_to: str = ""
    ) -> ServerUrl:
        port = self.server.imaps_port if scheme == "imaps" else self.server.imap_port
        return ServerUrl(
            scheme=scheme,
            host=host,
            port=port,
            username=self.username,
            password=self.password,
            folder=folder,
            move_to=move_to,
        )

    @contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4(LOOPBACK, self.server.imap_port, timeout=10)
        try:
            imap.login(self.username, self.password)
            yield imap
        finally:
            imap.logout()

    def append(self, raw: bytes, *, folder: str = "INBOX", flags: str = "") -> int:
        """Store `raw` exactly as given; its UID."""
        with self.session() as imap:
            typ, data = imap.append(folder, f"({flags})" if flags else None, None, raw)
        assert typ == "OK", data
        match = _APPENDUID.search(data[-1])
        assert match, data
        return int(match.group(1))

    def create_folder(self, folder: str) -> None:
        with self.session() as imap:
            typ, data = imap.create(folder)
        assert typ == "OK", data

    def flags(self, folder: str = "INBOX") -> dict[int, set[str]]:
        with self.session() as imap:
            imap.select(folder, readonly=True)
            typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
        assert typ == "OK", data
        result: dict[int, set[str]] = {}
        for line in data:
            match = _FETCH_FLAGS.search(line) if isinstance(line, bytes) else None
            if match:
                uid, flags = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
                result[int(uid)] = set(flags.decode().split())
        return result

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in `folder`, in UID order."""
        with self.session() as imap:
            imap.select(folder, readonly=True)
            typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "OK", data
        return [item[1] for item in data if isinstance(item, tuple)]


@pytest.fixture
def imap_account(dovecot: Dovecot, trust_test_certificate: TlsCertificate) -> ImapAccount:
    return dovecot.add_user()


# --- SMTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # exactly what arrived, dot-stuffing undone
    login: str | None  # the user that authenticated, if any


class _Recorder:
    """aiosmtpd handler: keeps what arrives, answers as told."""

    def __init__(self) -> None:
        self.received: list[ReceivedMessage] = []
        self.next_data_reply: str | None = None
        self.refused: dict[str, str] = {}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.next_data_reply:
            reply, self.next_data_reply = self.next_data_reply, None
            return reply
        assert envelope.mail_from is not None
        assert envelope.original_content is not None
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(
            ReceivedMessage(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=envelope.original_content,
                login=login,
            )
        )
        return "250 2.0.0 Message accepted"


def _authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    accepted = {(SMTP_USER.encode(), SMTP_PASSWORD.encode()), (SMTP_USER.encode(), SMTP_UTF8_PASSWORD.encode())}
    ok = isinstance(auth_data, LoginPassword) and tuple(auth_data) in accepted
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class _Controller(Controller):
    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            # smtps: aiosmtpd counts only STARTTLS as TLS, so it warns that AUTH is allowed "without" it.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return SMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class SmtpServer:
    mode: str  # "plain" | "starttls" | "smtps"
    port: int
    controller: Controller
    recorder: _Recorder

    @property
    def received(self) -> list[ReceivedMessage]:
        return self.recorder.received

    def url(self, *, username: str | None = None, password: str | None = None) -> ServerUrl:
        """plain: no login; starttls/smtps: the test user unless told otherwise."""
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "smtps": "smtps"}[self.mode]
        default_user, default_password = ("", "") if self.mode == "plain" else (SMTP_USER, SMTP_PASSWORD)
        return ServerUrl(
            scheme=scheme,
            host=LOOPBACK,
            port=self.port,
            username=default_user if username is None else username,
            password=default_password if password is None else password,
        )

    def fail_next(self, reply: str) -> None:
        """Answer the next message's DATA with `reply`, e.g. "451 4.3.0 Try again later"."""
        self.recorder.next_data_reply = reply

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.recorder.refused[address] = reply


def parsed(data: bytes) -> email.message.EmailMessage:
    """A received message, parsed with the modern policy."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@pytest.fixture(name="smtp")
def staff_smtp(settings: Any, smtp_server: "SmtpServer") -> "SmtpServer":
    """Frontdesk's own mail (the FRONTDESK_EMAIL_* settings: alarms, reports) goes to the loopback server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Frontdesk <frontdesk@hotel.example>"
    return smtp_server


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, trust_test_certificate: TlsCertificate) -> Generator[SmtpServer]:
    mode = getattr(request, "param", "plain")
    recorder, port = _Recorder(), free_port()
    options: dict[str, Any] = {}
    if mode == "starttls":
        options = {
            "tls_context": trust_test_certificate.server_context(),
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_required": True,
        }
    elif mode == "smtps":
        # aiosmtpd only counts STARTTLS as TLS, so AUTH must be allowed "without" it here.
        options = {
            "ssl_context": trust_test_certificate.server_context(),
            "authenticator": _authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    else:
        assert mode == "plain", mode
    controller = _Controller(recorder, hostname=LOOPBACK, port=port, **options)
    controller.start()
    yield SmtpServer(mode=mode, port=port, controller=controller, recorder=recorder)
    controller.stop()
