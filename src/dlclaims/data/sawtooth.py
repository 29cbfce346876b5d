"""The 1-D sawtooth with 2^k linear pieces on [0, 1], and exact counting of linear pieces.

t(x) = 2 min(x, 1 - x) (the tent map); t^k = t o ... o t (k times) is
    s_k(x) = 1 - |2 frac(2^(k-1) x) - 1|,
a triangle wave with 2^(k-1) teeth, 2^k linear pieces of slope +-2^k, kinks at j / 2^k.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.config import require


def sawtooth(x: Tensor, k: int) -> Tensor:
    """s_k(x) = 1 - |2 frac(2^(k-1) x) - 1| for x in [0, 1] (any shape)."""
    require(k >= 1, f"k must be at least 1, got {k}")
    u = torch.remainder(x * 2.0 ** (k - 1), 1.0)
    return 1.0 - (2.0 * u - 1.0).abs()


def tent_composed(x: Tensor, k: int) -> Tensor:
    """t^k(x) by composing the tent map k times (the reference for the closed form)."""
    require(k >= 1, f"k must be at least 1, got {k}")
    for _ in range(k):
        x = 2.0 * torch.minimum(x, 1.0 - x)
    return x


def grid(n: int, *, dtype: torch.dtype = torch.float64) -> Tensor:
    """n points of [0, 1] at cell midpoints (never exactly on a dyadic kink): (n, 1)."""
    require(n >= 2, f"grid needs at least 2 points, got {n}")
    return ((torch.arange(n, dtype=dtype) + 0.5) / n)[:, None]


def count_pieces(model: torch.nn.Module, n_grid: int = 1 << 14, *, tol: float = 1e-6) -> dict[str, int]:
    """Count, on a fine grid of [0, 1], a ReLU net's activation regions and its linear pieces.

    ``model.activations(x)`` gives the pre-activations; a region is a maximal run of grid points
    with one sign pattern (regions of a ReLU net are convex, so on a line they are intervals).
    On a region the net is affine: slope and intercept come from autograd; neighbouring regions
    with the same affine map (within ``tol``) form one linear piece. Regions narrower than the
    grid step can be missed, so the counts are exact for kinks at least 1/n_grid apart.
    """
    x = grid(n_grid, dtype=next(model.parameters()).dtype).requires_grad_(True)
    with torch.enable_grad():
        pre = model.activations(x)
        pattern = torch.cat([z > 0 for z in pre], dim=1)  # (N, units)
        (slope,) = torch.autograd.grad(model(x).sum(), x)
    with torch.no_grad():
        f = model(x)[:, 0]
    slope = slope[:, 0].detach()
    icpt = f - slope * x[:, 0].detach()
    change = (pattern[1:] != pattern[:-1]).any(dim=1)  # (N-1,)
    starts = torch.cat([torch.tensor([0]), torch.nonzero(change)[:, 0] + 1])
    s, c = slope[starts], icpt[starts]
    scale = 1.0 + s.abs().max()
    new_piece = ((s[1:] - s[:-1]).abs() > tol * scale) | ((c[1:] - c[:-1]).abs() > tol * scale)
    return {"regions": int(starts.numel()), "pieces": int(new_piece.sum()) + 1}
