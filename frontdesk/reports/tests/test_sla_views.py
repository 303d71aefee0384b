"""The SLA pages (/reports/sla/, /reports/sla/contracts/<id>/), their CSV downloads, and the same
through the API."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.http import StreamingHttpResponse
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Organisation, Role, User
from frontdesk.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.reports.tests.factories import breached, met
from frontdesk.sla.models import Contract, Metric
from frontdesk.sla.tests.factories import PolicyFactory
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.tests.factories import TicketFactory
from frontdesk.workspace.tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
OCTOBER = "start=2026-10-01&end=2026-10-31"
FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def day(n: float) -> datetime:
    return datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=n - 1)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme() -> Organisation:
    """Acme, on the Gold contract, with three first responses (one 3 days late, one still due since
    the 20th at 10:00) and a resolution met, all by Ana of Support."""
    acme = OrganisationFactory.create(name="Acme Hotels")
    gold = PolicyFactory.create(name="Gold")
    Contract.objects.create(organisation=acme, name="Gold 2026", policy=gold, starts_on=date(2026, 1, 1))
    support = TeamFactory.create(name="Support")
    ana = UserFactory.create(name="Ana Agent")

    def ticket(subject: str) -> Ticket:
        return TicketFactory.create(subject=subject, organisation=acme, team=support, assignee=ana, created_at=day(2))

    answered, late, waiting = ticket("Wi-Fi down"), ticket("Invoice, please"), ticket("Late check-in")
    met(answered, FR, day(2.1), policy=gold, elapsed_seconds=600)
    met(answered, RES, day(3), policy=gold)
    breached(late, FR, day(4), day(7), policy=gold, elapsed_seconds=4200)
    breached(waiting, FR, datetime(2026, 10, 20, 10, 0, tzinfo=UTC), policy=gold)
    return acme


def rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def streamed(response: object) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def cells_of(page: str, header: str) -> list[str]:
    """The cells of the first table row whose header cell starts with `header`, as text."""
    row = page[page.index(f'<th scope="row">{header}') :].split("</tr>")[0]
    return [cell.split(">", 1)[1].split("</td")[0].split(" <span")[0] for cell in row.split("<td")[1:]]


# --- the attainment page -------------------------------------------------------------------------


def test_supervisor_sees_attainment_by_each_breakdown_with_charts(supervisor: User, acme: Organisation) -> None:
    response = client_for(supervisor).get(f"/reports/sla/?{OCTOBER}")

    assert response.status_code == 200
    page = response.content.decode()
    assert cells_of(page, "First response") == ["1", "2", "33.3 %"]
    assert cells_of(page, "Resolution") == ["1", "0", "100.0 %"]
    assert cells_of(page, "Gold") == ["33.3 %", "—", "100.0 %", "50.0 %"]
    assert cells_of(page, "Support") == cells_of(page, "Ana Agent") == cells_of(page, "Gold")
    assert f'href="/reports/sla/contracts/{acme.pk}/?start=2026-10-01&amp;end=2026-10-31"' in page
    assert page.count("<svg viewBox") == 4
    assert ">Acme Hotels</text>" in page
    assert "(1/3)" in page
    assert '<a href="/reports/agents/">' in page


def test_metric_filter_shows_that_metric_alone(supervisor: User, acme: Organisation) -> None:
    response = client_for(supervisor).get(f"/reports/sla/?{OCTOBER}&metric=resolution")

    page = response.content.decode()
    assert cells_of(page, "Gold") == ["100.0 %"]
    assert "All metrics</th>" not in page


def test_organisation_picker_goes_to_its_contract_report_for_the_same_period(
    supervisor: User, acme: Organisation
) -> None:
    client = client_for(supervisor)

    page = client.get(f"/reports/sla/?{OCTOBER}&team=").content.decode()
    picked = client.get(f"/reports/sla/contracts/?organisation={acme.pk}&{OCTOBER}&team=")

    assert f'<option value="{acme.pk}">Acme Hotels</option>' in page
    assert '<input type="hidden" name="start" value="2026-10-01">' in page
    assert picked.status_code == 302
    assert picked["Location"] == f"/reports/sla/contracts/{acme.pk}/?start=2026-10-01&end=2026-10-31"


def test_picking_no_organisation_says_so(supervisor: User) -> None:
    response = client_for(supervisor).get("/reports/sla/contracts/?organisation=")

    assert (response.status_code, response.content.decode()) == (422, "Choose an organisation.")


def test_page_with_a_bad_period_or_metric_shows_the_picker_with_the_error(supervisor: User) -> None:
    bad_date = client_for(supervisor).get("/reports/sla/?start=2026-10-05&end=2026-10-01")
    bad_metric = client_for(supervisor).get("/reports/sla/?metric=happiness")

    assert bad_date.status_code == bad_metric.status_code == 422
    assert "The end date is before the start date." in bad_date.content.decode()
    assert "Select a valid choice." in bad_metric.content.decode()


def test_attainment_page_makes_as_many_queries_for_many_rows_as_for_few(
    supervisor: User, acme: Organisation, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(supervisor)
    with django_assert_max_num_queries(12) as captured:
        client.get(f"/reports/sla/?{OCTOBER}")
    few = len(captured)
    for n in range(5):
        subject = TicketFactory.create(team=TeamFactory.create(), assignee=UserFactory.create(),
                                       organisation=OrganisationFactory.create(), created_at=day(1))  # fmt: skip
        met(subject, FR, day(2 + n), policy=PolicyFactory.create())
        breached(subject, RES, day(3 + n))

    with django_assert_max_num_queries(few):
        response = client.get(f"/reports/sla/?{OCTOBER}")

    assert len(response.context["report"].breakdowns["organisation"]) == 6


# --- the contract report page -------------------------------------------------------------------


def test_contract_report_shows_contract_tickets_attainment_and_linked_breaches(
    supervisor: User, acme: Organisation
) -> None:
    response = client_for(supervisor).get(f"/reports/sla/contracts/{acme.pk}/?{OCTOBER}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "SLA report for Acme Hotels" in page
    assert "Gold 2026: policy Gold, from" in page
    assert "<dt>Tickets created</dt><dd>3</dd>" in page
    assert "<dt>Average first response</dt><dd>40 min 00 s</dd>" in page  # (600 + 4200) / 2
    assert cells_of(page, "First response") == ["1", "2", "33.3 %"]
    late, waiting = response.context["report"].breaches
    assert f'<a href="/tickets/{late.ticket_id}/">#{late.ticket_id} Invoice, please</a>' in page
    assert f'<a href="/tickets/{waiting.ticket_id}/">#{waiting.ticket_id} Late check-in</a>' in page
    assert "72 h 00 min" in page
    assert "Still open" in page


def test_contract_report_of_an_unknown_organisation_is_404(supervisor: User) -> None:
    assert client_for(supervisor).get("/reports/sla/contracts/999999/").status_code == 404


def test_contract_report_makes_as_many_queries_for_many_breaches_as_for_few(
    supervisor: User, acme: Organisation, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(supervisor)
    with django_assert_max_num_queries(10) as captured:
        client.get(f"/reports/sla/contracts/{acme.pk}/?{OCTOBER}")
    few = len(captured)
    for n in range(5):
        breached(TicketFactory.create(organisation=acme, created_at=day(1)), RES, day(2 + n), day(3 + n))

    with django_assert_max_num_queries(few):
        response = client.get(f"/reports/sla/contracts/{acme.pk}/?{OCTOBER}")

    assert len(response.context["report"].breaches) == 7


# --- CSV downloads ------------------------------------------------------------------------------


def test_attainment_csv_is_one_table_of_total_and_breakdowns(supervisor: User, acme: Organisation) -> None:
    response = client_for(supervisor).get(f"/reports/sla.csv?{OCTOBER}")

    assert response["Content-Disposition"] == 'attachment; filename="sla-2026-10-01-2026-10-31.csv"'
    header, total, *body = rows(streamed(response))
    assert header[:6] == ["breakdown", "id", "name", "first_response_met", "first_response_breached",
                          "first_response_attainment"]  # fmt: skip
    assert header[-3:] == ["met", "breached", "attainment"]
    assert dict(zip(header, total, strict=True)) == {
        "breakdown": "total", "id": "", "name": "All",
        "first_response_met": "1", "first_response_breached": "2", "first_response_attainment": "0.3333",
        "next_response_met": "0", "next_response_breached": "0", "next_response_attainment": "",
        "resolution_met": "1", "resolution_breached": "0", "resolution_attainment": "1.0",
        "met": "2", "breached": "2", "attainment": "0.5",
    }  # fmt: skip
    assert [(row[0], row[2]) for row in body] == [
        ("policy", "Gold"), ("team", "Support"), ("agent", "Ana Agent"), ("organisation", "Acme Hotels"),
    ]  # fmt: skip
    assert body[3][1] == str(acme.pk)


def test_contract_csv_has_a_summary_block_then_the_breaches(supervisor: User, acme: Organisation) -> None:
    response = client_for(supervisor).get(f"/reports/sla/contracts/{acme.pk}.csv?{OCTOBER}")

    assert response["Content-Disposition"] == 'attachment; filename="sla-acme-hotels-2026-10-01-2026-10-31.csv"'
    lines = rows(streamed(response))
    blank = lines.index([])
    summary = {line[0]: line[1:] for line in lines[:blank]}
    assert summary["organisation"] == ["Acme Hotels"]
    assert (summary["first_day"], summary["last_day"]) == (["2026-10-01"], ["2026-10-31"])
    assert summary["contract"] == ["Gold 2026", "Gold", "2026-01-01", ""]
    assert summary["tickets_created"] == ["3"]
    assert (summary["first_response_met"], summary["first_response_breached"]) == (["1"], ["2"])
    assert summary["average_first_response_seconds"] == ["2400"]
    header, late, waiting = lines[blank + 1 :]
    assert header == ["ticket_id", "subject", "url", "metric", "due_at", "stopped_at", "late_seconds"]
    assert late[1:] == ["Invoice, please", f"http://testserver/tickets/{late[0]}/", "first_response",
                        "2026-10-04T00:00:00+00:00", "2026-10-07T00:00:00+00:00", "259200"]  # fmt: skip
    assert (waiting[1], waiting[5], waiting[6]) == ("Late check-in", "", "7200")


def test_csv_with_bad_dates_answers_422_with_the_reason(supervisor: User, acme: Organisation) -> None:
    for path in ("/reports/sla.csv", f"/reports/sla/contracts/{acme.pk}.csv"):
        response = client_for(supervisor).get(f"{path}?start=2026-10-05&end=2026-10-01")

        assert (response.status_code, response.content.decode()) == (422, "The end date is before the start date.")


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/reports/sla/", "/reports/sla.csv", "/reports/sla/contracts/?organisation=1", "{contract}/", "{contract}.csv"],
)
def test_agents_get_403_on_the_pages(path: str, acme: Organisation) -> None:
    agent = UserFactory.create(role=Role.AGENT)

    response = client_for(agent).get(path.format(contract=f"/reports/sla/contracts/{acme.pk}"))

    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/reports/sla", "/reports/sla.csv", "{contract}", "{contract}.csv"])
def test_agents_get_403_from_the_api(path: str, acme: Organisation) -> None:
    response = api_client(UserFactory.create(role=Role.AGENT)).get(
        "/api/v1" + path.format(contract=f"/reports/sla/contracts/{acme.pk}")
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# --- API ----------------------------------------------------------------------------------------


def test_api_attainment_has_the_total_and_each_breakdown(supervisor: User, acme: Organisation) -> None:
    response = api_client(supervisor).get(f"/api/v1/reports/sla?{OCTOBER}")

    assert response.status_code == 200
    body = response.json()
    assert (body["first_day"], body["last_day"], body["metric"], body["team"]) == (
        "2026-10-01", "2026-10-31", None, None,
    )  # fmt: skip
    assert body["total"]["first_response"] == {"met": 1, "breached": 2, "attainment": pytest.approx(1 / 3)}
    assert body["total"]["next_response"] == {"met": 0, "breached": 0, "attainment": None}
    assert body["total"]["overall"] == {"met": 2, "breached": 2, "attainment": 0.5}
    assert [row["name"] for row in body["policies"]] == ["Gold"]
    assert [row["name"] for row in body["teams"]] == ["Support"]
    assert [row["name"] for row in body["agents"]] == ["Ana Agent"]
    assert [(row["id"], row["name"]) for row in body["organisations"]] == [(acme.pk, "Acme Hotels")]


def test_api_attainment_filters_by_metric_and_team(supervisor: User, acme: Organisation) -> None:
    other = TeamFactory.create()

    by_metric = api_client(supervisor).get(f"/api/v1/reports/sla?{OCTOBER}&metric=resolution").json()
    by_team = api_client(supervisor).get(f"/api/v1/reports/sla?{OCTOBER}&team={other.pk}").json()

    assert (by_metric["metric"], by_metric["total"]["overall"]["met"], by_metric["total"]["overall"]["breached"]) == (
        "resolution", 1, 0,
    )  # fmt: skip
    assert (by_team["team"], by_team["total"]["overall"]["met"], by_team["policies"]) == (other.pk, 0, [])


def test_api_contract_report_has_the_summary_and_the_breaches(supervisor: User, acme: Organisation) -> None:
    response = api_client(supervisor).get(f"/api/v1/reports/sla/contracts/{acme.pk}?{OCTOBER}")

    assert response.status_code == 200
    body = response.json()
    assert (body["organisation_id"], body["organisation"], body["tickets_created"]) == (acme.pk, "Acme Hotels", 3)
    (gold,) = body["contracts"]
    assert (gold["name"], gold["policy"], gold["starts_on"], gold["ends_on"]) == (
        "Gold 2026",
        "Gold",
        "2026-01-01",
        None,
    )
    assert body["first_response"] == {"met": 1, "breached": 2, "attainment": pytest.approx(1 / 3)}
    assert body["average_first_response_seconds"] == 2400
    late, waiting = body["breaches"]
    assert late | {"ticket_id": 0} == {
        "ticket_id": 0, "subject": "Invoice, please", "url": f"http://testserver/tickets/{late['ticket_id']}/",
        "metric": "first_response", "due_at": "2026-10-04T00:00:00Z", "stopped_at": "2026-10-07T00:00:00Z",
        "late_seconds": 259200,
    }  # fmt: skip
    assert (waiting["stopped_at"], waiting["late_seconds"]) == (None, 7200)


def test_api_contract_csv_streams_the_same(supervisor: User, acme: Organisation) -> None:
    response = api_client(supervisor).get(f"/api/v1/reports/sla/contracts/{acme.pk}.csv?{OCTOBER}")

    assert response.status_code == 200
    lines = rows(streamed(response))
    assert lines[0] == ["organisation", "Acme Hotels"]
    assert [line[1] for line in lines[lines.index([]) + 2 :]] == ["Invoice, please", "Late check-in"]


def test_api_attainment_csv_streams_the_table(supervisor: User, acme: Organisation) -> None:
    response = api_client(supervisor).get(f"/api/v1/reports/sla.csv?{OCTOBER}&metric=first_response")

    header, total, *_rest = rows(streamed(response))
    assert dict(zip(header, total, strict=True))["attainment"] == "0.3333"


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/reports/sla", "metric=happiness", "metric"),
        ("/reports/sla", "team=999999", "team"),
        ("/reports/sla.csv", "start=2026-10-05&end=2026-10-01", "end"),
        ("/reports/sla/contracts/{acme}", "start=2026-02-30&end=2026-03-01", "start"),
        ("/reports/sla/contracts/{acme}.csv", "period=fortnight", "period"),
    ],
)
def test_api_refuses_bad_input_with_422_and_its_field(
    supervisor: User, acme: Organisation, path: str, query: str, field: str
) -> None:
    response = api_client(supervisor).get(f"/api/v1{path.format(acme=acme.pk)}?{query}")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_api_contract_report_of_an_unknown_organisation_is_404(supervisor: User) -> None:
    response = api_client(supervisor).get("/api/v1/reports/sla/contracts/999999")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_the_endpoints_are_in_the_openapi_document_with_typed_schemas(supervisor: User) -> None:
    document = client_for(supervisor).get("/api/v1/openapi.json").json()

    paths = document["paths"]
    assert {"/api/v1/reports/sla", "/api/v1/reports/sla.csv"} <= set(paths)
    assert "/api/v1/reports/sla/contracts/{organisation_id}.csv" in paths
    contract = paths["/api/v1/reports/sla/contracts/{organisation_id}"]["get"]
    assert contract["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ContractReportOut"
    }
    schemas = document["components"]["schemas"]
    assert schemas["BreachOut"]["properties"]["metric"]["enum"] == ["first_response", "next_response", "resolution"]
    assert set(schemas["SlaReportOut"]["properties"]) >= {"policies", "teams", "agents", "organisations", "total"}
