"""Django's ASGI handler with a fixed pool of request threads and a synchronous middleware chain.

Django runs each ASGI request's synchronous code (middleware, views, the ORM) in a
new thread (a fresh `ThreadSensitiveContext` per request). A new thread means a new
database connection every request — for SQLite, opening the file, setting the
pragmas and registering Django's SQL functions, about 2 ms of a 4 ms request. Here
each request borrows one of `threads` long-lived single-thread executors instead,
so connections persist (CONN_MAX_AGE) and no thread is started per request
(decision 0008).

Django also builds its middleware chain for async use under ASGI: the chain is
entered from the event loop, a synchronous middleware is run through
`sync_to_async`, the view handler is reached again through `async_to_sync` and the
(synchronous) view through `sync_to_async` once more — every request crosses
between the event loop and its thread five or more times. Every view and
middleware of Frontdesk is synchronous, so the chain here is built as under WSGI
and each request crosses once: the request-started signal, the whole request
(middleware, view, ORM) and, unless the response streams, closing it, in one call. Sending the
response stays on the event loop. (Decision 0011.)

The handler is built once per process, after the apps are loaded; it also imports the URLconf
(every view, the API and its schemas) then, not in the first request, and freezes what start-up
made (`gc.freeze()`): those objects live as long as the process, and without it every full
collection of the cyclic garbage collector walks all of them again — about 0.1 s, once every
thousand or so requests, stalling whatever that request held (on SQLite, possibly the write lock).
"""

import asyncio
import contextlib
import gc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import get_resolver, set_script_prefix


class PooledASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int) -> None:
        base.BaseHandler.__init__(self)  # not ASGIHandler's: that builds the chain for async use
        self.load_middleware(is_async=False)
        get_resolver().url_patterns  # noqa: B018  # imports the URLconf now
        gc.freeze()
        self.threads = threads
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None
        self._respond = sync_to_async(self._get_response_in_thread, thread_sensitive=True)
        self._close = sync_to_async(self._close_response, thread_sensitive=True)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        free = self._pool()
        executor = await free.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            free.put_nowait(executor)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGIHandler.handle with the request's synchronous part in one call to its thread."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        response = await self._respond(scope, body_file)
        if response.streaming:
            await self._send_streaming(response, receive, send)
            await self._close(response)
        else:  # already closed in its thread (see _get_response_in_thread)
            await self.send_response(response, send)  # after a disconnect, the server drops it
        body_file.close()

    def _get_response_in_thread(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        assert response is not None
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # as ASGIHandler does
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the ASGI server chunks the body itself
        if not response.streaming:
            # The body is in memory: close now (request_finished: the thread's connection is checked
            # and kept or closed), not in one more trip to this thread after sending.
            response.close()
        return response

    async def _send_streaming(self, response: HttpResponseBase, receive: Any, send: Any) -> None:
        """A stream stops when the client goes away, as in ASGIHandler.handle."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task

    @staticmethod
    def _close_response(response: HttpResponseBase) -> None:
        response.close()  # request_finished: the thread's connection is checked and kept or closed

    def _pool(self) -> "asyncio.Queue[ThreadPoolExecutor]":
        if self._free is None:  # made on first use, inside the server's event loop
            # Last in, first out: a request gets the thread used last, whose connection is the
            # warmest (on SQLite, its page cache stays valid while no other connection writes).
            self._free = asyncio.LifoQueue()
            for number in range(self.threads):
                self._free.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{number}"))
        return self._free
