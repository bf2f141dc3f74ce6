"""``servops service …`` (database, migrations, import) and ``servops audit …``.

``service`` starts, stops and shows the embedded database, migrates a schema and imports
history; ``audit`` verifies the tamper-evident trail and writes a signed checkpoint.

Every command works on the embedded PostgreSQL of ``--data-dir`` (started if needed,
stopped again if it was not running) or on a real server given by ``--database-url``
(or the ``SERVOPS_DATABASE_URL`` environment variable).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from servops.cli._common import JsonOpt, log_command
from servops.cli._render import console, emit, err_console
from servops.log import EventLog

DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="SERVOPS_DATABASE_URL",
        help="A PostgreSQL URL (postgresql://user:password@host:port/db) instead of "
        "the embedded server.",
        show_default=False,
    ),
]
DataDirOpt = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        help="The embedded server's directory (pgdata, password, audit key).",
    ),
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="The checkpoint signing key (default: audit.key in --data-dir).",
        show_default=False,
    ),
]
_DEFAULT_DIR = Path("servops-service")


def _mask(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}:***@{tail}"


@contextmanager
def service_database(database_url: str | None, data_dir: Path) -> Iterator[str]:
    """The service database URL, migrated to the newest revision.

    With no ``database_url``, the embedded server of ``data_dir`` is used: started if it
    is not running (and then stopped again afterwards).
    """
    from servops.service import embedded
    from servops.service.db import libpq_url, migrate

    if database_url:
        url = libpq_url(database_url)
        migrate(url)
        yield url
        return
    was_running = embedded.running(data_dir) is not None
    server = embedded.start(data_dir)
    try:
        url = server.url()
        migrate(url)
        yield url
    finally:
        if not was_running:
            embedded.stop(data_dir)


def start(data_dir: DataDirOpt = _DEFAULT_DIR, json: JsonOpt = False) -> None:
    """Start (or reuse) the embedded PostgreSQL and bring its schema up to date.

    It keeps running in the background until ``servops service stop``. As root, the
    server runs as the unprivileged system user 'servops'.
    """
    from servops.service import embedded
    from servops.service.audit import KEY_FILE, load_key
    from servops.service.db import migrate

    server = embedded.start(data_dir)
    migrate(server.url())
    load_key(Path(data_dir) / KEY_FILE)
    data = _status_dict(server)
    emit(
        data,
        as_json=json,
        render=lambda c: c.print(
            f"PostgreSQL running on {server.host}:{server.port} (pid {server.pid}), "
            f"data in {server.data_dir}. URL: servops service url --data-dir {data_dir}"
        ),
    )


def _status_dict(server: Any) -> dict[str, Any]:  # noqa: ANN401
    if server is None:
        return {"running": False}
    return {
        "running": True,
        "host": server.host,
        "port": server.port,
        "pid": server.pid,
        "data_dir": str(server.data_dir),
        "url": _mask(server.url()),
    }


def stop(data_dir: DataDirOpt = _DEFAULT_DIR) -> None:
    """Stop the embedded PostgreSQL (fast shutdown; committed data is kept)."""
    from servops.service import embedded

    stopped = embedded.stop(data_dir)
    console.print("stopped" if stopped else f"no server was running in {data_dir}")


def status(data_dir: DataDirOpt = _DEFAULT_DIR, json: JsonOpt = False) -> None:
    """Whether the embedded PostgreSQL is running, where."""
    from servops.service import embedded

    server = embedded.running(data_dir)
    data = _status_dict(server)
    emit(
        data,
        as_json=json,
        render=lambda c: c.print(
            f"running on {server.host}:{server.port} (pid {server.pid})"
            if server
            else f"not running ({data_dir})"
        ),
    )


def url(data_dir: DataDirOpt = _DEFAULT_DIR) -> None:
    """Print the embedded server's connection URL (with its password).

    For the other commands: ``servops kpi --service "$(servops service url)"``.
    """
    from servops.service import embedded

    server = embedded.running(data_dir)
    if server is None:
        msg = (
            f"no embedded server is running in {data_dir}; start it with "
            f"`servops service start --data-dir {data_dir}`."
        )
        raise embedded.EmbeddedServerError(msg)
    typer.echo(server.url())


def kpi_config_cmd(
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            help="The service database URL (postgresql://…): the roles of the state "
            "machine stored there now (default: the packaged state machine).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Print the KPI config of the service's event log (its state machine's roles) as YAML.

    ``servops kpi --service URL`` uses it when no -c is given; with it, ``servops kpi``
    reads an export of the service's events the same way:
    ``servops service kpi-config --service URL > service-kpi.yaml``.
    """
    from servops.service.events import (
        service_kpi_config,
        service_kpi_yaml,
        service_state_machine,
    )

    machine = None if service is None else service_state_machine(service)
    emit(
        service_kpi_config(machine).to_dict(),
        as_json=json,
        render=lambda _c: typer.echo(service_kpi_yaml(machine), nl=False),
    )


