"""The SLA clocks (`frontdesk.sla.deadlines`) against a brute-force, minute-by-minute count.

The reference below is written from the docstrings of `deadlines` alone: it walks UTC
minute by minute and asks, for each minute, whether its local wall time on its local date
lies inside that weekday's business hours, whether that date is a holiday, and what the
ticket's status was. Every generated instant lies on a whole minute, and every zone used
changes its offset on a whole minute, so a minute is either counted whole or not at all
and the comparison is exact.

Where the docstrings leave an edge to choose, the reference takes: a history is read as it
stands at `now` (a later reopening has not happened yet); a clock that reaches its target at
the very instant it stops is breached (the breach alarm's instant is not before the stop);
a 24/7 calendar ignores holidays too.
"""

import time as stopwatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.sla.deadlines import (
    BREACH,
    CalendarSpec,
    Clock,
    History,
    Metric,
    PolicySpec,
    State,
    Targets,
    clocks,
    open_periods,
)

MINUTE = timedelta(minutes=1)
COUNTING = {"new", "open"}
PAUSING = {"pending", "on_hold"}
STOPPING = {"solved", "closed"}
PRIORITIES = ("low", "normal", "high", "urgent")
# How far past `now` the reference follows a running clock. An instant it does not reach
# is only known to lie beyond (or not to exist).
PROJECTION = timedelta(days=21)

# --- the brute force ----------------------------------------------------------------------


def is_business_minute(calendar: CalendarSpec, minute: datetime) -> bool:
    """Whether the minute starting at `minute` lies in business hours, as a wall clock tells."""
    if calendar.always_open:
        return True
    local = minute.astimezone(ZoneInfo(calendar.zone))
    day, wall = local.date(), time(local.hour, local.minute)
    if any(first <= day <= last for first, last in calendar.holidays):
        return False
    return any(
        opens <= wall and (closes is None or wall < closes) for opens, closes in calendar.hours.get(day.weekday(), ())
    )


def value_at(changes: Sequence[tuple[datetime, str]], at: datetime) -> str:
    """The value of the last change made at or before `at` (the first one before any)."""
    earlier = [value for since, value in changes if since <= at]
    return earlier[-1] if earlier else changes[0][1]


class Beyond:
    """An instant past the end of the reference's walk: later than `after`, or never."""

    def __init__(self, after: datetime) -> None:
        self.after = after

    def __repr__(self) -> str:
        return f"Beyond({self.after.isoformat()})"


@dataclass(frozen=True)
class Expected:
    metric: Metric
    started_at: datetime
    target_minutes: int
    state: State
    stopped_at: datetime | None
    elapsed_seconds: int
    paused_seconds: int
    due_at: datetime | Beyond | None
    alarms: tuple[tuple[float, datetime | Beyond | None], ...]


