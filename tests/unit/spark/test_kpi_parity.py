"""KPIs, SLA business time, arrivals and root causes: the same on Spark as on DuckDB.

Each shared log gets a KPI config with SLA policies on a business calendar (with
holidays, in the log's own zone) and, where the log has waiting steps, pauses: the SLA
arithmetic (``kpi.cases.sla_metrics``, numpy) then runs on Spark's Python workers as an
Arrow UDF (:meth:`SparkEventLog.map_cases`), and must give DuckDB's figures. Counts are
equal exactly, durations to 1e-9 relative; quantiles are ``quantile_cont`` on DuckDB and
``percentile`` on Spark (linear interpolation between closest ranks, one method).

What runs where: the per-case pass over the instances and the KPI aggregation of a
config without SLA policies are Spark SQL; the SLA arithmetic runs in Spark's workers;
the per-period grid of ``compute_kpis`` with SLA, ``sla_report`` and the tests of
``root_causes`` take the per-case rows on the driver (small data), while the root-cause
factor counts are Spark SQL again.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.forecast.arrivals import arrival_counts
from servops.kpi.calendar import BusinessCalendar
from servops.kpi.config import KpiConfig, Pause, SlaPolicy, load_config
from servops.log.export import write_parquet
from tests.unit.spark.conftest import log_params
from tests.unit.spark.test_parity import assert_same, plain

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pyarrow as pa

    from servops.log.spark import SparkEventLog

    Both = Callable[[str], tuple[so.EventLog, SparkEventLog]]

DEMO_CONFIG = "src/servops/demo/kpi.yaml"


def _office(zone: str, holidays: list[str]) -> BusinessCalendar:
    return BusinessCalendar.from_spec(
        {
            "timezone": zone,
            "hours": {"mon-fri": "08:00-18:00", "sat": "09:00-12:00"},
            "holidays": holidays,
        },
        name="office",
    )


def _with_sla(
    cfg: KpiConfig,
    *,
    zone: str,
    holidays: list[str],
    split: tuple[str, str] | None,
    response_h: float,
    resolution_h: float,
    **changes: Any,
) -> KpiConfig:
    """``cfg`` with SLA policies on an office calendar, in ``zone``, and ``changes``.

    With ``split`` = (attribute, value): a tight policy (half the targets, office
    hours) for those cases, and a standard one around the clock for the rest;
    without, one standard policy on office hours.
    """
    office = _office(zone, holidays)
    response_s, resolution_s = response_h * 3600.0, resolution_h * 3600.0
    if split is None:
        policies: tuple[SlaPolicy, ...] = (
            SlaPolicy("standard", (), response_s, resolution_s, office),
        )
    else:
        tight = SlaPolicy(
            "tight",
            ((split[0], (split[1],)),),
            response_s / 2,
            resolution_s / 2,
            office,
        )
        policies = (tight, SlaPolicy("standard", (), response_s, resolution_s))
    return dataclasses.replace(
        cfg, calendars=(office,), policies=policies, timezone=zone, **changes
    )


#: Per log: the KPI config (SLA, pauses) and the segment to split by.
SETUPS: dict[str, Callable[[so.EventLog], tuple[KpiConfig, str]]] = {
    "helpdesk": lambda log: (
        _with_sla(
            load_config(None, log),  # guessed: Take in charge, Resolve, Closed, Wait
            zone="Europe/Rome",
            holidays=["2012-12-25", "2013-04-01", "2013-08-15"],
            split=("seriousness_2", "Value 1"),
            response_h=8,
            resolution_h=240,
        ),
        "seriousness_2",
    ),
    "bpic2012": lambda log: (
        _with_sla(
            load_config(None, log),
            zone="Europe/Amsterdam",
            holidays=["2011-12-25", "2011-12-26", "2012-01-01"],
            split=None,
            response_h=24,
            resolution_h=360,
            first_response=("A_PREACCEPTED",),
            resolved=("A_APPROVED", "A_DECLINED", "A_CANCELLED"),
            closed=("A_APPROVED", "A_DECLINED", "A_CANCELLED"),
        ),
        "sla_status",
    ),
    "bpic2013": lambda log: (
        _with_sla(
            load_config(None, log),
            zone="Europe/Brussels",
            holidays=["2011-12-26", "2012-04-09"],
            split=("impact", "High"),
            response_h=4,
            resolution_h=120,
            first_response=("Accepted",),
            resolved=("Completed",),
            pauses=(Pause(start=("Queued",), end=("Accepted",)),),
        ),
        "impact",
    ),
    "sepsis": lambda log: (
        _with_sla(
            load_config(None, log),
            zone="Europe/Amsterdam",
            holidays=["2014-12-25", "2015-01-01"],
            split=("InfectionSuspected", "true"),
            response_h=1,
            resolution_h=72,
            first_response=("ER Triage",),
            resolved=("IV Antibiotics",),
            closed=("Release A", "Release B", "Release C", "Release D", "Release E"),
            reopened=("Return ER",),
        ),
        "InfectionSuspected",
    ),
    "demo": lambda log: (load_config(DEMO_CONFIG, log), "priority"),
}


def _both(
    both_engines: Both, name: str
) -> tuple[so.EventLog, SparkEventLog, KpiConfig, str]:
    duck, spark = both_engines(name)
    cfg, segment = SETUPS[name](duck)
    return duck, spark, cfg, segment


_CASES: dict[str, tuple[pa.Table, pa.Table]] = {}


def _case_metrics(both_engines: Both, name: str) -> tuple[pa.Table, pa.Table]:
    """``case_metrics`` of ``name`` on DuckDB and on Spark, sorted (once per run)."""
    if name not in _CASES:
        duck, spark, cfg, _ = _both(both_engines, name)
        _CASES[name] = (
            so.kpi.case_metrics(duck, cfg).sort_by("case_id"),
            so.kpi.case_metrics(spark, cfg).sort_by("case_id"),
        )
    return _CASES[name]


@pytest.mark.parametrize("name", log_params(SETUPS))
def test_case_metrics_with_business_time_sla(both_engines: Both, name: str) -> None:
    duck, _, _, _ = _both(both_engines, name)
    a, b = _case_metrics(both_engines, name)
    assert a.column_names == b.column_names
    assert a.num_rows == duck.n_cases()
    statuses = set(a.column("sla_status").to_pylist())
    assert {"met", "breached"} <= statuses, statuses  # the SLA decides something
    business = a.column("resolution_elapsed_s").to_pylist()
    clock = a.column("resolution_time_s").to_pylist()
    # office hours: business time is below the clock time for some case
    assert any(
        b_ is not None and c is not None and b_ < c - 1
        for b_, c in zip(business, clock, strict=True)
    )
    assert_same(plain(a), plain(b), f"{name}.case_metrics")


@pytest.mark.parametrize("name", log_params(SETUPS))
def test_kpis_by_month_and_segment(both_engines: Both, name: str) -> None:
    duck, spark, cfg, segment = _both(both_engines, name)
    if segment.startswith("sla_"):
        # a segment the SLA arithmetic computes: case_metrics runs (UDF), then the grid
        kpis = [
            so.kpi.compute_kpis(log, cfg, by="month", segment=segment)
            for log in (duck, spark)
        ]
    else:
        # no SLA: the whole aggregation is one statement on the engine
        plain_cfg = dataclasses.replace(cfg, policies=())
        kpis = [
            so.kpi.compute_kpis(log, plain_cfg, by="month", segment=segment)
            for log in (duck, spark)
        ]
    assert kpis[0].num_rows > 1
    assert_same(plain(kpis[0]), plain(kpis[1]), f"{name}.kpis")


@pytest.mark.parametrize("name", log_params(SETUPS))
def test_sla_report_and_root_cause_counts(both_engines: Both, name: str) -> None:
    duck, spark, cfg, _ = _both(both_engines, name)
    cases = dict(zip(("duck", "spark"), _case_metrics(both_engines, name), strict=True))
    reports = [
        so.kpi.sla_report(log, cfg, cases=cases[k])
        for k, log in (("duck", duck), ("spark", spark))
    ]
    assert reports[0].covered > 0
    assert_same(plain(reports[0]), plain(reports[1]), f"{name}.sla_report")
    causes = [
        so.kpi.root_causes(log, "sla_breach", cfg, cases=cases[k])
        for k, log in (("duck", duck), ("spark", spark))
    ]
    total = reports[0].total
    assert causes[0].cases == total["met"] + total["breached"]  # the decided cases
    assert_same(plain(causes[0]), plain(causes[1]), f"{name}.root_causes")


def _arrivals(log: so.EventLog, interval: str) -> dict[str, Any]:
    s = arrival_counts(log, interval=interval)
    return {
        "start": s.start,
        "interval_s": s.interval_s,
        "timezone": s.timezone,
        "counts": s.counts.tolist(),
        "aht_s": None if s.aht_s is None else s.aht_s.tolist(),
    }


@pytest.mark.parametrize("name", log_params(SETUPS))
def test_arrivals_per_interval(both_engines: Both, name: str) -> None:
    duck, spark, _, _ = _both(both_engines, name)
    for interval in ("1h", "1d"):
        a = _arrivals(duck, interval)
        assert sum(a["counts"]) == duck.n_cases()
        assert_same(a, _arrivals(spark, interval), f"{name}.arrivals.{interval}")


def _without_source(value: Any) -> Any:
    """``value`` without its ``source`` keys (the log's label: '<Table>' vs the folder)."""
    if isinstance(value, dict):
        return {k: _without_source(v) for k, v in value.items() if k != "source"}
    if isinstance(value, list):
        return [_without_source(v) for v in value]
    return value


def test_cli_kpi_sla_forecast_why_with_engine_spark(
    both_engines: Both, tmp_path: Path
) -> None:
    """The commands on an export folder: --engine spark prints DuckDB's figures."""
    duck, _ = both_engines("demo")
    folder = tmp_path / "demo"
    write_parquet(duck, folder)
    runner = CliRunner()
    commands = [
        ["kpi", str(folder), "-c", DEMO_CONFIG, "--by", "month", "--json"],
        ["sla", str(folder), "-c", DEMO_CONFIG, "--json"],
        [
            "forecast",
            str(folder),
            "--interval",
            "1d",
            "--model",
            "seasonal_naive",
            "--no-backtest",
            "--json",
        ],
        ["why", str(folder), "-c", DEMO_CONFIG, "--json"],
    ]
    for args in commands:
        out = {}
        for engine in ("duckdb", "spark"):
            res = runner.invoke(app, [*args, "--engine", engine])
            assert res.exit_code == 0, f"{args[0]} {engine}: {res.output}"
            out[engine] = _without_source(json.loads(res.stdout))
        assert_same(out["duckdb"], out["spark"], f"cli.{args[0]}")
