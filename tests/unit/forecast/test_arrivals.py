"""Arrival counts, forecasts and backtests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
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
