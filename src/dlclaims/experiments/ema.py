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
from ..core.stats import equivalence_test, loglog_slope, mean_p_value
from ..core.threads import limit_threads
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
    theory_tolerance: float = 0.15  # measured/theory variance ratio within 1 +- this = "matches" (a check)
    drift_mu0: float = 1.0  # drifting case: the mean gradient moves from +mu0 to -mu0 over noise_steps
    alpha: float = 0.05  # level of the one-sided tests and of the equivalence test
    slope_margin: float = 0.15  # adagrad: a slope "is -1/2" if it is equivalent to -1/2 within this
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
        require(self.drift_mu0 > 0 and 0 < self.alpha < 0.5 and self.slope_margin > 0,
                "drift_mu0 and slope_margin must be positive, alpha in (0, 0.5)")
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
    """Stationary and drifting gradients; the bias-corrected EMA (each beta) against the plain mean.

    Stationary: g_t = sigma xi_t (pure noise); Var over chains of each estimate at log-spaced t.
    Drifting: g_t = mu_t + sigma xi_t with mu_t = mu0 (1 - 2 t / T) (the mean gradient moves from +mu0
    to -mu0); per seed the mean over t in the second half of the mean-squared error to mu_t over chains,
    split into bias^2 (of the chain mean) and variance.
    """
    sigma, T = 1.0, cfg.noise_steps
    t_idx = np.unique(np.geomspace(1, T, 40).astype(int))
    S, R = len(seeds), cfg.chains
    betas = cfg.noise_betas
    ema = {b: torch.zeros(S, R, dtype=torch.float64) for b in betas}
    mean = torch.zeros(S, R, dtype=torch.float64)
    d_ema = {b: torch.zeros(S, R, dtype=torch.float64) for b in betas}
    d_mean = torch.zeros(S, R, dtype=torch.float64)
    names = ["mean", *[f"{b:g}" for b in betas]]
    mse = {k: torch.zeros(S, dtype=torch.float64) for k in names}  # summed over the second half
    bias2 = {k: torch.zeros(S, dtype=torch.float64) for k in names}
    var_ema: dict[float, list] = {b: [] for b in betas}
    var_mean: list = []
    gens = [torch.Generator().manual_seed(2000 + s) for s in seeds]
    want = set(t_idx.tolist())
    half = T // 2
    for t in range(1, T + 1):
        xi = torch.stack([torch.randn(R, generator=gi, dtype=torch.float64) for gi in gens])  # (S, R)
        mu = cfg.drift_mu0 * (1 - 2 * t / T)
        mean += (sigma * xi - mean) / t  # m_t = m_{t-1} + (g_t - m_{t-1}) / t
        d_mean += (mu + sigma * xi - d_mean) / t
        for b in betas:
            ema[b].mul_(b).add_((1 - b) * sigma * xi)  # m_t = b m_{t-1} + (1 - b) g_t
            d_ema[b].mul_(b).add_((1 - b) * (mu + sigma * xi))
        if t in want:
            var_mean.append(mean.var(dim=1).tolist())  # (S,)
            for b in betas:
                var_ema[b].append((ema[b] / (1 - b**t)).var(dim=1).tolist())
        if t > half:
            for k, est in (("mean", d_mean), *((f"{b:g}", d_ema[b] / (1 - b**t)) for b in betas)):
                err = est - mu  # (S, R)
                mse[k] += (err**2).mean(1)
                bias2[k] += err.mean(1) ** 2
    n_half = T - half
    return {"t": t_idx.tolist(), "sigma": sigma,
            "var_mean": var_mean,  # (len(t), S)
            "var_ema": {f"{b:g}": v for b, v in var_ema.items()},
            "theory_mean": (sigma**2 / t_idx).tolist(),
            "theory_ema": {f"{b:g}": _ema_var_theory(b, t_idx.astype(float), sigma).tolist() for b in betas},
            "drift": {"mu0": cfg.drift_mu0, "steps": T, "averaged_over": [half + 1, T],
                      "mse": {k: (v / n_half).tolist() for k, v in mse.items()},  # (S,) per estimate
                      "bias2": {k: (v / n_half).tolist() for k, v in bias2.items()}}}


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
    with limit_threads(1):
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

    v_noise = judge_noise(m["noise"], cfg)

    ag = m["adagrad"]
    eff_slope = mean_ci(_slopes(ag["t"], ag["effective_step"]))
    upd_slope = mean_ci(_slopes(ag["t"], ag["update"]))
    ada_slope = mean_ci(_slopes(ag["t"], ag["adagrad_step"]))
    eff_per_seed = _slopes(ag["t"], ag["effective_step"])
    eq = equivalence_test([x + 0.5 for x in eff_per_seed], cfg.slope_margin, cfg.alpha)
    decays = eq.equivalent
    v_ada = verdict_from_parts(
        "ema.adagrad",
        parts={"the mean second moment is AdaGrad's accumulator / t": ag["identity_max_rel_error"] < 1e-9,
               "the effective step lr / sqrt(v_t) decays like t^-1/2": decays},
        rule="mean variant on a noisy quadratic; part 1 (exact): max relative error of t v_t against the summed "
             "g^2 < 1e-9; part 2: the log-log slope of lr / (sqrt(v_t) + eps) against t (fit over the last decade "
             f"of t, per seed) is -0.5 if an equivalence test (TOST, alpha {cfg.alpha:g}) on the per-seed slopes + "
             f"0.5 shows them within +-{cfg.slope_margin:g}, and is not if the {1 - 2 * cfg.alpha:.0%} interval lies "
             "wholly outside that margin (undecided otherwise); AdaGrad's own step lr / sqrt(G_t) and the update "
             "size |delta theta| are given for contrast",
        numbers={"identity_max_rel_error": ag["identity_max_rel_error"], "slope_effective_step": eff_slope.to_dict(),
                 "slope_equivalence_to_minus_half": eq.to_dict(),
                 "slope_update_size": upd_slope.to_dict(), "slope_adagrad_step": ada_slope.to_dict()},
        figures=["adagrad"],
        evidence={"the mean second moment is AdaGrad's accumulator / t": "exact",
                  "the effective step lr / sqrt(v_t) decays like t^-1/2": "measured"},
    )
    return [v_adapt, v_noise, v_ada]


