"""Extract what an answer asserts about each claim of its family (units.py: sentences, tables, negation).

One small extractor per claim kind:

* propositions (cues.PROPOSITIONS): a pattern in its positive literal form,
  flipped by a negation in its clause ("it is *not* the same function");
* complexity orders (cues.ORDERS, complexity.py): every O(...) parsed with sympy, attributed
  to a role (RNN / Transformer, softmax / Bob's) and an aspect (time,
  memory at training or test time) from its table cell or its clause;
* number sequences (cues.SEQUENCES, series.py): table rows or columns named after the
  variables, Markdown or tab-separated, or ``q = 1, 2, 1, ...`` in prose;
* trends (cues.TRENDS, series.py): rise / plateau / fall words, with negations and
  hedges ("may plateau or even decrease").
"""

from __future__ import annotations

import re

from . import cues
from .complexity import complexity
from .series import sequences, trends
from .units import _HEDGE, Assertion, Stance, Unit, negated, retracted, units

__all__ = ["Assertion", "Stance", "Unit", "complexity", "extract", "negated", "propositions", "retracted",
           "sequences", "trends", "units"]


# -- propositions ----------------------------------------------------------------------------------------
def _compiled() -> list[tuple[cues.Prop, list[re.Pattern], list[re.Pattern], list[tuple[re.Pattern, bool]],
                              list[re.Pattern]]]:
    global _PROPS
    if _PROPS is None:
        _PROPS = [(p, [re.compile(x) for x in p.pos], [re.compile(x) for x in p.neg],
                   [(re.compile(x), b) for x, b in p.nuance], [re.compile(x) for x in p.exclude])
                  for p in cues.PROPOSITIONS]
    return _PROPS


_PROPS = None


def propositions(question: str, us: list[Unit]) -> list[Assertion]:
    out: list[Assertion] = []
    for prop, pos, neg, nuance, excl in _compiled():
        if not prop.claim.startswith(question.split("-", 1)[1] + "."):
            continue
        for u in us:
            if u.rows is not None:
                continue
            low = u.low
            if any(x.search(low) for x in excl):
                continue
            stance: Stance | None = None
            spans: list[str] = []  # every matched statement: which parts of a claim the sentence names
            n_pos = 0
            for pat, need in nuance:
                m = pat.search(low)
                if m and negated(low, m.start(), m.end(), span_only=prop.span_negation) != need:
                    stance = "nuance"
                    break
            if stance is None:
                votes = []  # (length of match, asserts?): on a conflict the tighter statement wins
                for pats, sign in ((pos, True), (neg, False)):
                    first = True
                    for pat in pats:
                        m = pat.search(low)
                        if m and first:  # a "(?#fixed)" pattern carries its own negation: no flipping
                            flip = not pat.pattern.startswith("(?#fixed)") and negated(
                                low, m.start(), m.end(), span_only=prop.span_negation)
                            flip ^= retracted(low, m.end(), m.start())
                            votes.append((m.end() - m.start(), sign != flip))
                            first = False
                        if m:
                            spans.append(m.group(0))
                            n_pos += sign
                if not votes:
                    continue
                stance = "assert" if min(votes)[1] else "deny"
            says = {"assert": prop.says_pos, "deny": prop.says_neg or f"not: {prop.says_pos}",
                    "nuance": prop.says_nuance}[stance]
            out.append(Assertion(prop.claim, "proposition", stance, _window(u, spans), says, u.part,
                                 bool(_HEDGE.search(low)), {"spans": spans, "n_pos": n_pos}))
    return out


def _window(u: Unit, spans: list[str], width: int = 300) -> str:
    """The sentence, or for a long run-on OCR sentence the words around what matched."""
    if len(u.text) <= width or not spans:
        return u.text
    k = u.low.find(spans[0])
    centre = (k + len(spans[0]) / 2) / max(len(u.low), 1) if k >= 0 else 0.5
    words = u.text.split()
    mid = int(centre * len(words))
    lo, hi = max(0, mid - 25), min(len(words), mid + 25)
    return ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")


def extract(question: str, parts: list[tuple[str, str]]) -> list[Assertion]:
    """Every assertion an answer (its (part label, text) pairs) makes about its family's claims."""
    every = [u for label, text in parts for u in units(text, label)]
    us = [u for u in every if not u.asks]
    found = complexity(question, us) + sequences(question, every) + trends(question, us)
    have = {a.claim for a in found}
    props = [a for a in propositions(question, us) if a.claim not in have or a.stance == "nuance"]
    merged: dict[str, Assertion] = {a.claim: a for a in found}
    by_claim: dict[str, list[Assertion]] = {}
    for a in props:
        by_claim.setdefault(a.claim, []).append(a)
    for claim, lst in by_claim.items():
        nuance = [a for a in lst if a.stance == "nuance"]
        if claim in merged and nuance:
            merged[claim].data["nuance"] = nuance[0].quote
            continue
        if nuance:
            merged[claim] = nuance[0]
            continue
        n_assert = sum(a.stance == "assert" for a in lst)
        n_deny = len(lst) - n_assert
        pick = [a for a in lst if a.stance == ("assert" if n_assert > n_deny else "deny" if n_deny > n_assert
                                               else lst[-1].stance)]
        a = pick[0]
        if len(pick) > 1:
            a.quote = " ".join(dict.fromkeys(p.quote for p in pick))[:400]
            a.data["spans"] = [s for p in pick for s in p.data.get("spans", [])]
            a.data["n_pos"] = sum(p.data.get("n_pos", 0) for p in pick)
        merged[claim] = a
    order = {c: i for i, c in enumerate(p.claim for p in cues.PROPOSITIONS)}
    return sorted(merged.values(), key=lambda a: (a.part, order.get(a.claim, -1)))
