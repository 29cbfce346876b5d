"""Match an answer to a question family by its content (never by its number).

Score of family F for an answer a (both as TF-IDF vectors, fitted on the fourteen family
documents: the catalogue's title, intro, claims and tests, and the knowledge base's words and
examples; aliases made canonical in both, "fcnn" -> "mlp"):

    s(a, F) = 0.5 cos_words(a, F) + 0.5 cos_chars(a, F) + TERM_WEIGHT min(#F's terms in a, 3)

Word uni/bigrams explain the match (the finding lists the shared words with
the largest weight product); character 3-5-grams keep OCR misspellings close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.catalogue import questions
from . import ngrams, refcache

MIN_SCORE = 0.16  # below this an answer matches no family
TERM_WEIGHT = 0.0  # per distinct family term found; 0.04 lowered corpus F1 (0.81 -> 0.76), so terms only explain
MAX_TERMS = 3


@dataclass(frozen=True)
class Match:
    question: str | None  # "Q-seq", or None when nothing matches
    score: float
    words: tuple[str, ...]  # what matched: shared TF-IDF terms and cue terms
    runner_up: str | None = None
    runner_up_score: float = 0.0


_LATEX = re.compile(r"\\(?:mathcal|mathbb|mathrm|operatorname|text|left|right|big|Big|cdot|times|frac|sqrt|hat|tilde|"
                    r"bar|quad|qquad|,|;|!)")


_ENV = re.compile(r"\\(?:begin|end)\{[^}]*\}")  # \begin{aligned} names no topic


def clean_for_match(text: str) -> str:
    """Lower case, LaTeX macros and markup dropped, aliases made canonical ("fcnn" -> "mlp")."""
    from .kb import canonical

    t = _LATEX.sub(" ", _ENV.sub(" ", text).lower())
    t = re.sub(r"[$`*_#|{}\\]", " ", t)
    return canonical(t)


@dataclass
class _Model:
    ids: list[str]
    word: object
    char: object
    Dw: object
    Dc: object
    vocab: np.ndarray
    terms: dict[str, re.Pattern]  # family -> its canonical alias terms (knowledge base)


@lru_cache(maxsize=1)
def _model() -> _Model:
    from .kb import load

    base = load()
    ids, docs, terms = [], [], {}
    for q in questions():
        fk = base.families.get(q.id)
        kb_text = [fk.words] + [" ".join(ex) for c in fk.claims for st, ex in c.examples.items() if st != "negatives"] \
            if fk else []
        ids.append(q.id)
        docs.append(clean_for_match(" ".join([q.title, q.intro] + kb_text + [f"{c.claim} {c.test}" for c in q.claims])))
        if fk and fk.aliases:
            alts = sorted(fk.aliases, key=len, reverse=True)
            terms[q.id] = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in alts) + r")(?![\w-])")
    # TfidfVectorizer settings; fitted once, then read from the user cache (refcache.py)
    word_kw = {"ngram_range": (1, 2), "sublinear_tf": True, "stop_words": "english", "min_df": 1,
               "token_pattern": r"(?u)\b[a-z][a-z0-9]+\b"}
    char_kw = {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True, "min_df": 1}
    (word, Dw), (char, Dc) = refcache.fit_tfidf("families", docs, [word_kw, char_kw])
    return _Model(ids, word, char, Dw, Dc, np.array(word.get_feature_names_out()), terms)


@dataclass
class Scored:
    """The family scores of a batch of texts (one TF-IDF transform per batch, not per text)."""

    scores: np.ndarray  # (N, F)
    ids: list[str]
    cue_hits: _Hits  # [text][family] -> the family's terms found (aliases made canonical)
    words: object  # (N, V) sparse TF-IDF word vectors


class _HitsRow:
    """One text's terms found per family, searched when first read (with TERM_WEIGHT = 0 the terms only explain
    the chosen family of a match: searching all 14 families of every text cost 10% of a check)."""

    def __init__(self, low: str, ids: list[str], terms: dict[str, re.Pattern]):
        self._low, self._ids, self._terms = low, ids, terms
        self._found: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, k: int) -> list[str]:
        k = range(len(self._ids))[k]
        if k not in self._found:
            pat = self._terms.get(self._ids[k])
            self._found[k] = list(dict.fromkeys(pat.findall(self._low))) if pat is not None else []
        return self._found[k]

    def __iter__(self):
        return (self[k] for k in range(len(self._ids)))

    def __eq__(self, other) -> bool:
        return list(self) == list(other)


class _Hits:
    """[text][family] -> terms found, per text a lazily searched ``_HitsRow``."""

    def __init__(self, cleaned: list[str], ids: list[str], terms: dict[str, re.Pattern]):
        self._rows = [_HitsRow(low, ids, terms) for low in cleaned]

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> _HitsRow:
        return self._rows[i]

    def __iter__(self):
        return iter(self._rows)


@lru_cache(maxsize=1)
def _transposed() -> tuple[np.ndarray, np.ndarray]:
    """Dw^T and Dc^T as dense (V, F) arrays, made once: with 14 family columns a sparse-by-dense product is
    several times faster than sparse-by-sparse, and it adds each row's terms in the same order (same floats)."""
    m = _model()
    return np.ascontiguousarray(m.Dw.T.toarray()), np.ascontiguousarray(m.Dc.T.toarray())


