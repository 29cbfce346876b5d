"""The multi-seed trainer: S copies of a small model trained together in one loop.

The S models' parameters are stacked (``torch.func.stack_module_state``) and
the forward pass is ``vmap(functional_call)`` over the stack, so one batched
matmul replaces S small ones. Each seed keeps its own initialisation and its
own minibatch order (its own ``torch.Generator``), and the optimiser is
element-wise (Adam, SGD), so the result equals training each seed on its own:
``tests/core/test_multiseed.py`` checks this to 1e-5.

    stack = StackedModels.create(lambda g: MLP(64, 32, 10, generator=g), seeds=range(16))
    train_stacked(stack, x, y, loss=F.cross_entropy, steps=300, batch_size=64, lr=1e-2)
    logits = stack(x_test)          # (S, N, 10)

Sweeps stack too: members may share a seed (the same initialisation and batch order) and differ in
their learning rate (``lr`` a sequence of S values: Adam's update lr * m_hat / (sqrt(v_hat) + eps)
is taken with each member's own lr), in their training data (``x`` of shape (S, N, ...) with
``per_member_data``, or index sets ``subsets`` of each member's rows), and ``fit_stacked`` keeps
each member's parameters at its best validation score (early stopping on validation).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap


@dataclass
class StackedModels:
    """S models of one architecture with stacked parameters (leading dim S)."""

    base: nn.Module  # a meta-device skeleton used for functional_call
    params: dict[str, Tensor]  # name -> (S, ...) leaf tensors with requires_grad
    buffers: dict[str, Tensor]  # name -> (S, ...)
    seeds: tuple[int, ...]

    @classmethod
    def create(cls, make_model: Callable[[torch.Generator], nn.Module], seeds: Iterable[int],
               device: torch.device | str = "cpu") -> StackedModels:
        """Build one model per seed with ``make_model(generator)`` and stack them."""
        seeds = tuple(int(s) for s in seeds)
        models = []
        for s in seeds:
            g = torch.Generator().manual_seed(s)
            models.append(make_model(g).to(device))
        params, buffers = stack_module_state(models)
        base = copy.deepcopy(models[0]).to("meta")
        return cls(base, params, buffers, seeds)

    @classmethod
    def from_models(cls, models: list[nn.Module], seeds: Iterable[int]) -> StackedModels:
        """Stack ready-made models of one architecture (e.g. padded nets of different widths)."""
        seeds = tuple(int(s) for s in seeds)
        if len(seeds) != len(models):
            raise ValueError(f"{len(models)} models for {len(seeds)} seeds")
        params, buffers = stack_module_state(models)
        return cls(copy.deepcopy(models[0]).to("meta"), params, buffers, seeds)

    @property
    def size(self) -> int:
        return len(self.seeds)

    def forward(self, x: Tensor, *, per_seed_input: bool = False) -> Tensor:
        """x: (N, ...) shared by all seeds, or (S, N, ...) with ``per_seed_input`` -> (S, N, ...)."""

        def one(p: dict[str, Tensor], b: dict[str, Tensor], xi: Tensor) -> Tensor:
            return functional_call(self.base, (p, b), (xi,))

        in_x = 0 if per_seed_input else None
        return vmap(one, in_dims=(0, 0, in_x), randomness="different")(self.params, self.buffers, x)

    __call__ = forward

    def unstack(self) -> list[nn.Module]:
        """The S models as ordinary modules (copies of the current weights)."""
        out = []
        for i in range(self.size):
            m = copy.deepcopy(self.base).to_empty(device=next(iter(self.params.values())).device)
            state = {k: v[i].detach().clone() for k, v in {**self.params, **self.buffers}.items()}
            m.load_state_dict(state)
            out.append(m)
        return out


def seed_batches(n: int, batch_size: int, steps: int, seed: int) -> Tensor:
    """Minibatch indices for one seed: (steps, B), reshuffling each epoch with the seed's own generator."""
    g = torch.Generator().manual_seed(10_000 + seed)
    batch_size = min(batch_size, n)
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    idx = torch.cat([torch.randperm(n, generator=g)[: per_epoch * batch_size] for _ in range(epochs)])
    return idx.view(-1, batch_size)[:steps]


