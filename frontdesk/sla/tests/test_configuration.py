"""The SLA configuration services: calendars, holidays, policies and contracts.

Who may change them (supervisors and admins), what is refused (with the field named, changing
nothing), and that a change recomputes the clocks of open tickets.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError
from frontdesk.sla.models import Calendar, Clock, Contract, Holiday, Policy, PolicyTarget
from frontdesk.sla.services import (
    TargetInput,
    calendar_delete,
    calendar_save,
    contract_delete,
    contract_save,
    holiday_add,
    holiday_delete,
    policy_delete,
    policy_save,
)
from frontdesk.sla.tests.factories import WEEKDAYS_9_TO_5, CalendarFactory, PolicyFactory, policy_with
from frontdesk.tickets.models import Status, Ticket
from frontdesk.tickets.tests.factories import NOW, TicketFactory, new_ticket

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """The background refresh reads the clock: it stands at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager() -> User:
    return UserFactory.create(role=Role.SUPERVISOR)


def save_calendar(actor: User, **fields: Any) -> Calendar:
    values: dict[str, Any] = {
        "name": "Madrid office",
        "time_zone": "Europe/Madrid",
        "always_open": False,
        "hours": WEEKDAYS_9_TO_5,
    }
    return calendar_save(**{**values, **fields}, actor=actor, now=NOW)


def save_policy(actor: User, **fields: Any) -> Policy:
    values: dict[str, Any] = {
        "name": "Standard",
        "calendar": fields.pop("calendar", None) or CalendarFactory.create(),
        "targets": [TargetInput(priority="normal", first_response_minutes=60, resolution_minutes=480)],
    }
    return policy_save(**{**values, **fields}, actor=actor, now=NOW)


# --- calendars ---------------------------------------------------------------------------


def test_a_calendar_keeps_its_hours_sorted_by_weekday_and_time(manager: User) -> None:
    calendar = save_calendar(
        manager,
        hours={"4": [["14:00", "18:00"], ["09:00", "13:30"]], "0": [["08:00", "24:00"]], "6": []},
    )

    calendar.refresh_from_db()
    assert calendar.hours == {"0": [["08:00", "24:00"]], "4": [["09:00", "13:30"], ["14:00", "18:00"]]}
    assert (calendar.time_zone, calendar.always_open, calendar.updated_at) == ("Europe/Madrid", False, NOW)


def test_a_24_7_calendar_needs_no_hours(manager: User) -> None:
    calendar = save_calendar(manager, name="Around the clock", always_open=True, hours={})

    assert (calendar.always_open, calendar.hours) == (True, {})


def test_changing_a_calendar_keeps_its_holidays(manager: User) -> None:
    calendar = save_calendar(manager)
    holiday_add(calendar=calendar, name="Día de la Hispanidad", first_day=date(2027, 10, 12), actor=manager, now=NOW)

    changed = calendar_save(
        calendar=calendar,
        name="Madrid",
        time_zone="Europe/Madrid",
        always_open=True,
        hours={},
        actor=manager,
        now=LATER,
    )

    assert (changed.pk, changed.name, changed.updated_at) == (calendar.pk, "Madrid", LATER)
    assert changed.holidays.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"name": "  "}, "name", "needs a name"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "not a time zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "not a time zone"),
        ({"hours": {"0": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "hours", "overlap"),
        ({"hours": {"2": [["09:00", "24:00"], ["10:00", "11:00"]]}}, "hours", "overlap"),
        ({"hours": {"1": [["17:00", "09:00"]]}}, "hours", "opening must come before closing"),
        ({"hours": {"1": [["09:00", "09:00"]]}}, "hours", "opening must come before closing"),
        ({"hours": {"7": [["09:00", "17:00"]]}}, "hours", "not a weekday"),
        ({"hours": {"monday": [["09:00", "17:00"]]}}, "hours", "not a weekday"),
        ({"hours": {"0": [["9am", "5pm"]]}}, "hours", "not a pair of times"),
        ({"hours": {"0": [["09:00"]]}}, "hours", "not a pair of times"),
        ({"hours": {}}, "hours", "needs business hours"),
    ],
)
def test_a_calendar_that_cannot_work_is_refused_naming_the_field_and_changes_nothing(
    manager: User, fields: dict[str, Any], field: str, says: str
) -> None:
    calendar = save_calendar(manager)

    with pytest.raises(ValidationError) as raised:
        calendar_save(
            calendar=calendar,
            **{"name": "Renamed", "time_zone": "UTC", "always_open": False, "hours": WEEKDAYS_9_TO_5, **fields},
            actor=manager,
            now=LATER,
        )

    assert (raised.value.field, says in raised.value.message) == (field, True)
    stored = Calendar.objects.get()
    assert (stored.name, stored.time_zone, stored.hours, stored.updated_at) == (
        "Madrid office",
        "Europe/Madrid",
        WEEKDAYS_9_TO_5,
        NOW,
    )


