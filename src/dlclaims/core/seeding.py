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


def extend_seeds(seeds: tuple[int, ...] | list[int], at_least: int) -> tuple[int, ...]:
    """The run's seeds, extended by the next integers to at least ``at_least`` (for units whose effect is small)."""
    seeds = tuple(seeds)
    return (*seeds, *(max(seeds) + 1 + i for i in range(max(0, at_least - len(seeds)))))


def numpy_rng(seed: int) -> np.random.Generator:
    """A NumPy generator for data generation code (never used inside models)."""
    return np.random.default_rng(seed)
