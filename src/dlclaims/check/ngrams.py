"""N-gram counts and TF-IDF of many texts at once, without scikit-learn at run time.

``Vectorizer`` is a fitted TF-IDF vectorizer reduced to what the checker reads (vocabulary, idf, the analyzer's
settings): it is fitted once with scikit-learn and then read from the disk cache (refcache.py), so a check
never imports scikit-learn (0.7 s of imports, SciPy's statistics included).

Character n-grams, word by word (a faster ``CountVectorizer.transform``):

For ``analyzer="char_wb"`` a text's n-grams are the union of its words' n-grams (each word padded with a
space on both sides), so the counts of a text are the sum of its words' counts. A word's vocabulary
indices are computed once and kept (words recur across the windows of a sheet and across sheets), which
turns the per-n-gram Python loop of scikit-learn's analyzer into one dictionary look-up per word. The
result equals ``CountVectorizer.transform(vec, texts)`` (tests/check/test_ngrams.py).

Word n-grams: scikit-learn's word analyzer (lower case, ``token_pattern`` tokens, stop words dropped, then
the n-grams joined by one space), written out once, with the same counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

MAX_CACHED_WORDS = 200_000


@dataclass
class Vectorizer:
    """A fitted TfidfVectorizer's state (``analyzer`` "word" or "char_wb"), with the same ``transform``."""

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary_: dict[str, int]
    idf_: np.ndarray | None
    lowercase: bool = True
    token_pattern: str | None = None
    stop_words: frozenset[str] = frozenset()
    sublinear_tf: bool = False
    norm: str | None = "l2"
    use_idf: bool = True
    dtype: type = np.float64
    preprocessor = None  # what _plain_* read: nothing beyond the settings above
    strip_accents = None
    tokenizer = None
    _terms: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_sklearn(cls, vec) -> Vectorizer:
        if not (_plain_char_wb(vec) or _plain_word(vec)):
            raise ValueError(f"unsupported vectorizer settings: {vec!r}")
        return cls(vec.analyzer, tuple(vec.ngram_range), dict(vec.vocabulary_),
                   np.asarray(vec.idf_) if getattr(vec, "use_idf", False) else None, bool(vec.lowercase),
                   vec.token_pattern if vec.analyzer == "word" else None, frozenset(vec.get_stop_words() or ()),
                   bool(getattr(vec, "sublinear_tf", False)), getattr(vec, "norm", None),
                   bool(getattr(vec, "use_idf", False)), vec.dtype)

    def get_feature_names_out(self) -> np.ndarray:
        """The terms in column order."""
        if self._terms is None:
            terms = [""] * len(self.vocabulary_)
            for t, j in self.vocabulary_.items():
                terms[j] = t
            self._terms = np.asarray(terms, dtype=object)
        return self._terms

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        return tfidf(self, counts(self, texts))


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


def _plain(vec) -> bool:
    return (vec.preprocessor is None and vec.strip_accents is None and vec.tokenizer is None
            and getattr(vec, "input", "content") == "content" and hasattr(vec, "vocabulary_"))


def _plain_char_wb(vec) -> bool:
    return getattr(vec, "analyzer", None) == "char_wb" and _plain(vec)


def _plain_word(vec) -> bool:
    return getattr(vec, "analyzer", None) == "word" and _plain(vec) and vec.token_pattern is not None \
        and re.compile(vec.token_pattern).groups == 0 and (vec.stop_words is None or vec.stop_words == "english"
                                                             or isinstance(vec, Vectorizer))


def _csr(cols: list[int], indptr: list[int], n_cols: int, dtype) -> sp.csr_matrix:
    """Counts from each text's column list (repeats counted); canonical CSR (sorted, summed) as sklearn gives."""
    X = sp.csr_matrix((np.ones(len(cols), dtype=dtype), np.asarray(cols, dtype=np.int64),
                       np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, n_cols))
    X.sum_duplicates()  # sorted columns, repeats summed (the canonical form)
    return X


