"""Arrival counts, forecasts and backtests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import servops as so
from servops.errors import InvalidParameterError, LogSchemaError, NotFittedError
from servops.forecast import (
    ArrivalForecaster,
    ArrivalSeries,
    arrival_counts,
    backtest,
    forecast_arrivals,
    mase,
    parse_duration,
    read_counts,
    smape,
)
from tests.paths import shared_log


def _weekly(weeks: int, *, noise: bool = True, seed: int = 3) -> ArrivalSeries:
    """Hourly arrivals: office hours on weekdays, quiet weekends, Poisson noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks * 168)
    hour, dow = t % 24, (t // 24) % 7
    lam = np.where((hour >= 8) & (hour < 18), 12.0, 1.0) * np.where(dow < 5, 1.0, 0.3)
    y = rng.poisson(lam).astype(float) if noise else lam
    return ArrivalSeries(datetime(2024, 1, 1), timedelta(hours=1), y)


def test_arrival_counts_tiny_log_by_hand(tiny_log):
    s = arrival_counts(tiny_log, interval="1h")
    # c1 09:00, c2 10:00 on Jan 8; c3 09:00, c4 11:00 on Jan 9; c5 16:00 on Jan 10.
    assert s.start == datetime(2024, 1, 8, 9)
    assert s.counts.sum() == 5
    assert s.counts[0] == 1 and s.counts[1] == 1 and s.counts[24] == 1
    assert s.counts[26] == 1 and s.counts[24 * 2 + 7] == 1
    assert s.aht_s is None  # the tiny log has no start times


def test_arrival_counts_handle_time_from_start_times():
    t = pa.table(
        {
            "case": ["a", "a", "b", "c"],
            "act": ["call", "wrap", "call", "call"],
            "start": [
                "2024-01-08 09:00:00",
                "2024-01-08 09:05:00",
                "2024-01-08 09:10:00",
                "2024-01-08 10:00:00",
            ],
            "end": [
                "2024-01-08 09:04:00",
                "2024-01-08 09:06:00",
                "2024-01-08 09:13:00",
                "2024-01-08 10:10:00",
            ],
        }
    )
    log = so.read_log(
        t, columns=so.ColumnMap("case", "act", "end", start_timestamp="start")
    )
    s = arrival_counts(log, interval="30m")
    assert s.counts.tolist() == [2.0, 0.0, 1.0]
    # a: 4 + 1 = 5 min, b: 3 min -> 240 s; c: 600 s
    assert s.aht_s is not None
    assert s.aht_s[0] == pytest.approx(240.0)
    assert s.aht_s[2] == pytest.approx(600.0)
    assert s.mean_aht_s() == pytest.approx((300 + 180 + 600) / 3)


def test_read_counts_fills_gaps(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "interval_start,calls,aht_s\n2024-01-08 09:00,10,200\n"
        "2024-01-08 10:00,4,100\n2024-01-08 09:30,7,150\n"
    )
    s = read_counts(p)
    assert s.interval == timedelta(minutes=30)
    assert s.counts.tolist() == [10.0, 7.0, 4.0]
    assert s.aht_s is not None and s.aht_s.tolist() == [200.0, 150.0, 100.0]
    p.write_text("when,calls\n2024-01-08 09:00,10\n")
    with pytest.raises(LogSchemaError, match="Available columns"):
        read_counts(p)


def test_parse_duration():
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1h") == timedelta(hours=1)
    assert parse_duration("14d") == timedelta(days=14)
    assert parse_duration("180s") == timedelta(seconds=180)
    assert parse_duration("15min") == timedelta(minutes=15)
    with pytest.raises(InvalidParameterError, match="such as 30m"):
        parse_duration("soon")


def test_seasonal_naive_repeats_last_week():
    s = _weekly(3)
    f = forecast_arrivals(s, timedelta(days=7), model="seasonal_naive")
    assert f.start == datetime(2024, 1, 22)
    np.testing.assert_array_equal(f.mean, s.counts[-168:])


def test_mstl_learns_the_weekly_pattern():
    s = _weekly(6, noise=False)
    f = forecast_arrivals(s, 168, model="mstl")
    assert np.abs(f.mean - s.counts[-168:]).max() < 0.5
    assert (f.mean >= 0).all()


def test_class_and_function_agree():
    s = _weekly(4)
    a = ArrivalForecaster("ets", history=None).fit(s).predict(48)
    b = forecast_arrivals(s, 48, model="ets", history=None)
    np.testing.assert_allclose(a.mean, b.mean)


def test_holiday_factor_learned_and_applied():
    s = _weekly(5, noise=False)
    y = s.counts.copy()
    hol_day = 15  # 2024-01-16, a Tuesday: volume down to 20 %
    y[hol_day * 24 : (hol_day + 1) * 24] *= 0.2
    s = ArrivalSeries(s.start, s.interval, y)
    fc = ArrivalForecaster(
        "seasonal_naive", holidays=[date(2024, 1, 16), date(2024, 2, 6)]
    ).fit(s)
    assert fc.holiday_factor_ == pytest.approx(0.2)
    f = fc.predict(timedelta(days=7))
    # 2024-02-06 is the Tuesday of the forecast week: scaled; the history was repaired.
    tue = f.mean[24:48]
    np.testing.assert_allclose(tue, 0.2 * s.counts[-168 + 24 : -168 + 48])


def test_not_fitted_and_bad_params():
    with pytest.raises(NotFittedError, match="fit"):
        ArrivalForecaster().predict(3)
    with pytest.raises(InvalidParameterError, match="'model' parameter"):
        ArrivalForecaster("prophet").fit(_weekly(3))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="must divide a day"):
        arrival_counts(so.read_log(shared_log("running-example.xes")), interval="7m")


