"""Holidays from an iCalendar (.ics) file: its all-day events, as inclusive date ranges."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ParsedHoliday:
    uid: str
    name: str
    first_day: date
    last_day: date


def holidays_from_ics(data: bytes) -> list[ParsedHoliday]:
    """The all-day events in `data`. Raises ValidationError (field "file") when it is not iCalendar."""
    raise NotImplementedError  # written next (issue 5)
