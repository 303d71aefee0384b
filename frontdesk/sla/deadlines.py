"""SLA clocks as pure functions of (policy, calendar, ticket history, now): no database, no clock.

A ticket has up to three kinds of clock (`Metric`):
- first response: from the ticket's creation to the first public reply by an agent;
- next response: from a customer message that waits on an agent (after the first response)
  to the agent's reply; one clock per such wait, keyed by when the wait began;
- resolution: from creation until the ticket is solved; reopening resumes the same clock.

A clock counts time that is all of: inside the calendar's business hours, while the ticket's
status is new or open, after the clock started and before it stopped. Pending and on hold
pause every clock (the paused wall-clock time is kept); solving stops every clock — solving a
ticket also fulfils a response that was still due. The target is the one of the ticket's
priority when the clock stopped (or now, for a running clock): a priority change mid-way
gives the clock the new target, measured from the same start.

An alarm is the instant the counted time reaches a fraction of the target: warnings at
`warn_at` (default 75 % and 90 %) and the breach at 100 %. A clock that stops or pauses
before a fraction is reached has no instant for it (None); a running clock's future
instants assume that nothing changes from `now` on.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

COUNTING = frozenset({"new", "open"})
PAUSING = frozenset({"pending", "on_hold"})
STOPPING = frozenset({"solved", "closed"})
BREACH = 1.0
# A calendar with (almost) no business time must not send the search on forever.
HORIZON = timedelta(days=800)


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"  # running past its deadline, or stopped after it


# --- calendars -------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSpec:
    """Business hours in a time zone. `hours[weekday]` (Monday 0) lists local (opens, closes)
    pairs; `closes` None is midnight at the end of the day. `holidays` are inclusive date
    ranges on which the business is closed all day. `always_open`: 24/7, hours and holidays ignored."""

    zone: str = "UTC"
    hours: Mapping[int, Sequence[tuple[time, time | None]]] = field(default_factory=dict)
    holidays: Sequence[tuple[date, date]] = ()
    always_open: bool = False

    def is_holiday(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.holidays)


ALWAYS_OPEN = CalendarSpec(always_open=True)


def _offset_segments(zone: tzinfo, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """[start, end) in UTC split where the zone's offset changes, with the offset of each piece."""
    first, last = start.astimezone(zone).utcoffset(), (end - timedelta(seconds=1)).astimezone(zone).utcoffset()
    assert first is not None
    assert last is not None
    if first == last:
        yield start, end, first
        return
    low, high = start, end  # the change lies in (low, high]: find it to the second
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == first:
            low = middle
        else:
            high = middle
    yield start, high, first
    yield from _offset_segments(zone, high, end)