def test_two_calendars_may_not_share_a_name(manager: User) -> None:
    save_calendar(manager)

    with pytest.raises(ValidationError) as raised:
        save_calendar(manager, name=" Madrid office ")

    assert raised.value.field == "name"
    assert Calendar.objects.count() == 1


def test_a_calendar_a_policy_uses_cannot_be_deleted(manager: User) -> None:
    policy = PolicyFactory.create()

    with pytest.raises(Conflict):
        calendar_delete(calendar=policy.calendar, actor=manager)

    assert Calendar.objects.filter(pk=policy.calendar_id).exists()


def test_deleting_a_calendar_deletes_its_holidays(manager: User) -> None:
    calendar = save_calendar(manager)
    holiday_add(calendar=calendar, name="Año Nuevo", first_day=date(2027, 1, 1), actor=manager, now=NOW)

    calendar_delete(calendar=calendar, actor=manager)

    assert not Calendar.objects.exists()
    assert not Holiday.objects.exists()


# --- holidays ----------------------------------------------------------------------------


def test_a_holiday_is_a_day_or_a_range_and_touches_its_calendar(manager: User) -> None:
    calendar = CalendarFactory.create()

    day = holiday_add(calendar=calendar, name=" Año Nuevo ", first_day=date(2027, 1, 1), actor=manager, now=LATER)
    summer = holiday_add(
        calendar=calendar,
        name="Works closed",
        first_day=date(2027, 8, 2),
        last_day=date(2027, 8, 15),
        actor=manager,
        now=LATER,
    )

    assert (day.name, day.first_day, day.last_day, day.uid) == ("Año Nuevo", date(2027, 1, 1), date(2027, 1, 1), "")
    assert (summer.first_day, summer.last_day) == (date(2027, 8, 2), date(2027, 8, 15))
    assert Calendar.objects.get(pk=calendar.pk).updated_at == LATER


@pytest.mark.parametrize(
    ("name", "last_day", "field"),
    [("", None, "name"), ("Backwards", date(2026, 12, 31), "last_day")],
)
def test_a_holiday_without_a_name_or_ending_before_it_starts_is_refused(
    manager: User, name: str, last_day: date | None, field: str
) -> None:
    calendar = CalendarFactory.create()

    with pytest.raises(ValidationError) as raised:
        holiday_add(calendar=calendar, name=name, first_day=date(2027, 1, 1), last_day=last_day, actor=manager, now=NOW)

    assert raised.value.field == field
    assert not Holiday.objects.exists()


def test_a_holiday_can_be_removed(manager: User) -> None:
    calendar = CalendarFactory.create()
    holiday = holiday_add(calendar=calendar, name="Año Nuevo", first_day=date(2027, 1, 1), actor=manager, now=NOW)

    holiday_delete(holiday=holiday, actor=manager, now=LATER)

    assert not Holiday.objects.exists()
    assert Calendar.objects.get(pk=calendar.pk).updated_at == LATER


# --- policies ----------------------------------------------------------------------------


def test_a_policy_is_saved_with_its_conditions_targets_and_escalations(manager: User) -> None:
    organisation, team, escalation_team = OrganisationFactory.create(), TeamFactory.create(), TeamFactory.create()

    policy = save_policy(
        manager,
        position=2,
        organisations=[organisation.pk, organisation.pk],
        teams=[team.pk],
        channels=["whatsapp", "email"],
        priorities=["urgent", "high"],
        tags=["VIP", "vip", "Gold"],
        warn_at=[0.9, 0.5],
        targets=[
            TargetInput(priority="urgent", first_response_minutes=15, next_response_minutes=30, resolution_minutes=240),
            TargetInput(priority="high", first_response_minutes=60),
        ],
        breach_raise_priority=True,
        breach_team=escalation_team,
        breach_notify_supervisors=True,
    )

    policy.refresh_from_db()
    assert (policy.position, policy.organisations, policy.teams) == (2, [organisation.pk], [team.pk])
    assert (policy.channels, policy.priorities, policy.tags) == (
        ["email", "whatsapp"],
        ["high", "urgent"],
        ["gold", "vip"],
    )
    assert policy.warn_at == [0.5, 0.9]
    assert (policy.breach_raise_priority, policy.breach_team, policy.breach_notify_supervisors) == (
        True,
        escalation_team,
        True,
    )
    assert (policy.active_since, policy.updated_at) == (NOW, NOW)
    assert set(policy.targets.values_list("priority", "first_response_minutes", "resolution_minutes")) == {
        ("urgent", 15, 240),
        ("high", 60, None),
    }


