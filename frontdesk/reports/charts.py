"""Charts of the report pages, laid out here and drawn by `reports/_bar_chart.html` as inline SVG.

No JavaScript and nothing fetched: the page carries its charts, prints as it shows,
and the numbers are also in the table beside it (and in each bar's text).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.reports.selectors import BREAKDOWNS, AgentMetrics, AttainmentRow, Breakdown, SlaReport
from frontdesk.reports.templatetags.reports import attainment, duration

WIDTH = 640
LABEL_WIDTH = 160  # agent names, right-aligned before the bars
VALUE_ROOM = 90  # after the longest bar, for its value
BAR_HEIGHT = 11
BAR_GAP = 3
ROW_GAP = 10
TOP = 8
COLOURS = ("#2456c9", "#e3903b")  # the workspace's accent, and an orange that reads apart from it


class Named(Protocol):
    @property
    def name(self) -> str: ...


Row = TypeVar("Row", bound=Named)


@dataclass(frozen=True)
class Series(Generic[Row]):
    label: StrOrPromise
    value: Callable[[Row], float | None]


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    colour: str
    text: str  # the value as shown after the bar
    text_x: float
    text_y: float


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    title: StrOrPromise
    width: int
    height: float
    label_width: int
    rows: list[ChartRow]
    bar_height: int
    legend: list[tuple[StrOrPromise, str]]  # (series label, colour)


def bar_chart(
    *,
    title: StrOrPromise,
    series: Sequence[Series[Row]],
    rows: Sequence[Row],
    shown: Callable[[float], str],
    keep_zero: bool = False,
    scale_to: float | None = None,
) -> BarChart:
    """Horizontal bars, one group per row with a value, one bar per series, on a common scale: the
    longest bar's, or `scale_to` (100 % for shares). Rows whose figures are all none (or all zero,
    unless `keep_zero`: a 0 % attainment is a figure) are left out."""
    values = [[item.value(row) for item in series] for row in rows]
    kept = [
        (row, figures)
        for row, figures in zip(rows, values, strict=True)
        if (any(figure is not None for figure in figures) if keep_zero else any(figures))
    ]
    highest = scale_to or max((figure or 0 for _row, figures in kept for figure in figures), default=0) or 1
    scale = (WIDTH - LABEL_WIDTH - VALUE_ROOM) / highest
    group = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    chart_rows = []
    y = float(TOP)
    for row, figures in kept:
        bars = []
        for n, figure in enumerate(figures):
            top = y + n * (BAR_HEIGHT + BAR_GAP)
            width = (figure or 0) * scale
            text = shown(figure) if figure is not None else "—"
            colour = COLOURS[n % len(COLOURS)]
            bars.append(
                Bar(y=top, width=width, colour=colour, text=text, text_x=width + 4, text_y=top + BAR_HEIGHT / 2)
            )
        chart_rows.append(ChartRow(label=row.name, label_y=y + group / 2, bars=bars))
        y += group + ROW_GAP
    return BarChart(
        title=title,
        width=WIDTH,
        height=y - ROW_GAP + TOP if kept else 0,
        label_width=LABEL_WIDTH,
        rows=chart_rows,
        bar_height=BAR_HEIGHT,
        legend=[(item.label, COLOURS[n % len(COLOURS)]) for n, item in enumerate(series)],
    )


def count(value: float) -> str:
    return str(round(value))


def report_charts(rows: Sequence[AgentMetrics]) -> list[BarChart]:  # the agent report
    return [
        bar_chart(
            title=_("Tickets received and closed"),
            series=[Series(_("Received"), lambda row: row.received), Series(_("Closed"), lambda row: row.closed)],
            rows=rows,
            shown=count,
        ),
        bar_chart(
            title=_("Average response time before and after booking"),
            series=[
                Series(_("Before booking"), lambda row: row.response_before.value),
                Series(_("After booking"), lambda row: row.response_after.value),
            ],
            rows=rows,
            shown=duration,
        ),
    ]


# --- SLA attainment ----------------------------------------------------------------------

BREAKDOWN_TITLES: dict[str, StrOrPromise] = {
    Breakdown.POLICY: _("By policy"),
    Breakdown.TEAM: _("By team"),
    Breakdown.AGENT: _("By agent"),
    Breakdown.ORGANISATION: _("By organisation"),
}
# The first column of each breakdown's table.
BREAKDOWN_LABELS: dict[str, StrOrPromise] = {
    Breakdown.POLICY: _("Policy"),
    Breakdown.TEAM: _("Team"),
    Breakdown.AGENT: _("Agent"),
    Breakdown.ORGANISATION: _("Organisation"),
}
CHART_TITLES: dict[str, StrOrPromise] = {
    Breakdown.POLICY: _("Attainment by policy"),
    Breakdown.TEAM: _("Attainment by team"),
    Breakdown.AGENT: _("Attainment by agent"),
    Breakdown.ORGANISATION: _("Attainment by organisation"),
}


def sla_charts(report: SlaReport) -> dict[str, BarChart]:
    """One chart per breakdown: each row's attainment (of the metric chosen, or overall), out of 100 %."""
    metric = report.metric

    def share(row: AttainmentRow) -> float | None:
        return (row.metric(metric) if metric else row.overall).rate

    return {
        breakdown: bar_chart(
            title=CHART_TITLES[breakdown],
            series=[Series(_("Attainment"), share)],
            rows=report.breakdowns[breakdown],
            shown=attainment,
            keep_zero=True,
            scale_to=1.0,
        )
        for breakdown in BREAKDOWNS
    }


def sla_sections(report: SlaReport) -> list[tuple[str, StrOrPromise, StrOrPromise, list[AttainmentRow], BarChart]]:
    """The SLA page's sections, one per breakdown: its key, title, first column's label, rows and chart."""
    charts = sla_charts(report)
    return [
        (key, BREAKDOWN_TITLES[key], BREAKDOWN_LABELS[key], report.breakdowns[key], charts[key]) for key in BREAKDOWNS
    ]
