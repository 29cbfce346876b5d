"""The multi-seed trainer: S copies of a small model trained together in one loop.

The S models' parameters are stacked (``torch.func.stack_module_state``) and the forward pass runs
over the whole stack at once: for the architectures the sweeps use, an explicit stacked kernel
(``StackedModels.kernel``: an MLP's layers as batched matmuls y_s = x_s W_s^T + b_s, the convolutions
of models.cnn.CNN and models.conv_pool.ConvPoolCNN as ONE grouped convolution each with the members
folded into the channels), checked once against ``vmap(functional_call)``, which every other model
uses. Each seed keeps its own initialisation and its own minibatch order (its own ``torch.Generator``),
and the optimiser is element-wise (Adam, SGD: one fused step over a flat buffer of all parameters), so
the result equals training each seed on its own: ``tests/core/test_multiseed*.py`` check this to 1e-5.

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
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

Kernel = Callable[[dict[str, Tensor], Tensor], Tensor]  # (params of S members, x: (S, B, ...)) -> (S, B, ...)


@dataclass
class StackedModels:
    """S models of one architecture with stacked parameters (leading dim S)."""

    base: nn.Module  # a meta-device skeleton used for functional_call
    params: dict[str, Tensor]  # name -> (S, ...) leaf tensors with requires_grad
    buffers: dict[str, Tensor]  # name -> (S, ...)
    seeds: tuple[int, ...]
    _kernel: Kernel | None = field(default=None, init=False, repr=False, compare=False)
    _kernel_checked: bool = field(default=False, init=False, repr=False, compare=False)

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

    @property
    def kernel(self) -> Kernel | None:
        """The explicit stacked forward of this architecture (batched matmuls, grouped convolutions), or None
        (then vmap over ``functional_call``). Checked once against the vmapped module on a random input."""
        if not self._kernel_checked:
            self._kernel_checked = True
            self._kernel = _checked_kernel(self)
        return self._kernel

    def _vmapped(self, params: dict[str, Tensor], x: Tensor, per_seed_input: bool) -> Tensor:
        def one(p: dict[str, Tensor], b: dict[str, Tensor], xi: Tensor) -> Tensor:
            return functional_call(self.base, (p, b), (xi,))

        in_x = 0 if per_seed_input else None
        return vmap(one, in_dims=(0, 0, in_x), randomness="different")(params, self.buffers, x)

    def apply(self, params: dict[str, Tensor], x: Tensor, *, per_seed_input: bool = False) -> Tensor:
        """The stack's forward with the given stacked ``params`` (e.g. training views of them)."""
        k = self.kernel
        if k is None:
            return self._vmapped(params, x, per_seed_input)
        if not per_seed_input:
            x = x.expand(self.size, *x.shape)  # (S, N, ...), no copy
        return k(params, x)

    def forward(self, x: Tensor, *, per_seed_input: bool = False) -> Tensor:
        """x: (N, ...) shared by all seeds, or (S, N, ...) with ``per_seed_input`` -> (S, N, ...)."""
        return self.apply(self.params, x, per_seed_input=per_seed_input)

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


# ---------------------------------------------------------------------------------------------------------
# Stacked kernels: the forward of S members written once over the stack, without vmap's per-call tracing.
# A linear layer is one batched matmul, y_s = x_s W_s^T + b_s:  baddbmm(b (S, 1, D_out), x (S, B, D_in),
# W^T (S, D_in, D_out)). A convolution of S members is ONE grouped convolution: the members' channels are
# folded into the channel axis, (B, S C_in, H, W) * (S C_out, C_in, k, k) with groups=S, kept channels-last
# (oneDNN's fast layout on CPU; measured 2x faster than the default layout for these small maps).


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """x: (S, B, D_in), w: (S, D_out, D_in), b: (S, D_out) -> (S, B, D_out)."""
    return torch.bmm(x, w.transpose(1, 2)) if b is None else torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))


def _mlp_kernel(names: list[tuple[str, str | None]]) -> Kernel:
    """Linear layers (weight, bias names) with ReLU between them, x flattened to (S, B, D_in)."""

    def run(p: dict[str, Tensor], x: Tensor) -> Tensor:
        h = x.flatten(2)  # (S, B, D_in)
        for j, (w, b) in enumerate(names):
            h = _linear(h, p[w], p[b] if b else None)  # (S, B, D_j)
            if j < len(names) - 1:
                h = torch.relu(h)
        return h

    return run


