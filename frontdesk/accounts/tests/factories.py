import factory

from frontdesk.accounts.models import Contact, ContactIdentity, IdentityKind, Organisation, Role, Team, User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@frontdesk.test")
    name = factory.Sequence(lambda n: f"Agent {n}")
    role = Role.AGENT
    password = factory.django.Password("correct horse battery")


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self: Team, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    domain = factory.Sequence(lambda n: f"org{n}.example")


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Guest {n}")

    @factory.post_generation
    def email(self: Contact, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            address = extracted or f"guest{self.pk}@guests.example"
            ContactIdentity.objects.create(contact=self, kind=IdentityKind.EMAIL, value=address, is_primary=True)
