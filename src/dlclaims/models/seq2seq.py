"""A GRU encoder-decoder with attention (Bahdanau, Cho & Bengio 2015), for translation alignment maps.

Encoder: a bidirectional GRU over the source embeddings gives one key per
source word, h_j = [h_j^fwd; h_j^bwd] (2H wide). Decoder: a GRU whose step i
reads the previous target word y_{i-1} and a context c_i:

    e_ij = score(s_{i-1}, h_j)                         additive: v^T tanh(W s_{i-1} + U h_j)
                                                       dot:      (W s_{i-1}) . h_j / sqrt(2H)
    a_ij = exp(e_ij) / sum_k exp(e_ik)                 padded source positions get a_ij = 0
    c_i  = sum_j a_ij h_j
    s_i  = GRU([emb(y_{i-1}); c_i], s_{i-1})
    p(y_i | y_<i, x) = softmax(W_o [s_i; c_i; emb(y_{i-1})])

Row i of the attention map, a_i = (a_i1, ..., a_iS), is the weight of target
step i on source word j; every row sums to 1. ``forward(..., return_weights=True)``
returns the (B, T, S) map next to the logits. Training uses teacher forcing
(the gold previous word). The GRU cell is written out (it equals ``nn.GRUCell``)
so that ``torch.func.vmap`` can train several seeds together.

Shapes: B batch, S source length, T target length, D embedding width, H hidden width, V vocabulary.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from .attention import softmax_attention

AttentionKind = Literal["additive", "dot"]


class GRUCell(nn.Module):
    """h' = (1 - z) * n + z * h with r, z = sigmoid(W_i x + W_h h), n = tanh(W_in x + r * (W_hn h)).

    The weight layout (gates r, z, n stacked) is that of ``nn.GRUCell``.
    """

    def __init__(self, d_in: int, hidden: int) -> None:
        super().__init__()
        self.ih = nn.Linear(d_in, 3 * hidden)
        self.hh = nn.Linear(hidden, 3 * hidden)

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        """x: (B, D), h: (B, H) -> (B, H)"""
        return self.step(self.ih(x), self.hh(h), h)

    @staticmethod
    def step(gx: Tensor, gh: Tensor, h: Tensor) -> Tensor:
        """The gates from precomputed projections gx = W_i x + b_i, gh = W_h h + b_h (B, 3H) -> h' (B, H).

        Projecting a whole sequence's inputs at once and calling ``step`` in the loop saves one
        matmul per step (the recurrent one cannot be hoisted).
        """
        H = h.shape[-1]
        rz = torch.sigmoid(gx[..., : 2 * H] + gh[..., : 2 * H])  # reset and update gates together
        r, z = rz[..., :H], rz[..., H:]
        n = torch.tanh(gx[..., 2 * H:] + r * gh[..., 2 * H:])  # candidate state
        return n + z * (h - n)  # = (1 - z) * n + z * h


class AdditiveAttention(nn.Module):
    """Bahdanau's score e_j = v^T tanh(W q + U k_j)."""

    def __init__(self, d_query: int, d_key: int, d_attn: int) -> None:
        super().__init__()
        self.wq = nn.Linear(d_query, d_attn, bias=False)
        self.wk = nn.Linear(d_key, d_attn)
        self.v = nn.Linear(d_attn, 1, bias=False)

    def prepare(self, keys: Tensor) -> Tensor:
        """keys: (B, S, 2H) -> U k: (B, S, A), computed once per sentence."""
        return self.wk(keys)

    def forward(self, q: Tensor, keys: Tensor, prepared: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """q: (B, H), keys: (B, S, 2H), mask: (B, S) True = real word -> context (B, 2H), weights (B, S)."""
        e = self.v(torch.tanh(self.wq(q).unsqueeze(1) + prepared)).squeeze(-1)  # (B, S)
        a = e.masked_fill(~mask, float("-inf")).softmax(dim=-1)  # (B, S), rows sum to 1
        return (a.unsqueeze(-1) * keys).sum(1), a  # c = sum_j a_j k_j (a product and a sum: faster than bmm here)


class DotAttention(nn.Module):
    """Scaled dot score e_j = (W q) . k_j / sqrt(2H), through ``models.attention.softmax_attention``."""

    def __init__(self, d_query: int, d_key: int, d_attn: int) -> None:
        super().__init__()
        del d_attn
        self.wq = nn.Linear(d_query, d_key, bias=False)

    def prepare(self, keys: Tensor) -> Tensor:
        return keys

    def forward(self, q: Tensor, keys: Tensor, prepared: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """q: (B, H), keys: (B, S, 2H), mask: (B, S) -> context (B, 2H), weights (B, S)."""
        c, a = softmax_attention(self.wq(q).unsqueeze(1), prepared, keys, mask=mask.unsqueeze(1),
                                 return_weights=True)  # (B, 1, 2H), (B, 1, S)
        return c.squeeze(1), a.squeeze(1)


class Seq2Seq(nn.Module):
    """Bidirectional-GRU encoder, GRU decoder with additive or dot attention."""

    def __init__(self, src_vocab: int, tgt_vocab: int, *, emb: int = 32, hidden: int = 64,
                 attention: AttentionKind = "additive", pad_id: int = 0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.pad_id, self.hidden = pad_id, hidden
        self.src_emb = nn.Embedding(src_vocab, emb)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb)
        self.enc_fwd = GRUCell(emb, hidden)
        self.enc_bwd = GRUCell(emb, hidden)
        self.bridge = nn.Linear(2 * hidden, hidden)  # s_0 = tanh(W [h_last^fwd; h_first^bwd])
        attn_cls = {"additive": AdditiveAttention, "dot": DotAttention}[attention]
        self.attn = attn_cls(hidden, 2 * hidden, hidden)
        self.dec = GRUCell(emb + 2 * hidden, hidden)
        self.out = nn.Linear(hidden + 2 * hidden + emb, tgt_vocab)
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Embeddings ~ N(0, 1); every other parameter ~ U(-1/sqrt(H), 1/sqrt(H)) (the GRU default)."""
        bound = 1.0 / math.sqrt(self.hidden)
        for name, p in self.named_parameters():
            if name.endswith("emb.weight"):
                p.normal_(0.0, 1.0, generator=generator)
            else:
                p.uniform_(-bound, bound, generator=generator)

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """src: (B, S) ids -> keys (B, S, 2H), s_0 (B, H), mask (B, S) with True at real words.

        Padded positions (right padding) leave each direction's state unchanged,
        so the backward GRU starts at the last real word.
        """
        mask = src != self.pad_id  # (B, S)
        x = self.src_emb(src)  # (B, S, D)
        B, S, _ = x.shape
        # input projections hoisted out of the loop; unbind (not indexing) so that backward stacks once
        gx_f, gx_b = self.enc_fwd.ih(x).unbind(1), self.enc_bwd.ih(x).unbind(1)  # S x (B, 3H)
        keep = mask.unsqueeze(-1).unbind(1)  # S x (B, 1)
        h = x.new_zeros(B, self.hidden)
        fwd = []
        for t in range(S):
            h = torch.where(keep[t], GRUCell.step(gx_f[t], self.enc_fwd.hh(h), h), h)
            fwd.append(h)
        h_last = h
        h = x.new_zeros(B, self.hidden)
        bwd = []
        for t in reversed(range(S)):
            h = torch.where(keep[t], GRUCell.step(gx_b[t], self.enc_bwd.hh(h), h), h)
            bwd.append(h)
        bwd.reverse()
        keys = torch.cat([torch.stack(fwd, 1), torch.stack(bwd, 1)], dim=-1)  # (B, S, 2H)
        s0 = torch.tanh(self.bridge(torch.cat([h_last, bwd[0]], dim=-1)))  # (B, H)
        return keys, s0, mask

    def forward(self, src: Tensor, tgt_in: Tensor, *, return_weights: bool = False,
                one_hot_rows: Tensor | None = None) -> Tensor | tuple[Tensor, Tensor]:
        """src: (B, S), tgt_in: (B, T) = <s> y_1 .. y_{T-1} (teacher forcing)
        -> logits (B, T, V) [, attention weights (B, T, S)].

        ``one_hot_rows`` (B, T) bool, for probing only: at those steps the row is replaced by a one-hot on its
        largest cell (c_i = h_argmax) before the decoder reads it: does one key carry what the word needs?"""
        keys, s, mask = self.encode(src)
        prepared = self.attn.prepare(keys)
        y = self.tgt_emb(tgt_in)  # (B, T, D)
        D = y.shape[-1]
        w_ih, b_ih = self.dec.ih.weight, self.dec.ih.bias  # (3H, D + 2H): columns for [y; c]
        gy = nn.functional.linear(y, w_ih[:, :D], b_ih).unbind(1)  # T x (B, 3H): the word part, hoisted
        w_c = w_ih[:, D:]  # (3H, 2H)
        states, contexts, weights = [], [], []
        for i in range(tgt_in.shape[1]):
            c, a = self.attn(s, keys, prepared, mask)  # (B, 2H), (B, S): attention of step i on the source
            if one_hot_rows is not None:
                hard = nn.functional.one_hot(a.argmax(-1), a.shape[-1]).to(a.dtype)  # (B, S)
                a = torch.where(one_hot_rows[:, i, None], hard, a)
                c = (a.unsqueeze(-1) * keys).sum(1)  # (B, 2H)
            s = GRUCell.step(gy[i] + nn.functional.linear(c, w_c), self.dec.hh(s), s)  # (B, H)
            states.append(s)
            contexts.append(c)
            weights.append(a)
        out = self.out(torch.cat([torch.stack(states, 1), torch.stack(contexts, 1), y], dim=-1))  # (B, T, V)
        return (out, torch.stack(weights, 1)) if return_weights else out
