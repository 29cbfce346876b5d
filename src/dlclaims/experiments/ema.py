"""Q-ema: Adam's exponential moving averages against plain running means of all past gradients.

Claims judged: ema.adaptivity, ema.noise, ema.adagrad (beyond).

- adaptivity: f(theta) = h/2 (theta - c)^2 + gradient noise, the optimum c jumps from +c0 to -c0
  mid-run; steps until theta settles near the new optimum, Adam (EMA) against the mean variant.
- noise: at a stationary point the gradients are pure noise g ~ N(0, sigma^2); across many chains,
  Var(mhat_t) against theory: EMA sigma^2 (1-b)(1-b^{2t}) / ((1+b)(1-b^t)^2) -> sigma^2 (1-b)/(1+b),
  plain mean sigma^2 / t.
- adagrad: for the mean variant v_t = G_t / t (AdaGrad's accumulator over t); the effective step
  lr / sqrt(v_t) against t on a noisy quadratic, its log-log slope against the claimed -1/2.

Every seed is one independent run (adaptivity) or one batch of chains (noise, adagrad); the S runs
sit side by side in one parameter tensor of shape (S, ...) and the optimisers act element-wise, so
all seeds advance in one loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..core import (
    FigureSink,
    Measurements,
    RunContext,
    experiment,
    mean_ci,
    require,
    verdict,
    verdict_from_parts,
)
from ..core.stats import loglog_slope
from ..optim.adam import Adam, MeanAdam


@dataclass(frozen=True)
class EmaConfig:
    lr: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.999
    sigma: float = 0.1  # gradient noise (adaptivity, adagrad)
    c0: float = 1.0  # optimum before the jump (+c0) and after it (-c0)
    steps_before: int = 400
    steps_after: int = 1500
    band: float = 0.1  # recovered: |theta - c_new| < band * jump distance ...
    settle: int = 20  # ... for this many consecutive steps
    noise_steps: int = 1000  # T of the stationary-noise study
    chains: int = 4000  # chains per seed for the variance estimates
    noise_betas: tuple[float, ...] = (0.5, 0.9, 0.99)
    theory_tolerance: float = 0.15  # measured/theory variance ratio within 1 +- this = "matches"
    adagrad_steps: int = 2000
    adagrad_chains: int = 200

    def __post_init__(self) -> None:
        require(self.lr > 0, f"lr must be positive, got {self.lr}")
        require(0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "betas must lie in [0, 1)")
        require(self.sigma > 0, f"sigma must be positive, got {self.sigma}")
        require(self.steps_before >= 10 and self.steps_after >= self.settle + 1,
                "need steps_before >= 10 and steps_after > settle")
        require(0 < self.band < 1, f"band must lie in (0, 1), got {self.band}")
        require(self.noise_steps >= 10 and self.chains >= 10, "need noise_steps >= 10 and chains >= 10")
        require(len(self.noise_betas) > 0 and all(0 < b < 1 for b in self.noise_betas),
                "noise_betas must lie in (0, 1)")
        require(self.adagrad_steps >= 100 and self.adagrad_chains >= 1,
                "need adagrad_steps >= 100 and adagrad_chains >= 1")


def _noise(seeds: tuple[int, ...], shape: tuple[int, ...], salt: int) -> Tensor:
    """(S, *shape) standard normal noise, each seed from its own generator."""
    return torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(1000 * salt + s),
                                    dtype=torch.float64) for s in seeds])


def _optimizer(kind: str, p: Tensor, cfg: EmaConfig) -> Adam | MeanAdam:
    cls = Adam if kind == "ema" else MeanAdam
    return cls([p], lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


def adaptivity(cfg: EmaConfig, seeds: tuple[int, ...]) -> dict:
    """theta_t for both variants; the optimum jumps at steps_before. Returns traces and recovery steps."""
    total = cfg.steps_before + cfg.steps_after
    xi = _noise(seeds, (total,), salt=1)  # (S, T)
    out: dict = {}
    for kind in ("ema", "mean"):
        theta = torch.zeros(len(seeds), dtype=torch.float64, requires_grad=True)  # (S,)
        opt = _optimizer(kind, theta, cfg)
        trace = []
        for t in range(total):
            c = cfg.c0 if t < cfg.steps_before else -cfg.c0
            theta.grad = (theta.detach() - c) + cfg.sigma * xi[:, t]  # grad of (theta - c)^2 / 2 + noise
            opt.step()
            trace.append(theta.detach().clone())
        tr = torch.stack(trace, 1)  # (S, T)
        after = tr[:, cfg.steps_before:]
        inside = ((after + cfg.c0).abs() < cfg.band * 2 * cfg.c0).numpy()  # (S, T_after)
        rec = []
        for row in inside:
            ok = [s for s in range(len(row) - cfg.settle + 1) if row[s:s + cfg.settle].all()]
            rec.append(ok[0] + 1 if ok else math.nan)
        out[kind] = {"recovery_steps": rec, "trace": tr[:, :: max(1, total // 400)].tolist()}
    out["trace_stride"] = max(1, total // 400)
    return out


def _ema_var_theory(beta: float, t: np.ndarray, sigma: float) -> np.ndarray:
    return sigma**2 * (1 - beta) * (1 - beta ** (2 * t)) / ((1 + beta) * (1 - beta**t) ** 2)


def noise(cfg: EmaConfig, seeds: tuple[int, ...]) -> dict:
    """Var over chains of the bias-corrected EMA (each beta) and of the plain mean, at log-spaced t."""
    sigma = 1.0
    t_idx = np.unique(np.geomspace(1, cfg.noise_steps, 40).astype(int))
    g = torch.Generator()
    ema = {b: torch.zeros(len(seeds), cfg.chains, dtype=torch.float64) for b in cfg.noise_betas}
    mean = torch.zeros(len(seeds), cfg.chains, dtype=torch.float64)
    var_ema: dict[float, list] = {b: [] for b in cfg.noise_betas}
    var_mean: list = []
    gens = [torch.Generator().manual_seed(2000 + s) for s in seeds]
    want = set(t_idx.tolist())
    del g
    for t in range(1, cfg.noise_steps + 1):
        xi = torch.stack([torch.randn(cfg.chains, generator=gi, dtype=torch.float64) for gi in gens])  # (S, R)
        mean += (sigma * xi - mean) / t  # m_t = m_{t-1} + (g_t - m_{t-1}) / t
        for b in cfg.noise_betas:
            ema[b].mul_(b).add_((1 - b) * sigma * xi)  # m_t = b m_{t-1} + (1 - b) g_t
        if t in want:
            var_mean.append(mean.var(dim=1).tolist())  # (S,)
            for b in cfg.noise_betas:
                var_ema[b].append((ema[b] / (1 - b**t)).var(dim=1).tolist())
    return {"t": t_idx.tolist(), "sigma": sigma,
            "var_mean": var_mean,  # (len(t), S)
            "var_ema": {f"{b:g}": v for b, v in var_ema.items()},
            "theory_mean": (sigma**2 / t_idx).tolist(),
            "theory_ema": {f"{b:g}": _ema_var_theory(b, t_idx.astype(float), sigma).tolist()
                           for b in cfg.noise_betas}}


def adagrad(cfg: EmaConfig, seeds: tuple[int, ...]) -> dict:
    """Mean variant on a noisy quadratic: effective step lr / (sqrt(v_t) + eps), |update|, and v_t t vs G_t."""
    T, R = cfg.adagrad_steps, cfg.adagrad_chains
    xi = _noise(seeds, (T, R), salt=3)  # (S, T, R)
    theta = torch.full((len(seeds), R), cfg.c0, dtype=torch.float64, requires_grad=True)  # (S, R)
    opt = MeanAdam([theta], lr=cfg.lr)
    G = torch.zeros_like(theta)  # AdaGrad's accumulator sum_s g_s^2
    t_idx = np.unique(np.geomspace(1, T, 50).astype(int))
    want = set(t_idx.tolist())
    eff, upd, ada = [], [], []
    ident = 0.0
    for t in range(1, T + 1):
        gr = theta.detach() + cfg.sigma * xi[:, t - 1]  # grad of theta^2 / 2 + noise
        theta.grad = gr
        G += gr * gr
        before = theta.detach().clone()
        opt.step()
        v = opt.state[theta]["v"]
        ident = max(ident, float(((v * t - G).abs() / G.clamp_min(1e-300)).max()))
        if t in want:
            eff.append(opt.effective_step(theta).mean(dim=1).tolist())  # (S,)
            upd.append((theta.detach() - before).abs().mean(dim=1).tolist())
            ada.append((cfg.lr / G.sqrt()).mean(dim=1).tolist())
    return {"t": t_idx.tolist(), "effective_step": eff, "update": upd, "adagrad_step": ada,
            "identity_max_rel_error": ident}


def run(cfg: EmaConfig, ctx: RunContext) -> Measurements:
    seeds = tuple(ctx.seeds)
    return {"seeds": list(seeds), "adaptivity": adaptivity(cfg, seeds), "noise": noise(cfg, seeds),
            "adagrad": adagrad(cfg, seeds)}


def _slopes(t: list[int], ys: list[list[float]], lo_frac: float = 0.1) -> list[float]:
    """Per seed, the log-log slope of y against t over t >= lo_frac * max(t)."""
    tt = np.asarray(t, dtype=float)
    arr = np.asarray(ys, dtype=float)  # (len(t), S)
    keep = tt >= lo_frac * tt.max()
    return [loglog_slope(tt[keep], arr[keep, s]).slope for s in range(arr.shape[1])]


def _sign(iv, zero: float = 0.0) -> bool | None:
    """True if the interval lies above ``zero``, False if below, None if it straddles it."""
    if iv.n == 0 or math.isnan(iv.mean):
        return None
    return True if iv.lo > zero else False if iv.hi < zero else None


def judge(runs: list[Measurements], cfg: EmaConfig) -> list:
    m = runs[0]
    a = m["adaptivity"]
    budget = cfg.steps_after
    rec = {k: [budget if (isinstance(x, str) or x is None or math.isnan(x)) else x for x in a[k]["recovery_steps"]]
           for k in ("ema", "mean")}
    censored = {k: sum(1 for x in a[k]["recovery_steps"] if isinstance(x, str) or x is None or
                       (isinstance(x, float) and math.isnan(x))) for k in ("ema", "mean")}
    log_ratio = mean_ci([math.log(b / e) for e, b in zip(rec["ema"], rec["mean"])])
    v_adapt = verdict(
        "ema.adaptivity",
        holds=_sign(log_ratio),
        rule=f"after the optimum jumps from +{cfg.c0:g} to -{cfg.c0:g}, count the steps until theta stays within "
             f"{cfg.band:g} x the jump of the new optimum for {cfg.settle} steps (a run that never does counts as "
             f"{budget}, a lower bound); the plain mean reacts more slowly if the 95% interval of "
             "log(steps_mean / steps_ema) over seeds lies above 0 (below 0: faster; straddling: undecided)",
        numbers={"recovery_steps_ema": mean_ci(rec["ema"]).to_dict(),
                 "recovery_steps_mean": mean_ci(rec["mean"]).to_dict(),
                 "log_ratio_mean_over_ema": log_ratio.to_dict(), "never_recovered": censored,
                 "lr": cfg.lr, "sigma": cfg.sigma},
        figures=["recovery"],
    )

    nz = m["noise"]
    t = np.asarray(nz["t"], dtype=float)
    T = t[-1]
    var_mean_T = mean_ci(nz["var_mean"][-1])
    ema_T = {b: mean_ci(v[-1]) for b, v in nz["var_ema"].items()}
    ratio_ema = {b: mean_ci([x / nz["theory_ema"][b][-1] for x in v[-1]]) for b, v in nz["var_ema"].items()}
    ratio_mean = mean_ci([x / nz["theory_mean"][-1] for x in nz["var_mean"][-1]])
    tol = cfg.theory_tolerance
    below_sigma = all(iv.hi < nz["sigma"] ** 2 for iv in ema_T.values())
    if all(r.lo > 1 - tol and r.hi < 1 + tol for r in ratio_ema.values()) and below_sigma:
        ema_filters: bool | None = True
    elif any(r.lo > 1 + tol or r.hi < 1 - tol for r in ratio_ema.values()) or not below_sigma:
        ema_filters = False
    else:
        ema_filters = None  # an interval reaches past the tolerance band: undecided
    mean_noisier = [True if var_mean_T.lo > iv.hi else False if var_mean_T.hi < iv.lo else None
                    for iv in ema_T.values()]
    retains = True if all(x is True for x in mean_noisier) else False if all(x is False for x in mean_noisier) \
        else None
    v_noise = verdict_from_parts(
        "ema.noise",
        parts={"the EMA filters the noise: Var(mhat) matches sigma^2 (1-b)/(1+b) < sigma^2": ema_filters,
               "the plain mean retains the noise: its variance stays above the EMA's": retains},
        rule=f"pure-noise gradients (a stationary point), {cfg.chains} chains per seed; part 1 holds if the 95% "
             f"interval of measured/theory variance of the EMA lies within 1 +- {tol:g} for every beta and below "
             f"sigma^2 (fails if one lies wholly outside the band); part 2 holds if at t = {int(T)} the plain mean's variance interval lies above every EMA's, "
             "fails if it lies below every EMA's (theory sigma^2/t: the plain mean filters more, not less, once "
             "t > (1+b)/(1-b))",
        numbers={"t": int(T), "var_plain_mean": var_mean_T.to_dict(),
                 "var_plain_mean_over_theory": ratio_mean.to_dict(),
                 "var_ema": {b: iv.to_dict() for b, iv in ema_T.items()},
                 "var_ema_over_theory": {b: iv.to_dict() for b, iv in ratio_ema.items()},
                 "crossover_t": {b: (1 + float(b)) / (1 - float(b)) for b in nz["var_ema"]}},
        figures=["variance"],
    )

    ag = m["adagrad"]
    eff_slope = mean_ci(_slopes(ag["t"], ag["effective_step"]))
    upd_slope = mean_ci(_slopes(ag["t"], ag["update"]))
    ada_slope = mean_ci(_slopes(ag["t"], ag["adagrad_step"]))
    decays = None if eff_slope.n == 0 else (eff_slope.lo <= -0.5 <= eff_slope.hi) if (
        eff_slope.hi - eff_slope.lo) < 0.5 else None
    v_ada = verdict_from_parts(
        "ema.adagrad",
        parts={"the mean second moment is AdaGrad's accumulator / t": ag["identity_max_rel_error"] < 1e-9,
               "the effective step lr / sqrt(v_t) decays like t^-1/2": decays},
        rule="mean variant on a noisy quadratic; part 1: max relative error of t v_t against the summed g^2 "
             "< 1e-9; part 2: the 95% interval of the log-log slope of lr / (sqrt(v_t) + eps) against t "
             "(fit over the last decade of t, per seed) contains -0.5 (narrower than 0.5, else undecided); "
             "AdaGrad's own step lr / sqrt(G_t) and the update size |delta theta| are given for contrast",
        numbers={"identity_max_rel_error": ag["identity_max_rel_error"], "slope_effective_step": eff_slope.to_dict(),
                 "slope_update_size": upd_slope.to_dict(), "slope_adagrad_step": ada_slope.to_dict()},
        figures=["adagrad"],
    )
    return [v_adapt, v_noise, v_ada]


def figures(runs: list[Measurements], cfg: EmaConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    a = m["adaptivity"]
    fig, ax = plt.subplots(figsize=(8, 4))
    for kind, color in (("ema", "C0"), ("mean", "C3")):
        for j, tr in enumerate(a[kind]["trace"]):
            steps = np.arange(len(tr)) * a["trace_stride"]
            ax.plot(steps, tr, color=color, lw=0.8, alpha=0.7,
                    label=("Adam (EMA moments)" if kind == "ema" else "plain running means") if j == 0 else None)
    ax.axvline(cfg.steps_before, color="k", ls=":", lw=0.8)
    ax.axhline(-cfg.c0, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("theta")
    ax.set_title("Recovery after the optimum jumps (dotted: the jump; dashed: new optimum), one line per seed")
    ax.legend()
    out.save(fig, "recovery")

    nz = m["noise"]
    t = np.asarray(nz["t"], dtype=float)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    vm = np.asarray(nz["var_mean"], dtype=float).mean(1)
    ax.loglog(t, vm, "k.-", label="plain mean (measured)")
    ax.loglog(t, nz["theory_mean"], "k--", lw=0.8, label="sigma^2 / t")
    for i, (b, v) in enumerate(nz["var_ema"].items()):
        ax.loglog(t, np.asarray(v, dtype=float).mean(1), ".-", color=f"C{i}", label=f"EMA beta={b}")
        ax.loglog(t, nz["theory_ema"][b], "--", color=f"C{i}", lw=0.8)
    ax.set_xlabel("t")
    ax.set_ylabel("Var of the first-moment estimate")
    ax.set_title("Variance against t (dashed: theory)")
    ax.legend(fontsize=7)
    betas = [float(b) for b in nz["var_ema"]]
    ax2.semilogy(betas, [np.mean(v[-1]) for v in nz["var_ema"].values()], "o-", label="EMA (measured)")
    bb = np.linspace(min(betas), max(betas), 100)
    ax2.semilogy(bb, nz["sigma"] ** 2 * (1 - bb) / (1 + bb), "--", label="sigma^2 (1-b)/(1+b)")
    ax2.axhline(np.mean(nz["var_mean"][-1]), color="k", ls=":", label=f"plain mean at t={int(t[-1])}")
    ax2.set_xlabel("beta")
    ax2.set_title(f"Variance against beta at t = {int(t[-1])}")
    ax2.legend(fontsize=7)
    out.save(fig, "variance")

    ag = m["adagrad"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    tt = np.asarray(ag["t"], dtype=float)
    for key, label in (("effective_step", "mean variant: lr / sqrt(v_t)"), ("adagrad_step", "AdaGrad: lr / sqrt(G_t)"),
                       ("update", "mean variant: |update|")):
        ax.loglog(tt, np.asarray(ag[key], dtype=float).mean(1), ".-", label=label)
    ax.loglog(tt, cfg.lr / np.sqrt(tt) / cfg.sigma, "k--", lw=0.8, label="~ t^-1/2")
    ax.set_xlabel("t")
    ax.set_title("Effective step against t (noisy quadratic)")
    ax.legend(fontsize=7)
    out.save(fig, "adagrad")


EXPERIMENT = experiment(
    "ema",
    question="Q-ema",
    claims=("ema.adaptivity", "ema.noise", "ema.adagrad"),
    configs={"quick": EmaConfig(steps_before=300, steps_after=900, noise_steps=400, chains=2000,
                                adagrad_steps=1000, adagrad_chains=100),
             "full": EmaConfig()},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="Adam's EMA moments against plain running means: a jumping optimum, pure noise, AdaGrad.",
)
