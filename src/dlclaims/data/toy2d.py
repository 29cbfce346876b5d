"""2-D toy data: mixtures of Gaussians on a ring or a grid, drawn from an explicit generator.

    x = mu_c + std * eps,  c ~ U{0..K-1},  eps ~ N(0, I)
ring: mu_c = radius (cos 2 pi c / K, sin 2 pi c / K); grid: mu on a side x side lattice, spacing ``spacing``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

Layout = Literal["ring", "grid"]


def mixture_means(layout: Layout = "ring", k: int = 8, *, radius: float = 2.0, spacing: float = 2.0) -> Tensor:
    """The K mode centres (K, 2)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if layout == "ring":
        ang = torch.arange(k, dtype=torch.float32) * (2 * math.pi / k)
        return radius * torch.stack([ang.cos(), ang.sin()], dim=-1)
    if layout == "grid":
        side = round(math.sqrt(k))
        if side * side != k:
            raise ValueError(f"a grid needs a square number of modes, got {k}")
        ax = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
        gx, gy = torch.meshgrid(ax, ax, indexing="ij")
        return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=-1)
    raise ValueError(f"unknown layout {layout!r}: use ring or grid")


def sample_mixture(n: int, *, layout: Layout = "ring", k: int = 8, radius: float = 2.0, spacing: float = 2.0,
                   std: float = 0.05, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """n points (n, 2) and their mode labels (n,)."""
    means = mixture_means(layout, k, radius=radius, spacing=spacing)
    c = torch.randint(0, k, (n,), generator=generator)
    x = means[c] + std * torch.randn((n, 2), generator=generator)
    return x, c


def mixture_log_prob(x: Tensor, means: Tensor, std: float) -> Tensor:
    """The true log density of the equal-weight mixture: x (B, 2), means (K, 2) -> (B,)."""
    d2 = (x[:, None, :] - means[None]).pow(2).sum(-1)  # (B, K)
    log_comp = -0.5 * d2 / std**2 - math.log(2 * math.pi * std**2)
    return torch.logsumexp(log_comp, dim=1) - math.log(means.shape[0])


def modes_covered(samples: Tensor, means: Tensor, std: float, *, radius_stds: float = 3.0,
                  min_share: float = 0.01) -> tuple[int, float]:
    """(modes holding at least ``min_share`` of the samples within ``radius_stds`` std, share of samples near any mode)."""
    d = torch.cdist(samples, means)  # (B, K)
    near, idx = d.min(dim=1)
    good = near < radius_stds * std
    counts = torch.bincount(idx[good], minlength=means.shape[0]).float()
    covered = int((counts >= min_share * samples.shape[0]).sum())
    return covered, float(good.float().mean())


def energy_distance(x: Tensor, y: Tensor) -> float:
    """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (Szekely & Rizzo), V-statistic: (N, D), (M, D)."""
    return float(2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() - torch.cdist(y, y).mean())
