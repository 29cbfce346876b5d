"""Digits on a canvas: each 8x8 digit pasted at a random, seeded position on a larger blank canvas.

The same train/test split as the plain digits (``load_digits_split``); every image gets its own
top-left corner (r, c), drawn uniformly from ``margin .. side - 8 - margin`` with a
``torch.Generator`` seeded by ``seed``, so the object's position varies and a model must find it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.config import require
from .digits import SIDE, DigitsSplit, DigitsTVT, load_digits_split, load_digits_tvt


def paste(x: Tensor, side: int, corners: Tensor) -> Tensor:
    """x: (N, 64) digits, corners: (N, 2) top-left (row, col) -> (N, side*side) canvases."""
    n = x.shape[0]
    out = torch.zeros(n, side, side, dtype=x.dtype)  # (N, H, W)
    img = x.view(n, SIDE, SIDE)  # (N, 8, 8)
    rows = corners[:, 0, None] + torch.arange(SIDE)  # (N, 8)
    cols = corners[:, 1, None] + torch.arange(SIDE)  # (N, 8)
    out[torch.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]] = img
    return out.view(n, side * side)


def random_corners(n: int, side: int, margin: int, generator: torch.Generator) -> Tensor:
    """(N, 2) integer corners, uniform over the positions that keep the digit ``margin`` px inside."""
    hi = side - SIDE - margin
    return torch.randint(margin, hi + 1, (n, 2), generator=generator)


def load_canvas_split(side: int = 24, *, margin: int = 0, seed: int = 0, split_seed: int = 0,
                      test_fraction: float = 0.25) -> DigitsSplit:
    """The digits split (``split_seed``) with each image pasted on a ``side`` x ``side`` canvas (``seed``)."""
    require(side >= SIDE, f"canvas side must be at least {SIDE}, got {side}")
    require(margin >= 0 and side - SIDE - 2 * margin >= 0,
            f"margin {margin} leaves no room for an 8x8 digit on a {side}x{side} canvas")
    d = load_digits_split(seed=split_seed, test_fraction=test_fraction)
    g = torch.Generator().manual_seed(seed)
    ctr = random_corners(d.x_train.shape[0], side, margin, g)
    cte = random_corners(d.x_test.shape[0], side, margin, g)
    return DigitsSplit(paste(d.x_train, side, ctr), d.y_train, paste(d.x_test, side, cte), d.y_test)


def load_canvas_tvt(side: int, *, margin: int = 0, seed: int = 0) -> DigitsTVT:
    """``load_digits_tvt(seed)`` (train / validation / test) with every image pasted on a ``side`` x ``side``
    canvas at a position drawn from a generator seeded by ``seed``: split and positions vary with the seed."""
    require(side >= SIDE, f"canvas side must be at least {SIDE}, got {side}")
    require(margin >= 0 and side - SIDE - 2 * margin >= 0,
            f"margin {margin} leaves no room for an 8x8 digit on a {side}x{side} canvas")
    d = load_digits_tvt(seed)
    g = torch.Generator().manual_seed(1_000_003 + seed)
    parts = [(x, random_corners(x.shape[0], side, margin, g)) for x in (d.x_train, d.x_val, d.x_test)]
    (xtr, _), (xva, _), (xte, _) = [(paste(x, side, c), c) for x, c in parts]
    return DigitsTVT(xtr, d.y_train, xva, d.y_val, xte, d.y_test)
