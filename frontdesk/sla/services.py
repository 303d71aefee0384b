"""Every write of the SLA app: a ticket's clocks, and the alarms they fire.

`sla_refresh` computes a ticket's clocks (`deadlines.clocks`, a pure function) from its
history under the policy that applies, stores them, keeps the ticket's `sla_due_at`, and
fires the alarms that are due. It runs after every change to a ticket (an event handler)
and from the sweep, which every few seconds reads the clocks whose next alarm is due
through a partial index: when nothing is due it is one index probe.

An alarm fires once: the ticket's row is locked while its clocks are refreshed (on SQLite
every transaction excludes other writers), and a unique constraint on the clock and
fraction stops a second insert whatever happens. Firing writes the alarm, an in-app
notification to the assignee (the team lead when no one is assigned), an e-mail to the
team lead and the webhooks, and, at breach, runs the policy's escalations — in the same
transaction, so all of it happens exactly once.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Role, User
from frontdesk.notifications.services import notify, staff_email_queue, webhooks_queue
from frontdesk.sla import deadlines
from frontdesk.sla.models import Alarm, AlarmLevel, Calendar, Clock, Contract, Policy
from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated
from frontdesk.tickets.models import Message, Priority, Ticket, TicketEvent
from frontdesk.tickets.services import ticket_set_sla_due, ticket_update

logger = logging.getLogger(__name__)

PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
DEFAULT_WARN_AT = (0.75, 0.9)
# Changes to these can change which policy applies or how its clocks run.
SLA_FIELDS = frozenset({"status", "priority", "team", "tags", "channel", "organisation"})


# --- from rows to the pure functions' inputs -----------------------------------------


def calendar_spec(calendar: Calendar) -> deadlines.CalendarSpec:
    def parse(value: str) -> time | None:
        return None if value == "24:00" else time.fromisoformat(value)

    hours = {
        int(day): tuple((time.fromisoformat(opens), parse(closes)) for opens, closes in pairs)
        for day, pairs in (calendar.hours or {}).items()
    }
    holidays = tuple((holiday.first_day, holiday.last_day) for holiday in calendar.holidays.all())
    return deadlines.CalendarSpec(
        zone=calendar.time_zone, hours=hours, holidays=holidays, always_open=calendar.always_open
    )


def policy_spec(policy: Policy) -> deadlines.PolicySpec:
    targets = {
        target.priority: deadlines.Targets(
            first_response=target.first_response_minutes,
            next_response=target.next_response_minutes,
            resolution=target.resolution_minutes,
        )
        for target in policy.targets.all()
    }
    return deadlines.PolicySpec(targets=targets, warn_at=tuple(policy.warn_at or DEFAULT_WARN_AT))


def ticket_history(ticket: Ticket) -> deadlines.History:
    """The ticket's statuses, priorities and waits on an agent, from its audit trail and replies."""
    changes = list(
        TicketEvent.objects.filter(ticket=ticket, field__in=("status", "priority"))
        .order_by("created_at", "pk")
        .values_list("created_at", "field", "old_value", "new_value")
    )

    def series(name: str, current: str) -> list[tuple[datetime, str]]:
        own = [(at, old, new) for at, field, old, new in changes if field == name]
        values = [(ticket.created_at, own[0][1] if own else current)]
        values += [(max(at, ticket.created_at), new) for at, _old, new in own]
        return values

    replies = Message.objects.filter(ticket=ticket, response_seconds__isnull=False).order_by("created_at", "pk")
    waits: list[tuple[datetime, datetime | None]] = [
        (since or at - timedelta(seconds=seconds or 0), at)
        for at, since, seconds in replies.values_list("created_at", "awaited_since", "response_seconds")
    ]
    if ticket.awaiting_agent and ticket.awaiting_since is not None:
        waits.append((ticket.awaiting_since, None))
    return deadlines.History(
        created_at=ticket.created_at,
        statuses=series("status", ticket.status),
        priorities=series("priority", ticket.priority),
        waits=waits,
        first_response_at=ticket.first_response_at,
    )


# --- which policy ------------------------------------------------------------------------


def _policies() -> list[Policy]:
    return list(
        Policy.objects.filter(is_active=True)
        .select_related("calendar", "breach_team__lead")
        .prefetch_related("targets", "calendar__holidays")
    )


def policy_for(ticket: Ticket, *, tags: Sequence[str], policies: Sequence[Policy], now: datetime) -> Policy | None:
    """A running contract's policy on the ticket's organisation, else the first that matches."""
    if ticket.organisation_id is not None:
        today = timezone.localdate(now)
        contract = (
            Contract.objects.filter(organisation_id=ticket.organisation_id, starts_on__lte=today)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .order_by("-starts_on", "-pk")
            .values_list("policy_id", flat=True)
            .first()
        )
        for policy in policies:
            if policy.pk == contract:
                return policy
    for policy in policies:
        if (
            (not policy.organisations or ticket.organisation_id in policy.organisations)
            and (not policy.teams or ticket.team_id in policy.teams)
            and (not policy.channels or ticket.channel in policy.channels)
            and (not policy.priorities or ticket.priority in policy.priorities)
            and (not policy.tags or any(tag in policy.tags for tag in tags))
        ):
            return policy
    return None