def test_saving_a_policy_replaces_its_targets(manager: User) -> None:
    policy = save_policy(manager)

    policy_save(
        policy=policy,
        name="Standard",
        calendar=policy.calendar,
        targets=[TargetInput(priority="low", resolution_minutes=2880)],
        actor=manager,
        now=LATER,
    )

    assert list(PolicyTarget.objects.values_list("priority", "resolution_minutes")) == [("low", 2880)]
    assert Policy.objects.get().active_since == LATER


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"warn_at": [0.75, 1.5]}, "warn_at"),
        ({"warn_at": [0]}, "warn_at"),
        ({"warn_at": [1.0]}, "warn_at"),
        ({"targets": [TargetInput(priority="high", first_response_minutes=60)] * 2}, "targets"),
        ({"targets": [TargetInput(priority="critical", first_response_minutes=60)]}, "targets"),
        ({"targets": [TargetInput(priority="high", first_response_minutes=0)]}, "targets"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"priorities": ["whenever"]}, "priorities"),
        ({"organisations": [424242]}, "organisations"),
        ({"teams": [424242]}, "teams"),
    ],
)
def test_a_policy_that_cannot_work_is_refused_naming_the_field_and_changes_nothing(
    manager: User, fields: dict[str, Any], field: str
) -> None:
    policy = save_policy(manager)

    with pytest.raises(ValidationError) as raised:
        policy_save(
            policy=policy,
            **{
                "name": "Changed",
                "calendar": policy.calendar,
                "targets": [TargetInput(priority="low", resolution_minutes=10)],
                **fields,
            },
            actor=manager,
            now=LATER,
        )

    assert raised.value.field == field
    stored = Policy.objects.get()
    assert (stored.name, stored.updated_at, stored.warn_at) == ("Standard", NOW, [0.75, 0.9])
    assert list(PolicyTarget.objects.values_list("priority", "first_response_minutes")) == [("normal", 60)]


def test_two_policies_may_not_share_a_name(manager: User) -> None:
    save_policy(manager)

    with pytest.raises(ValidationError) as raised:
        save_policy(manager)

    assert raised.value.field == "name"
    assert Policy.objects.count() == 1


def test_a_policy_a_contract_names_cannot_be_deleted(manager: User) -> None:
    policy = save_policy(manager)
    contract_save(
        organisation=OrganisationFactory.create(),
        name="Gold",
        policy=policy,
        starts_on=date(2026, 1, 1),
        actor=manager,
        now=NOW,
    )

    with pytest.raises(Conflict):
        policy_delete(policy=policy, actor=manager)

    assert Policy.objects.filter(pk=policy.pk).exists()


def test_deleting_a_policy_deletes_its_targets(manager: User) -> None:
    policy = save_policy(manager)

    policy_delete(policy=policy, actor=manager)

    assert not Policy.objects.exists()
    assert not PolicyTarget.objects.exists()


# --- contracts ---------------------------------------------------------------------------


def test_a_contract_names_its_organisations_policy_for_a_period(manager: User) -> None:
    organisation, policy = OrganisationFactory.create(), PolicyFactory.create()

    contract = contract_save(
        organisation=organisation,
        name=" Gold support ",
        policy=policy,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        actor=manager,
        now=NOW,
    )

    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.organisation, stored.name, stored.policy) == (organisation, "Gold support", policy)
    assert (stored.starts_on, stored.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))


def test_a_contract_ending_before_it_starts_is_refused_and_changes_nothing(manager: User) -> None:
    organisation, policy = OrganisationFactory.create(), PolicyFactory.create()
    contract = contract_save(
        organisation=organisation, name="Gold", policy=policy, starts_on=date(2027, 1, 1), actor=manager, now=NOW
    )

    with pytest.raises(ValidationError) as raised:
        contract_save(
            contract=contract,
            organisation=organisation,
            name="Gold",
            policy=policy,
            starts_on=date(2027, 1, 1),
            ends_on=date(2026, 12, 31),
            actor=manager,
            now=NOW,
        )

    assert raised.value.field == "ends_on"
    assert Contract.objects.get().ends_on is None


