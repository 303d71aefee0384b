"""Formatting of the exports and charts (no database)."""

import pytest

from frontdesk.reports.charts import LABEL_WIDTH, VALUE_ROOM, WIDTH, report_charts
from frontdesk.reports.exports import agent_csv, csv_lines, text_table
from frontdesk.reports.selectors import AgentMetrics, Mean, report_total
from frontdesk.reports.templatetags.reports import duration, rate

ANA = AgentMetrics(
    agent_id=1, name="Ana", email="ana@hotel.example", received=12, closed=9, response=Mean(3000, 4),
    response_before=Mean(600, 2), response_after=Mean(2400, 2), work_seconds=30600, inquiries=3, booked=1,
)  # fmt: skip
BEN = AgentMetrics(agent_id=2, name="Ben", received=3, closed=1, response_after=Mean(90, 1))
IDLE = AgentMetrics(agent_id=3, name="Idle")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (0, "0 s"), (59.4, "59 s"), (60, "1 min 00 s"), (754, "12 min 34 s"), (30600, "8 h 30 min")],
)
def test_durations_read_as_seconds_minutes_or_hours(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_rates_read_as_percentages() -> None:
    assert (rate(None), rate(1 / 3), rate(1.0)) == ("—", "33 %", "100 %")


def test_csv_lines_come_in_chunks_of_rows() -> None:
    chunks = list(csv_lines([[n, f"row, {n}"] for n in range(5)], batch=2))

    assert chunks == ['0,"row, 0"\r\n1,"row, 1"\r\n', '2,"row, 2"\r\n3,"row, 3"\r\n', '4,"row, 4"\r\n']


def test_agent_csv_has_whole_seconds_and_blanks_for_no_value() -> None:
    header, ana = agent_csv([ANA]).splitlines()[:2]

    assert dict(zip(header.split(","), ana.split(","), strict=True)) | {"agent_id": "1"} == {
        "agent_id": "1", "agent": "Ana", "received": "12", "pending": "0", "closed": "9",
        "first_response_seconds": "", "first_response_before_booking_seconds": "",
        "first_response_after_booking_seconds": "", "response_seconds": "750",
        "response_before_booking_seconds": "300", "response_after_booking_seconds": "1200",
        "work_seconds": "30600", "invisible_seconds": "0", "inquiries": "3", "booked": "1",
        "conversion_rate": "0.3333", "email": "ana@hotel.example",
    }  # fmt: skip


def test_text_table_lines_up_the_columns_with_a_total() -> None:
    table = text_table([ANA, BEN], report_total([ANA, BEN], "Total")).splitlines()

    assert len({len(line) for line in table}) == 1  # every line as wide
    assert table[0].split()[:5] == ["Agent", "Received", "Needs", "manager", "Closed"]
    assert table[2].split()[:4] == ["Ana", "12", "0", "9"]
    assert table[-1].split()[:2] == ["Total", "15"]


def test_charts_leave_out_agents_without_figures_and_scale_the_longest_bar_to_the_width() -> None:
    received, response = report_charts([ANA, BEN, IDLE])

    assert [row.label for row in received.rows] == ["Ana", "Ben"]
    assert received.rows[0].bars[0].width == WIDTH - LABEL_WIDTH - VALUE_ROOM
    assert [bar.text for bar in received.rows[1].bars] == ["3", "1"]
    assert [bar.text for bar in response.rows[0].bars] == ["5 min 00 s", "20 min 00 s"]
    assert [bar.text for bar in response.rows[1].bars] == ["—", "1 min 30 s"]
