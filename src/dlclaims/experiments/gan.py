"""minmax.gan: the cycling of simultaneous gradient play in a small GAN, and its cure.

Claim judged: minmax.gan (question Q-minmax; the bilinear game itself is experiments/minmax.py).

A generator and a discriminator (models/gan.py) play on an 8-mode Gaussian mixture on a ring. Three
update rules act on the pair (theta_G, theta_D), each on Adam-preconditioned directions d(theta)
(Adam's moments per rule; extragradient keeps one set of moments for the extrapolation gradients and
one for the update gradients):
    simultaneous GDA:   theta <- theta - eta d(theta)
    extragradient:      theta' = theta - eta d(theta);  theta <- theta - eta d(theta')
    optimistic GDA:     theta <- theta - eta (2 d_t - d_{t-1})
Fair comparison: every rule gets the same number of gradient evaluations (extragradient takes two per
step, so it takes half as many steps), and its own learning rate, tuned on separate tuning seeds (their
own initialisations and data) by the late energy distance; the judged seeds then train at each rule's
tuned rate. Members of a sweep (tuning seeds x learning rates, then the judged seeds) train together:
parameters stacked with torch.func, the losses vmapped, each member with its own learning rate.
Over training: modes covered (a mode holds >= 1% of the samples within 3 std) and the energy distance
to held-out data, at checkpoints equally spaced in gradient evaluations.
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
from ..core.stats import equivalence_test, holm, mean_p_value
from ..data.toy2d import energy_distance, mixture_means, modes_covered, sample_mixture
from ..models.gan import Discriminator, Generator
from .gen import ci_dict, single_thread

Rule = Literal["simultaneous", "extragradient", "optimistic"]
RULES: tuple[str, ...] = ("simultaneous", "extragradient", "optimistic")
CURES: tuple[str, ...] = ("extragradient", "optimistic")
TUNE_SEED0 = 1000  # tuning seeds are 1000, 1001, ...: never a judged seed


@dataclass(frozen=True)
class GanConfig:
    grad_evals: int = 4000  # gradient evaluations per rule (extragradient: grad_evals / 2 steps)
    lrs: tuple[float, ...] = (1e-3, 3e-3, 1e-2)  # each rule's learning rate is tuned over these
    tune_seeds: int = 2  # tuning seeds (separate from the judged ones)
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
    alpha: float = 0.05  # family-wise level of each part's tests
    modes_margin: float = 0.5  # equivalence margin: modes covered
    energy_margin: float = 0.2  # equivalence margin: log of the energy-distance ratio

    def __post_init__(self) -> None:
        require(self.grad_evals >= 20, f"grad_evals must be at least 20, got {self.grad_evals}")
        require(len(self.lrs) >= 1 and all(x > 0 for x in self.lrs), "lrs must be positive")
        require(self.tune_seeds >= 1, "tune_seeds must be at least 1")
        require(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "betas: two numbers in [0, 1)")
        require(self.hidden >= 1 and self.depth >= 1 and self.d_noise >= 1 and self.batch_size >= 1,
                "hidden, depth, d_noise and batch_size must be at least 1")
        require(self.n_modes >= 2 and self.radius > 0 and self.std > 0, "n_modes >= 2, radius > 0, std > 0")
        require(4 <= self.checkpoints <= self.grad_evals // 2 and 0 < self.late_share <= 1,
                "4 <= checkpoints <= grad_evals / 2 and late_share in (0, 1]")
        require(self.n_eval >= 100, "n_eval must be at least 100")
        require(0 < self.alpha < 0.5 and self.modes_margin > 0 and self.energy_margin > 0,
                "alpha in (0, 0.5), margins positive")


class _Adam:
    """Adam's direction m_hat / (sqrt(v_hat) + eps) on a list of stacked tensors (element-wise per member)."""

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


