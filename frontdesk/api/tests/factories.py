from datetime import UTC, datetime

from django.test import Client

from frontdesk.accounts.models import User
from frontdesk.accounts.services import api_token_create

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def api_client(user: User) -> Client:
    """A test client that sends `user`'s fresh API token with every request."""
    _, plain = api_token_create(user=user, now=NOW)
    return Client(headers={"Authorization": f"Bearer {plain}"})
