"""The units an answer is read in (sentences, and tables in any layout from tables.py) and the negation / hedge
rules shared by the extractors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .ocr import ocr_lower
from .structure import load as load_structure
from .tables import find_tables

Stance = Literal["assert", "deny", "nuance", "orders", "sequence", "trend"]


@dataclass
class Unit:
    """A sentence, or a table (rows of cells), of one answer part."""

    text: str  # as the sheet writes it
    low: str  # lower-cased, OCR-corrected
    part: str  # sub-part label
    rows: list[list[str]] | None = None
    derived: bool = False  # a sentence made from a table's row (comparison_rows): the table itself is read as one

    @property
    def asks(self) -> bool:
        """A question (a copied prompt, or the student asking) asserts nothing."""
        return self.rows is None and self.text.rstrip(" *_)\"'\u201d\u2019").endswith("?")  # also '...?"' quoted


@dataclass
class Assertion:
    claim: str
    kind: Literal["proposition", "complexity", "sequence", "trend"]
    stance: Stance
    quote: str
    says: str
    part: str = ""
    hedged: bool = False
    data: dict[str, Any] = field(default_factory=dict)


# -- units ---------------------------------------------------------------------------------------------
_BULLET = re.compile(r"^\s*(?:[-*•·+]\s+|\d{1,2}[.)]\s+|\(?[a-h]\)\s+)")
_ROW = re.compile(r"^\s*\$?[a-zA-Z](?:_\{?\w\}?)?\$?\s*[:=]\s*\(?\s*[-+−]?\d+(?:\.\d+)?\s*[,;\s]\s*[-+−]?\d")
_SEP_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ABBREV = re.compile(r"(?:\bw\.r\.t|\bw\.r\.t\.|\bresp|\bincl|\be\.g|\bi\.e|\bvs|\bcf|\betc|\bapprox|\bfig|\beq|\bresp|\bq|\bp|\bindep|\brecon|\bparams?|\bavg|\bdims?|\bconst|\bprob|\bdef)\.$",
                    re.IGNORECASE)


def _sentences(par: str) -> list[str]:
    out, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=\S)", par):
        piece = par[start:m.start()]
        if _ABBREV.search(piece) or re.search(r"\d\.$", piece) and re.match(r"\d", par[m.end():]):
            continue
        out.append(piece)
        start = m.end()
    out.append(par[start:])
    return [s.strip() for s in out if s.strip()]


PROSE_CELL_WORDS = 4  # a cell of this many words is prose, not a value


def prose_rows(rows: list[list[str]]) -> list[str]:
    """The rows of a table written in prose ("FFN and LayerNorm mix tokens | False, both act on each position
    separately"), each as one sentence ("FFN and LayerNorm mix tokens: False, both act ..."); none for a table of
    values (two rows or more must have a cell of PROSE_CELL_WORDS words). The header row is left out."""
    wordy = [r for r in rows if any(len(re.findall(r"[A-Za-z]{2,}", c)) >= PROSE_CELL_WORDS for c in r)]
    if len(wordy) < 2:
        return []
    out = []
    for r in rows[1:]:
        cells = [c.strip(" *_") for c in r if c.strip(" *_")]
        if cells:
            out.append(": ".join(cells).rstrip(".") + ".")
    return out


def comparison_rows(rows: list[list[str]]) -> list[str]:
    """The rows of a table comparing two models under a header that names them ("| | MLP | CNN |" over "| fixed pixel
    shuffle | no change | gets much worse |"), each as one sentence ("fixed pixel shuffle: MLP no change; CNN gets
    much worse."); none for another table (tables.names_models)."""
    from .tables import cell_text, names_models

    head = [c.strip(" *_") for c in rows[0]] if rows else []
    if len(head) < 3 or head[0] or not names_models(head[1:]):
        return []
    out = []
    for r in rows[1:]:
        if len(r) != len(head) or not re.search(r"[A-Za-z]{2}", r[0]):
            continue
        said = [f"{h} {cell_text(c)}" for h, c in zip(head[1:], r[1:]) if cell_text(c)]
        if said:
            out.append(f"{cell_text(r[0]).rstrip(':')}: " + "; ".join(said) + ".")
    return out


_FENCE = re.compile(r"^\s*(?:```|~~~)")


def units(text: str, part: str = "") -> list[Unit]:
    out: list[Unit] = []
    lines = text.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            joined = ""
            for x in para:  # "trans-" + "former" -> "transformer" (OCR line breaks)
                x = x.strip()
                joined = joined[:-1] + x if re.search(r"[a-z]-$", joined) and x[:1].islower() else \
                    (joined + " " + x if joined else x)
            for s in _sentences(joined):
                out.append(Unit(s, ocr_lower(s), part))
            para.clear()

    starts = {t.first: t for t in find_tables(text)}
    in_code = False
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):  # a fenced code block: each of its lines is a statement of its own
            flush()
            in_code = not in_code
            i += 1
            continue
        if in_code and i not in starts:  # (a printed table inside it is still a table)
            para.append(line)
            flush()
            i += 1
            continue
        if i in starts:  # a table in any layout (tables.py): one unit, its rows of cells
            flush()
            tbl = starts[i]
            txt = "\n".join(ln.strip() for ln in lines[tbl.first:tbl.last + 1] if not _SEP_ROW.match(ln))
            out.append(Unit(txt, ocr_lower(txt), part, tbl.rows))
            # each row is also a sentence: one comparing two models names them (for the windows only), a
            # "Statement | True/False + reason" row is read by every reader
            compared = comparison_rows(tbl.rows)
            for row in compared:
                out.append(Unit(row, ocr_lower(row), part, derived=True))
            for row in [] if compared else prose_rows(tbl.rows):
                out.append(Unit(row, ocr_lower(row), part))
            i = tbl.last + 1
            continue
        if not line.strip():
            flush()
        elif _ROW.match(line):  # "q : 1, 2, 1, ..." is a statement of its own
            flush()
            para.append(line)
            flush()
        else:
            if _BULLET.match(line):  # a bullet or numbered item starts a new statement
                flush()
            para.append(line)
        i += 1
    flush()
    return out


# -- negation ------------------------------------------------------------------------------------------
_NEG = re.compile(r"\b(?:not|no|never|neither|nor|cannot|fails? to|unable to|nothing|hardly|"
                  r"isn't|aren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|shouldn't|hasn't|haven't|"
                  r"wasn't|weren't|lacks?|non)\b|n't\b")
_NOT_NEG = re.compile(r"\bnot (?:only|just|merely)\b|\bno matter\b|\bif not\b|\bnot necessarily\b|\bnothing but\b|"
                      r"\bno (?:less|fewer) than\b|\bnon[- ]?(?:linear|negative|zero|scalar|trivial|regulari)\w*")
_CLAUSE = re.compile(r"[,;:]|\s\(|\)\s|\b(?:but|while|whereas|although|though|however|since|because|so that|so|which|"
                     r"instead|unlike|whilst|then|and (?:has|have|is|are|does|do|it|they|so|then|thus|also))\b|\s-\s")
_HEDGE = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|can|sometimes|eventually)\b")


