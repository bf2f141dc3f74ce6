"""StepFunction at breakpoints that float rounding puts a hair away from ``t``."""

from __future__ import annotations

import math

import pytest

from servops.sim import StepFunction
from servops.sim.calendars import WEEK_S

# The demo twin's arrival rate for a run starting at 2026-09-14 16:42:01.971216 (the
# after side of a planted change, seed 6 of the power study): ``t - origin_s`` of the
# breakpoint at Sunday 18:00 in the fourth week rounds to just short of it.
ORIGIN = -294558.028784
T = 2103041.9712159997


def test_a_breakpoint_reached_by_stepping_starts_its_piece():
    f = StepFunction(times=(0.0, 583200.0), values=(1.0, 2.0), period_s=WEEK_S)
    f = StepFunction(f.times, f.values, f.period_s, ORIGIN)
    base = ORIGIN + 3 * WEEK_S
    assert base + 583200.0 == T  # the breakpoint next_change returns ...
    assert (T - ORIGIN) - 3 * WEEK_S < 583200.0  # ... lies short of it in the cycle
    # it used to return T itself, and the kernel's arrival loop never ended
    assert f.next_change(T) == base + WEEK_S
    assert f.value_at(T) == 2.0
    # just before it, the earlier piece, which ends there
    before = math.nextafter(T, 0.0)
    assert (f.value_at(before), f.next_change(before)) == (1.0, T)
    assert f.integral(before, base + WEEK_S) == (T - before) + 2.0 * (base + WEEK_S - T)


def test_rounding_at_the_end_of_a_cycle_does_not_skip_the_next_cycle():
    # the next cycle's start, reached by stepping to it, starts the first piece: the
    # next change is a piece later (it was a whole cycle later, at the last piece's
    # value: a weekly arrival rate held at Sunday night's for a week)
    origin = -23962.305073
    f = StepFunction((0.0, 100.0), (1.0, 2.0), WEEK_S, origin)
    t = (origin + 6 * WEEK_S) + WEEK_S
    assert (t - origin) - 6 * WEEK_S >= WEEK_S - 1e-6  # rounds short of the 7th week
    assert f.value_at(t) == 1.0
    assert f.next_change(t) == t + 100.0


def test_a_non_periodic_function_with_an_origin():
    f = StepFunction(times=(0.0, 10.0), values=(1.0, 3.0), origin_s=0.1)
    assert (f.value_at(0.0), f.next_change(0.0)) == (1.0, 0.1)
    assert f.value_at(0.1 + 10.0) == 3.0
    assert f.next_change(0.1 + 10.0) == math.inf
    assert f.integral(0.1, 20.1) == pytest.approx(10.0 + 3.0 * 10.0)
