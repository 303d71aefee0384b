import hashlib
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction

from frontdesk.accounts.events import ContactMerged
from frontdesk.accounts.models import (
    EDITOR_ROLES,
    MANAGER_ROLES,
    ApiToken,
    Contact,
    ContactIdentity,
    IdentityKind,
    Organisation,
    Role,
    Team,
    User,
)
from frontdesk.accounts.selectors import identity_for
from frontdesk.core.errors import Conflict, ValidationError
from frontdesk.core.events import publish
from frontdesk.core.queries import Prepared
from frontdesk.core.services import UNSET, Unset, require_role


def normalise_identity(*, kind: str, value: str) -> str:
    value = value.strip()
    if kind == IdentityKind.EMAIL:
        value = value.lower()
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValidationError(f"“{value}” is not an e-mail address.", field="email")
    elif kind == IdentityKind.PHONE:
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) < 5:
            raise ValidationError(f"“{value}” is not a phone number.", field="phone")
        value = ("+" if value.startswith("+") else "") + digits
    elif kind == IdentityKind.CHAT:
        if not value:
            raise ValidationError("A chat visitor id is required.", field="chat")
    else:
        raise ValidationError(f"Unknown identity kind “{kind}”.", field="kind")
    return value


def _require_admin(actor: User | None) -> None:
    require_role(actor, {Role.ADMIN}, "manage agents and teams")


def user_create(
    *,
    email: str,
    name: str,
    role: str = Role.AGENT,
    password: str | None = None,
    language: str = "en",
    actor: User | None = None,
) -> User:
    """Create an agent. `actor` None means the command line (an operator)."""
    _require_admin(actor)
    email = normalise_identity(kind=IdentityKind.EMAIL, value=email)
    if role not in Role.values:
        raise ValidationError(f"Unknown role “{role}”; use one of {', '.join(Role.values)}.", field="role")
    if not name.strip():
        raise ValidationError("A name is required.", field="name")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"An agent with the e-mail {email} already exists.", field="email")
    user = User(email=email, name=name.strip(), role=role, language=language)
    if password:
        if len(password) < 8:
            raise ValidationError("The password needs at least 8 characters.", field="password")
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def team_create(
    *, name: str, lead: User | None = None, members: list[User] | None = None, actor: User | None = None
) -> Team:
    _require_admin(actor)
    if not name.strip():
        raise ValidationError("A team needs a name.", field="name")
    if Team.objects.filter(name=name.strip()).exists():
        raise Conflict(f"A team named “{name}” already exists.", field="name")
    team = Team.objects.create(name=name.strip(), lead=lead)
    if members:
        team.members.set(members)
    return team


def team_set_members(*, team: Team, members: list[User], actor: User | None = None) -> Team:
    _require_admin(actor)
    team.members.set(members)
    return team


def organisation_create(
    *, name: str, domain: str = "", region: str = "", owner: User | None = None, actor: User | None = None
) -> Organisation:
    require_role(actor, EDITOR_ROLES, "create organisations")
    if not name.strip():
        raise ValidationError("An organisation needs a name.", field="name")
    if Organisation.objects.filter(name=name.strip()).exists():
        raise Conflict(f"An organisation named “{name}” already exists.", field="name")
    return Organisation.objects.create(name=name.strip(), domain=domain.lower().strip(), region=region, owner=owner)


def organisation_update(
    *,
    organisation: Organisation,
    actor: User | None,
    region: str | Unset = UNSET,
    owner: User | Unset | None = UNSET,
    key_account: bool | Unset = UNSET,
) -> Organisation:
    """Change an organisation's region, account owner or key-account flag (supervisors and admins)."""
    require_role(actor, MANAGER_ROLES, "change organisations")
    fields = []
    if not isinstance(region, Unset):
        organisation.region = region.strip()[:100]
        fields.append("region")
    if not isinstance(owner, Unset):
        if owner is not None and (not owner.is_active or owner.role == Role.LIGHT_AGENT):
            raise ValidationError("An account owner is an active agent.", field="owner")
        organisation.owner = owner
        fields.append("owner")
    if not isinstance(key_account, Unset):
        organisation.key_account = key_account
        fields.append("key_account")
    organisation.save(update_fields=fields)
    return organisation