_RETRACTED = re.compile(
    r"[^.!?]*?\b(?:but|however|yet)\b[^.!?]{0,20}?\b(?:that|this|it|which)(?: is|'s| was)\s+"
    r"(?:simply |actually |in fact )?(?:false|wrong|incorrect|untrue|not (?:true|correct|right|the case)|"
    r"a (?:misconception|myth|mistake))"
    r"|[^.!?]*?[;,]\s*(?:but\s+)?(?:it|this|that|they)\s+(?:cannot|can't|doesn't|does not|don't|do not|isn't|is not|"
    r"won't|will not|wouldn't|would not)\s*[.!]?\s*$")
_FRAMED_FALSE = re.compile(r"\b(?:misconception|myth|(?:is|it's) (?:false|wrong|incorrect|untrue)|mistaken belief)"
                           r"\s+that\b")


# the markers without their optional opening bracket (it is blanked with the statement before it): 5x faster to
# search than with it
_WITHDRAWN = re.compile("|".join(f"(?:{re.sub(r'^' + re.escape(chr(92) + '(?'), '', m)})"
                                 for m in load_structure().retractions) or r"(?!)", re.IGNORECASE)
_STRUCK = re.compile(r"~~[^~\n]+~~|<(?:del|s|strike)>.*?</(?:del|s|strike)>|"  # Markdown / HTML strike-through
                     # a transcription's marks: "[crossed out] ... [end crossed out]", "[crossed out: ...]"
                     r"\[(?:crossed[- ]out|struck(?: through)?|deleted)\].*?\[(?:end|/)\s*(?:crossed[- ]out|struck|"
                     r"deleted)?\]|\[(?:crossed[- ]out|struck(?: through)?|deleted):[^\]]*\]", re.IGNORECASE | re.DOTALL)
# where a withdrawn statement starts: after a sentence's end, a blank line, a line item's bullet or a line's start
_STATEMENT_START = re.compile(r"[.!?](?=\s)|\n\s*\n|\n\s*(?:[-*•+]|\d+[.)])\s|\n(?=\s*#)|^")


def withdraw(text: str) -> str:
    """The text with what its writer withdrew blanked out (same length, newlines kept): struck-through text
    (``~~text~~``, ``<del>``, a transcription's "[crossed out] ... [end crossed out]"), and a statement followed by a
    retraction marker (structure.toml [retraction]), from the statement's start to the marker: "- CNN is
    translation invariant (scratch that) weight sharing gives equivariance" keeps only the second statement."""
    def blank(s: str) -> str:
        return re.sub(r"[^\n]", " ", s)
    if "~~" in text or "[" in text or "<" in text:
        text = _STRUCK.sub(lambda m: blank(m.group(0)), text)
    for m in list(_WITHDRAWN.finditer(text)):
        starts = [0] + [b.end() for b in _STATEMENT_START.finditer(text, 0, m.start())]
        # a marker that opens its own statement ("X. But I don't think so: ...") withdraws the statement before it
        start = starts[-2] if len(starts) > 1 and not text[starts[-1]:m.start()].strip(" \t\n(") else starts[-1]
        text = text[:start] + blank(text[start:m.end()]) + text[m.end():]
    return text


def retracted(low: str, end: int, start: int | None = None) -> bool:
    """'X, but that is false', 'X; it cannot.', 'It is a misconception that X': X is stated only to be denied."""
    return bool(_RETRACTED.match(low, end)) or (start is not None and bool(_FRAMED_FALSE.search(low, 0, start)))


def negated(low: str, start: int, end: int, *, span_only: bool = False) -> bool:
    """Odd number of negations in the clause of the match's end: from the last clause boundary inside the
    match, or else from the clause start before it (only inside the match with ``span_only``)."""
    cut = start if span_only else 0
    inside = [m.end() for m in _CLAUSE.finditer(low, start, end)]
    if inside:
        cut = inside[-1]
    elif not span_only:
        for m in _CLAUSE.finditer(low, 0, start):
            cut = m.end()
    span = _NOT_NEG.sub(lambda m: " " * len(m.group(0)), low[cut:end])
    return len(_NEG.findall(span)) % 2 == 1
