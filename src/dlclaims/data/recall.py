"""Associative recall: n key-value pairs, then a query key; the target is the value stored with it.

One example is a (n + 1, 2) grid of token ids:
    rows 0 .. n-1: (key_i, value_i)   keys distinct, drawn from ``n_keys`` ids; values from ``n_values``
    row n:         (key_j, n_values)  the query: one of the n keys, with the padding value id
and its target is value_j. A reader that attends from the query to the pairs
solves it by matching key_j; the task gets harder as n grows.
"""

from __future__ import annotations

import torch
from torch import Tensor


def make_recall(examples: int, pairs: int, *, n_keys: int, n_values: int,
                generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """-> x: (N, pairs + 1, 2) long, y: (N,) long. Needs pairs <= n_keys (keys are distinct)."""
    if pairs < 1 or examples < 1 or n_values < 1:
        raise ValueError("examples, pairs and n_values must be at least 1")
    if pairs > n_keys:
        raise ValueError(f"pairs ({pairs}) cannot exceed n_keys ({n_keys}): the keys of an example are distinct")
    keys = torch.rand(examples, n_keys, generator=generator).argsort(dim=1)[:, :pairs]  # (N, P) distinct
    values = torch.randint(0, n_values, (examples, pairs), generator=generator)  # (N, P)
    j = torch.randint(0, pairs, (examples,), generator=generator)  # which pair is asked for
    rows = torch.arange(examples)
    query = torch.stack([keys[rows, j], torch.full((examples,), n_values)], dim=1)  # (N, 2)
    x = torch.cat([torch.stack([keys, values], dim=2), query[:, None]], dim=1)  # (N, P + 1, 2)
    return x, values[rows, j]
