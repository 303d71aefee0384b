"""Permission-scoped reads of routing: profiles, the live team dashboard, a ticket's routing decisions."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import NotFound, PermissionDenied
from frontdesk.routing.models import Assignment, RoutingProfile, Skill
from frontdesk.tickets.models import UNSOLVED, Status, Ticket
from frontdesk.tickets.selectors import access_ticket

# The queue: unassigned tickets waiting on an agent, which routing assigns oldest first (the partial
# index `ticket_routing_queue` has the same condition).
WAITING = Q(assignee__isnull=True, awaiting_agent=True, status__in=(Status.NEW, Status.OPEN))


def access_profile(user: User, agent_id: int) -> RoutingProfile:
    """An agent's routing profile: their own, or anyone's for supervisors and admins."""
    require_agent(user)
    if user.pk != agent_id and user.role not in MANAGER_ROLES:
        raise PermissionDenied("Only supervisors and admins may see other agents' routing profiles.")
    agent = User.objects.filter(pk=agent_id, role__in=EDITOR_ROLES).first()
    if agent is None:
        raise NotFound(f"There is no agent {agent_id} who can receive tickets.")
    return _profile_or_default(agent)


def _profile_or_default(agent: User) -> RoutingProfile:
    """The agent's profile, or the default one, not saved until someone changes it: reading never writes."""
    profile = RoutingProfile.objects.filter(agent=agent).first() or RoutingProfile(agent=agent)
    profile.agent = agent
    return profile


def skill_list(*, user: User) -> QuerySet[Skill]:
    require_agent(user)
    return Skill.objects.all()


@dataclass(frozen=True)
class AgentRow:
    agent: User
    state: str
    since: datetime | None
    unanswered: int
    open: int
    pending: int
    capacity: int


@dataclass(frozen=True)
class Dashboard:
    """The live team dashboard (PR2)."""

    agents: list[AgentRow]
    queue_length: int
    oldest_waiting: datetime | None
    needs_manager: int


def team_dashboard(*, user: User) -> Dashboard:
    """Every agent who can receive tickets, with their state and counts, and the queue. Any agent may look."""
    require_agent(user)
    agents = list(User.objects.filter(role__in=EDITOR_ROLES, is_active=True).order_by("name"))
    profiles = {profile.agent_id: profile for profile in RoutingProfile.objects.all()}
    counts: dict[int, Any] = {
        row["assignee_id"]: row
        for row in Ticket.objects.filter(assignee_id__isnull=False, status__in=UNSOLVED)
        .values("assignee_id")
        .annotate(
            unanswered=Count("id", filter=Q(awaiting_agent=True)),
            open=Count("id", filter=Q(status__in=(Status.NEW, Status.OPEN))),
            pending=Count("id", filter=Q(status=Status.PENDING)),
        )
    }
    rows = []
    for agent in agents:
        profile = profiles.get(agent.pk) or RoutingProfile(agent=agent)  # never saved: off shift, defaults
        row = counts.get(agent.pk, {})
        rows.append(
            AgentRow(
                agent=agent,
                state=profile.state,
                since=profile.state_since,
                unanswered=row.get("unanswered", 0),
                open=row.get("open", 0),
                pending=row.get("pending", 0),
                capacity=profile.capacity,
            )
        )
    waiting = Ticket.objects.filter(WAITING).aggregate(n=Count("id"), oldest=Min("awaiting_since"))
    return Dashboard(
        agents=rows,
        queue_length=waiting["n"],
        oldest_waiting=waiting["oldest"],
        needs_manager=Ticket.objects.filter(needs_manager=True, status__in=UNSOLVED).count(),
    )


def ticket_assignments(*, user: User, ticket_id: int) -> QuerySet[Assignment]:
    """The routing decisions about a ticket the user may see, oldest first."""
    ticket = access_ticket(user, ticket_id)
    return Assignment.objects.filter(ticket=ticket).select_related("agent", "previous")


def own_profile(user: User) -> RoutingProfile | None:
    """The signed-in person's own routing profile, for their shift bar; None if they cannot receive tickets."""
    if user.role not in EDITOR_ROLES or not user.is_active:
        return None
    try:
        return user.routing_profile  # read with the user when they signed in to the workspace
    except RoutingProfile.DoesNotExist:
        return RoutingProfile(agent=user)


def profile_list(*, user: User) -> list[RoutingProfile]:
    """Every active agent who can receive tickets, with their profile and teams. Supervisors and admins only."""
    require_agent(user)
    if user.role not in MANAGER_ROLES:
        raise PermissionDenied("Only supervisors and admins may see other agents' routing profiles.")
    agents = User.objects.filter(role__in=EDITOR_ROLES, is_active=True).order_by("name")
    profiles = {profile.agent_id: profile for profile in RoutingProfile.objects.filter(agent__in=agents)}
    listed = []
    for agent in agents.prefetch_related("teams"):
        profile = profiles.get(agent.pk) or RoutingProfile(agent=agent)
        profile.agent = agent
        listed.append(profile)
    return listed
