"""Errors come from the servops tree: bad inputs exit non-zero with a plain message.

Each main command is run through the CLI on each kind of bad input a user hands in
(issue 16). The run must fail (exit code != 0) without an unhandled exception or a
Python traceback, and the message must name the file, and the column or row where
there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from servops.cli.main import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"})

GOOD_ROWS = [
    "case,activity,timestamp,resource,comment,score",
    "1,Ticket created,2024-01-08 09:00:00,ann,fine,9",
    "1,Resolved,2024-01-08 11:00:00,bob,ok,7",
    "2,Ticket created,2024-01-08 10:00:00,ann,slow,3",
    "2,Resolved,2024-01-09 10:00:00,bob,bad,2",
]


@dataclass(frozen=True)
class Bad:
    """A bad input: how to write it, and what the message must name besides the file."""

    name: str
    also: tuple[str, ...] = ()


BAD = {
    "missing": Bad("nothing.csv"),
    "directory": Bad("folder"),
    "empty": Bad("empty.csv", ("empty",)),
    "header_only": Bad("header.csv", ("no ",)),
    "binary": Bad("garbage.csv", ("binary",)),
    "no_timestamp": Bad("nots.csv", ("timestamp",)),
    "bad_timestamp_row_3": Bad("badts.csv", ("'timestamp'", "rows 4", "'yesterday'")),
    "bad_yaml": Bad("bad.yaml", ("line 4",)),
    "wrong_encoding": Bad("latin1.csv", ("not utf-8",)),
}


def write_bad(kind: str, tmp: Path) -> tuple[Path, Path]:
    """(log, config) for ``kind``: the bad one of the two, the other good."""
    good_log = tmp / "good.csv"
    good_log.write_text("\n".join(GOOD_ROWS) + "\n", encoding="utf-8")
    good_cfg = tmp / "good.yaml"
    good_cfg.write_text("sla: []\n", encoding="utf-8")
    p = tmp / BAD[kind].name
    if kind == "missing":
        return p, good_cfg
    if kind == "directory":
        p.mkdir()
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "header_only":
        p.write_text(GOOD_ROWS[0] + "\n", encoding="utf-8")
    elif kind == "binary":
        p.write_bytes(bytes(range(256)) * 8 + b"\x00\xff\xfe" * 50)
    elif kind == "no_timestamp":
        p.write_text(
            "case,activity,note,comment,score\n1,a,x,fine,9\n1,b,y,ok,7\n2,a,z,bad,2\n",
            encoding="utf-8",
        )
    elif kind == "bad_timestamp_row_3":
        rows = [*GOOD_ROWS]
        rows[3] = "2,Ticket created,yesterday,ann,slow,3"  # data row 3 = file line 4
        p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    elif kind == "bad_yaml":
        p.write_text(
            "sla:\n  - name: x\n    target: [1, 2\n  bad: : :\n", encoding="utf-8"
        )
        return good_log, p
    elif kind == "wrong_encoding":
        rows = [*GOOD_ROWS]
        rows[1] = "1,Ticket créé,2024-01-08 09:00:00,ann,très bien,9"
        p.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    return p, good_cfg


# command -> (argv from (log, config, tmp); kinds that do not apply)
COMMANDS = {
    "info": (lambda log, cfg, tmp: ["info", str(log)], {"bad_yaml"}),
    "kpi": (lambda log, cfg, tmp: ["kpi", str(log), "-c", str(cfg)], set()),
    "sla": (lambda log, cfg, tmp: ["sla", str(log), "-c", str(cfg)], set()),
    "dfg": (lambda log, cfg, tmp: ["dfg", str(log)], {"bad_yaml"}),
    "map": (
        lambda log, cfg, tmp: ["map", str(log), "-o", str(tmp / "m.html")],
        {"bad_yaml"},
    ),
    "spc": (
        lambda log, cfg, tmp: ["spc", str(log), "--kpi", "lead_time", "-c", str(cfg)],
        set(),
    ),
    "feedback": (
        lambda log, cfg, tmp: ["feedback", str(log), "-t", "comment", "-s", "score"],
        {"bad_yaml", "no_timestamp", "bad_timestamp_row_3"},  # answers need no time
    ),
    "forecast": (lambda log, cfg, tmp: ["forecast", str(log)], {"bad_yaml"}),
    "staff": (
        lambda log, cfg, tmp: ["staff", "--arrivals", str(log), "-c", str(cfg)],
        {"wrong_encoding"},  # no --encoding option
    ),
    "twin_discover": (
        lambda log, cfg, tmp: ["twin", "discover", str(log), "-o", str(tmp / "t.yaml")],
        {"bad_yaml"},
    ),
    "report": (
        lambda log, cfg, tmp: [
            "report",
            str(log),
            "-c",
            str(cfg),
            "-o",
            str(tmp / "r.html"),
        ],
        set(),
    ),
}

CASES = [
    pytest.param(cmd, kind, id=f"{cmd}-{kind}")
    for cmd, (_, skip) in COMMANDS.items()
    for kind in BAD
    if kind not in skip
]


@pytest.mark.parametrize(("command", "kind"), CASES)
def test_bad_input_fails_plainly(command, kind, tmp_path):
    log, cfg = write_bad(kind, tmp_path)
    argv, _ = COMMANDS[command]
    args = argv(log, cfg, tmp_path)
    if kind == "wrong_encoding":  # said to be UTF-8, written in Latin-1
        args += ["--encoding", "utf-8"]
    res = runner.invoke(app, args)
    out = res.output
    assert res.exit_code != 0, out
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(
        res.exception
    )
    assert "Traceback" not in out
    assert "LINE 1:" not in out  # no SQL from DuckDB's messages
    bad = BAD[kind]
    assert bad.name in out, out
    for word in bad.also:
        assert word in out, (word, out)
