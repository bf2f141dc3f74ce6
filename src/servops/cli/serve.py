"""``servops serve``: the work-order service (FastAPI on uvicorn), optionally with the demo.

With no ``--database-url`` it starts the embedded PostgreSQL of ``--data-dir`` (and stops
it again on exit if it was not running). ``--demo`` imports the demo's history into an
empty database and lets the digital twin work the desk through the API. The background
worker (webhook deliveries, SLA timers, audit checkpoints) runs in the same process unless
``--no-worker``; ``--worker`` runs only the worker.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import secrets
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from servops.cli._common import JsonOpt
from servops.cli._render import console, emit, err_console
from servops.cli.service import DatabaseUrlOpt, DataDirOpt, service_database
from servops.service.demo import DemoClock

__all__ = ["register", "serve"]

_DEFAULT_DIR = Path("servops-service")
ADMIN_EMAIL = "admin@localhost"
ADMIN_TOKEN_FILE = "admin-token"
DEMO_LOGINS_FILE = "demo-logins"
SESSION_KEY_FILE = "session.key"
DEMO_KPI = Path(__file__).parents[1] / "demo" / "kpi.yaml"


def _exit_on_term(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def bootstrap_admin(url: str, data_dir: Path) -> str | None:
    """Make the first admin (if there is none) and write their API token to the data dir.

    Returns the token file's path when a new admin was made, else None.
    """
    from sqlalchemy import select

    from servops.service import access
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.models import User

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            if (
                s.scalars(select(User.id).where(User.role == "admin")).first()
                is not None
            ):
                return None
            password = secrets.token_urlsafe(12)
            u = User(
                email=ADMIN_EMAIL,
                name="Administrator",
                role="admin",
                active=True,
                skills=[],
                password_hash=access.hash_password(password),
            )
            s.add(u)
            s.flush()
            _, token = access.create_token(
                s, u.id, scopes=access.SCOPES, expires_in=timedelta(days=365)
            )
            s.commit()
    finally:
        engine.dispose()
    path = data_dir / ADMIN_TOKEN_FILE
    _write_private(path, f"{token}\n# login: {ADMIN_EMAIL} / {password}\n")
    return str(path)


def _demo_thread(
    url: str,
    base: str,
    *,
    clock: DemoClock,
    stop: threading.Event,
    cases: int,
    speed: float,
    hours: float,
    seed: int,
    data_dir: Path,
) -> None:
    import httpx

    from servops.service import access, demo
    from servops.service.events import read_service_log

    try:
        password = secrets.token_urlsafe(9)
        setup, history = demo.seed_demo(
            url,
            cases=cases,
            seed=seed,
            now=lambda: clock.start,
            password_hash=access.hash_password(password),
        )
        logins = data_dir / DEMO_LOGINS_FILE
        _write_private(
            logins,
            f"# servops serve --demo: web app logins ({base}/app), password {password}\n"
            + "".join(f"{email}\t{role}\n" for email, role in setup.logins.items()),
        )
        err_console.print(
            f"demo: log in to {base}/app as any demo user (agents l1-01@demo.servops, "
            f"supervisor@demo.servops, customers…) with password {password}; the list "
            f"is in {logins}"
        )
        err_console.print(
            f"demo: {setup.imported_tickets:,} tickets of history imported; the twin is "
            f"learning the desk…"
            if setup.imported_tickets
            else "demo: reusing the service's tickets; the twin learns from its event log…"
        )
        now = clock.start
        actions = demo.twin_actions(
            history if history is not None else read_service_log(url),
            now=now,
            hours=hours,
            seed=seed,
        )
        err_console.print(
            f"demo: the twin replays {len(actions):,} events of the next {hours:g} h at "
            f"{speed:g}x through the API"
        )
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):  # wait for the server to listen
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if stop.wait(0.2):
                    return
            driver = demo.DemoDriver(client, setup, seed=seed)
            counts = driver.run(actions, stop=stop, clock=clock)
        err_console.print(f"demo: twin done: {counts}")
    except Exception as exc:  # the service keeps serving if the demo fails
        err_console.print(f"demo stopped: {type(exc).__name__}: {exc}")


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="TCP port.", min=1, max=65535)
    ] = 8000,
    database_url: DatabaseUrlOpt = None,
    data_dir: DataDirOpt = _DEFAULT_DIR,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Import the demo's history into an empty database and let the digital "
            "twin create and work tickets through the API.",
        ),
    ] = False,
    speed: Annotated[
        float,
        typer.Option(
            "--speed", help="Demo clock: twin seconds per real second.", min=1.0
        ),
    ] = 60.0,
    demo_cases: Annotated[
        int, typer.Option("--demo-cases", help="Tickets of demo history.", min=50)
    ] = 1500,
    demo_hours: Annotated[
        float,
        typer.Option("--demo-hours", help="Hours of twin activity to replay.", min=1),
    ] = 168.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the demo and the twin.")
    ] = 7,
    worker: Annotated[
        bool, typer.Option("--worker", help="Run only the background worker (no HTTP).")
    ] = False,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker", help="Do not run the background worker in this process."
        ),
    ] = False,
    sla_config: Annotated[
        Path | None,
        typer.Option(
            "--sla-config",
            help="KPI config YAML with SLA policies and calendars (as servops sla -c): "
            "tickets get SLA timers, the worker warns, breaches and escalates. --demo "
            "uses the demo's.",
            show_default=False,
        ),
    ] = None,
    escalation: Annotated[
        Path | None,
        typer.Option(
            "--escalation",
            help="Escalation rules YAML for the SLA timers.",
            show_default=False,
        ),
    ] = None,
    triage_model: Annotated[
        Path | None,
        typer.Option(
            "--triage-model",
            help="A trained ticket classifier (servops triage train): tickets show its "
            "suggested category and confidence.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="HTTP worker processes (each a uvicorn server with its own listening "
            "socket on the port, the kernel spreading connections evenly, and its own "
            "database pool of 20 connections; the background worker stays in this "
            "process). "
            "Not with --demo.",
            min=1,
            max=8,
        ),
    ] = 1,
    json: JsonOpt = False,
) -> None:
    """Run the work-order service (API, worker); --demo lets the digital twin work the desk.

    The API's docs are at /docs. With no --database-url the embedded PostgreSQL of
    --data-dir serves it. The first start makes an admin and writes their API token to
    DATA_DIR/admin-token.
    """
    import uvicorn

    from servops.api import ServiceSettings, create_app
    from servops.api.background import run_worker
    from servops.service.audit import KEY_FILE, load_key
    from servops.service.db import transport

    data_dir = Path(data_dir)
    if workers > 1 and (demo or worker):
        msg = (
            "--workers N (N > 1) serves the API from several processes: not with "
            "--demo (its clock lives in one process) nor --worker (no HTTP)."
        )
        raise typer.BadParameter(msg, param_hint="--workers")
    if sla_config is None and demo:
        sla_config = DEMO_KPI
    timers = None
    if sla_config is not None:
        from servops.api.sla import timer_config

        timers = timer_config(sla_config, escalation)
    with service_database(database_url, data_dir) as url:
        how, warning = transport(url)
        if warning is not None:
            err_console.print(f"[yellow]warning: {warning}[/]")
        audit_key = load_key(data_dir / KEY_FILE)
        stop = threading.Event()
        if worker:
            console.print("worker running (Ctrl-C stops it)")
            try:
                run_worker(url, stop=stop, audit_key=audit_key, timers=timers)
            except KeyboardInterrupt:
                stop.set()
            return
        made = bootstrap_admin(url, data_dir)
        base = f"http://{host}:{port}"
        clock = DemoClock(speed) if demo else None
        settings = ServiceSettings(
            database_url=url,
            secret_key=load_key(data_dir / SESSION_KEY_FILE),
            public_url=base,
            triage_model=triage_model,
            sla_config=sla_config,
            escalation=escalation,
            migrate=False,
        )
        if clock is not None:  # else the UTC wall clock
            settings = dataclasses.replace(settings, now=clock)
        threads: list[threading.Thread] = []
        if not no_worker:
            threads.append(
                threading.Thread(
                    target=run_worker,
                    args=(url,),
                    kwargs={
                        "stop": stop,
                        "audit_key": audit_key,
                        "timers": timers,
                        "now": clock,
                    },
                    name="servops-worker",
                    daemon=True,
                )
            )
        if demo:
            threads.append(
                threading.Thread(
                    target=_demo_thread,
                    args=(url, base),
                    kwargs={
                        "clock": clock,
                        "stop": stop,
                        "cases": demo_cases,
                        "speed": speed,
                        "hours": demo_hours,
                        "seed": seed,
                        "data_dir": data_dir,
                    },
                    name="servops-demo",
                    daemon=True,
                )
            )
        info: dict[str, Any] = {
            "url": base,
            "docs": f"{base}/docs",
            "web": f"{base}/app",
            "admin_token_file": made or str(data_dir / ADMIN_TOKEN_FILE),
            "worker": not no_worker,
            "http_workers": workers,
            "demo": demo,
            "database_connection": how,
        }
        emit(
            info,
            as_json=json,
            render=lambda c: c.print(
                f"servops service on {base}: web app {base}/app, API docs "
                f"{base}/docs. Admin token: "
                f"{info['admin_token_file']}" + (" (new)" if made else "") + ". "
                f"Database connection: {how}."
            ),
        )
        if workers > 1:
            # this process only supervises, ticks and delivers: what it holds after the
            # start-up is not traversed again (a full collection took 200-470 ms of a
            # core, mid-load); a single process freezes in the app's start-up instead
            gc.collect()
            gc.freeze()
        for th in threads:
            th.start()
        # uvicorn re-raises SIGTERM after its graceful shutdown; with this handler in place
        # that becomes SystemExit, so the worker and demo stop and the embedded server too
        signal.signal(signal.SIGTERM, _exit_on_term)
        try:
            if workers == 1:
                uvicorn.run(
                    create_app(settings, freeze_gc=True, warm_pool=True),
                    host=host,
                    port=port,
                    log_level="warning",
                )
            else:
                # each worker process starts afresh: the settings go through the
                # environment; the embedded PostgreSQL and the background worker stay here
                from servops.api.app import SETTINGS_ENV
                from servops.api.workers import run_workers

                os.environ[SETTINGS_ENV] = settings.to_environment()
                run_workers(
                    host,
                    port,
                    workers,
                    log_level="warning",
                    on_ready=lambda: err_console.print(
                        f"all {workers} HTTP processes are serving on {base}"
                    ),
                )
        finally:
            stop.set()
            for th in threads:
                th.join(timeout=10)


def register(app: typer.Typer) -> None:
    """Add ``servops serve``."""
    app.command("serve")(serve)
