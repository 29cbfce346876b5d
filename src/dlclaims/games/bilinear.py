"""Gradient play on the bilinear game f(p, q) = p * q (p minimises, q maximises).

grad_p f = q, grad_q f = p; the unique equilibrium is (0, 0), a saddle.
Each update rule is a small function ``(state, eta) -> state`` on float64
tensors, so one call advances many step sizes at once (``eta`` broadcasts).

Rules (z = (p, q)):
- simultaneous GDA: p' = p - eta q,  q' = q + eta p          (|z| grows by sqrt(1 + eta^2))
- alternating GDA:  q' = q + eta p,  p' = p - eta q'          (closed orbit for eta < 2)
- extragradient:    look-ahead z_h = z - eta F(z), then z' = z - eta F(z_h)
- optimistic GDA:   z' = z - 2 eta F(z_t) + eta F(z_{t-1})
where F(p, q) = (q, -p) is the game's vector field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

Rule = Literal["simultaneous", "alternating", "extragradient", "optimistic"]
RULES: tuple[Rule, ...] = ("simultaneous", "alternating", "extragradient", "optimistic")


def f(p: Tensor, q: Tensor) -> Tensor:
    """f(p, q) = p q."""
    return p * q


def field(p: Tensor, q: Tensor) -> tuple[Tensor, Tensor]:
    """F(p, q) = (df/dp, -df/dq) = (q, -p): the direction both players descend."""
    return q, -p


@dataclass(frozen=True)
class GameState:
    p: Tensor  # (E,) one entry per step size
    q: Tensor  # (E,)
    prev_p: Tensor | None = None  # previous iterate, for the optimistic rule
    prev_q: Tensor | None = None


def simultaneous(s: GameState, eta: Tensor) -> GameState:
    return GameState(s.p - eta * s.q, s.q + eta * s.p)


def alternating(s: GameState, eta: Tensor) -> GameState:
    q = s.q + eta * s.p  # q moves first (ascent) ...
    p = s.p - eta * q  # ... then p descends against the new q
    return GameState(p, q)


def extragradient(s: GameState, eta: Tensor) -> GameState:
    fp, fq = field(s.p, s.q)
    ph, qh = s.p - eta * fp, s.q - eta * fq  # look-ahead point z_{t+1/2}
    fp, fq = field(ph, qh)
    return GameState(s.p - eta * fp, s.q - eta * fq)


def optimistic(s: GameState, eta: Tensor) -> GameState:
    pp = s.p if s.prev_p is None else s.prev_p
    pq = s.q if s.prev_q is None else s.prev_q
    fp, fq = field(s.p, s.q)
    gp, gq = field(pp, pq)
    return GameState(s.p - 2 * eta * fp + eta * gp, s.q - 2 * eta * fq + eta * gq, s.p, s.q)


STEP: dict[Rule, Callable[[GameState, Tensor], GameState]] = {
    "simultaneous": simultaneous,
    "alternating": alternating,
    "extragradient": extragradient,
    "optimistic": optimistic,
}


def simulate(rule: Rule, etas: list[float] | Tensor, steps: int, p0: float = 1.0, q0: float = 1.0,
             clip: float = 1e150) -> tuple[Tensor, Tensor]:
    """Iterates of ``rule`` for every eta at once: returns p, q of shape (steps + 1, E), float64.

    A diverging trajectory is frozen once |z| exceeds ``clip`` (its later entries are inf).
    """
    eta = torch.as_tensor(etas, dtype=torch.float64)
    s = GameState(torch.full_like(eta, p0), torch.full_like(eta, q0))
    ps, qs = [s.p], [s.q]
    step = STEP[rule]
    for _ in range(steps):
        s = step(s, eta)
        big = torch.hypot(s.p, s.q) > clip
        if bool(big.any()):
            inf = torch.full_like(s.p, float("inf"))
            s = GameState(torch.where(big, inf, s.p), torch.where(big, inf, s.q),
                          None if s.prev_p is None else torch.where(big, inf, s.prev_p),
                          None if s.prev_q is None else torch.where(big, inf, s.prev_q))
        ps.append(s.p)
        qs.append(s.q)
    return torch.stack(ps), torch.stack(qs)


def theory_radius_factor(rule: Rule, eta: float) -> float | None:
    """Per-step growth of |z| where it is constant: sqrt(1 + eta^2) for simultaneous GDA,
    sqrt(1 - eta^2 + eta^4) for extragradient; None where |z| oscillates."""
    if rule == "simultaneous":
        return (1 + eta**2) ** 0.5
    if rule == "extragradient":
        return (1 - eta**2 + eta**4) ** 0.5
    return None