def _grouped_conv(h: Tensor, w: Tensor, b: Tensor | None, padding: int) -> Tensor:
    """h: (B, S C_in, H, W) channels-last, w: (S, C_out, C_in, k, k), b: (S, C_out) -> (B, S C_out, H', W')."""
    S, c_out = w.shape[:2]
    return F.conv2d(h, w.reshape(S * c_out, *w.shape[2:]), None if b is None else b.reshape(S * c_out),
                    padding=padding, groups=S)


def _stem(p: dict[str, Tensor], x: Tensor, side: int, pool: str) -> Tensor:
    """conv 3x3 (pad 1) -> ReLU -> pool 2x2 of S members: x (S, B, side*side) or (S, B, 1, H, W)
    -> (B, S C_1, H//2, W//2), channels-last memory (members folded into the channels)."""
    S, B = x.shape[:2]
    img = x.reshape(S, B, *x.shape[-2:]) if x.dim() == 5 else x.reshape(S, B, side, side)  # (S, B, H, W)
    # conv1 has one input channel: each image repeated C_1 times and a depthwise convolution (groups = S C_1,
    # oneDNN's depthwise kernel: 1.1-1.8x faster than groups = S with C_1 outputs each)
    w1 = p["conv1.weight"]  # (S, C_1, 1, 3, 3)
    c1, H, W = w1.shape[1], *img.shape[-2:]
    h = img.permute(1, 2, 3, 0)[..., None].expand(B, H, W, S, c1).reshape(B, H, W, S * c1)  # channels-last
    h = F.conv2d(h.permute(0, 3, 1, 2), w1.reshape(S * c1, *w1.shape[2:]), p["conv1.bias"].reshape(S * c1),
                 padding=1, groups=S * c1)  # (B, S C_1, H, W), channels-last memory
    # max(relu(a)) = relu(max(a)), with the same gradient (to the window's first maximum, 0 where <= 0):
    # the ReLU on the 4x smaller map, and its backward on tensors of one memory layout (2x faster)
    return torch.relu(F.max_pool2d(h, 2)) if pool == "max" else F.avg_pool2d(torch.relu(h), 2)


def _flatten_head(p: dict[str, Tensor], h: Tensor, S: int) -> Tensor:
    """ReLU and the linear head on the flattened map: h (B, S C, h, w) channels-last, before its ReLU ->
    (S, B, K) logits, with the head's weights read in the (c, i, j) order of ``flatten(-3)``."""
    B, c, hw = h.shape[0], h.shape[1] // S, h.shape[-2:]
    h = h.permute(0, 2, 3, 1)  # (B, h, w, S C): the channels-last memory order, a view
    # flatten(-3) in (c, i, j) order = the features in (i, j, c) order with the weights permuted alike;
    # copied in (i, j, c) order, the gradient reaches the conv in its own memory layout (1.5x faster)
    feats = torch.relu(h.unflatten(3, (S, c)).permute(3, 0, 1, 2, 4).reshape(S, B, -1))  # (S, B, h w C)
    wh = p["head.weight"]  # (S, K, C h w)
    wh = wh.view(S, -1, c, *hw).permute(0, 1, 3, 4, 2).reshape(S, wh.shape[1], -1)  # (S, K, h w C)
    return _linear(feats, wh, p["head.bias"])  # (S, B, K)


def _cnn_kernel(side: int, pool: str, head: str) -> Kernel:
    """models.cnn.CNN: conv 3x3 -> ReLU -> pool 2x2 -> conv 3x3 -> ReLU -> pooled or flatten head."""

    def run(p: dict[str, Tensor], x: Tensor) -> Tensor:
        S, B = x.shape[:2]
        h = _stem(p, x, side, pool)  # (B, S C_1, H/2, W/2)
        h = _grouped_conv(h, p["conv2.weight"], p["conv2.bias"], 1)  # (B, S C_2, H/2, W/2)
        if head == "flatten":
            return _flatten_head(p, h, S)  # (S, B, K)
        c2 = p["conv2.weight"].shape[1]
        feats = torch.relu(h.permute(0, 2, 3, 1)).mean((1, 2)).view(B, S, c2).transpose(0, 1)  # (S, B, C_2)
        return _linear(feats, p["head.weight"], p["head.bias"])  # (S, B, K)

    return run


