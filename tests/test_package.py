"""The package surface: a light import, a complete and sorted ``__all__``, one error tree."""

from __future__ import annotations

import subprocess
import sys

import pytest

import servops
from servops import errors


def test_import_is_light():
    code = (
        "import sys, servops; heavy = {'typer', 'jinja2', 'fastapi', 'sklearn', "
        "'statsforecast', 'pm4py', 'simpy', 'jieba', 'highspy', 'rich'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_all_is_sorted_and_complete():
    names = [n for n in servops.__all__ if n != "__version__"]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    for name in servops.__all__:
        assert hasattr(servops, name), name


def test_every_error_is_a_servops_error():
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.ServopsError)


def test_subpackages_load_lazily():
    assert servops.log.EventLog is servops.EventLog
    with pytest.raises(AttributeError, match="nothing_here"):
        servops.nothing_here  # noqa: B018
