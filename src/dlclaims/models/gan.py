"""A small GAN for 2-D data (Goodfellow et al. 2014): generator G(z) and discriminator D(x).

    min_G max_D  E_x log sigmoid(D(x)) + E_z log(1 - sigmoid(D(G(z))))

The generator here uses the non-saturating loss -E_z log sigmoid(D(G(z))). Update rules (simultaneous
GDA, extragradient, optimistic GDA) act on the two parameter vectors and live in the experiment.

Shapes: B batch, Z noise width, D data width (2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .autoencoder import mlp


class Generator(nn.Module):
    """G: (B, Z) -> (B, D), an MLP with ReLU."""

    def __init__(self, d_noise: int = 8, d_out: int = 2, hidden: int = 128, depth: int = 3, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if d_noise < 1 or hidden < 1 or depth < 1:
            raise ValueError("d_noise, hidden and depth must be at least 1")
        self.d_noise = d_noise
        self.net = mlp([d_noise] + [hidden] * depth + [d_out], generator)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """x = G(z), z ~ N(0, I): (n, D)."""
        dev = next(self.parameters()).device
        return self(torch.randn((n, self.d_noise), generator=generator, device=dev))


class Discriminator(nn.Module):
    """D: (B, D) -> (B,) logits, an MLP with ReLU."""

    def __init__(self, d_in: int = 2, hidden: int = 128, depth: int = 3, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if hidden < 1 or depth < 1:
            raise ValueError("hidden and depth must be at least 1")
        self.net = mlp([d_in] + [hidden] * depth + [1], generator)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(-1)


def gan_losses(G: Generator, D: Discriminator, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
    """(discriminator loss, non-saturating generator loss) on real x (B, D) and noise z (B, Z)."""
    fake = G(z)
    real_logit, fake_logit = D(x), D(fake)
    # -E log s(D(x)) - E log(1 - s(D(G(z))))
    d_loss = F.softplus(-real_logit).mean() + F.softplus(fake_logit).mean()
    # -E log s(D(G(z)))
    g_loss = F.softplus(-fake_logit).mean()
    return d_loss, g_loss