def _word_counts(vec, texts: list[str]) -> sp.csr_matrix:
    """scikit-learn's word analyzer and counts: tokens of ``token_pattern`` in the lower-cased text, stop words
    dropped, then all n-grams for n in ``ngram_range`` (tokens joined by one space), kept where in the vocabulary."""
    vocab = vec.vocabulary_
    lo, hi = vec.ngram_range
    pat = re.compile(vec.token_pattern)
    stop = vec.stop_words if isinstance(vec, Vectorizer) else frozenset(vec.get_stop_words() or ())
    get = vocab.get
    cols: list[int] = []
    indptr = [0]
    for t in texts:
        toks = [w for w in pat.findall(t.lower() if vec.lowercase else t) if w not in stop]
        n_t = len(toks)
        for n in range(lo, min(hi, n_t) + 1):
            grams = toks if n == 1 else [" ".join(toks[i:i + n]) for i in range(n_t - n + 1)]
            for g in grams:
                j = get(g)
                if j is not None:
                    cols.append(j)
        indptr.append(len(cols))
    return _csr(cols, indptr, len(vocab), getattr(vec, "dtype", np.int64))


def counts(vec, texts: list[str]) -> sp.csr_matrix:
    """(N, V) n-gram counts of the texts under a fitted vectorizer's vocabulary (char_wb or word analyzer)."""
    if _plain_word(vec):
        return _word_counts(vec, texts)
    if not _plain_char_wb(vec):
        from sklearn.feature_extraction.text import CountVectorizer

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
    return _csr(cols, indptr, len(vocab), getattr(vec, "dtype", np.int64))


def l2_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit l2 norm in place (zero rows stay zero), as ``sklearn.preprocessing.normalize`` does:
    per row, the squares summed in index order, one square root, each entry divided by it."""
    X = X.tocsr()
    sq = sp.csr_matrix((X.data * X.data, X.indices, X.indptr), shape=X.shape)
    norms = np.sqrt(sq @ np.ones(X.shape[1]))  # csr_matvec: the row's squares added in order
    div = np.repeat(norms, np.diff(X.indptr))
    nz = div != 0.0
    X.data[nz] /= div[nz]
    return X


def tfidf(vec, X) -> sp.csr_matrix:
    """TF-IDF rows from raw counts, as a fitted ``TfidfVectorizer`` computes them (sublinear tf, idf, l2 norm)."""
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if getattr(vec, "sublinear_tf", False):
        X.data = 1.0 + np.log(X.data)
    if getattr(vec, "use_idf", True):
        X = _times_idf(X, vec.idf_)
    if vec.norm == "l2":
        return l2_rows(X)
    if vec.norm:
        from sklearn.preprocessing import normalize

        return normalize(X, norm=vec.norm, copy=False)
    return X.tocsr()


def _times_idf(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """X @ diag(idf) as scikit-learn computes it, bit for bit, without the product (a quarter of the TF-IDF time).

    Each entry of the product is one term, x * idf[column]; what the sparse product adds is its layout: it emits
    each row's entries in the reverse of their stored order (its column list is a stack), and the l2 norm and the
    products after it add in that order, so the scaled entries are reversed row by row too."""
    X.data *= idf[X.indices]
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    rev = X.indptr[rows + 1] - 1 - (np.arange(X.nnz) - X.indptr[rows])  # each entry's place in its reversed row
    return sp.csr_matrix((X.data[rev], X.indices[rev], X.indptr), shape=X.shape)


class SplitProduct:
    """X @ B for sparse rows X (N, V) and a fixed sparse B (V, R), with B's rows of at least ``dense_min`` non-zeros
    (the n-grams most examples share: " th", "the") held dense. Their share of the product is a sparse-by-dense
    product; the rest stays sparse-by-sparse. Character n-gram windows against the examples: about a third less
    time than one sparse product (the common rows make most of its output entries). Each entry is the same sum,
    added in another order (differences of about 1e-16)."""

    def __init__(self, B: sp.csr_matrix, dense_min: int = 150):
        B = B.tocsr()
        self.shape = B.shape
        common = np.diff(B.indptr) >= dense_min
        self.common = np.flatnonzero(common)  # (Vd,) the dense rows
        self.dense = np.ascontiguousarray(B[self.common].toarray())  # (Vd, R)
        keep = sp.diags((~common).astype(B.dtype))
        self.rest = (keep @ B).tocsr()  # (V, R) the other rows, the common ones zeroed
        self.rest.eliminate_zeros()

    def times(self, X: sp.csr_matrix) -> np.ndarray:
        """(N, R) dense X @ B."""
        X = X.tocsr()
        return X[:, self.common] @ self.dense + (X @ self.rest).toarray()

