"""The reports' supervisor, and a real SMTP server (aiosmtpd on loopback) for the weekly report
e-mail; see mail/tests/servers.py."""

import pytest

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.mail.tests.servers import smtp_server, staff_smtp, tls_certificate, trust_test_certificate

__all__ = ["smtp_server", "staff_smtp", "tls_certificate", "trust_test_certificate"]


@pytest.fixture
def supervisor() -> User:
    return UserFactory.create(name="Sara Supervisor", role=Role.SUPERVISOR)
