"""Report periods are whole local days, half-open, computed from `now` (no database)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from frontdesk.core.errors import ValidationError
from frontdesk.reports.periods import days_period, period_from_params, preset_period

MADRID = ZoneInfo("Europe/Madrid")
# Tuesday 31 March 2026, 23:30 in Madrid (summer time since Sunday 29 March), 21:30 UTC.
NOW = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)


def test_today_is_the_local_day_from_midnight_to_midnight() -> None:
    period = preset_period("today", now=NOW, zone=MADRID)

    assert (period.start, period.end) == (
        datetime(2026, 3, 31, tzinfo=MADRID),
        datetime(2026, 4, 1, tzinfo=MADRID),
    )
    assert period.start == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)


def test_last_7_days_ends_with_today_and_spans_the_change_to_summer_time() -> None:
    period = preset_period("last_7_days", now=NOW, zone=MADRID)

    assert (period.first_day, period.last_day) == (date(2026, 3, 25), date(2026, 3, 31))
    assert (period.end.astimezone(UTC) - period.start.astimezone(UTC)).total_seconds() == 7 * 24 * 3600 - 3600


def test_this_month_covers_the_whole_calendar_month() -> None:
    period = preset_period("this_month", now=NOW, zone=MADRID)

    assert (period.first_day, period.last_day) == (date(2026, 3, 1), date(2026, 3, 31))


def test_last_week_is_monday_to_sunday_before_this_week() -> None:
    period = preset_period("last_week", now=NOW, zone=MADRID)

    assert (period.first_day, period.last_day) == (date(2026, 3, 23), date(2026, 3, 29))


def test_dates_include_the_last_day() -> None:
    period = period_from_params(preset=None, start="2026-02-01", end="2026-02-28", now=NOW, zone=UTC)

    assert (period.start, period.end) == (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))


def test_nothing_given_means_the_last_7_days() -> None:
    assert period_from_params(preset=None, start=None, end=None, now=NOW, zone=UTC) == preset_period(
        "last_7_days", now=NOW, zone=UTC
    )


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-02-30", "2026-03-01", "start", "“2026-02-30” is not a date: write it as YYYY-MM-DD."),
        ("2026-03-01", "1/4/2026", "end", "“1/4/2026” is not a date: write it as YYYY-MM-DD."),
        ("2026-03-01", "", "end", "Give an end date with the start date."),
        ("", "2026-03-01", "start", "Give a start date with the end date."),
        ("2026-03-02", "2026-03-01", "end", "The end date is before the start date."),
    ],
)
def test_bad_dates_are_refused_with_the_field_and_the_reason(start: str, end: str, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        period_from_params(preset=None, start=start, end=end, now=NOW, zone=UTC)

    assert (refused.value.field, refused.value.message) == (field, message)


def test_custom_without_dates_and_unknown_presets_are_refused() -> None:
    with pytest.raises(ValidationError):
        period_from_params(preset="custom", start=None, end=None, now=NOW, zone=UTC)
    with pytest.raises(ValidationError):
        preset_period("fortnight", now=NOW, zone=UTC)


def test_a_single_day_period_is_one_day_long() -> None:
    period = days_period(date(2026, 5, 1), date(2026, 5, 1), zone=UTC)

    assert (period.end - period.start).days == 1
