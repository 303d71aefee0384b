"""The notifications REST API: the caller's own notifications, and webhooks (admins only).

Nobody reads or marks another's notifications; only admins see webhooks, and a webhook's
signing secret is shown once, when it is created, and never again.
"""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.notifications.models import DeliveryStatus, Notification, Webhook, WebhookDelivery
from frontdesk.notifications.services import notify, webhook_save, webhooks_queue
from frontdesk.tickets.tests.factories import NOW, TicketFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
SECRET = "a-signing-secret-of-some-length"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent() -> User:
    return UserFactory.create(role=Role.AGENT)


@pytest.fixture
def admin() -> User:
    return UserFactory.create(role=Role.ADMIN)


def notifications_for(user: User, count: int, *, start: int = 0) -> list[Notification]:
    """`count` notifications, a minute apart, the newest last."""
    return [
        notify(recipients=[user], kind="sla.warning", title=f"Warning {n}", now=NOW + timedelta(minutes=n))[0]
        for n in range(start, start + count)
    ]


def webhook(admin: User, **fields: Any) -> Webhook:
    values: dict[str, Any] = {"name": "Ops", "url": "https://ops.example.com/hook", "secret": SECRET, "events": []}
    return webhook_save(**{**values, **fields}, actor=admin, now=NOW)


# --- notifications -----------------------------------------------------------------------


def test_an_agent_reads_their_notifications_newest_first(agent: User) -> None:
    ticket = TicketFactory.create()
    notify(recipients=[agent], kind="sla.breach", title="SLA breached", body="Details", ticket=ticket, now=NOW)
    notify(recipients=[agent], kind="sla.warning", title="Later", now=NOW + timedelta(minutes=1))

    response = api_client(agent).get("/api/v1/me/notifications")

    first = Notification.objects.get(title="SLA breached")
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["Later", "SLA breached"]
    assert response.json()["items"][1] == {
        "id": first.pk,
        "kind": "sla.breach",
        "title": "SLA breached",
        "body": "Details",
        "ticket": ticket.pk,
        "created_at": "2026-11-02T09:00:00Z",
        "read_at": None,
    }
    assert response.json()["next_cursor"] is None


def test_notifications_come_a_page_at_a_time(agent: User) -> None:
    notifications_for(agent, 5)
    api = api_client(agent)

    first = api.get("/api/v1/me/notifications", {"limit": 2})
    second = api.get("/api/v1/me/notifications", {"limit": 2, "cursor": first.json()["next_cursor"]})
    last = api.get("/api/v1/me/notifications", {"limit": 2, "cursor": second.json()["next_cursor"]})

    titles = [[item["title"] for item in page.json()["items"]] for page in (first, second, last)]
    assert titles == [["Warning 4", "Warning 3"], ["Warning 2", "Warning 1"], ["Warning 0"]]
    assert last.json()["next_cursor"] is None


def test_notifications_at_the_same_instant_are_paged_by_id(agent: User) -> None:
    for title in ("A", "B", "C"):
        notify(recipients=[agent], kind="sla.warning", title=title, now=NOW)
    api = api_client(agent)

    first = api.get("/api/v1/me/notifications", {"limit": 2})
    second = api.get("/api/v1/me/notifications", {"limit": 2, "cursor": first.json()["next_cursor"]})

    assert [item["title"] for item in first.json()["items"] + second.json()["items"]] == ["C", "B", "A"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "bm90IGEgZGF0ZXwx",  # "not a date|1"
        "MjAyNi0xMS0wMlQwOTowMDowMHwx",  # "2026-11-02T09:00:00|1"
        "WyIyMDI2LTExLTAyVDA5OjAwOjAwIiwgMV0=",  # ["2026-11-02T09:00:00", 1]: a time without its zone
        "WyJub3QgYSB0aW1lIiwgMV0=",  # ["not a time", 1]
    ],
)
def test_a_cursor_that_is_not_ours_is_refused_naming_it(agent: User, cursor: str) -> None:
    response = api_client(agent).get("/api/v1/me/notifications", {"cursor": cursor})

    assert (response.status_code, response.json()["error"]["field"]) == (422, "cursor")


