"""The ASGI application: Django for HTTP, Channels for the workspace's WebSockets."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (after setup: they import models)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from frontdesk.core.asgi import PooledASGIHandler  # noqa: E402
from frontdesk.workspace.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": PooledASGIHandler(threads=settings.FRONTDESK_WEB_THREADS),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
