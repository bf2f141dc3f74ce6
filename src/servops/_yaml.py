"""The one YAML loader: every config error names the file, the line and the key.

KPI configs, simulation models and scenarios, shift templates and blueprints are read by
:func:`load_yaml` (or :func:`parse_yaml` for text). The result keeps the line of every
key path, so a message can say ``sla[0].resolution (kpi.yaml, line 7): …``:

- readers that build messages with :meth:`YamlDoc.where` get the form directly;
- readers that write ``"{file}: sla[0].resolution: …"`` hand their
  :class:`~servops.errors.ConfigError` to :meth:`YamlDoc.locate`, which rewrites it
  into the same form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from servops.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Collection

    from servops._typing import PathLike

__all__ = ["KeyPath", "YamlDoc", "load_yaml", "mapping", "parse_yaml"]

KeyPath = tuple[str | int, ...]

# a key path at the start of a message: `sla[0] (std).resolution`, `edits[2]`, `start`
_PATH = re.compile(
    r"^(?P<path>(?:[\w\-]+|\[\d+\])(?:\.[\w\-]+|\[\d+\]|\s\([^)]*\))*)(?P<sep>:\s|\s)"
)
_TOKEN = re.compile(r"\.?([\w\-]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A parsed YAML document and the line of every key path in it.

    Attributes
    ----------
    data
        What ``yaml.safe_load`` gives.
    lines
        1-based line of each key path (``("sla", 0, "resolution")``).
    name
        The file (or ``<string>``), for messages.
    """

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    name: str = "<string>"

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = path
        while p and p not in self.lines:
            p = p[:-1]
        return self.lines.get(p)

    def where(self, path: KeyPath) -> str:
        r"""``sla[0].resolution (kpi.yaml, line 7)``: the key, the file and the line.

        Examples
        --------
        >>> doc = parse_yaml("sla:\n  - name: std\n    resolution: soon\n", "kpi.yaml")
        >>> doc.where(("sla", 0, "resolution"))
        'sla[0].resolution (kpi.yaml, line 3)'
        """
        key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path)
        key = key.replace(".[", "[")
        line = self.line(path)
        loc = f" ({self.name}, line {line})" if line is not None else f" ({self.name})"
        return f"{key or '(top level)'}{loc}"

    def locate(self, exc: ConfigError) -> ConfigError:
        r"""``exc`` with its message starting ``key (file, line N): …``.

        The message may start with the file's name and ``": "``; then a key path
        (``sla[0] (std).resolution``) is looked for. A message naming no key of the
        document keeps its text, prefixed with the file when it lacks it.

        Examples
        --------
        >>> doc = parse_yaml("sla:\n  - name: std\n    resolution: soon\n", "kpi.yaml")
        >>> print(doc.locate(ConfigError("kpi.yaml: sla[0] (std).resolution: bad")))
        sla[0] (std).resolution (kpi.yaml, line 3): bad
        """
        text = str(exc)
        for prefix in (
            f"{self.name}: ",
            f"{Path(self.name).name}: ",
            f"{self.name!r}: ",
        ):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        m = _PATH.match(text)
        if m is not None:
            raw = m["path"]
            path = _key_path(raw)
            line = self.line(path) if path and path[:1] in self.lines else None
            if line is not None:
                rest = (
                    text[m.end() :] if m["sep"].startswith(":") else text[m.end() - 1 :]
                )
                sep = ": " if m["sep"].startswith(":") else ""
                out = ConfigError(f"{raw} ({self.name}, line {line}){sep}{rest}")
                out.__cause__ = exc.__cause__
                return out
        if self.name in text:
            return exc
        out = ConfigError(f"{self.name}: {text}")
        out.__cause__ = exc.__cause__
        return out


def _key_path(raw: str) -> KeyPath:
    without = re.sub(r"\s\([^)]*\)", "", raw)
    out: list[str | int] = []
    for name, index in _TOKEN.findall(without):
        out.append(int(index) if index else name)
    return tuple(out)


def parse_yaml(text: str, name: str = "<string>", *, what: str = "config") -> YamlDoc:
    """Parse YAML ``text`` keeping the line of every key path.

    Raises
    ------
    ConfigError
        Not valid YAML: the message names ``what``, the file, the line and a hint.
    """
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        msg = (
            f"{what} {name}{line}: not valid YAML: "
            f"{getattr(exc, 'problem', None) or exc}. Hint: check indentation and "
            f"quote values that contain ':' or '#'."
        )
        raise ConfigError(msg) from exc
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _node_lines(node, (), lines)
    return YamlDoc(data, lines, name)


def load_yaml(path: PathLike, *, what: str = "config") -> YamlDoc:
    """Read and parse the YAML file ``path`` (see :func:`parse_yaml`).

    Raises
    ------
    ConfigError
        The file is missing or unreadable, or not valid YAML.
    """
    p = Path(path)
    if not p.is_file():
        kind = "is a folder" if p.is_dir() else "does not exist"
        msg = f"{what} file {str(p)!r} {kind}. Give the path of a YAML file."
        raise ConfigError(msg)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{what} file {str(p)!r} cannot be read as UTF-8 text: {exc}"
        raise ConfigError(msg) from exc
    return parse_yaml(text, str(p), what=what)


def _node_lines(node: yaml.Node, path: KeyPath, out: dict[KeyPath, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            out[(*path, key)] = k.start_mark.line + 1
            _node_lines(v, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _node_lines(v, (*path, i), out)


def mapping(value: object, where: str, allowed: Collection[str]) -> Mapping[str, Any]:
    """``value`` checked as a mapping whose keys are all in ``allowed`` (``None``: ``{}``).

    Examples
    --------
    >>> mapping({"a": 1}, "x", ("a", "b"))
    {'a': 1}
    >>> mapping({"c": 1}, "x", ("a", "b"))
    Traceback (most recent call last):
    ...
    servops.errors.ConfigError: x: unknown key(s) ['c']; allowed: ['a', 'b'].
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"{where}: expected a mapping with keys {sorted(allowed)}; got {value!r}."
        raise ConfigError(msg)
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        msg = f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}."
        raise ConfigError(msg)
    return value
