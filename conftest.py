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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` test PostgreSQL itself (its locks, its worker processes): the
    PostgreSQL run of the suite runs them; the SQLite run leaves them out (deselected, not
    skipped, and said so in the summary)."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    postgres_only = [item for item in items if item.get_closest_marker("postgres")]
    if postgres_only:
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config.hook.pytest_deselected(items=postgres_only)
        config.stash[_POSTGRES_ONLY] = len(postgres_only)


_POSTGRES_ONLY = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    if config.stash.get(_POSTGRES_ONLY, 0):
        terminalreporter.write_line(  # type: ignore[attr-defined]
            f"{config.stash[_POSTGRES_ONLY]} PostgreSQL-only tests left out of this SQLite run; "
            "the PostgreSQL run (`make test-postgres`, part of `make test` and CI) runs them"
        )


def require_server(what: str, reason: str) -> None:
    """Skip (or, under CI, fail) a test whose real server is not there."""
    message = f"{what} not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI runs every test; none may skip)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _media_root(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "attachments")  # type: ignore[attr-defined, operator]
