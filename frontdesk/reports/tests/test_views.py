"""The report page (/reports/agents/), its CSV downloads, and the same through the API."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.reports.exports import CsvResponse
from frontdesk.reports.tests.factories import assigned_ticket, reply, shift
from frontdesk.tickets.models import BookingStage, Outcome, Status
from frontdesk.workspace.tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 7, 12, 0, tzinfo=UTC)  # a Wednesday
DAY = datetime(2026, 10, 6, tzinfo=UTC)  # the day the figures are on
WEEK = "start=2026-10-05&end=2026-10-11"


@pytest.fixture(autouse=True)
def _now() -> object:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def team(supervisor: User) -> Team:
    """Ana's team, with a day of work: two tickets, a booked inquiry, a reply, a shift."""
    ana = UserFactory.create(name="Ana Agent", email="ana@hotel.example")
    team = TeamFactory.create(name="Reservations", members=[ana])
    ticket = assigned_ticket(
        ana, DAY + timedelta(hours=9), subject="Dogs allowed?", channel="airbnb", team=team,
        booking_stage=BookingStage.PRE_BOOKING, outcome=Outcome.BOOKED, created_at=DAY + timedelta(hours=8),
        status=Status.SOLVED, solved_at=DAY + timedelta(hours=11),
    )  # fmt: skip
    reply(ana, DAY + timedelta(hours=10), waited=5400, first=True, phase="before", ticket=ticket)
    assigned_ticket(ana, DAY + timedelta(hours=13), team=team, needs_manager=True)
    shift(ana, DAY + timedelta(hours=8), DAY + timedelta(hours=16, minutes=30))
    return team


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def streamed(response: object) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


# --- the page --------------------------------------------------------------------------------


def test_supervisor_sees_each_agents_figures_and_the_charts(supervisor: User, team: Team) -> None:
    response = client_for(supervisor).get(f"/reports/agents/?{WEEK}")

    assert response.status_code == 200
    page = response.content.decode()
    row = page[page.index('<th scope="row">Ana Agent</th>') :].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("</td")[0] for cell in row.split("<td")[1:]]
    assert cells[:4] == ["2", "1", "1", "1 h 30 min"]
    assert cells[9] == "8 h 30 min"
    assert cells[11].startswith("100 %")
    assert page.count("<svg viewBox") == 2
    assert ">Ana Agent</text>" in page


def test_page_defaults_to_the_last_7_days(supervisor: User, team: Team) -> None:
    response = client_for(supervisor).get("/reports/agents/")

    assert response.status_code == 200
    assert response.context["period"].first_day.isoformat() == "2026-10-01"


def test_picker_shows_the_period_the_page_reports(supervisor: User) -> None:
    defaulted = client_for(supervisor).get("/reports/agents/").content.decode()
    dated = client_for(supervisor).get(f"/reports/agents/?{WEEK}").content.decode()

    assert '<option value="last_7_days" selected>' in defaulted
    assert '<option value="custom" selected>' in dated


def test_team_filter_shows_only_its_members(supervisor: User, team: Team) -> None:
    response = client_for(supervisor).get(f"/reports/agents/?{WEEK}&team={team.pk}")

    assert [row.name for row in response.context["rows"]] == ["Ana Agent"]


def test_page_with_a_bad_date_shows_the_picker_with_the_error(supervisor: User) -> None:
    response = client_for(supervisor).get("/reports/agents/?period=custom&start=2026-10-05&end=2026-13-01")

    assert response.status_code == 422
    assert "Enter a valid date." in response.content.decode()
    assert "rows" not in response.context


def test_page_refuses_an_end_before_the_start(supervisor: User) -> None:
    response = client_for(supervisor).get("/reports/agents/?start=2026-10-05&end=2026-10-01")

    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()


