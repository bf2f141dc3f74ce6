"""Start/complete pairing: hand-computed cases and a property against a Python reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import servops as so
from servops.io import ColumnMap

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
COLS = ColumnMap("case", "act", "ts", lifecycle="lc", resource="res")


def _log(rows):
    return so.read_log(
        pa.table(
            {
                "case": [r[0] for r in rows],
                "act": [r[1] for r in rows],
                "lc": [r[2] for r in rows],
                "ts": [T0 + timedelta(minutes=r[3]) for r in rows],
                "res": [r[4] if len(r) > 4 else None for r in rows],
            }
        ),
        columns=COLS,
    )


def _instances(log):
    return log.fetchall(
        "SELECT case_id, activity, "
        "CAST(date_diff('minute', TIMESTAMPTZ '2024-01-01 09:00:00+00', start_timestamp) AS INT),"
        " CAST(date_diff('minute', TIMESTAMPTZ '2024-01-01 09:00:00+00', \"timestamp\") AS INT),"
        ' resource FROM instances ORDER BY case_id, "timestamp", event_index'
    )


def test_pairs_fifo_with_unmatched_and_other_transitions():
    log = _log(
        [
            ("1", "A", "schedule", 0),
            ("1", "A", "start", 1, "ann"),
            ("1", "A", "complete", 5),  # pairs with start@1, takes ann as resource
            ("1", "B", "complete", 6, "bob"),  # no start: instance without start time
            ("1", "C", "start", 7),
            ("1", "C", "start", 8),
            ("1", "C", "complete", 9, "cy"),  # FIFO: pairs with start@7
            ("1", "C", "complete", 10, "cy"),  # pairs with start@8
            ("1", "D", "start", 11),  # never completed: not an instance
            ("2", "A", "COMPLETE", 3),  # upper case is normalised
            ("2", "A", "START", 4),
            ("2", "A", "complete", 6),  # the start@4 belongs here, not to @3
        ]
    )
    assert _instances(log) == [
        ("1", "A", 1, 5, "ann"),
        ("1", "B", None, 6, "bob"),
        ("1", "C", 7, 9, "cy"),
        ("1", "C", 8, 10, "cy"),
        ("2", "A", None, 3, None),
        ("2", "A", 4, 6, None),
    ]
    info = log.info()
    assert info.events == 12 and info.activity_instances == 6
    assert info.lifecycle == {"complete": 6, "start": 5, "schedule": 1}
    assert log.has_start_times


def test_non_xes_lifecycle_values_become_an_attribute():
    log = _log([("1", "Accepted", "In Progress", 0), ("1", "Completed", "Closed", 5)])
    assert log.meta.lifecycle_mode == "attribute"
    assert log.fetchall('SELECT lifecycle, "lc" FROM events ORDER BY event_index') == [
        (None, "In Progress"),
        (None, "Closed"),
    ]
    assert log.info().activity_instances == 2


def _reference(rows):
    """Pure-Python FIFO pairing (PM4Py's interval conversion, per case and activity)."""
    out = []
    open_starts: dict[tuple[str, str], list[int]] = {}
    ordered = sorted(enumerate(rows), key=lambda x: (x[1][0], x[1][3], x[0]))
    for _, (case, act, lc, t) in ordered:
        key = (case, act)
        if lc == "start":
            open_starts.setdefault(key, []).append(t)
        else:
            q = open_starts.get(key) or []
            out.append((case, act, q.pop(0) if q else None, t))
    return sorted(out, key=lambda r: (r[0], r[1], r[3], -1 if r[2] is None else r[2]))


events = st.lists(
    st.tuples(
        st.sampled_from(["1", "2"]),
        st.sampled_from(["A", "B"]),
        st.sampled_from(["start", "complete"]),
        st.integers(0, 30),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(events)
def test_pairing_equals_python_reference(rows):
    if not any(r[2] == "complete" for r in rows):
        rows = [*rows, ("1", "A", "complete", 31)]
    log = _log(rows)
    got = sorted(
        ((c, a, s, e) for c, a, s, e, _ in _instances(log)),
        key=lambda r: (r[0], r[1], r[3], -1 if r[2] is None else r[2]),
    )
    assert got == _reference(rows)


def test_in_memory_pairing_waits_for_first_use_and_workspace_stores_it(tmp_path):
    from tests.paths import shared_log

    log = so.read_log(shared_log("repair_example.xes.gz"))
    paired = "SELECT count(start_timestamp) FROM events WHERE lifecycle = 'complete'"
    assert log.fetchone(paired) == (0,)  # nothing paired yet
    assert log.info().activity_instances == 7733
    assert log.fetchone(paired) == (4121,)  # 4122 starts, one never completed
    tables = {r[0] for r in log.con.execute("SHOW TABLES").fetchall()}
    assert tables == {"events"}  # paired in place: the instances are a view
    assert log.where("activity = 'Repair (Simple)'").n_events() > 0  # views share it
    with so.Workspace(tmp_path / "w.duckdb") as ws:
        stored = ws.import_log(shared_log("repair_example.xes.gz"), "r")[0]
        assert stored.fetchone(paired) == (4121,)  # paired at import
    with so.Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.load("r").info().activity_instances == 7733


def test_queries_on_events_alone_do_not_pair():
    from tests.paths import shared_log

    log = so.read_log(shared_log("repair_example.xes.gz"))
    assert log.n_events() == 11855
    assert log.n_cases() == 1104
    assert {r[0] for r in log.con.execute("SHOW TABLES").fetchall()} == {"events"}


def test_complete_after_two_starts_sends_the_group_to_the_fifo_walk():
    # S S C S C: the complete after two starts takes the first; the later complete,
    # though right after a start, takes the second (still open), not the third.
    log = _log(
        [
            ("1", "A", "start", 0),
            ("1", "A", "start", 1),
            ("1", "A", "complete", 2),
            ("1", "A", "start", 3),
            ("1", "A", "complete", 4),
            ("1", "B", "complete", 5),  # alone: no start before it
            ("1", "B", "start", 6),
            ("1", "B", "complete", 7),  # pairs with the start right before it
        ]
    )
    assert [r[:4] for r in _instances(log)] == [
        ("1", "A", 0, 2),
        ("1", "A", 1, 4),
        ("1", "B", None, 5),
        ("1", "B", 6, 7),
    ]


def test_non_xes_values_after_the_sample_still_make_an_attribute(tmp_path):
    # the planner samples the first rows; a status that appears later is caught on the
    # loaded table and the file is read again with the column kept as it was
    p = tmp_path / "late.csv"
    n = 25_000
    with p.open("w") as fh:
        fh.write("case,activity,time,state\n")
        for i in range(n):
            fh.write(f"c{i},a,2024-01-01 09:00,COMPLETE\n")
        fh.write("z,b,2024-01-02 09:00,Queued\n")
    log = so.read_log(p, columns=ColumnMap(lifecycle="state"))
    assert log.meta.lifecycle_mode == "attribute"
    assert log.fetchall(
        'SELECT "state", count(*), count(lifecycle) FROM events GROUP BY 1 ORDER BY 1'
    ) == [("COMPLETE", n, 0), ("Queued", 1, 0)]
    assert any("Queued" in note for note in log.meta.notes)
    assert log.fetchone("SELECT max(event_index) FROM events") == (n + 1,)
