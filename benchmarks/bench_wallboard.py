"""The supervisor wallboard with 5,000 open tickets (issue 18 goal: renders in under 1 s).

Loads N open tickets (``bench_service_tick.load``: each with its creation event and a
first-response and a resolution timer; some warned, some breached) into a private
embedded PostgreSQL, spreads them over 4 groups and 20 agents with capacities, and
times:

* ``wallboard_figures`` (the two SQL statements) — the data part;
* ``GET /app/wallboard`` on a real uvicorn server (HTTP round trip: figures and the
  rendered page), median of ``--repeat``;
* with Playwright on Debian Chromium: navigation to ``/app/wallboard`` until the tiles
  and both tables are rendered (``load`` event; HTMX has run), median of ``--repeat``.

With ``--under-load`` the three are measured again while
``benchmarks/bench_service_load.py --no-crash`` drives its own service (100 clients,
200 writes/s) on the same machine, and the wallboard's own server takes writes from a
background writer (creates, about 20/s) at the same time.

    python -m benchmarks.bench_wallboard [--tickets 5000] [--repeat 7] [--under-load]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_service_tick import RUNNING, load

ROOT = Path(__file__).resolve().parents[1]
DEMO_KPI = ROOT / "src" / "servops" / "demo" / "kpi.yaml"
PASSWORD = "pw-bench-123"
PG_PIDS: list[int] = []  # the embedded PostgreSQL (main sets it)
NO_BROWSER = False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def staff(url: str, n_tickets: int) -> None:
    """4 groups, 20 agents (capacity 300), a supervisor; tickets spread over them."""
    from sqlalchemy import text

    from servops.service import access
    from servops.service.db import make_engine

    engine = make_engine(url, app_role=False)
    pw = access.hash_password(PASSWORD)
    with engine.begin() as c:
        sup = c.execute(
            text(
                "INSERT INTO users (email, name, role, password_hash, active, skills) "
                "VALUES ('sup@bench.test', 'Supervisor', 'supervisor', :pw, true, "
                "'{}') RETURNING id"
            ),
            {"pw": pw},
        ).scalar_one()
        for g in range(4):
            gid = c.execute(
                text(
                    "INSERT INTO groups (name, supervisor_id) VALUES (:n, :s) "
                    "RETURNING id"
                ),
                {"n": f"Group {g + 1}", "s": sup},
            ).scalar_one()
            for a in range(5):
                uid = c.execute(
                    text(
                        "INSERT INTO users (email, name, role, password_hash, active, "
                        "skills, capacity) VALUES (:e, :n, 'agent', :pw, true, '{}', "
                        "300) RETURNING id"
                    ),
                    {
                        "e": f"a{g}{a}@bench.test",
                        "n": f"Agent {g + 1}.{a + 1}",
                        "pw": pw,
                    },
                ).scalar_one()
                c.execute(
                    text("INSERT INTO group_members VALUES (:g, :u)"),
                    {"g": gid, "u": uid},
                )
        # ticket i -> group i % 4; 90 % assigned to one of its group's agents
        c.execute(
            text(
                "UPDATE tickets t SET group_id = g.id, assignee_id = CASE "
                "WHEN t.id % 10 = 0 THEN NULL ELSE (SELECT m.user_id FROM group_members "
                "m WHERE m.group_id = g.id ORDER BY m.user_id "
                "OFFSET (t.id / 4) % 5 LIMIT 1) END "
                "FROM groups g WHERE g.name = 'Group ' || ((t.id % 4) + 1)"
            )
        )
        c.execute(text("ANALYZE"))
    engine.dispose()
    assert n_tickets > 0


class Server:
    """The service app on uvicorn in a thread (clock fixed at the loaded data's 'now')."""

    def __init__(self, url: str) -> None:
        import uvicorn

        from servops.api import ServiceSettings, create_app

        self.port = _free_port()
        settings = ServiceSettings(
            database_url=url,
            secret_key=b"bench-wallboard-key-" * 2,
            now=lambda: RUNNING + timedelta(minutes=5),
            sla_config=DEMO_KPI,
            public_url=f"http://127.0.0.1:{self.port}",
            pool_size=10,
        )
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/app/login", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        msg = "the wallboard server did not start"
        raise RuntimeError(msg)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    r = client.post(
        "/app/login", data={"email": "sup@bench.test", "password": PASSWORD}
    )
    assert r.status_code == 303, r.text
    return client


def time_figures(url: str, repeat: int) -> float:
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.wallboard import wallboard_figures

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    times = []
    for _ in range(repeat):
        with factory() as s:
            t = time.perf_counter()
            fig = wallboard_figures(s, RUNNING + timedelta(minutes=5))
            times.append(time.perf_counter() - t)
    engine.dispose()
    assert fig.totals["open"] > 0
    return statistics.median(times)


def time_http(client: httpx.Client, repeat: int) -> tuple[float, dict[str, Any]]:
    from benchmarks.bench_service_load import cpu_by_pid, cpu_used

    times = []
    size = 0
    cpu0, pg0 = time.process_time(), cpu_by_pid(PG_PIDS)
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get("/app/wallboard")
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text[:300]
        size = len(r.content)
    cpu, pg = time.process_time() - cpu0, cpu_used(pg0, cpu_by_pid(PG_PIDS))
    # the board's figures are reused while nothing changes (servops.web.wallboard):
    # the first request after a change computes them, the others mostly reuse them
    return statistics.median(times), {
        "bytes": size,
        "http_max_s": max(times),
        # CPU seconds per GET: this process (the uvicorn thread and the client) and
        # PostgreSQL (its processes): wall time means little on a host at load 20-40
        "http_cpu_s": cpu / repeat,
        "http_pg_cpu_s": pg / repeat,
        "load_average": round(os.getloadavg()[0], 1),
    }


def time_browser(base: str, repeat: int) -> tuple[float, float] | None:
    """Median seconds to the rendered board (tiles and tables visible), and to ``load``."""
    exe = shutil.which("chromium")
    if exe is None:
        print("no Debian chromium: browser timing skipped")
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exe, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/app/login")
        page.fill("input[name=email]", "sup@bench.test")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        rendered, loaded = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            page.goto(f"{base}/app/wallboard", wait_until="domcontentloaded")
            page.wait_for_selector("#agents-h", state="visible")
            rendered.append(time.perf_counter() - t)
            page.wait_for_load_state("load")
            print(f"  browser: rendered {rendered[-1]:.3f} s", flush=True)
            loaded.append(time.perf_counter() - t)
        page.screenshot(path=str(ROOT / "benchmarks" / "_data" / "wallboard-5000.png"))
        browser.close()
    return statistics.median(rendered), statistics.median(loaded)


def writer(base: str, stop: threading.Event, counter: list[int]) -> None:
    """Creates tickets through the API as the supervisor, about 20 a second."""
    client = login(base)
    csrf = client.cookies.get("servops_csrf") or ""
    while not stop.is_set():
        r = client.post(
            "/tickets",
            json={"subject": "load", "priority": "P3"},
            headers={"X-CSRF-Token": csrf},
        )
        if r.status_code == 201:
            counter[0] += 1
        time.sleep(0.05)


def measure(url: str, base: str, repeat: int) -> dict[str, Any]:
    client = login(base)
    client.get("/app/wallboard")  # warm: templates, first connections
    t = time.perf_counter()
    r = client.get("/app/wallboard/analytics")  # computed once, then cached
    analytics = time.perf_counter() - t
    assert r.status_code == 200, r.text[:300]
    figures = time_figures(url, repeat)
    http, extra = time_http(client, repeat)
    browser = None if NO_BROWSER else time_browser(base, repeat)
    rendered, loaded = browser if browser is not None else (None, None)
    return {
        "figures_s": figures,
        "http_s": http,
        "browser_rendered_s": rendered,
        "browser_load_s": loaded,
        "analytics_first_s": analytics,
        **extra,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--under-load", action="store_true")
    ap.add_argument(
        "--no-browser", action="store_true", help="skip the Chromium timing"
    )
    ap.add_argument(
        "--writer",
        action="store_true",
        help="measure again while a writer creates tickets (no bench_service_load)",
    )
    args = ap.parse_args()
    global NO_BROWSER
    NO_BROWSER = args.no_browser
    from servops.service import embedded
    from servops.service.db import migrate

    tmp = Path(tempfile.mkdtemp(prefix="servops-bench-wb-"))
    tmp.chmod(0o755)
    (ROOT / "benchmarks" / "_data").mkdir(exist_ok=True)
    pg = embedded.start(tmp, durable=False)
    url = pg.url()
    PG_PIDS.append(pg.pid)
    server = None
    try:
        migrate(url)
        t = time.perf_counter()
        load(url, args.tickets)
        staff(url, args.tickets)
        print(
            f"loaded {args.tickets:,} open tickets in {time.perf_counter() - t:.1f} s"
        )
        server = Server(url)
        quiet = measure(url, server.base, args.repeat)
        print(
            "quiet:",
            {k: round(v, 4) if isinstance(v, float) else v for k, v in quiet.items()},
        )
        if args.writer:
            stop = threading.Event()
            created = [0]
            w = threading.Thread(target=writer, args=(server.base, stop, created))
            w.start()
            try:
                time.sleep(2)
                t0 = time.perf_counter()
                busy = measure(url, server.base, args.repeat)
                span = time.perf_counter() - t0
            finally:
                stop.set()
                w.join()
            print(
                "with a writer:",
                {
                    k: round(v, 4) if isinstance(v, float) else v
                    for k, v in busy.items()
                },
                f"({created[0]} creates in {span:.1f} s)",
            )
        if args.under_load:
            log_path = tmp / "bench_service_load.log"
            log_file = log_path.open("w")
            load_proc = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.bench_service_load", "--no-crash",
                 "--seconds", "60"],
                cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
            )  # fmt: skip
            stop = threading.Event()
            created = [0]
            w = threading.Thread(target=writer, args=(server.base, stop, created))
            try:
                time.sleep(25)  # bench_service_load starts its server and its clients
                w.start()
                t0 = time.perf_counter()
                busy = measure(url, server.base, args.repeat)
                span = time.perf_counter() - t0
            finally:
                stop.set()
                if w.is_alive():
                    w.join()
                load_proc.wait(timeout=600)
                log_file.close()
                out = log_path.read_text()
            print(
                "under load:",
                {
                    k: round(v, 4) if isinstance(v, float) else v
                    for k, v in busy.items()
                },
                f"(own writer: {created[0]} creates in {span:.1f} s)",
            )
            print("bench_service_load during it:")
            print("\n".join(out.strip().splitlines()[-8:]))
    finally:
        if server is not None:
            server.stop()
        embedded.stop(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
