"""Test set-up shared by every app.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL names
one (`make test` runs both when a server answers). Tests that need a real
server (PostgreSQL, Redis, Chromium) skip with the reason when it is absent,
except under CI, where a missing server fails the run instead.
"""

import os
import tempfile
from pathlib import Path

import pytest

# pytest-django may import the settings before this module runs, so the data folder
# is also set on the settings object below.
DATA = Path(os.environ.setdefault("FRONTDESK_DATA", tempfile.mkdtemp(prefix="frontdesk-test-")))


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.DATA_DIR = DATA
    settings.STATIC_ROOT = DATA / "static"
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    # Connections opened in worker threads (Channels' database_sync_to_async) must not
    # outlive their use, or the test database cannot be dropped at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    settings.HUEY.immediate = True  # jobs run inline in tests, on in-memory storage
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def require_server(what: str, reason: str) -> None:
    """Skip (or, under CI, fail) a test whose real server is not there."""
    message = f"{what} not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI runs every test; none may skip)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _media_root(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "attachments")  # type: ignore[attr-defined, operator]
