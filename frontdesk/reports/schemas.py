"""Request and response schemas of the reports API."""

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Literal

from ninja import Field, Schema

from frontdesk.api.schemas import Blankable, Id, Input
from frontdesk.reports.periods import Period, period_from_params
from frontdesk.reports.selectors import (
    BREAKDOWNS,
    COLUMNS,
    SLA_METRICS,
    AgentMetrics,
    Attainment,
    AttainmentRow,
    Breach,
    ContractReport,
    SlaReport,
)

PresetName = Literal["today", "last_7_days", "last_30_days", "this_month", "last_week", "custom"]
MetricName = Literal["first_response", "next_response", "resolution"]


class PeriodQuery(Input):
    """A period: `start` and `end` dates (both included, site time zone), or a named `period`."""

    period: Blankable[PresetName] = Field(None, description="A named period; the default is last_7_days.")
    start: str = Field("", description="First day, YYYY-MM-DD. With `end`, it overrides `period`.")
    end: str = Field("", description="Last day (included), YYYY-MM-DD.")

    def report_period(self, *, now: datetime, zone: tzinfo) -> Period:
        return period_from_params(preset=self.period, start=self.start, end=self.end, now=now, zone=zone)


class ReportQuery(PeriodQuery):
    """A period, and optionally a team."""

    team: Blankable[Id] = Field(None, description="Only the members of this team (with all their tickets).")


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


# --- SLA attainment ----------------------------------------------------------------------


class SlaReportQuery(PeriodQuery):
    """A period, and optionally a team (its tickets' clocks) and one metric."""

    team: Blankable[Id] = Field(None, description="Only the clocks of this team's tickets (the ticket's current team).")
    metric: Blankable[MetricName] = Field(None, description="Only this metric's clocks; the default is all three.")


class AttainmentOut(Schema):
    met: int = Field(description="Clocks that met their target.")
    breached: int = Field(description="Clocks that breached it (ended late, or running past the deadline).")
    attainment: float | None = Field(description="met / (met + breached), 0–1; null when nothing counted.")


class AttainmentRowOut(Schema):
    id: int | None = Field(description="The policy, team, agent or organisation; null for the row without one.")
    name: str
    first_response: AttainmentOut
    next_response: AttainmentOut
    resolution: AttainmentOut
    overall: AttainmentOut


class SlaReportOut(Schema):
    """SLA attainment over a period, in total and by policy, team, agent and organisation (the ticket's
    current team, assignee and organisation). See docs/reports.md for which clocks count."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    team: int | None
    metric: MetricName | None
    total: AttainmentRowOut
    policies: list[AttainmentRowOut]
    teams: list[AttainmentRowOut]
    agents: list[AttainmentRowOut]
    organisations: list[AttainmentRowOut]


def attainment_out(figures: Attainment) -> dict[str, object]:
    return {"met": figures.met, "breached": figures.breached, "attainment": figures.rate}


def attainment_row_out(row: AttainmentRow) -> dict[str, object]:
    return {
        "id": row.key,
        "name": row.name,
        **{metric: attainment_out(row.metric(metric)) for metric in SLA_METRICS},
        "overall": attainment_out(row.overall),
    }


# The JSON field of each breakdown.
BREAKDOWN_FIELDS = dict(zip(BREAKDOWNS, ["policies", "teams", "agents", "organisations"], strict=True))


def sla_report_out(report: SlaReport, period: Period) -> dict[str, object]:
    return {
        "start": period.start,
        "end": period.end,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "team": report.team_id,
        "metric": report.metric,
        "total": attainment_row_out(report.total),
        **{
            BREAKDOWN_FIELDS[breakdown]: [attainment_row_out(row) for row in rows]
            for breakdown, rows in report.breakdowns.items()
        },
    }


class ContractOut(Schema):
    id: int
    name: str
    policy_id: int
    policy: str
    starts_on: date
    ends_on: date | None


class BreachOut(Schema):
    ticket_id: int
    subject: str
    url: str = Field(description="The ticket in the workspace.")
    metric: MetricName
    due_at: datetime
    stopped_at: datetime | None = Field(description="When it was met late (reply or solving); null while open.")
    late_seconds: int = Field(description="From the deadline to `stopped_at`, or to now while open (wall-clock).")


class ContractReportOut(Schema):
    """One customer's SLA report for a period, as sent to them each month."""

    organisation_id: int
    organisation: str
    start: datetime
    end: datetime
    first_day: date
    last_day: date
    contracts: list[ContractOut] = Field(description="The contracts running on at least one day of the period.")
    tickets_created: int = Field(description="The organisation's tickets created in the period.")
    first_response: AttainmentOut
    next_response: AttainmentOut
    resolution: AttainmentOut
    overall: AttainmentOut
    average_first_response_seconds: float | None = Field(
        description="Business time to the first response, over the first-response clocks that ended in the period."
    )
    breaches: list[BreachOut]


def _breach_out(breach: Breach, link: Callable[[int], str]) -> dict[str, object]:
    return {
        "ticket_id": breach.ticket_id,
        "subject": breach.subject,
        "url": link(breach.ticket_id),
        "metric": breach.metric,
        "due_at": breach.due_at,
        "stopped_at": breach.stopped_at,
        "late_seconds": breach.late_seconds,
    }


def contract_report_out(report: ContractReport, period: Period, link: Callable[[int], str]) -> dict[str, object]:
    figures = report.attainment
    return {
        "organisation_id": report.organisation.pk,
        "organisation": report.organisation.name,
        "start": period.start,
        "end": period.end,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "contracts": [
            {
                "id": contract.pk,
                "name": contract.name,
                "policy_id": contract.policy_id,
                "policy": contract.policy.name,
                "starts_on": contract.starts_on,
                "ends_on": contract.ends_on,
            }
            for contract in report.contracts
        ],
        "tickets_created": report.tickets_created,
        **{metric: attainment_out(figures.metric(metric)) for metric in SLA_METRICS},
        "overall": attainment_out(figures.overall),
        "average_first_response_seconds": report.first_response_seconds,
        "breaches": [_breach_out(breach, link) for breach in report.breaches],
    }
