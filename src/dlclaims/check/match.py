"""Match an answer to a question family by its content (never by its number).

Score of family F for an answer a (both as TF-IDF vectors, fitted on the
catalogue's fourteen family documents: title, intro, claims and tests):

    s(a, F) = 0.5 cos_words(a, F) + 0.5 cos_chars(a, F) + 0.12 min(sum of F's cue weights hit in a, 3)

Word uni/bigrams explain the match (the finding lists the shared words with
the largest weight product); character 3-5-grams keep OCR misspellings close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.catalogue import questions
from .cues import FAMILY_CUES

MIN_SCORE = 0.16  # below this an answer matches no family
CUE_WEIGHT = 0.12


@dataclass(frozen=True)
class Match:
    question: str | None  # "Q-seq", or None when nothing matches
    score: float
    words: tuple[str, ...]  # what matched: shared TF-IDF terms and cue terms
    runner_up: str | None = None
    runner_up_score: float = 0.0


_LATEX = re.compile(r"\\(?:mathcal|mathbb|mathrm|operatorname|text|left|right|big|Big|cdot|times|frac|sqrt|hat|tilde|"
                    r"bar|quad|qquad|,|;|!)")


def clean_for_match(text: str) -> str:
    t = _LATEX.sub(" ", text.lower())
    t = re.sub(r"[$`*_#|{}\\]", " ", t)
    return t


@dataclass
class _Model:
    ids: list[str]
    word: object
    char: object
    Dw: object
    Dc: object
    vocab: np.ndarray
    cues: dict[str, list[tuple[re.Pattern, float]]]


@lru_cache(maxsize=1)
def _model() -> _Model:
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids, docs = [], []
    for q in questions():
        parts = [q.title, q.intro] + [f"{c.claim} {c.test}" for c in q.claims]
        # the cue terms' literal words also describe the family
        lits = [w for pat, _ in FAMILY_CUES.get(q.id, ()) for w in re.findall(r"[a-z]{3,}", pat)]
        ids.append(q.id)
        docs.append(clean_for_match(" ".join(parts + lits)))
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english", min_df=1,
                           token_pattern=r"(?u)\b[a-z][a-z0-9]+\b")
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
    Dw = word.fit_transform(docs)
    Dc = char.fit_transform(docs)
    cues = {q: [(re.compile(p, re.MULTILINE), w) for p, w in c] for q, c in FAMILY_CUES.items()}
    return _Model(ids, word, char, Dw, Dc, np.array(word.get_feature_names_out()), cues)


def family_scores(text: str) -> tuple[np.ndarray, list[str], list[list[str]]]:
    """Scores of every family for one text, the family ids, and each family's matched cue terms."""
    m = _model()
    t = clean_for_match(text)
    aw = m.word.transform([t])
    ac = m.char.transform([t])
    sw = (m.Dw @ aw.T).toarray().ravel()
    sc = (m.Dc @ ac.T).toarray().ravel()
    low = text.lower()
    cue_hits: list[list[str]] = []
    cue_s = np.zeros(len(m.ids))
    for k, q in enumerate(m.ids):
        hits, total = [], 0.0
        for pat, w in m.cues.get(q, ()):
            mm = pat.search(low)
            if mm:
                total += w
                hits.append(mm.group(0).strip()[:30])
        cue_s[k] = CUE_WEIGHT * min(total, 3.0)
        cue_hits.append(hits)
    return 0.5 * sw + 0.5 * sc + cue_s, m.ids, cue_hits


def _shared_words(text: str, k: int) -> list[str]:
    m = _model()
    aw = m.word.transform([clean_for_match(text)])
    row = m.Dw[k].multiply(aw).toarray().ravel()
    top = np.argsort(-row)[:6]
    return [str(m.vocab[i]) for i in top if row[i] > 0]


def match(text: str, *, min_score: float = MIN_SCORE) -> Match:
    """The best family for an answer's text, with the words that made the match."""
    if not text.strip():
        return Match(None, 0.0, ())
    scores, ids, hits = family_scores(text)
    order = np.argsort(-scores)
    best, second = int(order[0]), int(order[1])
    if scores[best] < min_score:
        return Match(None, float(scores[best]), (), ids[best], float(scores[best]))
    words = tuple(dict.fromkeys(hits[best] + _shared_words(text, best)))
    return Match(ids[best], float(scores[best]), words, ids[second], float(scores[second]))
