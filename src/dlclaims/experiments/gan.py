"""minmax.gan: the cycling of simultaneous gradient play in a small GAN, and its cure.

Claim judged: minmax.gan (question Q-minmax; the bilinear game itself is experiments/minmax.py).

A generator and a discriminator (models/gan.py) play on an 8-mode Gaussian mixture on a ring. The
same initialisations, data and noise are trained with three update rules on the pair (theta_G, theta_D),
each on Adam-preconditioned directions d(theta) (Adam's moments per rule; extragradient keeps one set
of moments for the extrapolation gradients and one for the update gradients):
    simultaneous GDA:   theta <- theta - eta d(theta)
    extragradient:      theta' = theta - eta d(theta);  theta <- theta - eta d(theta')
    optimistic GDA:     theta <- theta - eta (2 d_t - d_{t-1})
The S seeds of every rule train together: parameters stacked with torch.func, the losses vmapped
(the multi-seed idea of ``dlclaims.core.multiseed``, with the two-player update written out here).
Over training: modes covered (a mode holds >= 1% of 1000 samples within 3 std) and the energy distance
to held-out data, at regular checkpoints.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call, stack_module_state, vmap

from ..core import (
    FigureSink,
    Measurements,
    RunContext,
    experiment,
    require,
    seed_everything,
    verdict_from_parts,
)
from ..data.toy2d import energy_distance, mixture_means, modes_covered, sample_mixture
from ..models.gan import Discriminator, Generator
from .gen import ci_dict, sign_of, single_thread

Rule = Literal["simultaneous", "extragradient", "optimistic"]
RULES: tuple[str, ...] = ("simultaneous", "extragradient", "optimistic")


@dataclass(frozen=True)
class GanConfig:
    steps: int = 4000
    lr: float = 3e-3
    betas: tuple[float, ...] = (0.5, 0.9)  # Adam's (beta1, beta2)
    hidden: int = 64
    depth: int = 2
    d_noise: int = 8
    batch_size: int = 256
    n_modes: int = 8
    radius: float = 2.0
    std: float = 0.1
    checkpoints: int = 20  # evaluations over training
    late_share: float = 0.25  # the last share of checkpoints averaged for the comparison
    n_eval: int = 1000

    def __post_init__(self) -> None:
        require(self.steps >= 10, f"steps must be at least 10, got {self.steps}")
        require(self.lr > 0 and len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
                "lr must be positive and betas two numbers in [0, 1)")
        require(self.hidden >= 1 and self.depth >= 1 and self.d_noise >= 1 and self.batch_size >= 1,
                "hidden, depth, d_noise and batch_size must be at least 1")
        require(self.n_modes >= 2 and self.radius > 0 and self.std > 0, "n_modes >= 2, radius > 0, std > 0")
        require(2 <= self.checkpoints <= self.steps and 0 < self.late_share <= 1,
                "2 <= checkpoints <= steps and late_share in (0, 1]")
        require(self.n_eval >= 100, "n_eval must be at least 100")


class _Adam:
    """Adam's direction m_hat / (sqrt(v_hat) + eps) on a list of stacked tensors (element-wise per seed)."""

    def __init__(self, betas: tuple[float, ...], eps: float = 1e-8) -> None:
        self.b1, self.b2 = betas
        self.eps = eps
        self.t = 0
        self.m: list[Tensor] = []
        self.v: list[Tensor] = []

    def direction(self, grads: list[Tensor]) -> list[Tensor]:
        if not self.m:
            self.m = [torch.zeros_like(g) for g in grads]
            self.v = [torch.zeros_like(g) for g in grads]
        self.t += 1
        out = []
        for i, g in enumerate(grads):
            self.m[i].mul_(self.b1).add_(g, alpha=1 - self.b1)
            self.v[i].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            out.append((self.m[i] / (1 - self.b1**self.t)) / ((self.v[i] / (1 - self.b2**self.t)).sqrt() + self.eps))
        return out


