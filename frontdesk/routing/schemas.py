"""What the REST API reads and writes for routing: profiles, shift state, the team dashboard, decisions."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import field_validator

from frontdesk.accounts.models import Team
from frontdesk.accounts.schemas import AgentRef, TeamRef
from frontdesk.api.schemas import Id, Input
from frontdesk.routing.models import AgentState, RoutingProfile, Rule
from frontdesk.tickets.models import BookingChannel, BookingStage, Channel, Priority

# --- profiles --------------------------------------------------------------------------


class RoutingProfileOut(Schema):
    """Which tickets an agent may receive (an empty list means any), and where their shift stands."""

    agent: AgentRef
    auto_assign: bool = Field(description="Receives tickets automatically while working.")
    booking_stages: list[BookingStage]
    booking_channels: list[BookingChannel]
    channels: list[Channel] = Field(description="Contact channels.")
    teams: list[TeamRef] = Field(description="Empty: any team the agent is a member of.")
    languages: list[str] = Field(description="Primary language tags: es, en, …")
    priorities: list[Priority]
    skills: list[str] = Field(description="Skill names; a ticket tagged with a skill goes only to agents who have it.")
    capacity: int = Field(description="The most unanswered tickets the agent holds at once; 0: no limit.")
    state: AgentState = Field(description="off: off shift; working: taking tickets; paused: intake paused.")
    state_since: datetime | None = Field(description="When the state last changed; null if it never has.")

    @staticmethod
    def resolve_teams(profile: RoutingProfile) -> list[Team]:
        return list(profile.teams.all())

    @staticmethod
    def resolve_skills(profile: RoutingProfile) -> list[str]:
        return [skill.name for skill in profile.skills.all()]


Language = Annotated[str, Field(min_length=1, max_length=10)]
SkillName = Annotated[str, Field(min_length=1, max_length=50)]


class RoutingProfilePatch(Input):
    """Only the fields sent change; a list replaces the old one, and an empty list means any."""

    auto_assign: bool | None = None
    booking_stages: list[BookingStage] | None = None
    booking_channels: list[BookingChannel] | None = None
    channels: list[Channel] | None = Field(None, description="Contact channels.")
    teams: list[Id] | None = Field(None, description="Team ids; the agent must be a member of each.")
    languages: list[Language] | None = Field(None, description="Language tags; es-ES routes as es.")
    priorities: list[Priority] | None = None
    skills: list[SkillName] | None = Field(None, description="Skill names; new names create the skill.")
    capacity: int | None = Field(None, ge=0, le=10_000, description="0: no limit.")

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("this field cannot be null; leave it out to keep its value")
        return value


class SkillOut(Schema):
    id: int
    name: str


# --- the team dashboard ------------------------------------------------------------------


class AgentRowOut(Schema):
    agent: AgentRef
    state: AgentState
    since: datetime | None = Field(description="In this state since.")
    unanswered: int = Field(description="Their unsolved tickets where the customer spoke last.")
    open: int = Field(description="Their new and open tickets.")
    pending: int
    capacity: int = Field(description="0: no limit.")


class DashboardOut(Schema):
    """The live team dashboard: every agent who can receive tickets, and the queue."""

    agents: list[AgentRowOut]
    queue_length: int = Field(description="Unassigned tickets waiting for an agent.")
    oldest_waiting: datetime | None = Field(description="Since when the longest-waiting of them waits.")
    needs_manager: int = Field(description="Unsolved tickets waiting for a manager.")


# --- routing decisions -------------------------------------------------------------------


class AssignmentOut(Schema):
    """One routing decision about a ticket: the rule, who got it, and the figures compared."""

    id: int
    rule: Rule
    agent: AgentRef | None = Field(description="Who got the ticket; null when it went back to the queue.")
    previous: AgentRef | None = Field(description="Who had it before, if anyone.")
    figures: dict[str, Any] = Field(description="The counts the rule compared, by agent id.")
    note: str
    created_at: datetime
