"""Every analysis sequences activity instances in one order: start, then end, then file.

Here the two cases do the same two activities, but in case c1 the first activity ends
after the second (it started first and ran longer). By start time both cases are A then
B: one variant. By end time they would be two.
"""

from __future__ import annotations

import servops as so
from servops.blueprint import parse_blueprint
from servops.blueprint._metrics import step_variants
from servops.log.filters import top_variants


def _log(tmp_path):
    path = tmp_path / "overlap.csv"
    path.write_text(
        "case,activity,start_timestamp,timestamp,resource\n"
        "c1,A,2024-03-01 09:00,2024-03-01 12:00,ann\n"
        "c1,B,2024-03-01 10:00,2024-03-01 11:00,bob\n"
        "c2,A,2024-03-02 09:00,2024-03-02 10:00,ann\n"
        "c2,B,2024-03-02 10:30,2024-03-02 11:00,bob\n"
    )
    return so.read_log(path)


def test_info_counts_the_variants_that_variants_lists(tmp_path):
    log = _log(tmp_path)
    v = so.mining.variants(log)
    assert [(x.activities, x.cases) for x in v.variants] == [(("A", "B"), 2)]
    assert log.info().variants == 1


def test_conformance_sequences_follow_the_process_map_order(tmp_path):
    bp = parse_blueprint(
        """
name: Two steps
steps:
  - {id: a, name: A, lane: frontstage, activities: [A]}
  - {id: b, name: B, lane: backstage, activities: [B]}
flow: ["start -> a -> b -> end"]
"""
    )
    assert step_variants(_log(tmp_path), bp) == [(("a", "b"), 2)]


def test_root_causes_see_the_variant_the_process_map_shows(tmp_path):
    # Six slow cases where A runs around B, six quick ones where B follows A. Both are
    # A then B: ordered by end time the slow ones would be "B → A", a spurious cause.
    rows = ["case,activity,start_timestamp,timestamp,resource"]
    for k in range(12):
        d = f"2024-03-{k + 1:02d}"
        a_end, b_start = ("17:00", "10:00") if k < 6 else ("10:00", "10:30")
        rows += [
            f"c{k},A,{d} 09:00,{d} {a_end},ann",
            f"c{k},B,{d} {b_start},{d} 11:00,bob",
        ]
    path = tmp_path / "slow.csv"
    path.write_text("\n".join(rows) + "\n")
    # (this log has no attributes: the factor query once failed on such logs)
    rc = so.kpi.root_causes(
        so.read_log(path), "long_lead_time", long_lead_time_s=4 * 3600
    )
    assert (rc.cases, rc.positives) == (12, 6)
    assert [f for f in rc.factors.column("label").to_pylist() if "variant" in f] == []


def test_top_variant_filter_keeps_both_cases(tmp_path):
    assert top_variants(_log(tmp_path), 1).n_cases() == 2
