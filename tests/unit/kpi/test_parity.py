"""Lead- and resolution-time statistics equal an independent pandas computation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

import servops as so
from servops.io import read_xes_arrow
from servops.kpi import compute_kpis
from servops.kpi.config import config_from_dict
from tests.paths import shared_log

if TYPE_CHECKING:
    from collections.abc import Callable

STATS: dict[str, Callable[[pd.Series], float]] = {
    "mean": lambda s: float(s.mean()),
    "median": lambda s: float(s.median()),
    "p90": lambda s: float(s.quantile(0.9)),
}


def _pandas_durations(
    df: pd.DataFrame,
    case: str,
    act: str,
    ts: str,
    *,
    closed: list[str],
    resolved: list[str],
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per case: seconds from the first event to the last close / last resolution."""
    arrived = df.groupby(case)[ts].min()
    cl = df[df[act].isin(closed)].groupby(case)[ts].max()
    rs = df[df[act].isin(resolved)].groupby(case)[ts].max()
    lead = (cl - arrived.reindex(cl.index)).dt.total_seconds()
    res = (rs - arrived.reindex(rs.index)).dt.total_seconds()
    return lead, res, cl


def _check(row: dict[str, Any], lead: pd.Series, res: pd.Series) -> None:
    for stat, f in STATS.items():
        assert row[f"lead_time_{stat}_s"] == pytest.approx(f(lead), rel=1e-9), stat
        assert row[f"resolution_time_{stat}_s"] == pytest.approx(f(res), rel=1e-9), stat
    assert row["closed"] == lead.size
    assert row["resolved"] == res.size


def test_helpdesk_matches_pandas():
    path = shared_log("helpdesk.xes.gz")
    df = read_xes_arrow(path).to_pandas()
    closed, resolved = ["Closed"], ["Resolve ticket"]
    lead, res, cl = _pandas_durations(
        df,
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        closed=closed,
        resolved=resolved,
    )
    log = so.read_log(path)
    cfg = config_from_dict({"activities": {"closed": closed, "resolved": resolved}})
    _check(compute_kpis(log, cfg, by=None).to_pylist()[0], lead, res)
    assert (
        compute_kpis(log, cfg, by=None).to_pylist()[0]["cases"]
        == df["case:concept:name"].nunique()
    )

    # per month of closing (UTC), medians agree too
    by_month = lead.groupby(cl.dt.strftime("%Y-%m-01")).median()
    rows = {r["period"]: r for r in compute_kpis(log, cfg, by="month").to_pylist()}
    for month, med in by_month.items():
        assert rows[month]["lead_time_median_s"] == pytest.approx(med, rel=1e-9)


def test_bpic2013_incidents_matches_pandas():
    path = shared_log("bpic2013_incidents.xes.gz")
    df = read_xes_arrow(path).to_pandas()
    df["act"] = df["concept:name"] + "+" + df["lifecycle:transition"]
    closed, resolved = ["Completed+Closed"], ["Completed+Resolved"]
    lead, res, _ = _pandas_durations(
        df,
        "case:concept:name",
        "act",
        "time:timestamp",
        closed=closed,
        resolved=resolved,
    )
    log = so.read_log(
        path, columns=so.ColumnMap(activity="concept:name+lifecycle:transition")
    )
    cfg = config_from_dict({"activities": {"closed": closed, "resolved": resolved}})
    _check(compute_kpis(log, cfg, by=None).to_pylist()[0], lead, res)


def test_helpdesk_segments_match_pandas():
    path = shared_log("helpdesk.xes.gz")
    df = read_xes_arrow(path).to_pandas()
    log = so.read_log(path)
    cfg = config_from_dict({"activities": {"closed": "Closed"}})
    first = df.sort_values("time:timestamp").groupby("case:concept:name").first()
    lead, _, _ = _pandas_durations(
        df,
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        closed=["Closed"],
        resolved=[],
    )
    seg = first["seriousness"].reindex(lead.index)
    expected = lead.groupby(seg).median()
    got = {
        r["segment"]: r["lead_time_median_s"]
        for r in compute_kpis(log, cfg, by=None, segment="seriousness").to_pylist()
    }
    assert set(got) == set(expected.index)
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-9)
    assert isinstance(expected, pd.Series)
