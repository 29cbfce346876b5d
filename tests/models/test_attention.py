"""Softmax attention against F.scaled_dot_product_attention; Bob's attention and the recall reader."""

import math

import pytest
import torch

from dlclaims.models.attention import (
    BobAttention,
    RecallReader,
    bob_attention,
    sdpa_reference,
    softmax_attention,
)


def qkv(t=6, s=6, d=8, seed=0, grad=False):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, 3, n, d, generator=g).requires_grad_(grad) for n in (t, s, s)]


@pytest.mark.parametrize("t,s", [(6, 6), (3, 7)])
@pytest.mark.parametrize("masked", [False, True])
def test_softmax_attention_equals_sdpa_values_and_grads(t, s, masked):
    q, k, v = qkv(t, s, grad=True)
    mask = None
    if masked:
        mask = torch.rand(t, s, generator=torch.Generator().manual_seed(5)) > 0.3
        mask[:, 0] = True  # every query sees at least one key
    ours = softmax_attention(q, k, v, mask=mask)
    ref = sdpa_reference(q, k, v, mask=mask)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    w = torch.randn(ours.shape)
    ga = torch.autograd.grad((ours * w).sum(), (q, k, v))
    gb = torch.autograd.grad((ref * w).sum(), (q, k, v))
    for a, b in zip(ga, gb):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_causal_softmax_attention_equals_sdpa():
    q, k, v = qkv()
    torch.testing.assert_close(softmax_attention(q, k, v, causal=True), sdpa_reference(q, k, v, causal=True),
                               atol=1e-5, rtol=1e-5)


def test_bob_attention_is_its_formula_and_not_softmax_attention():
    q, k, v = qkv()
    explicit = torch.softmax(q / math.sqrt(q.shape[-1]), dim=-1) @ (k.transpose(-2, -1) @ v)
    torch.testing.assert_close(bob_attention(q, k, v), explicit)
    torch.testing.assert_close(BobAttention()(q, k, v), explicit)
    # the other association order: output_i = sum_j <softmax(q_i), k_j> v_j
    p = torch.softmax(q / math.sqrt(q.shape[-1]), dim=-1)
    torch.testing.assert_close(bob_attention(q, k, v), (p @ k.transpose(-2, -1)) @ v, atol=1e-4, rtol=1e-4)
    assert (bob_attention(q, k, v) - softmax_attention(q, k, v)).abs().max() > 1e-2


@pytest.mark.parametrize("kind", ["softmax", "bob", "linear"])
def test_recall_reader_shapes_and_query_reads_pairs(kind):
    m = RecallReader(10, 5, 8, kind=kind, generator=torch.Generator().manual_seed(0))
    x = torch.stack([torch.randint(0, 10, (4, 7)), torch.randint(0, 5, (4, 7))], dim=2)
    x[:, -1, 1] = 5
    out = m(x)
    assert out.shape == (4, 5)
    x2 = x.clone()
    x2[:, 0, 1] = (x[:, 0, 1] + 1) % 5  # change a stored value: the read changes
    assert not torch.allclose(m(x2), out)


def test_recall_reader_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        RecallReader(10, 5, 8, kind="cosine")  # type: ignore[arg-type]
