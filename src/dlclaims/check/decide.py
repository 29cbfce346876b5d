"""The learned, calibrated decision: does a sheet state a claim? (logistic regression on detect.FEATURES)

    P(states c | x) = sigmoid(w . (x - mu) / sd + b)

x: the features of one window of the sheet for the claim (detect.py). Of the claim's TOP_K windows by first-stage
similarity, the one with the largest probability is kept (``proba_best``): a short fragment that wins the
first stage no longer hides a full sentence that states the claim; k (``top_k``, of 1, 3, 5) is chosen by
the inner cross-validation with the threshold. Fitted with scikit-learn on
(sheet, claim) pairs of real answer sheets, labelled by hand (../shared/checker-corpus), with the
threshold chosen by leave-one-sheet-out cross-validation (benchmarks/bench_checker_corpus.py).
Below ``threshold`` there is no finding (the checker abstains); between ``threshold`` and
``review`` a finding is kept but flagged for a person to check. The fitted numbers (no text) are
stored in knowledge/decider.json; ``fit`` and ``choose_threshold`` recompute them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .detect import FEATURES

PATH = Path(__file__).with_name("knowledge") / "decider.json"
C_REG = 1.0  # inverse L2 strength of the logistic regression (0.2 and 5 gave the same cross-validated F1)


@dataclass
class Decider:
    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = 0.5
    review: float = 0.65
    note: str = ""
    top_k: int = 3  # how many of a pair's best windows (by first-stage score) the decision reads

    def proba(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        z = (X - np.array(self.mean)) / np.array(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.array(self.coef) + self.intercept)))

    def proba_best(self, Xk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, K, F) features of each pair's K best windows -> (n,) max_k P(states | x_k) and its k (first on ties)."""
        Xk = np.asarray(Xk, dtype=np.float64)[:, :self.top_k]
        n, k, f = Xk.shape
        p = self.proba(Xk.reshape(n * k, f)).reshape(n, k) if n * k else np.zeros((n, k))
        j = p.argmax(axis=1) if k else np.zeros(n, dtype=np.int64)
        return (p[np.arange(n), j] if k else np.zeros(n)), j

    def save(self, path: Path = PATH) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")


def fit(X: np.ndarray, y: np.ndarray, *, C: float = C_REG, weight: np.ndarray | None = None) -> Decider:
    from sklearn.linear_model import LogisticRegression

    X = np.asarray(X, dtype=np.float64)
    mu, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd < 1e-9] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit((X - mu) / sd, y, sample_weight=weight)
    return Decider(list(FEATURES), mu.tolist(), sd.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]))


PLATEAU = 0.01  # cuts whose F1 is within this of the best are equally good: the middle one is taken


def choose_threshold(p: np.ndarray, y: np.ndarray, grid: np.ndarray | None = None, plateau: float = PLATEAU) -> float:
    """The probability cut for (p >= cut) against y: the median of the cuts whose F1 is within ``plateau`` of the
    best. On the corpus the F1 curve is flat (0.855-0.869 for cuts 0.38-0.72): its argmax jumps across that
    range with any change, the middle of the plateau does not."""
    grid = np.round(np.arange(0.2, 0.86, 0.02), 2) if grid is None else grid
    f1s = []
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & (y == 1)))
        f1s.append(2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0)
    f1s = np.array(f1s)
    near = np.asarray(grid)[f1s >= f1s.max() - plateau]
    return float(near[(len(near) - 1) // 2])


@lru_cache(maxsize=1)
def default() -> Decider:
    """The shipped decision (knowledge/decider.json)."""
    d = json.loads(PATH.read_text(encoding="utf-8"))
    if d.get("features") != list(FEATURES):
        raise ValueError(f"{PATH.name} was fitted on other features; refit with benchmarks/bench_checker_corpus.py --fit")
    return Decider(**d)
