"""The report pages (mounted at /reports/): the agent report and the SLA attainment report with
their charts, one customer's contract report, the survey dashboard with the answers behind each of
its figures, and their CSV downloads.

Supervisors and admins only: `require_manager` refuses everyone else, and `agent_view`
turns that into a 403. A period the query string cannot name (a bad date, an end
before the start) answers 422: the page shows the picker with the error, a download
says it in plain text.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import User
from frontdesk.accounts.selectors import agent_list, organisation_list, team_list
from frontdesk.reports.charts import BREAKDOWN_LABELS, BREAKDOWN_TITLES, Series, bar_chart, report_charts, sla_charts
from frontdesk.reports.exports import (
    CsvResponse,
    agent_csv_rows,
    contract_csv_rows,
    csv_filename,
    csv_lines,
    sla_csv_rows,
    ticket_csv_rows,
)
from frontdesk.reports.forms import ContractForm, PeriodForm, SlaForm
from frontdesk.reports.periods import Preset
from frontdesk.reports.selectors import (
    BREAKDOWNS,
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
from frontdesk.surveys import scores
from frontdesk.surveys.models import QuestionKind, Sentiment
from frontdesk.surveys.selectors import survey_list
from frontdesk.tickets.models import BookingStage, Channel
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
    charts = sla_charts(report)
    sections = [
        (key, BREAKDOWN_TITLES[key], BREAKDOWN_LABELS[key], report.breakdowns[key], charts[key]) for key in BREAKDOWNS
    ]
    kept = _period_only(request)
    context.update(
        period=period,
        report=report,
        sections=sections,
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

BUCKET_CHOICES = [("", _lazy("Automatic")), ("day", _lazy("Day")), ("week", _lazy("Week")), ("month", _lazy("Month"))]
BREAKDOWN_ROWS_SHOWN = 50  # the table's rows (most answered first); the CSV has them all
CHART_ROWS = 15
TREND_THEMES = 5  # the themes followed over time: the period's most frequent
IDEAS_SHOWN = 10


class QuickSelect(forms.Select):
    """A select written out here: Django's widget templates take about half a millisecond an option,
    a second for the 2,000 organisations of a large customer base."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        chosen = "" if value is None else str(value)
        selected = mark_safe(" selected")  # a constant
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, selected if str(key) == chosen else "", label) for key, label in self.choices),
        )
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        return format_html("<select{}>{}</select>", attributes, options)


class DimensionChoice(forms.ChoiceField):
    """A filter of one dimension: "" any, NOT_SET none, one of the listed values — or, for ids, any id
    (a breakdown row of a deactivated agent or a deleted survey still drills down)."""

    widget = QuickSelect

    def __init__(self, *, label: StrOrPromise, ids: bool) -> None:
        super().__init__(label=label, required=False)
        self.ids = ids

    def valid_value(self, value: str) -> bool:
        return super().valid_value(value) or (self.ids and value.isdigit())