def member_batches(n: int, batch_size: int, steps: int, seed: int) -> Tensor:
    """(steps, batch_size) indices into a member's n rows: ``seed_batches`` when n >= batch_size; for a
    smaller set, consecutive reshuffles of all n rows cut into batches of ``batch_size`` (every row
    appears floor or ceil of B / n times per batch), so every member of a stack takes batches of one size.
    """
    if n >= batch_size:
        return seed_batches(n, batch_size, steps, seed)
    g = torch.Generator().manual_seed(10_000 + seed)
    perms = -(-steps * batch_size // n)
    idx = torch.cat([torch.randperm(n, generator=g) for _ in range(perms)])
    return idx[: steps * batch_size].view(steps, batch_size)


@dataclass
class Fit:
    """What ``fit_stacked`` returns: per-step losses and, with validation, each member's best score."""

    history: list[list[float]]  # (steps, S) training losses
    best_step: list[int]  # (S,) step whose parameters were kept (``steps`` without validation)
    best_score: list[float]  # (S,) validation score at best_step (NaN without validation)
    evals: list[tuple[int, list[float]]]  # (step, (S,) validation scores) at every evaluation


def _member_lr(lr: float | Sequence[float] | Tensor, size: int) -> Tensor | None:
    """None for one shared lr, else an (S,) float tensor."""
    if isinstance(lr, (int, float)):
        return None
    t = torch.as_tensor(lr, dtype=torch.float32).flatten()
    if t.numel() != size:
        raise ValueError(f"need one learning rate per member ({size}), got {t.numel()}")
    if not bool((t > 0).all()):
        raise ValueError("learning rates must be positive")
    return t


class _MemberOptimizer:
    """Adam or plain SGD with one learning rate per member (leading dim S of every parameter).

    Adam (Kingma & Ba, PyTorch's defaults and order of operations): g <- g + wd p;
    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
    p <- p - lr_s / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).   SGD: p <- p - lr_s g.
    """

    def __init__(self, params: list[Tensor], lr: Tensor, kind: str, weight_decay: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params, self.kind, self.wd, self.betas, self.eps = params, kind, weight_decay, betas, eps
        self.lr = [lr.to(p.device).view(-1, *([1] * (p.dim() - 1))) for p in params]  # (S, 1, ..., 1)
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        bc1, bc2 = 1 - b1**self.t, math.sqrt(1 - b2**self.t)
        for p, lr, m, v in zip(self.params, self.lr, self.m, self.v):
            g = p.grad if self.wd == 0 else p.grad.add(p, alpha=self.wd)
            if self.kind == "sgd":
                p.sub_(lr * g)
                continue
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            p.sub_((lr / bc1) * m / (v.sqrt() / bc2).add_(self.eps))

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None


def fit_stacked(
    stack: StackedModels,
    x: Tensor,
    y: Tensor,
    *,
    loss: Callable[[Tensor, Tensor], Tensor],
    steps: int,
    batch_size: int,
    lr: float | Sequence[float] | Tensor,
    optimizer: Literal["adam", "sgd"] = "adam",
    weight_decay: float = 0.0,
    per_member_data: bool = False,
    subsets: Sequence[Tensor] | None = None,
    val: tuple[Tensor, Tensor] | None = None,
    score: Callable[[Tensor, Tensor], Tensor] | None = None,
    eval_every: int = 0,
) -> Fit:
    """Train every member of ``stack`` with its own batch order (from its seed), lr and data.

    x: (N, ...), y: (N, ...) shared, or (S, N, ...) / (S, N, ...) with ``per_member_data``.
    ``subsets``: S index tensors into the N rows (each member trains on its own rows; sizes may
    differ: a member's batches come from ``member_batches``). ``lr``: one float, or S floats.
    ``val`` = (x_val, y_val) (shared, or per member like x) with ``score(pred, target) -> scalar``
    (higher is better; default: accuracy of the argmax) evaluated every ``eval_every`` steps and at
    the end: each member keeps the parameters of its best evaluation (the first, on ties).
    """
    S = stack.size
    n = x.shape[1] if per_member_data else x.shape[0]
    if per_member_data and (x.shape[0] != S or y.shape[0] != S):
        raise ValueError(f"per-member data needs a leading dim of {S}, got {x.shape[0]} and {y.shape[0]}")
    if subsets is None:
        rows = torch.stack([seed_batches(n, batch_size, steps, s) for s in stack.seeds], 1)  # (steps, S, B)
    else:
        if len(subsets) != S:
            raise ValueError(f"need one subset per member ({S}), got {len(subsets)}")
        b = min(batch_size, max(len(sub) for sub in subsets))
        rows = torch.stack([torch.as_tensor(sub)[member_batches(len(sub), b, steps, s)]
                            for sub, s in zip(subsets, stack.seeds)], 1)  # (steps, S, B)
    rows = rows.to(x.device)
    member = torch.arange(S, device=x.device)[:, None]  # (S, 1)
    params = list(stack.params.values())
    lrs = _member_lr(lr, S)
    if lrs is None:
        opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        opt = opt_cls(params, lr=float(lr), weight_decay=weight_decay)
    else:
        opt = _MemberOptimizer(params, lrs, optimizer, weight_decay)
    per_seed_loss = _stacked_cross_entropy if loss is F.cross_entropy else vmap(loss, in_dims=(0, 0))
    per_seed_score = vmap(score or _accuracy, in_dims=(0, 0 if per_member_data else None))
    best = {k: v.detach().clone() for k, v in stack.params.items()} if val is not None else None
    best_score = torch.full((S,), -math.inf)
    best_step = torch.full((S,), steps, dtype=torch.long)
    evals: list[tuple[int, list[float]]] = []
    history: list[list[float]] = []
    for step in range(steps):
        idx = rows[step]  # (S, B)
        xb, yb = (x[member, idx], y[member, idx]) if per_member_data else (x[idx], y[idx])  # (S, B, ...)
        pred = stack(xb, per_seed_input=True)  # (S, B, ...)
        losses = per_seed_loss(pred, yb)  # (S,)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        history.append(losses.detach().tolist())
        done = step + 1
        if best is not None and (done == steps or (eval_every > 0 and done % eval_every == 0)):
            with torch.no_grad():
                sc = per_seed_score(stack(val[0], per_seed_input=per_member_data), val[1]).float().cpu()  # (S,)
            evals.append((done, sc.tolist()))
            better = sc > best_score
            if bool(better.any()):
                best_score = torch.where(better, sc, best_score)
                best_step = torch.where(better, torch.tensor(done), best_step)
                with torch.no_grad():
                    for k, v in stack.params.items():
                        keep = better.to(v.device).view(-1, *([1] * (v.dim() - 1)))
                        best[k] = torch.where(keep, v.detach(), best[k])
    if best is not None:
        with torch.no_grad():
            for k, v in stack.params.items():
                v.copy_(best[k])
    scores = best_score.tolist() if best is not None else [math.nan] * S
    return Fit(history, best_step.tolist(), scores, evals)


def _stacked_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """(S, B, C) logits, (S, B) classes -> (S,) mean cross-entropy per member: mean_b logsumexp(z_b) - z_b[y_b].

    The same as ``vmap(F.cross_entropy)``, without vmap's per-call overhead (the hot path of every step).
    """
    return (torch.logsumexp(logits, -1) - logits.gather(-1, target[..., None])[..., 0]).mean(-1)


def _accuracy(pred: Tensor, target: Tensor) -> Tensor:
    return (pred.argmax(-1) == target).float().mean()


def train_stacked(
    stack: StackedModels,
    x: Tensor,
    y: Tensor,
    *,
    loss: Callable[[Tensor, Tensor], Tensor],
    steps: int,
    batch_size: int,
    lr: float | Sequence[float] | Tensor,
    optimizer: Literal["adam", "sgd"] = "adam",
    weight_decay: float = 0.0,
    per_member_data: bool = False,
    subsets: Sequence[Tensor] | None = None,
) -> list[list[float]]:
    """Train every seed of ``stack`` on (x, y) with its own batch order; return per-step losses (steps, S).

    x: (N, ...) and y: (N, ...) are shared data; ``loss(pred, target)`` is a
    mean over the batch. The summed loss over seeds has per-seed gradients,
    and Adam/SGD act element-wise, so each seed trains exactly as alone.
    ``lr``, ``per_member_data`` and ``subsets`` as in :func:`fit_stacked`.
    """
    return fit_stacked(stack, x, y, loss=loss, steps=steps, batch_size=batch_size, lr=lr, optimizer=optimizer,
                       weight_decay=weight_decay, per_member_data=per_member_data, subsets=subsets).history


def train_one(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    seed: int,
    loss: Callable[[Tensor, Tensor], Tensor],
    steps: int,
    batch_size: int,
    lr: float,
    optimizer: Literal["adam", "sgd"] = "adam",
    weight_decay: float = 0.0,
) -> list[float]:
    """The same training for one model in a plain loop (the oracle and the baseline of the benchmark)."""
    order = seed_batches(x.shape[0], batch_size, steps, seed).to(x.device)
    opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    opt = opt_cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = []
    for step in range(steps):
        idx = order[step]
        out = loss(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        out.backward()
        opt.step()
        history.append(float(out.detach()))
    return history
