"""Mail fixtures: real Dovecot and aiosmtpd servers on loopback (see servers.py)."""

from frontdesk.mail.tests.servers import (
    dovecot,
    imap_account,
    pytest_runtest_makereport,
    smtp_server,
    tls_certificate,
    trust_test_certificate,
)

__all__ = [
    "dovecot",
    "imap_account",
    "pytest_runtest_makereport",
    "smtp_server",
    "tls_certificate",
    "trust_test_certificate",
]
