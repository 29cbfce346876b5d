"""Which claim does a window state? A classifier trained on the knowledge base's own examples.

The first stage (detect.py) scores a window by its similarity to the single closest example of a claim. This
module learns, from all of a claim's examples at once, which words and meanings tell the claims apart: a
multinomial logistic regression over the C catalogue claims,

    P(c | w) = softmax_c(a_c . tfidf(w) + b_c . e(w) + d_c)

tfidf(w): the window's word TF-IDF row (the vectorizer detect.refs() fits on the examples), e(w): its unit
WordLlama mean embedding (embed.py). Trained on every example that asserts, denies or corrects a claim (its
label: the claim; stance is read elsewhere), L2-regularised with C = 10 (fixed before looking at the corpus;
leave-one-sheet-out F1 for C = 3, 10, 30, 100: 0.861, 0.877, 0.873, 0.869). The decision (decide.py) reads

    clf_max(c) = log(max over the sheet's windows w of P(c | w) + 1e-3)

Only our knowledge base trains it (no answer sheet), so the corpus benchmark stays a fair cross-validation.
The fitted weights (numbers, no text) ship in ``knowledge/claim_classifier.npz``, keyed by a SHA-256 of the
training texts, labels and settings and stored by term, so a check needs no scikit-learn; an edited knowledge
base refits them once (a few seconds, then the user cache) and ``python -m dlclaims.check.classify`` rewrites
the shipped file (a test fails while it is stale).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import embed, ngrams, refcache

PATH = Path(__file__).with_name("knowledge") / "claim_classifier.npz"
C_REG = 10.0
FLOOR = 1e-3  # log(p + FLOOR): a claim no window names sits at log(1e-3), not at -inf
NONE_CLASS = True  # a class "none" trained on the families' descriptions (kb.FamilyKB.descriptions)
SETTINGS = {"model": "multinomial logistic regression", "C": C_REG, "features": "word tfidf + wordllama mean",
            "dtype": "float16"}


@dataclass
class Classifier:
    """(V + 256, K) weights in the order of the fitted word vocabulary, then the embedding; (K,) intercepts. K is
    C, or C + 1 where the last class is "none": the families' descriptions (on-topic text that states no claim)."""

    W_word: np.ndarray  # (V, K) float32
    W_emb: np.ndarray  # (256, K) float32 (zeros without WordLlama)
    bias: np.ndarray  # (K,)
    n_claims: int = -1  # C (-1: K)

    def log_proba_all(self, Xw: sp.csr_matrix, E: np.ndarray | None) -> np.ndarray:
        """(W, K) log P(k | w) over the claims and, last, "none"."""
        z = np.asarray(Xw @ self.W_word, dtype=np.float64) + self.bias  # (W, K)
        if E is not None:
            z += E.astype(np.float32) @ self.W_emb
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def log_proba(self, Xw: sp.csr_matrix, E: np.ndarray | None) -> np.ndarray:
        """(W, C) log P(c | w) of windows given their word TF-IDF rows and unit embeddings."""
        lp = self.log_proba_all(Xw, E)
        return lp if self.n_claims < 0 else lp[:, :self.n_claims]

    def max_feature(self, Xw: sp.csr_matrix, E: np.ndarray | None, skip: np.ndarray) -> np.ndarray:
        """(C,) log(max over the windows not in ``skip`` of P(c | w) + FLOOR)."""
        if Xw.shape[0] == 0 or skip.all():
            return np.full(self.bias.shape[0] if self.n_claims < 0 else self.n_claims, np.log(FLOOR))
        keep = ~skip
        P = np.exp(self.log_proba(Xw[keep], None if E is None else E[keep]))
        return np.log(P.max(axis=0) + FLOOR)


def _rows(refs) -> list[int]:
    """The examples that assert, deny or correct a claim (negatives are not a claim)."""
    return [i for i, st in enumerate(refs.stance_of) if st != "negatives"]


def _descriptions() -> list[str]:
    """The families' on-topic sentences that state no claim (the class "none"; empty with NONE_CLASS off)."""
    from . import kb

    return [d for f in sorted(kb.load().families.values(), key=lambda f: f.id) for d in f.descriptions] \
        if NONE_CLASS else []


