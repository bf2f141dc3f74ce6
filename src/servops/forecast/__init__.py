"""Forecasting: arrivals and handle time per interval, backtested against seasonal naive.

>>> import servops as so
>>> so.forecast.arrival_counts(tiny_log, interval="1d").counts.tolist()
[2.0, 2.0, 1.0]
"""

from __future__ import annotations

from servops.forecast.arrivals import (
    ArrivalForecast,
    ArrivalForecaster,
    ArrivalSeries,
    BacktestResult,
    Model,
    arrival_counts,
    backtest,
    forecast_arrivals,
    mase,
    parse_duration,
    read_counts,
    smape,
)

__all__ = [
    "ArrivalForecast",
    "ArrivalForecaster",
    "ArrivalSeries",
    "BacktestResult",
    "Model",
    "arrival_counts",
    "backtest",
    "forecast_arrivals",
    "mase",
    "parse_duration",
    "read_counts",
    "smape",
]