class SurveyForm(PeriodForm):
    """The survey dashboard's picker: the period, a filter per dimension, the trend's bucket and the
    breakdown's dimension. (The report pickers' form: it parses, the scores module reads.)"""

    survey = DimensionChoice(label=_lazy("Survey"), ids=True)
    agent = DimensionChoice(label=_lazy("Agent"), ids=True)
    organisation = DimensionChoice(label=_lazy("Organisation"), ids=True)
    channel = DimensionChoice(label=_lazy("Channel"), ids=False)
    region = forms.CharField(label=_lazy("Region"), required=False, max_length=100)
    product = forms.CharField(label=_lazy("Product"), required=False, max_length=100)
    booking_stage = DimensionChoice(label=_lazy("Booking stage"), ids=False)
    bucket = forms.ChoiceField(label=_lazy("Trend by"), required=False, choices=BUCKET_CHOICES)
    dimension = forms.ChoiceField(label=_lazy("Breakdown by"), required=False, choices=list(scores.DIMENSIONS.items()))

    def __init__(self, data: Any, *, user: User, now: datetime) -> None:
        super().__init__(data, teams=[], now=now)
        self.fields["team"] = DimensionChoice(label=_lazy("Team"), ids=True)
        listed: dict[str, list[tuple[str, str]]] = {
            "survey": [(str(pk), name) for pk, name in survey_list(user=user).values_list("pk", "name")],
            "team": [(str(pk), name) for pk, name in team_list(user=user).values_list("pk", "name")],
            "agent": [(str(pk), name) for pk, name in agent_list(user=user).values_list("pk", "name")],
            "organisation": [(str(pk), name) for pk, name in organisation_list(user=user).values_list("pk", "name")],
            "channel": [(value, str(label)) for value, label in Channel.choices],
            "booking_stage": [(value, str(label)) for value, label in BookingStage.choices],
        }
        for name, choices in listed.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # the fields declared above
            chosen = str(self.data.get(name, ""))
            if chosen.isdigit() and chosen not in {value for value, _label in choices}:
                choices.append((chosen, f"#{chosen}"))  # shown as chosen, though no longer listed
            field.choices = [("", _("All")), (scores.NOT_SET, _("Not set")), *choices]
        self.fields["region"].widget.attrs["placeholder"] = _("All")
        self.fields["product"].widget.attrs["placeholder"] = _("All")
        self.order_fields(["period", "start", "end", "survey", "team", "agent", "organisation", "channel"])

    @property
    def filters(self) -> scores.Filters:
        values: dict[str, Any] = {}
        for name, column in scores.COLUMNS.items():
            value = str(self.cleaned_data.get(name) or "").strip()
            if column.endswith("_id"):
                values[column] = None if not value else 0 if value == scores.NOT_SET else int(value)
            else:
                values[column] = value
        return scores.Filters(**values)

    @property
    def chosen_bucket(self) -> str:
        """The one chosen, else by the period's length: days up to a month, weeks up to half a year."""
        chosen: str = self.cleaned_data.get("bucket") or ""
        if chosen:
            return chosen
        days = (self.report_period.last_day - self.report_period.first_day).days + 1
        return "day" if days <= 31 else "week" if days <= 183 else "month"

    @property
    def chosen_dimension(self) -> str:
        return self.cleaned_data.get("dimension") or "agent"


class SurveyAnswersForm(SurveyForm):
    """The drill-down's selection: the dashboard's period and filters, and what the figure counted."""

    kind = forms.ChoiceField(required=False, choices=[("", ""), *QuestionKind.choices])
    score = forms.IntegerField(required=False)
    score_min = forms.IntegerField(required=False)
    score_max = forms.IntegerField(required=False)
    theme = forms.CharField(required=False, max_length=100)
    sentiment = forms.ChoiceField(required=False, choices=[("", ""), *Sentiment.choices])
    ideas = forms.BooleanField(required=False)
    text = forms.CharField(required=False, max_length=200)
    cursor = forms.CharField(required=False, max_length=200)

    def selection(self) -> dict[str, Any]:
        """What scores.answers narrows to, besides the period and the filters."""
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "score": data.get("score"),
            "score_min": data.get("score_min"),
            "score_max": data.get("score_max"),
            "theme": data.get("theme") or "",
            "sentiment": data.get("sentiment") or "",
            "ideas": bool(data.get("ideas")),
            "text": (data.get("text") or "").strip(),
            "cursor": data.get("cursor") or None,
        }


def _filter_params(filters: scores.Filters) -> dict[str, str]:
    params = {}
    for name, column in scores.COLUMNS.items():
        value = getattr(filters, column)
        if value is None or value == "":
            continue
        params[name] = scores.NOT_SET if value == 0 and column.endswith("_id") else str(value)
    return params


def _days_params(first: date, last: date) -> dict[str, str]:
    return {"period": Preset.CUSTOM, "start": first.isoformat(), "end": last.isoformat()}


def _answers_url(params: dict[str, str]) -> str:
    return f"{reverse('reports:survey_answers')}?{urlencode(params)}"


def _figure_links(params: dict[str, str]) -> dict[str, str]:
    """The drill-down behind each figure of a summary (for one period and filters)."""
    return {
        "answers": _answers_url(params),
        "csat": _answers_url({**params, "kind": QuestionKind.CSAT}),
        "nps": _answers_url({**params, "kind": QuestionKind.NPS}),
        "promoters": _answers_url({**params, "kind": QuestionKind.NPS, "score_min": "9"}),
        "passives": _answers_url({**params, "kind": QuestionKind.NPS, "score_min": "7", "score_max": "8"}),
        "detractors": _answers_url({**params, "kind": QuestionKind.NPS, "score_max": "6"}),
        "ces": _answers_url({**params, "kind": QuestionKind.CES}),
    }


