"""Holidays from an iCalendar (.ics) file: its all-day events, as inclusive date ranges.

An event is a holiday when its DTSTART is a date (not a date-time): timed events are meetings,
not days off, and are left out, as are cancelled events. DTEND is exclusive in iCalendar, so
a one-day holiday on 1 May has DTEND 2 May; without DTEND the event lasts its DURATION, or one day.

Repeats (RRULE) are expanded only when they are simple and bounded: FREQ=YEARLY or FREQ=DAILY,
with INTERVAL, and COUNT or UNTIL, and no BY… part other than the start's own month and day,
minus EXDATE. Any other rule (open-ended, monthly, "the last Monday of May", …) is not expanded:
the event counts as its first occurrence. Holiday files list each year's days as events anyway.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import icalendar
from django.utils.translation import gettext as _

from frontdesk.core.errors import ValidationError

# More occurrences than this from one event is a mistake (or an attack), not a list of holidays.
MAX_OCCURRENCES = 500
ONE_DAY = timedelta(days=1)
SIMPLE_RULE_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYMONTH", "BYMONTHDAY"})


MAX_ICS_BYTES = 1024 * 1024  # a country's holidays for decades fit in a few kilobytes


@dataclass(frozen=True)
class ParsedHoliday:
    uid: str
    name: str
    first_day: date
    last_day: date


def holidays_from_ics(data: bytes) -> list[ParsedHoliday]:
    """The all-day events in `data`, in the file's order. Raises ValidationError (field "file")
    when it is not iCalendar, or when an event's dates cannot be read."""
    calendar = _parse(data)
    holidays: list[ParsedHoliday] = []
    for event in calendar.walk("VEVENT"):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        name = str(event.get("SUMMARY", "")).strip() or _("Holiday")
        start = _date_value(event, "DTSTART", name)
        if start is None:
            raise ValidationError(_("The event “%(name)s” has no start date (DTSTART).") % {"name": name}, field="file")
        if isinstance(start, datetime):  # a timed event: not a day off
            continue
        days = _length_in_days(event, start, name)
        uid = str(event.get("UID", "")).strip()[:255]
        try:
            holidays += [
                ParsedHoliday(uid=uid, name=name, first_day=first, last_day=first + (days - 1) * ONE_DAY)
                for first in _occurrences(event, start, name)
            ]
        except OverflowError:
            raise ValidationError(
                _("The event “%(name)s” ends after the year 9999.") % {"name": name}, field="file"
            ) from None
    return holidays


def _parse(data: bytes) -> icalendar.Calendar:
    if not data.strip():
        raise ValidationError(_("The file is empty; choose an iCalendar (.ics) file."), field="file")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValidationError(
            # icalendar's reason, without the copy of the file's bytes it may end with
            _("The file is not an iCalendar (.ics) file: %(reason)s.") % {"reason": str(error).split(": b'")[0][:200]},
            field="file",
        ) from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise ValidationError(
            _("The file is not an iCalendar (.ics) file: it does not begin with BEGIN:VCALENDAR."), field="file"
        )
    return calendar


def _date_value(event: icalendar.cal.Component, prop: str, name: str) -> date | datetime | None:
    value = event.get(prop)
    if value is None:
        return None
    try:
        decoded: Any = value.dt
    except (AttributeError, ValueError):  # ValueError: icalendar's BrokenCalendarProperty
        decoded = None
    if not isinstance(decoded, date):
        raise ValidationError(
            _("The event “%(name)s” has a %(property)s that is not a date: “%(value)s”.")
            % {"name": name, "property": prop, "value": str(value)[:50]},
            field="file",
        )
    return decoded


def _length_in_days(event: icalendar.cal.Component, start: date, name: str) -> int:
    """How many days the event covers: to its (exclusive) DTEND, for its DURATION, or one."""
    end = _date_value(event, "DTEND", name)
    if end is not None:
        last = (end.date() if isinstance(end, datetime) else end) - ONE_DAY
        return max((last - start).days + 1, 1)
    duration = event.get("DURATION")
    if duration is not None:
        try:
            length = getattr(duration, "dt", None)
        except ValueError:  # icalendar's BrokenCalendarProperty
            length = None
        if not isinstance(length, timedelta):
            raise ValidationError(
                _("The event “%(name)s” has a DURATION that cannot be read.") % {"name": name}, field="file"
            )
        return max(length.days, 1)
    return 1


def _occurrences(event: icalendar.cal.Component, start: date, name: str) -> list[date]:
    """The first days of the event's occurrences: the start, and the repeats of a simple rule."""
    rule = event.get("RRULE")
    if rule is None or isinstance(rule, list) or not _simple(rule, start):
        return [start]
    excluded = _excluded_days(event)
    days: list[date] = []
    for day in _repeats(rule, start):
        if len(days) >= MAX_OCCURRENCES:
            raise ValidationError(
                _("The event “%(name)s” repeats more than %(count)s times.") % {"name": name, "count": MAX_OCCURRENCES},
                field="file",
            )
        if day not in excluded:
            days.append(day)
    return days


def _simple(rule: Any, start: date) -> bool:
    parts = {str(key).upper() for key in rule}
    frequency = [str(value).upper() for value in rule.get("FREQ", [])]
    return (
        parts <= SIMPLE_RULE_PARTS
        and frequency in (["YEARLY"], ["DAILY"])
        and ("COUNT" in parts or "UNTIL" in parts)
        and rule.get("BYMONTH", [start.month]) == [start.month]
        and rule.get("BYMONTHDAY", [start.day]) == [start.day]
        and (frequency == ["YEARLY"] or not parts & {"BYMONTH", "BYMONTHDAY"})
    )


def _repeats(rule: Any, start: date) -> Iterator[date]:
    """Every occurrence of a simple rule, in order (a 29 February repeats in leap years only)."""
    interval = max(int(rule.get("INTERVAL", [1])[0]), 1)
    count = int(rule["COUNT"][0]) if "COUNT" in rule else None
    until = rule["UNTIL"][0] if "UNTIL" in rule else None
    if isinstance(until, datetime):
        until = until.date()
    yearly = rule["FREQ"][0].upper() == "YEARLY"
    produced, step = 0, 0
    while count is None or produced < count:
        try:
            day = start.replace(year=start.year + step * interval) if yearly else start + step * interval * ONE_DAY
        except OverflowError:  # beyond the year 9999
            return
        except ValueError:
            if start.year + step * interval > date.max.year:
                return
            step += 1  # 29 February in a year that has none: no occurrence (RFC 5545)
            continue
        if until is not None and day > until:
            return
        yield day
        produced += 1
        step += 1


def _excluded_days(event: icalendar.cal.Component) -> set[date]:
    values = event.get("EXDATE", [])
    days: set[date] = set()
    for value in values if isinstance(values, list) else [values]:
        for item in getattr(value, "dts", []):
            day = item.dt
            days.add(day.date() if isinstance(day, datetime) else day)
    return days
