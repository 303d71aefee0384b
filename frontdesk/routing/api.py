"""REST endpoints of routing: profiles, shift timer and intake, the team dashboard, routing decisions.

Thin: parse → access_* → one service → schema. Agents read their own profile and run their
own shift timer and intake; supervisors and admins do both for anyone and change profiles
(the selectors and services check). `/me/…` is the caller's own shift and intake.
"""

from datetime import datetime
from typing import Any, Protocol

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from frontdesk.accounts.models import Team, User
from frontdesk.accounts.selectors import team_list
from frontdesk.api.auth import request_agent
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import ValidationError
from frontdesk.routing.models import Assignment, RoutingProfile, Skill
from frontdesk.routing.schemas import AssignmentOut, DashboardOut, RoutingProfileOut, RoutingProfilePatch, SkillOut
from frontdesk.routing.selectors import Dashboard, access_profile, skill_list, team_dashboard, ticket_assignments
from frontdesk.routing.services import intake_pause, intake_resume, routing_profile_update, shift_start, shift_stop

router = Router(tags=["routing"])


class StateChange(Protocol):
    """shift_start, shift_stop, intake_pause, intake_resume."""

    def __call__(self, *, agent: User, actor: User, now: datetime) -> RoutingProfile: ...


def _teams(user: User, team_ids: list[int]) -> list[Team]:
    teams = list(team_list(user=user).filter(pk__in=team_ids))
    missing = sorted(set(team_ids) - {team.pk for team in teams})
    if missing:
        raise ValidationError(f"There is no team with id {', '.join(map(str, missing))}.", field="teams")
    return teams


def _change_state(request: HttpRequest, agent_id: int | None, change: StateChange) -> RoutingProfile:
    """The agent's own state, or anyone's for supervisors and admins; `None` is the caller."""
    user = request_agent(request)
    agent = access_profile(user, user.pk if agent_id is None else agent_id).agent
    return change(agent=agent, actor=user, now=timezone.now())


# --- profiles ----------------------------------------------------------------------------


@router.get(
    "/agents/{agent_id}/routing-profile",
    response={200: RoutingProfileOut, **ERRORS},
    summary="An agent's routing profile and state",
)
def get_routing_profile(request: HttpRequest, agent_id: int) -> RoutingProfile:
    """Agents read their own; supervisors and admins anyone's."""
    return access_profile(request_agent(request), agent_id)


@router.patch(
    "/agents/{agent_id}/routing-profile",
    response={200: RoutingProfileOut, **ERRORS},
    summary="Change which tickets an agent receives (supervisors and admins)",
)
def update_routing_profile(request: HttpRequest, agent_id: int, payload: RoutingProfilePatch) -> RoutingProfile:
    """Only the fields sent change; waiting tickets the agent may now take are assigned right after."""
    user = request_agent(request)
    profile = access_profile(user, agent_id)
    changes: dict[str, Any] = payload.model_dump(mode="json", exclude_unset=True)
    if "teams" in changes:
        changes["teams"] = _teams(user, changes["teams"])
    return routing_profile_update(agent=profile.agent, actor=user, now=timezone.now(), **changes)


@router.get("/routing/skills", response={200: list[SkillOut], **ERRORS}, summary="List skills")
def list_skills(request: HttpRequest) -> list[Skill]:
    """Skill names in alphabetical order; give a profile a new name to create one."""
    return list(skill_list(user=request_agent(request)))


# --- shift timer and intake --------------------------------------------------------------


@router.post(
    "/agents/{agent_id}/shift/start", response={200: RoutingProfileOut, **ERRORS}, summary="Start an agent's shift"
)
def start_shift(request: HttpRequest, agent_id: int) -> RoutingProfile:
    """Work time runs and intake starts. 409 if the shift has already started."""
    return _change_state(request, agent_id, shift_start)


@router.post(
    "/agents/{agent_id}/shift/stop", response={200: RoutingProfileOut, **ERRORS}, summary="Stop an agent's shift"
)
def stop_shift(request: HttpRequest, agent_id: int) -> RoutingProfile:
    """Work time stops; tickets the agent has not opened go back to the queue. 409 if off shift."""
    return _change_state(request, agent_id, shift_stop)


@router.post(
    "/agents/{agent_id}/intake/pause", response={200: RoutingProfileOut, **ERRORS}, summary="Pause an agent's intake"
)
def pause_intake(request: HttpRequest, agent_id: int) -> RoutingProfile:
    """The agent keeps their tickets and gets no new ones; invisible time runs. 409 unless working."""
    return _change_state(request, agent_id, intake_pause)


@router.post(
    "/agents/{agent_id}/intake/resume", response={200: RoutingProfileOut, **ERRORS}, summary="Resume an agent's intake"
)
def resume_intake(request: HttpRequest, agent_id: int) -> RoutingProfile:
    """New tickets reach the agent again. 409 unless paused."""
    return _change_state(request, agent_id, intake_resume)


@router.get("/me/routing-profile", response={200: RoutingProfileOut, **ERRORS}, summary="My routing profile and state")
def get_my_routing_profile(request: HttpRequest) -> RoutingProfile:
    user = request_agent(request)
    return access_profile(user, user.pk)


@router.post("/me/shift/start", response={200: RoutingProfileOut, **ERRORS}, summary="Start my shift")
def start_my_shift(request: HttpRequest) -> RoutingProfile:
    return _change_state(request, None, shift_start)


@router.post("/me/shift/stop", response={200: RoutingProfileOut, **ERRORS}, summary="Stop my shift")
def stop_my_shift(request: HttpRequest) -> RoutingProfile:
    return _change_state(request, None, shift_stop)


@router.post("/me/intake/pause", response={200: RoutingProfileOut, **ERRORS}, summary="Pause my intake")
def pause_my_intake(request: HttpRequest) -> RoutingProfile:
    return _change_state(request, None, intake_pause)


@router.post("/me/intake/resume", response={200: RoutingProfileOut, **ERRORS}, summary="Resume my intake")
def resume_my_intake(request: HttpRequest) -> RoutingProfile:
    return _change_state(request, None, intake_resume)


# --- the team dashboard and routing decisions --------------------------------------------


@router.get("/routing/dashboard", response={200: DashboardOut, **ERRORS}, summary="The live team dashboard")
def get_dashboard(request: HttpRequest) -> Dashboard:
    """Every agent who can receive tickets with their state, since when, and their counts; the queue."""
    return team_dashboard(user=request_agent(request))


@router.get(
    "/tickets/{ticket_id}/assignments",
    response={200: list[AssignmentOut], **ERRORS},
    summary="A ticket's routing decisions",
)
def list_ticket_assignments(request: HttpRequest, ticket_id: int) -> list[Assignment]:
    """Oldest first: the rule, who got it, who had it, the figures compared, and why."""
    return list(ticket_assignments(user=request_agent(request), ticket_id=ticket_id))
