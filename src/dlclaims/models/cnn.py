"""A small convolutional network, and the algebra of stacked convolutions.

CNN (LeCun et al. 1998, in miniature):
    conv 3x3 (C_1) -> ReLU -> max-pool 2x2 -> conv 3x3 (C_2) -> ReLU -> global average pool -> linear
Convolution commutes with translation (equivariance, exact away from the borders); ReLU acts
per pixel, so it keeps equivariance; invariance comes only from pooling (the 2x2 pool, partly;
the global pool, fully up to borders).

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


def _init_(w: Tensor, b: Tensor | None, fan_in: int, generator: torch.Generator | None) -> None:
    bound = 1.0 / math.sqrt(fan_in)  # nn.Conv2d / nn.Linear default scale
    with torch.no_grad():
        w.uniform_(-bound, bound, generator=generator)
        if b is not None:
            b.uniform_(-bound, bound, generator=generator)


class CNN(nn.Module):
    """x: (B, side*side) or (B, 1, H, W) -> logits (B, n_classes)."""

    def __init__(self, side: int, channels: tuple[int, int] = (8, 16), n_classes: int = 10, *,
                 pool: Pool = "max", generator: torch.Generator | None = None) -> None:
        super().__init__()
        if side < 2:
            raise ValueError(f"side must be at least 2, got {side}")
        c1, c2 = channels
        self.side = side
        self.pool = pool
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.head = nn.Linear(c2, n_classes)
        _init_(self.conv1.weight, self.conv1.bias, 9, generator)
        _init_(self.conv2.weight, self.conv2.bias, 9 * c1, generator)
        _init_(self.head.weight, self.head.bias, c2, generator)

    def _pool(self, h: Tensor) -> Tensor:
        return F.max_pool2d(h, 2) if self.pool == "max" else F.avg_pool2d(h, 2)

    def layers(self, x: Tensor) -> dict[str, Tensor]:
        """Every intermediate, in order: conv1, relu1, pool1, conv2, relu2, gap (B, C_2), logits.

        x: (B, side*side), or (B, 1, H, W) of any size (the global pool makes the head size-free).
        """
        h = x if x.dim() == 4 else x.reshape(x.shape[0], 1, self.side, self.side)  # (B, 1, H, W)
        out: dict[str, Tensor] = {}
        out["conv1"] = h = self.conv1(h)  # (B, C_1, H, W)
        out["relu1"] = h = torch.relu(h)
        out["pool1"] = h = self._pool(h)  # (B, C_1, H/2, W/2)
        out["conv2"] = h = self.conv2(h)  # (B, C_2, H/2, W/2)
        out["relu2"] = h = torch.relu(h)
        out["gap"] = h = h.mean(dim=(-2, -1))  # (B, C_2): global average pool
        out["logits"] = self.head(h)  # (B, n_classes)
        return out

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)["logits"]


STRIDES: dict[str, int | None] = {"conv1": 1, "relu1": 1, "pool1": 2, "conv2": 2, "relu2": 2,
                                  "gap": None, "logits": None}
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