def _every(log_ratios: dict[str, list[float]], alpha: float) -> tuple[bool | None, dict[str, dict]]:
    """For per-seed log ratios log(plain / EMA_b), one list per beta: True if every beta's mean is above 0
    (one-sided t-test p < alpha each: an intersection-union test needs no correction), False if every
    beta's mean is below 0, None otherwise."""
    tests = {b: {"greater_p": mean_p_value(v, 0.0, "greater"), "less_p": mean_p_value(v, 0.0, "less"),
                 "log_ratio": mean_ci(v).to_dict()} for b, v in log_ratios.items()}
    if all(t["greater_p"] < alpha for t in tests.values()):
        return True, tests
    if all(t["less_p"] < alpha for t in tests.values()):
        return False, tests
    return None, tests


def judge_noise(nz: dict, cfg: EmaConfig):
    """ema.noise from the comparison it states: does the plain mean keep more noise than the EMA?"""
    T = int(nz["t"][-1])
    var_plain = nz["var_mean"][-1]  # (S,)
    stat, stat_tests = _every({b: [math.log(p / e) for p, e in zip(var_plain, v[-1])]
                               for b, v in nz["var_ema"].items()}, cfg.alpha)
    dr = nz["drift"]
    drift, drift_tests = _every({b: [math.log(p / e) for p, e in zip(dr["mse"]["mean"], dr["mse"][b])]
                                 for b in nz["var_ema"]}, cfg.alpha)
    ratio_ema = {b: mean_ci([x / nz["theory_ema"][b][-1] for x in v[-1]]).to_dict() for b, v in nz["var_ema"].items()}
    p1 = f"stationary gradients: the plain mean's variance at t = {T} is above every EMA's"
    p2 = ("drifting gradients: the plain mean's mean-squared error to the true mean gradient is above every "
          "EMA's")
    return verdict_from_parts(
        "ema.noise",
        parts={p1: stat, p2: drift},
        rule=f"{cfg.chains} chains per seed, bias-corrected EMA for beta in {list(nz['var_ema'])} against the plain "
             "mean of all past gradients; per seed, log(plain / EMA) of the variance over chains at a stationary "
             f"point (pure noise, t = {T}) and of the mean-squared error to the true mean gradient mu_t when it "
             f"drifts linearly from +{dr['mu0']:g} to -{dr['mu0']:g} (averaged over the second half of the run); "
             f"a part holds if the one-sided t-test across seeds puts the mean log ratio above 0 (p < {cfg.alpha:g}) "
             "for every beta, fails if it puts it below 0 for every beta, undecided otherwise (theory: stationary, "
             "the plain mean's variance sigma^2/t falls below the EMA's sigma^2 (1-b)/(1+b) once t > (1+b)/(1-b); "
             "drifting, the plain mean lags: its error is bias, not noise)",
        numbers={"t": T, "stationary": stat_tests, "drifting": drift_tests,
                 "var_plain_mean": mean_ci(var_plain).to_dict(),
                 "var_ema": {b: mean_ci(v[-1]).to_dict() for b, v in nz["var_ema"].items()},
                 "check_var_ema_over_theory": ratio_ema,
                 "check_var_plain_mean_over_theory": mean_ci([x / nz["theory_mean"][-1] for x in var_plain]).to_dict(),
                 "drift_mse": {k: mean_ci(v).to_dict() for k, v in dr["mse"].items()},
                 "drift_bias2": {k: mean_ci(v).to_dict() for k, v in dr["bias2"].items()},
                 "crossover_t": {b: (1 + float(b)) / (1 - float(b)) for b in nz["var_ema"]}},
        figures=["variance"],
    )


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
