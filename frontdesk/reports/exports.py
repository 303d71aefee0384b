"""CSV exports of the reports, streamed in constant memory, and the report as plain text for e-mail.

The CSV headers are stable snake_case names (the same as the API's JSON fields), so
scripts and spreadsheets keep working whatever the reader's language. Times are ISO
8601 in the site's time zone; durations and averages are whole seconds.
"""

import csv
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from frontdesk.reports.periods import Period
from frontdesk.reports.selectors import COLUMNS, TICKET_COLUMNS, AgentMetrics, Column
from frontdesk.reports.templatetags.reports import duration, rate

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
