"""Normalised linear attention (Katharopoulos et al. 2020, "Transformers are RNNs").

The softmax kernel exp(q.k / sqrt(d)) is replaced by a positive feature map,
phi(x) = elu(x) + 1, and the weights are normalised over the keys:
    out_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) / (phi(q_i)^T sum_j phi(k_j))
          = sum_j w_ij v_j,   w_ij = phi(q_i).phi(k_j) / sum_l phi(q_i).phi(k_l)  (w_ij > 0, sum_j w_ij = 1)
Multiplied in this order it costs O(n d^2) like Bob's softmax(Q/sqrt(d)) (K^T V)
and forms no n x n matrix, but each output is a convex combination of the
values, as in softmax attention.

Shapes: T queries, S keys, D key width, Dv value width; any leading batch/head dims.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def elu_feature_map(x: Tensor) -> Tensor:
    """phi(x) = elu(x) + 1 > 0, elementwise."""
    return F.elu(x) + 1


def linear_attention(q: Tensor, k: Tensor, v: Tensor, *, eps: float = 1e-6) -> Tensor:
    """q: (..., T, D), k: (..., S, D), v: (..., S, Dv) -> (..., T, Dv), normalised linear attention."""
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    kv = fk.transpose(-2, -1) @ v  # (..., D, Dv): sum_j phi(k_j) v_j^T
    z = fk.sum(dim=-2)  # (..., D): sum_j phi(k_j)
    den = (fq * z.unsqueeze(-2)).sum(dim=-1, keepdim=True)  # (..., T, 1)
    return (fq @ kv) / (den + eps)  # (..., T, Dv)


class LinearAttention(nn.Module):
    """Normalised linear attention as a module without parameters (see :func:`linear_attention`)."""

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q: (..., T, D), k: (..., S, D), v: (..., S, Dv) -> (..., T, Dv)"""
        return linear_attention(q, k, v)
