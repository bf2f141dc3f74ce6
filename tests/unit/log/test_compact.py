"""Stored logs are compressed (checkpointed) once written, never inside a transaction."""

from __future__ import annotations

import pyarrow as pa

import servops as so
from servops.io import ColumnMap
from servops.log.engine import connect, in_transaction


def _compressions(con, table):
    """How the text columns that repeat (case, activity) are stored."""
    return {
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') "
            "WHERE column_name IN ('case_id', 'activity') AND segment_type = 'VARCHAR'"
        ).fetchall()
    }


def _log(n_cases=3000):
    cases, acts, lcs, ts = [], [], [], []
    for c in range(n_cases):
        for i, (a, lc) in enumerate(
            [("Register", "complete"), ("Fix", "start"), ("Fix", "complete")]
        ):
            cases.append(f"case-{c}")
            acts.append(a)
            lcs.append(lc)
            ts.append(f"2024-01-01 09:{i:02d}:00")
    return pa.table({"case": cases, "act": acts, "lc": lcs, "ts": ts})


def test_in_transaction_tells_an_open_transaction():
    con = connect()
    assert not in_transaction(con)
    con.execute("BEGIN")
    assert in_transaction(con)
    con.execute("COMMIT")
    assert not in_transaction(con)


def test_read_log_stores_events_compressed_and_pairing_copies_nothing():
    log = so.read_log(_log(), columns=ColumnMap("case", "act", "ts", lifecycle="lc"))
    # written rows are 'Uncompressed' until a checkpoint
    assert "DICT_FSST" in _compressions(log.con, "events")
    assert "Uncompressed" not in _compressions(log.con, "events")
    assert log.fetchone("SELECT count(*) FROM instances") == (6000,)
    assert log.fetchone("SELECT count(start_timestamp) FROM instances") == (3000,)
    assert {r[0] for r in log.con.execute("SHOW TABLES").fetchall()} == {"events"}
    assert "Uncompressed" not in _compressions(log.con, "events")


def test_pairing_inside_a_callers_transaction_leaves_it_usable():
    log = so.read_log(_log(10), columns=ColumnMap("case", "act", "ts", lifecycle="lc"))
    con = log.con
    con.execute("BEGIN")
    con.execute("CREATE TABLE mine AS SELECT 1 AS x")
    # pairing runs inside the caller's transaction
    assert log.fetchone("SELECT count(*) FROM instances") == (20,)
    con.execute("COMMIT")  # the transaction was not aborted
    assert con.execute("SELECT x FROM mine").fetchall() == [(1,)]
    assert log.fetchone("SELECT count(*) FROM instances") == (20,)
