"""The SLA settings pages: policies, calendars with holidays, contracts (/settings/sla/…)."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Organisation, Role, User
from frontdesk.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory
from frontdesk.sla.forms import format_minutes, parse_minutes
from frontdesk.sla.models import Calendar, Contract, Holiday, Policy, PolicyTarget
from frontdesk.sla.tests.factories import WEEKDAYS_9_TO_5, CalendarFactory, policy_with
from frontdesk.workspace.tests.conftest import client_for

VALID_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Frontdesk tests//EN\r
BEGIN:VEVENT\r
UID:new-year-2027@holidays.example\r
DTSTART;VALUE=DATE:20270101\r
DTEND;VALUE=DATE:20270102\r
SUMMARY:New Year's Day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:christmas-2026@holidays.example\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory.create(name="Sue Supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def manager(supervisor: User) -> Client:
    return client_for(supervisor)


@pytest.fixture
def calendar(db: None) -> Calendar:
    return CalendarFactory.create(
        name="Office hours", time_zone="Europe/Madrid", always_open=False, hours=WEEKDAYS_9_TO_5
    )


@pytest.fixture
def policy(calendar: Calendar) -> Policy:
    return policy_with(
        {"urgent": (30, 60, 240), "normal": (90, None, 2880)}, name="Standard", calendar=calendar, position=10
    )


@pytest.fixture
def organisation(db: None) -> Organisation:
    return OrganisationFactory.create(name="Hotel Sol")


@pytest.fixture
def contract(organisation: Organisation, policy: Policy) -> Contract:
    return Contract.objects.create(
        organisation=organisation, name="Gold 2026", policy=policy, starts_on=date(2026, 1, 1)
    )


def policy_form_data(calendar: Calendar, /, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "VIP",
        "position": "5",
        "is_active": "on",
        "calendar": str(calendar.pk),
        "organisations": [],
        "teams": [],
        "channels": [],
        "priorities": [],
        "tags": "",
        "warn_at": "75, 90",
        "breach_team": "",
    }
    data.update(changes)
    return data


def calendar_form_data(**changes: str) -> dict[str, str]:
    data = {"name": "Reception", "time_zone": "Europe/Vilnius"}
    data.update(changes)
    return data


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("1h 30m", 90), ("1h30m", 90), ("2d", 2880), ("1d 4h", 1680), ("45 min", 45), (" 2 H ", 120)],
)
def test_targets_are_typed_in_minutes_or_with_units(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize(("minutes", "text"), [(90, "1h 30m"), (2880, "2d"), (1500, "1d 1h"), (45, "45m"), (None, "")])
def test_targets_are_shown_with_units(minutes: int | None, text: str) -> None:
    assert format_minutes(minutes) == text


# --- who may see and change them ---------------------------------------------------------------

PAGES = [
    "/settings/sla/policies/",
    "/settings/sla/policies/{policy}/",
    "/settings/sla/calendars/",
    "/settings/sla/calendars/{calendar}/",
    "/settings/sla/contracts/",
    "/settings/sla/contracts/{contract}/",
]
CHANGES = [
    "/settings/sla/policies/new/",
    "/settings/sla/policies/{policy}/",
    "/settings/sla/policies/{policy}/delete/",
    "/settings/sla/calendars/new/",
    "/settings/sla/calendars/{calendar}/",
    "/settings/sla/calendars/{calendar}/delete/",
    "/settings/sla/calendars/{calendar}/holidays/",
    "/settings/sla/calendars/{calendar}/holidays/{holiday}/delete/",
    "/settings/sla/calendars/{calendar}/holidays/import/",
    "/settings/sla/contracts/new/",
    "/settings/sla/contracts/{contract}/",
    "/settings/sla/contracts/{contract}/delete/",
]


def _urls(paths: list[str], policy: Policy, contract: Contract, holiday: Holiday) -> list[str]:
    ids = {"policy": policy.pk, "calendar": policy.calendar_id, "contract": contract.pk, "holiday": holiday.pk}
    return [path.format(**ids) for path in paths]


@pytest.fixture
def holiday(calendar: Calendar) -> Holiday:
    return Holiday.objects.create(
        calendar=calendar, name="Epiphany", first_day=date(2027, 1, 6), last_day=date(2027, 1, 6)
    )


def test_agents_may_read_the_sla_settings_without_a_way_to_change_them(
    policy: Policy, contract: Contract, holiday: Holiday
) -> None:
    client = client_for(UserFactory.create(role=Role.AGENT))

    for url in _urls(PAGES, policy, contract, holiday):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'type="submit" class="button-primary"' not in response.content.decode(), url
    assert "New policy" not in client.get("/settings/sla/policies/").content.decode()
    assert "Add a holiday" not in client.get(f"/settings/sla/calendars/{policy.calendar_id}/").content.decode()
    form = client.get(f"/settings/sla/policies/{policy.pk}/").context["form"]
    assert form.read_only
    assert all(field.disabled for field in form.fields.values())


def test_agents_may_not_change_the_sla_settings(
    policy: Policy, contract: Contract, holiday: Holiday, organisation: Organisation
) -> None:
    client = client_for(UserFactory.create(role=Role.AGENT))
    data = {**policy_form_data(policy.calendar, name="Renamed"), **calendar_form_data(name="Renamed")}

    for url in _urls(CHANGES, policy, contract, holiday):
        assert client.post(url, data).status_code == 403, url
    assert client.get("/settings/sla/policies/new/").status_code == 403
    assert client.get(f"/settings/sla/policies/{policy.pk}/delete/").status_code == 403
    assert Policy.objects.get().name == "Standard"
    assert Calendar.objects.get().name == "Office hours"
    assert Holiday.objects.count() == 1
    assert Contract.objects.count() == 1


def test_light_agents_are_refused_every_sla_page(policy: Policy, contract: Contract, holiday: Holiday) -> None:
    client = client_for(UserFactory.create(role=Role.LIGHT_AGENT))

    for url in _urls(PAGES, policy, contract, holiday):
        assert client.get(url).status_code == 403, url
    for url in _urls(CHANGES, policy, contract, holiday):
        assert client.post(url, {}).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/settings/sla/policies/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- policies -------------------------------------------------------------------------------------


def test_the_policy_list_shows_order_calendar_conditions_and_targets(manager: Client, policy: Policy) -> None:
    team = TeamFactory.create(name="Reservations")
    Policy.objects.filter(pk=policy.pk).update(teams=[team.pk], channels=["email", "chat"], tags=["vip"])

    response = manager.get("/settings/sla/policies/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Standard" in page
    assert "Office hours" in page
    assert "Teams: Reservations" in page
    assert "Channels: E-mail, Chat" in page
    assert "Tags: vip" in page
    assert "Urgent: 30m / 1h / 4h" in page
    assert "Normal: 1h 30m / — / 2d" in page
    assert "75, 90 %" in page
    assert "New policy" in page


def test_the_policy_list_shows_no_warnings_for_a_policy_without_them(manager: Client, policy: Policy) -> None:
    Policy.objects.filter(pk=policy.pk).update(warn_at=[])

    page = manager.get("/settings/sla/policies/").content.decode()

    assert "75, 90 %" not in page
    assert '<td class="mail-nowrap">—</td>' in page


def test_the_policy_list_queries_do_not_grow_with_policies(
    manager: Client, calendar: Calendar, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    teams = TeamFactory.create_batch(3)
    organisations = OrganisationFactory.create_batch(3)
    for n in range(15):
        policy_with(
            name=f"Policy {n}",
            calendar=calendar,
            teams=[t.pk for t in teams],
            organisations=[o.pk for o in organisations],
        )

    # session, user; the policies with their calendars; their targets; organisation names; team names
    with django_assert_max_num_queries(6):
        response = manager.get("/settings/sla/policies/")

    assert len(response.context["rows"]) == 15


def test_a_supervisor_creates_a_policy_with_targets_conditions_and_escalations(
    manager: Client, calendar: Calendar, organisation: Organisation
) -> None:
    team = TeamFactory.create(name="Escalations")
    assert manager.get("/settings/sla/policies/new/").status_code == 200

    response = manager.post(
        "/settings/sla/policies/new/",
        policy_form_data(
            calendar,
            organisations=[str(organisation.pk)],
            teams=[str(team.pk)],
            channels=["email", "phone"],
            priorities=["high", "urgent"],
            tags="VIP, late arrival",
            urgent_first_response="30",
            urgent_resolution="1h 30m",
            high_next_response="2d",
            warn_at="80%, 95",
            breach_raise_priority="on",
            breach_team=str(team.pk),
            breach_notify_supervisors="on",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == "/settings/sla/policies/"
    policy = Policy.objects.get()
    assert (policy.name, policy.position, policy.is_active, policy.calendar) == ("VIP", 5, True, calendar)
    assert (policy.organisations, policy.teams) == ([organisation.pk], [team.pk])
    assert (policy.channels, policy.priorities) == (["email", "phone"], ["high", "urgent"])
    assert policy.tags == ["late-arrival", "vip"]
    assert policy.warn_at == [0.8, 0.95]
    assert (policy.breach_raise_priority, policy.breach_team, policy.breach_notify_supervisors) == (True, team, True)
    targets = {
        t.priority: (t.first_response_minutes, t.next_response_minutes, t.resolution_minutes)
        for t in PolicyTarget.objects.filter(policy=policy)
    }
    assert targets == {"urgent": (30, None, 90), "high": (None, 2880, None)}
    assert "The policy VIP is created." in manager.get("/settings/sla/policies/").content.decode()


def test_the_policy_page_shows_targets_and_warnings_readably(manager: Client, policy: Policy) -> None:
    response = manager.get(f"/settings/sla/policies/{policy.pk}/")

    page = response.content.decode()
    assert 'name="normal_first_response" value="1h 30m"' in page
    assert 'name="normal_resolution" value="2d"' in page
    assert 'name="urgent_resolution" value="4h"' in page
    assert 'name="warn_at" value="75, 90"' in page


def test_editing_a_policy_replaces_its_targets(manager: Client, policy: Policy) -> None:
    response = manager.post(
        f"/settings/sla/policies/{policy.pk}/",
        policy_form_data(policy.calendar, name="Standard", low_resolution="3d", is_active="", warn_at=""),
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.is_active is False
    assert policy.warn_at == [0.75, 0.9]  # empty: the default warnings
    assert list(policy.targets.values_list("priority", "resolution_minutes")) == [("low", 3 * 1440)]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("urgent_first_response", "soon", "“soon” is not a duration: type minutes (90) or units such as 1h 30m or 2d."),
        ("urgent_first_response", "0", "A target is above 0 and at most 366 days."),
        ("warn_at", "75, 120", "“120” is not a percentage above 0 and below 100."),
        ("calendar", "", "This field is required."),
    ],
)
def test_a_policy_with_bad_input_shows_the_error_and_is_not_saved(
    manager: Client, policy: Policy, field: str, value: str, error: str
) -> None:
    response = manager.post(
        f"/settings/sla/policies/{policy.pk}/", policy_form_data(policy.calendar, name="Renamed", **{field: value})
    )

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [error]
    assert error in response.content.decode()
    policy.refresh_from_db()
    assert policy.name == "Standard"
    assert policy.targets.count() == 2


def test_the_service_refuses_a_second_policy_with_the_same_name(manager: Client, policy: Policy) -> None:
    response = manager.post("/settings/sla/policies/new/", policy_form_data(policy.calendar, name="Standard"))

    assert response.status_code == 422
    assert response.context["form"].errors["name"] == ["There is already a policy called “Standard”."]
    assert Policy.objects.count() == 1


def test_deleting_a_policy_asks_first(manager: Client, calendar: Calendar) -> None:
    policy = policy_with(name="Old", calendar=calendar)

    confirmation = manager.get(f"/settings/sla/policies/{policy.pk}/delete/")
    assert "Delete the policy Old?" in confirmation.content.decode()
    assert Policy.objects.filter(pk=policy.pk).exists()

    response = manager.post(f"/settings/sla/policies/{policy.pk}/delete/")

    assert response["Location"] == "/settings/sla/policies/"
    assert not Policy.objects.filter(pk=policy.pk).exists()


def test_a_policy_a_contract_names_is_not_deleted(manager: Client, contract: Contract) -> None:
    response = manager.post(f"/settings/sla/policies/{contract.policy_id}/delete/", follow=True)

    assert "Contracts name the policy “Standard”; change them first." in response.content.decode()
    assert Policy.objects.filter(pk=contract.policy_id).exists()


# --- calendars --------------------------------------------------------------------------------


def test_a_new_calendar_starts_in_the_sites_time_zone(manager: Client, settings: object) -> None:
    settings.TIME_ZONE = "Europe/Madrid"  # type: ignore[attr-defined]

    form = manager.get("/settings/sla/calendars/new/").context["form"]

    assert form["time_zone"].value() == "Europe/Madrid"
    zones = [value for value, _label in form.fields["time_zone"].choices]
    assert zones == sorted(zones)
    assert "America/New_York" in zones


def test_a_supervisor_creates_a_calendar_with_split_hours(manager: Client) -> None:
    response = manager.post(
        "/settings/sla/calendars/new/",
        calendar_form_data(
            day0_0_opens="9:00",
            day0_0_closes="13:00",
            day0_1_opens="15:00",
            day0_1_closes="19:00",
            day4_0_opens="08:30",
            day4_0_closes="24:00",
        ),
    )

    calendar = Calendar.objects.get()
    assert response["Location"] == f"/settings/sla/calendars/{calendar.pk}/"
    assert (calendar.name, calendar.time_zone, calendar.always_open) == ("Reception", "Europe/Vilnius", False)
    assert calendar.hours == {"0": [["09:00", "13:00"], ["15:00", "19:00"]], "4": [["08:30", "24:00"]]}
    listing = manager.get("/settings/sla/calendars/").content.decode()
    assert "Mon 09:00–13:00, 15:00–19:00" in listing
    assert "Fri 08:30–24:00" in listing


def test_the_calendar_list_runs_days_with_the_same_hours_together(manager: Client, calendar: Calendar) -> None:
    CalendarFactory.create(name="Always")

    page = manager.get("/settings/sla/calendars/").content.decode()

    assert "Mon–Fri 09:00–17:00" in page
    assert "Open 24/7" in page


def test_the_calendar_and_contract_lists_queries_do_not_grow(
    manager: Client, policy: Policy, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(10):
        calendar = CalendarFactory.create()
        Holiday.objects.create(
            calendar=calendar, name=f"Day {n}", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1)
        )
        Contract.objects.create(
            organisation=OrganisationFactory.create(), name=f"C{n}", policy=policy, starts_on=date(2026, 1, 1)
        )

    # session, user; the calendars; their holidays
    with django_assert_max_num_queries(4):
        assert len(manager.get("/settings/sla/calendars/").context["rows"]) == 11
    # session, user; the contracts with their organisations and policies
    with django_assert_max_num_queries(3):
        assert len(manager.get("/settings/sla/contracts/").context["rows"]) == 10


def test_editing_a_calendar_shows_its_hours_and_saves_them(manager: Client, calendar: Calendar) -> None:
    page = manager.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert 'name="day2_0_opens" value="09:00"' in page

    response = manager.post(
        f"/settings/sla/calendars/{calendar.pk}/",
        calendar_form_data(name="Office hours", time_zone="Europe/Madrid", always_open="on"),
    )

    assert response["Location"] == "/settings/sla/calendars/"
    calendar.refresh_from_db()
    assert calendar.always_open is True
    assert calendar.hours == {}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"day0_0_opens": "17:00", "day0_0_closes": "09:00"}, "17:00–09:00: opening must come before closing."),
        (
            {"day1_0_opens": "09:00", "day1_0_closes": "14:00", "day1_1_opens": "13:00", "day1_1_closes": "18:00"},
            "Business hours on weekday 1 overlap.",
        ),
        ({}, "A calendar that is not open 24/7 needs business hours."),
    ],
)
def test_hours_the_service_refuses_are_shown_and_not_saved(
    manager: Client, calendar: Calendar, changes: dict[str, str], error: str
) -> None:
    response = manager.post(f"/settings/sla/calendars/{calendar.pk}/", calendar_form_data(**changes))

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [error]
    assert error in response.content.decode()
    calendar.refresh_from_db()
    assert (calendar.name, calendar.hours) == ("Office hours", WEEKDAYS_9_TO_5)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"day0_0_opens": "25:00", "day0_0_closes": "26:00"}, "day0_0_opens", "“25:00” is not a time such as 09:00."),
        ({"day0_0_opens": "09:00"}, "day0_0_closes", "Type both times of the interval, or neither."),
        (
            {"time_zone": "Mars/Olympus_Mons", "always_open": "on"},
            "time_zone",
            "Select a valid choice. Mars/Olympus_Mons is not one of the available choices.",
        ),
    ],
)
def test_hours_or_a_zone_that_do_not_parse_are_shown_and_not_saved(
    manager: Client, calendar: Calendar, changes: dict[str, str], field: str, error: str
) -> None:
    response = manager.post(f"/settings/sla/calendars/{calendar.pk}/", calendar_form_data(**changes))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [error]
    assert error in response.content.decode()
    calendar.refresh_from_db()
    assert (calendar.name, calendar.time_zone, calendar.hours) == ("Office hours", "Europe/Madrid", WEEKDAYS_9_TO_5)


def test_a_calendar_a_policy_uses_is_not_deleted(manager: Client, policy: Policy) -> None:
    response = manager.post(f"/settings/sla/calendars/{policy.calendar_id}/delete/", follow=True)

    assert "Policies use the calendar “Office hours”; give them another one first." in response.content.decode()
    assert Calendar.objects.filter(pk=policy.calendar_id).exists()


def test_deleting_an_unused_calendar(manager: Client, calendar: Calendar) -> None:
    assert (
        "Delete the calendar Office hours?"
        in manager.get(f"/settings/sla/calendars/{calendar.pk}/delete/").content.decode()
    )

    response = manager.post(f"/settings/sla/calendars/{calendar.pk}/delete/")

    assert response["Location"] == "/settings/sla/calendars/"
    assert not Calendar.objects.exists()


# --- holidays -------------------------------------------------------------------------------------


def test_holidays_are_added_as_a_day_or_a_range_and_deleted(manager: Client, calendar: Calendar) -> None:
    url = f"/settings/sla/calendars/{calendar.pk}/holidays/"
    manager.post(url, {"holiday-name": "Labour Day", "holiday-first_day": "2027-05-01"})
    response = manager.post(
        url, {"holiday-name": "Summer closing", "holiday-first_day": "2027-08-09", "holiday-last_day": "2027-08-13"}
    )

    assert response["Location"] == f"/settings/sla/calendars/{calendar.pk}/"
    assert list(calendar.holidays.values_list("name", "first_day", "last_day")) == [
        ("Labour Day", date(2027, 5, 1), date(2027, 5, 1)),
        ("Summer closing", date(2027, 8, 9), date(2027, 8, 13)),
    ]
    page = manager.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert "9 Aug 2027 – 13 Aug 2027" in page

    labour_day = calendar.holidays.get(name="Labour Day")
    manager.post(f"/settings/sla/calendars/{calendar.pk}/holidays/{labour_day.pk}/delete/")
    assert list(calendar.holidays.values_list("name", flat=True)) == ["Summer closing"]


def test_a_holiday_that_ends_before_it_starts_is_refused(manager: Client, calendar: Calendar) -> None:
    response = manager.post(
        f"/settings/sla/calendars/{calendar.pk}/holidays/",
        {"holiday-name": "Backwards", "holiday-first_day": "2027-08-13", "holiday-last_day": "2027-08-09"},
    )

    assert response.status_code == 422
    assert response.context["holiday_form"].errors["last_day"] == ["The last day comes before the first."]
    assert "The last day comes before the first." in response.content.decode()
    assert not Holiday.objects.exists()


def test_a_holiday_of_another_calendar_is_not_found(manager: Client, calendar: Calendar, holiday: Holiday) -> None:
    other = CalendarFactory.create()

    response = manager.post(f"/settings/sla/calendars/{other.pk}/holidays/{holiday.pk}/delete/")

    assert response.status_code == 404
    assert Holiday.objects.filter(pk=holiday.pk).exists()


def test_holidays_are_imported_from_an_icalendar_file(manager: Client, calendar: Calendar) -> None:
    upload = SimpleUploadedFile("holidays.ics", VALID_ICS, content_type="text/calendar")

    response = manager.post(
        f"/settings/sla/calendars/{calendar.pk}/holidays/import/", {"ics-file": upload}, follow=True
    )

    assert "2 holidays imported." in response.content.decode()
    assert list(calendar.holidays.values_list("name", "first_day", "last_day", "uid")) == [
        ("Christmas", date(2026, 12, 24), date(2026, 12, 26), "christmas-2026@holidays.example"),
        ("New Year's Day", date(2027, 1, 1), date(2027, 1, 1), "new-year-2027@holidays.example"),
    ]


def test_a_broken_icalendar_file_shows_the_error_and_imports_nothing(manager: Client, calendar: Calendar) -> None:
    upload = SimpleUploadedFile("holidays.ics", b"this is not a calendar\n", content_type="text/calendar")

    response = manager.post(f"/settings/sla/calendars/{calendar.pk}/holidays/import/", {"ics-file": upload})

    assert response.status_code == 422
    [error] = response.context["import_form"].errors["file"]
    assert error.startswith("The file is not an iCalendar (.ics) file")
    assert escape(error) in response.content.decode()
    assert not Holiday.objects.exists()


def test_a_file_with_one_unreadable_event_imports_none_of_them(manager: Client, calendar: Calendar) -> None:
    broken = VALID_ICS.replace(b"DTSTART;VALUE=DATE:20261224\r\n", b"")
    upload = SimpleUploadedFile("holidays.ics", broken, content_type="text/calendar")

    response = manager.post(f"/settings/sla/calendars/{calendar.pk}/holidays/import/", {"ics-file": upload})

    assert response.status_code == 422
    assert response.context["import_form"].errors["file"] == ["The event “Christmas” has no start date (DTSTART)."]
    assert not Holiday.objects.exists()


def test_an_import_without_a_file_asks_for_one(manager: Client, calendar: Calendar) -> None:
    response = manager.post(f"/settings/sla/calendars/{calendar.pk}/holidays/import/", {})

    assert response.status_code == 422
    assert response.context["import_form"].errors["file"] == ["This field is required."]


# --- contracts ---------------------------------------------------------------------------------


def test_the_contract_list_says_which_contracts_run(manager: Client, contract: Contract) -> None:
    today = timezone.localdate()
    Contract.objects.create(
        organisation=contract.organisation,
        name="Silver 2020",
        policy=contract.policy,
        starts_on=date(2020, 1, 1),
        ends_on=today - timedelta(days=1),
    )

    response = manager.get("/settings/sla/contracts/")

    rows = {c.name: running for c, running in response.context["rows"]}
    assert rows == {"Gold 2026": True, "Silver 2020": False}
    page = response.content.decode()
    assert "Hotel Sol" in page
    assert "Not running" in page


def test_a_supervisor_creates_edits_and_deletes_a_contract(
    manager: Client, policy: Policy, organisation: Organisation
) -> None:
    form = manager.get("/settings/sla/contracts/new/").context["form"]
    assert form["starts_on"].value() == timezone.localdate()

    response = manager.post(
        "/settings/sla/contracts/new/",
        {
            "organisation": str(organisation.pk),
            "name": "Gold 2027",
            "policy": str(policy.pk),
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
        },
    )
    assert response["Location"] == "/settings/sla/contracts/"
    contract = Contract.objects.get()
    assert (contract.organisation, contract.policy, contract.starts_on, contract.ends_on) == (
        organisation,
        policy,
        date(2027, 1, 1),
        date(2027, 12, 31),
    )

    manager.post(
        f"/settings/sla/contracts/{contract.pk}/",
        {"organisation": str(organisation.pk), "name": "Gold", "policy": str(policy.pk), "starts_on": "2027-01-01"},
    )
    contract.refresh_from_db()
    assert (contract.name, contract.ends_on) == ("Gold", None)

    assert "Delete the contract Gold?" in manager.get(f"/settings/sla/contracts/{contract.pk}/delete/").content.decode()
    manager.post(f"/settings/sla/contracts/{contract.pk}/delete/")
    assert not Contract.objects.exists()


def test_a_contract_that_ends_before_it_starts_is_refused(manager: Client, contract: Contract) -> None:
    response = manager.post(
        f"/settings/sla/contracts/{contract.pk}/",
        {
            "organisation": str(contract.organisation_id),
            "name": "Gold 2026",
            "policy": str(contract.policy_id),
            "starts_on": "2026-06-01",
            "ends_on": "2026-05-01",
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors["ends_on"] == ["The contract ends before it starts."]
    contract.refresh_from_db()
    assert (contract.starts_on, contract.ends_on) == (date(2026, 1, 1), None)


def test_admins_manage_sla_settings_too(policy: Policy) -> None:
    client = client_for(UserFactory.create(role=Role.ADMIN))

    response = client.post(f"/settings/sla/policies/{policy.pk}/", policy_form_data(policy.calendar, name="Renamed"))

    assert response.status_code == 302
    assert Policy.objects.get().name == "Renamed"
