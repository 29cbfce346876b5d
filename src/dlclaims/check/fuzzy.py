"""Fuzzy matching of OCR-damaged words against a vocabulary, with rapidfuzz (offered to replace difflib).

``closest(word, vocabulary)`` returns the vocabulary word an OCR misread most likely was: at most one edit
for words under 8 letters, two for longer ones (edits and swaps of neighbours: OSA distance, via rapidfuzz),
and never by only adding or removing letters at the start or end of the word: "current" is an English word, not a damaged "recurrent",
and "transform" is not a damaged "transformer"; "transfomer" and "softrnax" are repaired.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import distance, process


def _edge_only(word: str, cand: str) -> bool:
    """Does turning ``word`` into ``cand`` only add or remove letters at the ends?"""
    if len(word) == len(cand):
        return False
    short, long_ = (word, cand) if len(word) < len(cand) else (cand, word)
    return long_.startswith(short) or long_.endswith(short) or short in long_ and len(long_) - len(short) >= 2 and (
        long_.find(short) in (1, len(long_) - len(short) - 1))


def closest(word: str, vocabulary: Iterable[str], max_edits: int | None = None) -> str | None:
    """The vocabulary word ``word`` is an OCR misread of, or None (see the module doc; ``max_edits`` overrides
    the edit limit)."""
    if len(word) < 5:
        return None
    limit = max_edits if max_edits is not None else 1 if len(word) < 8 else 2
    cands = [c for c in vocabulary if abs(len(c) - len(word)) <= limit]
    best = process.extract(word, cands, scorer=distance.OSA.distance, score_cutoff=limit, limit=5)
    for cand, dist, _ in sorted(best, key=lambda x: (x[1], x[0])):
        if dist == 0:
            return cand
        if not _edge_only(word, cand):
            return cand
    return None