# --- refresh and fire -------------------------------------------------------------------


@dataclass(frozen=True)
class Refreshed:
    clocks: list[deadlines.Clock]
    fired: list[Alarm]


@transaction.atomic
def sla_refresh(*, ticket_id: int, now: datetime, policies: Sequence[Policy] | None = None) -> Refreshed:
    """Recompute a ticket's clocks, store them and fire what is due. Returns the clocks and the alarms fired."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("team__lead", "assignee", "organisation")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return Refreshed([], [])
    tags = list(ticket.tags.values_list("name", flat=True))
    policy = policy_for(ticket, tags=tags, policies=_policies() if policies is None else policies, now=now)
    if policy is None:  # no SLA: running clocks go, what happened stays
        Clock.objects.filter(ticket=ticket, stopped_at__isnull=True).delete()
        ticket_set_sla_due(ticket=ticket, due_at=None)
        return Refreshed([], [])
    computed = deadlines.clocks(policy_spec(policy), calendar_spec(policy.calendar), ticket_history(ticket), now)
    fired_keys = set(Alarm.objects.filter(ticket=ticket).values_list("metric", "clock_started_at", "permille"))
    fired: list[Alarm] = []
    rows = []
    for clock in computed:
        pending = [
            (fraction, at)
            for fraction, at in clock.alarms
            if at is not None and (clock.metric.value, clock.started_at, _permille(fraction)) not in fired_keys
        ]
        due = [(fraction, at) for fraction, at in pending if at <= now]
        if due:
            fired += _fire(ticket, policy, clock, due, now)
        later = [at for _fraction, at in pending if at > now]
        rows.append(_clock_row(ticket, policy, clock, min(later, default=None), now))
    _store(ticket, rows)
    running = [clock.due_at for clock in computed if clock.stopped_at is None and clock.due_at is not None]
    ticket_set_sla_due(ticket=ticket, due_at=min(running, default=None))
    return Refreshed(computed, fired)


def _permille(fraction: float) -> int:
    return round(fraction * 1000)


def _clock_row(
    ticket: Ticket, policy: Policy, clock: deadlines.Clock, next_alarm: datetime | None, now: datetime
) -> Clock:
    return Clock(
        ticket=ticket,
        metric=clock.metric.value,
        started_at=clock.started_at,
        policy=policy,
        target_minutes=clock.target_minutes,
        state=clock.state.value,
        stopped_at=clock.stopped_at,
        elapsed_seconds=clock.elapsed_seconds,
        paused_seconds=clock.paused_seconds,
        due_at=clock.due_at,
        next_alarm_at=next_alarm,
        computed_at=now,
    )


def _store(ticket: Ticket, rows: list[Clock]) -> None:
    """Replace the ticket's clocks with `rows`. A stopped clock the policy no longer has is kept:
    it is what happened (reports count it); a running one is dropped."""
    keys = {(row.metric, row.started_at) for row in rows}
    stale = [
        pk
        for pk, metric, started, stopped in Clock.objects.filter(ticket=ticket).values_list(
            "pk", "metric", "started_at", "stopped_at"
        )
        if (metric, started) in keys or stopped is None
    ]
    if stale:
        Clock.objects.filter(pk__in=stale).delete()
    Clock.objects.bulk_create(rows)


def _fire(
    ticket: Ticket, policy: Policy, clock: deadlines.Clock, due: list[tuple[float, datetime]], now: datetime
) -> list[Alarm]:
    """Record the due alarms of one clock; announce the most severe (once), unless it was due before
    the policy applied. A breach runs the policy's escalations."""
    most_severe = max(fraction for fraction, _at in due)
    fired = []
    for fraction, at in sorted(due):
        alarm = Alarm(
            ticket=ticket,
            metric=clock.metric.value,
            clock_started_at=clock.started_at,
            permille=_permille(fraction),
            level=AlarmLevel.BREACH if fraction >= deadlines.BREACH else AlarmLevel.WARNING,
            policy=policy,
            due_at=at,
            fired_at=now,
            announced=fraction == most_severe and at >= policy.active_since,
        )
        try:
            with transaction.atomic():
                alarm.save(force_insert=True)
        except IntegrityError:  # another worker fired it first
            continue
        fired.append(alarm)
    for alarm in fired:
        if alarm.announced:
            _announce(ticket, policy, clock, alarm, now)
            if alarm.level == AlarmLevel.BREACH:
                _escalate(ticket, policy, now)
    return fired


def _announce(ticket: Ticket, policy: Policy, clock: deadlines.Clock, alarm: Alarm, now: datetime) -> None:
    metric = clock.metric.value
    lead = ticket.team.lead if ticket.team is not None else None
    context = {
        "ticket": ticket,
        "metric": metric,
        "alarm": alarm,
        "clock": clock,
        "policy": policy,
        "url": f"{settings.BASE_URL}/tickets/{ticket.pk}/",
    }
    in_app = [ticket.assignee] if ticket.assignee is not None else [lead] if lead is not None else []
    for user in in_app:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            notify(
                recipients=[user],
                kind=f"sla.{alarm.level}",
                title=_alarm_title(ticket, metric, alarm),
                body=render_to_string("sla/alarm.txt", context),
                ticket=ticket,
                now=now,
            )
    if lead is not None:
        _email([lead], ticket, metric, alarm, context, now)
    webhooks_queue(
        event=f"sla.{alarm.level}",
        payload={
            "ticket": {
                "id": ticket.pk,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "organisation": ticket.organisation_id,
                "url": context["url"],
            },
            "policy": {"id": policy.pk, "name": policy.name},
            "metric": metric,
            "fraction": alarm.permille / 1000,
            "target_minutes": clock.target_minutes,
            "clock_started_at": clock.started_at,
            "due_at": alarm.due_at,
            "fired_at": alarm.fired_at,
        },
        now=now,
    )


def _alarm_title(ticket: Ticket, metric: str, alarm: Alarm) -> str:
    from frontdesk.sla.models import Metric

    label = Metric(metric).label
    if alarm.level == AlarmLevel.BREACH:
        return _("SLA breached: %(metric)s on #%(id)s %(subject)s") % {
            "metric": label,
            "id": ticket.pk,
            "subject": ticket.subject,
        }
    return _("SLA warning: %(percent)s %% of the %(metric)s target used on #%(id)s %(subject)s") % {
        "percent": f"{alarm.permille / 10:g}",
        "metric": label,
        "id": ticket.pk,
        "subject": ticket.subject,
    }


def _email(
    recipients: list[User], ticket: Ticket, metric: str, alarm: Alarm, context: dict[str, object], now: datetime
) -> None:
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            staff_email_queue(
                recipients=[user],
                subject=_alarm_title(ticket, metric, alarm),
                body=render_to_string("sla/alarm.txt", context),
                now=now,
            )


def _escalate(ticket: Ticket, policy: Policy, now: datetime) -> None:
    """The policy's actions on breach: raise the priority, move to a team, tell the supervisors."""
    priority = ticket.priority
    if policy.breach_raise_priority and priority != Priority.URGENT:
        priority = PRIORITY_ORDER[PRIORITY_ORDER.index(Priority(priority)) + 1]
    team = policy.breach_team if policy.breach_team_id not in (None, ticket.team_id) else ticket.team
    if priority != ticket.priority or team != ticket.team:
        ticket_update(ticket=ticket, actor=None, now=now, priority=priority, team=team)
    if policy.breach_notify_supervisors:
        supervisors = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True))
        title = _("SLA breached on #%(id)s %(subject)s") % {"id": ticket.pk, "subject": ticket.subject}
        notify(recipients=supervisors, kind="sla.escalation", title=title, ticket=ticket, now=now)
        body = f"{title}\n\n{settings.BASE_URL}/tickets/{ticket.pk}/\n"
        staff_email_queue(recipients=supervisors, subject=title, body=body, now=now)


# --- the sweep and the triggers ------------------------------------------------------------


def sla_sweep(*, now: datetime, limit: int = 200) -> int:
    """Refresh the tickets with an alarm due (at most `limit`). Returns how many alarms fired."""
    due = list(
        Clock.objects.filter(next_alarm_at__lte=now)
        .order_by("next_alarm_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    if not due:
        return 0
    policies = _policies()
    return sum(
        len(sla_refresh(ticket_id=ticket_id, now=now, policies=policies).fired) for ticket_id in dict.fromkeys(due)
    )


def sla_sweep_now() -> int:
    return sla_sweep(now=timezone.now())


def sla_refresh_all(*, now: datetime, batch: int = 500) -> int:
    """Refresh every unsolved ticket and every ticket with a running clock (after a policy or
    calendar changed). Returns how many were refreshed."""
    policies = _policies()
    ids = Ticket.objects.filter(
        Q(status__in=("new", "open", "pending", "on_hold"))
        | Q(pk__in=Clock.objects.filter(stopped_at__isnull=True).values("ticket_id"))
    ).values_list("pk", flat=True)
    count = 0
    for ticket_id in ids.iterator(chunk_size=batch):
        sla_refresh(ticket_id=ticket_id, now=now, policies=policies)
        count += 1
    return count


def _refresh(ticket_id: int) -> None:
    sla_refresh(ticket_id=ticket_id, now=timezone.now())


def refresh_on_create(event: TicketCreated) -> None:
    _refresh(event.ticket_id)


def refresh_on_message(event: MessageAdded) -> None:
    if event.kind == "reply":  # a note changes no clock
        _refresh(event.ticket_id)


def refresh_on_change(event: TicketChanged) -> None:
    if SLA_FIELDS.intersection(event.fields):
        _refresh(event.ticket_id)


def refresh_all_soon() -> None:
    """After commit: refresh every open ticket in the background (a policy or calendar changed)."""
    from frontdesk.sla.tasks import refresh_all

    transaction.on_commit(partial(refresh_all), robust=True)