def train_rule(rule: str, cfg: GanConfig, seeds: list[int], lrs: list[float], device: torch.device,
               sample_members: tuple[int, ...] = ()) -> dict:
    """Train one member per (seed, lr) pair with ``rule`` for cfg.grad_evals gradient evaluations.

    Returns per checkpoint (equally spaced in gradient evaluations) the modes covered and the energy
    distance of every member: lists of shape (C, E); ``samples[i]``: 300 samples of member i per checkpoint."""
    E = len(seeds)
    gens, discs = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        gens.append(Generator(cfg.d_noise, 2, cfg.hidden, cfg.depth, generator=g).to(device))
        discs.append(Discriminator(2, cfg.hidden, cfg.depth, generator=g).to(device))
    pG = {k: v.detach().clone() for k, v in stack_module_state(gens)[0].items()}  # name -> (E, ...)
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

    uniq = sorted(set(seeds))
    data_gens = [torch.Generator().manual_seed(50_000 + s) for s in uniq]  # a seed's batches, whatever rule or lr
    which = torch.tensor([uniq.index(s) for s in seeds], device=device)  # (E,) member -> its seed's batch
    eval_z = torch.randn((cfg.n_eval, cfg.d_noise), generator=torch.Generator().manual_seed(7)).to(device)
    heldout = sample_mixture(cfg.n_eval, k=cfg.n_modes, radius=cfg.radius, std=cfg.std,
                             generator=torch.Generator().manual_seed(8))[0].to(device)
    means = mixture_means("ring", cfg.n_modes, radius=cfg.radius).to(device)
    params = [*pG.values(), *pD.values()]
    lr_t = torch.as_tensor(lrs, dtype=params[0].dtype, device=device)  # (E,)
    lr = [lr_t.view(-1, *([1] * (p.dim() - 1))) for p in params]  # (E, 1, ..., 1) per tensor
    adam, adam_extra = _Adam(cfg.betas), _Adam(cfg.betas)
    prev: list[Tensor] | None = None
    per_step = 2 if rule == "extragradient" else 1
    steps = cfg.grad_evals // per_step
    every = max(1, steps // cfg.checkpoints)
    trace: dict = {"grad_evals": [], "modes": [], "energy": [], "samples": {i: [] for i in sample_members}}
    for step in range(1, steps + 1):
        xs, zs = [], []
        for g in data_gens:
            xs.append(sample_mixture(cfg.batch_size, k=cfg.n_modes, radius=cfg.radius, std=cfg.std, generator=g)[0])
            zs.append(torch.randn((cfg.batch_size, cfg.d_noise), generator=g))
        x, z = torch.stack(xs).to(device)[which], torch.stack(zs).to(device)[which]  # (E, B, 2), (E, B, Z)
        d = adam.direction(grads(params, x, z))
        with torch.no_grad():
            if rule == "simultaneous":
                params = [p - a * di for p, a, di in zip(params, lr, d)]
            elif rule == "optimistic":
                last = d if prev is None else prev
                params = [p - a * (2 * di - li) for p, a, di, li in zip(params, lr, d, last)]
                prev = d
            else:  # extragradient: look ahead, then step from the start with the look-ahead direction
                ahead = [p - a * di for p, a, di in zip(params, lr, d)]
        if rule == "extragradient":
            d2 = adam_extra.direction(grads(ahead, x, z))
            with torch.no_grad():
                params = [p - a * di for p, a, di in zip(params, lr, d2)]
        if step % every == 0 and len(trace["grad_evals"]) < cfg.checkpoints:
            with torch.no_grad():
                modes, energy = [], []
                for i in range(E):
                    pg = {k: params[j][i] for j, k in enumerate(names[:n_g])}
                    xs_ = functional_call(base_g, pg, (eval_z,))
                    modes.append(modes_covered(xs_, means, cfg.std)[0])
                    energy.append(energy_distance(xs_, heldout))
                    if i in trace["samples"]:
                        trace["samples"][i].append(xs_[:300].tolist())
            trace["grad_evals"].append(step * per_step)
            trace["modes"].append(modes)
            trace["energy"].append(energy)
    del E
    return trace


def _late(trace: dict[str, list], key: str, share: float) -> np.ndarray:
    """Per-member mean of ``key`` over the last ``share`` of checkpoints: (E,)."""
    arr = np.asarray(trace[key], dtype=float)  # (C, E)
    n = max(1, round(share * arr.shape[0]))
    return arr[-n:].mean(0)


def run(cfg: GanConfig, ctx: RunContext) -> Measurements:
    with single_thread():
        seed_everything(ctx.seeds[0])
        tune = [TUNE_SEED0 + i for i in range(cfg.tune_seeds)]
        seeds = list(ctx.seeds)
        out: dict = {"seeds": seeds, "tune_seeds": tune, "lrs": list(cfg.lrs), "tuning": {}, "lr": {}, "rules": {}}
        members = [(s, lr) for lr in cfg.lrs for s in tune]  # the (lr x tuning seed) sweep: one stack per rule
        for rule in RULES:
            tr = train_rule(rule, cfg, [s for s, _ in members], [lr for _, lr in members], ctx.device)
            late = _late(tr, "energy", cfg.late_share).reshape(len(cfg.lrs), len(tune))  # (L, T)
            crit = np.where(np.isfinite(late), late, np.inf).mean(1)  # (L,)
            best = float(cfg.lrs[int(np.argmin(crit))])
            out["tuning"][rule] = {"late_energy_distance": late.tolist(), "criterion": crit.tolist()}
            out["lr"][rule] = best
            tr = train_rule(rule, cfg, seeds, [best] * len(seeds), ctx.device, sample_members=(0,))
            out["rules"][rule] = {"grad_evals": tr["grad_evals"], "modes": tr["modes"], "energy": tr["energy"],
                                  "samples": tr["samples"][0]}
        return out


def oscillation(energy: list[list[float]]) -> np.ndarray:
    """Per seed, the spread of log energy distance over the second half of the checkpoints about its own
    straight-line trend (residual standard deviation): oscillation, not the trend of a slow convergence.
    energy: (C, S) -> (S,)."""
    arr = np.log(np.asarray(energy, dtype=float))  # (C, S)
    half = arr[arr.shape[0] // 2:]  # (H, S)
    t = np.arange(half.shape[0], dtype=float)
    X = np.stack([np.ones_like(t), t], 1)  # (H, 2)
    coef, *_ = np.linalg.lstsq(X, half, rcond=None)  # (2, S)
    resid = half - X @ coef
    return resid.std(0, ddof=2) if half.shape[0] > 2 else np.full(arr.shape[1], np.nan)


def _p(values: np.ndarray, alternative: str) -> float:
    p = mean_p_value(list(values), 0.0, alternative)
    return 1.0 if not np.isfinite(p) else p


def _cure_part(diffs: dict[str, np.ndarray], margin: float, alpha: float) -> tuple[bool | None, dict]:
    """Does some cure improve on simultaneous GDA? ``diffs[cure]``: per-seed improvements (cure better > 0).

    Symmetric, Holm-corrected over the cures: True if Holm rejects "no improvement" for some cure; False if,
    for every cure, Holm rejects "no worsening" or an equivalence test (TOST, +-margin) shows no change;
    None otherwise."""
    cures = list(diffs)
    better = holm([_p(diffs[c], "greater") for c in cures], alpha)
    worse = holm([_p(diffs[c], "less") for c in cures], alpha)
    eq = {c: equivalence_test(list(diffs[c]), margin, alpha) for c in cures}
    detail = {c: {"improvement": ci_dict(list(diffs[c])), "better_p": _p(diffs[c], "greater"),
                  "worse_p": _p(diffs[c], "less"), "better_after_holm": b, "worse_after_holm": w,
                  "equivalent": eq[c].equivalent, "equivalence_p": eq[c].p_value}
              for c, b, w in zip(cures, better, worse)}
    if any(better):
        return True, detail
    if all(w or eq[c].equivalent is True for c, w in zip(cures, worse)):
        return False, detail
    return None, detail


def judge(runs: list[Measurements], cfg: GanConfig) -> list:
    m = runs[0]
    tr = m["rules"]
    numbers: dict[str, object] = {"tuned_lr": m["lr"], "lrs": m["lrs"], "tune_seeds": m["tune_seeds"],
                                  "tuning_criterion": {r: m["tuning"][r]["criterion"] for r in RULES},
                                  "seeds": len(m["seeds"]), "grad_evals": cfg.grad_evals}
    late = {r: {k: _late(tr[r], k, cfg.late_share) for k in ("modes", "energy")} for r in RULES}
    spread = {rule: oscillation(tr[rule]["energy"]) for rule in RULES}  # (S,) each
    for rule in RULES:
        numbers[rule] = {"late_modes": ci_dict(list(late[rule]["modes"])),
                         "late_energy_distance": ci_dict(list(late[rule]["energy"])),
                         "second_half_oscillation": ci_dict(list(spread[rule]))}
    # cycling: simultaneous GDA's energy distance oscillates more in the second half than every cure's
    cyc = {c: np.log(spread["simultaneous"] / spread[c]) for c in CURES}
    p_more = [_p(cyc[c], "greater") for c in CURES]
    p_less = [_p(cyc[c], "less") for c in CURES]
    cycles = True if all(p < cfg.alpha for p in p_more) else False if all(p < cfg.alpha for p in p_less) else None
    numbers["cycling_log_cv_ratio_simultaneous_over"] = {
        c: {**ci_dict(list(cyc[c])), "more_p": pm, "less_p": pl} for c, pm, pl in zip(CURES, p_more, p_less)}
    modes, m_detail = _cure_part({c: late[c]["modes"] - late["simultaneous"]["modes"] for c in CURES},
                                 cfg.modes_margin, cfg.alpha)
    closer, e_detail = _cure_part({c: np.log(late["simultaneous"]["energy"] / late[c]["energy"]) for c in CURES},
                                  cfg.energy_margin, cfg.alpha)
    numbers["modes_cure_minus_simultaneous"] = m_detail
    numbers["log_energy_simultaneous_over_cure"] = e_detail
    return [verdict_from_parts(
        "minmax.gan",
        parts={"simultaneous GDA cycles: its energy distance oscillates more in the second half than under "
               "either cure": cycles,
               "extragradient or optimism covers more modes than simultaneous GDA": modes,
               "extragradient or optimism ends closer to the data than simultaneous GDA": closer},
        rule=f"the same GANs trained by each rule for {cfg.grad_evals} gradient evaluations (extragradient: two per "
             f"step, so half the steps), each rule at its own learning rate from {list(cfg.lrs)} tuned on "
             f"{cfg.tune_seeds} separate tuning seeds by the late energy distance; on the judged seeds, late = mean "
             f"over the last {cfg.late_share:g} of {cfg.checkpoints} checkpoints; paired per-seed differences, "
             f"one-sided t-tests at family-wise level {cfg.alpha:g}. Cycling: the oscillation of log energy distance "
             "over the second half of training (residual std about its straight-line trend), log(simultaneous / "
             "cure), is above 0 for both cures (fails if below 0 for both). Modes and closeness (cure minus simultaneous, log(ED simultaneous / ED cure)): "
             "holds if Holm over the two cures finds one better; fails if every cure is worse (Holm) or "
             f"equivalent (TOST, margins {cfg.modes_margin:g} modes, {cfg.energy_margin:g} in log ED); "
             "undecided otherwise",
        numbers=numbers,
        figures=["samples", "training"],
    )]


def figures(runs: list[Measurements], cfg: GanConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    tr = runs[0]["rules"]
    cols = 5
    steps = tr["simultaneous"]["grad_evals"]
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
            ax.set_title(f"{rule} @ {tr[rule]['grad_evals'][j]} grads", fontsize=8)
    fig.suptitle("GAN samples over training, seed 0 (x = data modes)")
    out.save(fig, "samples")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for rule in RULES:
        st = tr[rule]["grad_evals"]
        for ax, key in zip(axes, ("modes", "energy")):
            arr = np.asarray(tr[rule][key], dtype=float)
            ax.plot(st, arr.mean(1), label=rule)
            ax.fill_between(st, arr.min(1), arr.max(1), alpha=0.15)
    axes[0].set_ylabel("modes covered (mean, min-max over seeds)")
    axes[1].set_ylabel("energy distance to held-out data")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xlabel("gradient evaluations")
    axes[0].legend()
    out.save(fig, "training")


EXPERIMENT = experiment(
    "gan",
    question="Q-minmax",
    claims=("minmax.gan",),
    configs={"quick": GanConfig(grad_evals=240, lrs=(3e-3, 1e-2), tune_seeds=1, hidden=16, batch_size=64,
                                checkpoints=8, n_eval=200),
             "full": GanConfig(grad_evals=2000, batch_size=128)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="A small GAN on a 2-D Gaussian mixture: simultaneous GDA vs extragradient vs optimistic.",
)
