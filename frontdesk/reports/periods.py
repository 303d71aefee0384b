"""Report periods: what "today", "last 7 days" or a pair of dates mean, as half-open UTC ranges.

Pure functions of `now` and the site's time zone: a day starts at local midnight, so
"today" in Madrid is not "today" in UTC. Every period is [start, end): a ticket
assigned exactly at `end` belongs to the next one.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.core.errors import ValidationError


class Preset:
    TODAY = "today"
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    THIS_MONTH = "this_month"
    LAST_WEEK = "last_week"
    CUSTOM = "custom"


PRESETS: list[tuple[str, StrOrPromise]] = [
    (Preset.TODAY, _("Today")),
    (Preset.LAST_7_DAYS, _("Last 7 days")),
    (Preset.LAST_30_DAYS, _("Last 30 days")),
    (Preset.THIS_MONTH, _("This month")),
    (Preset.LAST_WEEK, _("Last week")),
    (Preset.CUSTOM, _("Dates")),
]
PRESET_VALUES = [value for value, _label in PRESETS]


@dataclass(frozen=True)
class Period:
    """[start, end), aware datetimes; `first_day` and `last_day` are the local dates it covers."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def days_period(first_day: date, last_day: date, *, zone: tzinfo) -> Period:
    """Whole local days from `first_day` to `last_day`, both included."""
    if last_day < first_day:
        raise ValidationError("The end date is before the start date.", field="end")
    return Period(
        start=_midnight(first_day, zone),
        end=_midnight(last_day + timedelta(days=1), zone),
        first_day=first_day,
        last_day=last_day,
    )


def preset_period(preset: str, *, now: datetime, zone: tzinfo) -> Period:
    """A named period that ends with today (last week: Monday to Sunday before this week)."""
    today = now.astimezone(zone).date()
    if preset == Preset.TODAY:
        return days_period(today, today, zone=zone)
    if preset == Preset.LAST_7_DAYS:
        return days_period(today - timedelta(days=6), today, zone=zone)
    if preset == Preset.LAST_30_DAYS:
        return days_period(today - timedelta(days=29), today, zone=zone)
    if preset == Preset.THIS_MONTH:
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return days_period(first, following - timedelta(days=1), zone=zone)
    if preset == Preset.LAST_WEEK:
        monday = today - timedelta(days=today.weekday() + 7)
        return days_period(monday, monday + timedelta(days=6), zone=zone)
    raise ValidationError(f"Unknown period “{preset}”; use one of: {', '.join(PRESET_VALUES)}.", field="period")


def parse_day(value: str, *, field: str) -> date:
    """A date written as YYYY-MM-DD, or a ValidationError that says so."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"“{value}” is not a date: write it as YYYY-MM-DD.", field=field) from None


def period_from_params(
    *, preset: str | None, start: str | None, end: str | None, now: datetime, zone: tzinfo
) -> Period:
    """The period that request parameters name: start and end dates (both included), or a preset
    (last 7 days when nothing is given). One date without the other is an error."""
    if start or end:
        if not start:
            raise ValidationError("Give a start date with the end date.", field="start")
        if not end:
            raise ValidationError("Give an end date with the start date.", field="end")
        return days_period(parse_day(start, field="start"), parse_day(end, field="end"), zone=zone)
    if preset == Preset.CUSTOM:
        raise ValidationError("Give a start and an end date.", field="start")
    return preset_period(preset or Preset.LAST_7_DAYS, now=now, zone=zone)
