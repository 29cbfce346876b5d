"""Structural findings that name their own family, whatever answer block they sit in.

A table of min-max iterates (two sequences under the family's names or aliases) or an ELBO formula with
KL(q(z|x) || p(z)) says which question it answers even when the heading that should separate it from the
next answer was misread and the block was matched to another family. ``self_evident`` reads every block for
these, so the pipeline can keep them (with the family they name) when the block's own family did not yield
them.
"""

from __future__ import annotations

from . import cues
from .formulas import formulas
from .series import sequences
from .units import Assertion, units


def self_evident(parts: list[tuple[str, str]], read: list | None = None,
                 done: str | None = None) -> list[tuple[str, Assertion]]:
    """(question, assertion) for every self-identifying structural finding of an answer's (label, text) parts:
    sequence tables read under the family's own names or aliases, and ELBO formulas. ``read``: the parts'
    units when the caller has them already (``units(text, label)`` of each part, in order); ``done``: a family
    whose own extractors already read these parts (its readers are not run again)."""
    every = read if read is not None else [u for label, text in parts for u in units(text, label)]
    us = [u for u in every if not u.asks]
    out: list[tuple[str, Assertion]] = []
    for spec in cues.SEQUENCES:
        question = _question(spec.claim)
        if question == done:
            continue
        for a in sequences(question, every):
            known = set(spec.variables) | set(spec.aliases)
            names = set(a.data.get("aliases") or {}) | (set(a.data["sequences"]) if a.data.get("roles_from") == "names"
                                                        else set())
            if len(a.data["sequences"]) == len(spec.variables) and names & known:
                out.append((question, a))
    if done != "Q-elbo":
        out += [("Q-elbo", a) for a in formulas("Q-elbo", us)]
    return out


def _question(claim: str) -> str:
    from ..core.catalogue import claims_by_id

    return claims_by_id()[claim].question
