"""Adam written out, and the variant whose moments are plain running means of all past gradients.

Adam (Kingma & Ba 2015), for a gradient g_t at step t = 1, 2, ...:
    m_t = beta1 m_{t-1} + (1 - beta1) g_t              (EMA of gradients)
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2            (EMA of squared gradients)
    mhat = m_t / (1 - beta1^t),  vhat = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - lr mhat / (sqrt(vhat) + eps)

Plain-mean variant: the same update with
    m_t = (1/t) sum_{s<=t} g_s = m_{t-1} + (g_t - m_{t-1}) / t
    v_t = (1/t) sum_{s<=t} g_s^2 = G_t / t             (AdaGrad's accumulator G_t divided by t)
and no bias correction (a plain mean is unbiased). Every past gradient keeps weight 1/t, so the
estimate forgets nothing: after a change of the landscape the old gradients keep their weight.

Both act element-wise, so a parameter of shape (S, D) holds S independent runs.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


class _MomentOptimizer(torch.optim.Optimizer):
    """Shared loop: subclasses give the moment update and the bias correction."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if lr <= 0 or eps < 0 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"need lr > 0, eps >= 0 and betas in [0, 1), got {lr}, {eps}, {betas}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    def _moments(self, m: Tensor, v: Tensor, g: Tensor, t: int, betas: tuple[float, float]) -> None:
        raise NotImplementedError

    def _correction(self, t: int, betas: tuple[float, float]) -> tuple[float, float]:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["m"], state["v"]
                self._moments(m, v, p.grad, t, group["betas"])
                c1, c2 = self._correction(t, group["betas"])
                denom = (v.sqrt() / c2**0.5).add_(group["eps"])  # sqrt(vhat) + eps, in torch.optim.Adam's order
                p.addcdiv_(m, denom, value=-group["lr"] / c1)  # theta -= lr mhat / (sqrt(vhat) + eps)
        return loss

    def effective_step(self, p: Tensor) -> Tensor:
        """lr / (sqrt(vhat) + eps): the per-coordinate step size multiplying mhat (same shape as p)."""
        group = next(g for g in self.param_groups if any(q is p for q in g["params"]))
        state = self.state[p]
        _, c2 = self._correction(state["step"], group["betas"])
        return group["lr"] / (state["v"].sqrt() / c2**0.5 + group["eps"])

    def first_moment(self, p: Tensor) -> Tensor:
        """The bias-corrected first-moment estimate mhat (same shape as p)."""
        group = next(g for g in self.param_groups if any(q is p for q in g["params"]))
        c1, _ = self._correction(self.state[p]["step"], group["betas"])
        return self.state[p]["m"] / c1


class Adam(_MomentOptimizer):
    """Adam with exponential moving averages; equals ``torch.optim.Adam`` (no weight decay, no amsgrad)."""

    def _moments(self, m: Tensor, v: Tensor, g: Tensor, t: int, betas: tuple[float, float]) -> None:
        b1, b2 = betas
        m.lerp_(g, 1 - b1)  # m = b1 m + (1 - b1) g
        v.mul_(b2).addcmul_(g, g, value=1 - b2)  # v = b2 v + (1 - b2) g^2

    def _correction(self, t: int, betas: tuple[float, float]) -> tuple[float, float]:
        return 1 - betas[0] ** t, 1 - betas[1] ** t


class MeanAdam(_MomentOptimizer):
    """Adam with plain running means of all past g and g^2 in place of the EMAs (``betas`` unused)."""

    def _moments(self, m: Tensor, v: Tensor, g: Tensor, t: int, betas: tuple[float, float]) -> None:
        m.add_((g - m) / t)  # m_t = m_{t-1} + (g_t - m_{t-1}) / t
        v.add_((g * g - v) / t)  # v_t = G_t / t

    def _correction(self, t: int, betas: tuple[float, float]) -> tuple[float, float]:
        return 1.0, 1.0


def ema_first_moment(g: Tensor, beta: float, *, correct: bool = True) -> Tensor:
    """g: (T, ...) -> the (bias-corrected) EMA estimates m_t for t = 1..T, shape (T, ...)."""
    out = torch.empty_like(g)
    m = torch.zeros_like(g[0])
    for t in range(g.shape[0]):
        m = beta * m + (1 - beta) * g[t]
        out[t] = m / (1 - beta ** (t + 1)) if correct else m
    return out


def mean_first_moment(g: Tensor) -> Tensor:
    """g: (T, ...) -> the running means (1/t) sum_{s<=t} g_s for t = 1..T, shape (T, ...)."""
    t = torch.arange(1, g.shape[0] + 1, dtype=g.dtype, device=g.device)
    return g.cumsum(0) / t.view(-1, *([1] * (g.dim() - 1)))