def test_unread_keeps_the_unread_ones(agent: User) -> None:
    read, unread = notifications_for(agent, 2)
    Notification.objects.filter(pk=read.pk).update(read_at=NOW)

    response = api_client(agent).get("/api/v1/me/notifications", {"unread": "true"})

    assert [item["id"] for item in response.json()["items"]] == [unread.pk]


@pytest.mark.parametrize("notifications", [1, 10])
def test_notification_list_runs_a_fixed_number_of_queries(
    agent: User, notifications: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(notifications):
        notify(recipients=[agent], kind="sla.warning", title="W", ticket=TicketFactory.create(), now=NOW)
    api = api_client(agent)

    # token and its last use, the page
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/me/notifications")

    assert len(response.json()["items"]) == notifications


def test_nobody_reads_or_marks_another_persons_notifications(agent: User) -> None:
    other = UserFactory.create(role=Role.SUPERVISOR)
    theirs = notifications_for(other, 2)
    api = api_client(agent)

    listed = api.get("/api/v1/me/notifications")
    counted = api.get("/api/v1/me/notifications/unread-count")
    marked = api.post("/api/v1/me/notifications/read", {"ids": [item.pk for item in theirs]}, JSON)

    assert listed.json()["items"] == []
    assert counted.json() == {"unread": 0, "more": False}
    assert marked.json() == {"marked": 0}
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


def test_the_unread_count_counts_up_to_99(agent: User) -> None:
    api = api_client(agent)
    notifications_for(agent, 3)

    assert api.get("/api/v1/me/notifications/unread-count").json() == {"unread": 3, "more": False}

    notify(recipients=[agent], kind="sla.warning", title="x", now=NOW)
    Notification.objects.bulk_create(
        [Notification(recipient=agent, kind="sla.warning", title="x", created_at=NOW) for _ in range(96)]
    )

    assert api.get("/api/v1/me/notifications/unread-count").json() == {"unread": 99, "more": True}


def test_marking_some_notifications_read(agent: User) -> None:
    first, second, third = notifications_for(agent, 3)

    response = api_client(agent).post("/api/v1/me/notifications/read", {"ids": [first.pk, third.pk]}, JSON)

    assert (response.status_code, response.json()) == (200, {"marked": 2})
    assert set(Notification.objects.filter(read_at=NOW).values_list("pk", flat=True)) == {first.pk, third.pk}
    assert Notification.objects.get(pk=second.pk).read_at is None


def test_marking_all_notifications_read(agent: User) -> None:
    notifications_for(agent, 3)
    api = api_client(agent)

    response = api.post("/api/v1/me/notifications/read", {"all": True}, JSON)

    assert response.json() == {"marked": 3}
    assert api.get("/api/v1/me/notifications/unread-count").json()["unread"] == 0


@pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"all": False}])
def test_marking_read_needs_either_ids_or_all(agent: User, body: dict[str, Any]) -> None:
    notifications_for(agent, 1)

    response = api_client(agent).post("/api/v1/me/notifications/read", body, JSON)

    assert (response.status_code, response.json()["error"]["field"]) == (422, "ids")
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_anonymous_callers_are_refused(client: Client) -> None:
    assert client.get("/api/v1/me/notifications").status_code == 401


# --- webhooks ----------------------------------------------------------------------------


def test_admin_creates_a_webhook_and_sees_its_secret_once(admin: User) -> None:
    api = api_client(admin)

    created = api.post(
        "/api/v1/webhooks",
        {"name": "Ops", "url": "https://ops.example.com/hook", "secret": SECRET, "events": ["sla.breach"]},
        JSON,
    )
    hook = Webhook.objects.get()
    read = api.get(f"/api/v1/webhooks/{hook.pk}")
    listed = api.get("/api/v1/webhooks")

    assert created.status_code == 201
    assert created.json() == {
        "id": hook.pk,
        "name": "Ops",
        "url": "https://ops.example.com/hook",
        "events": ["sla.breach"],
        "is_active": True,
        "created_at": "2026-11-02T09:00:00Z",
        "secret": SECRET,
    }
    assert hook.secret == SECRET
    assert read.json() == {key: value for key, value in created.json().items() if key != "secret"}
    assert listed.json() == [read.json()]
    assert SECRET not in read.content.decode() + listed.content.decode()


