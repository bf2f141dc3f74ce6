from datetime import datetime, timedelta

import pyarrow as pa
import pytest

import servops as so
from servops.errors import LogSchemaError
from servops.feedback import (
    detect_language,
    drivers,
    keywords,
    prepare_feedback,
    read_feedback,
    theme_pareto,
    themes,
    tokenize,
)


def test_language_detection_mixed():
    assert detect_language(
        ["客服 ok", "ok 客服很好 thanks a lot", "hello", "", "!!!"]
    ) == ["zh", "zh", "en", "unknown", "other"]


def test_tokenize_drops_stop_words():
    assert tokenize("The refund was slow") == ["refund", "slow"]
    assert "的" not in tokenize("退款的速度太慢了")


def test_jieba_is_quiet(capfd):
    tokenize("第一次加载词典")
    assert "Building prefix dict" not in capfd.readouterr().err


def test_keywords_tfidf_and_textrank():
    texts = ["refund slow", "refund late again", "refund never came", "agent kind"]
    assert keywords(texts, top=1).column("keyword").to_pylist() == ["refund"]
    tr = keywords(texts, top=3, method="textrank")
    assert "refund" in tr.column("keyword").to_pylist()


def test_themes_taxonomy_and_pareto():
    texts = ["等了三天", "waited forever", "rude agent", "态度很差，等了很久", "", "ok"]
    r = themes(texts)
    rows = {t["theme"]: t for t in r.themes.to_pylist()}
    assert rows["waiting"]["comments"] == 3
    assert rows["attitude"]["comments"] == 2
    p = theme_pareto(r).to_pylist()
    assert p[0]["theme"] == "waiting" and p[-1]["cumulative"] == pytest.approx(1.0)


def test_themes_nmf_names_topics():
    texts = [f"refund slow money case{i}" for i in range(10)] + [
        f"rude agent attitude day{i}" for i in range(10)
    ]
    r = themes(texts, method="nmf", n_themes=2)
    assert r.themes.num_rows == 2
    assert sum(r.themes.column("comments").to_pylist()) == 20


def test_prepare_feedback_errors():
    t = pa.table({"s": ["9", "x"], "c": ["a", "b"]})
    with pytest.raises(LogSchemaError, match="data row 2: 'x' is not a number"):
        prepare_feedback(t, score="s")
    with pytest.raises(LogSchemaError, match=r"text column 'nope'.*Available"):
        prepare_feedback(t, text="nope")


def test_read_feedback_csv_gb18030_and_excel(tmp_path):
    p = tmp_path / "fb.csv"
    p.write_bytes("编号,评分,评论\nc1,9,很好\nc2,2,太慢\n".encode("gb18030"))
    t = read_feedback(p, text="评论", score="评分", case="编号")
    assert t.column("comment").to_pylist() == ["很好", "太慢"]
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["id", "score", "text"])
    wb.active.append(["c1", 5, "fine"])
    wb.save(tmp_path / "fb.xlsx")
    t2 = read_feedback(tmp_path / "fb.xlsx", score="score", text="text")
    assert t2.column("score").to_pylist() == [5.0]
    with pytest.raises(LogSchemaError, match="does not exist"):
        read_feedback(tmp_path / "missing.csv")


def _linked():
    t0 = datetime(2024, 1, 1)
    ev: dict[str, list[object]] = {
        "case": [],
        "act": [],
        "ts": [],
        "res": [],
        "channel": [],
    }
    fb: dict[str, list[object]] = {"case_id": [], "score": [], "comment": []}
    for i in range(40):
        slow = i % 2 == 0
        hops = ["a", "b", "c"] if i % 4 == 0 else ["a"]
        acts = ["Open", *["Work"] * len(hops), "Close"]
        ress = ["sys", *hops, "sys"]
        for k, (a, r) in enumerate(zip(acts, ress, strict=True)):
            ev["case"].append(f"c{i}")
            ev["act"].append(a)
            ev["ts"].append(t0 + timedelta(days=i, hours=k * (30 if slow else 1)))
            ev["res"].append(r)
            ev["channel"].append("phone" if i % 3 else "email")
        fb["case_id"].append(f"c{i}")
        fb["score"].append(3 if slow else 10)
        fb["comment"].append("")
    log = so.EventLog.from_arrow(
        pa.table(ev),
        columns=so.ColumnMap(
            case_id="case", activity="act", timestamp="ts", resource="res"
        ),
    )
    return log, pa.table(fb)


def test_drivers_find_the_slow_cases():
    log, fb = _linked()
    r = drivers(fb, log=log, wait_hours=24, min_count=3)
    top = r.drivers.to_pylist()[0]
    assert top["driver"] == "process: duration > 24h"
    assert top["effect"] == pytest.approx(-200.0)  # NPS -100 vs +100
    assert top["impact"] == pytest.approx(-100.0)
    assert r.linked == 40 and r.metric == "nps"
    names = r.drivers.column("driver").to_pylist()
    assert "process: reassigned ≥2×" in names
    assert any(n.startswith("process: channel = ") for n in names)


def test_drivers_need_case_column():
    log, fb = _linked()
    with pytest.raises(LogSchemaError, match="case_id"):
        drivers(fb.drop_columns(["case_id"]), log=log)
