"""scikit-learn's 8x8 digits as tensors, scaled to [0, 1], with a fixed seeded train/test split.

The data ship with scikit-learn (``sklearn.datasets.load_digits``): 1797 images of 8x8 = 64 pixels,
integer intensities 0..16, ten classes. We divide by 16 so every pixel lies in [0, 1], then split
stratified by class with a permutation drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

N_PIXELS = 64
N_CLASSES = 10
SIDE = 8


@dataclass(frozen=True)
class DigitsSplit:
    """Train/test tensors: ``x_*`` (N, 64) float32 in [0, 1], ``y_*`` (N,) int64 in 0..9."""

    x_train: torch.Tensor  # (N, 64)
    y_train: torch.Tensor  # (N,)
    x_test: torch.Tensor  # (M, 64)
    y_test: torch.Tensor  # (M,)


@lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (np.asarray(d.data, dtype=np.float32) / 16.0).clip(0.0, 1.0)
    y = np.asarray(d.target, dtype=np.int64)
    return x, y


def load_digits_split(seed: int = 0, test_fraction: float = 0.25) -> DigitsSplit:
    """The digits split into train and test, stratified by class, fixed by ``seed``.

    ``test_fraction`` in (0, 1): the share of each class put in the test set (rounded, at least 1).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    x, y = _raw()
    rng = np.random.default_rng(seed)
    test_idx: list[np.ndarray] = []
    train_idx: list[np.ndarray] = []
    for c in range(N_CLASSES):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        n_test = max(1, round(test_fraction * len(idx)))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    tr = np.concatenate(train_idx)
    te = np.concatenate(test_idx)
    tr = tr[rng.permutation(len(tr))]
    te = te[rng.permutation(len(te))]
    return DigitsSplit(
        x_train=torch.from_numpy(x[tr].copy()),
        y_train=torch.from_numpy(y[tr].copy()),
        x_test=torch.from_numpy(x[te].copy()),
        y_test=torch.from_numpy(y[te].copy()),
    )
