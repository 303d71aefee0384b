"""The API as a whole: authentication, the error shape, the OpenAPI document."""

import pytest
from django.test import Client

from frontdesk.accounts.models import Role
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_openapi_document_lists_every_endpoint_with_typed_schemas(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    document = response.json()
    assert response.status_code == 200
    assert set(document["paths"]) == {
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/escalate-to-manager",
        "/api/v1/tickets/{ticket_id}/resolve-escalation",
        "/api/v1/tickets/{ticket_id}/escalate-to-team",
        "/api/v1/tickets/{ticket_id}/events",
        "/api/v1/tickets/{ticket_id}/messages",
        "/api/v1/tickets/{ticket_id}/merge",
        "/api/v1/messages/{message_id}/raw",
        "/api/v1/messages/{message_id}/email",
        "/api/v1/mail/{mailbox}/inbound",
        "/api/v1/attachments/{attachment_id}",
        "/api/v1/tags",
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/{contact_id}/identities",
        "/api/v1/contacts/{contact_id}/merge",
        "/api/v1/organisations",
        "/api/v1/organisations/{organisation_id}",
        "/api/v1/agents",
        "/api/v1/agents/{agent_id}",
        "/api/v1/teams",
        "/api/v1/agents/{agent_id}/routing-profile",
        "/api/v1/agents/{agent_id}/shift/start",
        "/api/v1/agents/{agent_id}/shift/stop",
        "/api/v1/agents/{agent_id}/intake/pause",
        "/api/v1/agents/{agent_id}/intake/resume",
        "/api/v1/me/routing-profile",
        "/api/v1/me/shift/start",
        "/api/v1/me/shift/stop",
        "/api/v1/me/intake/pause",
        "/api/v1/me/intake/resume",
        "/api/v1/routing/dashboard",
        "/api/v1/routing/skills",
        "/api/v1/tickets/{ticket_id}/assignments",
        "/api/v1/reports/agents",
        "/api/v1/reports/agents.csv",
        "/api/v1/reports/tickets.csv",
        "/api/v1/reports/sla",
        "/api/v1/reports/sla.csv",
        "/api/v1/reports/sla/contracts/{organisation_id}",
        "/api/v1/reports/sla/contracts/{organisation_id}.csv",
        "/api/v1/sla/calendars",
        "/api/v1/sla/calendars/{calendar_id}",
        "/api/v1/sla/calendars/{calendar_id}/holidays",
        "/api/v1/sla/calendars/{calendar_id}/holidays/import",
        "/api/v1/sla/calendars/{calendar_id}/holidays/{holiday_id}",
        "/api/v1/sla/policies",
        "/api/v1/sla/policies/{policy_id}",
        "/api/v1/sla/contracts",
        "/api/v1/sla/contracts/{contract_id}",
        "/api/v1/tickets/{ticket_id}/sla",
        "/api/v1/me/notifications",
        "/api/v1/me/notifications/read",
        "/api/v1/me/notifications/unread-count",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{webhook_id}",
        "/api/v1/webhooks/{webhook_id}/deliveries",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
        "/api/v1/surveys/programme",
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/invitations",
        "/api/v1/survey-invitations/{invitation_id}",
        "/api/v1/contacts/{contact_id}/survey-opt-out",
        "/api/v1/follow-ups",
        "/api/v1/follow-ups/{follow_up_id}",
        "/api/v1/follow-ups/{follow_up_id}/close",
        "/api/v1/survey-scores/summary",
        "/api/v1/survey-scores/trend",
        "/api/v1/survey-scores/breakdown",
        "/api/v1/survey-scores/answers",
        "/api/v1/survey-scores/themes",
        "/api/v1/survey-scores/phrases",
        "/api/v1/survey-scores/ideas",
        "/api/v1/public/csat",
        "/api/v1/portal/me",
        "/api/v1/portal/tickets",
        "/api/v1/portal/tickets/{ticket_id}",
        "/api/v1/portal/tickets/{ticket_id}/messages",
        "/api/v1/portal/attachments/{attachment_id}",
        "/api/v1/portal/suggestions",
        "/api/v1/portal/deflections/{deflection_id}/opened",
        "/api/v1/kb/categories",
        "/api/v1/kb/categories/{category_id}",
        "/api/v1/kb/sections",
        "/api/v1/kb/sections/{section_id}",
        "/api/v1/kb/articles",
        "/api/v1/kb/articles/{article_id}",
        "/api/v1/kb/articles/{article_id}/translations/{locale}",
        "/api/v1/kb/articles/{article_id}/translations/{locale}/status",
        "/api/v1/kb/articles/{article_id}/translations/{locale}/versions",
        "/api/v1/kb/articles/{article_id}/translations/{locale}/versions/diff",
        "/api/v1/kb/articles/{article_id}/translations/{locale}/versions/{number}",
        "/api/v1/kb/articles/{article_id}/translations/{locale}/versions/{number}/restore",
        "/api/v1/kb/articles/{article_id}/files",
        "/api/v1/kb/articles/{article_id}/files/{file_id}",
        "/api/v1/kb/preview",
        "/api/v1/kb/search",
        "/api/v1/kb/searches/{search_id}/click",
        "/api/v1/kb/suggest",
        "/api/v1/kb/reports/usefulness",
        "/api/v1/kb/reports/searches",
        "/api/v1/kb/reports/deflection",
        "/api/v1/kb/help-centre",
        "/api/v1/kb/help-centre/logo",
        "/api/v1/kb/changelog",
        "/api/v1/kb/changelog/subscribers",
        "/api/v1/kb/changelog/{entry_id}",
        "/api/v1/help-centre",
        "/api/v1/help-centre/categories",
        "/api/v1/help-centre/sections/{section_id}/articles",
        "/api/v1/help-centre/search",
        "/api/v1/help-centre/articles/{article_id}",
        "/api/v1/help-centre/articles/{article_id}/votes",
        "/api/v1/help-centre/changelog",
        "/api/v1/help-centre/changelog/subscriptions",
        "/api/v1/help-centre/changelog/subscriptions/confirm",
        "/api/v1/help-centre/changelog/subscriptions/cancel",
    }
    operations = [operation for path in document["paths"].values() for operation in path.values()]
    assert all(operation["summary"] and operation["tags"] for operation in operations)
    assert {"TicketOut", "TicketPage", "MessageOut", "ContactOut", "ErrorOut"} <= set(document["components"]["schemas"])
    assert document["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}


def test_docs_page_loads_swagger_from_our_own_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content
    assert b"cdn.jsdelivr.net" not in response.content
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_request_without_credentials_is_refused_with_401(client: Client) -> None:
    response = client.get("/api/v1/tickets")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthenticated"
    assert "Bearer" in response.json()["error"]["message"]


def test_unknown_token_is_refused_with_401() -> None:
    response = Client(headers={"Authorization": "Bearer fd_not-a-real-token"}).get("/api/v1/tickets")

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthenticated",
        "message": "The API token is not valid; create one with `frontdesk token create`.",
        "field": None,
    }


def test_token_of_a_deactivated_agent_is_refused() -> None:
    agent = UserFactory.create()
    client = api_client(agent)
    agent.is_active = False
    agent.save()

    assert client.get("/api/v1/tickets").status_code == 401


def test_bad_token_is_refused_even_beside_a_valid_session(client: Client) -> None:
    client.force_login(UserFactory.create())

    response = client.get("/api/v1/tickets", headers={"Authorization": "Bearer wrong"})

    assert response.status_code == 401


def test_workspace_session_reads_without_a_token(client: Client) -> None:
    client.force_login(UserFactory.create(role=Role.ADMIN))
    ticket = TicketFactory.create()

    response = client.get(f"/api/v1/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk


def test_workspace_session_needs_the_csrf_token_to_write() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create(role=Role.ADMIN))
    ticket = TicketFactory.create()
    client.get("/api/v1/docs")  # any page: the CSRF cookie is set by the workspace's pages
    client.cookies["csrftoken"] = "a" * 32

    refused = client.patch(f"/api/v1/tickets/{ticket.pk}", {"priority": "high"}, content_type="application/json")
    accepted = client.patch(
        f"/api/v1/tickets/{ticket.pk}",
        {"priority": "high"},
        content_type="application/json",
        headers={"X-CSRFToken": "a" * 32},
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert accepted.status_code == 200
    assert accepted.json()["priority"] == "high"


def test_unknown_path_is_a_json_404() -> None:
    response = api_client(UserFactory.create()).get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405_naming_the_allowed_ones() -> None:
    ticket = TicketFactory.create()

    response = api_client(UserFactory.create()).delete(f"/api/v1/tickets/{ticket.pk}")

    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_body_that_is_not_json_is_a_400() -> None:
    response = api_client(UserFactory.create()).post("/api/v1/tickets", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": "The request body is not valid JSON.",
        "field": None,
    }


def test_invalid_input_names_the_first_failing_field_and_lists_all() -> None:
    response = api_client(UserFactory.create()).post(
        "/api/v1/tickets", {"priority": "whenever", "requester": "someone"}, content_type="application/json"
    )

    error = response.json()["error"]
    assert response.status_code == 422
    assert error["code"] == "invalid"
    assert error["field"] == "subject"
    assert error["message"] == "The field “subject” is required."
    assert {detail["field"] for detail in error["details"]} == {"subject", "requester", "priority"}


def test_invalid_query_parameter_is_named() -> None:
    response = api_client(UserFactory.create()).get("/api/v1/tickets?limit=500")

    error = response.json()["error"]
    assert response.status_code == 422
    assert error["field"] == "limit"
    assert error["message"] == "The field “limit” is not valid: input should be less than or equal to 100."


def test_invalid_path_parameter_is_named() -> None:
    response = api_client(UserFactory.create()).get("/api/v1/contacts/abc")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "contact_id"


def test_each_wrong_item_of_a_repeated_query_parameter_names_that_parameter() -> None:
    response = api_client(UserFactory.create()).get("/api/v1/tickets?status=new,bogus")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status"


def test_text_with_nul_characters_is_refused_naming_the_field() -> None:
    client = api_client(UserFactory.create())

    in_body = client.post("/api/v1/contacts", {"name": "Ann\x00"}, content_type="application/json")
    in_query = client.get("/api/v1/tickets?tag=a%00b")

    assert (in_body.status_code, in_body.json()["error"]["field"]) == (422, "name")
    assert (in_query.status_code, in_query.json()["error"]["field"]) == (422, "tag")


def test_ids_beyond_64_bits_are_refused_naming_the_field() -> None:
    response = api_client(UserFactory.create()).get("/api/v1/tickets?team=99999999999999999999")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "team"
