"""Routing: who may receive what, shifts and intake, automatic assignment and rebalancing.

Assignment decisions are serialised: a pass holds the routing lock (an advisory lock
on PostgreSQL; on SQLite the write transaction is already exclusive) while it reads
the agents' loads and moves tickets, so two workers never decide on stale counts.
Each move is also conditional on the ticket being as the pass read it
(`tickets.services.ticket_route`), so a person changing a ticket at the same time
wins and nothing is assigned twice.
"""

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, Team, User
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError
from frontdesk.core.events import publish
from frontdesk.core.queries import Prepared
from frontdesk.core.services import UNSET, Unset, require_role
from frontdesk.routing.events import AgentStateChanged
from frontdesk.routing.models import AgentState, Assignment, IntervalKind, RoutingProfile, Rule, Skill, WorkInterval
from frontdesk.routing.selectors import WAITING
from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated
from frontdesk.tickets.models import (
    UNSOLVED,
    BookingChannel,
    BookingStage,
    Channel,
    Message,
    MessageKind,
    Priority,
    Ticket,
)
from frontdesk.tickets.services import normalise_tags, ticket_route

# How far back "clearing faster" looks when rebalancing.
RATE_WINDOW = timedelta(hours=1)
MIN_PACE_WINDOW = timedelta(minutes=15)
QUEUE_CHUNK = 500
_LOCK_KEY = 0x46524F4E54  # "FRONT": the PostgreSQL advisory lock of assignment decisions
# The agents who take tickets: on shift, intake running, automatic assignment on.
TAKING = Q(state=AgentState.WORKING, auto_assign=True, agent__is_active=True)


# --- profiles ------------------------------------------------------------------------


def profile_of(agent: User) -> RoutingProfile:
    """The agent's routing profile; a default one (takes anything, off shift) the first time."""
    profile, _created = RoutingProfile.objects.get_or_create(agent=agent)
    return profile


def _choices(values: Sequence[str], allowed: list[str], field_name: str) -> list[str]:
    chosen = sorted({value.strip() for value in values if value.strip()})
    unknown = [value for value in chosen if value not in allowed]
    if unknown:
        raise ValidationError(f"Unknown {field_name.replace('_', ' ')}: {', '.join(unknown)}.", field=field_name)
    return chosen


@transaction.atomic
def routing_profile_update(
    *,
    agent: User,
    actor: User,
    now: datetime,
    auto_assign: bool | Unset = UNSET,
    booking_stages: Sequence[str] | Unset = UNSET,
    booking_channels: Sequence[str] | Unset = UNSET,
    channels: Sequence[str] | Unset = UNSET,
    teams: Sequence[Team] | Unset = UNSET,
    languages: Sequence[str] | Unset = UNSET,
    priorities: Sequence[str] | Unset = UNSET,
    skills: Sequence[str] | Unset = UNSET,
    capacity: int | Unset = UNSET,
) -> RoutingProfile:
    """Set which tickets an agent may receive (RT1). Supervisors and admins only; only what is given changes."""
    require_role(actor, MANAGER_ROLES, "change routing profiles")
    _require_receiver(agent)
    profile = _locked_profile(agent)
    if not isinstance(auto_assign, Unset):
        profile.auto_assign = auto_assign
    if not isinstance(booking_stages, Unset):
        profile.booking_stages = _choices(booking_stages, BookingStage.values, "booking_stages")
    if not isinstance(booking_channels, Unset):
        profile.booking_channels = _choices(booking_channels, BookingChannel.values, "booking_channels")
    if not isinstance(channels, Unset):
        profile.channels = _choices(channels, Channel.values, "channels")
    if not isinstance(priorities, Unset):
        profile.priorities = _choices(priorities, Priority.values, "priorities")
    if not isinstance(languages, Unset):
        profile.languages = sorted({_language(value) for value in languages if value.strip()})
    if not isinstance(capacity, Unset):
        if capacity < 0 or capacity > 10_000:
            raise ValidationError("Capacity is a number of tickets from 0 (no limit) to 10,000.", field="capacity")
        profile.capacity = capacity
    profile.save()
    if not isinstance(teams, Unset):
        member_of = set(agent.teams.values_list("pk", flat=True))
        outside = [team.name for team in teams if team.pk not in member_of]
        if outside:
            raise ValidationError(f"{agent.name} is not a member of {', '.join(outside)}.", field="teams")
        profile.teams.set(teams)
    if not isinstance(skills, Unset):
        names = normalise_tags(skills)
        existing = {skill.name: skill for skill in Skill.objects.filter(name__in=names)}
        created = Skill.objects.bulk_create([Skill(name=name) for name in names if name not in existing])
        profile.skills.set([*existing.values(), *created])
    transaction.on_commit(partial(routing_assign_waiting, now=now), robust=True)
    return profile