@pytest.mark.parametrize("n", [1, 2, 7])
def test_too_short_a_history_is_named_not_a_library_crash(n):
    s = ArrivalSeries(datetime(2024, 1, 1), timedelta(days=1), np.full(n, 3.0))
    for model in ("mstl", "ets"):
        with pytest.raises(InvalidParameterError, match=rf"{n} interval\(s\) of 1d"):
            ArrivalForecaster(model).fit(s)
    # seasonal naive needs no fitting: it still forecasts
    f = ArrivalForecaster("seasonal_naive").fit(s).predict(2)
    assert f.mean.tolist() == [3.0, 3.0]
    ArrivalForecaster("ets").fit(
        ArrivalSeries(
            datetime(2024, 1, 1),
            timedelta(days=1),
            np.array([3.0, 5, 4, 6, 2, 5, 4, 3]),
        )
    )


def test_metrics_by_hand():
    assert (
        mase(np.array([3.0, 5]), np.array([4.0, 4]), np.array([1.0, 2, 3, 5]), 2) == 0.4
    )
    assert smape(np.array([0.0, 0.0]), np.array([0.0, 0.0])) == 0.0
    assert smape(np.array([1.0]), np.array([0.0])) == 2.0


def test_backtest_beats_naive_on_regular_data():
    s = _weekly(10)
    r = backtest(s, horizon=timedelta(days=7), windows=2, model="mstl")
    assert len(r.windows) == 2
    assert r.mase < r.mase_baseline  # averaging the noise beats repeating it
    assert r.skill > 0
    assert r.to_dict()["beats_baseline"] is True


def test_backtest_too_short():
    with pytest.raises(InvalidParameterError, match="two weeks of history"):
        backtest(_weekly(2), horizon=timedelta(days=7))


@pytest.mark.slow
def test_backtest_real_logs_reported_honestly():
    for name in ("helpdesk.xes.gz", "bpic2013_incidents.xes.gz"):
        log = so.read_log(shared_log(name))
        s = arrival_counts(log, interval="1d")
        r = backtest(s, horizon=timedelta(days=7), windows=4, model="mstl")
        assert np.isfinite(r.mase) and np.isfinite(r.mase_baseline)


def test_per_day_is_calendar_days_not_24h_blocks_from_the_start():
    s = _weekly(3, noise=False)  # hourly from Monday 2024-01-01 00:00
    tail = s.slice(0, 3 * 168 - 10)  # the history ends at 14:00 on the last Sunday
    fc = ArrivalForecaster("seasonal_naive").fit(tail).predict(timedelta(days=2))
    assert fc.start == datetime(2024, 1, 21, 14)
    days = fc.per_day()
    assert [(d.day.isoformat(), d.complete) for d in days] == [
        ("2024-01-21", False),  # 14:00-24:00 of Sunday
        ("2024-01-22", True),
        ("2024-01-23", False),  # up to 13:00
    ]
    # Sunday 14:00-24:00 at the weekend rate (0.3 a night hour, 3.6 an office hour)
    assert days[0].total == pytest.approx(4 * 3.6 + 6 * 0.3)
    assert days[1].total == pytest.approx(10 * 12.0 + 14 * 1.0)  # a whole Monday
    assert sum(d.total for d in days) == pytest.approx(float(fc.mean.sum()))
    assert fc.to_dict()["per_day"][1] == {
        "day": "2024-01-22",
        "total": pytest.approx(134.0),
        "complete": True,
    }
    hist = tail.per_day()
    assert len(hist) == 21 and hist[-1].complete is False and hist[0].complete


def test_short_history_warns_how_long_it_is_and_should_be():
    fc = (
        ArrivalForecaster("mstl")
        .fit(_weekly(1).slice(0, 24 * 10 - 24 * 3))  # 7 days: < two weekly cycles
        .predict(24)
    )
    assert len(fc.warnings) == 1
    w = fc.warnings[0]
    assert "the history is 7.0 days (168 intervals of 1h)" in w
    assert "a weekly season needs at least 14 days" in w and "NO weekly" in w
    assert fc.to_dict()["warnings"] == [w]
    long_enough = ArrivalForecaster("seasonal_naive").fit(_weekly(2)).predict(24)
    assert long_enough.warnings == ()


def test_forecast_command_prints_calendar_days_and_the_warning(tmp_path):
    from typer.testing import CliRunner

    from servops.cli.main import app

    rows: dict[str, list[object]] = {"case": [], "act": [], "ts": []}
    t0 = datetime(2024, 3, 4, 8)
    for i in range(10 * 8):  # eight cases a day from 08:00 for ten days
        t = t0 + timedelta(days=i // 8, hours=i % 8)
        rows["case"].append(f"c{i}")
        rows["act"].append("Open")
        rows["ts"].append(t.isoformat(sep=" "))
    path = tmp_path / "calls.csv"
    pacsv.write_csv(pa.table(rows), path)
    res = CliRunner().invoke(
        app,
        [
            "forecast",
            str(path),
            "--interval",
            "1h",
            "--horizon",
            "2d",
            "--no-backtest",
            "--model",
            "seasonal_naive",
            "--case",
            "case",
            "--activity",
            "act",
            "--timestamp",
            "ts",
        ],
    )
    assert res.exit_code == 0, res.output
    # the history ends at 15:00 on 13 March: the forecast's first day is a part-day
    assert "2024-03-13 (part)" in res.stdout and "2024-03-14" in res.stdout
    assert "NO weekly pattern" in " ".join(res.stdout.split())
