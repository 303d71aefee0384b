from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Contact, ContactIdentity, Organisation, Role, Team, User
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationError
from frontdesk.core.queries import Prepared

STAFF_ROLES = {Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.LIGHT_AGENT}


def identity_for(*, kind: str, value: str) -> ContactIdentity | None:
    """Who an address (normalised: services.normalise_identity) belongs to, with the contact and
    their organisation. Not scoped to a user: for channels and services acting as the system."""
    identity: ContactIdentity | None = _IDENTITY.first(kind, value)
    return identity


# Each new ticket and each inbound message looks one up: built once per thread (core.queries).
# (kind, value) is unique.
_IDENTITY = Prepared(
    lambda kind, value: ContactIdentity.objects.select_related("contact__organisation").filter(kind=kind, value=value),
    "kind",
    "value",
)


def require_agent(user: object) -> User:
    """The signed-in agent, or PermissionDenied for anyone else."""
    if not isinstance(user, User) or not user.is_active or user.role not in STAFF_ROLES:
        raise PermissionDenied("Sign in as an agent.")
    return user


def agent_team_ids(user: User) -> list[int]:
    cached = getattr(user, "_team_ids", None)
    if cached is None:
        cached = list(user.teams.values_list("pk", flat=True))
        user._team_ids = cached  # type: ignore[attr-defined]  # per-request cache on the instance
    return cached


def agent_list(*, user: User) -> QuerySet[User]:
    require_agent(user)
    return _active_agents()


def team_list(*, user: User) -> QuerySet[Team]:
    require_agent(user)
    return _teams()


def _active_agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("name")


def _teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def team_choices(*, user: User) -> list[Team]:
    """team_list, as the ticket page's forms offer it."""
    require_agent(user)
    teams: list[Team] = _TEAMS.all()
    return teams


def agent_choices(*, user: User) -> list[User]:
    """agent_list with what a choice of one needs: id, name, role."""
    require_agent(user)
    agents: list[User] = _AGENTS.all()
    return agents


# The ticket page offers them on every load of an open ticket: built once per thread (core.queries).
_TEAMS: Prepared[Team] = Prepared(_teams)
_AGENTS: Prepared[User] = Prepared(lambda: _active_agents().only("id", "name", "role"))


def chosen_team(*, user: User, team_id: int | None, field: str = "team") -> Team | None:
    """The team an agent chose by id (None when none is chosen); a ValidationError naming `field`
    when there is no such team."""
    require_agent(user)
    return _chosen(_TEAM, team_id, _("There is no team with id %(id)s."), field)


def chosen_agent(*, user: User, agent_id: int | None, field: str) -> User | None:
    """The active agent chosen by id (None when none is chosen); a ValidationError naming `field`
    when there is no such agent."""
    require_agent(user)
    return _chosen(_ACTIVE_AGENT, agent_id, _("There is no active agent with id %(id)s."), field)


M = TypeVar("M", bound=Model)


def _chosen(read: Prepared[M], pk: int | None, missing: str, field: str) -> M | None:
    if pk is None:
        return None
    found: M | None = read.first(pk)
    if found is None:
        raise ValidationError(missing % {"id": pk}, field=field)
    return found


# Built once per thread (core.queries): new tickets name their team, and some their assignee. By
# key: no ORDER BY.
_TEAM = Prepared(lambda pk: _teams().filter(pk=pk).order_by(), -1)
_ACTIVE_AGENT = Prepared(lambda pk: _active_agents().filter(pk=pk).order_by(), -1)


def organisation_list(*, user: User, query: str = "") -> QuerySet[Organisation]:
    require_agent(user)
    organisations = Organisation.objects.order_by("name")
    if query:
        organisations = organisations.filter(name__icontains=query)
    return organisations


def access_organisation(user: User, organisation_id: int) -> Organisation:
    require_agent(user)
    try:
        return Organisation.objects.get(pk=organisation_id)
    except Organisation.DoesNotExist:
        raise NotFound("No such organisation.") from None


def contact_list(*, user: User, query: str = "") -> QuerySet[Contact]:
    require_agent(user)
    contacts = Contact.objects.filter(merged_into=None).select_related("organisation").order_by("name", "pk")
    if query:
        contacts = contacts.filter(Q(name__icontains=query) | Q(identities__value__icontains=query.lower())).distinct()
    return contacts


def access_contact(user: User, contact_id: int) -> Contact:
    """Agents see every contact; a merged contact leads to the one it was merged into."""
    require_agent(user)
    contact = Contact.objects.select_related("organisation").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound("No such contact.")
    while contact.merged_into_id is not None:
        contact = Contact.objects.select_related("organisation").get(pk=contact.merged_into_id)
    return contact