class BruteForce:
    """The clocks of one ticket as they stand at `now`, counted minute by minute."""

    def __init__(self, policy: PolicySpec, calendar: CalendarSpec, history: History, now: datetime) -> None:
        self.policy, self.calendar, self.history, self.now = policy, calendar, history, now
        self.walk_end = max(now, history.created_at) + PROJECTION
        self._open: dict[datetime, bool] = {}

    def is_open(self, minute: datetime) -> bool:
        if minute not in self._open:
            self._open[minute] = is_business_minute(self.calendar, minute)
        return self._open[minute]

    def clocks(self) -> dict[tuple[Metric, datetime], Expected]:
        history, now = self.history, self.now
        # Solving: every entry into solved or closed, as far as it has happened by now.
        solved = [
            since
            for index, (since, status) in enumerate(history.statuses)
            if since <= now and status in STOPPING and (index == 0 or history.statuses[index - 1][1] not in STOPPING)
        ]
        first_response = (
            history.first_response_at if history.first_response_at and history.first_response_at <= now else None
        )

        def stop(start: datetime, answered: datetime | None) -> datetime | None:
            candidates = [at for at in solved if at >= start]
            if answered is not None and answered <= now:
                candidates.append(answered)
            return min(candidates, default=None)

        spans: list[tuple[Metric, datetime, datetime | None]] = []
        if history.created_at <= now:
            spans.append((Metric.FIRST_RESPONSE, history.created_at, stop(history.created_at, first_response)))
            if first_response is not None:
                spans += [
                    (Metric.NEXT_RESPONSE, began, stop(began, answered))
                    for began, answered in history.waits
                    if first_response <= began <= now
                ]
            resolved = value_at(history.statuses, now) in STOPPING
            spans.append((Metric.RESOLUTION, history.created_at, solved[-1] if resolved else None))
        result = {}
        for metric, start, end in spans:
            targets = self.policy.targets.get(value_at(history.priorities, end or now))
            minutes = targets.minutes(metric) if targets else None
            if minutes is not None:
                result[metric, start] = self.clock(metric, start, end, minutes)
        return result

    def clock(self, metric: Metric, start: datetime, end: datetime | None, minutes: int) -> Expected:
        limit = end or self.now
        status_now = value_at(self.history.statuses, limit)
        running = end is None and status_now in COUNTING
        fractions = sorted({*(f for f in self.policy.warn_at if 0 < f < 1), BREACH})
        instants: dict[float, datetime | Beyond | None] = dict.fromkeys(fractions)
        counted = elapsed = paused = 0
        minute = start
        while minute < limit or (running and None in instants.values() and minute < self.walk_end):
            # From now on a running clock's ticket stays as it is.
            status = value_at(self.history.statuses, minute) if minute < limit else status_now
            if minute < limit and status in PAUSING:
                paused += 60
            if status in COUNTING and self.is_open(minute):
                for fraction in fractions:
                    goal = minutes * 60 * fraction
                    if instants[fraction] is None and counted + 60 >= goal:
                        instants[fraction] = minute + timedelta(seconds=goal - counted)
                counted += 60
                if minute < limit:
                    elapsed += 60
            minute += MINUTE
        if running:
            instants = {f: Beyond(self.walk_end) if at is None else at for f, at in instants.items()}
        due = instants[BREACH]
        if isinstance(due, datetime) and due <= limit:
            state = State.BREACHED
        elif end is not None:
            state = State.MET
        elif running:
            state = State.RUNNING
        else:
            state = State.PAUSED
        return Expected(
            metric=metric,
            started_at=start,
            target_minutes=minutes,
            state=state,
            stopped_at=end,
            elapsed_seconds=elapsed,
            paused_seconds=paused,
            due_at=None if state in (State.MET, State.PAUSED) else due,
            alarms=tuple(instants.items()),
        )


def same_instant(actual: datetime | None, expected: datetime | Beyond | None) -> bool:
    if isinstance(expected, Beyond):
        return actual is None or actual > expected.after
    return actual == expected


def assert_matches(actual: list[Clock], expected: dict[tuple[Metric, datetime], Expected]) -> None:
    keyed = {(clock.metric, clock.started_at): clock for clock in actual}
    assert len(keyed) == len(actual), "two clocks with the same metric and start"
    assert keyed.keys() == expected.keys()
    for key, want in expected.items():
        got = keyed[key]
        summary = (got, want)
        assert (got.target_minutes, got.state, got.stopped_at) == (want.target_minutes, want.state, want.stopped_at), (
            summary
        )
        assert (got.elapsed_seconds, got.paused_seconds) == (want.elapsed_seconds, want.paused_seconds), summary
        assert same_instant(got.due_at, want.due_at), summary
        assert [fraction for fraction, _at in got.alarms] == [fraction for fraction, _at in want.alarms], summary
        for (_fraction, at), (_same, wanted) in zip(got.alarms, want.alarms, strict=True):
            assert same_instant(at, wanted), summary


# --- what to generate -----------------------------------------------------------------------

EU_CHANGES = (date(2026, 3, 29), date(2026, 10, 25))
# Days the zone's offset changes (no change in UTC or India: any of the others will do).
ZONE_DAYS = {
    "UTC": (*EU_CHANGES, date(2026, 3, 8)),
    "Europe/Madrid": EU_CHANGES,
    "Europe/Vilnius": EU_CHANGES,
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Australia/Sydney": (date(2026, 4, 5), date(2026, 10, 4)),
    "Asia/Kolkata": (date(2026, 10, 4), date(2026, 11, 1)),
    "America/Santiago": (date(2026, 4, 5), date(2026, 9, 6)),  # changes at midnight
}
TRANSITIONS = {
    "new": ("open", "pending", "on_hold", "solved"),
    "open": ("pending", "on_hold", "solved"),
    "pending": ("open", "on_hold", "solved"),
    "on_hold": ("open", "pending", "solved"),
    "solved": ("open", "closed"),
    "closed": ("open",),
}


