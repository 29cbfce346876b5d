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
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import torch
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


def train_stacked(
    stack: StackedModels,
    x: Tensor,
    y: Tensor,
    *,
    loss: Callable[[Tensor, Tensor], Tensor],
    steps: int,
    batch_size: int,
    lr: float,
    optimizer: Literal["adam", "sgd"] = "adam",
    weight_decay: float = 0.0,
) -> list[list[float]]:
    """Train every seed of ``stack`` on (x, y) with its own batch order; return per-step losses (steps, S).

    x: (N, ...) and y: (N, ...) are shared data; ``loss(pred, target)`` is a
    mean over the batch. The summed loss over seeds has per-seed gradients,
    and Adam/SGD act element-wise, so each seed trains exactly as alone.
    """
    S = stack.size
    order = torch.stack([seed_batches(x.shape[0], batch_size, steps, s) for s in stack.seeds], 1)  # (steps, S, B)
    order = order.to(x.device)
    params = list(stack.params.values())
    opt_cls = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    opt = opt_cls(params, lr=lr, weight_decay=weight_decay)
    per_seed_loss = vmap(loss, in_dims=(0, 0))
    history: list[list[float]] = []
    for step in range(steps):
        idx = order[step]  # (S, B)
        xb, yb = x[idx], y[idx]  # (S, B, ...)
        pred = stack(xb, per_seed_input=True)  # (S, B, ...)
        losses = per_seed_loss(pred, yb)  # (S,)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        history.append(losses.detach().tolist())
    del S
    return history


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