def test_page_makes_as_many_queries_for_many_agents_as_for_few(supervisor: User, team: Team) -> None:
    client = client_for(supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/reports/agents/?{WEEK}")
        return len(captured)

    few = queries()
    for agent in UserFactory.create_batch(5):
        assigned_ticket(agent, DAY, team=team)
        reply(agent, DAY, waited=60, first=True, phase="after")
        shift(agent, DAY, DAY + timedelta(hours=1))

    assert queries() == few


# --- CSV downloads ---------------------------------------------------------------------------


def test_agents_csv_is_the_table_streamed(supervisor: User, team: Team) -> None:
    response = client_for(supervisor).get(f"/reports/agents.csv?{WEEK}")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="agents-2026-10-05-2026-10-11.csv"'
    ana = next(row for row in rows(streamed(response)) if row["agent"] == "Ana Agent")
    assert ana == {
        "agent_id": ana["agent_id"], "agent": "Ana Agent", "received": "2", "pending": "1", "closed": "1",
        "first_response_seconds": "5400", "first_response_before_booking_seconds": "5400",
        "first_response_after_booking_seconds": "", "response_seconds": "5400",
        "response_before_booking_seconds": "5400", "response_after_booking_seconds": "",
        "work_seconds": "30600", "invisible_seconds": "0", "inquiries": "1", "booked": "1",
        "conversion_rate": "1.0", "email": "ana@hotel.example",
    }  # fmt: skip


def test_tickets_csv_has_one_row_per_ticket_received(supervisor: User, team: Team) -> None:
    response = client_for(supervisor).get(f"/reports/tickets.csv?{WEEK}")

    assert response["Content-Disposition"] == 'attachment; filename="tickets-2026-10-05-2026-10-11.csv"'
    first, second = rows(streamed(response))
    assert first | {"id": ""} == {
        "id": "", "subject": "Dogs allowed?", "agent": "Ana Agent", "team": "Reservations", "channel": "airbnb",
        "booking_stage": "pre_booking", "status": "solved", "outcome": "booked",
        "created_at": "2026-10-06T08:00:00+00:00", "assigned_at": "2026-10-06T09:00:00+00:00",
        "first_response_seconds": "5400", "solved_at": "2026-10-06T11:00:00+00:00",
    }  # fmt: skip
    assert (second["status"], second["first_response_seconds"], second["solved_at"]) == ("open", "", "")


def test_csv_with_bad_dates_answers_422_with_the_reason(supervisor: User) -> None:
    response = client_for(supervisor).get("/reports/tickets.csv?start=2026-10-05&end=2026-10-01")

    assert response.status_code == 422
    assert response.content.decode() == "The end date is before the start date."


def test_csv_response_under_asgi_fetches_one_chunk_at_a_time() -> None:
    produced: list[int] = []

    def chunks() -> object:
        for n in range(3):
            produced.append(n)
            yield f"{n}\n"

    response = CsvResponse(chunks(), filename="x.csv")  # type: ignore[arg-type]

    async def first() -> bytes:
        return await anext(aiter(response))

    assert async_to_sync(first)() == b"0\n"
    assert produced == [0]


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/reports/agents/", "/reports/agents.csv", "/reports/tickets.csv"])
def test_agents_get_403_on_the_pages(path: str) -> None:
    agent = UserFactory.create(role=Role.AGENT)

    assert client_for(agent).get(path).status_code == 403


@pytest.mark.parametrize(
    "path", ["/api/v1/reports/agents", "/api/v1/reports/agents.csv", "/api/v1/reports/tickets.csv"]
)
def test_agents_get_403_from_the_api(path: str) -> None:
    response = api_client(UserFactory.create(role=Role.AGENT)).get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/reports/agents/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- API ------------------------------------------------------------------------------------------


def test_api_report_has_each_agents_figures_and_the_total(supervisor: User, team: Team) -> None:
    response = api_client(supervisor).get(f"/api/v1/reports/agents?{WEEK}")

    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-10-05T00:00:00Z", "2026-10-12T00:00:00Z")
    ana = next(agent for agent in body["agents"] if agent["agent"] == "Ana Agent")
    assert (ana["received"], ana["pending"], ana["closed"], ana["work_seconds"]) == (2, 1, 1, 30600)
    assert (ana["response_before_booking_seconds"], ana["conversion_rate"]) == (5400, 1.0)
    assert body["total"]["received"] == 2


def test_api_csv_downloads_stream(supervisor: User, team: Team) -> None:
    client = api_client(supervisor)

    agents = client.get(f"/api/v1/reports/agents.csv?{WEEK}")
    tickets = client.get(f"/api/v1/reports/tickets.csv?{WEEK}&team={team.pk}")

    assert [row["agent"] for row in rows(streamed(agents))] == ["Ana Agent", "Sara Supervisor"]
    subjects = [row["subject"] for row in rows(streamed(tickets))]
    assert (len(subjects), subjects[0]) == (2, "Dogs allowed?")


API_PATHS = ["/api/v1/reports/agents", "/api/v1/reports/tickets.csv"]


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-02-30&end=2026-03-01", "start", "“2026-02-30” is not a date: write it as YYYY-MM-DD."),
        ("start=2026-03-01", "end", "Give an end date with the start date."),
        ("start=2026-03-02&end=2026-03-01", "end", "The end date is before the start date."),
        ("team=999999", "team", "There is no team with id 999999."),
    ],
)
def test_api_refuses_bad_periods_with_422(supervisor: User, path: str, query: str, field: str, message: str) -> None:
    response = api_client(supervisor).get(f"{path}?{query}")

    assert response.status_code == 422
    assert (response.json()["error"]["field"], response.json()["error"]["message"]) == (field, message)


@pytest.mark.parametrize("path", API_PATHS)
def test_api_refuses_an_unknown_period_name_with_422(supervisor: User, path: str) -> None:
    response = api_client(supervisor).get(f"{path}?period=fortnight")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "period"
    assert "last_7_days" in response.json()["error"]["message"]
