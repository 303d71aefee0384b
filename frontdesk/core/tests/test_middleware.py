import logging

import pytest

from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.api.tests.factories import api_client

pytestmark = pytest.mark.django_db


def test_an_api_request_is_logged_with_the_agent_its_token_belongs_to(caplog: pytest.LogCaptureFixture) -> None:
    agent = UserFactory.create(role="agent")

    with caplog.at_level(logging.INFO, logger="frontdesk.request"):
        response = api_client(agent).get("/api/v1/tags")

    assert response.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "frontdesk.request"]
    logged = {key: record.__dict__[key] for key in ("method", "path", "status", "user_id")}
    assert logged == {"method": "GET", "path": "/api/v1/tags", "status": 200, "user_id": agent.pk}
