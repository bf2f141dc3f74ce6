"""The worker processes of ``servops serve --workers N`` (:mod:`servops.api.workers`).

Each process listens on a socket of its own on the shared port; the slow test of
``test_serve_workers.py`` checks that connections are spread and a killed process is
started again.
"""

from __future__ import annotations

import socket

import pytest

from servops.api.app import SETTINGS_ENV
from servops.api.workers import _check_free, bound_socket, run_workers
from servops.errors import InvalidParameterError, ServopsError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sockets_share_the_port_and_a_taken_port_is_refused() -> None:
    port = _free_port()
    _check_free("127.0.0.1", port)  # nothing there yet
    a = bound_socket("127.0.0.1", port)
    b = bound_socket("127.0.0.1", port)
    a.listen()
    b.listen()
    try:
        assert a.getsockname() == b.getsockname() == ("127.0.0.1", port)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # one of the two accepts it
        # another servops serve (or anything else) on the port is refused, not joined
        with pytest.raises(InvalidParameterError, match=f"127.0.0.1:{port}"):
            _check_free("127.0.0.1", port)
        with pytest.raises(InvalidParameterError, match="--port"):
            run_workers("127.0.0.1", port, 2)
    finally:
        a.close()
        b.close()


def test_a_worker_that_fails_its_start_up_stops_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # without the settings variable the app factory refuses: uvicorn exits at once
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    port = _free_port()
    with pytest.raises(ServopsError, match="worker process 1 of 1 exited with code"):
        run_workers("127.0.0.1", port, 1, poll_seconds=0.1)
    _check_free("127.0.0.1", port)  # nothing left listening


def test_a_socket_gets_connections_only_once_it_listens() -> None:
    # a worker process binds at its start and listens after the app's start-up: while
    # one warms up, every new connection goes to the one already serving
    port = _free_port()
    serving = bound_socket("127.0.0.1", port)
    warming = bound_socket("127.0.0.1", port)
    try:
        with pytest.raises(ConnectionRefusedError):  # nobody listens yet
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        serving.listen()
        serving.settimeout(5)
        for _ in range(20):  # each accepted by the serving socket (else a timeout)
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                serving.accept()[0].close()
        warming.setblocking(False)
        warming.listen()  # ready: from now on the kernel spreads connections over both
        got = {"serving": 0, "warming": 0}
        serving.setblocking(False)
        for _ in range(40):
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
        for name, sock in (("serving", serving), ("warming", warming)):
            while True:
                try:
                    sock.accept()[0].close()
                except BlockingIOError:
                    break
                got[name] += 1
        assert got["serving"] + got["warming"] == 40
        assert got["warming"] > 0
    finally:
        serving.close()
        warming.close()
