"""Holidays from iCalendar files: the parser (no database), and their import into a calendar."""

from datetime import date, timedelta

import pytest

from frontdesk.accounts.models import Role
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.core.errors import PermissionDenied, ValidationError
from frontdesk.sla.ical import MAX_OCCURRENCES, ParsedHoliday, holidays_from_ics
from frontdesk.sla.models import Calendar, Holiday
from frontdesk.sla.services import holiday_add, holidays_import
from frontdesk.sla.tests.factories import CalendarFactory
from frontdesk.tickets.tests.factories import NOW


def ics(*events: str) -> bytes:
    """A calendar file around `events` (each the lines between BEGIN:VEVENT and END:VEVENT), with CRLF."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Frontdesk tests//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.strip().splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines) + "\r\n").encode()


def all_day(uid: str, day: str, summary: str) -> str:
    """A one-day event as calendar programs write it: DTEND is the next day (exclusive)."""
    end = (date.fromisoformat(day) + timedelta(days=1)).strftime("%Y%m%d")
    return f"""
        UID:{uid}
        DTSTAMP:20261001T120000Z
        DTSTART;VALUE=DATE:{day.replace("-", "")}
        DTEND;VALUE=DATE:{end}
        SUMMARY:{summary}
    """


SPAIN_2027 = ics(
    all_day("es-2027-0101@example.com", "2027-01-01", "Año Nuevo"),
    all_day("es-2027-0106@example.com", "2027-01-06", "Epifanía del Señor"),
    all_day("es-2027-0326@example.com", "2027-03-26", "Viernes Santo"),
    all_day("es-2027-0501@example.com", "2027-05-01", "Fiesta del Trabajo"),
    all_day("es-2027-1012@example.com", "2027-10-12", "Fiesta Nacional de España"),
    all_day("es-2027-1206@example.com", "2027-12-06", "Día de la Constitución Española"),
    all_day("es-2027-1208@example.com", "2027-12-08", "Inmaculada Concepción"),
    all_day("es-2027-1225@example.com", "2027-12-25", "Navidad"),
)

# Written without DTEND (a one-day event) and with LF line ends, as some exporters do.
LITHUANIA_2027 = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Frontdesk tests//LT
BEGIN:VEVENT
UID:lt-0216@example.com
DTSTART;VALUE=DATE:20270216
SUMMARY:Lietuvos valstyb\xc4\x97s atk\xc5\xabrimo diena
END:VEVENT
BEGIN:VEVENT
UID:lt-0311@example.com
DTSTART;VALUE=DATE:20270311
SUMMARY:Lietuvos nepriklausomyb\xc4\x97s atk\xc5\xabrimo diena
END:VEVENT
BEGIN:VEVENT
UID:lt-0624@example.com
DTSTART;VALUE=DATE:20270624
SUMMARY:Rasos ir Jonini\xc5\xb3 diena
END:VEVENT
BEGIN:VEVENT
UID:lt-0706@example.com
DTSTART;VALUE=DATE:20270706
SUMMARY:Valstyb\xc4\x97s (Lietuvos karaliaus Mindaugo kar\xc5\xabnavimo) diena
END:VEVENT
BEGIN:VEVENT
UID:lt-1224@example.com
DTSTART;VALUE=DATE:20271224
DTEND;VALUE=DATE:20271227
SUMMARY:Kal\xc4\x97dos
END:VEVENT
END:VCALENDAR
"""


# --- the parser ------------------------------------------------------------------------------


def test_spanish_national_holidays_are_single_days_with_their_uids_and_names() -> None:
    holidays = holidays_from_ics(SPAIN_2027)

    assert len(holidays) == 8
    assert holidays[0] == ParsedHoliday(
        uid="es-2027-0101@example.com", name="Año Nuevo", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1)
    )
    assert [holiday.first_day for holiday in holidays] == [holiday.last_day for holiday in holidays]
    assert holidays[-1].name == "Navidad"


def test_lithuanian_holidays_without_dtend_last_one_day_and_keep_their_letters() -> None:
    holidays = holidays_from_ics(LITHUANIA_2027)

    assert [(holiday.name, holiday.first_day, holiday.last_day) for holiday in holidays[:2]] == [
        ("Lietuvos valstybės atkūrimo diena", date(2027, 2, 16), date(2027, 2, 16)),
        ("Lietuvos nepriklausomybės atkūrimo diena", date(2027, 3, 11), date(2027, 3, 11)),
    ]
    assert holidays[2].name == "Rasos ir Joninių diena"


