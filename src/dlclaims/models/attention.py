"""Attention, two ways.

Softmax attention (Vaswani et al. 2017):
    Attn(Q, K, V) = softmax(Q K^T / sqrt(d)) V            cost O(n^2 d), memory O(n^2) for the weights
Bob's attention (the exam's Q-linattn): apply the softmax to Q alone and
multiply in the other order,
    Bob(Q, K, V)  = softmax(Q / sqrt(d)) (K^T V)           cost O(n d^2), no n x n matrix
It is cheaper for n > d, but it is not the same function.

Shapes: B batch, H heads, T (or n) positions, D head width.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from .linear_attention import linear_attention


def softmax_attention(q: Tensor, k: Tensor, v: Tensor, *, mask: Tensor | None = None, causal: bool = False,
                      return_weights: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """q: (..., T, D), k: (..., S, D), v: (..., S, Dv) -> (..., T, Dv) [, weights (..., T, S)].

    ``mask``: boolean, broadcastable to (..., T, S), True = may attend (as in
    ``F.scaled_dot_product_attention``). ``causal``: position i sees j <= i.
    """
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)  # (..., T, S): scale the smaller factor
    if causal:
        t, s = scores.shape[-2:]
        allowed = torch.ones(t, s, dtype=torch.bool, device=q.device).tril(s - t)
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)  # rows sum to 1
    out = weights @ v  # (..., T, Dv)
    return (out, weights) if return_weights else out


def bob_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Bob's attention softmax(Q / sqrt(d)) (K^T V): q: (..., T, D), k: (..., S, D), v: (..., S, Dv) -> (..., T, Dv).

    The softmax runs over the feature axis of each query; K^T V is (D, Dv),
    so no T x S matrix is formed.
    """
    kv = k.transpose(-2, -1) @ v  # (..., D, Dv)
    return (q / math.sqrt(q.shape[-1])).softmax(dim=-1) @ kv  # (..., T, Dv)


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention with a fused QKV projection; ``kind`` picks softmax or Bob's form."""

    def __init__(self, width: int, heads: int, *, kind: Literal["softmax", "bob"] = "softmax",
                 causal: bool = False, bias: bool = True) -> None:
        super().__init__()
        if heads < 1 or width % heads != 0:
            raise ValueError(f"heads ({heads}) must divide the width ({width})")
        self.width, self.heads, self.kind, self.causal = width, heads, kind, causal
        self.qkv = nn.Linear(width, 3 * width, bias=bias)
        self.proj = nn.Linear(width, width, bias=bias)

    def forward(self, x: Tensor, *, return_weights: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """x: (B, T, D) -> (B, T, D) [, weights (B, H, T, T) for the softmax kind]."""
        q, k, v = rearrange(self.qkv(x), "b t (three h d) -> three b h t d", three=3, h=self.heads)
        if self.kind == "bob":
            if return_weights:
                raise ValueError("Bob's attention forms no T x T weights")
            o = bob_attention(q, k, v)
        else:
            res = softmax_attention(q, k, v, causal=self.causal, return_weights=return_weights)
            o, w = (res if return_weights else (res, None))
        y = self.proj(rearrange(o, "b h t d -> b t (h d)"))  # (B, T, D)
        return (y, w) if return_weights else y


def sdpa_reference(q: Tensor, k: Tensor, v: Tensor, *, mask: Tensor | None = None, causal: bool = False) -> Tensor:
    """PyTorch's fused kernel, the oracle for :func:`softmax_attention`."""
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)


class BobAttention(nn.Module):
    """Bob's attention as a module without parameters: softmax(Q / sqrt(d)) (K^T V).

    Expanded, output_i = sum_j <softmax(q_i / sqrt(d)), k_j> v_j: a linear
    attention whose weights are neither normalised over j nor sharpened by a
    q.k softmax, so it cannot single out one of many keys.
    """

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q: (..., T, D), k: (..., S, D), v: (..., S, Dv) -> (..., T, Dv)"""
        return bob_attention(q, k, v)


class RecallReader(nn.Module):
    """One attention read for associative recall (``data.recall``): the query row attends to the pairs.

    h_i = E_key[key_i] + E_val[value_i];  q = W_q h_query, k_i = W_k h_i, v_i = W_v h_i;
    logits = W_o Attn(q, K, V), with Attn softmax attention, Bob's, or normalised linear attention
    (``models.linear_attention``, the linear-transformer baseline).
    """

    KINDS = ("softmax", "bob", "linear")

    def __init__(self, n_keys: int, n_values: int, width: int,
                 *, kind: Literal["softmax", "bob", "linear"] = "softmax",
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, got {kind!r}")
        self.kind = kind
        self.key_emb = nn.Embedding(n_keys, width)
        self.val_emb = nn.Embedding(n_values + 1, width)  # the last id pads the query row
        self.q, self.k, self.v = (nn.Linear(width, width, bias=False) for _ in range(3))
        self.out = nn.Linear(width, n_values)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[-1]))

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, P + 1, 2) long -> logits (B, n_values)"""
        h = self.key_emb(x[..., 0]) + self.val_emb(x[..., 1])  # (B, P + 1, D)
        q, k, v = self.q(h[:, -1:]), self.k(h[:, :-1]), self.v(h[:, :-1])  # (B, 1, D), (B, P, D), (B, P, D)
        attn = {"softmax": softmax_attention, "bob": bob_attention, "linear": linear_attention}[self.kind]
        o = attn(q, k, v)  # (B, 1, D)
        return self.out(o[:, 0])  # (B, n_values)