def _language(value: str) -> str:
    """The primary language of a tag: "es-ES" and "es" both route as "es"."""
    return value.strip().lower().replace("_", "-").split("-")[0]


# --- shift timer and intake ----------------------------------------------------------


def _require_receiver(agent: User) -> None:
    if agent.role not in EDITOR_ROLES or not agent.is_active:
        raise ValidationError(f"{agent.name} cannot receive tickets.", field="agent")


def _require_self_or_manager(agent: User, actor: User, what: str) -> None:
    require_role(actor, EDITOR_ROLES, what)
    if actor.pk != agent.pk and actor.role not in MANAGER_ROLES:
        raise PermissionDenied(f"Only supervisors and admins may {what} for someone else.")


def _set_state(profile: RoutingProfile, state: str, now: datetime) -> None:
    old = profile.state
    profile.state, profile.state_since = state, now
    if state == AgentState.WORKING:
        profile.idle_since = now
    profile.save(update_fields=["state", "state_since", "idle_since"])
    publish(AgentStateChanged(agent_id=profile.agent_id, old=old, new=state, at=now))


def _close_interval(agent: User, kind: str, now: datetime) -> None:
    WorkInterval.objects.filter(agent=agent, kind=kind, ended_at__isnull=True).update(ended_at=now)


def _locked_profile(agent: User) -> RoutingProfile:
    profile_of(agent)
    return RoutingProfile.objects.select_for_update().get(agent=agent)


@transaction.atomic
def shift_start(*, agent: User, actor: User, now: datetime) -> RoutingProfile:
    """Start the shift timer (RT4): work time runs and intake starts."""
    _require_self_or_manager(agent, actor, "start the shift timer")
    _require_receiver(agent)
    profile = _locked_profile(agent)
    if profile.state != AgentState.OFF:
        raise Conflict(f"{agent.name}'s shift has already started.", field="state")
    WorkInterval.objects.create(agent=agent, kind=IntervalKind.SHIFT, started_at=now)
    _set_state(profile, AgentState.WORKING, now)
    transaction.on_commit(partial(routing_assign_waiting, now=now), robust=True)
    return profile


@transaction.atomic
def shift_stop(*, agent: User, actor: User, now: datetime) -> RoutingProfile:
    """Stop the shift timer: work time stops, and tickets the agent has not opened go back to the queue."""
    _require_self_or_manager(agent, actor, "stop the shift timer")
    _lock_decisions()  # first, as a pass takes it before the profiles it updates
    profile = _locked_profile(agent)
    if profile.state == AgentState.OFF:
        raise Conflict(f"{agent.name}'s shift has not started.", field="state")
    _close_interval(agent, IntervalKind.PAUSED, now)
    _close_interval(agent, IntervalKind.SHIFT, now)
    _set_state(profile, AgentState.OFF, now)
    unopened = Ticket.objects.filter(
        assignee=agent, status__in=UNSOLVED, awaiting_agent=True, assignee_opened_at__isnull=True
    ).order_by("awaiting_since", "id")
    note = f"{agent.name} stopped work before opening it"
    returned = [_move(ticket, source=agent, target=None, rule=Rule.RETURNED, note=note, now=now) for ticket in unopened]
    Assignment.objects.bulk_create([decision for decision in returned if decision])
    transaction.on_commit(partial(routing_assign_waiting, now=now), robust=True)
    return profile


