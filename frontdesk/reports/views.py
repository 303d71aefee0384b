"""The report pages (mounted at /reports/): the agent report with its charts, and its CSV downloads.

Supervisors and admins only: `require_manager` refuses everyone else, and `agent_view`
turns that into a 403. A period the query string cannot name (a bad date, an end
before the start) answers 422: the page shows the picker with the error, a download
says it in plain text.
"""

from datetime import datetime

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontdesk.accounts.models import User
from frontdesk.accounts.selectors import team_list
from frontdesk.reports.charts import report_charts
from frontdesk.reports.exports import (
    CsvResponse,
    agent_csv_rows,
    csv_filename,
    csv_lines,
    ticket_csv_rows,
)
from frontdesk.reports.forms import PeriodForm
from frontdesk.reports.selectors import agent_report, received_tickets, report_total, require_manager
from frontdesk.workspace.views import HtmxHttpRequest, agent_view


def _form(request: HtmxHttpRequest, user: User, now: datetime) -> PeriodForm:
    return PeriodForm(request.GET, teams=list(team_list(user=user)), now=now)


def _bad_period(form: PeriodForm) -> HttpResponse:
    return HttpResponse(form.error_text(), status=422, content_type="text/plain; charset=utf-8")


@require_GET
@agent_view
def agents(request: HtmxHttpRequest) -> HttpResponse:
    user, now = require_manager(request.user), timezone.now()
    form = _form(request, user, now)
    context: dict[str, object] = {"form": form, "query": request.GET.urlencode(), "active_view": "reports"}
    if not form.is_valid():
        return render(request, "reports/agents.html", context, status=422)
    period = form.report_period
    rows = agent_report(user=user, start=period.start, end=period.end, now=now, team_id=form.team_id)
    context.update(period=period, rows=rows, total=report_total(rows, _("Total")), charts=report_charts(rows))
    return render(request, "reports/agents.html", context)


@require_GET
@agent_view
def agents_csv(request: HtmxHttpRequest) -> HttpResponseBase:
    user, now = require_manager(request.user), timezone.now()
    form = _form(request, user, now)
    if not form.is_valid():
        return _bad_period(form)
    period = form.report_period
    rows = agent_report(user=user, start=period.start, end=period.end, now=now, team_id=form.team_id)
    return CsvResponse(csv_lines(agent_csv_rows(rows)), filename=csv_filename("agents", period))


@require_GET
@agent_view
def tickets_csv(request: HtmxHttpRequest) -> HttpResponseBase:
    user, now = require_manager(request.user), timezone.now()
    form = _form(request, user, now)
    if not form.is_valid():
        return _bad_period(form)
    period = form.report_period
    tickets = received_tickets(user=user, start=period.start, end=period.end, team_id=form.team_id)
    return CsvResponse(csv_lines(ticket_csv_rows(tickets)), filename=csv_filename("tickets", period))
