"""The SLA settings pages: policies, calendars with their holidays, contracts (/settings/sla/…).

Supervisors and admins change them; agents may read them (to know their targets), on the
same pages with every field disabled; light agents and anyone else are refused (403). Each
view parses its input, asks one selector or service, and renders; a service's refusal is
shown on the form, and a successful change redirects with a message.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import MANAGER_ROLES, User
from frontdesk.accounts.selectors import organisation_list, team_list
from frontdesk.sla import services
from frontdesk.sla.forms import (
    CalendarForm,
    ContractForm,
    HolidayForm,
    HolidayImportForm,
    PolicyForm,
    format_minutes,
    format_percentages,
)
from frontdesk.sla.models import Calendar, Contract, Metric, Policy
from frontdesk.sla.selectors import (
    access_calendar,
    access_contract,
    access_policy,
    calendar_list,
    contract_list,
    policy_list,
    require_sla_manager,
    require_sla_reader,
)
from frontdesk.tickets.models import Channel, Priority
from frontdesk.workspace.views import HtmxHttpRequest, agent_view, confirm_delete


def _editor(request: HtmxHttpRequest, *, new: bool) -> User:
    """Anyone who may read the settings looks at an existing one's form (read-only for agents); only
    managers open a new one or post."""
    if new or request.method == "POST":
        return require_sla_manager(request.user)
    return require_sla_reader(request.user)


def _status(form: Any) -> int:
    return form.error_status if form.errors else 200


# --- policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRow:
    policy: Policy
    conditions: list[str]
    targets: Sequence[tuple[StrOrPromise, str]]
    warnings: str


def _policy_rows(user: User, policies: Sequence[Policy]) -> list[PolicyRow]:
    """Each policy with its conditions and targets as short texts."""
    organisation_ids = {pk for policy in policies for pk in policy.organisations}
    team_ids = {pk for policy in policies for pk in policy.teams}
    organisations = dict(organisation_list(user=user).filter(pk__in=organisation_ids).values_list("pk", "name"))
    teams = dict(team_list(user=user).filter(pk__in=team_ids).values_list("pk", "name"))
    rows = []
    for policy in policies:
        conditions = [
            f"{label}: {', '.join(str(value) for value in values)}"
            for label, values in (
                (_("Organisations"), [organisations.get(pk, f"#{pk}") for pk in policy.organisations]),
                (_("Teams"), [teams.get(pk, f"#{pk}") for pk in policy.teams]),
                (_("Channels"), [Channel(value).label for value in policy.channels]),
                (_("Priorities"), [Priority(value).label for value in policy.priorities]),
                (_("Tags"), policy.tags),
            )
            if values
        ]
        by_priority = {target.priority: target for target in policy.targets.all()}
        targets = [
            (label, " / ".join(format_minutes(getattr(target, f"{m}_minutes")) or "—" for m in Metric.values))
            for priority, label in Priority.choices
            if (target := by_priority.get(priority)) is not None
        ]
        rows.append(PolicyRow(policy, conditions, targets, format_percentages(policy.warn_at)))
    return rows


def _policy_form(request: HtmxHttpRequest, user: User, policy: Policy | None) -> PolicyForm:
    form = PolicyForm(
        request.POST or None,
        policy=policy,
        calendars=list(calendar_list(user=user).prefetch_related(None)),
        organisations=list(organisation_list(user=user)),
        teams=list(team_list(user=user)),
    )
    if user.role not in MANAGER_ROLES:
        form.make_read_only()
    return form


@require_GET
@agent_view
def policies(request: HtmxHttpRequest) -> HttpResponse:
    user = require_sla_reader(request.user)
    context = {
        "rows": _policy_rows(user, list(policy_list(user=user))),
        "can_manage": user.role in MANAGER_ROLES,
        "section": "policies",
    }
    return render(request, "sla/policies.html", context)


@require_http_methods(["GET", "POST"])
@agent_view
def policy_form(request: HtmxHttpRequest, policy_id: int | None = None) -> HttpResponse:
    """A new policy (`policy_id` None) or an existing one: agents see it read-only."""
    user = _editor(request, new=policy_id is None)
    policy = access_policy(user, policy_id) if policy_id is not None else None
    form = _policy_form(request, user, policy)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.policy_save(policy=policy, actor=user, now=timezone.now(), **form.policy_arguments())
            done = _("The policy %(name)s is created.") if policy is None else _("The policy %(name)s is saved.")
            messages.success(request, done % {"name": saved.name})
            return redirect("sla:policies")
        policy = access_policy(user, policy_id) if policy_id is not None else None  # as stored
    context = {"form": form, "policy": policy, "section": "policies"}
    return render(request, "sla/policy_form.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@agent_view
def policy_delete(request: HtmxHttpRequest, policy_id: int) -> HttpResponse:
    user = require_sla_manager(request.user)
    policy = access_policy(user, policy_id)
    name = {"name": policy.name}
    return confirm_delete(
        request,
        delete=lambda: services.policy_delete(policy=policy, actor=user),
        title=_("Delete the policy %(name)s?") % name,
        explanation=_("Tickets it applies to get the next matching policy, or none; their clocks are computed again."),
        deleted=_("The policy %(name)s is deleted.") % name,
        cancel=reverse("sla:policy_edit", args=[policy_id]),
        done=reverse("sla:policies"),
        nav="sla/_settings_nav.html",
        section="policies",
    )


# --- calendars ------------------------------------------------------------------------------


def hours_summary(calendar: Calendar) -> list[str]:
    """ "Mon–Fri 09:00–17:00", "Sat 10:00–14:00": weekdays with the same hours run together."""
    if calendar.always_open:
        return [_("Open 24/7")]
    hours = calendar.hours or {}
    texts: list[str] = []
    run: list[int] = []
    for day in range(8):
        pairs = hours.get(str(day)) if day < 7 else None
        if run and (day == 7 or pairs != hours.get(str(run[0]))):
            days = str(WEEKDAYS_ABBR[run[0]]) + (f"–{WEEKDAYS_ABBR[run[-1]]}" if len(run) > 1 else "")
            texts.append(f"{days} {', '.join(f'{opens}–{closes}' for opens, closes in hours[str(run[0])])}")
            run = []
        if pairs:
            run.append(day)
    return texts or [_("Never open")]


def _calendar_page(
    request: HtmxHttpRequest,
    user: User,
    calendar: Calendar | None,
    *,
    form: CalendarForm | None = None,
    holiday_form: HolidayForm | None = None,
    import_form: HolidayImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or CalendarForm(calendar=calendar)
    if user.role not in MANAGER_ROLES:
        form.make_read_only()
    context = {
        "form": form,
        "calendar": calendar,
        "holidays": list(calendar.holidays.all()) if calendar else [],
        "holiday_form": holiday_form or HolidayForm(),
        "import_form": import_form or HolidayImportForm(),
        "can_manage": user.role in MANAGER_ROLES,
        "section": "calendars",
    }
    return render(request, "sla/calendar_form.html", context, status=status)


@require_GET
@agent_view
def calendars(request: HtmxHttpRequest) -> HttpResponse:
    user = require_sla_reader(request.user)
    rows = [(calendar, hours_summary(calendar)) for calendar in calendar_list(user=user)]
    context = {"rows": rows, "can_manage": user.role in MANAGER_ROLES, "section": "calendars"}
    return render(request, "sla/calendars.html", context)


@require_http_methods(["GET", "POST"])
@agent_view
def calendar_form(request: HtmxHttpRequest, calendar_id: int | None = None) -> HttpResponse:
    """A new calendar (then its page, to add holidays) or an existing one: agents see it read-only."""
    user = _editor(request, new=calendar_id is None)
    calendar = access_calendar(user, calendar_id) if calendar_id is not None else None
    form = CalendarForm(request.POST or None, calendar=calendar)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.calendar_save(
                calendar=calendar, actor=user, now=timezone.now(), **form.calendar_arguments()
            )
            if calendar is None:
                done = _("The calendar %(name)s is created. Add its holidays here.")
                messages.success(request, done % {"name": saved.name})
                return redirect("sla:calendar_edit", saved.pk)
            messages.success(request, _("The calendar %(name)s is saved.") % {"name": saved.name})
            return redirect("sla:calendars")
        calendar = access_calendar(user, calendar_id) if calendar_id is not None else None  # as stored
    return _calendar_page(request, user, calendar, form=form, status=_status(form))


@require_http_methods(["GET", "POST"])
@agent_view
def calendar_delete(request: HtmxHttpRequest, calendar_id: int) -> HttpResponse:
    user = require_sla_manager(request.user)
    calendar = access_calendar(user, calendar_id)
    name = {"name": calendar.name}
    return confirm_delete(
        request,
        delete=lambda: services.calendar_delete(calendar=calendar, actor=user),
        title=_("Delete the calendar %(name)s?") % name,
        explanation=_("Its business hours and holidays are deleted with it."),
        deleted=_("The calendar %(name)s is deleted.") % name,
        cancel=reverse("sla:calendar_edit", args=[calendar_id]),
        done=reverse("sla:calendars"),
        nav="sla/_settings_nav.html",
        section="calendars",
    )


@require_POST
@agent_view
def holiday_add(request: HtmxHttpRequest, calendar_id: int) -> HttpResponse:
    user = require_sla_manager(request.user)
    calendar = access_calendar(user, calendar_id)
    form = HolidayForm(request.POST)
    if form.is_valid():
        with form.service_errors():
            holiday = services.holiday_add(
                calendar=calendar, actor=user, now=timezone.now(), **form.holiday_arguments()
            )
            messages.success(request, _("The holiday %(name)s is added.") % {"name": holiday.name})
            return redirect("sla:calendar_edit", calendar_id)
    return _calendar_page(request, user, calendar, holiday_form=form, status=form.error_status)


@require_POST
@agent_view
def holiday_delete(request: HtmxHttpRequest, calendar_id: int, holiday_id: int) -> HttpResponse:
    user = require_sla_manager(request.user)
    calendar = access_calendar(user, calendar_id)
    holiday = next((holiday for holiday in calendar.holidays.all() if holiday.pk == holiday_id), None)
    if holiday is None:
        raise Http404(_("The calendar has no such holiday."))
    services.holiday_delete(holiday=holiday, actor=user, now=timezone.now())
    messages.success(request, _("The holiday %(name)s is deleted.") % {"name": holiday.name})
    return redirect("sla:calendar_edit", calendar_id)


@require_POST
@agent_view
def holidays_import(request: HtmxHttpRequest, calendar_id: int) -> HttpResponse:
    user = require_sla_manager(request.user)
    calendar = access_calendar(user, calendar_id)
    form = HolidayImportForm(request.POST, request.FILES)
    if form.is_valid():
        with form.service_errors():
            count = services.holidays_import(calendar=calendar, ics=form.ics(), actor=user, now=timezone.now())
            messages.success(
                request,
                ngettext("%(count)s holiday imported.", "%(count)s holidays imported.", count) % {"count": count},
            )
            return redirect("sla:calendar_edit", calendar_id)
    return _calendar_page(request, user, calendar, import_form=form, status=form.error_status)


# --- contracts ------------------------------------------------------------------------------


def _contract_form(request: HtmxHttpRequest, user: User, contract: Contract | None) -> ContractForm:
    form = ContractForm(
        request.POST or None,
        contract=contract,
        organisations=list(organisation_list(user=user)),
        policies=list(policy_list(user=user).select_related(None).prefetch_related(None)),
        today=timezone.localdate(),
    )
    if user.role not in MANAGER_ROLES:
        form.make_read_only()
    return form


@require_GET
@agent_view
def contracts(request: HtmxHttpRequest) -> HttpResponse:
    user = require_sla_reader(request.user)
    today = timezone.localdate()
    rows = [
        (contract, contract.starts_on <= today and (contract.ends_on is None or contract.ends_on >= today))
        for contract in contract_list(user=user)
    ]
    context = {"rows": rows, "can_manage": user.role in MANAGER_ROLES, "section": "contracts"}
    return render(request, "sla/contracts.html", context)


@require_http_methods(["GET", "POST"])
@agent_view
def contract_form(request: HtmxHttpRequest, contract_id: int | None = None) -> HttpResponse:
    """A new contract (`contract_id` None) or an existing one: agents see it read-only."""
    user = _editor(request, new=contract_id is None)
    contract = access_contract(user, contract_id) if contract_id is not None else None
    form = _contract_form(request, user, contract)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.contract_save(
                contract=contract, actor=user, now=timezone.now(), **form.contract_arguments()
            )
            done = _("The contract %(name)s is created.") if contract is None else _("The contract %(name)s is saved.")
            messages.success(request, done % {"name": saved.name})
            return redirect("sla:contracts")
        contract = access_contract(user, contract_id) if contract_id is not None else None  # as stored
    context = {"form": form, "contract": contract, "section": "contracts"}
    return render(request, "sla/contract_form.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@agent_view
def contract_delete(request: HtmxHttpRequest, contract_id: int) -> HttpResponse:
    user = require_sla_manager(request.user)
    contract = access_contract(user, contract_id)
    name = {"name": contract.name}
    return confirm_delete(
        request,
        delete=lambda: services.contract_delete(contract=contract, actor=user),
        title=_("Delete the contract %(name)s?") % name,
        explanation=_("The organisation's tickets get the policy whose conditions they match, if any."),
        deleted=_("The contract %(name)s is deleted.") % name,
        cancel=reverse("sla:contract_edit", args=[contract_id]),
        done=reverse("sla:contracts"),
        nav="sla/_settings_nav.html",
        section="contracts",
    )
