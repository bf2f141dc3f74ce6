"""The service blueprint as data: lanes, steps, service standards and the flow.

A blueprint is written in YAML (schema in ``docs/blueprint.md``) and loaded into frozen
dataclasses by :func:`load_blueprint` or :func:`parse_blueprint`. Every problem raises
:class:`~servops.errors.ConfigError` naming the key, the value received and, when the text
came from a file, the line.

The layout follows Shostack (1984) and Bitner, Ostrom & Morgan (2008), "Service
Blueprinting: A Practical Technique for Service Innovation": physical evidence above
customer actions; the *line of interaction* separates customer actions from frontstage
(visible) employee actions; the *line of visibility* separates frontstage from backstage;
the *line of internal interaction* separates backstage from support processes.

The flow compiles to a Petri net without silent transitions (:meth:`Blueprint.petri_net`):
a step is a transition, and the steps around a choice share one place. Two steps that
share a successor therefore share their whole choice (the net is *free-choice*); when this
allows orders the flow did not list, the net's ``notes`` say which.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, cast

from servops._durations import DURATION_UNITS, parse_duration
from servops._yaml import KeyPath, YamlDoc, parse_yaml
from servops.errors import ConfigError

__all__ = [
    "LANES",
    "Blueprint",
    "FlowLink",
    "LaneId",
    "LaneSpec",
    "PetriNet",
    "ServiceStandard",
    "Step",
    "load_blueprint",
    "parse_blueprint",
    "parse_standard",
]

LaneId = Literal["customer", "frontstage", "backstage", "support"]
Reference = Literal["case_start", "previous", "step", "duration"]

#: The four action lanes, top to bottom; physical evidence is drawn above them.
LANES: tuple[LaneId, ...] = ("customer", "frontstage", "backstage", "support")

_LANE_LABELS: dict[str, tuple[str, str]] = {
    "customer": ("Customer actions", "顾客行为"),
    "frontstage": ("Frontstage (visible)", "前台行为（可见）"),
    "backstage": ("Backstage (invisible)", "后台行为（不可见）"),
    "support": ("Support processes", "支持过程"),
}
_LANE_ALIASES = {
    "customer": "customer",
    "customer actions": "customer",
    "customer action": "customer",
    "frontstage": "frontstage",
    "front stage": "frontstage",
    "onstage": "frontstage",
    "front": "frontstage",
    "backstage": "backstage",
    "back stage": "backstage",
    "back": "backstage",
    "support": "support",
    "support processes": "support",
    "support process": "support",
}
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_PSEUDO = ("start", "end")


# --------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------
Path_ = KeyPath


# --------------------------------------------------------------------------------------
# Service standards
# --------------------------------------------------------------------------------------
_EN_UNIT = "|".join(
    sorted((u for u in DURATION_UNITS if u.isascii()), key=len, reverse=True)
)
_ZH_UNIT = "|".join(
    sorted((u for u in DURATION_UNITS if not u.isascii()), key=len, reverse=True)
)
_NUM = r"(?P<num>\d+(?:\.\d+)?)"
_PCT = r"(?:\s*(?:,|for|in|for at least)?\s*(?P<pct>\d+(?:\.\d+)?)\s*%(?:\s*of\s+(?:cases|the\s+cases|tickets|customers))?)?"
_EN_STD = re.compile(
    rf"^(?P<verb>[^\d]*?)\s*(?:within|in under|under|at most|no more than|<=|≤|in)\s*"
    rf"{_NUM}\s*(?P<unit>{_EN_UNIT})\b"
    rf"(?:\s+(?:of|from|after|since)\s+(?P<ref>.+?))?{_PCT}\s*\.?$",
    re.IGNORECASE,
)
_ZH_STD = re.compile(
    rf"^(?:(?:自|从)(?P<ref>.+?)(?:起|开始)?\s*[,，]?\s*)?(?P<pre>[^\d]*?)\s*{_NUM}\s*"
    rf"(?P<unit>{_ZH_UNIT})\s*(?:内|以内|之内)(?P<verb>.*?)"
    rf"(?:\s*[,，]?\s*(?P<pct>\d+(?:\.\d+)?)\s*%)?\s*。?$"
)
_CASE_START = {
    "case start",
    "start",
    "arrival",
    "creation",
    "request",
    "the request",
    "case creation",
    "ticket creation",
    "the start",
    "受理",
    "开始",
    "创建",
    "提交",
}
_PREVIOUS = {
    "previous step",
    "previous",
    "prior step",
    "last step",
    "the previous step",
    "handover",
    "上一步",
    "前一步",
}
_DURATION_VERBS = (
    "takes",
    "take",
    "duration",
    "lasts",
    "last",
    "is handled",
    "handled",
    "work",
    "耗时",
    "用时",
    "处理时长",
)


@dataclass(frozen=True, slots=True)
class ServiceStandard:
    """A measurable service standard such as "respond within 30 min".

    Attributes
    ----------
    text
        The standard as written.
    limit
        The time allowed.
    reference
        What the clock measures: ``case_start`` (from the case's arrival, its
        earliest enablement where the log records one, else its first event, to the
        step's first completion), ``previous`` (from the completion of the event before
        the step's first occurrence), ``step`` (from the first completion of
        ``ref_step``) or ``duration`` (each occurrence's own start-to-end time).
    ref_step
        The reference step's id when ``reference == "step"``.
    target
        The share of cases that should meet it (``0.9`` for "in 90 % of cases"), if
        stated.
    """

    text: str
    limit: timedelta
    reference: Reference = "case_start"
    ref_step: str | None = None
    target: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``limit_s`` in seconds)."""
        return {
            "text": self.text,
            "limit_s": self.limit.total_seconds(),
            "reference": self.reference,
            "ref_step": self.ref_step,
            "target": self.target,
        }

    def short(self) -> str:
        """A compact label such as ``≤30m`` for drawings."""
        s = self.limit.total_seconds()
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if s >= size and s % size == 0:
                return f"≤{int(s // size)}{unit}"
        if s >= 3600:
            return f"≤{s / 3600:.1f}h"
        return f"≤{int(s)}s"


def parse_standard(
    text: str, *, steps: Sequence[str] = (), where: str = "standard"
) -> ServiceStandard:
    """Parse a service standard written in English or Chinese.

    Parameters
    ----------
    text
        For example ``"respond within 30 min"``, ``"resolve within 8 h of case start
        in 90% of cases"``, ``"within 2 h after triage"``, ``"takes at most 15 min"``,
        ``"30分钟内响应"``.
    steps
        Known step ids, so that ``"within 1 h after <step>"`` can name a step.
    where
        Where the text came from, for the error message.

    Returns
    -------
    ServiceStandard

    Raises
    ------
    ConfigError
        When the text does not say a time limit.

    Examples
    --------
    >>> s = parse_standard("respond within 30 min")
    >>> s.limit.total_seconds(), s.reference
    (1800.0, 'case_start')
    >>> parse_standard("within 2 h after previous step in 90% of cases").target
    0.9
    >>> parse_standard("30分钟内响应").limit.total_seconds()
    1800.0
    """
    raw = str(text).strip()
    m = _EN_STD.match(raw) or _ZH_STD.match(raw)
    if m is None:
        msg = (
            f"{where}: cannot read the service standard {raw!r}. The rule: a time "
            f"limit such as 'respond within 30 min', 'within 4 h of case start', "
            f"'within 1 h after <step id>', 'takes at most 15 min' or '30分钟内响应', "
            f"optionally followed by 'in 90% of cases'."
        )
        raise ConfigError(msg)
    gd = m.groupdict()
    unit = gd["unit"].lower() if gd["unit"].isascii() else gd["unit"]
    seconds = float(gd["num"]) * DURATION_UNITS[unit]
    if seconds <= 0:
        msg = f"{where}: the time limit in {raw!r} must be positive."
        raise ConfigError(msg)
    verb = ((gd.get("verb") or "") + " " + (gd.get("pre") or "")).strip().lower()
    ref_text = (gd.get("ref") or "").strip().lower()
    reference: Reference = "case_start"
    ref_step: str | None = None
    if any(verb.startswith(v) or verb.endswith(v) for v in _DURATION_VERBS):
        reference = "duration"
    if ref_text:
        if ref_text in _CASE_START:
            reference = "case_start"
        elif ref_text in _PREVIOUS:
            reference = "previous"
        else:
            match = next((s for s in steps if s.lower() == ref_text), None)
            if match is None:
                msg = (
                    f"{where}: the standard {raw!r} measures from {ref_text!r}, "
                    f"which is neither 'case start', 'previous step' nor a step id. "
                    f"Known steps: {sorted(steps)}"
                )
                raise ConfigError(msg)
            reference, ref_step = "step", match
    target = None
    if gd.get("pct"):
        target = float(gd["pct"]) / 100.0
        if not 0.0 < target <= 1.0:
            msg = f"{where}: the target share in {raw!r} must be in (0 %, 100 %]."
            raise ConfigError(msg)
    return ServiceStandard(raw, timedelta(seconds=seconds), reference, ref_step, target)


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LaneSpec:
    """One of the four action lanes and its labels."""

    id: LaneId
    name: str
    name_zh: str

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` (``"en"`` or ``"zh"``)."""
        return self.name_zh if lang == "zh" else self.name


@dataclass(frozen=True, slots=True)
class Step:
    """One action in the blueprint.

    Attributes
    ----------
    id
        Short identifier used in the flow (letters, digits, ``_``, ``-``).
    name, name_zh
        Labels in English and Chinese.
    lane
        ``customer``, ``frontstage``, ``backstage`` or ``support``.
    touchpoint, channel
        Where the customer meets the service (``web form``) and by which channel.
    evidence, evidence_zh
        Physical evidence the customer sees at this step (drawn above the lanes).
    moment_of_truth
        A step that shapes the customer's judgement of the service.
    fail_point, fail_note
        A step where the service is likely to fail, and why.
    value_adding
        Whether the customer would pay for this step (value-stream analysis).
    standard
        The service standard measured at this step, if any.
    activities
        The log activity names this step stands for.
    work_time
        The designed touch time, used as value-adding time when the log has no
        start timestamps.
    align
        Draw this step in the same column as another step (for steps off the flow).
    """

    id: str
    name: str
    lane: LaneId
    name_zh: str = ""
    description: str = ""
    touchpoint: str = ""
    channel: str = ""
    evidence: str = ""
    evidence_zh: str = ""
    moment_of_truth: bool = False
    fail_point: bool = False
    fail_note: str = ""
    value_adding: bool = False
    standard: ServiceStandard | None = None
    activities: tuple[str, ...] = ()
    work_time: timedelta | None = None
    align: str | None = None

    def label(self, lang: str = "en") -> str:
        """The name in ``lang``, falling back to the other language."""
        if lang == "zh":
            return self.name_zh or self.name
        return self.name or self.name_zh

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "name": self.name,
            "name_zh": self.name_zh,
            "lane": self.lane,
            "description": self.description,
            "touchpoint": self.touchpoint,
            "channel": self.channel,
            "evidence": self.evidence,
            "evidence_zh": self.evidence_zh,
            "moment_of_truth": self.moment_of_truth,
            "fail_point": self.fail_point,
            "fail_note": self.fail_note,
            "value_adding": self.value_adding,
            "standard": self.standard.to_dict() if self.standard else None,
            "activities": list(self.activities),
            "work_time_s": self.work_time.total_seconds() if self.work_time else None,
            "align": self.align,
        }


@dataclass(frozen=True, slots=True)
class FlowLink:
    """One flow statement ``sources -> targets``.

    ``split`` says whether several targets are alternatives (``xor``, written ``b | c``)
    or all follow (``and``, written ``b & c``); ``join`` says the same of several
    sources. ``start`` and ``end`` stand for the beginning and end of a case.
    """

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    join: Literal["xor", "and"] = "xor"
    split: Literal["xor", "and"] = "xor"
    line: int | None = None

    def edges(self) -> Iterator[tuple[str, str]]:
        """The directly-follows pairs this statement allows."""
        for s in self.sources:
            for t in self.targets:
                yield s, t

    def text(self) -> str:
        """The statement as written in the YAML syntax."""
        j = " & " if self.join == "and" else " | "
        s = " & " if self.split == "and" else " | "
        return f"{j.join(self.sources)} -> {s.join(self.targets)}"


@dataclass(frozen=True, slots=True)
class PetriNet:
    """The blueprint's flow as a Petri net with one transition per step.

    ``inputs[t]`` and ``outputs[t]`` are the places a step consumes from and produces
    into. The initial marking puts one token in each place of ``initial``; the final
    marking is one token in each place of ``final``. There are no silent transitions,
    so token replay is deterministic.
    """

    places: tuple[str, ...]
    transitions: tuple[str, ...]
    inputs: Mapping[str, tuple[str, ...]]
    outputs: Mapping[str, tuple[str, ...]]
    initial: tuple[str, ...]
    final: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def arcs(self) -> list[tuple[str, str]]:
        """All arcs as ``(source, target)``: place→step and step→place."""
        out: list[tuple[str, str]] = []
        for t in self.transitions:
            out.extend((p, t) for p in self.inputs[t])
            out.extend((t, p) for p in self.outputs[t])
        return out

    def producers(self, place: str) -> list[str]:
        """Steps producing into ``place`` (``start`` for initially marked places)."""
        out = [t for t in self.transitions if place in self.outputs[t]]
        return (["start"] if place in self.initial else []) + out

    def consumers(self, place: str) -> list[str]:
        """Steps consuming from ``place`` (``end`` for final places)."""
        out = [t for t in self.transitions if place in self.inputs[t]]
        return out + (["end"] if place in self.final else [])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "places": list(self.places),
            "transitions": list(self.transitions),
            "arcs": [list(a) for a in self.arcs()],
            "initial": list(self.initial),
            "final": list(self.final),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class Blueprint:
    """A service blueprint: lanes, steps and the flow between the steps.

    Build one with :func:`load_blueprint` (a YAML file) or :func:`parse_blueprint`.

    Examples
    --------
    >>> bp = parse_blueprint('''
    ... name: Repair
    ... steps:
    ...   - {id: call, name: Customer calls, lane: customer, activities: [Call]}
    ...   - {id: fix, name: Technician fixes, lane: backstage, activities: [Fix],
    ...      standard: within 2 h}
    ... flow:
    ...   - start -> call -> fix -> end
    ... ''')
    >>> [s.id for s in bp.steps], bp.edges()
    (['call', 'fix'], [('start', 'call'), ('call', 'fix'), ('fix', 'end')])
    """

    name: str
    steps: tuple[Step, ...]
    flow: tuple[FlowLink, ...]
    name_zh: str = ""
    description: str = ""
    lanes: tuple[LaneSpec, ...] = field(
        default_factory=lambda: tuple(
            LaneSpec(cast("LaneId", k), en, zh) for k, (en, zh) in _LANE_LABELS.items()
        )
    )
    source: str = "<string>"

    # -- look-ups -------------------------------------------------------------------
    def step(self, step_id: str) -> Step:
        """The step with id ``step_id``."""
        for s in self.steps:
            if s.id == step_id:
                return s
        msg = f"blueprint {self.name!r} has no step {step_id!r}; steps: {self.step_ids}"
        raise ConfigError(msg)

    @property
    def step_ids(self) -> list[str]:
        """Step ids in file order."""
        return [s.id for s in self.steps]

    def lane(self, lane_id: str) -> LaneSpec:
        """The lane with id ``lane_id``."""
        return next(ln for ln in self.lanes if ln.id == lane_id)

    def label(self, lang: str = "en") -> str:
        """The blueprint's name in ``lang``."""
        return (self.name_zh or self.name) if lang == "zh" else self.name

    def flow_steps(self) -> list[str]:
        """Steps that take part in the flow, in file order."""
        used = {n for link in self.flow for n in (*link.sources, *link.targets)}
        return [s.id for s in self.steps if s.id in used]

    def activity_map(self) -> dict[str, str]:
        """Log activity name → step id."""
        return {a: s.id for s in self.steps for a in s.activities}

    def edges(self) -> list[tuple[str, str]]:
        """The directly-follows pairs the flow allows (with ``start`` and ``end``)."""
        seen: dict[tuple[str, str], None] = {}
        for link in self.flow:
            for e in link.edges():
                seen.setdefault(e, None)
        return list(seen)

    def loop_steps(self) -> set[str]:
        """Steps on a cycle of the flow: repeating them is designed, not rework."""
        succ: dict[str, set[str]] = {}
        for a, b in self.edges():
            succ.setdefault(a, set()).add(b)
        out: set[str] = set()
        for s in self.flow_steps():
            stack, seen = list(succ.get(s, ())), set()
            while stack:
                n = stack.pop()
                if n == s:
                    out.add(s)
                    break
                if n not in seen:
                    seen.add(n)
                    stack.extend(succ.get(n, ()))
        return out

    def order(self) -> list[str]:
        """Steps in time order: a topological order of the flow with loops cut.

        Steps off the flow follow their ``align`` step, or keep their file position.
        """
        succ: dict[str, list[str]] = {}
        for a, b in self.edges():
            succ.setdefault(a, []).append(b)
        index = {s: i for i, s in enumerate(self.step_ids)}
        # depth-first post-order from start; back edges (to a node on the stack) ignored
        post: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str) -> None:
            state[n] = 1
            for m in sorted(
                succ.get(n, ()), key=lambda x: index.get(x, -1), reverse=True
            ):
                if state.get(m, 0) == 0:
                    visit(m)
            state[n] = 2
            post.append(n)

        visit("start")
        for s in self.flow_steps():  # unreachable parts of the flow
            if state.get(s, 0) == 0:
                visit(s)
        flow_order = [n for n in reversed(post) if n not in _PSEUDO]
        out = list(flow_order)
        for step in self.steps:
            if step.id in out:
                continue
            anchor = step.align
            if anchor is None:
                before = [x.id for x in self.steps[: index[step.id]] if x.id in out]
                anchor = before[-1] if before else None
            pos = out.index(anchor) + 1 if anchor in out else 0
            out.insert(pos, step.id)
        return out

    # -- the Petri net ---------------------------------------------------------------
    def petri_net(self) -> PetriNet:
        """Compile the flow into a free-choice Petri net without silent transitions.

        Every step in the flow is a transition. Steps on either side of a choice
        (``|``) share one place; a parallel split (``a -> b & c``) gives ``a`` one
        output place per branch, a parallel join (``b & c -> d``) gives ``d`` one input
        place per branch. ``start`` marks the initial places and ``end`` the final ones.
        """
        parent: dict[tuple[str, ...], tuple[str, ...]] = {}

        def find(x: tuple[str, ...]) -> tuple[str, ...]:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a: tuple[str, ...], b: tuple[str, ...]) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        out_ports: dict[str, list[tuple[str, ...]]] = {}
        in_ports: dict[str, list[tuple[str, ...]]] = {}
        for k, link in enumerate(self.flow):
            if link.split == "and":
                (src,) = link.sources
                ports: list[tuple[str, ...]] = [
                    ("o", src, str(k), str(j)) for j in range(len(link.targets))
                ]
                out_ports[src] = ports
                for port, tgt in zip(ports, link.targets, strict=True):
                    in_ports.setdefault(tgt, [("i", tgt)])
                    union(port, ("i", tgt))
            elif link.join == "and":
                (tgt,) = link.targets
                ports = [("i", tgt, str(k), str(j)) for j in range(len(link.sources))]
                in_ports[tgt] = ports
                for port, src in zip(ports, link.sources, strict=True):
                    out_ports.setdefault(src, [("o", src)])
                    union(port, ("o", src))
            else:
                for s, t in link.edges():
                    out_ports.setdefault(s, [("o", s)])
                    in_ports.setdefault(t, [("i", t)])
                    union(("o", s), ("i", t))
        steps = self.flow_steps()
        roots: dict[tuple[str, ...], str] = {}

        def name(port: tuple[str, ...]) -> str:
            r = find(port)
            if r not in roots:
                roots[r] = f"p{len(roots)}"
            return roots[r]

        initial = tuple(name(p) for p in out_ports.get("start", []))
        inputs = {s: tuple(name(p) for p in in_ports.get(s, [])) for s in steps}
        outputs = {s: tuple(name(p) for p in out_ports.get(s, [])) for s in steps}
        final = tuple(name(p) for p in in_ports.get("end", []))
        # readable place names: source / sink / p_<first producer>
        rename: dict[str, str] = {}
        for p in initial:
            rename.setdefault(p, "source" if len(initial) == 1 else f"source_{p}")
        for p in final:
            rename.setdefault(p, "sink" if len(final) == 1 else f"sink_{p}")
        for s in steps:
            for j, p in enumerate(outputs[s]):
                rename.setdefault(
                    p, f"after_{s}" + (f"_{j}" if len(outputs[s]) > 1 else "")
                )
        for p in sorted(set(roots.values())):
            rename.setdefault(p, p)
        inputs = {s: tuple(rename[p] for p in v) for s, v in inputs.items()}
        outputs = {s: tuple(rename[p] for p in v) for s, v in outputs.items()}
        places = tuple(
            dict.fromkeys(
                [rename[p] for p in initial]
                + [p for s in steps for p in (*inputs[s], *outputs[s])]
                + [rename[p] for p in final]
            )
        )
        net = PetriNet(
            places=places,
            transitions=tuple(steps),
            inputs=inputs,
            outputs=outputs,
            initial=tuple(rename[p] for p in initial),
            final=tuple(rename[p] for p in final),
        )
        declared = set(self.edges())
        extra = []
        for s in ["start", *steps]:
            outs = net.initial if s == "start" else net.outputs[s]
            for p in outs:
                for t in net.consumers(p):
                    if (s, t) not in declared and len(outs) == 1:
                        extra.append(f"{s} -> {t}")
        notes: tuple[str, ...] = ()
        if extra:
            notes = (
                "the flow is not free-choice: steps that share a successor share their "
                "whole choice, so the net also allows " + ", ".join(extra),
            )
        return PetriNet(
            net.places,
            net.transitions,
            net.inputs,
            net.outputs,
            net.initial,
            net.final,
            notes,
        )

    # -- serialisation ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "name_zh": self.name_zh,
            "description": self.description,
            "lanes": [
                {"id": ln.id, "name": ln.name, "name_zh": ln.name_zh}
                for ln in self.lanes
            ],
            "steps": [s.to_dict() for s in self.steps],
            "flow": [link.text() for link in self.flow],
        }


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------
_TOP_KEYS = {"name", "name_zh", "description", "lanes", "steps", "flow", "version"}
_STEP_KEYS = {
    "id",
    "name",
    "name_zh",
    "lane",
    "description",
    "touchpoint",
    "channel",
    "evidence",
    "evidence_zh",
    "moment_of_truth",
    "fail_point",
    "value_adding",
    "standard",
    "activities",
    "work_time",
    "align",
}


def load_blueprint(path: str | Path) -> Blueprint:
    r"""Read a blueprint YAML file.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    Blueprint

    Raises
    ------
    ConfigError
        When the file is missing or malformed; the message names the key, the value
        and the line.

    Examples
    --------
    >>> _ = (tmp_path / "bp.yaml").write_text(
    ...     "name: Call\nsteps:\n- {id: answer, name: Answer, lane: frontstage,\n"
    ...     "   activities: [Answer], standard: answer within 20 s}\n"
    ... )
    >>> bp = load_blueprint(tmp_path / "bp.yaml")
    >>> bp.step("answer").standard.limit.total_seconds(), bp.edges()
    (20.0, [('start', 'answer'), ('answer', 'end')])
    """
    p = Path(path)
    if not p.is_file():
        msg = (
            f"blueprint file not found: {str(p)!r}. Hint: give the path of a YAML file."
        )
        raise ConfigError(msg)
    return parse_blueprint(p.read_text(encoding="utf-8"), source=str(p))


def parse_blueprint(
    spec: str | Mapping[str, Any], *, source: str = "<string>"
) -> Blueprint:
    """Build a blueprint from YAML text or an already-parsed mapping.

    See :func:`load_blueprint`; the schema is documented in ``docs/blueprint.md``.
    """
    if isinstance(spec, str):
        src = parse_yaml(spec, source, what="blueprint")
    else:
        src = YamlDoc(spec, {}, source)
    data = src.data
    if not isinstance(data, Mapping):
        msg = (
            f"blueprint {source}: the top level must be a mapping with 'name', "
            f"'steps' and 'flow'; got {type(data).__name__}."
        )
        raise ConfigError(msg)
    _unknown_keys(src, data, _TOP_KEYS, ())
    name = _text(src, data, "name", (), required=True)
    lanes = _parse_lanes(src, data.get("lanes"))
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        msg = (
            f"{src.where(('steps',))}: 'steps' must be a non-empty list of steps; "
            f"got {steps_raw!r}."
        )
        raise ConfigError(msg)
    ids = []
    for i, raw in enumerate(steps_raw):
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            ids.append(raw["id"])
        elif isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
            ids.append(_slug(raw["name"], i))
    steps = tuple(_parse_step(src, raw, i, ids) for i, raw in enumerate(steps_raw))
    seen: dict[str, int] = {}
    for i, s in enumerate(steps):
        if s.id in _PSEUDO:
            msg = (
                f"{src.where(('steps', i, 'id'))}: the step id {s.id!r} is reserved "
                f"for the beginning/end of a case; choose another id."
            )
            raise ConfigError(msg)
        if s.id in seen:
            msg = (
                f"{src.where(('steps', i, 'id'))}: duplicate step id {s.id!r} "
                f"(also step {seen[s.id]}). Step ids must be unique."
            )
            raise ConfigError(msg)
        seen[s.id] = i
    owner: dict[str, str] = {}
    for i, s in enumerate(steps):
        for a in s.activities:
            if a in owner:
                msg = (
                    f"{src.where(('steps', i, 'activities'))}: log activity {a!r} is "
                    f"mapped to both {owner[a]!r} and {s.id!r}; an activity belongs "
                    f"to one step."
                )
                raise ConfigError(msg)
            owner[a] = s.id
    for i, s in enumerate(steps):
        if s.align is not None and s.align not in seen:
            msg = (
                f"{src.where(('steps', i, 'align'))}: align names an unknown step "
                f"{s.align!r}. Known steps: {list(seen)}"
            )
            raise ConfigError(msg)
    flow = _parse_flow(src, data.get("flow"), [s.id for s in steps])
    bp = Blueprint(
        name=name,
        name_zh=_text(src, data, "name_zh", ()),
        description=_text(src, data, "description", ()),
        steps=steps,
        flow=flow,
        lanes=lanes,
        source=source,
    )
    in_flow = set(bp.flow_steps())
    for i, s in enumerate(steps):
        if s.activities and s.id not in in_flow:
            msg = (
                f"{src.where(('steps', i))}: step {s.id!r} maps log activities "
                f"{list(s.activities)} but is not in the flow. Add it to 'flow' or "
                f"drop its 'activities'."
            )
            raise ConfigError(msg)
        if s.id in in_flow and not s.activities:
            msg = (
                f"{src.where(('steps', i))}: step {s.id!r} is in the flow but maps no "
                f"log activity, so the log can never show it. Add 'activities: "
                f"[<activity name>]' or take it out of 'flow' (it is still drawn)."
            )
            raise ConfigError(msg)
    _check_and_ports(src, bp)
    return bp


def _slug(name: str, i: int) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    return s if s and s[0].isalpha() else f"step{i + 1}"


def _unknown_keys(
    src: YamlDoc, d: Mapping[str, Any], allowed: set[str], path: Path_
) -> None:
    for k in d:
        if k not in allowed:
            msg = (
                f"{src.where((*path, str(k)))}: unknown key {k!r}. Allowed keys: "
                f"{sorted(allowed)}"
            )
            raise ConfigError(msg)


def _text(
    src: YamlDoc, d: Mapping[str, Any], key: str, path: Path_, *, required: bool = False
) -> str:
    v = d.get(key)
    if v is None:
        if required:
            msg = f"{src.where(path)}: missing required key {key!r}."
            raise ConfigError(msg)
        return ""
    if not isinstance(v, str | int | float) or isinstance(v, bool):
        msg = f"{src.where((*path, key))}: {key!r} must be text; got {v!r}."
        raise ConfigError(msg)
    return str(v)


def _flag(src: YamlDoc, d: Mapping[str, Any], key: str, path: Path_) -> bool:
    v = d.get(key, False)
    if not isinstance(v, bool):
        msg = f"{src.where((*path, key))}: {key!r} must be true or false; got {v!r}."
        raise ConfigError(msg)
    return v


def _parse_lanes(src: YamlDoc, raw: object) -> tuple[LaneSpec, ...]:
    labels = dict(_LANE_LABELS)
    if raw is not None:
        if not isinstance(raw, Mapping):
            msg = (
                f"{src.where(('lanes',))}: 'lanes' must map lane ids "
                f"{list(LANES)} to labels; got {raw!r}."
            )
            raise ConfigError(msg)
        for k, v in raw.items():
            if k not in labels:
                msg = (
                    f"{src.where(('lanes', str(k)))}: unknown lane {k!r}. A blueprint "
                    f"has the lanes {list(LANES)} (physical evidence is drawn from "
                    f"each step's 'evidence')."
                )
                raise ConfigError(msg)
            if isinstance(v, str):
                labels[k] = (v, labels[k][1])
            elif isinstance(v, Mapping):
                _unknown_keys(src, v, {"name", "name_zh"}, ("lanes", k))
                labels[k] = (
                    str(v.get("name", labels[k][0])),
                    str(v.get("name_zh", labels[k][1])),
                )
            else:
                msg = (
                    f"{src.where(('lanes', k))}: a lane label must be text or "
                    f"{{name, name_zh}}; got {v!r}."
                )
                raise ConfigError(msg)
    return tuple(LaneSpec(cast("LaneId", k), en, zh) for k, (en, zh) in labels.items())


def _duration(src: YamlDoc, v: object, path: Path_) -> timedelta:
    # blueprints predate the shared syntax: a bare number is minutes there
    return parse_duration(
        v, src.where(path), error=ConfigError, bare_unit="min", positive=True
    )


def _parse_step(src: YamlDoc, raw: object, i: int, ids: list[str]) -> Step:
    path: Path_ = ("steps", i)
    if not isinstance(raw, Mapping):
        msg = f"{src.where(path)}: a step must be a mapping with 'id', 'name' and 'lane'; got {raw!r}."
        raise ConfigError(msg)
    _unknown_keys(src, raw, _STEP_KEYS, path)
    name = _text(src, raw, "name", path, required=True)
    sid = _text(src, raw, "id", path) or _slug(name, i)
    if not _ID.match(sid):
        msg = (
            f"{src.where((*path, 'id'))}: step id {sid!r} must start with a letter "
            f"and contain only letters, digits, '_' and '-'."
        )
        raise ConfigError(msg)
    lane_raw = _text(src, raw, "lane", path, required=True)
    lane = _LANE_ALIASES.get(lane_raw.strip().lower())
    if lane is None:
        msg = (
            f"{src.where((*path, 'lane'))}: unknown lane {lane_raw!r} for step {sid!r}. "
            f"Choose one of {list(LANES)}."
        )
        raise ConfigError(msg)
    acts = raw.get("activities", [])
    if isinstance(acts, str):
        acts = [acts]
    if not isinstance(acts, list) or not all(isinstance(a, str) and a for a in acts):
        msg = (
            f"{src.where((*path, 'activities'))}: 'activities' must be a list of log "
            f"activity names; got {acts!r}."
        )
        raise ConfigError(msg)
    fp = raw.get("fail_point", False)
    if isinstance(fp, bool):
        fail_point, fail_note = fp, ""
    elif isinstance(fp, str) and fp.strip():
        fail_point, fail_note = True, fp.strip()
    else:
        msg = (
            f"{src.where((*path, 'fail_point'))}: 'fail_point' must be true/false or "
            f"a description of the failure; got {fp!r}."
        )
        raise ConfigError(msg)
    standard = None
    std = raw.get("standard")
    if std is not None:
        standard = _parse_standard_value(src, std, (*path, "standard"), ids)
    work_time = None
    if raw.get("work_time") is not None:
        work_time = _duration(src, raw["work_time"], (*path, "work_time"))
    align = raw.get("align")
    return Step(
        id=sid,
        name=name,
        lane=cast("LaneId", lane),
        name_zh=_text(src, raw, "name_zh", path),
        description=_text(src, raw, "description", path),
        touchpoint=_text(src, raw, "touchpoint", path),
        channel=_text(src, raw, "channel", path),
        evidence=_text(src, raw, "evidence", path),
        evidence_zh=_text(src, raw, "evidence_zh", path),
        moment_of_truth=_flag(src, raw, "moment_of_truth", path),
        fail_point=fail_point,
        fail_note=fail_note,
        value_adding=_flag(src, raw, "value_adding", path),
        standard=standard,
        activities=tuple(acts),
        work_time=work_time,
        align=str(align) if align is not None else None,
    )


def _parse_standard_value(
    src: YamlDoc, std: object, path: Path_, ids: list[str]
) -> ServiceStandard:
    if isinstance(std, str):
        return parse_standard(std, steps=ids, where=src.where(path))
    if not isinstance(std, Mapping):
        msg = (
            f"{src.where(path)}: 'standard' must be text such as 'respond within "
            f"30 min' or a mapping {{within, from, target}}; got {std!r}."
        )
        raise ConfigError(msg)
    _unknown_keys(src, std, {"within", "from", "target", "text"}, path)
    if "within" not in std:
        msg = f"{src.where(path)}: a standard mapping needs 'within' (e.g. '30 min')."
        raise ConfigError(msg)
    limit = _duration(src, std["within"], (*path, "within"))
    ref = str(std.get("from", "case_start"))
    reference: Reference
    ref_step = None
    if ref in ("case_start", "previous", "duration"):
        reference = cast("Reference", ref)
    elif ref in ids:
        reference, ref_step = "step", ref
    else:
        msg = (
            f"{src.where((*path, 'from'))}: 'from' must be case_start, previous, "
            f"duration or a step id; got {ref!r}. Known steps: {ids}"
        )
        raise ConfigError(msg)
    target = std.get("target")
    if target is not None:
        ok = isinstance(target, int | float) and not isinstance(target, bool)
        if ok and float(target) > 1:
            target = float(target) / 100.0
        if not ok or not 0 < float(target) <= 1:
            msg = (
                f"{src.where((*path, 'target'))}: 'target' must be a share in (0, 1] "
                f"or a percentage; got {std.get('target')!r}."
            )
            raise ConfigError(msg)
        target = float(target)
    text = str(std.get("text") or f"within {std['within']} from {ref}")
    return ServiceStandard(text, limit, reference, ref_step, target)


_ARROW = re.compile(r"\s*->\s*|\s*→\s*")


def _parse_flow(src: YamlDoc, raw: object, ids: list[str]) -> tuple[FlowLink, ...]:
    if raw is None:
        chain = ["start", *ids, "end"]
        return tuple(FlowLink((a,), (b,)) for a, b in itertools.pairwise(chain))
    if not isinstance(raw, list) or not raw:
        msg = (
            f"{src.where(('flow',))}: 'flow' must be a list of statements such as "
            f"'start -> a -> b | c'; got {raw!r}."
        )
        raise ConfigError(msg)
    known = set(ids)
    links: list[FlowLink] = []
    for i, stmt in enumerate(raw):
        where = src.where(("flow", i))
        line = src.lines.get(("flow", i))
        if not isinstance(stmt, str) or ("->" not in stmt and "→" not in stmt):
            msg = (
                f"{where}: a flow statement is text like 'a -> b', 'a -> b | c' "
                f"(choice) or 'a -> b & c' (parallel); got {stmt!r}."
            )
            raise ConfigError(msg)
        parts = _ARROW.split(stmt.strip())
        groups: list[tuple[tuple[str, ...], Literal["xor", "and"]]] = []
        for part in parts:
            if "|" in part and "&" in part:
                msg = (
                    f"{where}: {part!r} mixes '|' and '&'; write the choice and the "
                    f"parallel split as separate statements."
                )
                raise ConfigError(msg)
            op: Literal["xor", "and"] = "and" if "&" in part else "xor"
            names = tuple(n.strip() for n in re.split(r"[|&]", part))
            for n in names:
                if n not in known and n not in _PSEUDO:
                    hint = (
                        ""
                        if n
                        else " (an empty name: check for a stray '|', '&' or '->')"
                    )
                    msg = (
                        f"{where}: unknown step {n!r} in flow statement {stmt!r}"
                        f"{hint}. Known steps: {ids} (and 'start', 'end')."
                    )
                    raise ConfigError(msg)
            groups.append((names, op))
        for (left, lop), (right, rop) in itertools.pairwise(groups):
            if "end" in left or "start" in right:
                msg = (
                    f"{where}: 'start' can only begin and 'end' only finish a flow "
                    f"statement; got {stmt!r}."
                )
                raise ConfigError(msg)
            if len(left) > 1 and lop == "and" and len(right) > 1:
                msg = (
                    f"{where}: a parallel join must lead to a single step "
                    f"('b & c -> d'); got {stmt!r}."
                )
                raise ConfigError(msg)
            if len(right) > 1 and rop == "and" and len(left) > 1:
                msg = (
                    f"{where}: a parallel split must start from a single step "
                    f"('a -> b & c'); got {stmt!r}."
                )
                raise ConfigError(msg)
            links.append(
                FlowLink(
                    left,
                    right,
                    join="and" if len(left) > 1 and lop == "and" else "xor",
                    split="and" if len(right) > 1 and rop == "and" else "xor",
                    line=line,
                )
            )
    return _complete_flow(src, links, ids)


def _complete_flow(
    src: YamlDoc, links: list[FlowLink], ids: list[str]
) -> tuple[FlowLink, ...]:
    """Add ``start ->`` and ``-> end`` where the flow leaves them implicit."""
    has_in = {t for link in links for t in link.targets}
    has_out = {s for link in links for s in link.sources}
    used = [s for s in ids if s in has_in | has_out]
    if "start" not in has_out:
        firsts = tuple(s for s in used if s not in has_in) or (links[0].sources[0],)
        links.insert(0, FlowLink(("start",), firsts))
    if "end" not in has_in:
        lasts = tuple(s for s in used if s not in has_out)
        if not lasts:
            msg = (
                f"{src.where(('flow',))}: every step in the flow has a successor, so "
                f"no case can finish. Add a statement ending in '-> end'."
            )
            raise ConfigError(msg)
        links.append(FlowLink(lasts, ("end",)))
    return tuple(links)


def _check_and_ports(src: YamlDoc, bp: Blueprint) -> None:
    """A parallel split/join owns all of its step's outgoing/incoming flow."""
    for link in bp.flow:
        if link.split == "and":
            (s,) = link.sources
            others = [o for o in bp.flow if o is not link and s in o.sources]
            if others:
                msg = (
                    f"{src.name}, line {link.line}: step {s!r} starts a parallel "
                    f"split ({link.text()!r}) and also has other successors "
                    f"({others[0].text()!r}). Without silent steps a parallel split "
                    f"must be the step's only way on."
                )
                raise ConfigError(msg)
        if link.join == "and":
            (t,) = link.targets
            others = [o for o in bp.flow if o is not link and t in o.targets]
            if others:
                msg = (
                    f"{src.name}, line {link.line}: step {t!r} ends a parallel join "
                    f"({link.text()!r}) and also has other predecessors "
                    f"({others[0].text()!r}). A parallel join must be the step's "
                    f"only way in."
                )
                raise ConfigError(msg)
