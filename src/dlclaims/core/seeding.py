"""Randomness in one place: every experiment asks for its generator here."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """Seed Python, NumPy and torch, and return a ``torch.Generator`` seeded with ``seed``.

    Samplers and initialisers take this generator as ``generator=``.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


def numpy_rng(seed: int) -> np.random.Generator:
    """A NumPy generator for data generation code (never used inside models)."""
    return np.random.default_rng(seed)
