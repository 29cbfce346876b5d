"""Q-scalar: why ``backward()`` wants a scalar.

For y = f(x) with x in R^n and y in R^m, reverse mode computes one
vector-Jacobian product v^T J per backward pass. ``y.backward()`` on a
non-scalar has no v to start from, so PyTorch raises; ``y.backward(v)``
returns v^T J; the full m x n Jacobian costs m backward passes (one per row),
while the gradient of a scalar loss costs one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.func import jacrev

from ..core import FigureSink, Measurements, RunContext, experiment, loglog_slope, require, verdict
from ..core.stats import median_time


@dataclass(frozen=True)
class ScalarConfig:
    width: int = 512  # n: input and hidden width of the fixed network g
    depth: int = 3  # layers of g
    outputs: tuple[int, ...] = (4, 16, 64, 256, 512)  # m: y = g(x)[:m]
    repeats: int = 5  # timings per point (their median is used)
    vjp_tolerance: float = 1e-10  # float64

    def __post_init__(self) -> None:
        require(self.width >= 2 and self.depth >= 1, "width must be >= 2 and depth >= 1")
        require(len(self.outputs) >= 3, "scalar.cost needs at least 3 output sizes for a slope")
        require(all(1 <= m <= self.width for m in self.outputs), f"every output size m must be in 1..width ({self.width})")
        require(self.repeats >= 1, "repeats must be at least 1")


def _network(width: int, depth: int, generator: torch.Generator) -> nn.Module:
    layers: list[nn.Module] = []
    for _ in range(depth):
        lin = nn.Linear(width, width, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(width, width, generator=generator, dtype=torch.float64) / width**0.5)
            lin.bias.zero_()
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers)


def run(cfg: ScalarConfig, ctx: RunContext) -> Measurements:
    g = torch.Generator().manual_seed(ctx.seed)
    net = _network(cfg.width, cfg.depth, g)
    x = torch.randn(cfg.width, generator=g, dtype=torch.float64, requires_grad=True)

    # scalar.error: backward() on a non-scalar output without grad_outputs.
    y = net(x)  # (n,)
    try:
        y.backward()
        raised, message = False, ""
    except RuntimeError as e:
        raised, message = True, str(e)
    scalar_ok = True
    try:
        net(x).sum().backward()
    except RuntimeError:
        scalar_ok = False

    # scalar.vjp: backward(v) == v^T J with J from torch.func.jacrev.
    m_vjp = min(64, cfg.width)
    v = torch.randn(m_vjp, generator=g, dtype=torch.float64)
    x.grad = None
    net(x)[:m_vjp].backward(v)
    vjp = x.grad.detach().clone()  # (n,)
    J = jacrev(lambda z: net(z)[:m_vjp])(x.detach())  # (m, n)
    vjp_err = float((vjp - v @ J).abs().max().detach())

    # scalar.cost, exactly: how many backward passes reach x (a hook on x counts them).
    passes = {"n": 0}
    handle = x.register_hook(lambda grad: passes.__setitem__("n", passes["n"] + 1))
    passes_scalar, passes_jacobian = [], []
    for m in cfg.outputs:
        passes["n"] = 0
        torch.autograd.grad(net(x)[:m].sum(), x)
        passes_scalar.append(passes["n"])
        passes["n"] = 0
        out = net(x)[:m]
        for i in range(m):
            torch.autograd.grad(out[i], x, retain_graph=True)
        passes_jacobian.append(passes["n"])
    handle.remove()

    # scalar.cost, in time: one backward pass vs the full Jacobian (m backward passes), as m grows.
    t_backward, t_jacobian, t_jacrev = [], [], []
    for m in cfg.outputs:
        def backward_once(m: int = m) -> None:
            out = net(x)[:m]
            torch.autograd.grad(out.sum(), x)

        def jacobian_rows(m: int = m) -> None:
            out = net(x)[:m]
            for i in range(m):  # one vector-Jacobian product per row e_i^T J
                torch.autograd.grad(out[i], x, retain_graph=True)

        def jacobian_vmap(m: int = m) -> None:
            jacrev(lambda z: net(z)[:m])(x.detach())

        t_backward.append(median_time(backward_once, repeats=cfg.repeats))
        t_jacobian.append(median_time(jacobian_rows, repeats=cfg.repeats))
        t_jacrev.append(median_time(jacobian_vmap, repeats=cfg.repeats))
    return {
        "error": {"raised": raised, "message": message.splitlines()[0] if message else "", "scalar_ok": scalar_ok},
        "vjp": {"max_abs_error": vjp_err, "m": m_vjp, "n": cfg.width},
        "cost": {"m": list(cfg.outputs), "backward_s": t_backward, "jacobian_rows_s": t_jacobian,
                 "jacrev_s": t_jacrev, "backward_passes_for_scalar": passes_scalar,
                 "backward_passes_for_jacobian": passes_jacobian},
    }


def _per_m_medians(runs: list[Measurements], key: str) -> list[list[float]]:
    """For each m: the per-seed medians of the repeats, pooled over seeds: (M, S)."""
    import numpy as np

    n_m = len(runs[0]["cost"]["m"])
    return [[float(np.median(r["cost"][key][i])) for r in runs] for i in range(n_m)]


def judge(runs: list[Measurements], cfg: ScalarConfig) -> list:
    err = [r["error"] for r in runs]
    v_error = verdict(
        "scalar.error",
        holds=all(e["raised"] and e["scalar_ok"] for e in err),
        rule="backward() on a non-scalar output without grad_outputs raises, on a scalar it succeeds (every seed)",
        numbers={"raised": [e["raised"] for e in err], "message": err[0]["message"],
                 "scalar_backward_ok": [e["scalar_ok"] for e in err]},
    )
    worst = max(r["vjp"]["max_abs_error"] for r in runs)
    v_vjp = verdict(
        "scalar.vjp",
        holds=worst < cfg.vjp_tolerance,
        rule=f"backward(v) equals v^T J (J from torch.func.jacrev) to {cfg.vjp_tolerance:g} in float64, every seed",
        numbers={"max_abs_error": worst, "m": runs[0]["vjp"]["m"], "n": runs[0]["vjp"]["n"]},
    )
    ms = runs[0]["cost"]["m"]
    bwd = loglog_slope(ms, _per_m_medians(runs, "backward_s"))
    jac = loglog_slope(ms, _per_m_medians(runs, "jacobian_rows_s"))
    jrv = loglog_slope(ms, _per_m_medians(runs, "jacrev_s"))
    import numpy as np

    ratio = float(np.median(_per_m_medians(runs, "jacobian_rows_s")[-1]) /
                  np.median(_per_m_medians(runs, "backward_s")[-1]))
    counted_jac = [r["cost"]["backward_passes_for_jacobian"] for r in runs]
    counted_scalar = [r["cost"]["backward_passes_for_scalar"] for r in runs]
    counts_hold = all(c == ms for c in counted_jac) and all(all(k == 1 for k in c) for c in counted_scalar)
    if jac.lo > bwd.hi:
        timing = "agrees"
    elif jac.hi < bwd.lo:
        timing = "contradicts"
    else:
        timing = "undecided"
    holds: bool | None = counts_hold if timing != "contradicts" else None
    v_cost = verdict(
        "scalar.cost",
        holds=holds,
        rule="a scalar keeps backpropagation cheap if its gradient takes one backward pass while the full "
             "Jacobian of an m-output function takes m (counted exactly by a hook on the input), and the timed "
             "log-log slopes in m do not contradict it (the Jacobian's slope interval is not below the "
             "backward pass's); inconclusive if the timings contradict the counts",
        numbers={"m": ms, "backward_passes_for_scalar": counted_scalar[0],
                 "backward_passes_for_jacobian": counted_jac[0], "timing": timing,
                 "slope_backward": bwd.to_dict(), "slope_jacobian_rows": jac.to_dict(),
                 "slope_jacrev_vmap": jrv.to_dict(), "time_ratio_jacobian_over_backward_at_max_m": ratio},
        figures=["cost"],
    )
    return [v_error, v_vjp, v_cost]


def figures(runs: list[Measurements], cfg: ScalarConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    ms = np.array(runs[0]["cost"]["m"], dtype=float)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for key, label, c in (("backward_s", "one backward pass of a scalar", "C0"),
                          ("jacobian_rows_s", "full Jacobian, m backward passes", "C3"),
                          ("jacrev_s", "full Jacobian, torch.func.jacrev (vmapped)", "C1")):
        med = np.array([np.median(v) for v in _per_m_medians(runs, key)])
        for r in runs:
            ax.plot(ms, [np.median(t) for t in r["cost"][key]], ".", color=c, alpha=0.35)
        s = loglog_slope(ms, _per_m_medians(runs, key))
        ax.plot(ms, np.exp(s.intercept) * ms**s.slope, "-", color=c,
                label=f"{label}: slope {s.slope:.2f} [{s.lo:.2f}, {s.hi:.2f}]")
        ax.plot(ms, med, "o", color=c, ms=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("output size m")
    ax.set_ylabel("time (s, median of repeats)")
    ax.set_title(f"Backward of a scalar vs the full Jacobian (n = {cfg.width})")
    ax.legend(fontsize=7)
    out.save(fig, "cost")


EXPERIMENT = experiment(
    "scalar",
    question="Q-scalar",
    claims=("scalar.error", "scalar.vjp", "scalar.cost"),
    configs={"quick": ScalarConfig(width=256, outputs=(2, 4, 8, 16, 32, 64, 128, 256), repeats=3),
             "full": ScalarConfig(outputs=(2, 4, 8, 16, 32, 64, 128, 256, 512))},
    run=run,
    judge=judge,
    figures=figures,
    unit="seed",
    description="backward() on scalars and non-scalars; vector-Jacobian products; cost of full Jacobians.",
)
