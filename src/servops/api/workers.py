"""``servops serve --workers N``: N uvicorn processes, each with its own listening socket.

uvicorn's own ``--workers`` has every process accept from one shared socket: whichever
process wakes first takes the connection, and keep-alive clients stay where they
landed. Under load that split 100 connections 33 / 67, so one process had twice the
work of the other on a 2-core machine. Here each process listens on its own socket
bound to the same address with ``SO_REUSEPORT``, and the kernel spreads new
connections over the sockets by a hash of their addresses (even in expectation,
whatever each process is doing). A process's socket is bound at its start but listens
only once the app's start-up (warming the connection pool, rehearsing a write) is done:
until then the kernel sends new connections to the processes already serving, not into
the backlog of one that cannot answer yet (at a start, or when a process is started
again after a crash). Each process tells the parent when it serves; the parent calls
``on_ready`` once all do (``servops serve`` then says so).

The parent process keeps the worker processes running: one that exits or is killed is
started again, unless it exits with an error code of its own within
:data:`STARTUP_SECONDS` of its start (a broken start-up repeats itself): then all stop
and :class:`~servops.errors.ServopsError` says which and how. The settings reach the processes through the environment
(:data:`servops.api.app.SETTINGS_ENV`), as :func:`servops.api.app.app_from_environment`
reads them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time
from typing import TYPE_CHECKING

from servops.errors import InvalidParameterError, ServopsError

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.process import BaseProcess
    from multiprocessing.synchronize import Event

__all__ = ["STARTUP_SECONDS", "bound_socket", "run_workers"]

#: A worker process that exits with an error this soon after its start is not started again.
STARTUP_SECONDS = 15.0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that shares the port (``SO_REUSEPORT``).

    It does not listen yet: uvicorn's server calls ``listen`` when it starts serving,
    after the app's start-up. A bound socket that does not listen gets no connections,
    so none wait in it while the process warms up (module text).
    """
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _check_free(host: str, port: int) -> None:
    """Refuse a port something listens on already (``SO_REUSEPORT`` would share it).

    A bind without ``SO_REUSEPORT`` fails on a port any socket listens on, whether or
    not that one set it: so another ``servops serve`` there is refused, not joined.
    """
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            msg = (
                f"Cannot serve on {host}:{port}: {exc.strerror or exc}. Choose another "
                "--port, or stop what listens there."
            )
            raise InvalidParameterError(msg) from exc


def _serve(
    host: str, port: int, log_level: str, ready: Event
) -> None:  # pragma: no cover - child
    """One worker process: uvicorn on a socket of its own; ``ready`` set once it listens."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                ready.set()

    sock = bound_socket(host, port)
    config = uvicorn.Config(
        "servops.api.app:app_from_environment",
        factory=True,
        log_level=log_level,
    )
    Server(config).run(sockets=[sock])


def run_workers(
    host: str,
    port: int,
    workers: int,
    *,
    log_level: str = "warning",
    poll_seconds: float = 0.5,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve with ``workers`` processes until a signal ends this one.

    ``on_ready`` is called once, when every process first listens.

    On return (a ``SystemExit`` from a signal handler, ``KeyboardInterrupt``) the
    processes get SIGTERM (uvicorn's graceful shutdown) and, if still running after 10
    seconds, SIGKILL.

    Raises
    ------
    InvalidParameterError
        The port is taken.
    ServopsError
        A worker process exited during its start-up.
    """
    _check_free(host, port)
    spawn = multiprocessing.get_context("spawn")
    started: dict[int, float] = {}
    procs: list[BaseProcess] = []
    ready = [spawn.Event() for _ in range(workers)]
    announced = False

    def start(slot: int) -> BaseProcess:
        ready[slot].clear()
        proc = spawn.Process(
            target=_serve,
            args=(host, port, log_level, ready[slot]),
            name=f"servops-http-{slot}",
        )
        proc.start()
        started[slot] = time.monotonic()
        return proc

    try:
        procs.extend(start(slot) for slot in range(workers))
        while True:
            if (
                on_ready is not None
                and not announced
                and all(e.is_set() for e in ready)
            ):
                announced = True
                on_ready()
            for slot, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                code = proc.exitcode
                # an exit of its own (not a signal's) this soon is a failed start-up
                failed = code is not None and code > 0
                if failed and time.monotonic() - started[slot] < STARTUP_SECONDS:
                    msg = (
                        f"HTTP worker process {slot + 1} of {workers} exited with code "
                        f"{code} during its start-up (see the messages above)."
                    )
                    raise ServopsError(msg)
                procs[slot] = start(slot)
            time.sleep(poll_seconds)
    finally:
        _stop(procs)


def _stop(procs: list[BaseProcess]) -> None:
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()