def quarter(index: int) -> time | None:
    """The index-th quarter hour of a day; 96 is midnight at its end (None, "24:00")."""
    return None if index == 96 else time(index // 4, index % 4 * 15)


# Quarter hours, often between 01:00 and 05:00, where the clocks change.
quarters = st.one_of(st.integers(0, 96), st.integers(4, 20))
day_hours = st.one_of(
    # As the calendar service keeps them: in order, apart or touching.
    st.integers(0, 2).flatmap(
        lambda count: st.lists(quarters, min_size=2 * count, max_size=2 * count).map(
            lambda points: tuple(
                (quarter(opens), quarter(closes))
                for opens, closes in zip(sorted(points)[::2], sorted(points)[1::2], strict=True)
                if opens < closes
            )
        )
    ),
    # Anyhow: overlapping, in any order (the pure functions do not rely on the service's checks).
    st.lists(st.tuples(quarters, quarters).filter(lambda pair: pair[0] < pair[1]), max_size=2).map(
        lambda pairs: tuple((quarter(opens), quarter(closes)) for opens, closes in pairs)
    ),
)
# Gaps between events, in minutes: mostly within a working day, sometimes days.
gaps = st.one_of(st.integers(1, 180), st.integers(1, 3 * 1440))
target_minutes = st.one_of(st.none(), st.integers(1, 120), st.integers(1, 3 * 1440))
fractions = st.one_of(
    st.just((0.75, 0.9)), st.lists(st.sampled_from((0.25, 0.5, 0.75, 0.8, 0.9, 1.0)), max_size=3).map(tuple)
)


@st.composite
def calendars(draw: st.DrawFn, zone: str, around: date) -> CalendarSpec:
    if draw(st.integers(0, 5)) == 0:
        return CalendarSpec(zone=zone, always_open=True)
    week = draw(
        st.one_of(
            st.lists(day_hours, min_size=7, max_size=7),
            # An office week: the same hours every working day, or every day.
            day_hours.flatmap(lambda hours: st.sampled_from(((hours,) * 5 + ((), ()), (hours,) * 7))),
        )
    )
    holidays = draw(
        st.lists(
            st.tuples(st.integers(-4, 12), st.integers(0, 3)).map(
                lambda pair: (around + timedelta(days=pair[0]), around + timedelta(days=pair[0] + pair[1]))
            ),
            max_size=3,
        )
    )
    return CalendarSpec(zone=zone, hours={day: hours for day, hours in enumerate(week) if hours}, holidays=holidays)


@st.composite
def histories(draw: st.DrawFn, around: date) -> History:
    created = datetime.combine(around, time(0), UTC) + draw(st.integers(-2 * 1440, 2 * 1440)) * MINUTE
    statuses = [(created, draw(st.sampled_from(("new", "new", "open", "pending"))))]
    for _ in range(draw(st.integers(0, 9))):
        since, status = statuses[-1]
        statuses.append((since + draw(gaps) * MINUTE, draw(st.sampled_from(TRANSITIONS[status]))))
    priorities = [(created, draw(st.sampled_from(PRIORITIES)))]
    for _ in range(draw(st.integers(0, 3))):
        since, priority = priorities[-1]
        others = [other for other in PRIORITIES if other != priority]
        priorities.append((since + draw(gaps) * MINUTE, draw(st.sampled_from(others))))
    first_response = None
    waits: list[tuple[datetime, datetime | None]] = []
    if draw(st.booleans()):
        first_response = created + draw(st.one_of(st.integers(0, 120), gaps)) * MINUTE
        waits.append((created, first_response))  # the first message, answered by the first response
        answered: datetime | None = first_response
        for _ in range(draw(st.integers(0, 3))):
            if answered is None:
                break
            began = answered + draw(gaps) * MINUTE
            answered = began + draw(gaps) * MINUTE if draw(st.integers(0, 3)) else None
            waits.append((began, answered))
    return History(
        created_at=created, statuses=statuses, priorities=priorities, waits=waits, first_response_at=first_response
    )


@dataclass(frozen=True)
class Scenario:
    policy: PolicySpec
    calendar: CalendarSpec
    history: History
    now: datetime


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(sorted(ZONE_DAYS)))
    around = draw(st.sampled_from(ZONE_DAYS[zone]))
    history = draw(histories(around))
    targets = {
        priority: Targets(
            first_response=draw(target_minutes), next_response=draw(target_minutes), resolution=draw(target_minutes)
        )
        for priority in PRIORITIES
    }
    # `now` anywhere: before the ticket, amid its history, about one of its events, after it all.
    events = sorted(
        {at for at, _value in (*history.statuses, *history.priorities)}
        | {at for wait in history.waits for at in wait if at is not None}
    )
    now = draw(
        st.one_of(
            st.integers(-1440, 8 * 1440).map(lambda minutes: history.created_at + minutes * MINUTE),
            st.tuples(st.sampled_from(events), st.integers(-30, 30)).map(lambda pair: pair[0] + pair[1] * MINUTE),
            st.integers(0, 3 * 1440).map(lambda minutes: events[-1] + minutes * MINUTE),
        )
    )
    return Scenario(PolicySpec(targets=targets, warn_at=draw(fractions)), draw(calendars(zone, around)), history, now)


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_clocks_agree_with_a_minute_by_minute_count(scenario: Scenario) -> None:
    expected = BruteForce(scenario.policy, scenario.calendar, scenario.history, scenario.now).clocks()
    assert_matches(clocks(scenario.policy, scenario.calendar, scenario.history, scenario.now), expected)


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_clocks_agree_with_the_count_where_they_fall_due(scenario: Scenario) -> None:
    """A minute before a running clock falls due, at that instant, and with the ticket solved
    right then: where the edges (reached at, or before, the stop) are decided."""
    policy, calendar, history = scenario.policy, scenario.calendar, scenario.history
    due = [
        clock.due_at
        for clock in clocks(policy, calendar, history, scenario.now)
        if clock.state == State.RUNNING and clock.due_at is not None
    ]
    for at in due[:2]:
        solved = replace(history, statuses=[*(change for change in history.statuses if change[0] < at), (at, "solved")])
        for case, now in ((history, at - MINUTE), (history, at), (solved, at), (solved, at + timedelta(hours=1))):
            assert_matches(clocks(policy, calendar, case, now), BruteForce(policy, calendar, case, now).clocks())


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(ZONE_DAYS)).flatmap(
        lambda zone: st.sampled_from(ZONE_DAYS[zone]).flatmap(
            lambda around: st.tuples(
                calendars(zone, around),
                st.integers(-3 * 1440, 3 * 1440).map(lambda m: datetime.combine(around, time(0), UTC) + m * MINUTE),
            )
        )
    )
)
def test_open_periods_are_the_business_minutes_in_order(case: tuple[CalendarSpec, datetime]) -> None:
    calendar, start = case
    window_end = start + timedelta(days=6)
    periods = []
    for begin, finish in open_periods(calendar, start):
        if begin >= window_end:
            break
        periods.append((begin, finish))
    assert all(begin < finish for begin, finish in periods)
    assert all(start <= begin for begin, _finish in periods)
    # In order, apart and joined where they touch (across midnight too).
    assert all(before[1] < after[0] for before, after in pairwise(periods))
    counted = {
        begin + offset * MINUTE
        for begin, finish in periods
        for offset in range(int((min(finish, window_end) - begin) / MINUTE))
    }
    minutes = (start + offset * MINUTE for offset in range(int((window_end - start) / MINUTE)))
    assert counted == {minute for minute in minutes if is_business_minute(calendar, minute)}


