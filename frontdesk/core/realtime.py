"""Pushes to browsers over Channels groups.

Call `broadcast()` from after-commit code only; it never blocks the caller.
- The in-memory layer (embedded mode) keeps its queues on the server's event loop,
  which a consumer registers on connect: a push is handed to that loop. A process
  where no consumer ever connected has no listeners, so nothing is sent.
- Any other layer (channels-redis at scale) is driven from one background event loop
  per process, so its connections are reused instead of a loop being made per push.
"""

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
_background_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def remember_server_loop() -> None:
    """Called from a consumer: the loop the in-memory layer's queues belong to."""
    global _server_loop
    with _lock:
        _server_loop = asyncio.get_running_loop()


def broadcast(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop if isinstance(layer, InMemoryChannelLayer) else _background()
    if loop is None or not loop.is_running():
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
    future.add_done_callback(_log_failure)


def _background() -> asyncio.AbstractEventLoop:
    global _background_loop
    with _lock:
        if _background_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="frontdesk-realtime", daemon=True).start()
            _background_loop = loop
        return _background_loop


def _log_failure(future: Future[None]) -> None:
    # A lost live update is repaired by the next page load; never fail a write for it.
    if future.exception() is not None:
        logger.error("realtime broadcast failed", exc_info=future.exception())
