"""REST endpoints of SLAs: calendars and holidays, policies, contracts, and a ticket's clocks.

Thin: parse → access_* → one service → schema. Every agent reads the configuration (to know
their targets); supervisors and admins change it (the services check the role). A ticket's
clocks and alarms are visible to whoever may see the ticket, and 404 for anyone else.
"""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, UploadedFile
from ninja.responses import Status as WithStatus

from frontdesk.accounts.models import Organisation, User
from frontdesk.accounts.selectors import access_organisation, chosen_team
from frontdesk.api.auth import request_agent
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.sla.ical import MAX_ICS_BYTES
from frontdesk.sla.models import Calendar, Contract, Holiday, Policy
from frontdesk.sla.schemas import (
    CalendarIn,
    CalendarOut,
    ContractIn,
    ContractOut,
    ContractQuery,
    HolidayImportOut,
    HolidayIn,
    HolidayOut,
    PolicyIn,
    PolicyOut,
    TicketSlaOut,
)
from frontdesk.sla.selectors import (
    access_calendar,
    access_contract,
    access_policy,
    calendar_list,
    contract_list,
    policy_list,
    ticket_alarms,
    ticket_clocks,
)
from frontdesk.sla.services import (
    TargetInput,
    calendar_delete,
    calendar_save,
    contract_delete,
    contract_save,
    holiday_add,
    holiday_delete,
    holidays_import,
    policy_delete,
    policy_save,
)

router = Router(tags=["sla"])

NO_CONTENT = {204: None, **ERRORS}


def _calendar(user: User, calendar_id: int) -> Calendar:
    try:
        return access_calendar(user, calendar_id)
    except NotFound:
        raise ValidationError(
            _("There is no calendar with id %(id)s.") % {"id": calendar_id}, field="calendar"
        ) from None


def _policy(user: User, policy_id: int) -> Policy:
    try:
        return access_policy(user, policy_id)
    except NotFound:
        raise ValidationError(_("There is no policy with id %(id)s.") % {"id": policy_id}, field="policy") from None


def _organisation(user: User, organisation_id: int) -> Organisation:
    try:
        return access_organisation(user, organisation_id)
    except NotFound:
        raise ValidationError(
            _("There is no organisation with id %(id)s.") % {"id": organisation_id}, field="organisation"
        ) from None


# --- calendars and holidays ------------------------------------------------------------


@router.get("/sla/calendars", response={200: list[CalendarOut], **ERRORS}, summary="List SLA calendars")
def list_sla_calendars(request: HttpRequest) -> list[Calendar]:
    """Every calendar by name, with its business hours and holidays."""
    return list(calendar_list(user=request_agent(request)))


@router.post(
    "/sla/calendars",
    response={201: CalendarOut, **ERRORS},
    summary="Create an SLA calendar (supervisors and admins)",
)
def create_sla_calendar(request: HttpRequest, payload: CalendarIn) -> WithStatus[Calendar]:
    calendar = calendar_save(**payload.model_dump(), actor=request_agent(request), now=timezone.now())
    return WithStatus(201, calendar)


