"""REST endpoints for contacts, organisations, agents and teams.

Thin: parse → access_* → one service → schema. Only admins create agents and
teams (the services check); every agent may read and edit contacts.
"""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status as WithStatus

from frontdesk.accounts.models import Contact, ContactIdentity, Organisation, Team, User
from frontdesk.accounts.schemas import (
    AgentIn,
    AgentOut,
    ContactIn,
    ContactMergeIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    IdentityIn,
    IdentityOut,
    NameListQuery,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
    TeamIn,
    TeamOut,
)
from frontdesk.accounts.selectors import (
    access_contact,
    access_organisation,
    agent_list,
    contact_list,
    organisation_list,
    team_list,
)
from frontdesk.accounts.services import (
    contact_add_identity,
    contact_create,
    contact_merge,
    contact_update,
    organisation_create,
    organisation_update,
    team_create,
    user_create,
)
from frontdesk.api.auth import request_agent
from frontdesk.api.pagination import Page, paginate
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound, ValidationError

router = Router()


def _organisation(user: User, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    try:
        return access_organisation(user, organisation_id)
    except NotFound:
        raise ValidationError(f"There is no organisation with id {organisation_id}.", field="organisation") from None


def _agents(user: User, agent_ids: list[int], field: str) -> list[User]:
    agents = list(agent_list(user=user).filter(pk__in=agent_ids))
    missing = sorted(set(agent_ids) - {agent.pk for agent in agents})
    if missing:
        raise ValidationError(f"There is no active agent with id {', '.join(map(str, missing))}.", field=field)
    return agents


# --- contacts --------------------------------------------------------------------------


@router.get("/contacts", response={200: ContactPage, **ERRORS}, summary="List contacts", tags=["contacts"])
def list_contacts(request: HttpRequest, query: Query[NameListQuery]) -> Page[Contact]:
    """Contacts by name; `q` matches the name or any address."""
    contacts = contact_list(user=request_agent(request), query=query.q).prefetch_related("identities")
    return paginate(contacts, order="name", cursor=query.cursor, size=query.limit)


@router.post("/contacts", response={201: ContactOut, **ERRORS}, summary="Create a contact", tags=["contacts"])
def create_contact(request: HttpRequest, payload: ContactIn) -> WithStatus[Contact]:
    user = request_agent(request)
    contact = contact_create(
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        chat_visitor=payload.chat_visitor,
        organisation=_organisation(user, payload.organisation),
        language=payload.language,
        actor=user,
    )
    return WithStatus(201, contact)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Read a contact", tags=["contacts"])
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    """A merged contact answers with the contact it was merged into."""
    return access_contact(request_agent(request), contact_id)


@router.patch(
    "/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Change a contact", tags=["contacts"]
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    user = request_agent(request)
    contact = access_contact(user, contact_id)
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    if "organisation" in changes:
        changes["organisation"] = _organisation(user, changes["organisation"])
    return contact_update(contact=contact, actor=user, **changes)


@router.post(
    "/contacts/{contact_id}/identities",
    response={201: IdentityOut, **ERRORS},
    summary="Add an address to a contact",
    tags=["contacts"],
)
def add_identity(request: HttpRequest, contact_id: int, payload: IdentityIn) -> WithStatus[ContactIdentity]:
    user = request_agent(request)
    contact = access_contact(user, contact_id)
    return WithStatus(201, contact_add_identity(contact=contact, kind=payload.kind, value=payload.value, actor=user))


@router.post(
    "/contacts/{contact_id}/merge",
    response={200: ContactOut, **ERRORS},
    summary="Merge a contact into another",
    tags=["contacts"],
)
def merge_contact(request: HttpRequest, contact_id: int, payload: ContactMergeIn) -> Contact:
    """The contact in the path goes into `target`: its addresses now, its tickets right after."""
    user = request_agent(request)
    source = access_contact(user, contact_id)
    try:
        target = access_contact(user, payload.target)
    except NotFound:
        raise ValidationError(f"There is no contact with id {payload.target}.", field="target") from None
    return contact_merge(source=source, target=target, actor=user, now=timezone.now())


# --- organisations -------------------------------------------------------------------


@router.get(
    "/organisations",
    response={200: OrganisationPage, **ERRORS},
    summary="List organisations",
    tags=["organisations"],
)
def list_organisations(request: HttpRequest, query: Query[NameListQuery]) -> Page[Organisation]:
    """Organisations by name; `q` matches words of the name."""
    organisations = organisation_list(user=request_agent(request), query=query.q).select_related("owner")
    return paginate(organisations, order="name", cursor=query.cursor, size=query.limit)


@router.post(
    "/organisations",
    response={201: OrganisationOut, **ERRORS},
    summary="Create an organisation",
    tags=["organisations"],
)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> WithStatus[Organisation]:
    user = request_agent(request)
    organisation = organisation_create(name=payload.name, domain=payload.domain, region=payload.region, actor=user)
    return WithStatus(201, organisation)


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **ERRORS},
    summary="Read an organisation",
    tags=["organisations"],
)
def get_organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    return access_organisation(request_agent(request), organisation_id)


@router.patch(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **ERRORS},
    summary="Change an organisation's region, owner or key-account flag (supervisors and admins)",
    tags=["organisations"],
)
def update_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch) -> Organisation:
    """Only the fields sent change. The owner is an active agent (not a light agent): follow-ups of
    the account's unhappy survey answers go to them when the ticket's team names no one."""
    user = request_agent(request)
    organisation = access_organisation(user, organisation_id)
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    if changes.get("owner") is not None:
        changes["owner"] = _agents(user, [changes["owner"]], "owner")[0]
    return organisation_update(organisation=organisation, actor=user, **changes)


# --- agents and teams ----------------------------------------------------------------


@router.get("/agents", response={200: list[AgentOut], **ERRORS}, summary="List agents", tags=["agents"])
def list_agents(request: HttpRequest) -> list[User]:
    """Active agents by name, with their teams."""
    return list(agent_list(user=request_agent(request)).prefetch_related("teams"))


@router.post("/agents", response={201: AgentOut, **ERRORS}, summary="Create an agent (admins)", tags=["agents"])
def create_agent(request: HttpRequest, payload: AgentIn) -> WithStatus[User]:
    agent = user_create(
        email=payload.email,
        name=payload.name,
        role=payload.role,
        password=payload.password,
        language=payload.language,
        actor=request_agent(request),
    )
    return WithStatus(201, agent)


@router.get("/agents/{agent_id}", response={200: AgentOut, **ERRORS}, summary="Read an agent", tags=["agents"])
def get_agent(request: HttpRequest, agent_id: int) -> User:
    agent = agent_list(user=request_agent(request)).filter(pk=agent_id).first()
    if agent is None:
        raise NotFound(f"There is no active agent with id {agent_id}.")
    return agent


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="List teams", tags=["teams"])
def list_teams(request: HttpRequest) -> list[Team]:
    return list(team_list(user=request_agent(request)).select_related("lead").prefetch_related("members"))


@router.post("/teams", response={201: TeamOut, **ERRORS}, summary="Create a team (admins)", tags=["teams"])
def create_team(request: HttpRequest, payload: TeamIn) -> WithStatus[Team]:
    user = request_agent(request)
    lead = _agents(user, [payload.lead], "lead")[0] if payload.lead is not None else None
    members = _agents(user, payload.members, "members")
    return WithStatus(201, team_create(name=payload.name, lead=lead, members=members, actor=user))