def open_periods(calendar: CalendarSpec, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's business periods from `start` on, in order, as UTC [from, to) pairs.

    A period is the set of instants whose local wall time lies inside a day's business
    hours: on a daylight-saving change a local hour that does not exist counts for nothing,
    and one that happens twice counts twice, as a clock on the wall would have it."""
    start = start.astimezone(UTC)
    if calendar.always_open:
        yield start, start + HORIZON
        return
    zone = ZoneInfo(calendar.zone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = day + HORIZON
    pending: tuple[datetime, datetime] | None = None
    while day <= last_day:
        for piece in _day_periods(calendar, zone, day):
            begin, finish = max(piece[0], start), piece[1]
            if finish <= begin:
                continue
            if pending is not None and pending[1] >= begin:  # touches (across midnight too) or overlaps
                pending = (pending[0], max(pending[1], finish))
                continue
            if pending is not None:
                yield pending
            pending = (begin, finish)
        day += timedelta(days=1)
    if pending is not None:
        yield pending


def _day_periods(calendar: CalendarSpec, zone: tzinfo, day: date) -> list[tuple[datetime, datetime]]:
    """One local day's business periods in UTC, in order."""
    if calendar.is_holiday(day):
        return []
    hours = calendar.hours.get(day.weekday(), ())
    if not hours:
        return []
    midnight = datetime.combine(day, time(0))
    # Instants whose local date is `day` lie within ±15 hours of its UTC-naive midnight.
    span_start = (midnight - timedelta(hours=15)).replace(tzinfo=UTC)
    span_end = (midnight + timedelta(hours=39)).replace(tzinfo=UTC)
    periods = []
    for segment_start, segment_end, offset in _offset_segments(zone, span_start, span_end):
        # In this piece the wall clock is UTC + offset, without jumps.
        wall_start = segment_start.replace(tzinfo=None) + offset
        wall_end = segment_end.replace(tzinfo=None) + offset
        for opens, closes in hours:
            local_open = datetime.combine(day, opens)
            local_close = datetime.combine(day, closes) if closes is not None else midnight + timedelta(days=1)
            begin, finish = max(local_open, wall_start), min(local_close, wall_end)
            if begin < finish:
                periods.append(((begin - offset).replace(tzinfo=UTC), (finish - offset).replace(tzinfo=UTC)))
    return sorted(periods)


# --- ticket history --------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What the clocks need to know about a ticket.

    `statuses` and `priorities` are (since, value) pairs in time order, the first one at
    `created_at`. `waits` are the customer's waits on an agent, (began, answered) in time
    order; the last may still be open (answered None). `first_response_at` is the first
    public reply by an agent."""

    created_at: datetime
    statuses: Sequence[tuple[datetime, str]]
    priorities: Sequence[tuple[datetime, str]]
    waits: Sequence[tuple[datetime, datetime | None]] = ()
    first_response_at: datetime | None = None

    def value_at(self, changes: Sequence[tuple[datetime, str]], at: datetime) -> str:
        current = changes[0][1]
        for since, value in changes:
            if since > at:
                break
            current = value
        return current


@dataclass(frozen=True)
class Targets:
    """Minutes of business time per metric for one priority; None: no target."""

    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None

    def minutes(self, metric: Metric) -> int | None:
        value: int | None = getattr(self, metric.value)
        return value


@dataclass(frozen=True)
class PolicySpec:
    targets: Mapping[str, Targets]  # by priority
    warn_at: Sequence[float] = (0.75, 0.9)


@dataclass(frozen=True)
class Clock:
    metric: Metric
    started_at: datetime  # also the clock's key: a ticket has one clock per metric and start
    target_minutes: int
    state: State
    stopped_at: datetime | None  # when it was fulfilled (a reply, solving); None while it runs
    elapsed_seconds: int  # business time counted so far (up to the stop, or now)
    paused_seconds: int  # wall-clock time spent pending or on hold, between start and stop (or now)
    due_at: datetime | None  # when the target is (or was) reached; None if met or paused before it
    alarms: tuple[tuple[float, datetime | None], ...]  # (fraction, instant) for each warning and the breach

    @property
    def breached(self) -> bool:
        return self.state == State.BREACHED


def clocks(policy: PolicySpec, calendar: CalendarSpec, history: History, now: datetime) -> list[Clock]:
    """Every clock of a ticket under `policy`, as they stand at `now`."""
    fractions = tuple(sorted({*(f for f in policy.warn_at if 0 < f < 1), BREACH}))
    history = _as_of(history, now)
    stops = _stop_times(history)
    result = []
    for metric, start, end in _spans(history, stops):
        if start > now:
            continue
        if end is not None and end > now:
            end = None
        priority = history.value_at(history.priorities, end or now)
        targets = policy.targets.get(priority)
        minutes = targets.minutes(metric) if targets else None
        if minutes is None:
            continue
        result.append(_clock(metric, start, end, minutes, fractions, calendar, history, now))
    return result


def _as_of(history: History, now: datetime) -> History:
    """The history as it stands at `now`: what happens later (a reopening, a reply) has not happened yet."""
    return replace(
        history,
        statuses=[history.statuses[0], *(change for change in history.statuses[1:] if change[0] <= now)],
        priorities=[history.priorities[0], *(change for change in history.priorities[1:] if change[0] <= now)],
        waits=[
            (began, answered if answered is not None and answered <= now else None)
            for began, answered in history.waits
            if began <= now
        ],
        first_response_at=history.first_response_at
        if history.first_response_at is not None and history.first_response_at <= now
        else None,
    )


def _stop_times(history: History) -> list[datetime]:
    """Instants the ticket entered solved or closed."""
    stops, previous = [], ""
    for since, status in history.statuses:
        if status in STOPPING and previous not in STOPPING:
            stops.append(since)
        previous = status
    return stops


def _spans(history: History, stops: list[datetime]) -> Iterator[tuple[Metric, datetime, datetime | None]]:
    """(metric, start, stop) of each clock; stop None if it has not stopped (as of the history)."""

    def first_stop_after(start: datetime, answered: datetime | None) -> datetime | None:
        candidates = [stop for stop in stops if stop >= start]
        if answered is not None:
            candidates.append(answered)
        return min(candidates, default=None)

    created = history.created_at
    yield Metric.FIRST_RESPONSE, created, first_stop_after(created, history.first_response_at)
    if history.first_response_at is not None:
        for began, answered in history.waits:
            if began >= history.first_response_at:
                yield Metric.NEXT_RESPONSE, began, first_stop_after(began, answered)
    final_status = history.statuses[-1][1]
    yield Metric.RESOLUTION, created, (stops[-1] if final_status in STOPPING else None)


def _status_runs(history: History, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, str]]:
    """[from, to, status) pieces of [start, end)."""
    statuses = history.statuses
    for index, (since, status) in enumerate(statuses):
        until = statuses[index + 1][0] if index + 1 < len(statuses) else end
        begin, finish = max(since, start), min(until, end)
        if begin < finish:
            yield begin, finish, status


def _clock(
    metric: Metric,
    start: datetime,
    end: datetime | None,
    minutes: int,
    fractions: tuple[float, ...],
    calendar: CalendarSpec,
    history: History,
    now: datetime,
) -> Clock:
    limit = end or now
    runs = list(_status_runs(history, start, limit))
    paused = sum(int((finish - begin).total_seconds()) for begin, finish, status in runs if status in PAUSING)
    counting = [(begin, finish) for begin, finish, status in runs if status in COUNTING]
    status_now = history.value_at(history.statuses, limit)
    running = end is None and status_now in COUNTING
    if running:
        # Projected: the ticket stays as it is from now on.
        if counting and counting[-1][1] == limit:
            counting[-1] = (counting[-1][0], limit + HORIZON)
        else:
            counting.append((limit, limit + HORIZON))

    target = minutes * 60
    goals = [(fraction, target * fraction) for fraction in fractions]
    instants: dict[float, datetime | None] = dict.fromkeys(fractions)
    elapsed_at_limit = 0.0
    counted = 0.0
    for begin, finish in _intersect(counting, open_periods(calendar, start)):
        length = (finish - begin).total_seconds()
        for fraction, goal in goals:
            if instants[fraction] is None and counted + length >= goal:
                instants[fraction] = begin + timedelta(seconds=goal - counted)
        if begin < limit:
            elapsed_at_limit += (min(finish, limit) - begin).total_seconds()
        counted += length
        if all(instants.values()) and finish >= limit:
            break
        if not running and finish >= limit:
            break
    due = instants[BREACH]
    if due is not None and due <= limit:
        state = State.BREACHED
    elif end is not None:
        state = State.MET
    elif running:
        state = State.RUNNING
    else:
        state = State.PAUSED
    if state in (State.MET, State.PAUSED):
        due = None
    # An instant beyond a stop or a pause did not and will not happen.
    alarms = tuple(
        (fraction, at if at is not None and (running or at <= limit) else None) for fraction, at in instants.items()
    )
    return Clock(
        metric=metric,
        started_at=start,
        target_minutes=minutes,
        state=state,
        stopped_at=end,
        elapsed_seconds=int(elapsed_at_limit),
        paused_seconds=paused,
        due_at=due,
        alarms=alarms,
    )


def _intersect(
    spans: list[tuple[datetime, datetime]], periods: Iterator[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    """The overlap of two ordered lists of disjoint [from, to) pairs (the second lazily)."""
    if not spans:
        return
    index = 0
    for begin, finish in periods:
        while index < len(spans) and spans[index][1] <= begin:
            index += 1
        if index == len(spans):
            return
        scan = index
        while scan < len(spans) and spans[scan][0] < finish:
            low, high = max(begin, spans[scan][0]), min(finish, spans[scan][1])
            if low < high:
                yield low, high
            scan += 1
