"""Normalised linear attention (Katharopoulos et al. 2020) against its explicit n x n form."""

import torch

from dlclaims.models.attention import bob_attention, softmax_attention
from dlclaims.models.linear_attention import LinearAttention, elu_feature_map, linear_attention


def _qkv(seed=0, n=7, d=5, dv=3):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(2, n, d, generator=g, dtype=torch.float64), torch.randn(2, n, d, generator=g,
            dtype=torch.float64), torch.randn(2, n, dv, generator=g, dtype=torch.float64))


def test_equals_the_explicit_normalised_kernel_weights():
    q, k, v = _qkv()
    w = elu_feature_map(q) @ elu_feature_map(k).transpose(-2, -1)  # (2, T, S): phi(q_i).phi(k_j) > 0
    assert bool((w > 0).all())
    w = w / w.sum(-1, keepdim=True)
    torch.testing.assert_close(linear_attention(q, k, v), w @ v)
    torch.testing.assert_close(LinearAttention()(q, k, v), w @ v)


def test_outputs_are_convex_combinations_and_differ_from_softmax_and_bob():
    q, k, v = _qkv(1)
    v1 = torch.ones_like(v)
    torch.testing.assert_close(linear_attention(q, k, v1), v1[:, : q.shape[1]])  # weights sum to 1
    o = linear_attention(q, k, v)
    assert bool((o <= v.max(1, keepdim=True).values + 1e-12).all() and (o >= v.min(1, keepdim=True).values - 1e-12).all())
    assert (o - softmax_attention(q, k, v)).abs().max() > 1e-3
    assert (o - bob_attention(q, k, v)).abs().max() > 1e-3


def test_feature_map_is_positive_and_continuous_at_zero():
    x = torch.tensor([-10.0, -1.0, 0.0, 2.0])
    y = elu_feature_map(x)
    assert bool((y > 0).all()) and float(y[2]) == 1.0 and float(y[3]) == 3.0
