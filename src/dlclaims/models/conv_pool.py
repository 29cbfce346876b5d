"""The classic parameter-efficient CNN: two conv -> ReLU -> max-pool stages and a small linear head.

    x (B, 1, H, W) -> conv 3x3 (C_1, pad 1) -> ReLU -> max-pool 2x2 -> (B, C_1, H/2, W/2)
                   -> conv 3x3 (C_2, pad 1) -> ReLU -> max-pool 2x2 -> (B, C_2, H/4, W/4)
                   -> flatten -> linear -> logits (B, K)

(LeNet's layout in miniature.) Each pool halves the map, so the head sees only C_2 (H/4)(W/4)
features: parameters 10 C_1 + (9 C_1 + 1) C_2 + (C_2 (H//4)(W//4) + 1) K, a few thousand at
C_1 = 4..8 on 8x8 digits, where the one-pool flatten head of ``models.cnn.CNN`` needs C_2 (H/2)^2
inputs (4x as many) and the global-average head keeps no position at all. Floor division: an
odd map loses its last row and column at each pool (F.max_pool2d's default).

Shapes: B batch, C channels, H x W pixels (H = W = ``side``), K classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cnn import _init_, as_image


class ConvPoolCNN(nn.Module):
    """x: (B, side*side) or (B, 1, side, side) -> logits (B, n_classes)."""

    def __init__(self, side: int, channels: tuple[int, int] = (4, 8), n_classes: int = 10, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if side < 4:
            raise ValueError(f"side must be at least 4 (two 2x2 pools), got {side}")
        c1, c2 = channels
        self.side = side
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        d_head = c2 * (side // 2 // 2) ** 2
        self.head = nn.Linear(d_head, n_classes)
        _init_(self.conv1.weight, self.conv1.bias, 9, generator)
        _init_(self.conv2.weight, self.conv2.bias, 9 * c1, generator)
        _init_(self.head.weight, self.head.bias, d_head, generator)

    def layers(self, x: Tensor) -> dict[str, Tensor]:
        """Every intermediate in order: conv1, relu1, pool1, conv2, relu2, pool2 maps, flat, logits."""
        h0 = as_image(x, self.side)  # (B, 1, H, W)
        c1 = self.conv1(h0)  # (B, C_1, H, W)
        r1 = torch.relu(c1)
        p1 = F.max_pool2d(r1, 2)  # (B, C_1, H/2, W/2)
        c2 = self.conv2(p1)  # (B, C_2, H/2, W/2)
        r2 = torch.relu(c2)
        p2 = F.max_pool2d(r2, 2)  # (B, C_2, H/4, W/4)
        flat = p2.flatten(-3)  # (B, C_2 HW/16)
        return {"conv1": c1, "relu1": r1, "pool1": p1, "conv2": c2, "relu2": r2, "pool2": p2, "flat": flat,
                "logits": self.head(flat)}  # logits (B, K)

    def forward(self, x: Tensor) -> Tensor:
        h = F.max_pool2d(torch.relu(self.conv1(as_image(x, self.side))), 2)  # (B, C_1, H/2, W/2)
        h = F.max_pool2d(torch.relu(self.conv2(h)), 2)  # (B, C_2, H/4, W/4)
        return self.head(h.flatten(-3))  # (B, K)
