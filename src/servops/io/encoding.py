"""Text encodings of CSV exports: UTF-8 (with or without BOM) and GB18030/GBK."""

from __future__ import annotations

import codecs
import gzip
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import io

__all__ = ["detect_encoding", "open_bytes", "transcode_to_utf8"]

_SAMPLE = 1 << 20


def open_bytes(path: Path) -> bytes:
    """Return the first MiB of ``path``, decompressed when it is gzip."""
    with path.open("rb") as fh:
        head = fh.read(2)
    if head == b"\x1f\x8b":
        with gzip.open(path, "rb") as gz:
            return gz.read(_SAMPLE)
    with path.open("rb") as fh:
        return fh.read(_SAMPLE)


def detect_encoding(sample: bytes) -> str:
    r"""Guess the encoding of a CSV sample: ``utf-8``, ``utf-8-sig``, ``gb18030`` or ``latin-1``.

    Examples
    --------
    >>> detect_encoding("工单号,状态".encode("gbk"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + b"case,activity")
    'utf-8-sig'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def transcode_to_utf8(path: Path, encoding: str, workdir: Path | None = None) -> Path:
    """Write a UTF-8 copy of ``path`` (decompressing gzip) and return its path."""
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="servops-", dir=workdir)
    out = Path(name)
    src: io.BufferedIOBase = gzip.open(path, "rb") if gz else path.open("rb")  # noqa: SIM115 - closed by the with below
    with (
        src,
        codecs.getreader(encoding)(src, "strict") as text,
        open(fd, "w", encoding="utf-8", newline="") as dst,  # noqa: PTH123 - an fd
    ):
        shutil.copyfileobj(text, dst, 1 << 20)
    return out
