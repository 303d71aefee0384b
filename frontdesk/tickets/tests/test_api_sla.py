"""The tickets list by SLA through the REST API: the `sla` filter, the `sort` order, `sla_due_at`."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.tickets.tests.factories import NOW, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Client:
    return api_client(UserFactory.create(role=Role.ADMIN))


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


@time_machine.travel(NOW, tick=False)
def test_breached_and_due_soon_are_relative_to_the_request_time(api: Client) -> None:
    breached = TicketFactory.create(sla_due_at=NOW - timedelta(minutes=5))
    soon = TicketFactory.create(sla_due_at=NOW + timedelta(minutes=20))
    TicketFactory.create(sla_due_at=NOW + timedelta(hours=3))
    TicketFactory.create(sla_due_at=None)

    assert ids(api.get("/api/v1/tickets?sla=breached")) == [breached.pk]
    assert ids(api.get("/api/v1/tickets?sla=due_soon")) == [soon.pk]
    assert len(ids(api.get("/api/v1/tickets?sla="))) == 4  # blank: any


@time_machine.travel(NOW, tick=False)
def test_sort_by_next_sla_due_pages_with_its_cursor_and_shows_the_deadline(api: Client) -> None:
    later = TicketFactory.create(sla_due_at=NOW + timedelta(hours=2), last_activity_at=NOW)
    sooner = TicketFactory.create(sla_due_at=NOW + timedelta(minutes=10), last_activity_at=NOW - timedelta(days=1))
    without = TicketFactory.create(sla_due_at=None, last_activity_at=NOW + timedelta(minutes=1))

    first = api.get("/api/v1/tickets?sort=sla&limit=2").json()
    second = api.get(f"/api/v1/tickets?sort=sla&limit=2&cursor={first['next_cursor']}").json()

    assert [item["id"] for item in first["items"] + second["items"]] == [sooner.pk, later.pk, without.pk]
    assert first["items"][0]["sla_due_at"] == "2026-11-02T09:10:00Z"
    assert second["items"][0]["sla_due_at"] is None
    assert second["next_cursor"] is None


def test_a_cursor_from_the_other_order_is_refused_naming_the_cursor(api: Client) -> None:
    TicketFactory.create_batch(2)
    cursor = api.get("/api/v1/tickets?limit=1").json()["next_cursor"]

    response = api.get(f"/api/v1/tickets?sort=sla&limit=1&cursor={cursor}")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cursor"


@pytest.mark.parametrize(("field", "value"), [("sla", "late"), ("sort", "priority")])
def test_unknown_sla_filter_or_sort_is_refused_naming_it(api: Client, field: str, value: str) -> None:
    response = api.get(f"/api/v1/tickets?{field}={value}")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_the_openapi_document_types_the_sla_parameters(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    operation = document["paths"]["/api/v1/tickets"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    schemas = document["components"]["schemas"]
    assert "sla" in parameters
    assert "sort" in parameters
    assert schemas["SlaFilter"]["enum"] == ["breached", "due_soon"]
    assert schemas["Sort"]["enum"] == ["activity", "sla"]
    assert schemas["TicketOut"]["properties"]["sla_due_at"]["anyOf"] == [
        {"format": "date-time", "type": "string"},
        {"type": "null"},
    ]


def test_a_page_by_sla_runs_a_fixed_number_of_queries(django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    agent = UserFactory.create()
    team = TeamFactory.create(members=[agent])
    for minutes in range(30):
        TicketFactory.create(team=team, sla_due_at=NOW + timedelta(minutes=minutes))
    api = api_client(User.objects.get(pk=agent.pk))
    api.get("/api/v1/tickets?limit=1")  # the token's first use is recorded once

    # token, agent's teams, one key query per visibility rule (their team, theirs, unrouted) for
    # the tickets with a deadline (the page is full: none for those without), the page's tickets, tags
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/tickets?sort=sla&limit=25&sla=")

    assert len(response.json()["items"]) == 25