def test_a_webhook_created_without_a_secret_gets_a_random_one_shown_once(admin: User) -> None:
    response = api_client(admin).post("/api/v1/webhooks", {"name": "Ops", "url": "http://10.0.0.5/hook"}, JSON)

    secret = response.json()["secret"]
    assert len(secret) >= 32
    assert Webhook.objects.get().secret == secret


def test_changing_a_webhook_keeps_its_secret_unless_a_new_one_is_sent(admin: User) -> None:
    hook = webhook(admin)
    api = api_client(admin)
    body = {"name": "Ops 2", "url": "https://ops.example.com/v2", "events": ["sla.warning"], "is_active": False}

    kept = api.put(f"/api/v1/webhooks/{hook.pk}", body, JSON)
    assert Webhook.objects.get().secret == SECRET
    replaced = api.put(f"/api/v1/webhooks/{hook.pk}", {**body, "secret": "another-secret-long-enough"}, JSON)

    assert (kept.status_code, replaced.status_code) == (200, 200)
    assert "secret" not in kept.json()
    assert "secret" not in replaced.json()
    hook.refresh_from_db()
    assert (hook.name, hook.url, hook.events, hook.is_active) == (
        "Ops 2",
        "https://ops.example.com/v2",
        ["sla.warning"],
        False,
    )
    assert hook.secret == "another-secret-long-enough"


def test_admin_deletes_a_webhook(admin: User) -> None:
    hook = webhook(admin)

    response = api_client(admin).delete(f"/api/v1/webhooks/{hook.pk}")

    assert response.status_code == 204
    assert not Webhook.objects.exists()
    assert api_client(admin).delete(f"/api/v1/webhooks/{hook.pk}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://ops.example.com/hook"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ops.example.com/hook"}, "url"),
        ({"secret": "short"}, "secret"),
        ({"name": " "}, "name"),
        ({"events": ["SLA Breach!"]}, "events"),
    ],
)
def test_a_webhook_that_cannot_work_is_refused_naming_the_field_and_changes_nothing(
    admin: User, fields: dict[str, Any], field: str
) -> None:
    hook = webhook(admin, name="Kept")
    body = {"name": "Ops", "url": "https://ops.example.com/hook", "secret": SECRET, **fields}
    api = api_client(admin)

    created = api.post("/api/v1/webhooks", body, JSON)
    changed = api.put(f"/api/v1/webhooks/{hook.pk}", body, JSON)

    assert (created.status_code, created.json()["error"]["field"]) == (422, field)
    assert (changed.status_code, changed.json()["error"]["field"]) == (422, field)
    assert list(Webhook.objects.values_list("name", "url", "secret")) == [
        ("Kept", "https://ops.example.com/hook", SECRET)
    ]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.LIGHT_AGENT])