def migrate_cmd(
    database_url: DatabaseUrlOpt = None, data_dir: DataDirOpt = _DEFAULT_DIR
) -> None:
    """Bring the service database's schema to the newest revision."""
    with service_database(database_url, data_dir) as u:
        console.print(f"schema up to date: {_mask(u)}")


@log_command
def import_cmd(
    log: EventLog,
    database_url: DatabaseUrlOpt = None,
    data_dir: DataDirOpt = _DEFAULT_DIR,
    json: JsonOpt = False,
) -> None:
    """Import a log's history: each case becomes a ticket with its chained events.

    The ticket number is the case id; channel, priority and category attributes fill
    those fields, other attributes go into the ticket's attributes. All or nothing.
    """
    from servops.service.tickets import import_log

    with service_database(database_url, data_dir) as u:
        result = import_log(u, log)
    emit(
        result.to_dict(),
        as_json=json,
        render=lambda c: c.print(
            f"imported {result.tickets:,} tickets with {result.events:,} events "
            f"in {result.seconds:.1f} s"
        ),
    )


def _key(key_file: Path | None, data_dir: Path, *, create: bool) -> bytes:
    from servops.service.audit import KEY_FILE, load_key

    return load_key(key_file or Path(data_dir) / KEY_FILE, create=create)


def verify(
    database_url: DatabaseUrlOpt = None,
    data_dir: DataDirOpt = _DEFAULT_DIR,
    key_file: KeyFileOpt = None,
    json: JsonOpt = False,
) -> None:
    """Recompute every ticket's hash chain and every signed checkpoint.

    Exits with code 1 naming the first broken ticket and event (or checkpoint).
    """
    from servops.service.audit import verify as run

    key = _key(key_file, data_dir, create=False)
    with service_database(database_url, data_dir) as u:
        report = run(u, key=key)

    def render(c: Any) -> None:  # noqa: ANN401
        head = (
            f"{report.n_tickets:,} tickets, {report.n_events:,} events, "
            f"{report.n_checkpoints} checkpoints"
        )
        if report.ok:
            c.print(f"audit trail verifies: {head}")
            return
        err_console.print(f"[bold red]audit trail BROKEN[/] ({head})")
        for b in report.breaks[:20]:
            err_console.print(f"  {b}", highlight=False)
        if len(report.breaks) > 20:
            err_console.print(f"  … and {len(report.breaks) - 20} more")

    emit(report.to_dict(), as_json=json, render=render)
    if not report.ok:
        if json:
            err_console.print(
                f"audit trail broken: {report.breaks[0]}", highlight=False
            )
        raise typer.Exit(1)


def checkpoint(
    database_url: DatabaseUrlOpt = None,
    data_dir: DataDirOpt = _DEFAULT_DIR,
    key_file: KeyFileOpt = None,
    json: JsonOpt = False,
) -> None:
    """Sign the current head of every ticket's chain (a checkpoint)."""
    from servops.service.audit import checkpoint as write
    from servops.service.db import make_engine, make_sessionmaker

    key = _key(key_file, data_dir, create=True)
    with service_database(database_url, data_dir) as u:
        engine = make_engine(u)
        try:
            with make_sessionmaker(engine)() as s, s.begin():
                result = write(s, key)
        finally:
            engine.dispose()
    emit(
        result.to_dict(),
        as_json=json,
        render=lambda c: c.print(
            f"checkpoint {result.id}: {result.n_tickets:,} tickets, "
            f"{result.n_events:,} events"
        ),
    )


def register(app: typer.Typer) -> None:
    """Add the ``service`` and ``audit`` command groups to ``app``."""
    svc = typer.Typer(
        no_args_is_help=True,
        help="The work-order service's database: start, stop, status, url, migrate, "
        "import history, the KPI config of its log.",
    )
    svc.command("start")(start)
    svc.command("stop")(stop)
    svc.command("status")(status)
    svc.command("url")(url)
    svc.command("migrate")(migrate_cmd)
    svc.command("kpi-config")(kpi_config_cmd)
    svc.command("import")(import_cmd)
    app.add_typer(svc, name="service")
    audit = typer.Typer(
        no_args_is_help=True,
        help="The service's tamper-evident audit trail: verify it, sign a checkpoint.",
    )
    audit.command("verify")(verify)
    audit.command("checkpoint")(checkpoint)
    app.add_typer(audit, name="audit")
