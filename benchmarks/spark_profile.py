"""Where a Spark run's time goes, from Spark's own event log (no UI, no network).

A session started with :func:`event_log_conf` writes every listener event (jobs, stages,
tasks with their metrics) as JSON lines into a folder; the benchmark tags each
analysis's jobs with a job group (``SparkContext.setJobGroup``) and, after
``spark.stop()``, :func:`profile` reads the file back:

* per analysis: its wall time, the jobs, stages and tasks it ran, the sum of the task
  run times (``Executor Run Time``: the work the executors did, which more cores share),
  the sum of the stages' critical paths (each stage's longest task) and the *driver time*
  = wall time with none of the analysis's jobs running (SQL rendering and planning,
  Python building the result, collecting): the serial part;
* an Amdahl estimate of the analysis's time on ``n`` executor cores: the measured wall
  time with each stage's ideal time on the run's cores, ``max(longest task, task
  time / cores)``, replaced by its ideal time on ``n`` cores. Everything else (the
  driver, scheduling, a stage's wait beyond its ideal) is kept as measured: the serial
  part.

The figures are the run's own (a loaded machine stretches every part).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def event_log_conf(folder: Path) -> dict[str, str]:
    """Settings that make a new session write its event log into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": folder.resolve().as_uri(),
        "spark.eventLog.compress": "false",
    }


@dataclass
class Stage:
    """One completed stage: its tasks' run times (ms) and its own wall time (ms)."""

    tasks: list[float] = field(default_factory=list)
    cpu_ms: float = 0.0
    wall_ms: float = 0.0

    @property
    def task_ms(self) -> float:
        return sum(self.tasks)

    @property
    def longest_ms(self) -> float:
        return max(self.tasks, default=0.0)

    def ideal_ms(self, cores: int) -> float:
        """The stage's task time spread on ``cores`` (never below its longest task)."""
        return max(self.longest_ms, self.task_ms / cores)


@dataclass
class Group:
    """The jobs of one job group (one analysis)."""

    jobs: list[tuple[float, float]] = field(default_factory=list)  # (start, end) ms
    stages: list[Stage] = field(default_factory=list)

    def busy_ms(self) -> float:
        """Wall time with at least one of the group's jobs running."""
        total, end = 0.0, float("-inf")
        for a, b in sorted(self.jobs):
            if b <= end:
                continue
            total += b - max(a, end)
            end = b
        return total


def _events(folder: Path) -> list[dict[str, Any]]:
    files = sorted(
        (p for p in folder.iterdir() if p.is_file()),
        key=lambda p: p.stat().st_mtime,
    )
    if not files:
        msg = f"{folder}: no Spark event log (was the session started with it?)"
        raise FileNotFoundError(msg)
    lines = files[-1].read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def groups(folder: Path) -> dict[str, Group]:
    """The event log's jobs and completed stages by job group (untagged: ``""``)."""
    out: dict[str, Group] = defaultdict(Group)
    job_group: dict[int, str] = {}
    job_start: dict[int, float] = {}
    stage_group: dict[int, str] = {}
    stages: dict[int, Stage] = {}
    for ev in _events(folder):
        kind = ev.get("Event")
        if kind == "SparkListenerJobStart":
            props = ev.get("Properties") or {}
            group = str(props.get("spark.jobGroup.id") or "")
            job = int(ev["Job ID"])
            job_group[job] = group
            job_start[job] = float(ev["Submission Time"])
            for sid in ev.get("Stage IDs", []):
                stage_group.setdefault(int(sid), group)
        elif kind == "SparkListenerJobEnd":
            job = int(ev["Job ID"])
            out[job_group[job]].jobs.append(
                (job_start[job], float(ev["Completion Time"]))
            )
        elif kind == "SparkListenerTaskEnd":
            sid = int(ev["Stage ID"])
            metrics = ev.get("Task Metrics") or {}
            stage = stages.setdefault(sid, Stage())
            stage.tasks.append(float(metrics.get("Executor Run Time", 0)))
            stage.cpu_ms += float(metrics.get("Executor CPU Time", 0)) / 1e6
        elif kind == "SparkListenerStageCompleted":
            info = ev["Stage Info"]
            sid = int(info["Stage ID"])
            stage = stages.setdefault(sid, Stage())
            stage.wall_ms = float(info.get("Completion Time", 0)) - float(
                info.get("Submission Time", 0)
            )
            out[stage_group.get(sid, "")].stages.append(stage)
    return dict(out)


def profile(
    folder: Path,
    walls: dict[str, float],
    run_cores: int,
    cores: tuple[int, ...] = (1, 2, 4, 8),
) -> dict[str, dict[str, Any]]:
    """Per analysis (``walls``: name -> measured seconds): counts, parts, Amdahl times.

    ``run_cores`` is the number of executor cores the run had.
    """
    found = groups(folder)
    out: dict[str, dict[str, Any]] = {}
    for name, wall in walls.items():
        g = found.get(name, Group())
        busy = g.busy_ms() / 1000
        task = sum(s.task_ms for s in g.stages) / 1000
        ideal_run = sum(s.ideal_ms(run_cores) for s in g.stages) / 1000
        driver = max(0.0, wall - busy)
        out[name] = {
            "wall_s": round(wall, 2),
            "jobs": len(g.jobs),
            "stages": len(g.stages),
            "tasks": sum(len(s.tasks) for s in g.stages),
            "driver_s": round(driver, 2),
            "in_jobs_s": round(busy, 2),
            "task_s": round(task, 2),
            "task_cpu_s": round(sum(s.cpu_ms for s in g.stages) / 1000, 2),
            "critical_path_s": round(sum(s.longest_ms for s in g.stages) / 1000, 2),
            "amdahl_s": {
                str(n): round(
                    wall - ideal_run + sum(s.ideal_ms(n) for s in g.stages) / 1000, 2
                )
                for n in cores
            },
        }
    return out
