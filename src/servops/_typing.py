"""Type aliases shared across servops."""

from __future__ import annotations

import os
from typing import TypeAlias

import numpy as np

__all__ = ["PathLike", "Seed"]

#: Anything :func:`servops._validation.as_rng` turns into a generator.
Seed: TypeAlias = int | np.random.Generator | None

#: A file-system path.
PathLike: TypeAlias = str | os.PathLike[str]
