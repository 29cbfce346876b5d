"""Stance of a window relative to the example it matched: negation scope, retractions, hedges.

A window w matched to a knowledge-base example e of stance s (asserts / denies / corrects) takes
stance s when w and e carry the same negation parity in their matching clause, and the opposite
stance when they differ ("Bob's attention computes the same function" matched to the asserting
example "Bob's attention does not compute the same function" denies the claim). Parity counts
negation triggers ("not", "never", "n't", "no", "cannot", "fails to", "without" ...) that are not
idioms ("not only", "no matter", "non-linear"); the clause is the one of w that shares the most
content words with e. A statement introduced as false ("it is a misconception that X", "X, but
that is wrong") flips once more. Hedges ("may", "might", "probably") are reported, not flipped.
"""

from __future__ import annotations

import re

NEG = re.compile(r"\b(?:not|no|never|neither|nor|cannot|fails? to|unable to|nothing|hardly|without|none|"
                 r"isn't|aren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|shouldn't|hasn't|haven't|"
                 r"wasn't|weren't|lacks?|non)\b|n't\b")
NOT_NEG = re.compile(r"\bnot (?:only|just|merely)\b|\bno matter\b|\bif not\b|\bnot necessarily\b|\bnothing but\b|"
                     r"\bno (?:less|fewer|longer than) \b|\bnon[- ]?(?:linear|negative|zero|scalar|trivial|regulari|"
                     r"convex|parametric)\w*|\bwithout (?:loss of generality|any doubt)")
CLAUSE = re.compile(r"[;:]|,\s+(?=but|while|whereas|although|though|however|since|because|so|which|yet|and)|"
                    r"\s\(|\)\s|\b(?:but|whereas|although|however|while|whilst|unlike)\b|\s-\s|\s—\s")
HEDGE = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|sometimes|i think|i believe|"
                   r"not sure|roughly|approximately)\b")
FRAMED_FALSE = re.compile(r"\b(?:misconception|myth|mistaken belief|common mistake|(?:is|it's|it is) (?:false|wrong|"
                          r"incorrect|untrue|not true)) that\b")
RETRACTED = re.compile(r"\b(?:but|however|yet)\b[^.!?]{0,20}?\b(?:that|this|it|which)(?: is|'s| was)\s+"
                       r"(?:simply |actually |in fact )?(?:false|wrong|incorrect|untrue|not (?:true|correct|right|the "
                       r"case)|a (?:misconception|myth|mistake))")
WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset("the a an of to in and or is are be it this that for with on as by at from its their they we "
                  "which not no never does do can".split())

FLIP = {"asserts": "denies", "denies": "asserts", "corrects": "corrects"}


def parity(text: str) -> int:
    """Number of negations (idioms removed) modulo 2."""
    low = NOT_NEG.sub(" ", text.lower())
    return len(NEG.findall(low)) % 2


def clauses(text: str) -> list[str]:
    out = [c.strip() for c in CLAUSE.split(text) if c and c.strip()]
    return out or [text]


def _content(text: str) -> set[str]:
    return {w[:6] for w in WORD.findall(text.lower()) if w not in _STOP}


def matching_clause(window: str, example: str) -> str:
    """The clause of the window sharing the most content words with the example (ties: the first)."""
    ex = _content(example)
    cl = clauses(window)
    if len(cl) == 1:
        return cl[0]
    return max(cl, key=lambda c: len(_content(c) & ex) / (1 + 0.05 * len(_content(c))))


def framed_false(window: str) -> bool:
    low = window.lower()
    return bool(FRAMED_FALSE.search(low) or RETRACTED.search(low))


def relative_stance(window: str, example: str, example_stance: str) -> str:
    """The window's stance toward the claim, from the stance of the example it matched."""
    clause = matching_clause(window, example)
    flip = parity(clause) != parity(example)
    flip ^= framed_false(window) and not framed_false(example)
    return FLIP[example_stance] if flip else example_stance


def hedged(window: str) -> bool:
    return bool(HEDGE.search(window.lower()))
