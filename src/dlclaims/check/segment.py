"""Split a sheet into answers (one per question heading) and sub-answers ((a), b), ...).

Headings recognised at the start of a line, with or without Markdown ``#`` or
bold markers: ``Q1``, ``Q.1``, ``Q 1:``, ``Question 1``, ``Problem 2``,
``Exercise 3``, and OCR misreads of them (``Ql``, ``O.1``, ``Questlon 2``,
``Q.S``); bare numbering ``1)``, ``1.``, ``(1)``, ``**1.**`` is used only when a
sheet has no keyword headings. The number is kept only as a label: answers are
matched to questions by their content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "i": "1", "S": "5", "s": "5",
                             "Z": "2", "z": "2", "B": "8", "g": "9"})
_KW = r"(?:q(?:uestion|ues|u|n|st)?|problem|prob|exercise|ex|task|aufgabe|frage|part|answer|ans)"
_NUM = r"(?P<num>[0-9][0-9OoIl|]?|[OoIl|][0-9]|[Il|Ss](?=\s*[(:.)\-\]]|\s*$|\s{2,}\S))"  # "Ql   text": Q1
_HEAD_KW = re.compile(
    rf"^\s*(?:#{{1,6}}\s*)?(?:\*\*|__)?\s*[(\[]?\s*(?P<kw>{_KW})\s*[.:#\-]?\s*{_NUM}(?P<rest>.*)$", re.IGNORECASE)
_HEAD_FUZZY = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?P<word>[A-Za-z]{6,10}|[A-Za-z]{1,6} [A-Za-z]{1,6})\s*[.:#\-]?\s*"
                         + _NUM
                         + r"(?P<rest>.*)$")
_HEAD_O = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:O\s*(?:[.:]\s*(?P<num>[1-9][0-9]?)\b|"
                     r"(?P<num2>[1-9][0-9]?)\s*(?:[:.)\-]|\*\*|$))|"
                     r"0 ?\. ?(?P<num3>[1-9][0-9]?)(?=\s*$|\s+[A-Z(*#]|\s*[:)\-]|\s{2,}\S)|"  # "0.2": Q.2 misread
                     r"8\.(?P<num4>[1-9][0-9]?)(?=\s*$|\s{2,}\S))"  # "8.4  text": Q.4 misread, text after 2+ spaces
                     r"(?P<rest>.*)$")
_HEAD_NUM = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*\(?(?P<num>[1-9][0-9]?)\s*(?:[.)\]:]|\*\*)(?:\*\*|__)?"
                       r"(?P<rest>(?:\s+.*)?)$")
_HEAD_HASH = re.compile(r"^\s*#{1,6}\s*(?P<num>[1-9][0-9]?)\b(?P<rest>.*)$")
_NUMERIC_REST = re.compile(r"^\s*[,;|\t]?\s*[-+]?\d+(?:\.\d+)?(?:\s*[,;|\t]\s*|\s+)[-+]?\d")  # "q  1  2  1"
_SUB = re.compile(r"^\s*(?:\*\*|__)?\s*(?:part\s+)?\(?(?P<sub>[a-hA-H]|i{1,3}|iv|v|vi{1,3})\s*(?:\)|\.\s|:\s)"
                  r"(?:\*\*|__)?(?P<rest>.*)$")


_LONG_HEAD_END = re.compile(r"\s*(?:[):.\]]|\([^()]{1,40}\)\s*:)\s")  # "Q6) ", "Q9 (CNN vs MLP): "
# a heading inside a paragraph, after a sentence: "... adding dimensions does not help. Q9 (CNN vs MLP): the conv net"
_INLINE_HEAD = re.compile(r"(?<=[a-z0-9)][.!?])[ \t]+"
                          r"(?=(?:Q|Question)\s?\d{1,2}\s?(?:\([A-Za-z][^()\n]{0,40}\)\s?:|[):])\s)")


@dataclass
class Part:
    label: str  # "a", "b", ... or "" for text before the first sub-part
    text: str
    line: int  # 1-based line of its first line in the sheet


# a heading line's topic ("## 4. AE vs VAE as generators", "Q3 VAE objective"): a few words without a verb, digits
# or math; it names the question (the family match reads it) but states nothing, so it is no answer statement
TITLE_MAX_WORDS = 8
_TITLE = re.compile(r"[A-Za-z][A-Za-z \-/&,'()]*")
_VERB = re.compile(r"\b(?:is|are|was|were|be|been|has|have|had|does|do|did|can|could|would|will|should|must|may|might|"
                   r"gives?|makes?|needs?|means?|converges?|cycles?|works?|fails?|not|no|never)\b")


def _is_title(rest: str) -> bool:
    return bool(_TITLE.fullmatch(rest.strip())) and len(rest.split()) <= TITLE_MAX_WORDS and not _VERB.search(rest.lower())


@dataclass
class Segment:
    label: str  # as the sheet writes it: "Question 1", "Q.3", "2)", or "(no heading)"
    number: int | None
    heading: str  # the rest of the heading line (often the question's topic)
    line: int
    parts: list[Part] = field(default_factory=list)

    @property
    def text(self) -> str:
        body = "\n".join(p.text for p in self.parts)
        return f"{self.heading}\n{body}" if self.heading else body


def _to_int(num: str) -> int | None:
    digits = num.translate(_OCR_DIGITS)
    return int(digits) if digits.isdigit() else None


def _kw_heading(line: str) -> tuple[str, int | None, str] | None:
    if len(line) > 400:  # a whole paragraph on one line: a heading only as "Q6) ..." / "Question 6: ..." at its start
        m = _HEAD_KW.match(line[:80])
        if not (m and _LONG_HEAD_END.match(m.group("rest")) and re.search(r"\d", m.group("num"))):
            return None
        return _clean_label(line, m), _to_int(m.group("num")), _clean_rest(line[m.start("rest"):])
    m = _HEAD_KW.match(line)
    if m:
        kw = m.group("kw").lower()
        rest = m.group("rest")
        if not re.search(r"\d", m.group("num")) and kw != "q":  # "Ql" is Q1, "Answers" is not Answer 5
            return None
        if _NUMERIC_REST.match(rest):  # "q  1  2  1  -1": a row of numbers, not a heading
            return None
        # "Answer 3" / "Part 2" only as headings when short; "ex" must be followed by punctuation-ish
        if kw in ("ans", "answer", "part", "ex", "prob") and len(rest.strip()) > 80:
            return None
        return _clean_label(line, m), _to_int(m.group("num")), _clean_rest(rest)
    m = _HEAD_FUZZY.match(line)
    if m and 6 <= len(w := m.group("word").lower().replace(" ", "")) <= 10 and fuzz.ratio(
            w, "question") >= 75:  # "Questlon 2", "Qu estion 6"
        return _clean_label(line, m), _to_int(m.group("num")), _clean_rest(m.group("rest"))
    m = _HEAD_O.match(line)
    if m:
        return _clean_label(line, m), _to_int(m.group("num") or m.group("num2") or m.group("num3") or m.group("num4")), _clean_rest(m.group("rest"))
    return None


def _num_heading(line: str) -> tuple[str, int | None, str] | None:
    if len(line) > 400:
        return None
    m = _HEAD_NUM.match(line) or _HEAD_HASH.match(line)
    if m:
        return _clean_label(line, m), _to_int(m.group("num")), _clean_rest(m.group("rest"))
    return None


def _clean_label(line: str, m: re.Match) -> str:
    label = line[: m.start("rest")] if "rest" in m.groupdict() else line
    return re.sub(r"[#*_]+", "", label).strip(" .:-\t([") or line.strip()[:20]


def _clean_rest(rest: str) -> str:
    return re.sub(r"^[\s*_:.\-)\]]+|[\s*_]+$", "", rest or "")


def _split_parts(lines: list[tuple[int, str]]) -> list[Part]:
    parts: list[Part] = []
    cur = Part("", "", lines[0][0] if lines else 0)
    buf: list[str] = []
    for ln, line in lines:
        m = _SUB.match(line) if len(line) < 2000 else None
        if m and (m.group("rest").strip() or buf):
            if buf or cur.label:
                cur.text = "\n".join(buf).strip()
                parts.append(cur)
            cur, buf = Part(m.group("sub").lower(), "", ln), [m.group("rest")]
        else:
            buf.append(line)
    cur.text = "\n".join(buf).strip()
    parts.append(cur)
    return [p for p in parts if p.text or p.label]


def segment(text: str) -> list[Segment]:
    """Answers in sheet order. Text before the first heading is a segment labelled ``(no heading)``."""
    lines = _INLINE_HEAD.sub("\n\n", text).split("\n")

    def after_break(i: int) -> bool:  # a weak heading (O.1, 1)) must start a block, not continue a sentence
        return i == 0 or not lines[i - 1].strip() or lines[i].lstrip()[:1] in "#*_" or bool(
            re.match(r".*[.:!?)|]\s*$", lines[i - 1]))

    kw = [(i, _kw_heading(line)) for i, line in enumerate(lines)]
    heads = {i: h for i, h in kw if h and (not lines[i].lstrip().startswith(("O", "0", "8")) or after_break(i))}
    if heads:  # a Markdown heading with a number ("## 1. ELBO") among keyword ones ("Question 2") is one too
        heads.update({i: h for i, h in ((i, _num_heading(line)) for i, line in enumerate(lines)
                                        if i not in heads and _HEAD_HASH.match(line)) if h})
    if not heads:
        heads = {i: h for i, h in ((i, _num_heading(line)) for i, line in enumerate(lines)) if h and after_break(i)}
        if len(heads) < 2 and not any(h[1] == 1 for h in heads.values()):
            heads = {}
    if not heads:  # topic headings ("## Linear attention") still separate answers
        heads = {i: (line.strip("# ").strip()[:40], None, "") for i, line in enumerate(lines)
                 if re.match(r"^\s*#{1,6}\s+\S", line) and len(line) < 200}
        if len(heads) < 2:
            heads = {}
    segs: list[Segment] = []
    starts = sorted(heads)
    bounds = ([(None, 0, starts[0])] if starts and starts[0] > 0 else []) + [
        (s, s + 1, starts[k + 1] if k + 1 < len(starts) else len(lines)) for k, s in enumerate(starts)]
    if not starts:
        bounds = [(None, 0, len(lines))]
    for head, a, b in bounds:
        body = [(i + 1, lines[i]) for i in range(a, b)]
        if head is None:
            label, num, line = "(no heading)", None, 1
        else:
            label, num, rest = heads[head]
            line = head + 1
            if rest and not _is_title(rest):  # the rest of a heading line is content (the answer, or a sentence)
                body.insert(0, (line, rest))
        parts = _split_parts(body) if body else []
        topic = rest.strip() if head is not None and rest and _is_title(rest) else ""
        seg = Segment(label, num, topic, line, parts)
        if seg.text.strip():
            segs.append(seg)
    return segs
