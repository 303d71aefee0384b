from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from frontdesk.core import events


@dataclass(frozen=True)
class Pinged:
    value: int


received: list[int] = []


def remember(event: Pinged) -> None:
    received.append(event.value)


def explode(event: Pinged) -> None:
    raise RuntimeError("handler bug")


@pytest.fixture(autouse=True)
def _clean() -> Any:
    received.clear()
    saved = dict(events._subscribers)
    yield
    events._subscribers.clear()
    events._subscribers.update(saved)


@pytest.mark.django_db(transaction=True)
def test_handlers_run_only_after_commit() -> None:
    events.subscribe(Pinged, remember)

    with transaction.atomic():
        events.publish(Pinged(1))
        assert received == []

    assert received == [1]


@pytest.mark.django_db(transaction=True)
def test_nothing_runs_when_the_transaction_rolls_back() -> None:
    events.subscribe(Pinged, remember)

    def publish_then_fail() -> None:
        with transaction.atomic():
            events.publish(Pinged(2))
            raise ValueError("abort")

    with pytest.raises(ValueError, match="abort"):
        publish_then_fail()

    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_does_not_stop_the_others_and_is_retried_as_a_job(monkeypatch: Any) -> None:
    retried: list[tuple[str, object]] = []
    monkeypatch.setattr("frontdesk.core.tasks.retry_event_handler", lambda path, event: retried.append((path, event)))
    events.subscribe(Pinged, explode)
    events.subscribe(Pinged, remember)

    with transaction.atomic():
        events.publish(Pinged(3))

    assert received == [3]
    assert retried == [(f"{__name__}.explode", Pinged(3))]


def test_subscribing_twice_registers_once() -> None:
    events.subscribe(Pinged, remember)
    events.subscribe(Pinged, remember)

    assert events.subscriptions()[Pinged] == [remember]
