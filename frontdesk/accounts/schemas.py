"""What the REST API reads and writes for agents, teams, organisations and contacts."""

from datetime import datetime

from ninja import Field, Schema
from pydantic import field_validator

from frontdesk.accounts.models import Contact, IdentityKind, Role, Team, User
from frontdesk.api.schemas import Id, Input

# --- references: the few fields another object shows of these ----------------


class AgentRef(Schema):
    id: int
    name: str


class TeamRef(Schema):
    id: int
    name: str


class OrganisationRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str


class NameListQuery(Input):
    q: str = Field("", description="Words of the name or an address.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")


# --- agents and teams --------------------------------------------------------------


class AgentOut(Schema):
    id: int
    name: str
    email: str
    role: Role
    language: str
    is_active: bool
    teams: list[int] = Field(description="Ids of the teams the agent belongs to.")

    @staticmethod
    def resolve_teams(agent: User) -> list[int]:
        return [team.pk for team in agent.teams.all()]


class AgentIn(Input):
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    role: Role = Role.AGENT
    language: str = Field("en", max_length=10)
    password: str | None = Field(None, description="Leave out for an agent who signs in another way.")


class TeamOut(Schema):
    id: int
    name: str
    lead: AgentRef | None
    members: list[AgentRef]

    @staticmethod
    def resolve_members(team: Team) -> list[User]:
        return list(team.members.all())


class TeamIn(Input):
    name: str = Field(max_length=100)
    lead: Id | None = Field(None, description="Agent id.")
    members: list[Id] = Field(default_factory=list, description="Agent ids.")


# --- organisations -------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str
    domain: str
    region: str
    owner: AgentRef | None = Field(
        description="The account owner: their team follows up the account's unhappy answers."
    )
    key_account: bool = Field(description="Merely satisfied survey answers from a key account are followed up too.")
    created_at: datetime


class OrganisationIn(Input):
    name: str = Field(max_length=200)
    domain: str = Field("", max_length=200, description="E-mail domain: new contacts writing from it join.")
    region: str = Field("", max_length=100)


class OrganisationPatch(Input):
    """Only the fields sent change; `owner: null` leaves the account without an owner."""

    region: str | None = Field(None, max_length=100)
    owner: Id | None = Field(None, description="Agent id of the account owner.")
    key_account: bool | None = None

    @field_validator("region", "key_account")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("this field cannot be null; leave it out to keep its value")
        return value


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


# --- contacts --------------------------------------------------------------------------


class IdentityOut(Schema):
    kind: IdentityKind
    value: str
    is_primary: bool
    failing_since: datetime | None = Field(None, description="Set while mail to this address bounces permanently.")
    failure: str = ""


class IdentityIn(Input):
    kind: IdentityKind
    value: str = Field(max_length=320)


class ContactOut(Schema):
    id: int
    name: str
    organisation: OrganisationRef | None
    language: str
    identities: list[IdentityOut]
    created_at: datetime

    @staticmethod
    def resolve_identities(contact: Contact) -> list[object]:
        return list(contact.identities.all())


class ContactIn(Input):
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=320)
    phone: str = Field("", max_length=50)
    chat_visitor: str = Field("", max_length=320)
    organisation: Id | None = Field(None, description="Organisation id; by default the one owning the e-mail domain.")
    language: str = Field("", max_length=10)


class ContactPatch(Input):
    """Only the fields sent change; `organisation: null` removes the contact from its organisation."""

    name: str | None = Field(None, max_length=200)
    organisation: Id | None = None
    language: str | None = Field(None, max_length=10)

    @field_validator("name", "language")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("this field cannot be null; leave it out to keep its value")
        return value


class ContactMergeIn(Input):
    target: Id = Field(description="The contact this one is merged into; it keeps both contacts' addresses.")


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None
