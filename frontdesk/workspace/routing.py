from django.urls import URLPattern, path

from frontdesk.workspace.consumers import WorkspaceConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/workspace/", WorkspaceConsumer.as_asgi()),
]
