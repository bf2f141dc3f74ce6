"""KPIs by week x segment on a 5M-event ticket log: servops vs the equivalent pandas groupby.

    /work/venv/bin/python benchmarks/bench_kpi.py [--events 5000000] [--repeat 3]

The log is the synthetic IT service desk of ``tests/unit/kpi/synth.py`` (demo activity
names; priorities, channels, reopen, escalation, waiting for the customer), generated
with numpy. Both sides start from data in memory (servops: an in-memory EventLog;
pandas: a DataFrame with categorical strings, the fast way to hold it) and compute the
same table: per week of the Europe/Amsterdam calendar and per priority, arrivals,
closures, backlog, lead / first-response / resolution time mean, median and p90, reopen
rate, first-contact resolution and mean handovers, with the same case definitions
(last close or resolution unless reopened later; handovers ignoring ``system``). The
results are checked equal before timing is reported. SLA with business hours is timed
for servops alone (pandas has no business-calendar arithmetic to compare with).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.kpi.synth import synthetic_tickets  # noqa: E402

import servops as so  # noqa: E402
from servops.kpi import case_metrics, compute_kpis  # noqa: E402
from servops.kpi.config import config_from_dict  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

TZ = "Europe/Amsterdam"
ACTS = {
    "first_response": "First response",
    "resolved": "Resolved",
    "closed": "Closed",
    "reopened": "Reopened",
}
CONFIG = config_from_dict(
    {
        "activities": ACTS,
        "handovers": {"ignore_resources": ["system"]},
        "fcr": {"max_handovers": 0},
        "timezone": TZ,
    }
)
SLA_CONFIG = ROOT / "src" / "servops" / "demo" / "kpi.yaml"


def pandas_kpis(df: pd.DataFrame) -> pd.DataFrame:
    """The same KPIs with pandas groupby (single-threaded, vectorised)."""
    df = df.sort_values(["case_id", "timestamp"], kind="stable")
    g = df.groupby("case_id", observed=True, sort=False)
    case = pd.DataFrame(
        {"arrived": g["timestamp"].min(), "priority": g["priority"].first()}
    )

    def last(act: str, how: str) -> pd.Series:
        sub = df.loc[df["activity"] == act]
        return sub.groupby("case_id", observed=True)["timestamp"].agg(how)

    case["fr"] = last(ACTS["first_response"], "min")
    res_last = last(ACTS["resolved"], "max")
    cl_last = last(ACTS["closed"], "max")
    ro_last = last(ACTS["reopened"], "max")
    reopens = (
        (df["activity"] == ACTS["reopened"]).groupby(df["case_id"], observed=True).sum()
    )
    case["res_last"], case["cl_last"], case["ro_last"] = res_last, cl_last, ro_last
    case["reopens"] = reopens
    ok_cl = case["cl_last"].notna() & (
        case["ro_last"].isna() | (case["ro_last"] <= case["cl_last"])
    )
    ok_res = case["res_last"].notna() & (
        case["ro_last"].isna() | (case["ro_last"] <= case["res_last"])
    )
    case["closed_at"] = case["cl_last"].where(ok_cl)
    case["resolved_at"] = case["res_last"].where(ok_res)
    people = df.loc[
        df["resource"].notna() & (df["resource"] != "system"), ["case_id", "resource"]
    ]
    prev = people.groupby("case_id", observed=True)["resource"].shift()
    change = prev.notna() & (prev.astype(object) != people["resource"].astype(object))
    case["handovers"] = change.groupby(people["case_id"], observed=True).sum()
    case["handovers"] = case["handovers"].fillna(0)
    case["lead"] = (case["closed_at"] - case["arrived"]).dt.total_seconds()
    case["frt"] = (case["fr"] - case["arrived"]).dt.total_seconds()
    case["rt"] = (case["resolved_at"] - case["arrived"]).dt.total_seconds()
    case["fcr"] = ((case["reopens"] == 0) & (case["handovers"] == 0)).where(
        case["resolved_at"].notna()
    )

    def week(s: pd.Series) -> pd.Series:
        local = s.dt.tz_convert(TZ).dt.tz_localize(None)
        return local.dt.to_period("W-SUN").dt.start_time

    case["p_in"], case["p_fr"] = week(case["arrived"]), week(case["fr"])
    case["p_res"], case["p_cl"] = week(case["resolved_at"]), week(case["closed_at"])
    seg = case["priority"].astype(str)
    case["seg"] = seg

    def stats(col: str, period: str, name: str) -> pd.DataFrame:
        grp = case.loc[case[period].notna()].groupby([period, "seg"])[col]
        out = grp.agg(["mean", "median"])
        out["p90"] = grp.quantile(0.9)
        out.columns = [f"{name}_mean_s", f"{name}_median_s", f"{name}_p90_s"]
        out.index.names = ["period", "seg"]
        return out

    arr = case.groupby(["p_in", "seg"]).size().rename("cases")
    arr.index.names = ["period", "seg"]
    closed = case.loc[case["p_cl"].notna()].groupby(["p_cl", "seg"])
    cl = pd.DataFrame(
        {
            "closed": closed.size(),
            "reopen_rate": closed["reopens"].agg(lambda s: (s > 0).mean()),
            "fcr_rate": closed["fcr"].mean(),
            "handovers_mean": closed["handovers"].mean(),
        }
    )
    cl.index.names = ["period", "seg"]
    periods = pd.date_range(
        min(case["p_in"].min(), case["p_cl"].min()),
        max(case["p_in"].max(), case["p_cl"].max()),
        freq="7D",
    )
    grid = pd.MultiIndex.from_product(
        [periods, sorted(seg.unique())], names=["period", "seg"]
    )
    out = pd.DataFrame(index=grid).join(arr).join(cl)
    out = out.join(stats("lead", "p_cl", "lead_time"))
    out = out.join(stats("frt", "p_fr", "first_response"))
    out = out.join(stats("rt", "p_res", "resolution_time"))
    out[["cases", "closed"]] = out[["cases", "closed"]].fillna(0).astype(int)
    out["backlog"] = (out["cases"] - out["closed"]).groupby(level="seg").cumsum()
    return out.reset_index()


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def check_equal(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Fail loudly if the two tables disagree."""
    a = ours.assign(period=pd.to_datetime(ours["period"])).set_index(
        ["period", "segment"]
    )
    b = theirs.rename(columns={"seg": "segment"}).set_index(["period", "segment"])
    assert len(a) == len(b), (len(a), len(b))
    b = b.loc[a.index]
    for col in (
        "cases",
        "closed",
        "backlog",
        "lead_time_mean_s",
        "lead_time_median_s",
        "lead_time_p90_s",
        "first_response_median_s",
        "resolution_time_p90_s",
        "reopen_rate",
        "fcr_rate",
        "handovers_mean",
    ):
        x = a[col].to_numpy(dtype=float)
        y = b[col].to_numpy(dtype=float)
        assert np.allclose(x, y, rtol=1e-6, atol=1e-6, equal_nan=True), col


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    per_case = 6.23  # events per case in the synthetic desk
    t0 = time.perf_counter()
    table = synthetic_tickets(int(args.events / per_case), seed=1, days=364)
    print(f"generated {table.num_rows:,} events in {time.perf_counter() - t0:.1f} s")
    log = so.read_log(table)
    cases = log.n_cases()
    df_cat = table.to_pandas(strings_to_categorical=True)
    df_obj = table.to_pandas()  # what pandas.read_csv gives: Python strings
    print(f"{table.num_rows:,} events, {cases:,} cases; loaded into DuckDB and pandas")

    def ours() -> pd.DataFrame:
        return compute_kpis(log, CONFIG, by="week", segment="priority").to_pandas()

    t_ours, r_ours = timed(ours, args.repeat)
    t_obj, r_obj = timed(lambda: pandas_kpis(df_obj), args.repeat)
    t_cat, r_cat = timed(lambda: pandas_kpis(df_cat), args.repeat)
    check_equal(r_ours, r_obj)
    check_equal(r_ours, r_cat)
    n = args.repeat
    print(
        f"servops compute_kpis (week x priority):       {t_ours:6.2f} s (median of {n})"
    )
    print(
        f"pandas groupby, string columns (read_csv):    {t_obj:6.2f} s  "
        f"-> servops {t_obj / t_ours:.1f}x faster"
    )
    print(
        f"pandas groupby, categorical columns (tuned):  {t_cat:6.2f} s  "
        f"-> servops {t_cat / t_ours:.1f}x faster"
    )
    print("(all three results checked equal)")

    sla_cfg = so.kpi.load_config(SLA_CONFIG, log)
    t_sla, _ = timed(lambda: case_metrics(log, sla_cfg), args.repeat)
    print(
        f"servops case_metrics with 5 SLA policies, business hours and pauses: "
        f"{t_sla:.2f} s"
    )


if __name__ == "__main__":
    main()
