"""Typed domain events, delivered after commit.

A service calls `publish(event)` inside its transaction. Once the transaction
commits, every handler subscribed to the event's type runs in its own
transaction. A handler that raises is logged and retried as a background job,
and never undoes the write that published the event. Apps subscribe in their
`AppConfig.ready()`; `frontdesk events` lists the subscriptions. A handler that
touches no database (a realtime push) subscribes with `atomic=False`, so that it
does not open a transaction (on SQLite, a write lock) for nothing.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], None]

_subscribers: dict[type, list[Handler]] = defaultdict(list)
_outside_transactions: set[Handler] = set()


def subscribe(event_type: type[E], handler: Callable[[E], None], *, atomic: bool = True) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)
    if not atomic:
        _outside_transactions.add(handler)


def subscriptions() -> dict[type, list[Handler]]:
    return {event_type: list(handlers) for event_type, handlers in _subscribers.items()}


def handler_path(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def publish(event: object) -> None:
    """Run the event's handlers once the current transaction commits."""
    for handler in list(_subscribers.get(type(event), ())):
        transaction.on_commit(partial(run_handler, handler, event))


def run_handler(handler: Handler, event: object) -> None:
    try:
        if handler in _outside_transactions:
            handler(event)
        else:
            with transaction.atomic():
                handler(event)
    except Exception:
        logger.exception("event handler failed", extra={"handler": handler_path(handler), "event": repr(event)})
        from frontdesk.core.tasks import retry_event_handler

        retry_event_handler(handler_path(handler), event)
