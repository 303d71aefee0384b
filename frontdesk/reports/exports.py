"""CSV exports of the reports, streamed in constant memory, and the report as plain text for e-mail.

The CSV headers are stable snake_case names (the same as the API's JSON fields), so
scripts and spreadsheets keep working whatever the reader's language. Times are ISO
8601 in the site's time zone; durations and averages are whole seconds.
"""

import csv
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from frontdesk.reports.periods import Period
from frontdesk.reports.selectors import (
    BREAKDOWNS,
    COLUMNS,
    SLA_METRICS,
    TICKET_COLUMNS,
    AgentMetrics,
    Attainment,
    AttainmentRow,
    Column,
    ContractReport,
    SlaReport,
)
from frontdesk.reports.templatetags.reports import duration, rate
from frontdesk.surveys.scores import BreakdownRow, Summary

ROWS_PER_CHUNK = 500  # about 50 KB of CSV per chunk sent


class _Echo:
    """csv.writer's file: writerow() returns the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], *, batch: int = ROWS_PER_CHUNK) -> Iterator[str]:
    """The rows as CSV text, `batch` rows per chunk: nothing but one chunk is ever held."""
    writer = csv.writer(_Echo())
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= batch:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


class CsvResponse(StreamingHttpResponse):
    """A CSV download streamed chunk by chunk under WSGI and ASGI alike.

    Under ASGI Django reads a synchronous iterator whole into a list before sending it
    (`StreamingHttpResponse.__aiter__`); this one fetches each chunk from the request's
    own thread (where its database cursor lives) and sends it before fetching the next.
    """

    def __init__(self, lines: Iterator[str], *, filename: str) -> None:
        super().__init__(lines, content_type="text/csv; charset=utf-8")
        self["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        self["X-Content-Type-Options"] = "nosniff"
        self["Cache-Control"] = "no-store"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = cast(Iterator[bytes], self.streaming_content)  # synchronous: made from `lines`
        take = sync_to_async(_next_chunk, thread_sensitive=True)
        while (chunk := await take(chunks)) is not None:
            yield chunk


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


def csv_filename(kind: str, period: Period) -> str:
    return f"{kind}-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"


# --- the agent report ------------------------------------------------------------------------


def _csv_value(column: Column, row: AgentMetrics) -> object:
    value = column.value(row)
    if value is None:
        return ""
    if column.kind == "seconds":
        return round(value)
    if column.kind == "rate":
        return round(value, 4)
    return value


def agent_csv_rows(rows: Iterable[AgentMetrics]) -> Iterator[list[object]]:
    yield ["agent_id", *(column.key for column in COLUMNS), "email"]
    for row in rows:
        yield [row.agent_id, *(_csv_value(column, row) for column in COLUMNS), row.email]


def agent_csv(rows: Iterable[AgentMetrics]) -> str:
    return "".join(csv_lines(agent_csv_rows(rows)))


# --- the tickets export ----------------------------------------------------------------------


def _iso(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds") if value is not None else ""


def ticket_csv_rows(tickets: Iterable[tuple[Any, ...]]) -> Iterator[list[object]]:
    """Rows of `selectors.received_tickets`, with times in the site's time zone and blanks for none."""
    zone = timezone.get_current_timezone()  # once: looking it up is a context-local read
    yield list(TICKET_COLUMNS)
    for pk, subject, agent, team, channel, stage, status, outcome, created, assigned, first, solved in tickets:
        yield [
            pk, subject, agent or "", team or "", channel, stage, status, outcome,
            _iso(created, zone), _iso(assigned, zone), "" if first is None else first, _iso(solved, zone),
        ]  # fmt: skip


# --- SLA attainment ------------------------------------------------------------------------


def _attainment_cells(figures: Attainment) -> list[object]:
    rate = figures.rate
    return [figures.met, figures.breached, "" if rate is None else round(rate, 4)]


def _attainment_header(prefix: str) -> list[str]:
    return [f"{prefix}met", f"{prefix}breached", f"{prefix}attainment"]


SLA_HEADER = [
    "breakdown", "id", "name",
    *(name for metric in SLA_METRICS for name in _attainment_header(f"{metric}_")),
    *_attainment_header(""),
]  # fmt: skip


def _sla_row(breakdown: str, row: AttainmentRow) -> list[object]:
    cells: list[object] = [breakdown, "" if row.key is None else row.key, row.name]
    for metric in SLA_METRICS:
        cells += _attainment_cells(row.metric(metric))
    return cells + _attainment_cells(row.overall)


