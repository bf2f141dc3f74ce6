"""``servops serve --workers N``: settings travel to the worker processes; N processes serve.

The quick tests check the settings' round trip through the environment and the refusals;
the slow one starts ``servops serve --workers 2`` on the test database and writes through
it over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from servops.api.app import SETTINGS_ENV, app_from_environment
from servops.api.settings import ServiceSettings
from servops.cli.main import app as cli
from servops.errors import InvalidParameterError


def test_settings_round_trip_through_the_environment() -> None:
    s = ServiceSettings(
        "postgresql://u:p@127.0.0.1:5/db",
        secret_key=bytes(range(32)),
        session_ttl=timedelta(hours=3),
        survey_ttl=timedelta(days=2, seconds=5),
        cookie_secure=True,
        sla_config=Path("/x/kpi.yaml"),
        escalation=None,
        public_url="http://example.test:8000",
        pool_size=4,
        migrate=False,
        token_cache_ttl=0.5,
    )
    back = ServiceSettings.from_environment(s.to_environment())
    assert back == s
    assert back.sla_config == Path("/x/kpi.yaml")
    assert back.secret_key == bytes(range(32))


def test_a_settable_clock_does_not_go_to_worker_processes() -> None:
    s = ServiceSettings("postgresql://u@h/db", now=lambda: datetime.now(UTC))
    with pytest.raises(InvalidParameterError, match="own clock"):
        s.to_environment()


def test_the_worker_factory_needs_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    with pytest.raises(InvalidParameterError, match=SETTINGS_ENV):
        app_from_environment()


@pytest.mark.parametrize("other", ["--demo", "--worker"])
def test_workers_refuse_demo_and_worker_only(other: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["serve", "--workers", "2", other, "--data-dir", str(tmp_path / "d")]
    )
    assert res.exit_code == 2
    assert "--workers" in res.output
    assert not (tmp_path / "d").exists()  # refused before anything started


def _http_workers(pid: int) -> list[Any]:
    """The running ``servops serve --workers`` processes below ``pid``."""
    import psutil  # type: ignore[import-untyped]

    found = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "spawn_main" in " ".join(p.cmdline()) and p.status() != "zombie":
                found.append(p)
        except psutil.NoSuchProcess:
            pass
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_worker_processes_serve_the_api(pg_url: str, tmp_path: Path) -> None:
    import httpx

    port = _free_port()
    code = (
        "import sys; from servops.cli.main import main; sys.argv[0] = 'servops'; main()"
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                "serve",
                "--database-url",
                pg_url,
                "--data-dir",
                str(tmp_path / "svc"),
                "--port",
                str(port),
                "--workers",
                "2",
                "--no-worker",
                "--json",
            ],
            stdout=out_file,  # the child has its own copy of the descriptor
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # the service says when both processes listen (each only after its start-up)
        deadline = time.monotonic() + 120
        while "all 2 HTTP processes are serving" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "servops serve --workers 2 not ready"
            time.sleep(0.3)
        token = (tmp_path / "svc" / "admin-token").read_text().splitlines()[0]
        h = {"Authorization": f"Bearer {token}"}
        numbers = set()
        for i in range(12):  # new connections: the kernel spreads them over the workers
            r = httpx.post(f"{base}/tickets", headers=h, json={"subject": f"w{i}"})
            assert r.status_code == 201, r.text
            numbers.add(r.json()["number"])
        assert len(numbers) == 12
        r = httpx.patch(
            f"{base}/tickets/{min(numbers)}", headers=h, json={"priority": "P1"}
        )
        assert r.status_code == 200
        assert r.json()["priority"] == "P1"
        served = _http_workers(proc.pid)
        assert len(served) == 2
        # kept-alive connections are spread over both processes (each has its own
        # listening socket; one shared socket split 100 connections 33 / 67)
        clients = [httpx.Client(base_url=base, headers=h) for _ in range(40)]
        try:
            for c in clients:
                assert c.get("/tickets?limit=1").status_code == 200
            held = [
                sum(
                    1
                    for conn in p.net_connections("tcp")
                    if conn.laddr.port == port and conn.status == "ESTABLISHED"
                )
                for p in served
            ]
        finally:
            for c in clients:
                c.close()
        assert sum(held) == 40
        assert min(held) >= 8, held  # binomial(40, 1/2): below 8 has chance 1e-5
        # a worker process that dies is started again; the port is served meanwhile
        os.kill(served[0].pid, signal.SIGKILL)
        r = httpx.post(f"{base}/tickets", headers=h, json={"subject": "still served"})
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 60
        while len(again := _http_workers(proc.pid)) < 2 or served[0] in again:
            assert time.monotonic() < deadline, "the killed worker was not restarted"
            time.sleep(0.3)
        for i in range(12):
            r = httpx.post(f"{base}/tickets", headers=h, json={"subject": f"r{i}"})
            assert r.status_code == 201, r.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    out = log.read_text()
    info = json.loads(out[out.index("{") : out.index("}") + 1])
    assert info["http_workers"] == 2
    assert proc.returncode in (0, 128 + signal.SIGTERM, -signal.SIGTERM)
