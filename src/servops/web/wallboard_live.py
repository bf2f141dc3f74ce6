"""Analyses of the live event log for the wallboard and the scorecard page, cached.

The live log is the service's events read as an event log
(:func:`servops.service.events.read_service_log`); its KPI config is the SLA timers' own
(:func:`live_config`: the stored SLA and state-machine versions in force, as the timers
use them). A cached result is named with those versions, so a newly stored version is
read at the next request. What the wallboard shows from it reuses the library: arrivals today against
:mod:`servops.forecast` (fitted on the days before today), the control-chart alerts of
:func:`servops.spc.alerts.log_alerts`, the report's process map
(:func:`servops.report.process_map.render_svg`) of the last 7 days, the full report
(:func:`servops.report.builder.render_report`) and :func:`servops.kpi.scorecard`.

Each result is cached per app under a name with the newest event id it was computed
at: it is recomputed when the log has changed **and** the entry is older than its
time-to-live (the report: 5 minutes; the scorecards: at once, so a new rating shows).
One computation per name runs at a time; others wait for it.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from servops.errors import LogSchemaError, ServopsError

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    import pyarrow as pa
    from fastapi import FastAPI
    from sqlalchemy.orm import Session

    from servops.api.settings import ServiceSettings
    from servops.kpi import KpiConfig
    from servops.kpi.scorecards import ScorecardResult
    from servops.log import EventLog
    from servops.service.timers import TimerConfig
    from servops.spc.alerts import Alert

__all__ = [
    "ANALYTICS_TTL_S",
    "REPORT_TTL_S",
    "Analytics",
    "ArrivalsToday",
    "cached",
    "config_tag",
    "live_analytics",
    "live_config",
    "live_report",
    "live_scorecard",
]

T = TypeVar("T")
ANALYTICS_TTL_S = 60.0
REPORT_TTL_S = 300.0


@dataclass
class _Entry:
    key: Hashable
    made: float
    value: Any


@dataclass
class _Cache:
    entries: dict[str, _Entry] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)


def _cache_of(app: FastAPI) -> _Cache:
    cache = getattr(app.state, "wallboard_cache", None)
    if cache is None:
        cache = _Cache()
        app.state.wallboard_cache = cache
    return cache


def cached(
    app: FastAPI,
    name: str,
    key: Hashable,
    ttl_s: float,
    make: Callable[[], T],
    *,
    max_age_s: float | None = None,
    valid: Callable[[T], bool] | None = None,
) -> T:
    """``make()``'s value, reused while ``key`` is unchanged or it is younger than ``ttl_s``.

    Never reused once older than ``max_age_s``, nor when ``valid(value)`` is false.
    """
    cache = _cache_of(app)
    with cache.guard:
        lock = cache.locks.setdefault(name, threading.Lock())
    with lock:
        entry = cache.entries.get(name)
        age = None if entry is None else time.monotonic() - entry.made
        if (
            entry is not None
            and age is not None
            and (entry.key == key or age < ttl_s)
            and (max_age_s is None or age < max_age_s)
            and (valid is None or valid(entry.value))
        ):
            return entry.value  # type: ignore[no-any-return]
        value = make()
        cache.entries[name] = _Entry(key, time.monotonic(), value)
        return value


def live_config(settings: ServiceSettings, session: Session) -> KpiConfig:
    """The live log's KPI config: the SLA timers' (policies + state-machine roles).

    The policies are the newest stored SLA version's (else the SLA file's), the activity
    roles and pauses those of the state machine in force
    (:func:`servops.service.config_store.live_timer_config`); without an SLA file, the
    state machine's roles alone. The file is parsed once per version of it (the YAML
    costs about 25 ms, on every wallboard refresh otherwise).
    """
    from servops.service.config_store import live_state_machine, live_timer_config

    if settings.sla_config is not None:
        esc = settings.escalation
        base = _timer_base(
            str(settings.sla_config),
            settings.sla_config.stat().st_mtime_ns,
            None if esc is None else str(esc),
            None if esc is None else esc.stat().st_mtime_ns,
        )
        return live_timer_config(session, base)[0].kpi
    return live_state_machine(session).kpi_config()


def config_tag(session: Session) -> str:
    """Names the stored SLA and state-machine versions in force (a cache name part)."""
    from servops.service.config_store import latest_id, live_state_machine

    return f"sla {latest_id(session, 'sla')}, {live_state_machine(session).source}"


@functools.lru_cache(maxsize=8)
def _timer_base(
    sla: str, _sla_version: int, escalation: str | None, _esc_version: int | None
) -> TimerConfig:
    from pathlib import Path

    from servops.api.sla import timer_config

    return timer_config(Path(sla), None if escalation is None else Path(escalation))


def _live_log(settings: ServiceSettings) -> EventLog:
    from servops.service.events import read_service_log

    return read_service_log(settings.database_url)


@dataclass(frozen=True)
class ArrivalsToday:
    """Tickets arrived today so far against the forecast for the same hours and the day."""

    actual: int
    expected_so_far: float | None
    expected_day: float | None
    model: str | None
    note: str | None = None


@dataclass(frozen=True)
class Analytics:
    """The wallboard's analyses of the live log."""

    arrivals: ArrivalsToday
    alerts: list[Alert]
    process_map_svg: str | None
    computed_at: datetime
    notes: list[str] = field(default_factory=list)


