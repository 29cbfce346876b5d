"""A pre-LN causal Transformer decoder (Radford et al. 2019 layout) with a KV cache.

Each of the L blocks (width D, H heads of width D/H):
    a = x + W_o Attn(LN_1(x))                  Attn: causal softmax(Q K^T / sqrt(D/H)) V per head
    y = a + W_2 GELU(W_1 LN_2(a))              W_1: D -> 4D, W_2: 4D -> D
Cost per sequence of length T: L (12 T D^2 + 2 T^2 D) multiply-adds: the
projections and the MLP (T D^2) dominate for T < 6 D, the attention
(T^2 D) for T > 6 D. The graph depth is O(L), whatever T.

The decoder reads and writes D-dim vectors (no embedding, no positions: the
caller adds them), so a rollout can feed each output back as the next input.

KV cache: ``forward(x, cache=c)`` appends this call's keys and values to the
cache of every layer, so decoding T tokens one at a time equals one full
causal pass (the oracle test). The cache holds 2 L B T D numbers.

Shapes: B batch, T time (new positions), S cached + new positions, D width, H heads.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from .attention import sdpa_reference, softmax_attention

KVCache = list[tuple[Tensor, Tensor]]  # per layer: keys (B, H, S, D/H), values (B, H, S, D/H)
AttentionImpl = Literal["unfused", "sdpa"]


class CausalSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, *, impl: AttentionImpl = "unfused") -> None:
        super().__init__()
        if heads < 1 or width % heads != 0:
            raise ValueError(f"heads ({heads}) must divide the width ({width})")
        self.heads, self.impl = heads, impl
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x: Tensor, past: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """x: (B, T, D), past: keys/values of earlier positions -> (B, T, D), keys/values of all S positions."""
        q, k, v = rearrange(self.qkv(x), "b t (three h d) -> three b h t d", three=3, h=self.heads)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)  # (B, H, S, D/H)
            v = torch.cat([past[1], v], dim=2)
        t, s = q.shape[2], k.shape[2]
        if self.impl == "sdpa":
            if t == s:
                o = sdpa_reference(q, k, v, causal=True)
            else:  # query i (absolute position s - t + i) sees keys j <= s - t + i
                mask = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(s - t)
                o = sdpa_reference(q, k, v, mask=mask)
        else:
            o = softmax_attention(q, k, v, causal=True)  # (B, H, T, D/H)
        return self.proj(rearrange(o, "b h t d -> b t (h d)")), (k, v)


class FeedForward(nn.Module):
    """Position-wise MLP: y_i = W_2 GELU(W_1 x_i + b_1) + b_2, each position on its own."""

    def __init__(self, width: int, ratio: int = 4) -> None:
        super().__init__()
        self.fc = nn.Linear(width, ratio * width)
        self.out = nn.Linear(ratio * width, width)

    def forward(self, x: Tensor) -> Tensor:
        """x: (..., D) -> (..., D)"""
        return self.out(F.gelu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, *, impl: AttentionImpl = "unfused", mlp_ratio: int = 4) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads, impl=impl)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = FeedForward(width, mlp_ratio)

    def forward(self, x: Tensor, past: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """x: (B, T, D) -> (B, T, D), this layer's keys and values."""
        a, kv = self.attn(self.ln1(x), past)
        x = x + a  # pre-LN residual around attention
        return x + self.mlp(self.ln2(x)), kv


class CausalDecoder(nn.Module):
    """L pre-LN blocks and a final LayerNorm; ``forward(x, cache=...)`` for full passes and cached decoding."""

    def __init__(self, width: int, layers: int, heads: int, *, impl: AttentionImpl = "unfused",
                 mlp_ratio: int = 4, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if width < 1 or layers < 1:
            raise ValueError("width and layers must be at least 1")
        if heads < 1 or width % heads != 0:
            raise ValueError(f"heads ({heads}) must divide the width ({width})")
        self.width, self.layers, self.heads = width, layers, heads
        self.blocks = nn.ModuleList(Block(width, heads, impl=impl, mlp_ratio=mlp_ratio) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self._init(generator)

    @torch.no_grad()
    def _init(self, generator: torch.Generator | None) -> None:
        """GPT-2 initialisation: N(0, 0.02^2) weights, zero biases, unit LayerNorm gains."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * 0.02)
                m.bias.zero_()

    def forward(self, x: Tensor, *, cache: KVCache | None = None) -> tuple[Tensor, KVCache]:
        """x: (B, T, D) new positions; cache: keys/values of the S - T earlier ones -> (B, T, D), cache of S."""
        new_cache: KVCache = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, None if cache is None else cache[i])
            new_cache.append(kv)
        return self.ln_f(x), new_cache

    def generate(self, x0: Tensor, steps: int, *, use_cache: bool = True) -> Tensor:
        """Autoregressive rollout: each output is fed back as the next input.

        x0: (B, D) -> (B, steps, D). With the cache, step k attends to k cached
        keys per layer (O(k D + D^2)); without it, step k re-runs the whole
        prefix (O(k D^2 + k^2 D)). Either way step k needs step k - 1: T dependent steps.
        """
        seq = x0[:, None]  # (B, 1, D)
        cache: KVCache | None = None
        outs = []
        for _ in range(steps):
            if use_cache:
                y, cache = self(seq[:, -1:], cache=cache)
            else:
                y, _ = self(seq)
            nxt = y[:, -1:]  # (B, 1, D)
            outs.append(nxt)
            seq = torch.cat([seq, nxt], dim=1) if not use_cache else nxt
        return torch.cat(outs, dim=1)


def kv_cache_bytes(cache: KVCache) -> int:
    """Exact bytes held by a KV cache: sum over layers of keys and values (2 L B S D numbers)."""
    return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in cache)


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def attention_flops(t: int, width: int, layers: int) -> int:
    """Theory: multiply-adds of the T^2 terms (scores and weighted sum) of one sequence: 2 L T^2 D."""
    return 2 * layers * t * t * width


def projection_flops(t: int, width: int, layers: int, mlp_ratio: int = 4) -> int:
    """Theory: multiply-adds of the T D^2 terms (QKV, output, MLP) of one sequence: (4 + 2 ratio) L T D^2."""
    return (4 + 2 * mlp_ratio) * layers * t * width * width


def crossover_t(width: int, mlp_ratio: int = 4) -> float:
    """T at which the T^2 D attention terms equal the T D^2 terms: T = (2 + ratio) D (= 6 D)."""
    return (4 + 2 * mlp_ratio) / 2 * width
