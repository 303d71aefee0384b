from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.accounts.models import ContactIdentity, IdentityKind, Role
from frontdesk.accounts.services import (
    api_token_authenticate,
    api_token_create,
    contact_add_identity,
    contact_create,
    contact_get_or_create,
    contact_merge,
    team_create,
    user_create,
)
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, UserFactory
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_user_create_normalises_email_and_hashes_password() -> None:
    user = user_create(email=" Ona@Example.LT ", name="Ona", role=Role.SUPERVISOR, password="long enough pw")

    assert user.email == "ona@example.lt"
    assert user.check_password("long enough pw")
    assert user.role == Role.SUPERVISOR


def test_user_create_rejects_duplicate_email_and_unknown_role() -> None:
    user_create(email="a@example.com", name="A")

    with pytest.raises(Conflict):
        user_create(email="A@example.com", name="A again")
    with pytest.raises(ValidationError) as error:
        user_create(email="b@example.com", name="B", role="overlord")
    assert error.value.field == "role"


def test_only_admins_manage_agents_and_teams() -> None:
    agent = UserFactory.create(role=Role.AGENT)

    with pytest.raises(PermissionDenied):
        user_create(email="c@example.com", name="C", actor=agent)
    with pytest.raises(PermissionDenied):
        team_create(name="Night shift", actor=agent)
    assert team_create(name="Night shift", actor=UserFactory.create(role=Role.ADMIN)).name == "Night shift"


def test_contact_joins_organisation_by_email_domain() -> None:
    organisation = OrganisationFactory.create(domain="sunnyflats.es")

    contact = contact_create(name="Lucía", email="lucia@SunnyFlats.es")

    assert contact.organisation == organisation
    assert contact.identities.get().value == "lucia@sunnyflats.es"


def test_get_or_create_finds_contact_by_any_identity() -> None:
    contact = contact_create(name="Jonas", email="jonas@example.lt", phone="+370 612 34567")

    assert contact_get_or_create(kind=IdentityKind.PHONE, value="+37061234567") == contact
    assert contact_get_or_create(kind=IdentityKind.EMAIL, value="JONAS@example.lt") == contact
    assert contact_get_or_create(kind=IdentityKind.EMAIL, value="new@example.lt").name == "new"


def test_identity_of_another_contact_is_a_conflict() -> None:
    contact_create(name="First", email="shared@example.com")

    with pytest.raises(Conflict):
        contact_add_identity(contact=ContactFactory.create(), kind=IdentityKind.EMAIL, value="shared@example.com")


def test_invalid_email_names_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        contact_create(name="X", email="not-an-address")
    assert error.value.field == "email"


def test_merge_moves_identities_and_marks_source() -> None:
    source = contact_create(name="Chat visitor", chat_visitor="visitor-42")
    target = contact_create(name="Ana", email="ana@example.com")

    contact_merge(source=source, target=target, actor=None, now=NOW)

    source.refresh_from_db()
    assert source.merged_into == target
    assert set(ContactIdentity.objects.filter(contact=target).values_list("kind", flat=True)) == {"email", "chat"}


def test_merge_into_itself_is_refused() -> None:
    contact = ContactFactory.create()
    with pytest.raises(ValidationError):
        contact_merge(source=contact, target=contact, actor=None, now=NOW)


def test_api_token_is_stored_as_digest_and_authenticates() -> None:
    user = UserFactory.create()

    token, plain = api_token_create(user=user, now=NOW)

    assert plain not in token.digest
    assert api_token_authenticate(plain=plain, now=NOW + timedelta(minutes=5)) == user
    assert api_token_authenticate(plain=plain + "x", now=NOW) is None


def test_token_of_deactivated_agent_no_longer_works() -> None:
    user = UserFactory.create()
    _, plain = api_token_create(user=user, now=NOW)
    user.is_active = False
    user.save()

    assert api_token_authenticate(plain=plain, now=NOW) is None