def _arrivals_today(log: EventLog, now: datetime, timezone: str) -> ArrivalsToday:
    from zoneinfo import ZoneInfo

    from servops.forecast.arrivals import arrival_counts, forecast_arrivals

    series = arrival_counts(log, interval="1h", timezone=timezone)
    local_now = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    step = series.interval
    k = max(0, math.ceil((day_start - series.start) / step))
    today = series.counts[min(k, len(series)) :]
    hours_so_far = math.floor((local_now - day_start) / step) + 1
    actual = int(today[:hours_so_far].sum())
    history = series.slice(0, min(k, len(series)))
    days = len(history) * step / timedelta(days=1)
    if days < 7:
        return ArrivalsToday(
            actual,
            None,
            None,
            None,
            f"forecast needs a week of history before today; the log has {days:.1f} days",
        )
    model: Literal["mstl", "seasonal_naive"] = (
        "mstl" if days >= 14 else "seasonal_naive"
    )
    hist_end = history.start + step * len(history)
    horizon = math.ceil((day_start + timedelta(days=1) - hist_end) / step)
    fc = forecast_arrivals(history, max(horizon, 1), model=model)
    offset = round((day_start - fc.start) / step)
    day = fc.mean[max(offset, 0) : max(offset, 0) + 24]
    return ArrivalsToday(
        actual,
        float(day[:hours_so_far].sum()),
        float(day.sum()),
        model,
        None,
    )


def live_analytics(
    settings: ServiceSettings, now: datetime, cfg: KpiConfig
) -> Analytics:
    """Forecast vs arrivals today, control-chart alerts of the last 7 days, process map.

    ``cfg``: the live log's KPI config (:func:`live_config`, read in the request).
    """
    from servops.log.filters import time_window
    from servops.report.process_map import process_map_data, render_svg
    from servops.spc.alerts import log_alerts

    notes: list[str] = []
    try:
        log = _live_log(settings)
    except LogSchemaError as exc:  # no events yet
        return Analytics(ArrivalsToday(0, None, None, None, str(exc)), [], None, now)
    try:
        arrivals = _arrivals_today(log, now, cfg.timezone)
    except ServopsError as exc:
        arrivals = ArrivalsToday(0, None, None, None, str(exc))
    alerts: list[Alert] = []
    try:
        alerts = log_alerts(log, config=cfg, by="day", since=now - timedelta(days=7))
    except ServopsError as exc:
        notes.append(f"control charts: {exc}")
    svg: str | None = None
    recent = time_window(log, now - timedelta(days=7), None, mode="intersecting")
    if recent.n_cases():
        data = process_map_data(recent)
        svg = render_svg(data, activities=min(12, len(data.nodes)), paths=0.4)
        svg = svg.split("?>", 1)[-1] if svg.startswith("<?xml") else svg
    return Analytics(arrivals, alerts[:12], svg, now, notes)


def live_report(settings: ServiceSettings, lang: str, cfg: KpiConfig) -> str:
    """The full HTML report of the live log (``cfg``: its KPI config, :func:`live_config`)."""
    from servops.report.builder import ReportContext, render_report

    log = _live_log(settings)
    ctx = ReportContext(
        log=log,
        lang="zh" if lang == "zh" else "en",
        title="服务运营报告（实时）" if lang == "zh" else "Service report (live)",
        extras={"kpi_config": cfg},
    )
    return render_report(ctx)


def survey_ratings(session: Session) -> pa.Table:
    """The service's answered surveys as ``case_id`` and ``score`` (CSAT 1–5)."""
    import pyarrow as pa

    from servops.service.surveys import survey_answers

    t = survey_answers(session)
    return pa.table(
        {
            "case_id": t.column("case_id"),
            "score": t.column("csat").cast(pa.float64()),
        }
    )


def live_scorecard(
    settings: ServiceSettings, session: Session, *, by: str = "agent"
) -> ScorecardResult:
    """Scorecards of the live log (on time against the SLA timers' policies, CSAT)."""
    from servops.kpi.scorecards import scorecard

    return scorecard(
        _live_log(settings),
        live_config(settings, session),
        by="team" if by == "team" else "agent",
        team_column="group" if by == "team" else None,
        ratings=survey_ratings(session),
    )
