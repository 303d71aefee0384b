"""Frontdesk settings, read from environment variables (documented in README.md).

The embedded default needs nothing: SQLite and attachments under FRONTDESK_DATA,
Huey on SQLite in-process, Channels in memory. DATABASE_URL and REDIS_URL switch
to PostgreSQL, RedisHuey and channels-redis for running at scale.
"""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()  # generic admin/queryset classes at run time, for typed code

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("FRONTDESK_DATA", "data")).resolve()

DEBUG = os.environ.get("FRONTDESK_DEBUG", "") == "1"
# The embedded default generates and keeps a key in the data folder so that
# `make run` needs no setup; production sets FRONTDESK_SECRET_KEY.
SECRET_KEY = os.environ.get("FRONTDESK_SECRET_KEY", "")
if not SECRET_KEY:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = os.environ.get("FRONTDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("FRONTDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "channels",
    "huey.contrib.djhuey",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "frontdesk.core",
    "frontdesk.accounts",
    "frontdesk.tickets",
    "frontdesk.mail",
    "frontdesk.routing",
    "frontdesk.notifications",
    "frontdesk.sla",
    "frontdesk.surveys",
    "frontdesk.kb",
    "frontdesk.portal",
    "frontdesk.reports",
    "frontdesk.workspace",
    "frontdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "frontdesk.core.middleware.RequestLogMiddleware",
]

ROOT_URLCONF = "frontdesk.urls"
ASGI_APPLICATION = "frontdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "frontdesk.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the SQL, so that the hot statements of core.queries can be
        # prepared once per connection rather than parsed and planned every time (decision 0016).
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "frontdesk.core.sqlite",  # writers queue on a file lock (decision 0009)
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE takes the write
                # lock at BEGIN so concurrent writers wait instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Request threads are long-lived (core.asgi), so their connections are kept.
            "CONN_MAX_AGE": None,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's model backend, reading the agent with their routing profile (one backend: a
# failed sign-in hashes the password once). Sessions from before it was added sign in again.
AUTHENTICATION_BACKENDS = ["frontdesk.workspace.auth.SessionBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:inbox"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Languages ------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("lt", _("Lithuanian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("FRONTDESK_TIME_ZONE", "UTC")
USE_TZ = True

# --- Files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "attachments"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FRONTDESK_MAX_ATTACHMENT_BYTES = int(os.environ.get("FRONTDESK_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Threads that run requests' synchronous code, per web process (core.asgi). On SQLite, 2:
# writers queue on one lock, and more threads only compete with the one holding it for the
# process's interpreter lock; on PostgreSQL, 8, so that requests waiting on the database
# overlap (decision 0017).
FRONTDESK_WEB_THREADS = int(os.environ.get("FRONTDESK_WEB_THREADS", "8" if DATABASE_URL else "2"))

# E-mail: the domain of the Message-IDs Frontdesk writes (mail carrying one is our own,
# coming back), and the sender name when a mailbox has no team.
FRONTDESK_MAIL_ID_DOMAIN = os.environ.get("FRONTDESK_MAIL_ID_DOMAIN", "frontdesk.local")
FRONTDESK_MAIL_FROM_NAME = os.environ.get("FRONTDESK_MAIL_FROM_NAME", "Support")

# --- System e-mail (the weekly report to admins and supervisors) ----------
# Customers' mail goes through each mailbox's own SMTP server; this is Frontdesk's own.
EMAIL_HOST = os.environ.get("FRONTDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("FRONTDESK_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("FRONTDESK_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("FRONTDESK_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("FRONTDESK_EMAIL_SECURITY", "") == "starttls"
EMAIL_USE_SSL = os.environ.get("FRONTDESK_EMAIL_SECURITY", "") == "tls"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("FRONTDESK_EMAIL_FROM", "Frontdesk <frontdesk@localhost>")
# Where people reach this Frontdesk: links in notification e-mails and webhooks.
BASE_URL = os.environ.get("FRONTDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Jobs and realtime ----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    from huey import RedisHuey

    HUEY = RedisHuey(os.environ.get("FRONTDESK_QUEUE", "frontdesk"), url=REDIS_URL, immediate=False)
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    from huey import SqliteHuey

    HUEY = SqliteHuey("frontdesk", filename=str(DATA_DIR / "jobs.sqlite3"), immediate=False)
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Security -------------------------------------------------------------
# Django's database sessions, read with a statement built once (workspace.sessions).
SESSION_ENGINE = "frontdesk.workspace.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if os.environ.get("FRONTDESK_HTTPS", "") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging: one JSON object per line ------------------------------------
LOG_LEVEL = os.environ.get("FRONTDESK_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "frontdesk.core.logging.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "uvicorn.access": {"level": "WARNING"},
        "huey": {"level": "WARNING"},
    },
}