def _training(refs) -> tuple[list[str], np.ndarray]:
    """The training texts and their class: the claim's index, or C ("none") for a description."""
    rows = _rows(refs)
    desc = _descriptions()
    return [refs.texts[i] for i in rows] + desc, \
        np.concatenate([np.asarray(refs.claim_of)[rows], np.full(len(desc), len(refs.claims))]).astype(np.int64)


def _key(texts: list[str], y: np.ndarray, claims: list[str]) -> str:
    blob = json.dumps({"texts": texts, "labels": y.tolist(), "claims": claims, "settings": SETTINGS},
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def fit(refs) -> dict[str, np.ndarray]:
    """Fit on the knowledge base (scikit-learn): the arrays of the shipped file, weights stored by term."""
    from sklearn.linear_model import LogisticRegression

    from .detect import _clean

    rows = _rows(refs)
    texts, y = _training(refs)
    desc = [_clean(t) for t in texts[len(rows):]]  # the descriptions, cleaned as the examples were
    Xw = sp.vstack([refs.Rw[rows], ngrams.tfidf(refs.word, ngrams.counts(refs.word, desc))]).tocsr()
    if refs.emb is None:
        E = np.zeros((Xw.shape[0], embed.DIM), dtype=np.float32)
    else:
        E = np.vstack([refs.emb[rows], embed.embed(desc).astype(np.float32).reshape(len(desc), embed.DIM)])
    X = sp.hstack([Xw, sp.csr_matrix(E.astype(np.float64))]).tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's FutureWarnings about the multinomial default
        lr = LogisticRegression(C=C_REG, max_iter=5000).fit(X, y)
    K = len(refs.claims) + bool(desc)
    W = np.zeros((X.shape[1], K))
    W[:, lr.classes_] = lr.coef_.T
    b = np.full(K, -30.0)  # a claim with no example can never win
    b[lr.classes_] = lr.intercept_
    V = Xw.shape[1]
    return {"key": np.array(_key(texts, y, refs.claims)), "terms": np.array(refs.word.get_feature_names_out(), dtype=str),
            "claims": np.array(refs.claims, dtype=str), "W_word": W[:V].astype(np.float16),
            "W_emb": W[V:].astype(np.float16), "bias": b.astype(np.float32)}


def _from_arrays(z: dict[str, np.ndarray], refs) -> Classifier:
    """Weights mapped onto this run's vocabulary by term (a term the file lacks weighs 0)."""
    if z["claims"].tolist() != list(refs.claims):
        raise ValueError("the classifier was fitted on other claims")
    vocab = refs.word.vocabulary_
    Wf = z["W_word"].astype(np.float32)
    W = np.zeros((len(vocab), Wf.shape[1]), dtype=np.float32)
    idx = np.array([vocab.get(t, -1) for t in z["terms"].tolist()])
    W[idx[idx >= 0]] = Wf[idx >= 0]
    return Classifier(W, z["W_emb"].astype(np.float32), z["bias"].astype(np.float64), len(refs.claims))


def stale(refs) -> bool:
    """True when the shipped file was fitted on other examples or settings than the knowledge base's."""
    texts, y = _training(refs)
    try:
        with np.load(PATH, allow_pickle=False) as f:
            return str(f["key"]) != _key(texts, y, refs.claims)
    except (OSError, KeyError, ValueError):
        return True


@lru_cache(maxsize=1)
def load() -> Classifier:
    """The shipped classifier; refitted (and kept in the user cache) when the knowledge base has changed."""
    from .detect import refs as _refs

    r = _refs()
    texts, y = _training(r)
    k = _key(texts, y, r.claims)
    try:
        with np.load(PATH, allow_pickle=False) as f:
            z = {n: f[n] for n in f.files}
        if str(z["key"]) == k:
            return _from_arrays(z, r)
    except (OSError, KeyError, ValueError):
        pass
    # an edited knowledge base: refitted once, then read from the user cache
    return _from_arrays(refcache.arrays("classifier", texts, {"key": k}, lambda: fit(r)), r)


def main() -> None:
    """Refit on the knowledge base and rewrite the shipped file."""
    from .detect import refs as _refs

    z = fit(_refs())
    np.savez_compressed(PATH, **z)
    load.cache_clear()
    print(f"wrote {PATH} ({PATH.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
