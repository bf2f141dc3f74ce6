"""TLS to PostgreSQL through pg8000: sslmode, sslrootcert and the host name, checked
against real TLS handshakes.

The embedded PostgreSQL wheel is built without SSL ("SSL is not supported by this
build"), so the server side here is the start of PostgreSQL's protocol only: it answers
the client's SSLRequest with ``S``, does the TLS handshake with a certificate of a
throw-away CA (made with the openssl command), reads the startup message over TLS and
answers with an error naming itself. The client got that far exactly when the handshake
(and its verification) succeeded.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import struct
import subprocess
import threading
from typing import TYPE_CHECKING

import pytest

from servops.errors import InvalidParameterError
from servops.service.db import engine_args, transport

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SSL_REQUEST = struct.pack("!ii", 8, 80877103)
REACHED = "servops test endpoint: TLS handshake done"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(d: Path) -> None:
    for name in ("ca", "other-ca"):
        _openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}",
            cwd=d,
        )  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=localhost", cwd=d,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
        cwd=d,
    )  # fmt: skip


def _serve(listener: socket.socket, ctx: ssl.SSLContext, seen: list[str]) -> None:
    while True:
        try:
            con, _ = listener.accept()
        except OSError:
            return  # closed: the test is over
        with con:
            if con.recv(8) != SSL_REQUEST:
                seen.append("plain")  # a client that did not ask for TLS
                continue
            con.sendall(b"S")
            try:
                with ctx.wrap_socket(con, server_side=True) as tls:
                    tls.recv(4096)  # the startup message
                    body = b"SERROR\0C08006\0M" + REACHED.encode() + b"\0\0"
                    tls.sendall(b"E" + struct.pack("!i", len(body) + 4) + body)
                    seen.append("tls")
            except (ssl.SSLError, OSError):
                seen.append("refused")  # the client broke off the handshake


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory) -> Iterator[tuple[int, Path, list[str]]]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make certificates")
    d = tmp_path_factory.mktemp("tls")
    _certificates(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "server.pem", d / "server.key")
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[str] = []
    th = threading.Thread(target=_serve, args=(listener, ctx, seen), daemon=True)
    th.start()
    yield listener.getsockname()[1], d, seen
    listener.close()
    th.join(timeout=5)


def _connect(url: str) -> str:
    """What happened when pg8000 connected with ``url``'s arguments (as make_engine)."""
    import pg8000.dbapi

    u, args = engine_args(url)
    try:
        pg8000.dbapi.connect(
            user=u.username, host=u.host, port=u.port, database=u.database, **args
        )
    except pg8000.dbapi.DatabaseError as exc:
        return "reached" if REACHED in str(exc) else f"error: {exc}"
    except (pg8000.dbapi.InterfaceError, ssl.SSLError, OSError) as exc:
        cause = exc.__cause__ or exc.__context__ or exc
        return f"refused: {cause}"
    return "connected?"


def test_each_sslmode_gives_the_verification_it_names(endpoint):
    port, d, seen = endpoint
    ca, other = d / "ca.pem", d / "other-ca.pem"
    url = f"postgresql://u:p@localhost:{port}/db"
    assert _connect(f"{url}?sslmode=verify-full&sslrootcert={ca}") == "reached"
    assert _connect(f"{url}?sslmode=verify-ca&sslrootcert={ca}") == "reached"
    assert _connect(f"{url}?sslmode=require") == "reached"  # encrypted, unchecked
    assert seen[-3:] == ["tls", "tls", "tls"]
    # another CA's root: refused, by require too once a root is given (as libpq)
    for mode in ("verify-full", "verify-ca", "require"):
        got = _connect(f"{url}?sslmode={mode}&sslrootcert={other}")
        assert got.startswith("refused"), (mode, got)
        assert "CERTIFICATE_VERIFY_FAILED" in got
    # the system CAs do not know the test CA
    assert "CERTIFICATE_VERIFY_FAILED" in _connect(f"{url}?sslmode=verify-ca")
    # the certificate names localhost, not 127.0.0.1: only verify-full minds
    by_ip = f"postgresql://u:p@127.0.0.1:{port}/db"
    got = _connect(f"{by_ip}?sslmode=verify-full&sslrootcert={ca}")
    assert got.startswith("refused")
    assert "127.0.0.1" in got
    assert _connect(f"{by_ip}?sslmode=verify-ca&sslrootcert={ca}") == "reached"
    # without sslmode (libpq's prefer) pg8000 asks for TLS and checks nothing
    assert _connect(url) == "reached"
    # disable does not ask for TLS at all
    n = len(seen)
    assert _connect(f"{url}?sslmode=disable").startswith(("refused", "error"))
    assert seen[n:] == ["plain"]


def test_transport_says_how_the_connection_travels(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(ssl.SSLError):  # the file is read: not a certificate
        transport(f"postgresql://u@db.example/s?sslmode=verify-ca&sslrootcert={ca}")
    assert transport("postgresql://u@db.example/s?sslmode=verify-ca") == (
        "TLS, certificate verified",
        None,
    )
    assert transport("postgresql://u@db.example/s?sslmode=require") == (
        "TLS, certificate not verified",
        None,
    )
    assert transport("postgresql://u@/s?host=/run/pg") == ("unix socket", None)
    assert transport("postgresql://u@[::1]:5432/s?sslmode=disable") == (
        "unencrypted (loopback)",
        None,
    )
    assert transport("postgresql://u@localhost/s")[1] is None
    how, warning = transport("postgresql://u@10.1.2.3/s?sslmode=disable")
    assert how == "unencrypted"
    assert warning is not None
    assert "10.1.2.3 is not protected (sslmode 'disable')" in warning
    assert "in clear" in warning
    how, warning = transport("postgresql://u@10.1.2.3/s")
    assert how.startswith("TLS if the server offers it")
    assert warning is not None
    assert "sslmode 'prefer'" in warning
    assert "pose as the server" in warning


def test_certificate_parameters_are_checked(tmp_path):
    with pytest.raises(InvalidParameterError, match="'sslrootcert' must be a readable"):
        engine_args(f"postgresql://u@h/s?sslmode=verify-ca&sslrootcert={tmp_path}/no")
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(InvalidParameterError, match="sslmode='prefer' does not"):
        engine_args(f"postgresql://u@h/s?sslrootcert={ca}")
    with pytest.raises(InvalidParameterError, match="sslmode='disable' does not"):
        engine_args(f"postgresql://u@h/s?sslmode=disable&sslrootcert={ca}")
    with pytest.raises(InvalidParameterError, match="'sslmode' must be one of"):
        engine_args("postgresql://u@h/s?sslmode=verify_full")
