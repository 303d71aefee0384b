"""Formatting of SLA attainment: percentages, charts and CSV rows (no database)."""

from datetime import UTC, datetime

import pytest

from frontdesk.reports.charts import LABEL_WIDTH, VALUE_ROOM, WIDTH, sla_charts
from frontdesk.reports.exports import SLA_HEADER, sla_csv_rows
from frontdesk.reports.selectors import Attainment, AttainmentRow, Breakdown, SlaReport
from frontdesk.reports.templatetags.reports import attainment

START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
GOLD = AttainmentRow(key=1, name="Gold", first_response=Attainment(3, 1), resolution=Attainment(0, 2))
NONE = AttainmentRow(key=None, name="No policy (deleted)", first_response=Attainment(0, 1))
IDLE = AttainmentRow(key=2, name="Idle")


def sla(rows: list[AttainmentRow], metric: str | None = None) -> SlaReport:
    breakdowns = {Breakdown.POLICY: rows, Breakdown.TEAM: [], Breakdown.AGENT: [], Breakdown.ORGANISATION: []}
    total = sum(rows, AttainmentRow(key=None, name="All"))
    return SlaReport(start=START, end=END, metric=metric, team_id=None, total=total, breakdowns=breakdowns)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (0.0, "0.0 %"), (1 / 3, "33.3 %"), (0.9995, "99.9 %"), (0.5, "50.0 %"), (1.0, "100.0 %")],
)
def test_attainment_reads_as_a_percentage_rounded_down(value: float | None, shown: str) -> None:
    assert attainment(value) == shown


def test_attainment_adds_up_across_metrics_and_rows() -> None:
    assert GOLD.overall == Attainment(met=3, breached=3)
    assert (GOLD + NONE).first_response == Attainment(met=3, breached=2)
    assert (GOLD.overall.rate, IDLE.overall.rate) == (0.5, None)


def test_sla_chart_keeps_zero_attainment_leaves_out_rows_without_clocks_and_scales_to_100_percent() -> None:
    chart = sla_charts(sla([GOLD, NONE, IDLE]))[Breakdown.POLICY]

    assert [row.label for row in chart.rows] == ["Gold", "No policy (deleted)"]
    assert [row.bars[0].text for row in chart.rows] == ["50.0 %", "0.0 %"]
    assert chart.rows[0].bars[0].width == (WIDTH - LABEL_WIDTH - VALUE_ROOM) / 2
    assert chart.rows[1].bars[0].width == 0


def test_sla_chart_of_one_metric_shows_that_metrics_attainment() -> None:
    chart = sla_charts(sla([GOLD], metric="resolution"))[Breakdown.POLICY]

    assert [bar.text for bar in chart.rows[0].bars] == ["0.0 %"]


def test_sla_csv_has_the_total_first_then_each_breakdowns_rows() -> None:
    header, total, gold, none = sla_csv_rows(sla([GOLD, NONE]))

    assert header == SLA_HEADER
    assert dict(zip(header, gold, strict=True)) == {
        "breakdown": "policy", "id": 1, "name": "Gold",
        "first_response_met": 3, "first_response_breached": 1, "first_response_attainment": 0.75,
        "next_response_met": 0, "next_response_breached": 0, "next_response_attainment": "",
        "resolution_met": 0, "resolution_breached": 2, "resolution_attainment": 0.0,
        "met": 3, "breached": 3, "attainment": 0.5,
    }  # fmt: skip
    assert (total[:3], total[-3:]) == (["total", "", "All"], [3, 4, 0.4286])
    assert none[:3] == ["policy", "", "No policy (deleted)"]
