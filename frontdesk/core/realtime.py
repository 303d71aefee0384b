"""Pushes to browsers over Channels groups.

Call `broadcast()` from after-commit code only. In the embedded mode the channel
layer lives in memory on the server's event loop; a push from another thread
(a job running in the in-process consumer) is handed to that loop instead of
touching its queues from the wrong thread.
"""

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None
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
    try:
        loop = _server_loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        # A lost live update is repaired by the next page load; never fail a write for it.
        logger.exception("realtime broadcast failed", extra={"group": group})


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