@transaction.atomic
def intake_pause(*, agent: User, actor: User, now: datetime) -> RoutingProfile:
    """Pause intake (RT5): the agent keeps working on their tickets and gets no new ones; invisible time runs."""
    _require_self_or_manager(agent, actor, "pause intake")
    profile = _locked_profile(agent)
    if profile.state != AgentState.WORKING:
        raise Conflict(f"{agent.name} is not taking tickets, so intake cannot pause.", field="state")
    WorkInterval.objects.create(agent=agent, kind=IntervalKind.PAUSED, started_at=now)
    _set_state(profile, AgentState.PAUSED, now)
    return profile


@transaction.atomic
def intake_resume(*, agent: User, actor: User, now: datetime) -> RoutingProfile:
    """Resume intake: new tickets reach the agent again."""
    _require_self_or_manager(agent, actor, "resume intake")
    profile = _locked_profile(agent)
    if profile.state != AgentState.PAUSED:
        raise Conflict(f"{agent.name}'s intake is not paused.", field="state")
    _close_interval(agent, IntervalKind.PAUSED, now)
    _set_state(profile, AgentState.WORKING, now)
    transaction.on_commit(partial(routing_assign_waiting, now=now), robust=True)
    return profile


# --- assignment ------------------------------------------------------------------------


@dataclass
class _Agent:
    """An agent taking tickets, as one assignment pass sees them."""

    user: User
    capacity: int
    idle_since: datetime
    unanswered: int
    member_of: frozenset[int]
    teams: frozenset[int]
    booking_stages: frozenset[str]
    booking_channels: frozenset[str]
    channels: frozenset[str]
    languages: frozenset[str]
    priorities: frozenset[str]
    skills: frozenset[str]
    taking_since: datetime | None = None  # when intake (re)started
    cleared: int = 0  # rebalancing: answers in the last RATE_WINDOW while taking tickets …
    pace: float = 0.0  # … and per hour of that time

    @property
    def has_room(self) -> bool:
        return self.capacity == 0 or self.unanswered < self.capacity

    def may_take(self, ticket: Ticket, needs: frozenset[str]) -> bool:
        """RT1: every condition of the profile holds for the ticket (an empty condition holds for any)."""
        if ticket.team_id is not None:
            if ticket.team_id not in self.member_of or (self.teams and ticket.team_id not in self.teams):
                return False
        elif self.teams:
            return False
        return (
            (not self.booking_stages or ticket.booking_stage in self.booking_stages)
            and (not self.booking_channels or ticket.booking_channel in self.booking_channels)
            and (not self.channels or ticket.channel in self.channels)
            and (not self.languages or _language(ticket.language) in self.languages)
            and (not self.priorities or ticket.priority in self.priorities)
            and needs <= self.skills
        )


def _move(
    ticket: Ticket,
    *,
    source: User | None,
    target: User | None,
    rule: str,
    note: str,
    now: datetime,
    figures: dict[str, object] | None = None,
) -> Assignment | None:
    """Move a ticket from `source` to `target` (None: the queue) through `ticket_route`, and the
    decision that records it (unsaved: the caller saves a chunk at once). None when someone
    changed the ticket meanwhile."""
    ticket.assignee = source
    if not ticket_route(ticket=ticket, assignee=target, note=note, now=now):
        return None
    return Assignment(
        ticket=ticket, agent=target, previous=source, rule=rule, figures=figures or {}, note=note, created_at=now
    )


