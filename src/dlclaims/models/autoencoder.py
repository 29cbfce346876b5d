"""A plain MLP autoencoder with latent width h (no prior, no noise).

    z = enc(x) = W_2 act(W_1 x + b_1) + b_2          (B, D) -> (B, H)
    x_hat = sigmoid(dec(z))                           (B, H) -> (B, D)

trained by the per-pixel Bernoulli cross-entropy sum_d BCE(x_hat_d, x_d).
Nothing pulls the codes toward any distribution: that is what Q-gen measures.

``pad_to`` > h stores the latent layer in ``pad_to`` slots of which the last ``pad_to - h`` are masked
to zero (zero weights, zero codes, zero gradients; the decoder's init scale uses the true width h), so
autoencoders of different latent widths share one shape and train together in one stack.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def init_linear(layer: nn.Linear, generator: torch.Generator | None) -> nn.Linear:
    """PyTorch's default init U(-1/sqrt(fan_in), 1/sqrt(fan_in)) drawn from ``generator``."""
    bound = 1.0 / math.sqrt(layer.in_features)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


def mlp(sizes: list[int], generator: torch.Generator | None, *, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with ``act`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(init_linear(nn.Linear(a, b), generator))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """MLP autoencoder D -> hidden -> H -> hidden -> D; ``forward`` returns the decoder's logits."""

    def __init__(self, d_in: int = 64, d_latent: int = 8, hidden: int = 128, *,
                 generator: torch.Generator | None = None, pad_to: int | None = None) -> None:
        super().__init__()
        if d_latent < 1:
            raise ValueError(f"the latent width must be at least 1, got {d_latent}")
        if d_in < 1 or hidden < 1:
            raise ValueError("d_in and hidden must be at least 1")
        if pad_to is not None and pad_to < d_latent:
            raise ValueError(f"pad_to must be at least the latent width, got {pad_to} < {d_latent}")
        self.d_in, self.d_latent = d_in, d_latent
        slots = pad_to or d_latent
        self.encoder = mlp([d_in, hidden, slots], generator)
        self.decoder = mlp([slots, hidden, d_in], generator)
        if pad_to is None:
            self.mask: Tensor | None = None
        else:
            mask = (torch.arange(slots) < d_latent).float()  # (P,) 1 for live latent units
            self.register_buffer("mask", mask)
            first = self.decoder[0]
            with torch.no_grad():
                bound = 1.0 / math.sqrt(d_latent)  # the init of an unpadded decoder of fan-in h
                first.weight.uniform_(-bound, bound, generator=generator)
                first.weight.mul_(mask[None, :])
                last = self.encoder[-1]
                last.weight.mul_(mask[:, None])
                last.bias.mul_(mask)

    def encode(self, x: Tensor) -> Tensor:
        """x: (B, D) -> z: (B, H), or (B, pad_to) with the padded slots exactly 0"""
        z = self.encoder(x)
        return z if self.mask is None else z * self.mask

    def decode(self, z: Tensor) -> Tensor:
        """z: (..., H) -> logits of x_hat: (..., D); ``torch.sigmoid`` gives pixels in (0, 1)."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, D) -> reconstruction logits (B, D)"""
        return self.decode(self.encode(x))


def bce_loss(logits: Tensor, x: Tensor) -> Tensor:
    """Mean over the batch of sum_d BCE(sigmoid(logits_d), x_d): (B, D), (B, D) -> ()."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1).mean()