def test_a_contract_without_a_name_is_refused(manager: User) -> None:
    with pytest.raises(ValidationError) as raised:
        contract_save(
            organisation=OrganisationFactory.create(),
            name=" ",
            policy=PolicyFactory.create(),
            starts_on=date(2027, 1, 1),
            actor=manager,
            now=NOW,
        )

    assert raised.value.field == "name"
    assert not Contract.objects.exists()


def test_a_contract_can_be_deleted(manager: User) -> None:
    contract = contract_save(
        organisation=OrganisationFactory.create(),
        name="Gold",
        policy=PolicyFactory.create(),
        starts_on=date(2027, 1, 1),
        actor=manager,
        now=NOW,
    )

    contract_delete(contract=contract, actor=manager)

    assert not Contract.objects.exists()


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.LIGHT_AGENT])
def test_agents_may_not_change_the_configuration(role: str) -> None:
    agent = UserFactory.create(role=role)
    calendar, policy = CalendarFactory.create(), PolicyFactory.create()
    contract = Contract.objects.create(
        organisation=OrganisationFactory.create(), name="Gold", policy=policy, starts_on=date(2027, 1, 1)
    )
    holiday = Holiday.objects.create(calendar=calendar, name="X", first_day=date(2027, 1, 1), last_day=date(2027, 1, 1))
    attempts = [
        lambda: save_calendar(agent, name="New"),
        lambda: calendar_delete(calendar=calendar, actor=agent),
        lambda: holiday_add(calendar=calendar, name="Y", first_day=date(2027, 1, 2), actor=agent, now=NOW),
        lambda: holiday_delete(holiday=holiday, actor=agent, now=NOW),
        lambda: save_policy(agent, name="New", calendar=calendar),
        lambda: policy_delete(policy=policy, actor=agent),
        lambda: contract_save(
            contract=contract,
            organisation=contract.organisation,
            name="Platinum",
            policy=policy,
            starts_on=date(2027, 1, 1),
            actor=agent,
            now=NOW,
        ),
        lambda: contract_delete(contract=contract, actor=agent),
    ]

    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()

    assert (Calendar.objects.count(), Policy.objects.count(), Holiday.objects.count()) == (2, 1, 1)
    assert Contract.objects.get().name == "Gold"


def test_admins_may_change_the_configuration() -> None:
    admin = UserFactory.create(role=Role.ADMIN)

    policy = save_policy(admin, calendar=save_calendar(admin))

    assert policy.calendar.name == "Madrid office"


# --- the clocks follow -------------------------------------------------------------------


def test_saving_a_policy_recomputes_the_clocks_of_open_tickets(
    manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = new_ticket()
    solved = TicketFactory.create(status=Status.SOLVED)
    assert not Clock.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        policy = save_policy(manager, calendar=CalendarFactory.create(always_open=True))
    clock = Clock.objects.get(ticket=ticket, metric="first_response")
    assert (clock.target_minutes, clock.due_at, clock.policy) == (60, NOW + timedelta(minutes=60), policy)
    assert not Clock.objects.filter(ticket=solved).exists()

    with django_capture_on_commit_callbacks(execute=True):
        policy_save(
            policy=policy,
            name="Standard",
            calendar=policy.calendar,
            targets=[TargetInput(priority="normal", first_response_minutes=30)],
            actor=manager,
            now=NOW,
        )
    assert list(Clock.objects.filter(ticket=ticket).values_list("metric", "target_minutes")) == [("first_response", 30)]
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + timedelta(minutes=30)


def test_a_holiday_today_moves_the_deadline_of_an_open_ticket(
    manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    # NOW is Monday 2 November 2026, 09:00 UTC: the calendar opens at 09:00.
    calendar = CalendarFactory.create(always_open=False, hours=WEEKDAYS_9_TO_5)
    policy_with({"normal": (60, None, None)}, calendar=calendar)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket()
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        holiday_add(calendar=calendar, name="All Saints (moved)", first_day=date(2026, 11, 2), actor=manager, now=NOW)

    assert Ticket.objects.get(pk=ticket.pk).sla_due_at == NOW + timedelta(days=1, hours=1)