def test_a_multi_day_event_is_one_range_ending_the_day_before_its_dtend() -> None:
    christmas = holidays_from_ics(LITHUANIA_2027)[-1]

    assert (christmas.name, christmas.first_day, christmas.last_day) == (
        "Kalėdos",
        date(2027, 12, 24),
        date(2027, 12, 26),
    )


def test_a_duration_is_added_to_the_first_day() -> None:
    holidays = holidays_from_ics(ics("UID:works@x\nDTSTART;VALUE=DATE:20270802\nDURATION:P14D\nSUMMARY:Works closed"))

    assert (holidays[0].first_day, holidays[0].last_day) == (date(2027, 8, 2), date(2027, 8, 15))


def test_an_end_on_the_start_day_still_makes_one_day() -> None:
    holidays = holidays_from_ics(ics("UID:x@x\nDTSTART;VALUE=DATE:20270501\nDTEND;VALUE=DATE:20270501\nSUMMARY:X"))

    assert (holidays[0].first_day, holidays[0].last_day) == (date(2027, 5, 1), date(2027, 5, 1))


def test_timed_and_cancelled_events_are_left_out() -> None:
    holidays = holidays_from_ics(
        ics(
            "UID:meeting@x\nDTSTART:20270104T090000Z\nDTEND:20270104T100000Z\nSUMMARY:Team meeting",
            "UID:local@x\nDTSTART;TZID=Europe/Madrid:20270105T150000\nDURATION:PT1H\nSUMMARY:Call",
            "UID:gone@x\nDTSTART;VALUE=DATE:20270106\nSTATUS:CANCELLED\nSUMMARY:Cancelled",
            "UID:kept@x\nDTSTART;VALUE=DATE:20270107\nSUMMARY:Kept",
        )
    )

    assert [holiday.uid for holiday in holidays] == ["kept@x"]


def test_an_event_without_summary_or_uid_is_a_holiday_with_an_empty_uid() -> None:
    holidays = holidays_from_ics(ics("DTSTART;VALUE=DATE:20271101"))

    assert holidays == [ParsedHoliday(uid="", name="Holiday", first_day=date(2027, 11, 1), last_day=date(2027, 11, 1))]


def test_a_calendar_without_events_has_no_holidays() -> None:
    assert holidays_from_ics(ics()) == []


def test_a_bounded_yearly_repeat_gives_one_holiday_a_year() -> None:
    holidays = holidays_from_ics(
        ics("UID:ny@x\nDTSTART;VALUE=DATE:20270101\nRRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;COUNT=3\nSUMMARY:NY")
    )

    assert [(holiday.uid, holiday.first_day) for holiday in holidays] == [
        ("ny@x", date(2027, 1, 1)),
        ("ny@x", date(2028, 1, 1)),
        ("ny@x", date(2029, 1, 1)),
    ]


def test_a_daily_repeat_until_a_day_skips_its_exceptions() -> None:
    holidays = holidays_from_ics(
        ics(
            "UID:d@x\nDTSTART;VALUE=DATE:20270801\nRRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20270809\n"
            "EXDATE;VALUE=DATE:20270805\nSUMMARY:Every other day"
        )
    )

    assert [holiday.first_day for holiday in holidays] == [
        date(2027, 8, 1),
        date(2027, 8, 3),
        date(2027, 8, 7),
        date(2027, 8, 9),
    ]


def test_an_open_ended_or_complicated_repeat_counts_as_its_first_occurrence() -> None:
    holidays = holidays_from_ics(
        ics(
            "UID:open@x\nDTSTART;VALUE=DATE:20270101\nRRULE:FREQ=YEARLY\nSUMMARY:Open-ended",
            "UID:memorial@x\nDTSTART;VALUE=DATE:20270531\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO;COUNT=5\nSUMMARY:M",
            "UID:monthly@x\nDTSTART;VALUE=DATE:20270115\nRRULE:FREQ=MONTHLY;COUNT=3\nSUMMARY:Monthly",
        )
    )

    assert [(holiday.uid, holiday.first_day) for holiday in holidays] == [
        ("open@x", date(2027, 1, 1)),
        ("memorial@x", date(2027, 5, 31)),
        ("monthly@x", date(2027, 1, 15)),
    ]