@router.get("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS}, summary="Read an SLA calendar")
def get_sla_calendar(request: HttpRequest, calendar_id: int) -> Calendar:
    return access_calendar(request_agent(request), calendar_id)


@router.put(
    "/sla/calendars/{calendar_id}",
    response={200: CalendarOut, **ERRORS},
    summary="Change an SLA calendar (supervisors and admins)",
)
def update_sla_calendar(request: HttpRequest, calendar_id: int, payload: CalendarIn) -> Calendar:
    """Name, time zone and hours, all of them; the holidays stay. Open tickets' clocks are computed again."""
    user = request_agent(request)
    calendar = access_calendar(user, calendar_id)
    return calendar_save(calendar=calendar, **payload.model_dump(), actor=user, now=timezone.now())


@router.delete(
    "/sla/calendars/{calendar_id}", response=NO_CONTENT, summary="Delete an SLA calendar (supervisors and admins)"
)
def delete_sla_calendar(request: HttpRequest, calendar_id: int) -> WithStatus[None]:
    """409 while a policy uses it."""
    user = request_agent(request)
    calendar_delete(calendar=access_calendar(user, calendar_id), actor=user)
    return WithStatus(204, None)


@router.post(
    "/sla/calendars/{calendar_id}/holidays",
    response={201: HolidayOut, **ERRORS},
    summary="Add a holiday to an SLA calendar (supervisors and admins)",
)
def add_sla_holiday(request: HttpRequest, calendar_id: int, payload: HolidayIn) -> WithStatus[Holiday]:
    """A single day, or an inclusive range of days, on which the calendar is closed."""
    user = request_agent(request)
    calendar = access_calendar(user, calendar_id)
    holiday = holiday_add(calendar=calendar, **payload.model_dump(), actor=user, now=timezone.now())
    return WithStatus(201, holiday)


# Declared before /holidays/{holiday_id}, which would otherwise take "import" for an id.
@router.post(
    "/sla/calendars/{calendar_id}/holidays/import",
    response={200: HolidayImportOut, **ERRORS},
    summary="Import holidays from an iCalendar file (supervisors and admins)",
)
def import_sla_holidays(request: HttpRequest, calendar_id: int, file: File[UploadedFile]) -> dict[str, object]:
    """multipart/form-data with `file`, an .ics file: its all-day events become holidays. An event
    imported before (same UID and day) is updated, not added twice; a file that cannot be read
    changes nothing (422, field `file`)."""
    user = request_agent(request)
    calendar = access_calendar(user, calendar_id)
    if file.size is not None and file.size > MAX_ICS_BYTES:
        raise ValidationError(_("The file is over 1 MB: that is not a calendar of holidays."), field="file")
    imported = holidays_import(calendar=calendar, ics=file.read(), actor=user, now=timezone.now())
    return {"imported": imported, "calendar": access_calendar(user, calendar_id)}


@router.delete(
    "/sla/calendars/{calendar_id}/holidays/{holiday_id}",
    response=NO_CONTENT,
    summary="Remove a holiday from an SLA calendar (supervisors and admins)",
)
def delete_sla_holiday(request: HttpRequest, calendar_id: int, holiday_id: int) -> WithStatus[None]:
    user = request_agent(request)
    holiday = access_calendar(user, calendar_id).holidays.filter(pk=holiday_id).first()
    if holiday is None:
        raise NotFound(_("Holiday %(id)s does not exist in this calendar.") % {"id": holiday_id})
    holiday_delete(holiday=holiday, actor=user, now=timezone.now())
    return WithStatus(204, None)


# --- policies ----------------------------------------------------------------------------


def _save_policy(request: HttpRequest, payload: PolicyIn, policy: Policy | None) -> Policy:
    user = request_agent(request)
    fields = payload.model_dump(mode="json", exclude={"calendar", "targets", "breach_team"})
    return policy_save(
        policy=policy,
        calendar=_calendar(user, payload.calendar),
        targets=[TargetInput(**target.model_dump(mode="json")) for target in payload.targets],
        breach_team=chosen_team(user=user, team_id=payload.breach_team, field="breach_team"),
        **fields,
        actor=user,
        now=timezone.now(),
    )


@router.get("/sla/policies", response={200: list[PolicyOut], **ERRORS}, summary="List SLA policies")
def list_sla_policies(request: HttpRequest) -> list[Policy]:
    """In the order they are tried, with their targets."""
    return list(policy_list(user=request_agent(request)))


@router.post(
    "/sla/policies", response={201: PolicyOut, **ERRORS}, summary="Create an SLA policy (supervisors and admins)"
)
def create_sla_policy(request: HttpRequest, payload: PolicyIn) -> WithStatus[Policy]:
    """Open tickets it applies to get its clocks right after."""
    policy = _save_policy(request, payload, None)
    return WithStatus(201, access_policy(request_agent(request), policy.pk))


@router.get("/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS}, summary="Read an SLA policy")
def get_sla_policy(request: HttpRequest, policy_id: int) -> Policy:
    return access_policy(request_agent(request), policy_id)


@router.put(
    "/sla/policies/{policy_id}",
    response={200: PolicyOut, **ERRORS},
    summary="Change an SLA policy (supervisors and admins)",
)
def update_sla_policy(request: HttpRequest, policy_id: int, payload: PolicyIn) -> Policy:
    """The whole policy, its targets replaced; open tickets' clocks are computed again. Alarms
    the change makes due at once are recorded, not announced."""
    user = request_agent(request)
    policy = _save_policy(request, payload, access_policy(user, policy_id))
    return access_policy(user, policy.pk)


@router.delete(
    "/sla/policies/{policy_id}", response=NO_CONTENT, summary="Delete an SLA policy (supervisors and admins)"
)
def delete_sla_policy(request: HttpRequest, policy_id: int) -> WithStatus[None]:
    """409 while a contract names it. Clocks that ended under it stay in the reports."""
    user = request_agent(request)
    policy_delete(policy=access_policy(user, policy_id), actor=user)
    return WithStatus(204, None)


# --- contracts ---------------------------------------------------------------------------


def _save_contract(request: HttpRequest, payload: ContractIn, contract: Contract | None) -> Contract:
    user = request_agent(request)
    return contract_save(
        contract=contract,
        organisation=_organisation(user, payload.organisation),
        name=payload.name,
        policy=_policy(user, payload.policy),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        actor=user,
        now=timezone.now(),
    )


@router.get("/sla/contracts", response={200: list[ContractOut], **ERRORS}, summary="List contracts")
def list_sla_contracts(request: HttpRequest, query: Query[ContractQuery]) -> list[Contract]:
    """By organisation, newest first; `organisation` keeps one organisation's."""
    return list(contract_list(user=request_agent(request), organisation=query.organisation))


@router.post(
    "/sla/contracts", response={201: ContractOut, **ERRORS}, summary="Create a contract (supervisors and admins)"
)
def create_sla_contract(request: HttpRequest, payload: ContractIn) -> WithStatus[Contract]:
    """While it runs, its policy applies to the organisation's tickets before any other."""
    return WithStatus(201, _save_contract(request, payload, None))


@router.get("/sla/contracts/{contract_id}", response={200: ContractOut, **ERRORS}, summary="Read a contract")
def get_sla_contract(request: HttpRequest, contract_id: int) -> Contract:
    return access_contract(request_agent(request), contract_id)


@router.put(
    "/sla/contracts/{contract_id}",
    response={200: ContractOut, **ERRORS},
    summary="Change a contract (supervisors and admins)",
)
def update_sla_contract(request: HttpRequest, contract_id: int, payload: ContractIn) -> Contract:
    return _save_contract(request, payload, access_contract(request_agent(request), contract_id))


@router.delete(
    "/sla/contracts/{contract_id}", response=NO_CONTENT, summary="Delete a contract (supervisors and admins)"
)
def delete_sla_contract(request: HttpRequest, contract_id: int) -> WithStatus[None]:
    user = request_agent(request)
    contract_delete(contract=access_contract(user, contract_id), actor=user)
    return WithStatus(204, None)


# --- a ticket's clocks -------------------------------------------------------------------


@router.get(
    "/tickets/{ticket_id}/sla",
    response={200: TicketSlaOut, **ERRORS},
    summary="A ticket's SLA clocks and alarms",
)
def get_ticket_sla(request: HttpRequest, ticket_id: int) -> dict[str, object]:
    """Each target's clock (running ones first, by due time) and the alarms fired, oldest first."""
    user = request_agent(request)
    return {
        "clocks": ticket_clocks(user=user, ticket=ticket_id),
        "alarms": list(ticket_alarms(user=user, ticket=ticket_id)),
    }
