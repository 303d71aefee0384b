"""The survey dashboard's pages as they are shown: every figure of `surveys.scores` with the address
of the answers behind it, and a page of those answers with what it is narrowed to.

No permission checks here: the views check with `selectors.require_manager` first.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from frontdesk.reports.charts import Series, bar_chart
from frontdesk.reports.forms import SurveyAnswersForm, SurveyForm, filter_params
from frontdesk.reports.periods import Preset
from frontdesk.surveys import scores
from frontdesk.surveys.models import QuestionKind, Sentiment

BREAKDOWN_ROWS_SHOWN = 50  # the table's rows (most answered first); the CSV has them all
CHART_ROWS = 15
TREND_THEMES = 5  # the themes followed over time: the period's most frequent
IDEAS_SHOWN = 10


@dataclass(frozen=True)
class FigureRow:
    """A summary as the page shows it: a name (a bucket, a breakdown row), the figures, and the
    drill-down address of each."""

    name: str
    summary: scores.Summary
    links: dict[str, str]
    key: str = ""


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


def _percent(value: float) -> str:
    return f"{formats.number_format(value, 1)} %"


def _bucket_name(day: date, bucket: str) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT" if bucket == "month" else "SHORT_DATE_FORMAT")


def survey_dashboard(form: SurveyForm) -> dict[str, object]:
    """Every figure of the page, each with the address of the answers behind it."""
    period, filters, bucket, dimension = form.report_period, form.filters, form.chosen_bucket, form.chosen_dimension
    start, end = period.start, period.end
    base = {**_days_params(period.first_day, period.last_day), **filter_params(filters)}

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
            links=_figure_links({**base, **filter_params(scores.narrowed(filters, dimension, row.key))}),
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


def answers_page(form: SurveyAnswersForm, query: QueryDict) -> dict[str, object]:
    """A page of the answers behind a figure, newest first, each with its comment and themes; the
    links to the next and the first page (`query` is the page's own query string)."""
    period, filters, selection = form.report_period, form.filters, form.selection()
    page = scores.answers(start=period.start, end=period.end, filters=filters, **selection)
    labels = _theme_labels()
    comments = scores.comments_of(page.items)
    following = query.copy()
    following["cursor"] = page.next_cursor or ""
    first = query.copy()
    first.pop("cursor", None)
    base = {**_days_params(period.first_day, period.last_day), **filter_params(filters)}
    return {
        "period": period,
        "items": [
            (answer, comment, [labels.get(key, key) for key in comment.themes] if comment else [])
            for answer in page.items
            for comment in [comments.get(answer.pk)]
        ],
        "next_query": following.urlencode() if page.next_cursor else "",
        "first_query": first.urlencode() if selection["cursor"] else "",
        "dashboard_query": urlencode(base),
        "chosen": _chosen(form, selection, labels),
    }


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
