"""The report pages (mounted at /reports/): the agent report and the SLA attainment report with
their charts, one customer's contract report, the survey dashboard with the answers behind each of
its figures, and their CSV downloads.

Supervisors and admins only: `require_manager` refuses everyone else, and `agent_view`
turns that into a 403. A period the query string cannot name (a bad date, an end
before the start) answers 422: the page shows the picker with the error, a download
says it in plain text.
"""

from datetime import datetime

from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontdesk.accounts.models import User
from frontdesk.accounts.selectors import team_list
from frontdesk.reports.charts import report_charts, sla_sections
from frontdesk.reports.exports import (
    CsvResponse,
    agent_csv_rows,
    contract_csv_rows,
    csv_filename,
    csv_lines,
    sla_csv_rows,
    survey_csv_rows,
    ticket_csv_rows,
)
from frontdesk.reports.forms import ContractForm, PeriodForm, SlaForm, SurveyAnswersForm, SurveyForm
from frontdesk.reports.selectors import (
    SLA_METRICS,
    ContractReport,
    agent_report,
    contract_organisations,
    contract_report,
    received_tickets,
    report_total,
    require_manager,
    sla_report,
)
from frontdesk.reports.survey_dashboard import answers_page, survey_dashboard
from frontdesk.surveys import scores
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


# --- SLA attainment ----------------------------------------------------------------------


def _sla_form(request: HtmxHttpRequest, user: User, now: datetime) -> SlaForm:
    return SlaForm(request.GET, teams=list(team_list(user=user)), now=now)


@require_GET
@agent_view
def sla(request: HtmxHttpRequest) -> HttpResponse:
    user, now = require_manager(request.user), timezone.now()
    form = _sla_form(request, user, now)
    context: dict[str, object] = {
        "form": form,
        "query": request.GET.urlencode(),
        "active_view": "reports",
        "organisations": list(contract_organisations(user=user)),
    }
    if not form.is_valid():
        return render(request, "reports/sla.html", context, status=422)
    period = form.report_period
    report = sla_report(
        user=user, start=period.start, end=period.end, now=now, metric=form.chosen_metric, team_id=form.team_id
    )
    kept = _period_only(request)
    context.update(
        period=period,
        report=report,
        sections=sla_sections(report),
        period_query=kept.urlencode(),
        period_fields=[(name, value) for name, values in kept.lists() for value in values],
    )
    return render(request, "reports/sla.html", context)


@require_GET
@agent_view
def sla_csv(request: HtmxHttpRequest) -> HttpResponseBase:
    user, now = require_manager(request.user), timezone.now()
    form = _sla_form(request, user, now)
    if not form.is_valid():
        return _bad_period(form)
    period = form.report_period
    report = sla_report(
        user=user, start=period.start, end=period.end, now=now, metric=form.chosen_metric, team_id=form.team_id
    )
    return CsvResponse(csv_lines(sla_csv_rows(report)), filename=csv_filename("sla", period))


def _period_only(request: HtmxHttpRequest) -> QueryDict:
    """The query string's period alone, carried from the SLA report to a contract report."""
    kept = request.GET.copy()
    for name in list(kept):
        if name not in ("period", "start", "end"):
            del kept[name]
    return kept


@require_GET
@agent_view
def sla_contract_pick(request: HtmxHttpRequest) -> HttpResponseBase:
    """The organisation picker's answer: the contract report of the one picked, for the same period."""
    require_manager(request.user)
    organisation = request.GET.get("organisation", "")
    if not organisation.isdigit():
        return HttpResponse(_("Choose an organisation."), status=422, content_type="text/plain; charset=utf-8")
    address = reverse("reports:sla_contract", kwargs={"organisation_id": int(organisation)})
    query = _period_only(request).urlencode()
    return HttpResponseRedirect(f"{address}?{query}" if query else address)


def _contract(request: HtmxHttpRequest, organisation_id: int) -> tuple[ContractForm, ContractReport | None]:
    user, now = require_manager(request.user), timezone.now()
    form = ContractForm(request.GET, now=now)
    if not form.is_valid():
        return form, None
    report = contract_report(user=user, organisation_id=organisation_id, period=form.report_period, now=now)
    return form, report


@require_GET
@agent_view
def sla_contract(request: HtmxHttpRequest, organisation_id: int) -> HttpResponse:
    form, report = _contract(request, organisation_id)
    context: dict[str, object] = {
        "form": form,
        "report": report,
        "organisation_id": organisation_id,
        "metrics": SLA_METRICS,
        "query": request.GET.urlencode(),
        "active_view": "reports",
    }
    if report is None:
        return render(request, "reports/sla_contract.html", context, status=422)
    context["period"] = form.report_period
    return render(request, "reports/sla_contract.html", context)


@require_GET
@agent_view
def sla_contract_csv(request: HtmxHttpRequest, organisation_id: int) -> HttpResponseBase:
    form, report = _contract(request, organisation_id)
    if report is None:
        return _bad_period(form)
    period = form.report_period
    rows = contract_csv_rows(report, period=period, link=lambda pk: _ticket_link(request, pk))
    name = slugify(report.organisation.name) or str(report.organisation.pk)
    return CsvResponse(csv_lines(rows), filename=csv_filename(f"sla-{name}", period))


def _ticket_link(request: HtmxHttpRequest, ticket_id: int) -> str:
    return request.build_absolute_uri(reverse("workspace:ticket", kwargs={"ticket_id": ticket_id}))


# --- survey dashboards (FB6) -----------------------------------------------------------------


def _survey_form(request: HtmxHttpRequest, user: User, now: datetime) -> SurveyForm:
    return SurveyForm(request.GET, user=user, now=now)


@require_GET
@agent_view
def surveys(request: HtmxHttpRequest) -> HttpResponse:
    user, now = require_manager(request.user), timezone.now()
    form = _survey_form(request, user, now)
    context: dict[str, object] = {"form": form, "query": request.GET.urlencode(), "active_view": "reports"}
    if not form.is_valid():
        return render(request, "reports/surveys.html", context, status=422)
    context.update(survey_dashboard(form))
    return render(request, "reports/surveys.html", context)


@require_GET
@agent_view
def surveys_csv(request: HtmxHttpRequest) -> HttpResponseBase:
    """The breakdown by the chosen dimension, every row, and the total."""
    user, now = require_manager(request.user), timezone.now()
    form = _survey_form(request, user, now)
    if not form.is_valid():
        return _bad_period(form)
    period, filters, dimension = form.report_period, form.filters, form.chosen_dimension
    rows = scores.breakdown(start=period.start, end=period.end, dimension=dimension, filters=filters)
    total = scores.summary(start=period.start, end=period.end, filters=filters)
    lines = csv_lines(survey_csv_rows(dimension, rows, total))
    return CsvResponse(lines, filename=csv_filename(f"surveys-by-{dimension.replace('_', '-')}", period))


@require_GET
@agent_view
def survey_answers(request: HtmxHttpRequest) -> HttpResponse:
    """The answers behind a figure of the dashboard, newest first, 50 a page."""
    user, now = require_manager(request.user), timezone.now()
    form = SurveyAnswersForm(request.GET, user=user, now=now)
    context: dict[str, object] = {"form": form, "active_view": "reports"}
    if not form.is_valid():
        return render(request, "reports/surveys_answers.html", context, status=422)
    context.update(answers_page(form, request.GET))
    return render(request, "reports/surveys_answers.html", context)
