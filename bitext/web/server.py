"""Running the app: a socket on a free port, a clean stop, a server for tests.

`bitext review` and `bitext serve` both stop on Ctrl+C or SIGTERM: requests in
flight finish, new connections are refused, the parts' lifespans close, and
the process exits 0 without a traceback (a stop is how a server is meant to
end). uvicorn re-raises the signal it caught once it has shut down; the
handlers installed here turn that into a plain return.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from bitext.web.app import LOOPBACK_HOSTS

GRACEFUL_SHUTDOWN_SECONDS = 10
START_DEADLINE_SECONDS = 30


class ServerStopped(Exception):
    """The signal uvicorn re-raises after its graceful shutdown."""


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket; port 0 picks a free one (read it back with `port_of`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def port_of(sock: socket.socket) -> int:
    return sock.getsockname()[1]


def _config(app) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def run(app, sock: socket.socket, on_started: Callable[[], None] | None = None) -> None:
    """Serve until Ctrl+C or SIGTERM, then return (from the main thread)."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise ServerStopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _AnnouncingServer(_config(app), on_started).run(sockets=[sock])
    except (ServerStopped, KeyboardInterrupt):
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


@contextmanager
def running(app, host: str = "127.0.0.1") -> Iterator[str]:
    """The app served in a thread on a free loopback port; yields its base URL.

    For tests and benchmarks: a real HTTP server on 127.0.0.1, stopped (with its
    lifespan closed) when the block ends. Start and stop are bounded in time.
    """
    sock = bind(host, 0)
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        thread.join(0.02)  # wakes early if the server thread dies
    try:
        if not server.started:
            raise RuntimeError("the test server did not start")
        yield f"http://{host}:{port_of(sock)}"
    finally:
        server.should_exit = True
        thread.join(GRACEFUL_SHUTDOWN_SECONDS + 5)
        sock.close()
