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
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from time import monotonic
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Organisation, Role, Team, User
from frontdesk.core.errors import Conflict, ValidationError
from frontdesk.core.queries import Prepared
from frontdesk.core.services import require_role
from frontdesk.notifications.services import notify, staff_email_queue, webhooks_queue
from frontdesk.sla import deadlines
from frontdesk.sla.models import (
    Alarm,
    AlarmLevel,
    Calendar,
    Clock,
    Contract,
    Holiday,
    Metric,
    Policy,
    PolicyTarget,
)
from frontdesk.tickets.events import MessageAdded, TicketChanged, TicketCreated
from frontdesk.tickets.models import Channel, Message, Priority, Ticket, TicketEvent
from frontdesk.tickets.services import normalise_tags, ticket_set_sla_due, ticket_update

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
    return deadlines.PolicySpec(targets=targets, warn_at=tuple(policy.warn_at))  # empty: no warnings


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
    in_app = ticket.assignee or lead
    if in_app is not None:
        title, body = _alarm_words(in_app, ticket, metric, alarm, context)
        notify(recipients=[in_app], kind=f"sla.{alarm.level}", title=title, body=body, ticket=ticket, now=now)
    if lead is not None:
        title, body = _alarm_words(lead, ticket, metric, alarm, context)
        staff_email_queue(recipients=[lead], subject=title, body=body, now=now)
    webhooks_queue(
        event=f"sla.{alarm.level}",
        payload={
            **_webhook_subject(ticket, policy),
            "metric": metric,
            "fraction": alarm.permille / 1000,
            "target_minutes": clock.target_minutes,
            "clock_started_at": clock.started_at,
            "due_at": alarm.due_at,
            "fired_at": alarm.fired_at,
        },
        now=now,
    )


def _webhook_subject(ticket: Ticket, policy: Policy) -> dict[str, object]:
    return {
        "ticket": {
            "id": ticket.pk,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
            "organisation": ticket.organisation_id,
            "url": f"{settings.BASE_URL}/tickets/{ticket.pk}/",
        },
        "policy": {"id": policy.pk, "name": policy.name},
    }


def _alarm_title(ticket: Ticket, metric: str, alarm: Alarm) -> str:
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