def _conv_pool_kernel(side: int) -> Kernel:
    """models.conv_pool.ConvPoolCNN: (conv 3x3 -> ReLU -> max-pool 2x2) twice -> flatten head. The CNN kernel
    with a second max-pool before the head's ReLU (relu(max) = max(relu), as in the stem); an odd map loses its
    last row and column at each pool (floor, as F.max_pool2d in the module)."""

    def run(p: dict[str, Tensor], x: Tensor) -> Tensor:
        h = _stem(p, x, side, "max")  # (B, S C_1, H//2, W//2)
        h = _grouped_conv(h, p["conv2.weight"], p["conv2.bias"], 1)  # (B, S C_2, H//2, W//2)
        return _flatten_head(p, F.max_pool2d(h, 2), x.shape[0])  # pool (B, S C_2, H//4, W//4) -> (S, B, K)

    return run


def _kernel_and_input(base: nn.Module) -> tuple[Kernel, tuple[int, ...]] | None:
    """A stacked kernel for the architectures the sweeps use, with an input shape to check it on."""
    from ..models.cnn import CNN
    from ..models.conv_pool import ConvPoolCNN
    from ..models.mlp import MLP

    if type(base) is MLP:
        layers = [*(f"hidden.{j}" for j in range(len(base.hidden))), "out"]
        names = [(f"{n}.weight", f"{n}.bias" if getattr(base.get_submodule(n), "bias", None) is not None else None)
                 for n in layers]
        return _mlp_kernel(names), (base.hidden[0].in_features if len(base.hidden) else base.out.in_features,)
    if type(base) is nn.Sequential:
        mods = list(base)
        if not mods or not isinstance(mods[0], nn.Linear) or not isinstance(mods[-1], nn.Linear):
            return None
        if any(type(m) is not (nn.Linear if j % 2 == 0 else nn.ReLU) for j, m in enumerate(mods)):
            return None  # only Linear, ReLU, Linear, ..., Linear
        names = [(f"{j}.weight", f"{j}.bias" if m.bias is not None else None) for j, m in enumerate(mods)
                 if isinstance(m, nn.Linear)]
        return _mlp_kernel(names), (mods[0].in_features,)
    if type(base) is CNN and getattr(base, "pool", None) in ("max", "avg") and \
            getattr(base, "head_kind", None) in ("pooled", "flatten"):
        return _cnn_kernel(base.side, base.pool, base.head_kind), (base.side * base.side,)
    if type(base) is ConvPoolCNN:
        return _conv_pool_kernel(base.side), (base.side * base.side,)
    return None


def _checked_kernel(stack: StackedModels) -> Kernel | None:
    """The kernel, if it equals vmap(functional_call) on a random input (else None: an unknown variant)."""
    if stack.buffers:
        return None
    found = _kernel_and_input(stack.base)
    if found is None:
        return None
    kernel, shape = found
    p0 = next(iter(stack.params.values()))
    x = torch.rand(stack.size, 3, *shape, generator=torch.Generator().manual_seed(0)).to(p0)  # (S, 3, ...)
    with torch.no_grad():
        try:
            ref, out = stack._vmapped(stack.params, x, True), kernel(stack.params, x)
        except (RuntimeError, KeyError, IndexError):
            return None
    ok = out.shape == ref.shape and bool(torch.allclose(out, ref, rtol=1e-4, atol=1e-5 * (1 + float(ref.abs().max()))))
    return kernel if ok else None


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
    t = torch.as_tensor(lr, dtype=torch.float64).flatten()
    if t.numel() != size:
        raise ValueError(f"need one learning rate per member ({size}), got {t.numel()}")
    if not bool((t > 0).all()):
        raise ValueError("learning rates must be positive")
    return t