def contact_create(
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    chat_visitor: str = "",
    organisation: Organisation | None = None,
    language: str = "",
    actor: User | None = None,
) -> Contact:
    """Create a contact with its identities. An identity that already belongs to someone is a conflict."""
    require_role(actor, EDITOR_ROLES, "create contacts")
    identities = [
        (kind, normalise_identity(kind=kind, value=value))
        for kind, value in ((IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone), (IdentityKind.CHAT, chat_visitor))
        if value
    ]
    if not identities and not name.strip():
        raise ValidationError("A contact needs a name or an address.", field="name")
    if organisation is None and email:
        domain = email.rsplit("@", 1)[-1].lower()
        organisation = Organisation.objects.filter(domain=domain).exclude(domain="").first()
    try:
        with transaction.atomic():
            contact = Contact.objects.create(name=name.strip(), organisation=organisation, language=language)
            for kind, value in identities:
                ContactIdentity.objects.create(contact=contact, kind=kind, value=value, is_primary=True)
    except IntegrityError as exc:
        raise Conflict("One of these addresses already belongs to another contact.") from exc
    return contact


def contact_get_or_create(*, kind: str, value: str, name: str = "", language: str = "") -> Contact:
    """The contact behind an address, created on first contact."""
    value = normalise_identity(kind=kind, value=value)
    identity = identity_for(kind=kind, value=value)
    if identity is not None:
        return identity.contact
    return contact_create(
        name=name or value.split("@")[0],
        language=language,
        email=value if kind == IdentityKind.EMAIL else "",
        phone=value if kind == IdentityKind.PHONE else "",
        chat_visitor=value if kind == IdentityKind.CHAT else "",
    )


def contact_add_identity(*, contact: Contact, kind: str, value: str, actor: User | None = None) -> ContactIdentity:
    require_role(actor, EDITOR_ROLES, "change contacts")
    value = normalise_identity(kind=kind, value=value)
    existing = ContactIdentity.objects.filter(kind=kind, value=value).first()
    if existing is not None:
        if existing.contact_id == contact.pk:
            return existing
        raise Conflict(f"{value} already belongs to another contact; merge the two contacts instead.", field=kind)
    return ContactIdentity.objects.create(contact=contact, kind=kind, value=value)


def contact_update(
    *,
    contact: Contact,
    name: str | Unset = UNSET,
    organisation: Organisation | Unset | None = UNSET,
    language: str | Unset = UNSET,
    actor: User | None = None,
) -> Contact:
    """Change a contact's name, organisation or language. Only what is given changes."""
    require_role(actor, EDITOR_ROLES, "change contacts")
    fields = []
    if not isinstance(name, Unset):
        if not name.strip() and not contact.identities.exists():
            raise ValidationError("A contact needs a name or an address.", field="name")
        contact.name = name.strip()[:200]
        fields.append("name")
    if not isinstance(organisation, Unset):
        contact.organisation = organisation
        fields.append("organisation")
    if not isinstance(language, Unset):
        if len(language.strip()) > 10:
            raise ValidationError("A language code has at most 10 characters.", field="language")
        contact.language = language.strip()
        fields.append("language")
    if fields:
        contact.save(update_fields=fields)
    return contact


@transaction.atomic
def contact_merge(*, source: Contact, target: Contact, actor: User | None, now: datetime) -> Contact:
    """Fold `source` into `target`: its identities move now, its tickets follow (ContactMerged)."""
    require_role(actor, EDITOR_ROLES, "merge contacts")
    if source.pk == target.pk:
        raise ValidationError("A contact cannot be merged into itself.", field="target")
    if target.merged_into_id is not None:
        raise ValidationError("The target contact was itself merged away.", field="target")
    ContactIdentity.objects.filter(contact=source).update(contact=target, is_primary=False)
    Contact.objects.filter(merged_into=source).update(merged_into=target)
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    if target.organisation_id is None and source.organisation_id is not None:
        target.organisation_id = source.organisation_id
        target.save(update_fields=["organisation"])
    publish(ContactMerged(source_id=source.pk, target_id=target.pk, actor_id=actor.pk if actor else None, at=now))
    return target


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str = "", now: datetime) -> tuple[ApiToken, str]:
    """Returns the token row and the plain token, which is shown once and never stored."""
    plain = "fd_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=plain[:10], digest=_digest(plain), created_at=now)
    return token, plain


# Every API request runs it: built once per thread (core.queries). The digest is unique.
_TOKEN_BY_DIGEST = Prepared(lambda digest: ApiToken.objects.select_related("user").filter(digest=digest), "digest")


def api_token_authenticate(*, plain: str, now: datetime) -> User | None:
    token: ApiToken | None = _TOKEN_BY_DIGEST.first(_digest(plain))
    if token is None or not token.user.is_active:
        return None
    # Record use at most once a minute, so a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