# --- known cases ----------------------------------------------------------------------------

MADRID = ZoneInfo("Europe/Madrid")
OFFICE = CalendarSpec(zone="Europe/Madrid", hours={day: ((time(9), time(17)),) for day in range(5)})


def madrid(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), MADRID).astimezone(UTC)


def policy(**targets: Targets) -> PolicySpec:
    return PolicySpec(targets=targets)


def ticket(
    created: datetime,
    *,
    statuses: Sequence[tuple[datetime, str]] = (),
    priorities: Sequence[tuple[datetime, str]] = (),
    waits: Sequence[tuple[datetime, datetime | None]] = (),
    first_response_at: datetime | None = None,
    priority: str = "normal",
) -> History:
    return History(
        created_at=created,
        statuses=[(created, "new"), *statuses],
        priorities=[(created, priority), *priorities],
        waits=waits,
        first_response_at=first_response_at,
    )


def only(found: list[Clock], metric: Metric) -> Clock:
    [clock] = [clock for clock in found if clock.metric == metric]
    return clock


FRIDAY = date(2026, 1, 16)
MONDAY = date(2026, 1, 19)


def test_a_friday_afternoon_ticket_is_due_on_monday_morning() -> None:
    created = madrid(FRIDAY, 16, 30)
    [clock] = clocks(policy(normal=Targets(first_response=60)), OFFICE, ticket(created), created)

    assert clock.state == State.RUNNING
    assert clock.due_at == madrid(MONDAY, 9, 30)
    assert clock.alarms == ((0.75, madrid(MONDAY, 9, 15)), (0.9, madrid(MONDAY, 9, 24)), (1.0, madrid(MONDAY, 9, 30)))