@dataclass(frozen=True)
class FigureRow:
    """A summary as the page shows it: a name (a bucket, a breakdown row), the figures, and the
    drill-down address of each."""

    name: str
    summary: scores.Summary
    links: dict[str, str]
    key: str = ""


def _percent(value: float) -> str:
    return f"{formats.number_format(value, 1)} %"


def _bucket_name(day: date, bucket: str) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT" if bucket == "month" else "SHORT_DATE_FORMAT")


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
    context.update(_survey_dashboard(form))
    return render(request, "reports/surveys.html", context)


def _survey_dashboard(form: SurveyForm) -> dict[str, object]:
    """Every figure of the page, each with the address of the answers behind it."""
    period, filters, bucket, dimension = form.report_period, form.filters, form.chosen_bucket, form.chosen_dimension
    start, end = period.start, period.end
    base = {**_days_params(period.first_day, period.last_day), **_filter_params(filters)}

    def bucket_params(first: date, following: date) -> dict[str, str]:
        days = _days_params(max(first, period.first_day), min(following - timedelta(days=1), period.last_day))
        return {**base, **days}

    points = scores.trend(start=start, end=end, bucket=bucket, filters=filters)
    bucket_ends = [*(point.start for point in points[1:]), scores.bucket_days(start=start, end=end, bucket=bucket)[-1]]
    trend = [
        FigureRow(
            name=_bucket_name(point.start, bucket),
            key=point.start.isoformat(),
            summary=point.summary,
            links=_figure_links(bucket_params(point.start, following)),
        )
        for point, following in zip(points, bucket_ends, strict=True)
    ]
    breakdown = [
        FigureRow(
            name=row.label,
            key=row.key,
            summary=row.summary,
            links=_figure_links({**base, **_filter_params(scores.narrowed(filters, dimension, row.key))}),
        )
        for row in scores.breakdown(start=start, end=end, dimension=dimension, filters=filters)
    ]
    themes = scores.themes(start=start, end=end, filters=filters)
    followed = themes[:TREND_THEMES]
    themes_over_time = [
        (
            _bucket_name(first, bucket),
            [
                (counts.get(theme.key, 0), _answers_url({**bucket_params(first, following), "theme": theme.key}))
                for theme in followed
            ],
        )
        for (first, counts), following in zip(
            scores.themes_over_time(start=start, end=end, bucket=bucket, filters=filters), bucket_ends, strict=True
        )
    ]
    return {
        "period": period,
        "bucket": bucket,
        "dimension": dimension,
        "dimension_label": scores.DIMENSIONS[dimension],
        "total": FigureRow(
            name=str(_("All")), summary=scores.summary(start=start, end=end, filters=filters), links=_figure_links(base)
        ),
        "trend": trend,
        "trend_chart": bar_chart(
            title=_("CSAT and response rate"),
            series=[
                Series(_("CSAT"), lambda row: row.summary.csat),
                Series(_("Response rate"), lambda row: row.summary.response_rate),
            ],
            rows=trend,
            shown=_percent,
            keep_zero=True,
            scale_to=100.0,
        ),
        "breakdown": breakdown[:BREAKDOWN_ROWS_SHOWN],
        "breakdown_count": len(breakdown),
        "breakdown_chart": bar_chart(
            title=_("CSAT by %(dimension)s") % {"dimension": str(scores.DIMENSIONS[dimension]).lower()},
            series=[Series(_("CSAT"), lambda row: row.summary.csat)],
            rows=breakdown[:CHART_ROWS],
            shown=_percent,
            keep_zero=True,
            scale_to=100.0,
        ),
        "themes": [
            (
                theme,
                _answers_url({**base, "theme": theme.key}),
                _answers_url({**base, "theme": theme.key, "sentiment": Sentiment.NEGATIVE}),
                round(100 * theme.negative / theme.count) if theme.count else 0,
            )
            for theme in themes
        ],
        "followed_themes": followed,
        "themes_over_time": themes_over_time,
        "phrases": [
            (
                name,
                [
                    (phrase, count, _answers_url({**_days_params(period.first_day, period.last_day), "text": phrase}))
                    for phrase, count in scores.phrases(start=start, end=end, language=code)
                ],
            )
            for code, name in settings.LANGUAGES
        ],
        "ideas": scores.answers(start=start, end=end, filters=filters, ideas=True, limit=IDEAS_SHOWN).items,
        "ideas_link": _answers_url({**base, "ideas": "on"}),
        "dashboard_query": urlencode(base),
    }


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
    lines = csv_lines(_survey_csv_rows(dimension, rows, total))
    return CsvResponse(lines, filename=csv_filename(f"surveys-by-{dimension.replace('_', '-')}", period))