def _train_rule(rule: str, cfg: GanConfig, seeds: tuple[int, ...], device: torch.device) -> dict[str, list]:
    gens, discs = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        gens.append(Generator(cfg.d_noise, 2, cfg.hidden, cfg.depth, generator=g).to(device))
        discs.append(Discriminator(2, cfg.hidden, cfg.depth, generator=g).to(device))
    pG = {k: v.detach().clone() for k, v in stack_module_state(gens)[0].items()}  # name -> (S, ...)
    pD = {k: v.detach().clone() for k, v in stack_module_state(discs)[0].items()}
    base_g, base_d = copy.deepcopy(gens[0]).to("meta"), copy.deepcopy(discs[0]).to("meta")
    names = list(pG) + list(pD)
    n_g = len(pG)

    def losses(pg: dict[str, Tensor], pd: dict[str, Tensor], x: Tensor, z: Tensor) -> Tensor:
        fake = functional_call(base_g, pg, (z,))
        d_real = functional_call(base_d, pd, (x,))
        d_fake = functional_call(base_d, pd, (fake.detach(),))
        d_gen = functional_call(base_d, {k: v.detach() for k, v in pd.items()}, (fake,))
        # discriminator: -E log s(D(x)) - E log(1 - s(D(G(z)))); generator (non-saturating): -E log s(D(G(z)))
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean() + F.softplus(-d_gen).mean()

    batched = vmap(losses)

    def grads(params: list[Tensor], x: Tensor, z: Tensor) -> list[Tensor]:
        leaves = [p.detach().requires_grad_() for p in params]
        pg, pd = dict(zip(names[:n_g], leaves[:n_g])), dict(zip(names[n_g:], leaves[n_g:]))
        return list(torch.autograd.grad(batched(pg, pd, x, z).sum(), leaves))

    data_gens = [torch.Generator().manual_seed(50_000 + s) for s in seeds]  # the same batches for every rule
    eval_z = torch.randn((cfg.n_eval, cfg.d_noise), generator=torch.Generator().manual_seed(7)).to(device)
    heldout = sample_mixture(cfg.n_eval, k=cfg.n_modes, radius=cfg.radius, std=cfg.std,
                             generator=torch.Generator().manual_seed(8))[0].to(device)
    means = mixture_means("ring", cfg.n_modes, radius=cfg.radius).to(device)
    params = [*pG.values(), *pD.values()]
    adam, adam_extra = _Adam(cfg.betas), _Adam(cfg.betas)
    prev: list[Tensor] | None = None
    every = max(1, cfg.steps // cfg.checkpoints)
    trace: dict[str, list] = {"step": [], "modes": [], "energy": [], "samples": []}
    for step in range(1, cfg.steps + 1):
        xs, zs = [], []
        for g in data_gens:
            xs.append(sample_mixture(cfg.batch_size, k=cfg.n_modes, radius=cfg.radius, std=cfg.std, generator=g)[0])
            zs.append(torch.randn((cfg.batch_size, cfg.d_noise), generator=g))
        x, z = torch.stack(xs).to(device), torch.stack(zs).to(device)  # (S, B, 2), (S, B, Z)
        d = adam.direction(grads(params, x, z))
        with torch.no_grad():
            if rule == "simultaneous":
                params = [p - cfg.lr * di for p, di in zip(params, d)]
            elif rule == "optimistic":
                last = d if prev is None else prev
                params = [p - cfg.lr * (2 * di - li) for p, di, li in zip(params, d, last)]
                prev = d
            else:  # extragradient: look ahead, then step from the start with the look-ahead direction
                ahead = [p - cfg.lr * di for p, di in zip(params, d)]
        if rule == "extragradient":
            d2 = adam_extra.direction(grads(ahead, x, z))
            with torch.no_grad():
                params = [p - cfg.lr * di for p, di in zip(params, d2)]
        if step % every == 0 or step == cfg.steps:
            with torch.no_grad():
                modes, energy, samples = [], [], []
                for i in range(len(seeds)):
                    pg = {k: params[j][i] for j, k in enumerate(names[:n_g])}
                    xs_ = functional_call(base_g, pg, (eval_z,))
                    modes.append(modes_covered(xs_, means, cfg.std)[0])
                    energy.append(energy_distance(xs_, heldout))
                    samples.append(xs_[:300].tolist() if i == 0 else None)
            trace["step"].append(step)
            trace["modes"].append(modes)
            trace["energy"].append(energy)
            trace["samples"].append(samples[0])
    return trace


def run(cfg: GanConfig, ctx: RunContext) -> Measurements:
    with single_thread():
        seed_everything(ctx.seeds[0])
        return {"seeds": list(ctx.seeds),
                "rules": {rule: _train_rule(rule, cfg, ctx.seeds, ctx.device) for rule in RULES}}


def _late(trace: dict[str, list], key: str, share: float) -> np.ndarray:
    """Per-seed mean of ``key`` over the last ``share`` of checkpoints: (S,)."""
    arr = np.asarray(trace[key], dtype=float)  # (C, S)
    n = max(1, round(share * arr.shape[0]))
    return arr[-n:].mean(0)


def judge(runs: list[Measurements], cfg: GanConfig) -> list:
    tr = runs[0]["rules"]
    sim_modes, sim_ed = _late(tr["simultaneous"], "modes", cfg.late_share), _late(tr["simultaneous"], "energy",
                                                                                   cfg.late_share)
    numbers: dict[str, object] = {}
    more_modes, closer = {}, {}
    for cure in ("extragradient", "optimistic"):
        modes, ed = _late(tr[cure], "modes", cfg.late_share), _late(tr[cure], "energy", cfg.late_share)
        dm = ci_dict(list(modes - sim_modes))
        de = ci_dict(list(np.log(sim_ed / ed)))
        more_modes[cure], closer[cure] = sign_of(dm), sign_of(de)
        numbers[f"{cure}_minus_simultaneous_modes"] = dm
        numbers[f"log_ed_simultaneous_over_{cure}"] = de
    for rule in RULES:
        ed_tr = np.asarray(tr[rule]["energy"], dtype=float)
        half = ed_tr[ed_tr.shape[0] // 2:]
        numbers[rule] = {"late_modes": ci_dict(list(_late(tr[rule], "modes", cfg.late_share))),
                         "late_energy_distance": ci_dict(list(_late(tr[rule], "energy", cfg.late_share))),
                         "second_half_energy_cv": ci_dict(list(half.std(0) / half.mean(0)))}

    def any_cure(signs: dict[str, bool | None]) -> bool | None:
        if any(v is True for v in signs.values()):
            return True
        return False if all(v is False for v in signs.values()) else None

    return [verdict_from_parts(
        "minmax.gan",
        parts={"extragradient or optimism covers more modes than simultaneous GDA": any_cure(more_modes),
               "extragradient or optimism ends closer to the data than simultaneous GDA": any_cure(closer)},
        rule=f"the same GANs (same init, data, noise; Adam directions, lr {cfg.lr:g}) trained {cfg.steps} steps by "
             "each rule; late = mean over the last "
             f"{cfg.late_share:g} of {cfg.checkpoints} checkpoints; a cure holds if, for extragradient or optimistic "
             "GDA, the 95% interval across seeds of (its modes - simultaneous modes), resp. log(ED simultaneous / "
             "ED its), lies above 0; fails if both lie below 0",
        numbers={**numbers, "seeds": len(runs[0]["seeds"])},
        figures=["samples", "training"],
    )]


def figures(runs: list[Measurements], cfg: GanConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    tr = runs[0]["rules"]
    cols = 5
    steps = tr["simultaneous"]["step"]
    pick = np.unique(np.linspace(0, len(steps) - 1, cols).round().astype(int))
    means = mixture_means("ring", cfg.n_modes, radius=cfg.radius).numpy()
    fig, axes = plt.subplots(len(RULES), len(pick), figsize=(2.6 * len(pick), 2.6 * len(RULES)),
                             sharex=True, sharey=True)
    for r, rule in enumerate(RULES):
        for c, j in enumerate(pick):
            ax = axes[r, c]
            p = np.asarray(tr[rule]["samples"][j], dtype=float)
            ax.scatter(means[:, 0], means[:, 1], c="r", s=12, marker="x")
            ax.scatter(p[:, 0], p[:, 1], s=2)
            ax.set_xlim(-3.5, 3.5)
            ax.set_ylim(-3.5, 3.5)
            ax.set_title(f"{rule} @ {steps[j]}", fontsize=8)
    fig.suptitle("GAN samples over training, seed 0 (x = data modes)")
    out.save(fig, "samples")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for rule in RULES:
        st = tr[rule]["step"]
        for ax, key in zip(axes, ("modes", "energy")):
            arr = np.asarray(tr[rule][key], dtype=float)
            ax.plot(st, arr.mean(1), label=rule)
            ax.fill_between(st, arr.min(1), arr.max(1), alpha=0.15)
    axes[0].set_ylabel("modes covered (mean, min-max over seeds)")
    axes[1].set_ylabel("energy distance to held-out data")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xlabel("step")
    axes[0].legend()
    out.save(fig, "training")


EXPERIMENT = experiment(
    "gan",
    question="Q-minmax",
    claims=("minmax.gan",),
    configs={"quick": GanConfig(steps=400, batch_size=128, checkpoints=10, n_eval=500), "full": GanConfig(steps=3000)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="A small GAN on a 2-D Gaussian mixture: simultaneous GDA vs extragradient vs optimistic.",
)
