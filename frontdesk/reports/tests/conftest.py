"""A real SMTP server (aiosmtpd on loopback) for the weekly report e-mail; see mail/tests/servers.py."""

from frontdesk.mail.tests.servers import smtp_server, staff_smtp, tls_certificate, trust_test_certificate

__all__ = ["smtp_server", "staff_smtp", "tls_certificate", "trust_test_certificate"]