def _lock_decisions() -> None:
    """Serialise assignment decisions across processes until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: Frontdesk's transactions begin IMMEDIATE, so this one already excludes other writers.


def _taking_agents(now: datetime) -> list[_Agent]:
    """Agents on shift with intake running and their profiles, read before taking the lock
    (`_refresh` then reads, under it, what must be current)."""
    profiles = list(RoutingProfile.objects.filter(TAKING).select_related("agent").prefetch_related("teams", "skills"))
    if not profiles:
        return []
    ids = [profile.agent_id for profile in profiles]
    member_of: dict[int, set[int]] = {pk: set() for pk in ids}
    for user_id, team_id in Team.members.through.objects.filter(user_id__in=ids).values_list("user_id", "team_id"):
        member_of[user_id].add(team_id)
    return [
        _Agent(
            user=profile.agent,
            capacity=profile.capacity,
            idle_since=profile.idle_since or profile.state_since or now,
            taking_since=profile.state_since,
            unanswered=0,
            member_of=frozenset(member_of[profile.agent_id]),
            teams=frozenset(team.pk for team in profile.teams.all()),
            booking_stages=frozenset(profile.booking_stages),
            booking_channels=frozenset(profile.booking_channels),
            channels=frozenset(profile.channels),
            languages=frozenset(profile.languages),
            priorities=frozenset(profile.priorities),
            skills=frozenset(skill.name for skill in profile.skills.all()),
        )
        for profile in profiles
    ]


def _refresh(agents: list[_Agent]) -> list[_Agent]:
    """Under the routing lock: who still takes tickets, since when they are idle, and their
    unanswered counts, as the passes before this one left them."""
    ids = [agent.user.pk for agent in agents]
    idle = dict(RoutingProfile.objects.filter(TAKING, agent_id__in=ids).values_list("agent_id", "idle_since"))
    unanswered = _unanswered(ids)
    taking = [agent for agent in agents if agent.user.pk in idle]
    for agent in taking:
        agent.idle_since = idle[agent.user.pk] or agent.idle_since
        agent.unanswered = unanswered.get(agent.user.pk, 0)
    return taking


def _needs(ticket: Ticket, skills: frozenset[str]) -> frozenset[str]:
    """The skills a ticket needs: its tags that name a skill."""
    if not skills:
        return frozenset()
    return frozenset(tag.name for tag in ticket.tags.all()) & skills


FIGURES_KEPT = 10  # the least loaded candidates a decision records


def _rank(agent: _Agent) -> tuple[int, datetime, int]:
    return agent.unanswered, agent.idle_since, agent.user.pk


def _decide(candidates: list[_Agent]) -> tuple[_Agent, dict[str, object], str]:
    """The agent with the fewest unanswered tickets (ties: idle longest), and the figures compared."""
    ranked = heapq.nsmallest(FIGURES_KEPT, candidates, key=_rank)
    chosen = ranked[0]
    figures = {
        "unanswered": {str(agent.user.pk): agent.unanswered for agent in ranked},
        "candidates": len(candidates),
        "idle_since": chosen.idle_since.isoformat(),
        "capacity": chosen.capacity,
    }
    compared = "; ".join(f"{agent.user.name} {agent.unanswered}" for agent in ranked[:5])
    more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
    tie = len(ranked) > 1 and ranked[1].unanswered == chosen.unanswered
    why = " (idle longest)" if tie else ""
    return chosen, figures, f"fewest unanswered{why} among eligible agents: {compared}{more}"


def _unanswered(agent_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        Ticket.objects.filter(assignee_id__in=list(agent_ids), status__in=UNSOLVED, awaiting_agent=True)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )


def _anyone_has_room() -> bool:
    """Whether an agent taking tickets is under their capacity (read without the lock: a hint)."""
    capacities: dict[int, int] = dict(_TAKING_CAPACITIES.all())
    if not capacities or 0 in capacities.values():
        return bool(capacities)
    unanswered = _unanswered(capacities)
    return any(unanswered.get(pk, 0) < capacity for pk, capacity in capacities.items())


# Every new ticket asks (core.queries).
_TAKING_CAPACITIES = Prepared(lambda: RoutingProfile.objects.filter(TAKING).values_list("agent_id", "capacity"))


def routing_assign_waiting(*, now: datetime, chunk: int = QUEUE_CHUNK) -> int:
    """Give waiting unassigned tickets, oldest first, to eligible agents with room (RT2).

    Each ticket goes to the eligible agent with the fewest unanswered tickets; ties go to
    the one idle longest. Tickets nobody may take stay in the queue. Returns how many
    tickets were assigned. Runs in chunks, each its own transaction.
    """
    assigned = 0
    after: tuple[datetime, int] | None = None
    if not _anyone_has_room() or not Ticket.objects.filter(WAITING).exists():
        return 0  # the common cases (nobody works, everyone is full, nothing waits): no lock
    skills = frozenset(Skill.objects.values_list("name", flat=True))
    profiles = _taking_agents(now)
    while profiles:
        with transaction.atomic():
            _lock_decisions()
            agents = [agent for agent in _refresh(profiles) if agent.has_room]
            if not agents:
                return assigned
            waiting = Ticket.objects.filter(WAITING).order_by("awaiting_since", "id")
            if after is not None:
                waiting = waiting.filter(Q(awaiting_since__gt=after[0]) | Q(awaiting_since=after[0], id__gt=after[1]))
            if skills:
                waiting = waiting.prefetch_related("tags")
            tickets = list(waiting[:chunk])
            if not tickets:
                return assigned
            decisions: list[Assignment] = []
            for ticket in tickets:
                needs = _needs(ticket, skills)
                candidates = [agent for agent in agents if agent.has_room and agent.may_take(ticket, needs)]
                if not candidates:
                    continue
                chosen, figures, note = _decide(candidates)
                decision = _move(
                    ticket, source=None, target=chosen.user, rule=Rule.ASSIGNED, note=note, figures=figures, now=now
                )
                if decision:
                    decisions.append(decision)
                    chosen.unanswered += 1
                    chosen.idle_since = now
                    if not any(agent.has_room for agent in agents):
                        break
            Assignment.objects.bulk_create(decisions)
            given = {decision.agent_id for decision in decisions}
            RoutingProfile.objects.filter(agent_id__in=given).update(idle_since=now)
            assigned += len(decisions)
            last = tickets[-1]
            after = (last.awaiting_since, last.pk)  # type: ignore[assignment]  # set on every queued ticket
            if len(tickets) < chunk or not any(agent.has_room for agent in agents):
                return assigned
    return assigned


# --- rebalancing -------------------------------------------------------------------------


def routing_rebalance(*, now: datetime) -> int:
    """Move unopened tickets from agents who are behind to eligible agents clearing faster (RT3).

    An agent's pace is their answers per hour over the last hour (or since their intake
    started). A ticket moves from A to B when B may take it and has room, A holds at least
    two more unanswered tickets than B, and B would answer it sooner: B's unanswered
    tickets plus this one, over B's pace, take less time than A's over A's. The agent
    furthest behind gives first, oldest waiting ticket first, to the least loaded such
    agent. A ticket its agent has opened never moves. Returns how many moved.
    """
    with transaction.atomic():
        _lock_decisions()
        agents = {agent.user.pk: agent for agent in _refresh(_taking_agents(now))}
        if len(agents) < 2:
            return 0
        _measure_pace(agents, now)
        skills = frozenset(Skill.objects.values_list("name", flat=True))
        movable = Ticket.objects.filter(
            assignee_id__in=list(agents), status__in=UNSOLVED, awaiting_agent=True, assignee_opened_at__isnull=True
        ).order_by("awaiting_since", "id")
        if skills:
            movable = movable.prefetch_related("tags")
        held: dict[int, list[Ticket]] = {pk: [] for pk in agents}
        for ticket in movable:
            held[ticket.assignee_id].append(ticket)  # type: ignore[index]  # filtered on an assignee
        moves: list[Assignment] = []
        while move := _next_move(agents, held, skills):
            ticket, source, target = move
            held[source.user.pk].remove(ticket)
            figures = {
                "unanswered": {str(source.user.pk): source.unanswered, str(target.user.pk): target.unanswered},
                "answers_per_hour": {
                    str(source.user.pk): round(source.pace, 1),
                    str(target.user.pk): round(target.pace, 1),
                },
            }
            note = (
                f"rebalanced from {source.user.name} ({source.unanswered} unanswered, {source.pace:.1f} answers an "
                f"hour) to {target.user.name} ({target.unanswered} unanswered, {target.pace:.1f} answers an hour)"
            )
            decision = _move(
                ticket,
                source=source.user,
                target=target.user,
                rule=Rule.REBALANCED,
                note=note,
                figures=figures,
                now=now,
            )
            if decision:
                moves.append(decision)
                source.unanswered -= 1
                target.unanswered += 1
        Assignment.objects.bulk_create(moves)
        return len(moves)


def _measure_pace(agents: dict[int, _Agent], now: datetime) -> None:
    """Each agent's answers per hour over the last hour, or since their intake started if later
    (at least a quarter of an hour, and one answer more, so that someone who has just started
    is neither infinitely fast nor infinitely slow)."""
    answers = Message.objects.filter(
        author_agent_id__in=list(agents),
        kind=MessageKind.REPLY,
        response_seconds__isnull=False,
        created_at__gt=now - RATE_WINDOW,
        created_at__lte=now,
    ).values_list("author_agent_id", "created_at")
    since = {pk: max(now - RATE_WINDOW, agent.taking_since or now - RATE_WINDOW) for pk, agent in agents.items()}
    for author, at in answers:
        if at > since[author]:
            agents[author].cleared += 1
    for pk, agent in agents.items():
        hours = max((now - since[pk]).total_seconds(), MIN_PACE_WINDOW.total_seconds()) / 3600
        agent.pace = (agent.cleared + 1) / hours


def _sooner(target: _Agent, source: _Agent) -> bool:
    """Whether `target` would answer one more ticket sooner than `source` answers those it holds."""
    return (target.unanswered + 1) / target.pace < source.unanswered / source.pace


def _next_move(
    agents: dict[int, _Agent], held: dict[int, list[Ticket]], skills: frozenset[str]
) -> tuple[Ticket, _Agent, _Agent] | None:
    """The next rebalancing move: from the agent furthest behind, their oldest unopened ticket that a
    faster agent with at least two fewer unanswered tickets may take (the least loaded such agent)."""
    for source in sorted(agents.values(), key=lambda agent: (-agent.unanswered, agent.pace, agent.user.pk)):
        faster = [
            agent
            for agent in agents.values()
            if _sooner(agent, source) and source.unanswered - agent.unanswered >= 2 and agent.has_room
        ]
        if not faster:
            continue
        for ticket in held[source.user.pk]:
            needs = _needs(ticket, skills)
            targets = [agent for agent in faster if agent.may_take(ticket, needs)]
            if targets:
                return ticket, source, min(targets, key=lambda agent: (agent.unanswered, -agent.pace, agent.user.pk))
    return None


# --- domain event handlers (subscribed in RoutingConfig.ready) ---------------------------


def assign_on_create(event: TicketCreated) -> None:
    """A new ticket: assign it (and anything older still waiting) now, if anyone is taking tickets."""
    routing_assign_waiting(now=timezone.now())


def assign_on_message(event: MessageAdded) -> None:
    """A customer wrote on an unassigned ticket, or an agent's answer made room: run a pass."""
    if event.kind == MessageKind.REPLY:
        routing_assign_waiting(now=timezone.now())


def assign_on_change(event: TicketChanged) -> None:
    """A person unassigned, reopened or re-routed a ticket: it may be waiting now.

    Routing's own moves (no actor) do not trigger another pass, nor does a status a reply set
    (`assign_on_message` runs one after the same commit); the periodic pass covers the rest."""
    if (
        event.actor_id is not None
        and event.message_id is None
        and {"assignee", "status", "team", "tags"} & set(event.fields)
    ):
        routing_assign_waiting(now=timezone.now())
