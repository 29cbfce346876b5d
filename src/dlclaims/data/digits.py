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


@dataclass(frozen=True)
class DigitsTVT:
    """Train / validation / test tensors; validation is carved from the training part (never from test)."""

    x_train: torch.Tensor  # (N, 64)
    y_train: torch.Tensor  # (N,)
    x_val: torch.Tensor  # (V, 64)
    y_val: torch.Tensor  # (V,)
    x_test: torch.Tensor  # (M, 64)
    y_test: torch.Tensor  # (M,)


def stratified_indices(y: torch.Tensor, n: int, *, seed: int) -> torch.Tensor:
    """``n`` indices into ``y`` drawn per class in proportion to the class counts (every class at least
    once when n >= number of classes), fixed by ``seed``; sorted. Largest-remainder rounding.
    """
    y_np = np.asarray(y)
    classes, counts = np.unique(y_np, return_counts=True)
    if not 1 <= n <= len(y_np):
        raise ValueError(f"subset size must lie in 1..{len(y_np)}, got {n}")
    share = counts / counts.sum() * n
    take = np.floor(share).astype(int)
    if n >= len(classes):
        take = np.maximum(take, 1)
    while take.sum() > n:  # the floor of 1 per class overshot: trim the largest
        take[np.argmax(take)] -= 1
    rest = np.argsort(-(share - np.floor(share)), kind="stable")
    i = 0
    while take.sum() < n:
        c = rest[i % len(rest)]
        if take[c] < counts[c]:
            take[c] += 1
        i += 1
    rng = np.random.default_rng(seed)
    idx = [rng.choice(np.flatnonzero(y_np == c), size=int(k), replace=False) for c, k in zip(classes, take)]
    return torch.from_numpy(np.sort(np.concatenate(idx)).astype(np.int64))


def load_digits_tvt(seed: int = 0, test_fraction: float = 0.25, val_fraction: float = 0.2) -> DigitsTVT:
    """The digits split into train / validation / test, all stratified by class, fixed by ``seed``.

    The test part is that of :func:`load_digits_split` for the same seed; the validation part is a
    stratified ``val_fraction`` of its training part.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    s = load_digits_split(seed, test_fraction)
    n_val = max(N_CLASSES, round(val_fraction * len(s.y_train)))
    val = stratified_indices(s.y_train, n_val, seed=seed + 7919)
    keep = torch.ones(len(s.y_train), dtype=torch.bool)
    keep[val] = False
    return DigitsTVT(s.x_train[keep], s.y_train[keep], s.x_train[val], s.y_train[val], s.x_test, s.y_test)
