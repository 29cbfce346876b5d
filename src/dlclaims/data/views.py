"""Views of image data: shifts with zero fill, a padded frame, a fixed pixel permutation, nested subsets.

shift(x, dy, dx)[i, j] = x[i - dy, j - dx] where that pixel exists, else 0 (content moved off
the image is lost; nothing wraps around).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.config import require


def shift(x: Tensor, dy: int, dx: int, *, side: int | None = None) -> Tensor:
    """x: (..., H, W), or (N, side*side) with ``side`` -> the same shape, moved by (dy, dx) pixels.

    A shift as large as the image (|dy| >= H or |dx| >= W) is refused (ConfigError).
    """
    flat = side is not None
    img = x.reshape(*x.shape[:-1], side, side) if flat else x  # (..., H, W)
    h, w = img.shape[-2:]
    require(abs(dy) < h and abs(dx) < w,
            f"shift ({dy}, {dx}) is larger than the {h}x{w} image: it must be smaller than the image side")
    out = torch.zeros_like(img)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = img[..., ys, xs]
    return out.reshape(x.shape) if flat else out


def frame(x: Tensor, side: int, pad: int) -> Tensor:
    """(N, side*side) images centred in a zero frame of ``pad`` px: (N, (side + 2 pad)^2).

    A shift by at most ``pad`` px then moves the whole image inside the frame: nothing is cropped.
    """
    require(pad >= 0, f"frame padding must be at least 0, got {pad}")
    img = x.reshape(x.shape[0], side, side)
    return torch.nn.functional.pad(img, (pad, pad, pad, pad)).reshape(x.shape[0], (side + 2 * pad) ** 2)


DIRECTIONS: tuple[tuple[int, int], ...] = ((0, 1), (0, -1), (1, 0), (-1, 0))
"""Unit moves right, left, down, up: a shift of s pixels is averaged over the four."""


def fixed_permutation(n_pixels: int, seed: int) -> Tensor:
    """One permutation of ``n_pixels`` indices, fixed by ``seed`` (used for train and test alike)."""
    require(n_pixels >= 1, f"n_pixels must be at least 1, got {n_pixels}")
    return torch.randperm(n_pixels, generator=torch.Generator().manual_seed(seed))


def permute_pixels(x: Tensor, perm: Tensor) -> Tensor:
    """x: (N, P) -> (N, P) with x'[:, i] = x[:, perm[i]]."""
    require(perm.numel() == x.shape[-1], f"permutation of {perm.numel()} pixels for images of {x.shape[-1]}")
    return x[..., perm]


def nested_subsets(n: int, sizes: tuple[int, ...] | list[int], *, seed: int) -> list[Tensor]:
    """Index sets of the given sizes, each a prefix of one seeded permutation of range(n), so they nest.

    A size of 0 or above n is refused (ConfigError).
    """
    for s in sizes:
        require(1 <= s <= n, f"subset size must lie in 1..{n}, got {s}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [order[:s] for s in sizes]
