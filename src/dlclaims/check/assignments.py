"""Which term plays which part: "the KL term acts as a regularizer", "the regularizer is the likelihood term".

Similarity cannot read a role swap (both versions use the same words), so a claim about roles
(structure.toml ``[[assignment]]``) is read as links. In each clause of a sentence (cut at ; : and at
contrast words), a part named by the spec is linked to the nearest term before it when only a copula stands
between them ("<term> is / acts as / serves as / = ... <part>"), else to the nearest term after it
("<part> is <term>"). A link with a negation between the two is not read. The pairs found give the stance:
the claim's pairing asserts it, the true pairing denies it (a sentence that gives the true roles contradicts
a claim worded with the wrong ones). Sentences that link both ways are not read.
"""

from __future__ import annotations

import re
from functools import cache

from .ocr import ocr_lower
from .stance import REPORTED
from .structure import AssignmentClaim
from .structure import load as load_structure
from .units import Assertion

_CLAUSE = re.compile(r"[;:]\s|(?<=[a-z0-9)\]])[.!?]\s+|\b(?:while|whereas|but|although|however)\b|,\s+and\s+|,\s+(?=the\b)")
# (a KL's arguments may stand between the term and its verb: "the KL between q(z|x) and the prior is the regularizer";
# a formula's closing bracket before it: "E_q[log p(x|z)] is the reconstruction term")
_LINK = re.compile(r"^[\s,*_`'\"()\[\]]*(?:between\b[^;:]{1,60}?\band\b[^;:]{1,40}?\s+)?"
                   r"(?:(?:the|this|that|it|which|one)\s+)?(?:[\w*_`]+\s+){0,3}?"
                   r"(?:is|are|was|acts?|serves?|works?|plays?|functions?|behaves?|=|represents?|corresponds?|"
                   r"provides?|gives?|adds?|being|becomes?)\b(?:\s+\w+){0,4}?[\s,*_`'\"]*(?:as\s+)?(?:an?|the)?\s*$")
_BACK = re.compile(r"^[\s,*_`'\"()]*(?:term\s+|part\s+)?(?:is|=|comes from|is given by|is done by)\s+(?:the\s+)?$")
_NEG = re.compile(r"\b(?:not|no|never|isn't|aren't|doesn't|don't|rather than|instead of)\b")
# a link the sentence names to reject it: "calling the likelihood 'the regularization term' gets the roles backwards"
_CALLING = re.compile(r"\b(?:calling|call|called|naming|to call)\b")
_REJECTED = re.compile(r"^[^.;]{0,40}?\b(?:is|are|gets?|has|have|would be)\s+(?:\w+\s+){0,3}?(?:wrong|incorrect|"
                       r"backwards?|a mistake|mistaken|misleading|a misnomer)\b")


def _mentions(text: str, pats: dict[str, tuple[str, ...]]) -> list[tuple[int, int, str]]:
    out = []
    for name, ps in pats.items():
        for p in ps:
            out += [(m.start(), m.end(), name) for m in re.finditer(p, text)]
    out.sort()
    keep: list[tuple[int, int, str]] = []
    for m in out:  # overlapping mentions: the first, longest one
        if keep and m[0] < keep[-1][1]:
            if m[1] > keep[-1][1] and m[0] == keep[-1][0]:
                keep[-1] = m
            continue
        keep.append(m)
    return keep


def links(spec: AssignmentClaim, sentence: str) -> set[tuple[str, str]]:
    """The (term, part) pairs a sentence states."""
    low = sentence.lower()
    found: set[tuple[str, str]] = set()
    start = 0
    for m in list(_CLAUSE.finditer(low)) + [None]:
        end = m.start() if m else len(low)
        clause = low[start:end]
        start = m.end() if m else len(low)
        terms, parts = _mentions(clause, spec.terms), _mentions(clause, spec.parts)
        for ps, pe, part in parts:
            if _REJECTED.match(clause[pe:]) and _CALLING.search(clause[:ps]):
                continue
            before = [t for t in terms if t[1] <= ps]
            after = [t for t in terms if t[0] >= pe]
            if before:
                ts, te, term = before[-1]
                between = clause[te:ps]
                verb = not between.strip() and clause[ps:pe].endswith("s")  # "the KL term regularizes ..."
                if (verb or _LINK.match(between)) and not _NEG.search(between):
                    found.add((term, part))
                    continue
            if after:
                ts, te, term = after[0]
                between = clause[pe:ts]
                if _BACK.match(between) and not _NEG.search(between):
                    found.add((term, part))
    return found


@cache
def _any_part(claim: str) -> re.Pattern:
    """One pattern for every part of a claim's spec: a sentence that names no part has no link (most sentences)."""
    spec = next(a for a in load_structure().assignments if a.claim == claim)
    return re.compile("|".join(f"(?:{p})" for ps in spec.parts.values() for p in ps))


def read(texts: list[tuple[str, str]]) -> list[Assertion]:
    """Assertions of the assignment claims in an answer's (part label, sentence) units: one per claim, from the
    first sentence whose links take one side only."""
    out: list[Assertion] = []
    for spec in load_structure().assignments:
        read_: list[tuple[bool, bool, str, str, str]] = []  # (reported, secondary, stance, label, sentence)
        for label, text in texts:
            if not _any_part(spec.claim).search(ocr_lower(text)):  # OCR-fixed: "regu1arization"
                continue
            got = links(spec, ocr_lower(text))
            side = {"assert": bool(got & set(spec.asserts)), "deny": bool(got & set(spec.denies))}
            if side["assert"] == side["deny"]:
                continue
            primary = bool(got & {spec.asserts[0], spec.denies[0]})  # the pairing the claim is worded by
            read_.append((bool(REPORTED.search(text.lower())), not primary, "assert" if side["assert"] else "deny",
                          label, text))
        if read_:
            # what the sheet says in its own voice beats what it reports others saying ("my group said the KL
            # is the regularizer; I think it is the other way round: ..."); a link of the claim's own pairing
            # (which term is the regularizer) beats one of the others (which term is the reconstruction)
            _, _, stance, label, text = min(read_, key=lambda r: r[:2])
            out.append(Assertion(spec.claim, "proposition", stance, text,
                                 spec.says["asserts" if stance == "assert" else "denies"], label, False,
                                 {"spans": [text], "n_pos": 1, "extractor": "assignment", "stance_share": 1.0}))
    return out
