"""Character n-gram counts of many texts at once, word by word (a faster ``CountVectorizer.transform``).

For ``analyzer="char_wb"`` a text's n-grams are the union of its words' n-grams (each word padded with a
space on both sides), so the counts of a text are the sum of its words' counts. A word's vocabulary
indices are computed once and kept (words recur across the windows of a sheet and across sheets), which
turns the per-n-gram Python loop of scikit-learn's analyzer into one dictionary look-up per word. The
result equals ``CountVectorizer.transform(vec, texts)`` (tests/check/test_ngrams.py).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

MAX_CACHED_WORDS = 200_000


def _word_indices(w: str, vocab: dict[str, int], lo: int, hi: int) -> list[int]:
    w = " " + w + " "
    n_w = len(w)
    out = []
    for n in range(lo, hi + 1):
        for off in range(max(1, n_w - n + 1)):  # a word shorter than n counts once, as scikit-learn does
            j = vocab.get(w[off:off + n])
            if j is not None:
                out.append(j)
        if n_w <= n:
            break
    return out


def _plain_char_wb(vec) -> bool:
    return (getattr(vec, "analyzer", None) == "char_wb" and vec.preprocessor is None and vec.strip_accents is None
            and vec.tokenizer is None and hasattr(vec, "vocabulary_"))


def counts(vec, texts: list[str]) -> sp.csr_matrix:
    """(N, V) n-gram counts of the texts under a fitted char_wb vectorizer's vocabulary."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not _plain_char_wb(vec):
        return CountVectorizer.transform(vec, texts)
    vocab = vec.vocabulary_
    lo, hi = vec.ngram_range
    cache: dict[str, list[int]] = vec.__dict__.setdefault("_word_ngram_cache", {})
    cols: list[int] = []
    indptr = [0]
    for t in texts:
        for w in (t.lower() if vec.lowercase else t).split():
            ix = cache.get(w)
            if ix is None:
                ix = _word_indices(w, vocab, lo, hi)
                if len(cache) < MAX_CACHED_WORDS:
                    cache[w] = ix
            cols.extend(ix)
        indptr.append(len(cols))
    ip = np.asarray(indptr, dtype=np.int64)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(ip))
    X = sp.csr_matrix((np.ones(len(cols), dtype=getattr(vec, "dtype", np.int64)), (rows, np.asarray(cols, dtype=np.int64))),
                      shape=(len(texts), len(vocab)))
    X.sum_duplicates()
    return X


def tfidf(vec, X) -> sp.csr_matrix:
    """TF-IDF rows from raw counts, as a fitted ``TfidfVectorizer`` computes them (sublinear tf, idf, l2 norm)."""
    from sklearn.preprocessing import normalize

    X = X.astype(np.float64).tocsr(copy=True)
    if getattr(vec, "sublinear_tf", False):
        X.data = 1.0 + np.log(X.data)
    if getattr(vec, "use_idf", True):
        X = X @ sp.diags(vec.idf_)
    return normalize(X, norm=vec.norm, copy=False) if vec.norm else X.tocsr()
