"""Case and event counts on every shared log equal PM4Py's (SOURCES.md, and pm4py itself)."""

from __future__ import annotations

import pytest

import servops as so
from servops.io import ColumnMap
from tests.paths import shared_log

# (file, columns, cases, events) as counted with pm4py 2.7 in ../shared/data/eventlogs/SOURCES.md
EXPECTED = [
    ("helpdesk.xes.gz", None, 4580, 21348),
    ("bpic2013_incidents.xes.gz", None, 7554, 65533),
    ("bpic2013_closed_problems.xes.gz", None, 1487, 6660),
    ("teleclaims.xes.gz", None, 3512, 46138),
    ("repair_example.xes.gz", None, 1104, 11855),
    ("receipt.xes.gz", None, 1434, 8577),
    ("sepsis.csv.gz", None, 1050, 15214),
    ("traffic_fines_10k.csv.gz", None, 10000, 34724),
    ("bpic2011_hospital.csv.gz", None, 1143, 150291),
    ("bpic2015_municipality1.csv.gz", None, 1199, 52217),
    ("production.csv.gz", None, 225, 4953),
    ("running-example.xes", None, 6, 42),
    ("running-example.csv", None, 6, 42),
    ("interval_event_log.csv.gz", None, 1266, 8109),
    (
        "patients_synthetic.csv.gz",
        ColumnMap(
            activity="handling", resource="employee", lifecycle="registration_type"
        ),
        500,
        5442,
    ),
]


@pytest.mark.parametrize(
    ("name", "columns", "cases", "events"), EXPECTED, ids=[e[0] for e in EXPECTED]
)
def test_counts_match_sources(name, columns, cases, events):
    info = so.read_log(shared_log(name), columns=columns).info()
    assert (info.cases, info.events) == (cases, events)


@pytest.mark.slow
def test_bpic2012_counts():
    info = so.read_log(shared_log("bpic2012.xes.gz")).info()
    assert (info.cases, info.events, info.activities) == (13087, 262200, 24)
    assert info.lifecycle == {"complete": 164506, "start": 71376, "schedule": 26318}


@pytest.mark.parametrize(
    "name",
    [
        "helpdesk.xes.gz",
        "receipt.xes.gz",
        "bpic2013_closed_problems.xes.gz",
        "running-example.xes",
    ],
)
def test_xes_counts_equal_pm4py(name):
    pm4py = pytest.importorskip("pm4py")
    df = pm4py.read_xes(str(shared_log(name)), return_legacy_log_object=False)
    ours = so.read_log(shared_log(name))
    assert ours.n_events() == len(df)
    assert ours.n_cases() == df["case:concept:name"].nunique()
    assert ours.info().activities == df["concept:name"].nunique()


def test_csv_counts_equal_pm4py():
    pm4py = pytest.importorskip("pm4py")
    import pandas as pd

    path = shared_log("sepsis.csv.gz")
    df = pd.read_csv(path, sep=";", keep_default_na=False, na_values=[""], dtype=str)
    df = pm4py.format_dataframe(
        df,
        case_id="Case ID",
        activity_key="Activity",
        timestamp_key="Complete Timestamp",
    )
    ours = so.read_log(path)
    assert (ours.n_cases(), ours.n_events()) == (
        df["case:concept:name"].nunique(),
        len(df),
    )
