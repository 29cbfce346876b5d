"""Multi-layer perceptrons with ReLU, and the exact deep ReLU sawtooth (Telgarsky 2016).

MLP:    h_0 = x,  h_l = relu(W_l h_{l-1} + b_l) for l = 1..L,  y = W_out h_L + b_out.
Init:   U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases (PyTorch's nn.Linear default),
        drawn from an explicit ``generator`` so that a seed fixes the model.

``ShallowReLU`` is one hidden layer of ``width`` units held in a tensor of ``pad_to`` units whose
extra units are masked to zero: nets of different widths then share one shape and train together
in one stack (torch.func.vmap), while each behaves exactly as a net of its own width.

The sawtooth: the tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) equals 2 min(x, 1 - x) on [0, 1];
its k-fold composition t^k is a sawtooth with 2^k linear pieces, built from 2 units per layer
over k layers (2k units). One hidden layer needs at least 2^k - 1 units for it, since a width-n
one-hidden-layer ReLU net on R is piecewise linear with at most n + 1 pieces.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn


def _uniform_(t: Tensor, bound: float, generator: torch.Generator | None) -> None:
    with torch.no_grad():
        t.uniform_(-bound, bound, generator=generator)


def init_linear(layer: nn.Linear, *, generator: torch.Generator | None, fan_in: int | None = None) -> None:
    """W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in defaulting to the layer's input size."""
    bound = 1.0 / math.sqrt(fan_in or layer.in_features)
    _uniform_(layer.weight, bound, generator)
    if layer.bias is not None:
        _uniform_(layer.bias, bound, generator)


class MLP(nn.Module):
    """x: (B, D_in) -> (B, D_out) through ``len(hidden)`` ReLU layers of the given widths."""

    def __init__(self, d_in: int, hidden: tuple[int, ...], d_out: int, *,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        widths = (d_in, *hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.out = nn.Linear(widths[-1], d_out)
        for layer in (*self.hidden, self.out):
            init_linear(layer, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        h = x.flatten(1)  # (B, D_in)
        for layer in self.hidden:
            h = torch.relu(layer(h))  # (B, D_l)
        return self.out(h)  # (B, D_out)

    def activations(self, x: Tensor) -> list[Tensor]:
        """The pre-activations of every hidden layer: list of (B, D_l) (their signs = activation pattern)."""
        h, out = x.flatten(1), []
        for layer in self.hidden:
            z = layer(h)
            out.append(z)
            h = torch.relu(z)
        return out


def n_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class ShallowReLU(nn.Module):
    """y = sum_j a_j relu(w_j x + b_j) + c over ``width`` units, stored in ``pad_to`` >= width slots.

    x: (B, D_in) -> (B, D_out). Masked units have zero weights and zero gradients, and the init
    scale of the output layer uses the true width, so the net equals an unpadded one of ``width``.
    ``kinks_in=(lo, hi)``: each unit's hyperplane w.x + b = 0 goes through a uniform point of the
    box [lo, hi]^D_in (so on a 1-D interval no unit starts dead or linear), with the inner weights
    scaled by ``slope_scale`` (steeper units fit fine detail sooner).
    """

    def __init__(self, d_in: int, width: int, d_out: int, *, pad_to: int | None = None,
                 kinks_in: tuple[float, float] | None = None, slope_scale: float = 1.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        pad = pad_to or width
        if not 1 <= width <= pad:
            raise ValueError(f"width must lie in 1..pad_to, got width={width}, pad_to={pad}")
        self.width = width
        self.inner = nn.Linear(d_in, pad)
        self.outer = nn.Linear(pad, d_out)
        init_linear(self.inner, generator=generator)
        init_linear(self.outer, generator=generator, fan_in=width)
        if kinks_in is not None:  # unit j's kink w_j . x + b_j = 0 passes through a point u_j of the box
            lo, hi = kinks_in
            u = torch.rand(pad, d_in, generator=generator) * (hi - lo) + lo  # (P, D_in)
            with torch.no_grad():
                self.inner.weight.mul_(slope_scale)
                self.inner.bias.copy_(-(self.inner.weight * u).sum(1))
        mask = (torch.arange(pad) < width).float()  # (P,) 1 for live units
        self.register_buffer("mask", mask)
        with torch.no_grad():
            self.inner.weight.mul_(mask[:, None])
            self.inner.bias.mul_(mask)
            self.outer.weight.mul_(mask[None, :])

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.inner(x.flatten(1))) * self.mask  # (B, P), dead units exactly 0
        return self.outer(h)  # (B, D_out)

    def activations(self, x: Tensor) -> list[Tensor]:
        return [self.inner(x.flatten(1))[:, : self.width]]


def sawtooth_mlp(k: int) -> MLP:
    """The exact sawtooth t^k on [0, 1] as an MLP with k hidden layers of 2 ReLU units.

    Layer 1: (relu(x), relu(x - 1/2)); layer l > 1 takes t = 2 u - 4 v of the previous pair and
    emits (relu(t), relu(t - 1/2)); the output is 2 u - 4 v of the last pair.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    net = MLP(1, (2,) * k, 1)
    with torch.no_grad():
        first = net.hidden[0]
        first.weight.copy_(torch.tensor([[1.0], [1.0]]))
        first.bias.copy_(torch.tensor([0.0, -0.5]))
        for layer in net.hidden[1:]:
            layer.weight.copy_(torch.tensor([[2.0, -4.0], [2.0, -4.0]]))  # both units see t = 2u - 4v
            layer.bias.copy_(torch.tensor([0.0, -0.5]))
        net.out.weight.copy_(torch.tensor([[2.0, -4.0]]))
        net.out.bias.zero_()
    return net


def shallow_sawtooth_mlp(k: int) -> MLP:
    """The same sawtooth with one hidden layer of 2^k units: relu(x) plus one unit per interior kink.

    t^k has slope +-2^k alternating at the kinks j / 2^k, j = 1..2^k - 1, so
    t^k(x) = 2^k relu(x) + sum_j (-1)^j 2^(k+1) relu(x - j / 2^k) on [0, 1].
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    n = 2**k
    net = MLP(1, (n,), 1)
    with torch.no_grad():
        net.hidden[0].weight.fill_(1.0)
        net.hidden[0].bias.copy_(-torch.arange(n, dtype=torch.float32) / n)
        coef = torch.tensor([float(n)] + [(-1.0) ** j * 2.0 * n for j in range(1, n)])
        net.out.weight.copy_(coef[None, :])
        net.out.bias.zero_()
    return net
