"""The seq2seq with attention: its GRU equals nn.GRUCell, rows sum to 1, padding gets zero weight, seeded."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlclaims.models.seq2seq import AdditiveAttention, GRUCell, Seq2Seq

KINDS = ("additive", "dot")
V_SRC, V_TGT = 17, 19


def make(kind: str, seed: int = 0) -> Seq2Seq:
    return Seq2Seq(V_SRC, V_TGT, emb=8, hidden=12, attention=kind, generator=torch.Generator().manual_seed(seed))


def batch(seed: int = 1, B: int = 4, S: int = 7, T: int = 6) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, V_SRC, (B, S), generator=g)
    lengths = torch.tensor([S, S - 2, 3, 1][:B])
    src[torch.arange(S)[None, :] >= lengths[:, None]] = 0  # right padding
    tgt_in = torch.randint(3, V_TGT, (B, T), generator=g)
    return src, tgt_in, lengths


def test_gru_cell_equals_torch_gru_cell():
    ours = GRUCell(5, 7)
    ref = nn.GRUCell(5, 7)
    with torch.no_grad():
        ref.weight_ih.copy_(ours.ih.weight)
        ref.bias_ih.copy_(ours.ih.bias)
        ref.weight_hh.copy_(ours.hh.weight)
        ref.bias_hh.copy_(ours.hh.bias)
    x, h = torch.randn(3, 5), torch.randn(3, 7)
    torch.testing.assert_close(ours(x, h), ref(x, h))


@pytest.mark.parametrize("kind", KINDS)
def test_rows_sum_to_one_and_padding_gets_zero_weight(kind):
    src, tgt_in, lengths = batch()
    logits, w = make(kind)(src, tgt_in, return_weights=True)
    assert logits.shape == (*tgt_in.shape, V_TGT) and w.shape == (*tgt_in.shape, src.shape[1])
    torch.testing.assert_close(w.sum(-1), torch.ones(tgt_in.shape))
    assert bool((w >= 0).all())
    pad = torch.arange(src.shape[1])[None, None, :] >= lengths[:, None, None]  # (B, 1, S)
    assert bool((w.masked_select(pad.expand_as(w)) == 0).all())


@pytest.mark.parametrize("kind", KINDS)
def test_padding_does_not_change_the_output(kind):
    """A sentence alone, unpadded, gives the same logits and weights as inside a padded batch."""
    model = make(kind)
    src, tgt_in, lengths = batch()
    logits, w = model(src, tgt_in, return_weights=True)
    n = 2
    alone_logits, alone_w = model(src[n: n + 1, : lengths[n]], tgt_in[n: n + 1], return_weights=True)
    torch.testing.assert_close(alone_logits[0], logits[n], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(alone_w[0], w[n, :, : lengths[n]], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_for_a_seed(kind):
    src, tgt_in, _ = batch()
    a, b, c = make(kind, 3), make(kind, 3), make(kind, 4)
    wa = a(src, tgt_in, return_weights=True)[1]
    assert torch.equal(wa, b(src, tgt_in, return_weights=True)[1])
    assert not torch.equal(wa, c(src, tgt_in, return_weights=True)[1])


def test_additive_context_is_the_weighted_sum_of_keys():
    att = AdditiveAttention(4, 6, 5)
    q, keys = torch.randn(2, 4), torch.randn(2, 3, 6)
    mask = torch.tensor([[True, True, False], [True, True, True]])
    c, a = att(q, keys, att.prepare(keys), mask)
    torch.testing.assert_close(c, torch.einsum("bs,bsd->bd", a, keys))
    e = att.v(torch.tanh(att.wq(q)[:, None] + att.wk(keys))).squeeze(-1).masked_fill(~mask, float("-inf"))
    torch.testing.assert_close(a, e.softmax(-1))  # e_j = v^T tanh(W q + U k_j)


def test_teacher_forcing_is_causal():
    """Logits at step i depend on tgt_in[:, :i+1] only."""
    model = make("additive")
    src, tgt_in, _ = batch()
    changed = tgt_in.clone()
    changed[:, 4:] = 3
    torch.testing.assert_close(model(src, tgt_in)[:, :4], model(src, changed)[:, :4])


def test_a_few_steps_of_training_lower_the_loss():
    torch.manual_seed(0)
    model = make("additive")
    src, tgt_in, _ = batch(B=4)
    target = src[:, :6].clamp_min(3)  # copy the source
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = nn.functional.cross_entropy(model(src, tgt_in).reshape(-1, V_TGT), target.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("kind", KINDS)
def test_one_hot_rows_replace_only_the_chosen_rows(kind):
    """A chosen row becomes one-hot on its largest cell; rows before it and other sentences are unchanged."""
    model = make(kind)
    src, tgt_in, _ = batch()
    logits, w = model(src, tgt_in, return_weights=True)
    rows = torch.zeros(tgt_in.shape, dtype=torch.bool)
    rows[0, 2] = True
    got_logits, got_w = model(src, tgt_in, return_weights=True, one_hot_rows=rows)
    assert torch.equal(got_w[0, 2], nn.functional.one_hot(w[0, 2].argmax(), src.shape[1]).to(w.dtype))
    torch.testing.assert_close(got_w[0, :2], w[0, :2])
    torch.testing.assert_close(got_logits[1:], logits[1:])
    torch.testing.assert_close(got_logits[0, :2], logits[0, :2])
    assert not torch.allclose(got_logits[0, 2], logits[0, 2])  # the decoder read another context
    none = torch.zeros_like(rows)
    torch.testing.assert_close(model(src, tgt_in, one_hot_rows=none), logits)
