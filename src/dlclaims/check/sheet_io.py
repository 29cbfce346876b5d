"""Reading answer sheets: size, binary and encoding checks, and text normalisation.

A sheet is Markdown or plain text, typed or transcribed by OCR. It is read,
never executed and never rendered as HTML: the text only flows into regular
expressions, TF-IDF and sympy's parser on a whitelisted alphabet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SheetText:
    path: str
    name: str
    text: str


class SheetSkipped(Exception):
    """A file that cannot be graded; the message is the one-line reason."""


def _looks_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return bool(head) and ctrl / len(head) > 0.05


def read_sheet(path: str | Path) -> SheetText:
    """Read one sheet; raise :class:`SheetSkipped` with a one-line reason if it cannot be graded."""
    p = Path(path)
    if not p.exists():
        raise SheetSkipped("no such file")
    if p.is_dir():
        raise SheetSkipped("is a folder, not a sheet")
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise SheetSkipped(f"file is {size / 1e6:.1f} MB, over the 2 MB limit for a sheet")
        raw = p.read_bytes()
    except PermissionError:
        raise SheetSkipped("cannot read the file (permission denied)") from None
    except OSError as e:
        raise SheetSkipped(f"cannot read the file ({e.strerror or e})") from None
    if _looks_binary(raw):
        raise SheetSkipped("binary file, not a text sheet")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SheetSkipped(f"not UTF-8 text (invalid byte at offset {e.start})") from None
    return SheetText(str(path), p.name, normalise(text))


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"), "-")
_DASHES.update({ord("\u2014"): " - ", ord("\u2015"): " - ", ord("\u00a0"): " ", ord("\u2009"): " ",
                ord("\u202f"): " ", ord("\u200b"): "", ord("\ufeff"): "", ord("\u2018"): "'",
                ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'})
_CTRL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalise(text: str) -> str:
    """Unicode NFKC (ligatures, full-width forms), one kind of dash and quote, LF line ends, no control chars.

    NFKC also turns superscript digits into plain ones, so those are kept as ``^2`` first.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"([\u00b2\u00b3\u00b9\u2070-\u2079]+)", lambda m: "^" + unicodedata.normalize("NFKC", m.group(1)),
                  text)
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _CTRL.sub(" ", text)