def score_many(texts: list[str]) -> Scored:
    m = _model()
    cleaned = [clean_for_match(t) for t in texts]
    aw = ngrams.tfidf(m.word, ngrams.counts(m.word, cleaned))  # = m.word.transform(cleaned)
    ac = ngrams.tfidf(m.char, ngrams.counts(m.char, cleaned))  # = m.char.transform(cleaned), word by word
    DwT, DcT = _transposed()
    sw = aw @ DwT  # (N, F)
    sc = ac @ DcT
    cue_s = np.zeros_like(sw)
    hits = _Hits(cleaned, m.ids, m.terms)
    if TERM_WEIGHT:  # the terms count in the score: search every family of every text
        for i in range(len(cleaned)):
            for k in range(len(m.ids)):
                cue_s[i, k] = TERM_WEIGHT * min(len(hits[i][k]), MAX_TERMS)
    return Scored(0.5 * sw + 0.5 * sc + cue_s, m.ids, hits, aw)


def family_scores(text: str) -> tuple[np.ndarray, list[str], list[list[str]]]:
    """Scores of every family for one text, the family ids, and each family's matched cue terms."""
    s = score_many([text])
    return s.scores[0], s.ids, list(s.cue_hits[0])


def match_row(s: Scored, i: int, *, min_score: float = MIN_SCORE) -> Match:
    """The best family for text i of a scored batch, with the words that made the match."""
    row = s.scores[i]
    if row.size == 0 or not s.cue_hits[i] and not row.any():
        return Match(None, 0.0, ())
    order = np.argsort(-row)
    best, second = int(order[0]), int(order[1])
    if row[best] < min_score:
        return Match(None, float(row[best]), (), s.ids[best], float(row[best]))
    m = _model()
    top = [str(m.vocab[j]) for j in _top_shared_dense(_dense_docs(), best, s.words, i, 6)]
    words = tuple(dict.fromkeys(s.cue_hits[i][best] + top))
    return Match(s.ids[best], float(row[best]), words, s.ids[second], float(row[second]))


def _top_shared(A, a: int, B, b: int, k: int) -> list[int]:
    """The k columns with the largest A[a, j] * B[b, j] > 0 (ties by column), read from the two CSR rows."""
    ia = slice(A.indptr[a], A.indptr[a + 1])
    ib = slice(B.indptr[b], B.indptr[b + 1])
    cols, ja, jb = np.intersect1d(A.indices[ia], B.indices[ib], assume_unique=True, return_indices=True)
    w = A.data[ia][ja] * B.data[ib][jb]
    keep = np.argsort(-w, kind="stable")[:k]
    return [int(cols[j]) for j in keep if w[j] > 0]


@lru_cache(maxsize=1)
def _dense_docs() -> np.ndarray:
    """The family documents' word TF-IDF as a dense (F, V) array (14 rows), for the shared-word look-ups."""
    return _model().Dw.toarray()


def _top_shared_dense(A: np.ndarray, a: int, B, b: int, k: int) -> list[int]:
    """``_top_shared`` with A dense: the same columns in the same order (ties by column), one gather instead of
    an intersection of sorted index lists."""
    ib = slice(B.indptr[b], B.indptr[b + 1])
    cols = B.indices[ib]
    o = np.argsort(cols, kind="stable")
    cols = cols[o]
    w = A[a, cols] * B.data[ib][o]
    keep = np.argsort(-w, kind="stable")[:k]
    return [int(cols[j]) for j in keep if w[j] > 0]


def match(text: str, *, min_score: float = MIN_SCORE) -> Match:
    """The best family for an answer's text, with the words that made the match."""
    if not text.strip():
        return Match(None, 0.0, ())
    return match_row(score_many([text]), 0, min_score=min_score)