SURVEY_CSV_FIGURES = [
    "csat", "csat_answers", "nps", "nps_answers", "promoters", "passives", "detractors", "ces", "ces_answers",
    "sent", "answered", "response_rate",
]  # fmt: skip


def _survey_csv_rows(dimension: str, rows: list[scores.BreakdownRow], total: scores.Summary) -> Iterator[list[object]]:
    """Stable snake_case headers (like the other report CSVs); an empty figure is an empty cell."""
    yield [dimension, "name", *SURVEY_CSV_FIGURES]
    for row in rows:
        yield [row.key, row.label, *("" if (v := getattr(row.summary, f)) is None else v for f in SURVEY_CSV_FIGURES)]
    yield ["", _("Total"), *("" if (v := getattr(total, f)) is None else v for f in SURVEY_CSV_FIGURES)]


@require_GET
@agent_view
def survey_answers(request: HtmxHttpRequest) -> HttpResponse:
    """The answers behind a figure of the dashboard, newest first, 50 a page."""
    user, now = require_manager(request.user), timezone.now()
    form = SurveyAnswersForm(request.GET, user=user, now=now)
    context: dict[str, object] = {"form": form, "active_view": "reports"}
    if not form.is_valid():
        return render(request, "reports/surveys_answers.html", context, status=422)
    period, filters, selection = form.report_period, form.filters, form.selection()
    page = scores.answers(start=period.start, end=period.end, filters=filters, **selection)
    labels = _theme_labels()
    comments = scores.comments_of(page.items)
    following = request.GET.copy()
    following["cursor"] = page.next_cursor or ""
    base = {**_days_params(period.first_day, period.last_day), **_filter_params(filters)}
    context.update(
        period=period,
        items=[
            (answer, comment, [labels.get(key, key) for key in comment.themes] if comment else [])
            for answer in page.items
            for comment in [comments.get(answer.pk)]
        ],
        next_query=following.urlencode() if page.next_cursor else "",
        first_query=_without(request.GET, "cursor") if selection["cursor"] else "",
        dashboard_query=urlencode(base),
        chosen=_chosen(form, selection, labels),
    )
    return render(request, "reports/surveys_answers.html", context)


def _without(query: QueryDict, name: str) -> str:
    kept = query.copy()
    kept.pop(name, None)
    return kept.urlencode()


def _theme_labels() -> dict[str, str]:
    from frontdesk.surveys import text

    return {key: str(theme.label) for key, theme in text.THEMES.items()}


def _chosen(form: SurveyAnswersForm, selection: dict[str, Any], themes: dict[str, str]) -> list[tuple[str, str]]:
    """What the list is narrowed to, as (what, value) for the page's heading."""
    chosen: list[tuple[str, str]] = []
    for name in scores.DIMENSIONS:
        value = str(form.cleaned_data.get(name) or "")
        if value:
            field = form.fields[name]
            shown = (
                dict(cast(list[tuple[str, str]], field.choices)).get(value, value)
                if isinstance(field, forms.ChoiceField)
                else value
            )
            chosen.append((str(field.label), _("Not set") if value == scores.NOT_SET else str(shown)))
    if selection["kind"]:
        chosen.append((_("Question"), str(QuestionKind(selection["kind"]).label)))
    if selection["score"] is not None:
        chosen.append((_("Score"), str(selection["score"])))
    low, high = selection["score_min"], selection["score_max"]
    if low is not None and high is not None:
        chosen.append((_("Scores"), f"{low}–{high}"))
    elif low is not None:
        chosen.append((_("Scores"), _("%(score)s or more") % {"score": low}))
    elif high is not None:
        chosen.append((_("Scores"), _("%(score)s or less") % {"score": high}))
    if selection["theme"]:
        chosen.append((_("Theme"), themes.get(selection["theme"], selection["theme"])))
    if selection["sentiment"]:
        chosen.append((_("Sentiment"), str(Sentiment(selection["sentiment"]).label)))
    if selection["ideas"]:
        chosen.append((_("Ideas and suggestions"), _("only")))
    if selection["text"]:
        chosen.append((_("Comment contains"), selection["text"]))
    return chosen