class _FlatParams:
    """The stack's parameters copied into one flat buffer per dtype, as views that are the training leaves.

    Every parameter's gradient is a view of one flat gradient buffer too (autograd accumulates into it in
    place), so zeroing the gradients, the optimizer step and keeping the best members act on a few flat
    tensors per step instead of a Python loop over parameters. ``member``: (P,) the member of each element.
    """

    def __init__(self, params: dict[str, Tensor]) -> None:
        self.names = list(params)
        self.flat: list[Tensor] = []
        self.grad: list[Tensor] = []
        self.member: list[Tensor] = []
        self.slots: list[list[tuple[int, int]]] = []  # per flat buffer: (offset, elements per member) of each parameter
        self.views: dict[str, Tensor] = {}
        groups: dict[tuple[torch.dtype, torch.device], list[str]] = {}
        for k, v in params.items():
            groups.setdefault((v.dtype, v.device), []).append(k)
        for (dtype, device), names in groups.items():
            flat = torch.cat([params[k].detach().reshape(-1) for k in names])  # (P,)
            grad = torch.zeros_like(flat)
            member, slots, off = [], [], 0
            for k in names:
                v = params[k]
                n = v.numel()
                slots.append((off, n // v.shape[0]))
                leaf = flat[off: off + n].view(v.shape).requires_grad_()  # (S, ...) a view of flat
                leaf.grad = grad[off: off + n].view(v.shape)
                self.views[k] = leaf
                member.append(torch.arange(v.shape[0], device=device).repeat_interleave(n // v.shape[0]))
                off += n
            self.flat.append(flat)
            self.grad.append(grad)
            self.member.append(torch.cat(member))  # (P,)
            self.slots.append(slots)

    def per_element(self, per_member: Tensor) -> list[Tensor]:
        """(S,) values -> each flat buffer's (P,) values (the value of the element's member)."""
        return [per_member.to(f.device)[m] for f, m in zip(self.flat, self.member)]

    def zero_grad(self) -> None:
        for g in self.grad:
            g.zero_()

    @torch.no_grad()
    def write_back(self, params: dict[str, Tensor]) -> None:
        for k in self.names:
            params[k].copy_(self.views[k])
            self.views[k].grad = None


def _runs(members: list[int]) -> list[tuple[int, int]]:
    """Sorted member indices -> runs [s0, s1) of consecutive ones: [0, 1, 2, 5] -> [(0, 3), (5, 6)]."""
    runs: list[tuple[int, int]] = []
    for s in members:
        if runs and runs[-1][1] == s:
            runs[-1] = (runs[-1][0], s + 1)
        else:
            runs.append((s, s + 1))
    return runs


class _FlatOptimizer:
    """Adam or plain SGD over the flat buffers, with one learning rate per member, no loop over parameters.

    Adam (Kingma & Ba, PyTorch's defaults and order of operations): g <- g + wd p;
    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
    p <- p - lr_s / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).   SGD: p <- p - lr_s g.
    Adam runs as PyTorch's fused CPU kernel (``torch._fused_adam_``, what ``Adam(fused=True)`` calls), once
    per distinct learning rate over the slices of the members that use it (a parameter of member s is a
    contiguous slice of a flat buffer). Every step is element-wise, so each member moves as under its own
    torch.optim optimizer.
    """

    def __init__(self, fp: _FlatParams, lr: float | Tensor, kind: str, weight_decay: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.fp, self.kind, self.wd, self.betas, self.eps = fp, kind, weight_decay, betas, eps
        self.m = [torch.zeros_like(f) for f in fp.flat]
        self.v = [torch.zeros_like(f) for f in fp.flat]
        self.t = torch.zeros(())  # the step count t, as the fused kernel reads it
        # (lr, params, grads, m, v): per flat buffer (one per dtype), the whole buffer for one lr; else per
        # distinct lr the (parameter, member) slices of the members that use it
        self.groups: list[tuple[float, list[Tensor], list[Tensor], list[Tensor], list[Tensor]]] = []
        for j, bufs in enumerate(zip(fp.flat, fp.grad, self.m, self.v)):
            if isinstance(lr, float):
                self.groups.append((lr, *([b] for b in bufs)))
                continue
            lrs = lr.tolist()
            for a in sorted(set(lrs)):
                runs = _runs([s for s, r in enumerate(lrs) if r == a])  # consecutive members: one slice each
                self.groups.append((a, *([b[o + s0 * n: o + s1 * n] for o, n in fp.slots[j] for s0, s1 in runs]
                                         for b in bufs)))
        self.lr_elem = None if isinstance(lr, float) else [r.to(f) for r, f in zip(fp.per_element(lr), fp.flat)]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        if self.kind == "adam":
            for lr, ps, gs, ms_, vs in self.groups:
                torch._fused_adam_(ps, gs, ms_, vs, [], [self.t] * len(ps), lr=lr, beta1=b1, beta2=b2,
                                   weight_decay=self.wd, eps=self.eps, amsgrad=False, maximize=False)
            return
        for j, (p, g) in enumerate(zip(self.fp.flat, self.fp.grad)):  # SGD
            if self.wd != 0:
                g = g.add(p, alpha=self.wd)
            if self.lr_elem is None:
                p.add_(g, alpha=-self.groups[0][0])
            else:
                p.addcmul_(self.lr_elem[j], g, value=-1)


def _batch_loss(loss: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
    """loss(pred, target) (a mean over the batch) -> a function of (S, B, ...) pairs giving (S,) losses."""
    if loss is F.cross_entropy:
        return _stacked_cross_entropy
    vmapped = vmap(loss, in_dims=(0, 0))
    if loss is F.mse_loss:  # mean_b |pred - target|^2 per member (shapes alike; else F.mse_loss's broadcasting)
        return lambda pred, target: ((pred - target).square().flatten(1).mean(1) if pred.shape == target.shape
                                     else vmapped(pred, target))  # (S,)
    return vmapped


def _batch_score(score: Callable[[Tensor, Tensor], Tensor] | None, per_member: bool) -> Callable[[Tensor, Tensor], Tensor]:
    """score(pred, target) -> a function of (S, N, ...) predictions giving (S,) scores (default: accuracy)."""
    if score is None:
        return lambda pred, target: (pred.argmax(-1) == target).float().mean(-1)  # (S,)
    return vmap(score, in_dims=(0, 0 if per_member else None))


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

    One step: the members' batches gathered with one index_select, the stacked forward (``stack.kernel``,
    else vmap), the summed per-member losses' backward into one flat gradient, one flat optimizer step.
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
    B = rows.shape[-1]
    if per_member_data:  # member s's row i is row s N + i of the (S N, ...) data
        rows = rows + n * torch.arange(S)[:, None]
        xf, yf = x.reshape(S * n, *x.shape[2:]), y.reshape(S * n, *y.shape[2:])  # (S N, ...)
    else:
        xf, yf = x, y
    rows = rows.reshape(steps, S * B).to(x.device)  # (steps, S B)
    lrs = _member_lr(lr, S)
    fp = _FlatParams(stack.params)
    opt = _FlatOptimizer(fp, float(lr) if lrs is None else lrs, optimizer, weight_decay)  # type: ignore[arg-type]
    per_seed_loss = _batch_loss(loss)
    per_seed_score = _batch_score(score, per_member_data)
    best = [f.clone() for f in fp.flat] if val is not None else None
    best_score = torch.full((S,), -math.inf)
    best_step = torch.full((S,), steps, dtype=torch.long)
    evals: list[tuple[int, list[float]]] = []
    history: list[Tensor] = []  # (S,) losses per step, detached (no copy, no sync)
    for step in range(steps):
        idx = rows[step]  # (S B,)
        xb = xf.index_select(0, idx).view(S, B, *xf.shape[1:])  # (S, B, ...)
        yb = yf.index_select(0, idx).view(S, B, *yf.shape[1:])
        losses = per_seed_loss(stack.apply(fp.views, xb, per_seed_input=True), yb)  # (S,)
        fp.zero_grad()
        losses.sum().backward()
        opt.step()
        history.append(losses.detach())
        done = step + 1
        if best is not None and (done == steps or (eval_every > 0 and done % eval_every == 0)):
            with torch.no_grad():
                pred = stack.apply(fp.views, val[0], per_seed_input=per_member_data)  # (S, N_val, ...)
                sc = per_seed_score(pred, val[1]).float().cpu()  # (S,)
            evals.append((done, sc.tolist()))
            better = sc > best_score
            if bool(better.any()):
                best_score = torch.where(better, sc, best_score)
                best_step = torch.where(better, torch.tensor(done), best_step)
                for keep, f, kept in zip(fp.per_element(better), fp.flat, best):
                    kept.copy_(torch.where(keep, f, kept))
    if best is not None:
        for f, kept in zip(fp.flat, best):
            f.copy_(kept)
    fp.write_back(stack.params)
    scores = best_score.tolist() if best is not None else [math.nan] * S
    return Fit(torch.stack(history).tolist() if history else [], best_step.tolist(), scores, evals)


def _stacked_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """(S, B, C) logits, (S, B) classes -> (S,) mean cross-entropy per member: mean_b logsumexp(z_b) - z_b[y_b].

    One fused F.cross_entropy over the S B rows (reduction "none"), then the mean per member: the same
    as ``vmap(F.cross_entropy)`` without vmap's per-call overhead (the hot path of every step).
    """
    S, B, C = logits.shape
    return F.cross_entropy(logits.reshape(S * B, C), target.reshape(S * B), reduction="none").view(S, B).mean(1)


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
