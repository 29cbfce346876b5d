"""A multi-layer Elman RNN (Elman 1990), parameter-compatible with ``torch.nn.RNN``.

For layer k = 0 .. L-1 and step t = 1 .. T (x^0_t is the input):
    h^k_t = tanh(W_ih^k x^k_t + b_ih^k + W_hh^k h^k_{t-1} + b_hh^k),      x^{k+1}_t = h^k_t

Training cost per sequence: T steps x L layers x O(D^2) = O(T L D^2). Cell
(k, t) needs only (k - 1, t) and (k, t - 1), so the critical path is T + L - 1
cells: ``forward_steps`` evaluates step-major and its graph is O(T + L) deep.
``forward`` runs layer after layer over the whole sequence (one batched input
projection per layer), which makes layer k wait for all of layer k - 1: its
graph is O(T L) deep. At inference ``step`` carries the state (L, B, D).

The parameter names (``weight_ih_l0``, ``bias_hh_l1`` ...) and shapes are
those of ``nn.RNN(batch_first=True)``, so ``load_state_dict(rnn.state_dict())``
copies its weights (the oracle test).

Shapes: B batch, T time, D width (hidden size), L layers.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn


class ElmanRNN(nn.Module):
    """L stacked Elman layers; ``forward`` runs a whole sequence, ``step`` one time step."""

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1, *,
                 nonlinearity: Literal["tanh", "relu"] = "tanh", bias: bool = True,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or layers < 1:
            raise ValueError("input_size, hidden_size and layers must be at least 1")
        self.input_size, self.hidden_size, self.layers = input_size, hidden_size, layers
        self.nonlinearity, self.bias = nonlinearity, bias
        bound = 1.0 / math.sqrt(hidden_size)  # nn.RNN's initialisation: U(-1/sqrt(D), 1/sqrt(D))
        for k in range(layers):
            d_in = input_size if k == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(_uniform((hidden_size, d_in), bound, generator)))
            self.register_parameter(f"weight_hh_l{k}",
                                    nn.Parameter(_uniform((hidden_size, hidden_size), bound, generator)))
            if bias:
                self.register_parameter(f"bias_ih_l{k}", nn.Parameter(_uniform((hidden_size,), bound, generator)))
                self.register_parameter(f"bias_hh_l{k}", nn.Parameter(_uniform((hidden_size,), bound, generator)))

    def _act(self, z: Tensor) -> Tensor:
        return torch.tanh(z) if self.nonlinearity == "tanh" else torch.relu(z)

    def _weights(self, k: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        if not self.bias:
            return w_ih, w_hh, None, None
        return w_ih, w_hh, getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}")

    def init_state(self, batch: int, *, like: Tensor) -> Tensor:
        """Zero state: (L, B, D)."""
        return like.new_zeros(self.layers, batch, self.hidden_size)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x: (B, T, D_in), h0: (L, B, D) or None -> (outputs of the top layer (B, T, D), h_T (L, B, D))."""
        b, t, _ = x.shape
        h0 = self.init_state(b, like=x) if h0 is None else h0
        inp, last = x, []
        for k in range(self.layers):
            w_ih, w_hh, b_ih, b_hh = self._weights(k)
            # the input projection of every step at once: W_ih x_t + b_ih + b_hh for t = 1..T
            pre = inp @ w_ih.T  # (B, T, D)
            if b_ih is not None:
                pre = pre + (b_ih + b_hh)
            h, outs = h0[k], []
            for s in range(t):  # the recurrence: T dependent steps
                h = self._act(pre[:, s] + h @ w_hh.T)  # (B, D)
                outs.append(h)
            inp = torch.stack(outs, dim=1)  # (B, T, D)
            last.append(h)
        return inp, torch.stack(last)

    def forward_steps(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The same function as ``forward``, evaluated step-major with one state tensor per layer.

        x: (B, T, D_in) -> ((B, T, D), (L, B, D)). Cell (k, t) reads only h^{k-1}_t and h^k_{t-1}, so
        the longest dependency chain is T + L - 1 cells (a wavefront schedule), not T L.
        """
        b, t, _ = x.shape
        h0 = self.init_state(b, like=x) if h0 is None else h0
        hs = list(h0.unbind(0))  # L x (B, D), each its own node: no false dependency between layers
        outs = []
        for s in range(t):
            inp = x[:, s]
            for k in range(self.layers):
                w_ih, w_hh, b_ih, b_hh = self._weights(k)
                z = inp @ w_ih.T + hs[k] @ w_hh.T
                if b_ih is not None:
                    z = z + (b_ih + b_hh)
                hs[k] = inp = self._act(z)  # (B, D)
            outs.append(inp)
        return torch.stack(outs, dim=1), torch.stack(hs)

    def step(self, x_t: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        """One time step: x_t: (B, D_in), h: (L, B, D) -> (top output (B, D), new state (L, B, D))."""
        inp, new = x_t, []
        for k in range(self.layers):
            w_ih, w_hh, b_ih, b_hh = self._weights(k)
            z = inp @ w_ih.T + h[k] @ w_hh.T
            if b_ih is not None:
                z = z + b_ih + b_hh
            inp = self._act(z)  # (B, D)
            new.append(inp)
        return inp, torch.stack(new)

    def generate(self, x0: Tensor, steps: int) -> Tensor:
        """Autoregressive rollout feeding each output back as the next input (needs D_in == D).

        x0: (B, D) -> (B, steps, D). Memory beyond the output: the state, L x B x D numbers.
        Step k needs step k - 1: T dependent steps (wrap in ``torch.no_grad()`` to time it).
        """
        if self.input_size != self.hidden_size:
            raise ValueError("generate feeds outputs back, so input_size must equal hidden_size")
        h = self.init_state(x0.shape[0], like=x0)
        x, outs = x0, []
        for _ in range(steps):
            x, h = self.step(x, h)
            outs.append(x)
        return torch.stack(outs, dim=1)


def _uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator | None) -> Tensor:
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound

