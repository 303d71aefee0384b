"""REST endpoints of the reports: the agent report as JSON, and the CSV exports. Supervisors and admins only."""

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Query, Router

from frontdesk.api.auth import request_agent
from frontdesk.api.schemas import ERRORS
from frontdesk.reports.exports import CsvResponse, agent_csv_rows, csv_filename, csv_lines, ticket_csv_rows
from frontdesk.reports.schemas import AgentReportOut, ReportQuery, metrics_out
from frontdesk.reports.selectors import agent_report, received_tickets, report_total, require_manager

router = Router(tags=["reports"])
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