def test_a_holiday_range_pushes_the_deadline_past_it() -> None:
    created = madrid(FRIDAY, 16, 30)
    calendar = CalendarSpec(zone=OFFICE.zone, hours=OFFICE.hours, holidays=[(MONDAY, MONDAY + timedelta(days=2))])
    [clock] = clocks(policy(normal=Targets(first_response=60)), calendar, ticket(created), created)

    assert clock.due_at == madrid(MONDAY + timedelta(days=3), 9, 30)


def test_pending_shifts_the_deadline_by_the_business_time_paused_and_keeps_the_wall_time() -> None:
    created = madrid(MONDAY, 14)  # 4 hours: 3 on Monday, 1 on Tuesday
    pending = ticket(created, statuses=[(madrid(MONDAY, 16), "pending"), (madrid(MONDAY, 18), "open")])
    tuesday = MONDAY + timedelta(days=1)

    [paused] = clocks(policy(normal=Targets(resolution=240)), OFFICE, pending, madrid(MONDAY, 17))
    [clock] = clocks(policy(normal=Targets(resolution=240)), OFFICE, pending, madrid(tuesday, 9, 30))

    assert (paused.state, paused.due_at, paused.elapsed_seconds, paused.paused_seconds) == (
        State.PAUSED,
        None,
        7200,
        3600,
    )
    assert clock.state == State.RUNNING
    assert clock.due_at == madrid(tuesday, 11)  # not 10:00: one business hour was paused
    assert (clock.elapsed_seconds, clock.paused_seconds) == (2 * 3600 + 1800, 2 * 3600)


def test_a_priority_raised_to_a_shorter_target_breaches_at_once() -> None:
    created, raised = madrid(MONDAY, 9), madrid(MONDAY, 11)
    history = ticket(created, priorities=[(raised, "urgent")])
    targets = policy(normal=Targets(resolution=480), urgent=Targets(resolution=60))

    [before] = clocks(targets, OFFICE, history, raised - MINUTE)
    [after] = clocks(targets, OFFICE, history, raised)

    assert (before.state, before.target_minutes, before.due_at) == (State.RUNNING, 480, madrid(MONDAY, 17))
    assert (after.state, after.target_minutes, after.due_at) == (State.BREACHED, 60, madrid(MONDAY, 10))
    assert after.breached


def test_each_wait_after_the_first_response_gets_a_next_response_clock() -> None:
    created, first_response = madrid(MONDAY, 9), madrid(MONDAY, 10)
    history = ticket(
        created,
        first_response_at=first_response,
        waits=[(created, first_response), (madrid(MONDAY, 11), madrid(MONDAY, 11, 30)), (madrid(MONDAY, 14), None)],
    )
    found = clocks(
        policy(normal=Targets(first_response=120, next_response=60)), OFFICE, history, madrid(MONDAY, 14, 20)
    )

    assert [(clock.metric, clock.started_at) for clock in found] == [
        (Metric.FIRST_RESPONSE, created),
        (Metric.NEXT_RESPONSE, madrid(MONDAY, 11)),
        (Metric.NEXT_RESPONSE, madrid(MONDAY, 14)),
    ]
    answered, waiting = found[1], found[2]
    assert (answered.state, answered.stopped_at, answered.elapsed_seconds) == (State.MET, madrid(MONDAY, 11, 30), 1800)
    assert (waiting.state, waiting.elapsed_seconds, waiting.due_at) == (State.RUNNING, 1200, madrid(MONDAY, 15))


