"""Permission-scoped reads of the SLA app: a ticket's clocks and alarms, and the configuration."""

from django.db.models import QuerySet

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import NotFound, PermissionDenied
from frontdesk.core.queries import Prepared
from frontdesk.sla.models import Alarm, Calendar, Clock, Contract, Policy
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.selectors import access_ticket


def require_sla_manager(user: object) -> User:
    """Changing the SLA configuration is for supervisors and admins."""
    agent = require_agent(user)
    if agent.role not in MANAGER_ROLES:
        raise PermissionDenied("Only supervisors and admins may change SLA policies, calendars and contracts.")
    return agent


def _visible(user: User, ticket: Ticket | int) -> Ticket:
    """A ticket the user may see: an id is checked; a Ticket comes from access_ticket already."""
    require_agent(user)
    return access_ticket(user, ticket) if isinstance(ticket, int) else ticket


def require_sla_reader(user: object) -> User:
    """Agents, supervisors and admins may read the SLA configuration (to know their targets); light agents may not."""
    agent = require_agent(user)
    if agent.role not in EDITOR_ROLES:
        raise PermissionDenied("Your role may not see the SLA settings.")
    return agent


def ticket_clocks(*, user: User, ticket: Ticket | int, with_policy: bool = True) -> list[Clock]:
    """The ticket's clocks, running ones first by due time, then the ones that ended, newest first;
    each with its policy read too unless `with_policy` is False (the ticket page shows none)."""
    ticket = _visible(user, ticket)
    clocks = list(_clocks(ticket.pk).select_related("policy")) if with_policy else _CLOCKS.all(ticket.pk)
    running = sorted((c for c in clocks if c.stopped_at is None), key=lambda c: (c.due_at is None, c.due_at))
    ended = sorted((c for c in clocks if c.stopped_at is not None), key=lambda c: c.stopped_at, reverse=True)  # type: ignore[arg-type, return-value]
    return running + ended


def _clocks(ticket_id: int) -> QuerySet[Clock]:
    return Clock.objects.filter(ticket_id=ticket_id).order_by("started_at", "metric")


# The ticket page reads them (without their policies) on every load: built once per thread (core.queries).
_CLOCKS = Prepared(_clocks, -1)


def ticket_alarms(*, user: User, ticket: Ticket | int) -> QuerySet[Alarm]:
    ticket = _visible(user, ticket)
    return Alarm.objects.filter(ticket=ticket).select_related("policy").order_by("fired_at", "pk")


def calendar_list(*, user: User) -> QuerySet[Calendar]:
    require_sla_reader(user)
    return Calendar.objects.prefetch_related("holidays")


def access_calendar(user: User, calendar_id: int) -> Calendar:
    calendar = calendar_list(user=user).filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"Calendar {calendar_id} does not exist.")
    return calendar


def policy_list(*, user: User) -> QuerySet[Policy]:
    require_sla_reader(user)
    return Policy.objects.select_related("calendar", "breach_team").prefetch_related("targets")


def access_policy(user: User, policy_id: int) -> Policy:
    policy = policy_list(user=user).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"Policy {policy_id} does not exist.")
    return policy


def contract_list(*, user: User, organisation: int | None = None) -> QuerySet[Contract]:
    require_sla_reader(user)
    contracts = Contract.objects.select_related("organisation", "policy")
    return contracts.filter(organisation_id=organisation) if organisation is not None else contracts


def access_contract(user: User, contract_id: int) -> Contract:
    contract = contract_list(user=user).filter(pk=contract_id).first()
    if contract is None:
        raise NotFound(f"Contract {contract_id} does not exist.")
    return contract