def test_only_admins_see_or_change_webhooks(admin: User, role: str) -> None:
    hook = webhook(admin, name="Kept")
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="sla.breach", payload={}, next_attempt_at=NOW, created_at=NOW, status=DeliveryStatus.FAILED
    )
    api = api_client(UserFactory.create(role=role))
    body = {"name": "Mine", "url": "https://evil.example.com/", "secret": SECRET}

    responses = [
        api.get("/api/v1/webhooks"),
        api.post("/api/v1/webhooks", body, JSON),
        api.get(f"/api/v1/webhooks/{hook.pk}"),
        api.put(f"/api/v1/webhooks/{hook.pk}", body, JSON),
        api.delete(f"/api/v1/webhooks/{hook.pk}"),
        api.get(f"/api/v1/webhooks/{hook.pk}/deliveries"),
        api.post(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.pk}/retry"),
    ]

    assert [response.status_code for response in responses] == [403] * 7
    assert not any(SECRET in response.content.decode() for response in responses)
    assert list(Webhook.objects.values_list("name", flat=True)) == ["Kept"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_admin_reads_a_webhooks_deliveries_newest_first(admin: User) -> None:
    hook = webhook(admin)
    webhooks_queue(event="sla.warning", payload={"ticket": {"id": 7}}, now=NOW)
    webhooks_queue(event="sla.breach", payload={"ticket": {"id": 7}}, now=NOW + timedelta(minutes=1))

    response = api_client(admin).get(f"/api/v1/webhooks/{hook.pk}/deliveries")

    newest = WebhookDelivery.objects.get(event="sla.breach")
    assert response.status_code == 200
    assert [item["event"] for item in response.json()] == ["sla.breach", "sla.warning"]
    assert response.json()[0] == {
        "id": newest.pk,
        "event": "sla.breach",
        "payload": {"event": "sla.breach", "sent_at": "2026-11-02T09:01:00Z", "ticket": {"id": 7}},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": "2026-11-02T09:01:00Z",
        "last_error": "",
        "response_status": None,
        "created_at": "2026-11-02T09:01:00Z",
        "delivered_at": None,
    }
    assert len(api_client(admin).get(f"/api/v1/webhooks/{hook.pk}/deliveries", {"limit": 1}).json()) == 1


def test_admin_retries_a_failed_delivery(admin: User) -> None:
    hook = webhook(admin)
    delivery = WebhookDelivery.objects.create(
        webhook=hook,
        event="sla.breach",
        payload={"event": "sla.breach"},
        status=DeliveryStatus.FAILED,
        attempts=6,
        last_error="HTTP 500",
        next_attempt_at=NOW - timedelta(hours=6),
        created_at=NOW - timedelta(days=1),
    )

    response = api_client(admin).post(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.pk}/retry")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attempts"]) == ("pending", 0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.PENDING, 0, NOW)


def test_a_delivery_is_retried_only_through_its_own_webhook(admin: User) -> None:
    hook, other = webhook(admin), webhook(admin, name="Other")
    delivery = WebhookDelivery.objects.create(
        webhook=other, event="sla.breach", payload={}, status=DeliveryStatus.FAILED, next_attempt_at=NOW, created_at=NOW
    )

    response = api_client(admin).post(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.pk}/retry")

    assert response.status_code == 404
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_an_unknown_webhook_is_404(admin: User) -> None:
    api = api_client(admin)

    assert api.get("/api/v1/webhooks/424242").status_code == 404
    assert api.get("/api/v1/webhooks/424242/deliveries").status_code == 404
    assert api.post("/api/v1/webhooks/424242/deliveries/1/retry").status_code == 404


# --- the OpenAPI document ----------------------------------------------------------------

NOTIFICATION_OPERATIONS = {
    ("/api/v1/me/notifications", "get"): "200",
    ("/api/v1/me/notifications/read", "post"): "200",
    ("/api/v1/me/notifications/unread-count", "get"): "200",
    ("/api/v1/webhooks", "get"): "200",
    ("/api/v1/webhooks", "post"): "201",
    ("/api/v1/webhooks/{webhook_id}", "get"): "200",
    ("/api/v1/webhooks/{webhook_id}", "put"): "200",
    ("/api/v1/webhooks/{webhook_id}", "delete"): "204",
    ("/api/v1/webhooks/{webhook_id}/deliveries", "get"): "200",
    ("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", "post"): "200",
}


def test_the_openapi_document_lists_the_notification_endpoints_with_typed_schemas(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    for (path, method), status in NOTIFICATION_OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["summary"], (path, method)
        assert operation["tags"] == ["notifications"], (path, method)
        assert "422" in operation["responses"], (path, method)
        if status != "204":
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert "$ref" in schema or "$ref" in schema["items"], (path, method)
    schemas = document["components"]["schemas"]
    assert "secret" not in schemas["WebhookOut"]["properties"]
    assert "secret" in schemas["WebhookCreatedOut"]["properties"]
    assert json.dumps(schemas["WebhookIn"]["properties"]["secret"]).count("minLength") == 1