def test_solving_fulfils_a_response_still_due() -> None:
    created, solved = madrid(MONDAY, 9), madrid(MONDAY, 9, 20)
    history = ticket(created, statuses=[(solved, "solved")])

    clock = only(
        clocks(policy(normal=Targets(first_response=60)), OFFICE, history, madrid(MONDAY, 12)), Metric.FIRST_RESPONSE
    )

    assert (clock.state, clock.stopped_at, clock.due_at, clock.elapsed_seconds) == (State.MET, solved, None, 1200)
    assert clock.alarms == ((0.75, None), (0.9, None), (1.0, None))


def test_resolution_stops_when_solved_and_resumes_on_reopening() -> None:
    created, solved, reopened = madrid(MONDAY, 9), madrid(MONDAY, 10), madrid(MONDAY + timedelta(days=1), 9)
    history = ticket(created, statuses=[(solved, "solved"), (reopened, "open")])
    targets = policy(normal=Targets(resolution=120))

    [stopped] = clocks(targets, OFFICE, history, madrid(MONDAY, 12))
    [resumed] = clocks(targets, OFFICE, history, reopened + 30 * MINUTE)

    assert (stopped.state, stopped.stopped_at, stopped.elapsed_seconds, stopped.due_at) == (
        State.MET,
        solved,
        3600,
        None,
    )
    assert (resumed.state, resumed.stopped_at, resumed.elapsed_seconds) == (State.RUNNING, None, 5400)
    assert resumed.due_at == reopened + 60 * MINUTE


def test_a_history_is_read_as_it_stands_at_now() -> None:
    created, solved, reopened = madrid(MONDAY, 9), madrid(MONDAY, 10), madrid(MONDAY, 11)
    history = ticket(created, statuses=[(solved, "solved"), (reopened, "open")])

    [clock] = clocks(policy(normal=Targets(resolution=120)), OFFICE, history, madrid(MONDAY, 10, 30))

    assert (clock.state, clock.stopped_at, clock.elapsed_seconds) == (State.MET, solved, 3600)


def sunday_hours(day: date) -> tuple[CalendarSpec, list[Clock]]:
    calendar = CalendarSpec(zone="Europe/Madrid", hours={6: ((time(1), time(4)),)})
    created = datetime.combine(day, time(0), MADRID).astimezone(UTC)
    found = clocks(policy(normal=Targets(resolution=600)), calendar, ticket(created), created + timedelta(hours=6))
    return calendar, found


def test_a_spring_forward_night_counts_the_hours_that_exist() -> None:
    calendar, [clock] = sunday_hours(date(2026, 3, 29))  # 02:00 becomes 03:00

    assert clock.elapsed_seconds == 2 * 3600
    start = datetime(2026, 3, 29, 0, tzinfo=UTC)  # 01:00 in Madrid, winter time
    assert next(open_periods(calendar, start)) == (start, datetime(2026, 3, 29, 2, tzinfo=UTC))


def test_a_fall_back_night_counts_the_repeated_hour_twice() -> None:
    calendar, [clock] = sunday_hours(date(2026, 10, 25))  # 03:00 becomes 02:00

    assert clock.elapsed_seconds == 4 * 3600
    start = datetime(2026, 10, 24, 23, tzinfo=UTC)  # 01:00 in Madrid, summer time
    assert next(open_periods(calendar, start)) == (start, datetime(2026, 10, 25, 3, tzinfo=UTC))


def test_a_calendar_without_hours_never_falls_due_and_says_so_quickly() -> None:
    created = madrid(MONDAY, 9)
    began = stopwatch.perf_counter()

    [clock] = clocks(
        policy(normal=Targets(resolution=60)),
        CalendarSpec(zone="Europe/Madrid"),
        ticket(created),
        created + timedelta(days=30),
    )

    assert stopwatch.perf_counter() - began < 1
    assert (clock.state, clock.elapsed_seconds, clock.due_at) == (State.RUNNING, 0, None)
    assert clock.alarms == ((0.75, None), (0.9, None), (1.0, None))


def test_a_round_the_clock_calendar_counts_every_minute_holidays_too() -> None:
    created = madrid(FRIDAY, 23, 50)
    calendar = CalendarSpec(zone="Europe/Madrid", always_open=True, holidays=[(MONDAY, MONDAY)])

    [clock] = clocks(policy(normal=Targets(first_response=3 * 1440)), calendar, ticket(created), created)

    assert clock.due_at == created + timedelta(days=3)
