"""Q-minmax: gradient play on f(p, q) = p q, four update rules, a sweep of step sizes.

Claims judged: minmax.table, minmax.no-convergence, minmax.small-step,
minmax.equilibrium (minmax.gan lives in experiments/gan.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch

from ..core import FigureSink, Measurements, RunContext, experiment, require, verdict, verdict_from_parts
from ..core.threads import limit_threads
from ..games.bilinear import RULES, simulate, theory_radius_factor


@dataclass(frozen=True)
class MinMaxConfig:
    steps: int = 20_000  # steps of the eta sweep
    etas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 0.8, 1.0, 1.5, 1.9)
    table_steps: int = 6  # rows of the claimed table
    claimed_q: tuple[float, ...] = (1, 2, 1, -1, -2, -1, 1)  # the answer's table, q at steps 0..6
    claimed_p: tuple[float, ...] = (1, -1, -2, -1, 1, 2, 1)
    converged_radius: float = 1e-3  # |z| below this = reached the optimum
    long_steps: int = 100_000  # steps of the eta = 1 no-convergence check

    def __post_init__(self) -> None:
        require(self.steps >= 10, f"steps must be at least 10, got {self.steps}")
        require(len(self.etas) > 0 and all(e > 0 for e in self.etas), "etas must be positive")
        require(len(self.claimed_q) == len(self.claimed_p) == self.table_steps + 1,
                "claimed_q and claimed_p need table_steps + 1 entries")
        require(self.long_steps >= 1, "long_steps must be at least 1")


def _radius(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return torch.hypot(p, q)


def run(cfg: MinMaxConfig, ctx: RunContext) -> Measurements:
    with limit_threads(1):
        return _run(cfg, ctx)


def _run(cfg: MinMaxConfig, ctx: RunContext) -> Measurements:
    # The answer's table: alternating, eta = 1, from (1, 1).
    p, q = simulate("alternating", [1.0], cfg.table_steps)
    table = {"p": p[:, 0].tolist(), "q": q[:, 0].tolist()}

    # eta = 1 for a long run: does |z| ever get near 0?
    lp, lq = simulate("alternating", [1.0], cfg.long_steps)
    long_r = _radius(lp, lq)[:, 0]
    period = next((k for k in range(1, 50) if abs(lp[k, 0] - 1) < 1e-12 and abs(lq[k, 0] - 1) < 1e-12), None)

    sweep: dict[str, dict[str, dict[str, float]]] = {}
    traces: dict[str, dict[str, list]] = {}
    idx = np.unique(np.geomspace(1, cfg.steps, 120).astype(int))
    for rule in RULES:
        p, q = simulate(rule, list(cfg.etas), cfg.steps)
        r = _radius(p, q)  # (steps + 1, E)
        sweep[rule] = {}
        for j, eta in enumerate(cfg.etas):
            rj = r[:, j]
            finite = torch.isfinite(rj)
            last = int(finite.nonzero().max())
            n = max(last, 1)
            # mean per-step growth of |z| over the finite part: (|z_n| / |z_0|)^(1/n)
            factor = float(torch.exp((torch.log(rj[last]) - torch.log(rj[0])) / n)) if rj[last] > 0 else 0.0
            window = max(cfg.steps // 10, 12)
            sweep[rule][f"{eta:g}"] = {
                "final_radius": float(rj[-1]) if bool(finite[-1]) else math.inf,
                "min_radius": float(rj[finite].min()),
                "max_radius_first": float(rj[:window].max()),
                "max_radius_last": float(rj[-window:].max()) if bool(finite[-1]) else math.inf,
                "radius_factor": factor,
                "theory_factor": theory_radius_factor(rule, eta) if theory_radius_factor(rule, eta) else math.nan,
                "diverged": not bool(finite[-1]),
            }
        traces[rule] = {
            "step": idx.tolist(),
            "radius": {f"{eta:g}": [float(x) for x in r[idx, j]] for j, eta in enumerate(cfg.etas)},
            "orbit_p": {f"{eta:g}": p[:400, j].tolist() for j, eta in enumerate(cfg.etas)},
            "orbit_q": {f"{eta:g}": q[:400, j].tolist() for j, eta in enumerate(cfg.etas)},
        }

    # Stationary points of f = p q and the saddle test (sympy, exact).
    ps, qs = sp.symbols("p q", real=True)
    fsym = ps * qs
    sols = sp.solve([sp.diff(fsym, ps), sp.diff(fsym, qs)], [ps, qs], dict=True)
    hess = sp.hessian(fsym, (ps, qs))
    eig = [float(e) for e in hess.eigenvals()]
    grid = np.linspace(-2, 2, 41)
    # Nash condition at the stationary point (p*, q*): f(p*, q) <= f(p*, q*) <= f(p, q*) for p, q on a grid.
    fnum = sp.lambdify((ps, qs), fsym, "numpy")
    p0, q0 = (float(sols[0][ps]), float(sols[0][qs])) if len(sols) == 1 else (math.nan, math.nan)
    f0 = float(fnum(p0, q0))
    nash = bool(np.all(np.asarray(fnum(p0, grid)) <= f0 + 1e-12)
                and np.all(np.asarray(fnum(grid, q0)) >= f0 - 1e-12))
    return {
        "table": table,
        "long": {"steps": cfg.long_steps, "min_radius": float(long_r.min()), "final_radius": float(long_r[-1]),
                 "period": period},
        "sweep": sweep,
        "traces": traces,
        "equilibrium": {"stationary_points": [[float(s[ps]), float(s[qs])] for s in sols],
                        "hessian_eigenvalues": sorted(eig), "nash_on_grid": nash},
    }


def judge(runs: list[Measurements], cfg: MinMaxConfig) -> list:
    m = runs[0]
    table = m["table"]
    err = max(max(abs(a - b) for a, b in zip(table["q"], cfg.claimed_q)),
              max(abs(a - b) for a, b in zip(table["p"], cfg.claimed_p)))
    v_table = verdict(
        "minmax.table",
        holds=err < 1e-9,
        rule="simulate alternating GDA (q first, then p with the new q), eta = 1, from (1, 1); "
             "the claimed table holds if every entry matches to 1e-9",
        numbers={"simulated_q": table["q"], "simulated_p": table["p"], "claimed_q": list(cfg.claimed_q),
                 "claimed_p": list(cfg.claimed_p), "max_abs_error": err, "period": m["long"]["period"]},
        figures=["orbits"],
        evidence="simulated",
    )
    long = m["long"]
    v_noconv = verdict(
        "minmax.no-convergence",
        holds=long["min_radius"] > cfg.converged_radius,
        rule=f"alternating GDA with eta = 1 never reaches |z| < {cfg.converged_radius:g} in {long['steps']} steps "
             "(refuted if it does)",
        numbers=long,
        figures=["radius"],
        evidence="simulated",
    )
    sw = m["sweep"]
    small = [e for e in cfg.etas if e < 1]

    def converges(rule: str, eta: float) -> bool:
        return sw[rule][f"{eta:g}"]["final_radius"] < cfg.converged_radius

    alt_conv = {f"{e:g}": converges("alternating", e) for e in small}
    sim_conv = {f"{e:g}": converges("simultaneous", e) for e in small}
    cures = {r: [f"{e:g}" for e in small if converges(r, e)] for r in ("extragradient", "optimistic")}
    alt_bounded = all(0.5 < sw["alternating"][f"{e:g}"]["max_radius_last"] / sw["alternating"][f"{e:g}"]["max_radius_first"] < 2
                      for e in cfg.etas if e < 2)
    sim_err = max(abs(sw["simultaneous"][f"{e:g}"]["radius_factor"] - math.sqrt(1 + e * e)) for e in cfg.etas)
    v_small = verdict(
        "minmax.small-step",
        holds=any(alt_conv.values()) if small else None,
        rule=f"a smaller step converges if alternating GDA (the answer's rule) reaches |z| < {cfg.converged_radius:g} "
             f"within {cfg.steps} steps for some eta < 1; the same sweep runs simultaneous GDA, extragradient and "
             "optimistic GDA for contrast; refuted if alternating GDA stays away from (0, 0) for every eta < 1",
        numbers={"alternating_converges": alt_conv, "simultaneous_converges": sim_conv,
                 "alternating_bounded_orbit_all_eta_lt_2": alt_bounded,
                 "simultaneous_factor_max_error_vs_sqrt(1+eta^2)": sim_err,
                 "converging_etas": cures,
                 "final_radius": {r: {e: v["final_radius"] for e, v in sw[r].items()} for r in sw}},
        figures=["radius", "orbits"],
        evidence="simulated",
    )
    eq = m["equilibrium"]
    eig = eq["hessian_eigenvalues"]
    v_eq = verdict_from_parts(
        "minmax.equilibrium",
        parts={"unique stationary point (0, 0)": eq["stationary_points"] == [[0.0, 0.0]],
               "saddle (Hessian eigenvalues of opposite sign)": eig[0] < 0 < eig[-1],
               "Nash condition f(0,q) <= f(0,0) <= f(p,0) on a grid": eq["nash_on_grid"]},
        rule="solve grad f = 0 exactly (sympy); (0, 0) is the equilibrium if it is the only stationary point, "
             "a saddle, and satisfies the Nash condition (a part that fails refutes it)",
        numbers=eq,
        evidence="exact",
    )
    return [v_table, v_noconv, v_small, v_eq]


def figures(runs: list[Measurements], cfg: MinMaxConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    tr = runs[0]["traces"]
    show = [e for e in (0.1, 0.5, 1.0, 1.9) if e in cfg.etas] or list(cfg.etas)[:4]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), sharex=True, sharey=True)
    for ax, rule in zip(axes, RULES):
        for e in show:
            p = np.array(tr[rule]["orbit_p"][f"{e:g}"], dtype=float)
            q = np.array(tr[rule]["orbit_q"][f"{e:g}"], dtype=float)
            keep = np.isfinite(p) & (np.abs(p) < 4) & (np.abs(q) < 4)
            ax.plot(p[keep], q[keep], "o", ms=2.2 if e < 1.5 else 1.2, alpha=0.8, label=f"eta={e:g}")
            if e <= 1:  # consecutive iterates joined where the orbit is smooth
                ax.plot(p[keep][:60], q[keep][:60], "-", lw=0.5, alpha=0.5, color=ax.lines[-1].get_color())
        ax.plot([0], [0], "k*", ms=10)
        ax.set_title(rule)
        ax.set_xlabel("p (minimiser)")
        ax.set_xlim(-3.5, 3.5)
        ax.set_ylim(-3.5, 3.5)
        ax.set_aspect("equal")
    axes[0].set_ylabel("q (maximiser)")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Orbits of gradient play on f(p, q) = p q from (1, 1) (first 400 steps; * = equilibrium)")
    out.save(fig, "orbits")

    fig, axes = plt.subplots(1, 4, figsize=(16, 4), sharey=True)
    for ax, rule in zip(axes, RULES):
        steps = tr[rule]["step"]
        for e, r in tr[rule]["radius"].items():
            ax.plot(steps, np.array(r, dtype=float), label=f"eta={e}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-8, 1e8)
        ax.axhline(cfg.converged_radius, color="k", ls=":", lw=0.8)
        ax.set_title(rule)
        ax.set_xlabel("step")
    axes[0].set_ylabel("distance to (0, 0)")
    axes[-1].legend(fontsize=7, ncol=2)
    fig.suptitle("Distance to the equilibrium against step (dotted: convergence threshold)")
    out.save(fig, "radius")


EXPERIMENT = experiment(
    "minmax",
    question="Q-minmax",
    claims=("minmax.table", "minmax.no-convergence", "minmax.small-step", "minmax.equilibrium"),
    configs={"quick": MinMaxConfig(steps=6000, long_steps=20_000), "full": MinMaxConfig()},
    run=run,
    judge=judge,
    figures=figures,
    unit="once",
    description="Gradient descent-ascent on f(p,q)=pq: simultaneous, alternating, extragradient, optimistic.",
)
