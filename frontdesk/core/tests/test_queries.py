import pytest

from frontdesk.accounts.models import ContactIdentity
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory
from frontdesk.core.queries import Prepared
from frontdesk.tickets.models import Tag

pytestmark = pytest.mark.django_db

IDENTITY = Prepared(
    lambda kind, value: ContactIdentity.objects.select_related("contact__organisation").filter(kind=kind, value=value),
    "kind",
    "value",
)


def test_a_prepared_read_gives_what_its_queryset_gives_for_other_values():
    organisation = OrganisationFactory(name="Sunny Stays")
    ada = ContactFactory(name="Ada", email="ada@example.com", organisation=organisation)
    ContactFactory(name="Bo", email="bo@example.com")

    found = IDENTITY.first("email", "ada@example.com")

    expected = ContactIdentity.objects.select_related("contact__organisation").get(value="ada@example.com")
    assert found == expected
    assert found.contact == ada
    assert found.contact.organisation.name == "Sunny Stays"  # loaded with it, as select_related does
    assert IDENTITY.first("email", "bo@example.com").contact.organisation is None
    assert IDENTITY.first("email", "nobody@example.com") is None


def test_a_prepared_read_builds_its_sql_once_per_thread(django_assert_num_queries):
    Tag.objects.create(name="vip")
    built = []
    prepared = Prepared(lambda name: built.append(name) or Tag.objects.filter(name=name).values_list("name"), "x")

    with django_assert_num_queries(2):
        assert prepared.all("vip") == [("vip",)]
        assert prepared.all("late") == []

    assert built == ["x"]


def test_a_placeholder_that_does_not_reach_the_sql_as_one_parameter_is_refused():
    prepared = Prepared(lambda name: Tag.objects.filter(name__startswith=name), "x")  # becomes "x%"

    with pytest.raises(ValueError, match="placeholder 'x'"):
        prepared.all("vip")
