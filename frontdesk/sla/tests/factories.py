from typing import Any

import factory

from frontdesk.sla.models import Calendar, Policy, PolicyTarget
from frontdesk.tickets.tests.factories import NOW

WEEKDAYS_9_TO_5 = {str(day): [["09:00", "17:00"]] for day in range(5)}


class CalendarFactory(factory.django.DjangoModelFactory[Calendar]):
    class Meta:
        model = Calendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "UTC"
    always_open = True
    hours: Any = factory.LazyFunction(dict)
    updated_at = NOW


class PolicyFactory(factory.django.DjangoModelFactory[Policy]):
    class Meta:
        model = Policy

    name = factory.Sequence(lambda n: f"Policy {n}")
    calendar = factory.SubFactory(CalendarFactory)
    warn_at: Any = factory.LazyFunction(lambda: [0.75, 0.9])
    active_since = NOW
    updated_at = NOW


def policy_with(targets: dict[str, tuple[int | None, int | None, int | None]] | None = None, **fields: Any) -> Policy:
    """A policy with (first response, next response, resolution) minutes per priority;
    by default 60 / 120 / 480 minutes for every priority, 24/7."""
    policy = PolicyFactory.create(**fields)
    for priority, (first, following, resolution) in (
        targets or dict.fromkeys(("low", "normal", "high", "urgent"), (60, 120, 480))
    ).items():
        PolicyTarget.objects.create(
            policy=policy,
            priority=priority,
            first_response_minutes=first,
            next_response_minutes=following,
            resolution_minutes=resolution,
        )
    return policy
