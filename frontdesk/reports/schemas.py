"""Request and response schemas of the reports API."""

from datetime import date, datetime, tzinfo
from typing import Literal

from ninja import Field, Schema

from frontdesk.api.schemas import Blankable, Id, Input
from frontdesk.reports.periods import Period, period_from_params
from frontdesk.reports.selectors import COLUMNS, AgentMetrics

PresetName = Literal["today", "last_7_days", "last_30_days", "this_month", "last_week", "custom"]


class ReportQuery(Input):
    """A period: `start` and `end` dates (both included, site time zone), or a named `period`."""

    period: Blankable[PresetName] = Field(None, description="A named period; the default is last_7_days.")
    start: str = Field("", description="First day, YYYY-MM-DD. With `end`, it overrides `period`.")
    end: str = Field("", description="Last day (included), YYYY-MM-DD.")
    team: Blankable[Id] = Field(None, description="Only the members of this team (with all their tickets).")

    def report_period(self, *, now: datetime, zone: tzinfo) -> Period:
        return period_from_params(preset=self.period, start=self.start, end=self.end, now=now, zone=zone)


class AgentMetricsOut(Schema):
    """Durations and averages in seconds; null where there is nothing to average."""

    agent_id: int | None
    agent: str
    email: str
    received: int
    pending: int
    closed: int
    first_response_seconds: float | None
    first_response_before_booking_seconds: float | None
    first_response_after_booking_seconds: float | None
    response_seconds: float | None
    response_before_booking_seconds: float | None
    response_after_booking_seconds: float | None
    work_seconds: int
    invisible_seconds: int
    inquiries: int
    booked: int
    conversion_rate: float | None


class AgentReportOut(Schema):
    start: datetime
    end: datetime
    first_day: date
    last_day: date
    team: int | None
    agents: list[AgentMetricsOut]
    total: AgentMetricsOut


def metrics_out(row: AgentMetrics) -> dict[str, object]:
    return {"agent_id": row.agent_id, "email": row.email, **{column.key: column.value(row) for column in COLUMNS}}
