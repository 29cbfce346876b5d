"""A small convolutional network, and the algebra of stacked convolutions.

CNN (LeCun et al. 1998, in miniature):
    conv 3x3 (C_1) -> ReLU -> pool 2x2 -> conv 3x3 (C_2) -> ReLU -> head -> logits
with one of two heads: "pooled" (global average pool over the map -> linear, C_2 * K + K
parameters, size-free) or "flatten" (the whole (C_2, H/2, W/2) map -> linear, as in LeNet).
Convolution commutes with translation (equivariance, exact away from the borders); ReLU acts
per pixel, so it keeps equivariance; invariance comes only from pooling (the 2x2 pool, partly;
the global pool, fully up to borders). The flatten head keeps the position: it is not invariant.

Under ``torch.func.vmap`` over S stacked models a convolution becomes one grouped convolution
(S groups, oneDNN on CPU); an im2col + batched-matmul form measured slower on CPU (1 thread,
8x8 and 16x16 maps: benchmarks/bench_multiseed.py), so the layers stay ``F.conv2d``.

Stacked convolutions are one convolution: with PyTorch's cross-correlation
    (k2 * (k1 * x))[i] = sum_a k2[a] sum_b k1[b] x[i + a + b] = sum_u K[u] x[i + u],
    K[u] = sum_{a + b = u} k2[a] k1[b]                    (the full convolution of the kernels),
summed over the middle channels; K is (k_1 + k_2 - 1) wide. Without padding ("valid") the
identity is exact; a ReLU or a max-pool in between breaks superposition f(ax + by) = a f(x) + b f(y).

Shapes: B batch, C channels, H x W pixels (H = W = ``side``).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Pool = Literal["max", "avg"]
Head = Literal["pooled", "flatten"]
HEADS: tuple[Head, ...] = ("pooled", "flatten")


def _init_(w: Tensor, b: Tensor | None, fan_in: int, generator: torch.Generator | None) -> None:
    bound = 1.0 / math.sqrt(fan_in)  # nn.Conv2d / nn.Linear default scale
    with torch.no_grad():
        w.uniform_(-bound, bound, generator=generator)
        if b is not None:
            b.uniform_(-bound, bound, generator=generator)


def pool2x2(h: Tensor, kind: Pool) -> Tensor:
    """(B, C, H, W) -> (B, C, H//2, W//2): max or mean over 2x2 windows."""
    return F.max_pool2d(h, 2) if kind == "max" else F.avg_pool2d(h, 2)


def as_image(x: Tensor, side: int) -> Tensor:
    """(B, side*side) -> (B, 1, side, side); (B, 1, H, W) is kept."""
    return x if x.dim() == 4 else x.reshape(x.shape[0], 1, side, side)


class CNN(nn.Module):
    """x: (B, side*side) or (B, 1, H, W) -> logits (B, n_classes).

    Parameters: conv1 10 C_1, conv2 (9 C_1 + 1) C_2, head (C_2 + 1) K ("pooled") or
    (C_2 (side//2)^2 + 1) K ("flatten").
    """

    def __init__(self, side: int, channels: tuple[int, int] = (8, 16), n_classes: int = 10, *,
                 pool: Pool = "max", head: Head = "pooled", generator: torch.Generator | None = None) -> None:
        super().__init__()
        if side < 2:
            raise ValueError(f"side must be at least 2, got {side}")
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        c1, c2 = channels
        self.side, self.pool, self.head_kind = side, pool, head
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        d_head = c2 if head == "pooled" else c2 * (side // 2) ** 2
        self.head = nn.Linear(d_head, n_classes)
        _init_(self.conv1.weight, self.conv1.bias, 9, generator)
        _init_(self.conv2.weight, self.conv2.bias, 9 * c1, generator)
        _init_(self.head.weight, self.head.bias, d_head, generator)

    def _trunk(self, x: Tensor) -> list[Tensor]:
        h0 = as_image(x, self.side)  # (B, 1, H, W)
        c1 = self.conv1(h0)  # (B, C_1, H, W)
        r1 = torch.relu(c1)
        p1 = pool2x2(r1, self.pool)  # (B, C_1, H/2, W/2)
        c2 = self.conv2(p1)  # (B, C_2, H/2, W/2)
        return [c1, r1, p1, c2, torch.relu(c2)]

    def _head(self, r2: Tensor) -> tuple[Tensor, Tensor]:
        feats = r2.mean((-2, -1)) if self.head_kind == "pooled" else r2.flatten(-3)  # (B, C_2) or (B, C_2 HW/4)
        return feats, self.head(feats)

    def layers(self, x: Tensor) -> dict[str, Tensor]:
        """Every intermediate, in order: conv1, relu1, pool1, conv2, relu2 as (B, C, H, W) maps, then the
        head's input ("gap" (B, C_2) for the pooled head, "flat" for the flatten head) and the logits.

        x: (B, side*side), or (B, 1, H, W) of any size for the pooled head (it is size-free).
        """
        maps = self._trunk(x)
        out = dict(zip(("conv1", "relu1", "pool1", "conv2", "relu2"), maps))
        feats, logits = self._head(maps[-1])
        out["gap" if self.head_kind == "pooled" else "flat"] = feats
        out["logits"] = logits  # (B, n_classes)
        return out

    def forward(self, x: Tensor) -> Tensor:
        return self._head(self._trunk(x)[-1])[1]


STRIDES: dict[str, int | None] = {"conv1": 1, "relu1": 1, "pool1": 2, "conv2": 2, "relu2": 2,
                                  "gap": None, "flat": None, "logits": None}
"""Pixels of input per pixel of each layer's map (None: no spatial map left)."""


def compose_kernels(k1: Tensor, k2: Tensor) -> Tensor:
    """The kernel of conv(k2) after conv(k1), both cross-correlations without padding.

    k1: (C_1, C_0, a, a), k2: (C_2, C_1, b, b) -> K: (C_2, C_0, a + b - 1, a + b - 1), with
    K[o, i, u] = sum_c sum_{s + t = u} k2[o, c, s] k1[c, i, t].
    """
    b = k2.shape[-1]
    # treat k1's input channels as a batch: (C_0, C_1, a, a); a full convolution with k2 is a
    # cross-correlation with the flipped k2 over k1 zero-padded by b - 1
    x = F.pad(k1.transpose(0, 1), (b - 1, b - 1, b - 1, b - 1))  # (C_0, C_1, a+2b-2, a+2b-2)
    full = F.conv2d(x, k2.flip(-1, -2))  # (C_0, C_2, a+b-1, a+b-1): sum_s k2[s] k1[u - s]
    return full.transpose(0, 1)  # (C_2, C_0, a+b-1, a+b-1)


def stacked_convs(x: Tensor, kernels: list[Tensor], *,
                  between: Literal["none", "relu", "maxpool", "avgpool"] = "none") -> Tensor:
    """x: (B, C_0, H, W) through valid convolutions with ``kernels`` (no bias) and ``between`` in between.

    "maxpool"/"avgpool" use a 2x2 window with stride 1 so the map keeps its grid.
    """
    h = x
    for j, k in enumerate(kernels):
        h = F.conv2d(h, k)  # (B, C_j, H - a + 1, W - a + 1)
        if j < len(kernels) - 1:
            if between == "relu":
                h = torch.relu(h)
            elif between == "maxpool":
                h = F.max_pool2d(h, 2, stride=1)
            elif between == "avgpool":
                h = F.avg_pool2d(h, 2, stride=1)
    return h
