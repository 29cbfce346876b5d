"""A locally connected network: the CNN's layers without weight sharing (the control of Q-bias).

Every layer has the CNN's 3x3 receptive fields, ReLUs, 2x2 pool and head, but its own kernel and
bias at every output position p = (i, j):
    y[b, p, o] = sum_k cols[b, p, k] W[p, k, o] + bias[p, o],   cols = F.unfold(x, 3, padding=1),
against the CNN's y[b, p, o] = sum_k cols[b, p, k] W[k, o] + bias[o]. With W[p] = W for every p it
is the CNN exactly (``from_cnn`` builds that copy); trained freely it has no reason to commute with
shifts: equivariance is what the sharing buys.

Shapes: B batch, P = H W positions, C channels, maps (B, C, H, W).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cnn import CNN, HEADS, Head, Pool, as_image, pool2x2


class LocalConv3x3(nn.Module):
    """(B, C_in, H, W) -> (B, C_out, H, W) with one 3x3 kernel per output position (no sharing).

    weight[p] is the (9 C_in, C_out) matrix of position p, rows ordered (c, dy, dx) as F.unfold's.
    """

    def __init__(self, side: int, c_in: int, c_out: int, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.side = side
        self.weight = nn.Parameter(torch.empty(side * side, 9 * c_in, c_out))  # (P, 9 C_in, C_out)
        self.bias = nn.Parameter(torch.empty(side * side, c_out))  # (P, C_out)
        bound = 1.0 / math.sqrt(9 * c_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            self.bias.uniform_(-bound, bound, generator=generator)

    def forward(self, h: Tensor) -> Tensor:
        B, H, W = h.shape[0], h.shape[2], h.shape[3]
        cols = F.unfold(h, 3, padding=1).permute(2, 0, 1)  # (P, B, 9 C_in)
        y = torch.bmm(cols, self.weight) + self.bias[:, None, :]  # (P, B, C_out)
        return y.permute(1, 2, 0).reshape(B, -1, H, W)  # (B, C_out, H, W)


class LocallyConnected(nn.Module):
    """x: (B, side*side) or (B, 1, side, side) -> logits (B, n_classes); the CNN's layout, unshared."""

    def __init__(self, side: int, channels: tuple[int, int] = (8, 16), n_classes: int = 10, *,
                 pool: Pool = "max", head: Head = "pooled", generator: torch.Generator | None = None) -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        c1, c2 = channels
        self.side, self.pool, self.head_kind = side, pool, head
        self.conv1 = LocalConv3x3(side, 1, c1, generator)
        self.conv2 = LocalConv3x3(side // 2, c1, c2, generator)
        d_head = c2 if head == "pooled" else c2 * (side // 2) ** 2
        self.head = nn.Linear(d_head, n_classes)
        bound = 1.0 / math.sqrt(d_head)
        with torch.no_grad():
            self.head.weight.uniform_(-bound, bound, generator=generator)
            self.head.bias.uniform_(-bound, bound, generator=generator)

    @classmethod
    def from_cnn(cls, cnn: CNN) -> LocallyConnected:
        """The CNN with its shared kernels copied to every position (the same function)."""
        c1, c2 = cnn.conv1.out_channels, cnn.conv2.out_channels
        lc = cls(cnn.side, (c1, c2), cnn.head.out_features, pool=cnn.pool, head=cnn.head_kind)
        with torch.no_grad():
            for mine, theirs in ((lc.conv1, cnn.conv1), (lc.conv2, cnn.conv2)):
                w = theirs.weight.reshape(theirs.out_channels, -1).t()[None]  # (1, 9 C_in, C_out), rows (c, dy, dx)
                mine.weight.copy_(w.expand_as(mine.weight))
                mine.bias.copy_(theirs.bias[None].expand_as(mine.bias))
            lc.head.load_state_dict(cnn.head.state_dict())
        return lc

    def _trunk(self, x: Tensor) -> list[Tensor]:
        h0 = as_image(x, self.side)  # (B, 1, H, W)
        c1 = self.conv1(h0)  # (B, C_1, H, W)
        r1 = torch.relu(c1)
        p1 = pool2x2(r1, self.pool)  # (B, C_1, H/2, W/2)
        c2 = self.conv2(p1)  # (B, C_2, H/2, W/2)
        return [c1, r1, p1, c2, torch.relu(c2)]

    def layers(self, x: Tensor) -> dict[str, Tensor]:
        """As ``CNN.layers``: conv1 .. relu2 as (B, C, H, W) maps, "gap" or "flat", logits."""
        maps = self._trunk(x)
        out = dict(zip(("conv1", "relu1", "pool1", "conv2", "relu2"), maps))
        r2 = maps[-1]
        feats = r2.mean((-2, -1)) if self.head_kind == "pooled" else r2.flatten(-3)
        out["gap" if self.head_kind == "pooled" else "flat"] = feats
        out["logits"] = self.head(feats)
        return out

    def forward(self, x: Tensor) -> Tensor:
        r2 = self._trunk(x)[-1]
        feats = r2.mean((-2, -1)) if self.head_kind == "pooled" else r2.flatten(-3)
        return self.head(feats)
