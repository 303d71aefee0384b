from datetime import datetime
from typing import Any

import factory

from frontdesk.accounts.models import User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.routing.models import AgentState, RoutingProfile
from frontdesk.tickets.tests.factories import NOW


class RoutingProfileFactory(factory.django.DjangoModelFactory[RoutingProfile]):
    """An agent on shift with intake running, who takes any ticket (up to 20 unanswered)."""

    class Meta:
        model = RoutingProfile
        skip_postgeneration_save = True

    agent = factory.SubFactory(UserFactory)
    state = AgentState.WORKING
    state_since = NOW
    idle_since = NOW

    @factory.post_generation
    def teams(self: RoutingProfile, create: bool, extracted: list[Any] | None, **kwargs: object) -> None:
        if create and extracted:
            self.teams.set(extracted)


def working_agent(name: str = "", *, idle_since: datetime = NOW, **profile: Any) -> User:
    """An agent who is working and takes tickets, with the given profile fields."""
    agent = UserFactory.create(**({"name": name} if name else {}))
    RoutingProfileFactory.create(agent=agent, idle_since=idle_since, **profile)
    return agent
