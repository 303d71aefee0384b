"""The webhook settings pages (/settings/webhooks/): admins only."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.notifications.models import DeliveryStatus, Webhook, WebhookDelivery
from frontdesk.notifications.services import webhook_save, webhooks_queue
from frontdesk.workspace.tests.conftest import client_for

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET = "a-long-enough-signing-secret"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory.create(name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def admin_client(admin: User) -> Client:
    return client_for(admin)


@pytest.fixture
def webhook(admin: User) -> Webhook:
    return webhook_save(
        name="Pager", url="https://hooks.example/sla", secret=SECRET, events=["sla.breach"], actor=admin, now=NOW
    )


def failed_delivery(webhook: Webhook) -> WebhookDelivery:
    """A delivery the endpoint refused for good (as the outbox leaves it)."""
    webhooks_queue(event="sla.breach", payload={"ticket": {"id": 1}}, now=NOW)
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, response_status=410, last_error="HTTP 410"
    )
    delivery.refresh_from_db()
    return delivery


def form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Pager",
        "url": "https://hooks.example/sla",
        "secret": "",
        "events": ["sla.breach"],
        "is_active": "on",
    }
    data.update(changes)
    return data


# --- who may see the pages --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.LIGHT_AGENT])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/settings/webhooks/"),
        ("get", "/settings/webhooks/new/"),
        ("post", "/settings/webhooks/new/"),
        ("get", "/settings/webhooks/{webhook}/"),
        ("post", "/settings/webhooks/{webhook}/"),
        ("get", "/settings/webhooks/{webhook}/delete/"),
        ("post", "/settings/webhooks/{webhook}/delete/"),
        ("post", "/settings/webhooks/{webhook}/deliveries/{delivery}/retry/"),
    ],
)
def test_only_admins_may_use_the_webhook_pages(role: str, method: str, path: str, webhook: Webhook) -> None:
    delivery = failed_delivery(webhook)
    client = client_for(UserFactory.create(role=role))

    response = getattr(client, method)(path.format(webhook=webhook.pk, delivery=delivery.pk), form_data(name="Mine"))

    assert response.status_code == 403
    assert Webhook.objects.get().name == "Pager"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/settings/webhooks/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- list and create ----------------------------------------------------------------------------


def test_the_webhook_list_shows_url_events_and_state(admin_client: Client, webhook: Webhook, admin: User) -> None:
    webhook_save(name="Everything", url="https://all.example/", secret=SECRET, events=[], actor=admin, now=NOW)

    response = admin_client.get("/settings/webhooks/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "https://hooks.example/sla" in page
    assert "<code>sla.breach</code>" in page
    assert "Every event" in page
    assert SECRET not in page


def test_a_new_webhook_gets_a_generated_secret_shown_once(admin_client: Client) -> None:
    assert admin_client.get("/settings/webhooks/new/").status_code == 200

    response = admin_client.post(
        "/settings/webhooks/new/", form_data(events=["sla.warning", "sla.breach"], url="https://hooks.example/in")
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    webhook = Webhook.objects.get()
    assert (webhook.name, webhook.url, webhook.events, webhook.is_active) == (
        "Pager",
        "https://hooks.example/in",
        ["sla.breach", "sla.warning"],
        True,
    )
    assert len(webhook.secret) >= 40
    assert response.context["secret"] == webhook.secret
    page = response.content.decode()
    assert webhook.secret in page
    assert "Frontdesk-Signature: t=&lt;unix time&gt;,v1=&lt;signature&gt;" in page
    assert webhook.secret not in admin_client.get(f"/settings/webhooks/{webhook.pk}/").content.decode()


def test_a_typed_secret_is_kept_and_not_shown_again(admin_client: Client) -> None:
    response = admin_client.post("/settings/webhooks/new/", form_data(secret=SECRET))

    webhook = Webhook.objects.get()
    assert response["Location"] == f"/settings/webhooks/{webhook.pk}/"
    assert webhook.secret == SECRET


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"secret": "too-short"}, "secret", "The signing secret needs at least 16 characters."),
        ({"url": "ftp://hooks.example/"}, "url", "A webhook URL starts with http:// or https://."),
        ({"url": "not a url"}, "url", "Enter a valid URL."),
        (
            {"events": ["sla.everything"]},
            "events",
            "Select a valid choice. sla.everything is not one of the available choices.",
        ),
    ],
)
def test_a_webhook_with_bad_input_shows_the_error_and_is_not_created(
    admin_client: Client, changes: dict[str, object], field: str, error: str
) -> None:
    response = admin_client.post("/settings/webhooks/new/", form_data(**changes))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [error]
    assert error in response.content.decode()
    assert not Webhook.objects.exists()


# --- edit, delete ------------------------------------------------------------------------------


def test_editing_without_a_secret_keeps_the_stored_one(admin_client: Client, webhook: Webhook) -> None:
    response = admin_client.post(
        f"/settings/webhooks/{webhook.pk}/", form_data(name="Pager duty", events=[], is_active="")
    )

    assert response["Location"] == f"/settings/webhooks/{webhook.pk}/"
    webhook.refresh_from_db()
    assert (webhook.name, webhook.events, webhook.is_active, webhook.secret) == ("Pager duty", [], False, SECRET)
    assert "The webhook Pager duty is saved." in admin_client.get("/settings/webhooks/").content.decode()


def test_a_new_secret_replaces_the_old_one_and_is_shown_once(admin_client: Client, webhook: Webhook) -> None:
    response = admin_client.post(f"/settings/webhooks/{webhook.pk}/", form_data(new_secret="on"))

    webhook.refresh_from_db()
    assert webhook.secret != SECRET
    assert response.context["secret"] == webhook.secret
    assert response["Cache-Control"] == "no-store"


def test_an_edit_with_a_short_secret_changes_nothing(admin_client: Client, webhook: Webhook) -> None:
    response = admin_client.post(f"/settings/webhooks/{webhook.pk}/", form_data(name="Other", secret="short"))

    assert response.status_code == 422
    assert response.context["form"].errors["secret"] == ["The signing secret needs at least 16 characters."]
    webhook.refresh_from_db()
    assert (webhook.name, webhook.secret) == ("Pager", SECRET)


def test_deleting_a_webhook_asks_first(admin_client: Client, webhook: Webhook) -> None:
    assert "Delete the webhook Pager?" in admin_client.get(f"/settings/webhooks/{webhook.pk}/delete/").content.decode()
    assert Webhook.objects.exists()

    response = admin_client.post(f"/settings/webhooks/{webhook.pk}/delete/")

    assert response["Location"] == "/settings/webhooks/"
    assert not Webhook.objects.exists()


# --- deliveries ---------------------------------------------------------------------------------


def test_the_webhook_page_lists_its_deliveries_with_retry_for_failed_ones(
    admin_client: Client, webhook: Webhook
) -> None:
    failed = failed_delivery(webhook)
    webhooks_queue(event="sla.breach", payload={"ticket": {"id": 2}}, now=NOW)

    response = admin_client.get(f"/settings/webhooks/{webhook.pk}/")

    page = response.content.decode()
    assert [d.pk for d in response.context["deliveries"]] == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True), reverse=True
    )
    assert "HTTP 410" in page
    assert ">410<" in page
    assert page.count(">Retry<") == 1
    assert f"/settings/webhooks/{webhook.pk}/deliveries/{failed.pk}/retry/" in page


def test_the_webhook_page_shows_the_last_50_deliveries(
    admin_client: Client, webhook: Webhook, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(60):
        webhooks_queue(event="sla.breach", payload={"n": n}, now=NOW)

    # session, user; the webhook; its deliveries
    with django_assert_max_num_queries(4):
        response = admin_client.get(f"/settings/webhooks/{webhook.pk}/")

    assert len(response.context["deliveries"]) == 50


def test_retrying_a_failed_delivery_sends_it_again(admin_client: Client, webhook: Webhook) -> None:
    delivery = failed_delivery(webhook)

    response = admin_client.post(f"/settings/webhooks/{webhook.pk}/deliveries/{delivery.pk}/retry/", follow=True)

    assert "The delivery is sent again." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


def test_retrying_with_htmx_answers_the_row(admin_client: Client, webhook: Webhook) -> None:
    delivery = failed_delivery(webhook)

    response = admin_client.post(f"/settings/webhooks/{webhook.pk}/deliveries/{delivery.pk}/retry/", headers=HTMX)

    page = response.content.decode()
    assert page.startswith(f'<tr data-delivery="{delivery.pk}">')
    assert "Waiting to be sent" in page
    assert ">Retry<" not in page


def test_a_delivery_of_another_webhook_is_not_found(admin_client: Client, webhook: Webhook, admin: User) -> None:
    delivery = failed_delivery(webhook)
    other = webhook_save(name="Other", url="https://other.example/", secret=SECRET, events=[], actor=admin, now=NOW)

    response = admin_client.post(f"/settings/webhooks/{other.pk}/deliveries/{delivery.pk}/retry/")

    assert response.status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
