"""ngrams.counts equals scikit-learn's char_wb counts; match's top shared words equal the dense computation."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from dlclaims.check import ngrams

DOCS = ["The KL term acts as a regulariser.", "a ab abc abcd abcde", "Self-attention costs O(n^2 d)\n per  layer",
        "", "ÉLBO ≤ log p(x)", "x"]


@pytest.mark.parametrize("lo,hi", [(3, 5), (1, 2), (2, 4)])
def test_counts_equal_sklearn(lo, hi):
    v = TfidfVectorizer(analyzer="char_wb", ngram_range=(lo, hi), sublinear_tf=True).fit(DOCS[:3])
    new = DOCS + ["unknown zzz words a", "Abcde ABC"]
    assert (CountVectorizer.transform(v, new) != ngrams.counts(v, new)).nnz == 0
    assert np.abs(v.transform(new) - ngrams.tfidf(v, ngrams.counts(v, new))).max() < 1e-12


def test_other_analyzers_fall_back():
    v = TfidfVectorizer(analyzer="word").fit(DOCS[:3])
    assert (CountVectorizer.transform(v, DOCS) != ngrams.counts(v, DOCS)).nnz == 0


def test_top_shared_matches_dense():
    from scipy.sparse import csr_matrix

    from dlclaims.check.match import _top_shared

    rng = np.random.default_rng(0)
    A = csr_matrix(rng.random((4, 30)) * (rng.random((4, 30)) < 0.4))
    B = csr_matrix(rng.random((3, 30)) * (rng.random((3, 30)) < 0.4))
    for a in range(4):
        for b in range(3):
            w = A[a].multiply(B[b]).toarray().ravel()
            want = [j for j in np.argsort(-w, kind="stable")[:6] if w[j] > 0]
            assert _top_shared(A, a, B, b, 6) == want