def sla_csv_rows(report: SlaReport) -> Iterator[Sequence[object]]:
    """One table: the total ("total"), then each breakdown's rows ("policy", "team", "agent",
    "organisation"), with met and breached counts and the attainment (0–1, blank for none) per
    metric and overall. `id` is blank for the "none" row (no team, unassigned, …)."""
    yield SLA_HEADER
    yield _sla_row("total", report.total)
    for breakdown in BREAKDOWNS:
        for row in report.breakdowns[breakdown]:
            yield _sla_row(breakdown, row)


BREACH_HEADER = ["ticket_id", "subject", "url", "metric", "due_at", "stopped_at", "late_seconds"]


def contract_csv_rows(
    report: ContractReport, *, period: Period, link: Callable[[int], str]
) -> Iterator[Sequence[object]]:
    """The contract report as one CSV: a header block of `name,value` rows (the organisation, the
    period's first and last day, one `contract` row per contract with its policy and dates, the
    tickets created, met, breached and attainment per metric and overall, the average first
    response), an empty row, then the breaches as a table with its own header row. `link` makes a
    ticket's address."""
    zone = timezone.get_current_timezone()
    figures = report.attainment
    yield ["organisation", report.organisation.name]
    yield ["organisation_id", report.organisation.pk]
    yield ["first_day", period.first_day.isoformat()]
    yield ["last_day", period.last_day.isoformat()]
    for contract in report.contracts:
        ends = contract.ends_on.isoformat() if contract.ends_on else ""
        yield ["contract", contract.name, contract.policy.name, contract.starts_on.isoformat(), ends]
    yield ["tickets_created", report.tickets_created]
    for metric in SLA_METRICS:
        yield from _name_value(_attainment_header(f"{metric}_"), _attainment_cells(figures.metric(metric)))
    yield from _name_value(_attainment_header(""), _attainment_cells(figures.overall))
    first = report.first_response_seconds
    yield ["average_first_response_seconds", "" if first is None else round(first)]
    yield []
    yield BREACH_HEADER
    for breach in report.breaches:
        yield [
            breach.ticket_id, breach.subject, link(breach.ticket_id), breach.metric,
            _iso(breach.due_at, zone), _iso(breach.stopped_at, zone), breach.late_seconds,
        ]  # fmt: skip


def _name_value(names: list[str], values: list[object]) -> Iterator[Sequence[object]]:
    for name, value in zip(names, values, strict=True):
        yield [name, value]


# --- the survey dashboard ----------------------------------------------------------------------

SURVEY_CSV_FIGURES = [
    "csat", "csat_answers", "nps", "nps_answers", "promoters", "passives", "detractors", "ces", "ces_answers",
    "sent", "answered", "response_rate",
]  # fmt: skip


def survey_csv_rows(dimension: str, rows: list[BreakdownRow], total: Summary) -> Iterator[list[object]]:
    """The breakdown by `dimension`, every row, and the total. Stable snake_case headers (like the
    other report CSVs); an empty figure is an empty cell."""
    yield [dimension, "name", *SURVEY_CSV_FIGURES]
    for row in rows:
        yield [row.key, row.label, *("" if (v := getattr(row.summary, f)) is None else v for f in SURVEY_CSV_FIGURES)]
    yield ["", _("Total"), *("" if (v := getattr(total, f)) is None else v for f in SURVEY_CSV_FIGURES)]


# --- plain text, for the weekly e-mail -----------------------------------------------------

# The columns a text table has room for; the attached CSV has them all.
TEXT_COLUMNS = (
    "agent",
    "received",
    "pending",
    "closed",
    "first_response_seconds",
    "response_before_booking_seconds",
    "response_after_booking_seconds",
    "work_seconds",
    "invisible_seconds",
    "conversion_rate",
)


def _text_value(column: Column, row: AgentMetrics) -> str:
    value = column.value(row)
    if column.kind == "seconds":
        return duration(value)
    if column.kind == "rate":
        return rate(value)
    return str(value)


def text_table(rows: list[AgentMetrics], total: AgentMetrics) -> str:
    """The report as a fixed-width table (in the active language), with a total line."""
    columns = [column for key in TEXT_COLUMNS for column in COLUMNS if column.key == key]
    lines = [[str(column.label) for column in columns]]
    lines += [[_text_value(column, row) for column in columns] for row in [*rows, total]]
    widths = [max(len(line[n]) for line in lines) for n in range(len(columns))]

    def layout(cells: list[str]) -> str:
        first, *rest = cells
        return "  ".join([first.ljust(widths[0]), *(cell.rjust(widths[n + 1]) for n, cell in enumerate(rest))])

    rule = "-" * len(layout(lines[0]))
    body = [layout(line) for line in lines[1:-1]] or [_("No agents.")]
    return "\n".join([layout(lines[0]), rule, *body, rule, layout(lines[-1])])
