"""The small digits classifier that scores generated samples (Q-gen, Q-elbo).

    f(x) = act(W_2 act(W_1 x))        features (B, hidden)
    logits = W_3 f(x)                 (B, C)

Its features f(x) are the space of the Frechet distance between samples and data
(the FID recipe of Heusel et al. 2017, with this classifier in place of Inception).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .autoencoder import init_linear


class DigitsClassifier(nn.Module):
    """MLP classifier (B, D) -> (B, C) with a ``features`` method for the penultimate layer."""

    def __init__(self, d_in: int = 64, hidden: int = 128, n_classes: int = 10, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.body = nn.Sequential(init_linear(nn.Linear(d_in, hidden), generator), nn.ReLU(),
                                  init_linear(nn.Linear(hidden, hidden), generator), nn.ReLU())
        self.head = init_linear(nn.Linear(hidden, n_classes), generator)

    def features(self, x: Tensor) -> Tensor:
        """x: (B, D) -> (B, hidden)"""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, D) -> logits (B, C)"""
        return self.head(self.body(x))
