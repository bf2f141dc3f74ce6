"""Parity with PM4Py (test extra) on the real complete-only logs, and interval logs.

PM4Py is read the way its documentation says: ``read_xes`` or pandas, then
``format_dataframe`` (which sorts by case, timestamp and row index, so equal timestamps
keep file order, as servops does). Sepsis has a case whose id is the string ``NA``:
pandas needs ``keep_default_na=False`` to keep it.
"""

from __future__ import annotations

import math

import pytest

import servops as so
from tests.paths import shared_log

pm4py = pytest.importorskip("pm4py")
pd = pytest.importorskip("pandas")

LOGS = [
    "running-example.xes",
    "helpdesk.xes.gz",
    "receipt.xes.gz",
    "sepsis.csv.gz",
    "traffic_fines_10k.csv.gz",
    "bpic2013_incidents.xes.gz",
    "bpic2013_closed_problems.xes.gz",
]


def _pm4py_frame(name):
    path = shared_log(name)
    fmt = {
        "case_id": "case:concept:name",
        "activity_key": "concept:name",
        "timestamp_key": "time:timestamp",
    }
    if name.endswith((".xes", ".xes.gz")):
        return pm4py.format_dataframe(pm4py.read_xes(str(path)), **fmt)
    if name.startswith("sepsis"):
        df = pd.read_csv(path, sep=";", keep_default_na=False, dtype=str)
        df["Complete Timestamp"] = pd.to_datetime(
            df["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f"
        )
        return pm4py.format_dataframe(
            df,
            case_id="Case ID",
            activity_key="Activity",
            timestamp_key="Complete Timestamp",
        )
    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return pm4py.format_dataframe(
        df, case_id="case_id", activity_key="activity", timestamp_key="timestamp"
    )


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", LOGS)
def test_dfg_variants_match_pm4py(name):
    df = _pm4py_frame(name)
    pm_dfg, pm_sa, pm_ea = pm4py.discover_dfg(df)
    pm_perf, _, _ = pm4py.discover_performance_dfg(df)
    pm_var = pm4py.get_variants(df)

    log = so.read_log(shared_log(name))
    dfg = so.mining.discover_dfg(log)
    assert dfg.frequencies() == dict(pm_dfg)
    assert dfg.start_activities == dict(pm_sa)
    assert dfg.end_activities == dict(pm_ea)
    for e in dfg.edges:
        p = pm_perf[(e.source, e.target)]
        assert _close(e.mean_s, p["mean"]), (e, p)
        assert _close(e.median_s, p["median"]), (e, p)
        assert _close(e.min_s, p["min"])
        assert _close(e.max_s, p["max"])
    v = so.mining.variants(log)
    assert v.counts() == {tuple(k): int(c) for k, c in pm_var.items()}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", ["interval_event_log.csv.gz", "production.csv.gz"])
def test_interval_logs_match_pm4py_performance_dfg(name):
    """With a ``start_timestamp`` column PM4Py measures end → next start, as we do.

    Where the next activity started before the previous one ended (overlap), PM4Py
    reports a negative time; servops counts 0 (no wait). So the means agree on edges
    without overlap, and ours are never below PM4Py's.
    """
    df = pd.read_csv(shared_log(name), keep_default_na=False, dtype=str)
    for c in ("start_timestamp", "time:timestamp"):
        df[c] = pd.to_datetime(df[c], utc=True)
    df = pm4py.format_dataframe(
        df,
        case_id="case:concept:name",
        activity_key="concept:name",
        timestamp_key="time:timestamp",
        start_timestamp_key="start_timestamp",
    )
    pm_perf, _, _ = pm4py.discover_performance_dfg(df)
    pm_dfg, _, _ = pm4py.discover_dfg(df)
    dfg = so.mining.discover_dfg(so.read_log(shared_log(name)))
    assert dfg.frequencies() == dict(pm_dfg)
    overlapping = 0
    for e in dfg.edges:
        p = pm_perf[(e.source, e.target)]
        assert e.min_s >= 0
        if p["min"] >= 0:
            assert _close(e.mean_s, p["mean"]), (e, p)
            assert _close(e.median_s, p["median"]), (e, p)
        else:
            overlapping += 1
            assert e.mean_s >= p["mean"]
    assert overlapping < len(dfg.edges)
