"""What the REST API reads and writes for SLAs: calendars and holidays, policies with their
targets, contracts, and a ticket's clocks and alarms."""

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Schema

from frontdesk.accounts.schemas import OrganisationRef, TeamRef
from frontdesk.api.schemas import Blankable, Id, Input
from frontdesk.sla.models import Alarm, AlarmLevel, Calendar, ClockState, Holiday, Metric, Policy, PolicyTarget
from frontdesk.tickets.models import Channel, Priority

# Minutes and positions are stored in 32-bit columns.
Minutes = Annotated[int, Field(ge=1, le=2**31 - 1)]
HOURS_HELP = (
    'Business hours by weekday, local time: {"0": [["09:00", "13:00"], ["14:00", "18:00"]], …}; '
    '"0" is Monday, "6" Sunday; a weekday left out is closed; "24:00" closes at midnight.'
)

# --- calendars and holidays ------------------------------------------------------------


class HolidayOut(Schema):
    id: int
    name: str
    first_day: date
    last_day: date = Field(description="Inclusive: a one-day holiday has last_day = first_day.")
    uid: str = Field(description="The event's UID when imported from an iCalendar file; empty otherwise.")


class HolidayIn(Input):
    name: str = Field(max_length=200)
    first_day: date
    last_day: date | None = Field(None, description="Inclusive; leave out for a single day.")


class CalendarRef(Schema):
    id: int
    name: str


class CalendarOut(Schema):
    """When the clocks of the policies that use it run."""

    id: int
    name: str
    time_zone: str = Field(description="An IANA time zone, e.g. Europe/Madrid.")
    always_open: bool = Field(description="Open 24/7: hours and holidays do not stop the clocks.")
    hours: dict[str, list[list[str]]] = Field(description=HOURS_HELP)
    holidays: list[HolidayOut]
    updated_at: datetime

    @staticmethod
    def resolve_holidays(calendar: Calendar) -> list[Holiday]:
        return list(calendar.holidays.all())


class CalendarIn(Input):
    name: str = Field(max_length=100)
    time_zone: str = Field("UTC", max_length=64, description="An IANA time zone, e.g. Europe/Madrid.")
    always_open: bool = False
    hours: dict[str, list[list[str]]] = Field(default_factory=dict, description=HOURS_HELP)


class HolidayImportOut(Schema):
    imported: int = Field(description="How many holidays were added or updated.")
    calendar: CalendarOut


# --- policies ----------------------------------------------------------------------------


class TargetOut(Schema):
    priority: Priority
    first_response_minutes: int | None = Field(description="Business minutes; null: no target.")
    next_response_minutes: int | None
    resolution_minutes: int | None


class TargetIn(Input):
    priority: Priority
    first_response_minutes: Minutes | None = Field(None, description="Business minutes; null: no target.")
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None


class PolicyRef(Schema):
    id: int
    name: str


class PolicyOut(Schema):
    """Targets by priority for the tickets that match all of its conditions (an empty one matches any)."""

    id: int
    name: str
    position: int = Field(description="The first active policy in this order that matches applies.")
    is_active: bool
    calendar: CalendarRef
    organisations: list[int] = Field(description="Organisation ids.")
    teams: list[int] = Field(description="Team ids.")
    channels: list[Channel]
    priorities: list[Priority]
    tags: list[str] = Field(description="A ticket matches with any one of these tags.")
    warn_at: list[float] = Field(description="Warnings as fractions of the target; empty: none, only the breach.")
    breach_raise_priority: bool = Field(description="On breach, raise the priority one step.")
    breach_team: TeamRef | None = Field(description="On breach, move the ticket to this team.")
    breach_notify_supervisors: bool = Field(description="On breach, notify every supervisor.")
    targets: list[TargetOut]
    active_since: datetime = Field(description="Alarms due before this are recorded, not announced.")
    updated_at: datetime

    @staticmethod
    def resolve_targets(policy: Policy) -> list[PolicyTarget]:
        return sorted(policy.targets.all(), key=lambda target: Priority.values.index(target.priority))


class PolicyIn(Input):
    """The whole policy: the targets sent replace the old ones."""

    name: str = Field(max_length=100)
    calendar: Id = Field(description="Calendar id.")
    targets: list[TargetIn] = Field(max_length=len(Priority), description="At most one per priority.")
    position: int = Field(0, ge=0, le=2**31 - 1)
    is_active: bool = True
    organisations: list[Id] = Field(default_factory=list, max_length=1000, description="Organisation ids; empty: any.")
    teams: list[Id] = Field(default_factory=list, max_length=1000, description="Team ids; empty: any.")
    channels: list[Channel] = Field(default_factory=list, description="Empty: any.")
    priorities: list[Priority] = Field(default_factory=list, description="Empty: any.")
    tags: list[Annotated[str, Field(max_length=50)]] = Field(
        default_factory=list, max_length=1000, description="Empty: any."
    )
    warn_at: list[float] = Field(
        default_factory=lambda: [0.75, 0.9], max_length=10, description="Fractions of the target between 0 and 1."
    )
    breach_raise_priority: bool = False
    breach_team: Id | None = Field(None, description="Team id.")
    breach_notify_supervisors: bool = False


# --- contracts ---------------------------------------------------------------------------


class ContractOut(Schema):
    """A customer's support contract: its policy applies to the organisation's tickets while it runs."""

    id: int
    organisation: OrganisationRef
    name: str
    policy: PolicyRef
    starts_on: date
    ends_on: date | None = Field(description="Inclusive; null: open-ended.")


class ContractIn(Input):
    organisation: Id = Field(description="Organisation id.")
    name: str = Field(max_length=200)
    policy: Id = Field(description="Policy id.")
    starts_on: date
    ends_on: date | None = Field(None, description="Inclusive; leave out for open-ended.")


class ContractQuery(Input):
    organisation: Blankable[Id] = Field(None, description="Organisation id.")


# --- a ticket's clocks and alarms --------------------------------------------------------


class ClockOut(Schema):
    metric: Metric
    started_at: datetime
    target_minutes: int = Field(description="Business minutes.")
    state: ClockState
    due_at: datetime | None = Field(description="When it breaches (or breached); null while paused or stopped.")
    stopped_at: datetime | None = Field(description="When the target was met, or the clock stopped.")
    elapsed_seconds: int = Field(description="Business time used so far.")
    paused_seconds: int = Field(description="Time spent pending or on hold.")
    policy: PolicyRef | None


class AlarmOut(Schema):
    metric: Metric
    level: AlarmLevel
    percent: float = Field(description="Of the target: 75.0 for a warning at 75 %, 100.0 for the breach.")
    due_at: datetime
    fired_at: datetime

    @staticmethod
    def resolve_percent(alarm: Alarm) -> float:
        return alarm.permille / 10


class TicketSlaOut(Schema):
    """A ticket's clocks (running first, by due time) and the alarms that fired, oldest first."""

    clocks: list[ClockOut]
    alarms: list[AlarmOut]