def test_a_29_february_repeats_in_leap_years_only() -> None:
    holidays = holidays_from_ics(
        ics("UID:leap@x\nDTSTART;VALUE=DATE:20240229\nRRULE:FREQ=YEARLY;UNTIL=20320301\nSUMMARY:Leap day")
    )

    assert [holiday.first_day.year for holiday in holidays] == [2024, 2028, 2032]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"this is not a calendar", "not an iCalendar"),
        (b"<!DOCTYPE html>\n<html><body><h1>Holidays</h1></body></html>", "not an iCalendar"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an iCalendar"),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n", "BEGIN:VCALENDAR"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\n", "not an iCalendar"),
        (ics("UID:a@x\nDTSTART;VALUE=DATE:2027011\nSUMMARY:Typo"), "“Typo” has a DTSTART that is not a date"),
        (ics("UID:a@x\nSUMMARY:No start"), "“No start” has no start date"),
        (ics("UID:a@x\nDTSTART;VALUE=DATE:20270101\nDURATION:soon\nSUMMARY:D"), "DURATION"),
    ],
)
def test_what_is_not_icalendar_is_refused_naming_the_file(data: bytes, says: str) -> None:
    with pytest.raises(ValidationError) as raised:
        holidays_from_ics(data)

    assert raised.value.field == "file"
    assert says in raised.value.message
    assert "b'" not in raised.value.message  # no dump of the bytes


def test_a_repeat_of_more_occurrences_than_anyone_has_holidays_is_refused() -> None:
    with pytest.raises(ValidationError, match="repeats more than"):
        holidays_from_ics(
            ics(f"UID:d@x\nDTSTART;VALUE=DATE:20270101\nRRULE:FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}\nSUMMARY:D")
        )


# --- the import ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_a_file_adds_its_holidays_to_the_calendar() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    calendar = CalendarFactory.create(name="Vilnius", time_zone="Europe/Vilnius")

    imported = holidays_import(calendar=calendar, ics=LITHUANIA_2027, actor=admin, now=NOW)

    assert imported == 5
    assert list(calendar.holidays.values_list("name", "first_day", "last_day", "uid"))[-1] == (
        "Kalėdos",
        date(2027, 12, 24),
        date(2027, 12, 26),
        "lt-1224@example.com",
    )
    assert Calendar.objects.get(pk=calendar.pk).updated_at == NOW


@pytest.mark.django_db
def test_importing_the_same_file_twice_updates_instead_of_adding_again() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    calendar = CalendarFactory.create()
    holidays_import(calendar=calendar, ics=SPAIN_2027, actor=supervisor, now=NOW)
    renamed = SPAIN_2027.replace(b"SUMMARY:Navidad", "SUMMARY:Natividad del Señor".encode())

    imported = holidays_import(calendar=calendar, ics=renamed, actor=supervisor, now=NOW + timedelta(days=1))

    assert imported == 8
    assert calendar.holidays.count() == 8
    assert calendar.holidays.get(uid="es-2027-1225@example.com").name == "Natividad del Señor"


@pytest.mark.django_db
def test_the_same_uid_in_two_calendars_is_two_holidays() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    madrid, barcelona = CalendarFactory.create(), CalendarFactory.create()

    holidays_import(calendar=madrid, ics=SPAIN_2027, actor=admin, now=NOW)
    holidays_import(calendar=barcelona, ics=SPAIN_2027, actor=admin, now=NOW)

    assert (madrid.holidays.count(), barcelona.holidays.count()) == (8, 8)


@pytest.mark.django_db
def test_a_broken_file_changes_nothing() -> None:
    admin = UserFactory.create(role=Role.ADMIN)
    calendar = CalendarFactory.create()
    holiday_add(calendar=calendar, name="Company day", first_day=date(2027, 9, 1), actor=admin, now=NOW)
    # A good event first, then one that cannot be read: not even the first is added.
    broken = ics(all_day("ok@x", "2027-01-01", "Fine"), "UID:bad@x\nDTSTART;VALUE=DATE:2027-13-45\nSUMMARY:Bad")

    with pytest.raises(ValidationError) as raised:
        holidays_import(calendar=calendar, ics=broken, actor=admin, now=NOW + timedelta(days=1))

    assert raised.value.field == "file"
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Company day"]
    assert Calendar.objects.get(pk=calendar.pk).updated_at == NOW


@pytest.mark.django_db
def test_an_agent_may_not_import_holidays() -> None:
    calendar = CalendarFactory.create()

    with pytest.raises(PermissionDenied):
        holidays_import(calendar=calendar, ics=SPAIN_2027, actor=UserFactory.create(role=Role.AGENT), now=NOW)

    assert not Holiday.objects.exists()
