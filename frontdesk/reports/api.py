"""REST endpoints of the reports: the agent report and SLA attainment as JSON, one customer's contract
report, and the CSV exports. Supervisors and admins only."""

from collections.abc import Callable
from typing import Annotated, Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Path, Query, Router

from frontdesk.api.auth import request_agent
from frontdesk.api.schemas import ERRORS, Id
from frontdesk.reports.exports import (
    CsvResponse,
    agent_csv_rows,
    contract_csv_rows,
    csv_filename,
    csv_lines,
    sla_csv_rows,
    ticket_csv_rows,
)
from frontdesk.reports.schemas import (
    AgentReportOut,
    ContractReportOut,
    PeriodQuery,
    ReportQuery,
    SlaReportOut,
    SlaReportQuery,
    contract_report_out,
    metrics_out,
    sla_report_out,
)
from frontdesk.reports.selectors import (
    agent_report,
    contract_report,
    received_tickets,
    report_total,
    require_manager,
    sla_report,
)

router = Router(tags=["reports"])
PathId = Annotated[Id, Path(description="The organisation's id.")]
CSV = {"responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}}


@router.get("/reports/agents", response={200: AgentReportOut, **ERRORS}, summary="Agent report")
def agent_report_json(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    """Each agent's tickets received, pending and closed, response times, work and invisible time and
    inquiry-to-booking conversion over a period, and their total. See docs/reports.md for each figure."""
    user, now = require_manager(request_agent(request)), timezone.now()
    period = query.report_period(now=now, zone=timezone.get_current_timezone())
    rows = agent_report(user=user, start=period.start, end=period.end, now=now, team_id=query.team)
    return {
        "start": period.start,
        "end": period.end,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "team": query.team,
        "agents": [metrics_out(row) for row in rows],
        "total": metrics_out(report_total(rows, "Total")),
    }


@router.get("/reports/agents.csv", response={200: None, **ERRORS}, summary="Agent report as CSV", openapi_extra=CSV)
def agent_report_csv(request: HttpRequest, query: Query[ReportQuery]) -> HttpResponseBase:
    """The agent report's table, one row per agent, with the same fields as the JSON."""
    user, now = require_manager(request_agent(request)), timezone.now()
    period = query.report_period(now=now, zone=timezone.get_current_timezone())
    rows = agent_report(user=user, start=period.start, end=period.end, now=now, team_id=query.team)
    return CsvResponse(csv_lines(agent_csv_rows(rows)), filename=csv_filename("agents", period))


@router.get(
    "/reports/tickets.csv", response={200: None, **ERRORS}, summary="Tickets received, as CSV", openapi_extra=CSV
)
def received_tickets_csv(request: HttpRequest, query: Query[ReportQuery]) -> HttpResponseBase:
    """One row per ticket received in the period (the report's Received column): id, subject, agent,
    team, channel, booking stage, status, outcome, created, assigned, first response seconds, solved.
    Streamed: any range, in constant memory."""
    user = require_manager(request_agent(request))
    period = query.report_period(now=timezone.now(), zone=timezone.get_current_timezone())
    tickets = received_tickets(user=user, start=period.start, end=period.end, team_id=query.team)
    return CsvResponse(csv_lines(ticket_csv_rows(tickets)), filename=csv_filename("tickets", period))


# --- SLA attainment ----------------------------------------------------------------------


@router.get("/reports/sla", response={200: SlaReportOut, **ERRORS}, summary="SLA attainment")
def sla_report_json(request: HttpRequest, query: Query[SlaReportQuery]) -> dict[str, object]:
    """SLA attainment over a period (met, breached and met / (met + breached) per metric and overall),
    in total and by policy, team, agent and organisation. See docs/reports.md for which clocks count."""
    user, now = require_manager(request_agent(request)), timezone.now()
    period = query.report_period(now=now, zone=timezone.get_current_timezone())
    report = sla_report(user=user, start=period.start, end=period.end, now=now, metric=query.metric, team_id=query.team)
    return sla_report_out(report, period)


@router.get("/reports/sla.csv", response={200: None, **ERRORS}, summary="SLA attainment as CSV", openapi_extra=CSV)
def sla_report_csv(request: HttpRequest, query: Query[SlaReportQuery]) -> HttpResponseBase:
    """One table: the total, then a row per policy, team, agent and organisation (column `breakdown`),
    with met, breached and attainment (0–1) per metric and overall."""
    user, now = require_manager(request_agent(request)), timezone.now()
    period = query.report_period(now=now, zone=timezone.get_current_timezone())
    report = sla_report(user=user, start=period.start, end=period.end, now=now, metric=query.metric, team_id=query.team)
    return CsvResponse(csv_lines(sla_csv_rows(report)), filename=csv_filename("sla", period))


def _ticket_link(request: HttpRequest) -> Callable[[int], str]:
    return lambda ticket_id: request.build_absolute_uri(reverse("workspace:ticket", args=[ticket_id]))


@router.get(
    "/reports/sla/contracts/{int:organisation_id}",
    response={200: ContractReportOut, **ERRORS},
    summary="Contract report for one organisation",
)
def sla_contract_report_json(
    request: HttpRequest, organisation_id: PathId, query: Query[PeriodQuery]
) -> dict[str, object]:
    """One customer's SLA over a period: their contracts running in it with their policies, the
    tickets they created, attainment per metric, the average first response, and every breach with
    a link to its ticket."""
    user, now = require_manager(request_agent(request)), timezone.now()
    period = query.report_period(now=now, zone=timezone.get_current_timezone())
    report = contract_report(user=user, organisation_id=organisation_id, period=period, now=now)
    return contract_report_out(report, period, _ticket_link(request))


@router.get(
    "/reports/sla/contracts/{int:organisation_id}.csv",
    response={200: None, **ERRORS},
    summary="Contract report as CSV",
    openapi_extra=CSV,
)
def sla_contract_report_csv(
    request: HttpRequest, organisation_id: PathId, query: Query[PeriodQuery]
) -> HttpResponseBase:
    """The contract report as one CSV: a block of `name,value` rows (organisation, period, one
    `contract` row per contract, tickets created, met / breached / attainment per metric, average
    first response), an empty row, then the breaches with their own header row
    (ticket_id, subject, url, metric, due_at, stopped_at, late_seconds)."""
    user, now = require_manager(request_agent(request)), timezone.now()
    period = query.report_period(now=now, zone=timezone.get_current_timezone())
    report = contract_report(user=user, organisation_id=organisation_id, period=period, now=now)
    rows = contract_csv_rows(report, period=period, link=_ticket_link(request))
    name = slugify(report.organisation.name) or str(report.organisation.pk)
    return CsvResponse(csv_lines(rows), filename=csv_filename(f"sla-{name}", period))