def _alarm_words(user: User, ticket: Ticket, metric: str, alarm: Alarm, context: dict[str, object]) -> tuple[str, str]:
    """The alarm's title and text in the recipient's language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _alarm_title(ticket, metric, alarm), render_to_string("sla/alarm.txt", context)


def _escalate(ticket: Ticket, policy: Policy, now: datetime) -> None:
    """The policy's actions on breach: raise the priority, move to a team, tell the supervisors; and
    the `sla.escalation` webhook saying what was done."""
    before = {"priority": ticket.priority, "team": ticket.team_id}
    priority = ticket.priority
    if policy.breach_raise_priority and priority != Priority.URGENT:
        priority = PRIORITY_ORDER[PRIORITY_ORDER.index(Priority(priority)) + 1]
    team = policy.breach_team if policy.breach_team_id not in (None, ticket.team_id) else ticket.team
    if priority != ticket.priority or team != ticket.team:
        ticket = ticket_update(ticket=ticket, actor=None, now=now, priority=priority, team=team)
    changes = {
        field: {"from": old, "to": new}
        for field, old, new in (
            ("priority", before["priority"], ticket.priority),
            ("team", before["team"], ticket.team_id),
        )
        if old != new
    }
    if changes or policy.breach_notify_supervisors:
        webhooks_queue(
            event="sla.escalation",
            payload={
                **_webhook_subject(ticket, policy),
                "changes": changes,
                "supervisors_notified": policy.breach_notify_supervisors,
            },
            now=now,
        )
    if policy.breach_notify_supervisors:
        for supervisor in User.objects.filter(role=Role.SUPERVISOR, is_active=True):
            with translation.override(supervisor.language or settings.LANGUAGE_CODE):
                title = _("SLA breached on #%(id)s %(subject)s") % {"id": ticket.pk, "subject": ticket.subject}
            notify(recipients=[supervisor], kind="sla.escalation", title=title, ticket=ticket, now=now)
            body = f"{title}\n\n{settings.BASE_URL}/tickets/{ticket.pk}/\n"
            staff_email_queue(recipients=[supervisor], subject=title, body=body, now=now)


# --- the sweep and the triggers ------------------------------------------------------------


def sla_sweep(*, now: datetime, batch: int = 200, budget: float = 4.0) -> int:
    """Refresh the tickets with an alarm due, `batch` at a time, until none is left or `budget` seconds
    have passed (the next sweep goes on: a backlog after downtime drains without holding the ticker).
    Returns how many alarms fired."""
    started = monotonic()
    fired = 0
    policies: list[Policy] | None = None
    while True:
        due = list(
            Clock.objects.filter(next_alarm_at__lte=now)
            .order_by("next_alarm_at")
            .values_list("ticket_id", flat=True)[:batch]
        )
        if not due:
            return fired
        policies = policies if policies is not None else _policies()
        for ticket_id in dict.fromkeys(due):
            fired += len(sla_refresh(ticket_id=ticket_id, now=now, policies=policies).fired)
        if monotonic() - started > budget:
            return fired


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
    """After a ticket changed. Without any policy, a ticket without running clocks has nothing to do:
    that costs two reads and no transaction (on SQLite, no write lock)."""
    policies = _policies()
    if not policies and not Clock.objects.filter(ticket_id=ticket_id, stopped_at__isnull=True).exists():
        return
    sla_refresh(ticket_id=ticket_id, now=timezone.now(), policies=policies)


def refresh_on_create(event: TicketCreated) -> None:
    # A new ticket has no clock yet, so without an active policy there is nothing to start: one
    # cheap read. (A policy deactivated later refreshes every ticket: `refresh_all_soon`.)
    if _ANY_ACTIVE_POLICY.all():
        _refresh(event.ticket_id)


_ANY_ACTIVE_POLICY = Prepared(lambda: Policy.objects.filter(is_active=True).values_list("pk")[:1])  # core.queries


def refresh_on_message(event: MessageAdded) -> None:
    if event.kind == "reply":  # a note changes no clock
        _refresh(event.ticket_id)


def refresh_on_change(event: TicketChanged) -> None:
    # A change a reply made is refreshed by `refresh_on_message`, after the same commit.
    if event.message_id is None and SLA_FIELDS.intersection(event.fields):
        _refresh(event.ticket_id)


def refresh_all_soon() -> None:
    """After commit: refresh every open ticket in the background (a policy or calendar changed)."""
    from frontdesk.sla.tasks import refresh_all

    transaction.on_commit(refresh_all, robust=True)


# --- configuration: calendars, policies, contracts (admins and supervisors) ----------------

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)
WEEKDAYS = range(7)


@dataclass(frozen=True)
class TargetInput:
    priority: str
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None


def _check_hours(hours: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """{"0": [["09:00", "17:00"]], …}: weekdays 0–6, local "HH:MM" pairs that open before they close
    and do not overlap; "24:00" closes at midnight. Returned sorted."""
    checked: dict[str, list[list[str]]] = {}
    for day, pairs in hours.items():
        if not str(day).isdigit() or int(day) not in WEEKDAYS:
            raise ValidationError(f"“{day}” is not a weekday (0 is Monday, 6 is Sunday).", field="hours")
        parsed = []
        for pair in pairs:
            try:
                opens, closes = pair
                start = time.fromisoformat(opens)
                end = None if closes == "24:00" else time.fromisoformat(closes)
            except (TypeError, ValueError):
                raise ValidationError(f"“{pair}” is not a pair of times such as 09:00–17:00.", field="hours") from None
            if end is not None and end <= start:
                raise ValidationError(f"{opens}–{closes}: opening must come before closing.", field="hours")
            parsed.append((start, end, [start.strftime("%H:%M"), "24:00" if end is None else end.strftime("%H:%M")]))
        parsed.sort(key=lambda item: item[0])
        for before, after in pairwise(parsed):
            if before[1] is None or before[1] > after[0]:
                raise ValidationError(f"Business hours on weekday {day} overlap.", field="hours")
        if parsed:
            checked[str(int(day))] = [text for _start, _end, text in parsed]
    return dict(sorted(checked.items()))


@transaction.atomic
def calendar_save(
    *,
    calendar: Calendar | None = None,
    name: str,
    time_zone: str,
    always_open: bool,
    hours: dict[str, list[list[str]]],
    actor: User,
    now: datetime,
) -> Calendar:
    """Create or change a calendar; the clocks of open tickets are computed again."""
    require_role(actor, MANAGERS, "manage SLA calendars")
    name = name.strip()
    if not name:
        raise ValidationError("A calendar needs a name.", field="name")
    if Calendar.objects.filter(name=name).exclude(pk=calendar.pk if calendar else 0).exists():
        raise ValidationError(f"There is already a calendar called “{name}”.", field="name")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"“{time_zone}” is not a time zone (e.g. Europe/Madrid).", field="time_zone") from None
    checked = _check_hours(hours)
    if not always_open and not checked:
        raise ValidationError("A calendar that is not open 24/7 needs business hours.", field="hours")
    calendar = calendar or Calendar()
    calendar.name, calendar.time_zone, calendar.always_open, calendar.hours = name, time_zone, always_open, checked
    calendar.updated_at = now
    calendar.save()
    refresh_all_soon()
    return calendar


@transaction.atomic
def calendar_delete(*, calendar: Calendar, actor: User) -> None:
    require_role(actor, MANAGERS, "manage SLA calendars")
    if calendar.policies.exists():
        raise Conflict(f"Policies use the calendar “{calendar.name}”; give them another one first.", field="calendar")
    calendar.delete()


@transaction.atomic
def holiday_add(
    *, calendar: Calendar, name: str, first_day: date, last_day: date | None = None, actor: User, now: datetime
) -> Holiday:
    require_role(actor, MANAGERS, "manage SLA calendars")
    last_day = last_day or first_day
    if not name.strip():
        raise ValidationError("A holiday needs a name.", field="name")
    if last_day < first_day:
        raise ValidationError("The last day comes before the first.", field="last_day")
    holiday = Holiday.objects.create(calendar=calendar, name=name.strip()[:200], first_day=first_day, last_day=last_day)
    _calendar_changed(calendar, now)
    return holiday


@transaction.atomic
def holiday_delete(*, holiday: Holiday, actor: User, now: datetime) -> None:
    require_role(actor, MANAGERS, "manage SLA calendars")
    holiday.delete()
    _calendar_changed(holiday.calendar, now)


@transaction.atomic
def holidays_import(*, calendar: Calendar, ics: bytes, actor: User, now: datetime) -> int:
    """Add the all-day events of an iCalendar file as holidays; an event imported before (same UID
    and first day) is updated, not added twice. Returns how many were added or updated. A file
    that cannot be read changes nothing."""
    from frontdesk.sla.ical import holidays_from_ics

    require_role(actor, MANAGERS, "manage SLA calendars")
    parsed = holidays_from_ics(ics)  # raises ValidationError
    for item in parsed:
        if item.uid:
            Holiday.objects.update_or_create(
                calendar=calendar,
                uid=item.uid,
                first_day=item.first_day,
                defaults={"name": item.name[:200], "last_day": item.last_day},
            )
        else:  # without a UID, the same name and days are the same holiday
            Holiday.objects.get_or_create(
                calendar=calendar, name=item.name[:200], first_day=item.first_day, last_day=item.last_day
            )
    _calendar_changed(calendar, now)
    return len(parsed)


def _calendar_changed(calendar: Calendar, now: datetime) -> None:
    Calendar.objects.filter(pk=calendar.pk).update(updated_at=now)
    refresh_all_soon()


def _check_choices(values: Sequence[str], allowed: list[str], field: str) -> None:
    for value in values:
        if value not in allowed:
            raise ValidationError(f"“{value}” is not one of: {', '.join(allowed)}.", field=field)


@transaction.atomic
def policy_save(
    *,
    policy: Policy | None = None,
    name: str,
    calendar: Calendar,
    targets: Sequence[TargetInput],
    position: int = 0,
    is_active: bool = True,
    organisations: Sequence[int] = (),
    teams: Sequence[int] = (),
    channels: Sequence[str] = (),
    priorities: Sequence[str] = (),
    tags: Sequence[str] = (),
    warn_at: Sequence[float] = DEFAULT_WARN_AT,
    breach_raise_priority: bool = False,
    breach_team: Team | None = None,
    breach_notify_supervisors: bool = False,
    actor: User,
    now: datetime,
) -> Policy:
    """Create or change a policy with its targets (replacing them). Alarms that the change makes due
    at once about the past are recorded, not announced (`active_since`)."""
    require_role(actor, MANAGERS, "manage SLA policies")
    name = name.strip()
    if not name:
        raise ValidationError("A policy needs a name.", field="name")
    if Policy.objects.filter(name=name).exclude(pk=policy.pk if policy else 0).exists():
        raise ValidationError(f"There is already a policy called “{name}”.", field="name")
    _check_choices(channels, Channel.values, "channels")
    _check_choices(priorities, Priority.values, "priorities")
    if any(not 0 < fraction < 1 for fraction in warn_at):
        raise ValidationError("Warnings are fractions of the target between 0 and 1, e.g. 0.75.", field="warn_at")
    if set(organisations) - set(Organisation.objects.filter(pk__in=organisations).values_list("pk", flat=True)):
        raise ValidationError("An organisation in the conditions does not exist.", field="organisations")
    if set(teams) - set(Team.objects.filter(pk__in=teams).values_list("pk", flat=True)):
        raise ValidationError("A team in the conditions does not exist.", field="teams")
    seen: set[str] = set()
    for target in targets:
        _check_choices([target.priority], Priority.values, "targets")
        if target.priority in seen:
            raise ValidationError(f"Two targets for the priority “{target.priority}”.", field="targets")
        seen.add(target.priority)
        minutes = (target.first_response_minutes, target.next_response_minutes, target.resolution_minutes)
        if any(value is not None and value <= 0 for value in minutes):
            raise ValidationError("A target is a number of minutes above 0, or empty for none.", field="targets")
    policy = policy or Policy()
    policy.name, policy.calendar, policy.position, policy.is_active = name, calendar, position, is_active
    policy.organisations, policy.teams = sorted(set(organisations)), sorted(set(teams))
    policy.channels, policy.priorities = sorted(set(channels)), sorted(set(priorities))
    policy.tags = normalise_tags(tags)
    policy.warn_at = sorted(set(warn_at))
    policy.breach_raise_priority, policy.breach_team = breach_raise_priority, breach_team
    policy.breach_notify_supervisors = breach_notify_supervisors
    policy.active_since = policy.updated_at = now
    policy.save()
    policy.targets.all().delete()
    PolicyTarget.objects.bulk_create(
        [
            PolicyTarget(
                policy=policy,
                priority=target.priority,
                first_response_minutes=target.first_response_minutes,
                next_response_minutes=target.next_response_minutes,
                resolution_minutes=target.resolution_minutes,
            )
            for target in targets
        ]
    )
    refresh_all_soon()
    return policy


@transaction.atomic
def policy_delete(*, policy: Policy, actor: User) -> None:
    require_role(actor, MANAGERS, "manage SLA policies")
    if policy.contracts.exists():
        raise Conflict(f"Contracts name the policy “{policy.name}”; change them first.", field="policy")
    policy.delete()
    refresh_all_soon()


@transaction.atomic
def contract_save(
    *,
    contract: Contract | None = None,
    organisation: Organisation,
    name: str,
    policy: Policy,
    starts_on: date,
    ends_on: date | None = None,
    actor: User,
    now: datetime,
) -> Contract:
    require_role(actor, MANAGERS, "manage contracts")
    if not name.strip():
        raise ValidationError("A contract needs a name.", field="name")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("The contract ends before it starts.", field="ends_on")
    contract = contract or Contract()
    contract.organisation, contract.name, contract.policy = organisation, name.strip()[:200], policy
    contract.starts_on, contract.ends_on = starts_on, ends_on
    contract.save()
    refresh_all_soon()
    return contract


@transaction.atomic
def contract_delete(*, contract: Contract, actor: User) -> None:
    require_role(actor, MANAGERS, "manage contracts")
    contract.delete()
    refresh_all_soon()
