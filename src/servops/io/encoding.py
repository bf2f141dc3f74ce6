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
    >>> detect_encoding("dossier,Créé,Résolu,Clôturé".encode("latin-1"))
    'latin-1'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "latin-1"
    return "latin-1" if _inside_latin_words(text) else "gb18030"


def _inside_latin_words(text: str) -> bool:
    r"""Whether ``text``'s non-ASCII characters mostly sit inside Latin words.

    Most Latin-1 bytes also decode as GB18030 (``créé`` becomes ``cr殚``): an accented
    letter's byte pairs with the next letter or accent into one CJK character. Chinese
    text has runs of CJK characters next to digits, punctuation and other CJK; Latin-1 read
    as GB18030 gives lone characters with an ASCII letter beside them. More than half of
    the non-ASCII characters touching an ASCII letter means Latin-1.

    >>> _inside_latin_words("créé".encode("latin-1").decode("gb18030"))
    True
    >>> _inside_latin_words("VIP客户,已解决")
    False
    """
    wide = [i for i, ch in enumerate(text) if ord(ch) > 0x7F]
    if not wide:
        return False

    def letter(i: int) -> bool:
        return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()

    touching = sum(1 for i in wide if letter(i - 1) or letter(i + 1))
    return touching > len(wide) / 2


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
