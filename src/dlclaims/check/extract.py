"""Structural extraction of what an answer asserts (units.py: sentences, tables, negation).

The structural extractors read what similarity cannot see:

* complexity orders (complexity.py): every O(...) parsed with sympy, attributed to a role
  (RNN / Transformer, softmax / Bob's) and an aspect (time, memory at training or test time);
* number sequences (series.py): tables in any layout named after the variables, or
  ``q = 1, 2, 1, ...`` in prose;
* trends (series.py): rise / plateau / fall words, with negations and hedges.

Every other claim is found by the knowledge base and the learned decision (detect.py, decide.py).
"""

from __future__ import annotations

from .complexity import complexity
from .formulas import formulas
from .series import sequences, trends
from .units import Assertion, Stance, Unit, negated, retracted, units

__all__ = ["Assertion", "Stance", "Unit", "complexity", "extract", "negated", "retracted", "sequences", "trends",
           "units"]


def extract(question: str, parts: list[tuple[str, str]], every: list[Unit] | None = None) -> list[Assertion]:
    """Every structural assertion an answer (its (part label, text) pairs) makes about its family's claims;
    ``every``: the parts' units when the caller has them already."""
    if every is None:
        every = [u for label, text in parts for u in units(text, label)]
    us = [u for u in every if not u.asks]
    found = (complexity(question, us) + sequences(question, every) + trends(question, us)
             + formulas(question, us))  # formulas.py: claims carried by formulas (A2)
    merged: dict[str, Assertion] = {}
    for a in found:
        merged.setdefault(a.claim, a)
    return sorted(merged.values(), key=lambda a: a.part)
