"""The ASGI handler: pooled request threads and a synchronous middleware chain (decisions 0008, 0011)."""

import asyncio
import json
import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_started
from django.utils import timezone

from frontdesk.accounts.models import Role
from frontdesk.accounts.services import api_token_create
from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.core.asgi import PooledASGIHandler
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.services import ticket_create


def call(handler: PooledASGIHandler, method: str, path: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    """One request through the handler, as an ASGI server would make it; the response's status, headers, body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *_encoded(headers)],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        done = asyncio.Event()
        incoming = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if incoming:
                return incoming.pop()
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        await handler(scope, receive, send)

    asyncio.run(run())
    return {
        "status": sent[0]["status"],
        "headers": {name.decode().lower(): value.decode() for name, value in sent[0]["headers"]},
        "body": b"".join(message.get("body", b"") for message in sent[1:]),
    }


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]


@pytest.mark.django_db
def test_requests_go_through_the_middleware_in_the_pooled_threads() -> None:
    handler = PooledASGIHandler(threads=2)
    threads: list[str] = []

    def started(**kwargs: object) -> None:
        threads.append(threading.current_thread().name)

    request_started.connect(started)
    try:
        responses = [call(handler, "GET", "/healthz") for _ in range(3)]
    finally:
        request_started.disconnect(started)

    assert [response["status"] for response in responses] == [200, 200, 200]
    assert responses[0]["headers"]["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware
    assert responses[0]["headers"]["x-content-type-options"] == "nosniff"  # SecurityMiddleware
    assert len(threads) == 3
    assert set(threads) <= {"request-0_0", "request-1_0"}


@pytest.mark.django_db(transaction=True)
def test_a_request_body_reaches_the_view_and_its_writes_are_kept() -> None:
    _, token = api_token_create(user=UserFactory.create(role=Role.ADMIN), name="test", now=timezone.now())
    body = json.dumps({"subject": "Late check-in", "requester_email": "guest@example.com"}).encode()

    response = call(
        PooledASGIHandler(threads=2),
        "POST",
        "/api/v1/tickets",
        body,
        authorization=f"Bearer {token}",
        content_type="application/json",
        content_length=str(len(body)),
    )

    assert response["status"] == 201
    assert Ticket.objects.get(pk=json.loads(response["body"])["id"]).subject == "Late check-in"


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")  # Django's, any ASGI
def test_a_streamed_file_arrives_whole() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    _, token = api_token_create(user=admin, name="test", now=timezone.now())
    content = bytes(range(256)) * 1000  # several chunks
    ticket = ticket_create(
        subject="Scan",
        requester=ContactFactory.create(),
        channel="email",
        body_text="Attached.",
        attachments=[SimpleUploadedFile("scan.bin", content)],
        actor=admin,
        now=timezone.now(),
    )
    attachment = ticket.messages.get().attachments.get()

    response = call(
        PooledASGIHandler(threads=2), "GET", f"/api/v1/attachments/{attachment.pk}", authorization=f"Bearer {token}"
    )

    assert response["status"] == 200
    assert response["body"] == content
