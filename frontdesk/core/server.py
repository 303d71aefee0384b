"""The web server: uvicorn, its worker processes each listening on a socket of their own.

`frontdesk web --workers N` runs uvicorn's supervisor, which starts, watches and restarts the
N worker processes. uvicorn binds one listening socket in the supervisor and shares it: when
connections arrive together, the worker whose event loop wakes first accepts all of them
(uvloop accepts until none is left). Eight API clients connecting at once landed in one worker
in four runs of eleven, and that worker's one interpreter lock kept the whole server to one CPU
(307–311 tickets/s against 357–501 when they were spread). Here each worker binds a socket of
its own to the address with SO_REUSEPORT, and the kernel spreads new connections over the
workers' sockets (by a hash of the addresses), as nginx's `reuseport` does. Decision 0017.
"""

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import multiprocess

APP = "frontdesk.asgi:application"


def run(*, host: str, port: int, workers: int, **options: Any) -> None:
    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **options)
        return
    # Every worker the supervisor starts, restarts (SIGHUP) or adds (SIGTTIN) is a _Worker.
    multiprocess.Process = _Worker  # type: ignore[misc]
    multiprocess.Multiprocess(uvicorn.Config(APP, host=host, port=port, workers=workers, **options), sockets=[]).run()


class _Worker(multiprocess.Process):
    def target(self, sockets: list[socket.socket] | None = None) -> None:
        """In the worker process: serve on a socket of its own."""
        super().target([listening_socket(self.config.host, self.config.port)])


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that other processes of this user may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock
