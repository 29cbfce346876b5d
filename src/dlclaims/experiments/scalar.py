"""Q-scalar: why ``backward()`` wants a scalar.

For y = f(x) with x in R^n and y in R^m, reverse mode computes one
vector-Jacobian product v^T J per backward pass. ``y.backward()`` on a
non-scalar has no v to start from, so PyTorch raises; ``y.backward(v)``
returns v^T J; the full m x n Jacobian costs m backward passes (one per row),
while the gradient of a scalar loss costs one.

The cost is counted exactly in floating-point operations
(``torch.utils.flop_counter.FlopCounterMode``: 2 m n k per (m x k)(k x n) product):
F = one forward pass, B = one backward pass of a scalar (one VJP), and the full
Jacobian of y[:m] by a loop over its m rows or by ``torch.func.jacrev`` (the m
VJPs vmapped into one batched product), each including its forward pass.
Wall-clock times are recorded beside the counts for context; they do not decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import jacrev
from torch.utils.flop_counter import FlopCounterMode

from ..core import FigureSink, Measurements, RunContext, experiment, loglog_slope, require, verdict
from ..core.stats import median_time
from ..core.threads import limit_threads


@dataclass(frozen=True)
class ScalarConfig:
    width: int = 512  # n: input and hidden width of the fixed network g
    depth: int = 3  # layers of g
    outputs: tuple[int, ...] = (4, 16, 64, 256, 512)  # m: y = g(x)[:m]
    repeats: int = 5  # timings per point (their median is shown; timings do not decide)
    vjp_tolerance: float = 1e-10  # float64
    cheap_factor: float = 3.0  # "cheap": one backward pass costs at most this many forward passes
    flop_tolerance: float = 0.01  # a Jacobian "costs m passes" if its backward FLOPs >= (1 - tol) m B

    def __post_init__(self) -> None:
        require(self.width >= 2 and self.depth >= 1, "width must be >= 2 and depth >= 1")
        require(len(self.outputs) >= 3, "scalar.cost needs at least 3 output sizes")
        require(all(1 <= m <= self.width for m in self.outputs), f"every output size m must be in 1..width ({self.width})")
        require(self.repeats >= 1, "repeats must be at least 1")
        require(self.cheap_factor >= 1 and 0 <= self.flop_tolerance < 1,
                "cheap_factor must be >= 1 and flop_tolerance in [0, 1)")


class Net:
    """g(x) = tanh(W_L ... tanh(W_1 x + b_1) ... + b_L): R^n -> R^n, a plain function of its weights
    (no nn.Module, so that FlopCounterMode can count inside torch.func.jacrev)."""

    def __init__(self, width: int, depth: int, generator: torch.Generator) -> None:
        self.weights = [torch.randn(width, width, generator=generator, dtype=torch.float64) / width**0.5
                        for _ in range(depth)]  # each (n, n)
        self.biases = [torch.zeros(width, dtype=torch.float64) for _ in range(depth)]

    def __call__(self, x: Tensor) -> Tensor:
        for w, b in zip(self.weights, self.biases):
            x = torch.tanh(F.linear(x, w, b))  # (n,)
        return x

    def requires_grad_(self, flag: bool = True) -> Net:
        for t in (*self.weights, *self.biases):
            t.requires_grad_(flag)
        return self


def count_flops(fn) -> int:
    """Floating-point operations of ``fn()`` (matrix products; element-wise ops are not counted)."""
    with FlopCounterMode(display=False) as fc:
        fn()
    return int(fc.get_total_flops())


def run(cfg: ScalarConfig, ctx: RunContext) -> Measurements:
    with limit_threads(1):
        return _run(cfg, ctx)


def _run(cfg: ScalarConfig, ctx: RunContext) -> Measurements:
    g = torch.Generator().manual_seed(ctx.seed)
    net = Net(cfg.width, cfg.depth, g)
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
    vjp_err = float((vjp - v @ J).abs().max())

    # scalar.cost, exactly: FLOPs of a forward pass, one VJP, and the full Jacobian two ways.
    flops_forward = count_flops(lambda: net(x))
    y = net(x)
    flops_backward = count_flops(lambda: torch.autograd.grad(y.sum(), x, retain_graph=True))
    net.requires_grad_(True)
    y = net(x)
    flops_backward_params = count_flops(
        lambda: torch.autograd.grad(y.sum(), [x, *net.weights, *net.biases], retain_graph=True))
    net.requires_grad_(False)
    flops_rows, flops_jacrev = [], []
    for m in cfg.outputs:
        def rows(m: int = m) -> None:
            out = net(x)[:m]
            for i in range(m):  # one vector-Jacobian product per row e_i^T J
                torch.autograd.grad(out[i], x, retain_graph=True)

        flops_rows.append(count_flops(rows))
        flops_jacrev.append(count_flops(lambda m=m: jacrev(lambda z: net(z)[:m])(x.detach())))

    # context: wall-clock time of one backward pass vs the full Jacobian, as m grows
    t_backward, t_jacobian, t_jacrev = [], [], []
    for m in cfg.outputs:
        def backward_once(m: int = m) -> None:
            torch.autograd.grad(net(x)[:m].sum(), x)

        def jacobian_rows(m: int = m) -> None:
            out = net(x)[:m]
            for i in range(m):
                torch.autograd.grad(out[i], x, retain_graph=True)

        t_backward.append(median_time(backward_once, repeats=cfg.repeats))
        t_jacobian.append(median_time(jacobian_rows, repeats=cfg.repeats))
        t_jacrev.append(median_time(lambda m=m: jacrev(lambda z: net(z)[:m])(x.detach()), repeats=cfg.repeats))
    return {
        "error": {"raised": raised, "message": message.splitlines()[0] if message else "", "scalar_ok": scalar_ok},
        "vjp": {"max_abs_error": vjp_err, "m": m_vjp, "n": cfg.width},
        "cost": {"m": list(cfg.outputs), "flops_forward": flops_forward, "flops_backward": flops_backward,
                 "flops_backward_with_parameters": flops_backward_params,
                 "flops_jacobian_rows": flops_rows, "flops_jacrev": flops_jacrev,
                 "backward_s": t_backward, "jacobian_rows_s": t_jacobian, "jacrev_s": t_jacrev},
    }


def _per_m_medians(runs: list[Measurements], key: str) -> list[list[float]]:
    """For each m: the per-seed medians of the repeats, pooled over seeds: (M, S)."""
    n_m = len(runs[0]["cost"]["m"])
    return [[float(np.median(r["cost"][key][i])) for r in runs] for i in range(n_m)]


def judge(runs: list[Measurements], cfg: ScalarConfig) -> list:
    err = [r["error"] for r in runs]
    v_error = verdict(
        "scalar.error",
        holds=all(e["raised"] and e["scalar_ok"] for e in err),
        rule="backward() on a non-scalar output without grad_outputs raises, on a scalar it succeeds (every seed); "
             "refuted if any seed's non-scalar backward() runs or its scalar backward() raises",
        numbers={"raised": [e["raised"] for e in err], "message": err[0]["message"],
                 "scalar_backward_ok": [e["scalar_ok"] for e in err]},
        evidence="exact",
    )
    worst = max(r["vjp"]["max_abs_error"] for r in runs)
    v_vjp = verdict(
        "scalar.vjp",
        holds=worst < cfg.vjp_tolerance,
        rule=f"backward(v) equals v^T J (J from torch.func.jacrev) to {cfg.vjp_tolerance:g} in float64, every seed; "
             "refuted if any seed differs by more",
        numbers={"max_abs_error": worst, "m": runs[0]["vjp"]["m"], "n": runs[0]["vjp"]["n"]},
        evidence="exact",
    )
    v_cost = judge_cost(runs, cfg)
    return [v_error, v_vjp, v_cost]


def judge_cost(runs: list[Measurements], cfg: ScalarConfig):
    ms = runs[0]["cost"]["m"]
    tol, k = cfg.flop_tolerance, cfg.cheap_factor
    per_seed = []
    for r in runs:
        c = r["cost"]
        fwd, bwd = c["flops_forward"], c["flops_backward"]
        # backward passes a Jacobian costs: (its FLOPs - one forward) / B
        passes_rows = [(j - fwd) / bwd for j in c["flops_jacobian_rows"]]
        passes_jacrev = [(j - fwd) / bwd for j in c["flops_jacrev"]]
        per_seed.append({"ratio": bwd / fwd, "rows": passes_rows, "jacrev": passes_jacrev,
                         "ratio_params": c["flops_backward_with_parameters"] / fwd})
    cheap = all(p["ratio"] <= k for p in per_seed)
    cheaper_jacobian = [(m, method) for p in per_seed for method in ("rows", "jacrev")
                        for m, n_pass in zip(ms, p[method]) if n_pass < (1 - tol) * m]
    holds = cheap and not cheaper_jacobian
    bwd_t = loglog_slope(ms, _per_m_medians(runs, "backward_s"))
    jac_t = loglog_slope(ms, _per_m_medians(runs, "jacobian_rows_s"))
    jrv_t = loglog_slope(ms, _per_m_medians(runs, "jacrev_s"))
    c0 = runs[0]["cost"]
    return verdict(
        "scalar.cost",
        holds=holds,
        rule=f"FLOPs counted exactly (torch.utils.flop_counter): F = one forward pass, B = one backward pass of a "
             f"scalar (one vector-Jacobian product); a scalar keeps backpropagation cheap if B <= {k:g} F and the "
             f"full m x n Jacobian, by a loop over its rows and by torch.func.jacrev (vmapped), costs at least "
             f"m backward passes ((FLOPs - F) / B >= {1 - tol:g} m) for every m; refuted if B > {k:g} F or a "
             "Jacobian costs fewer than m passes; wall-clock slopes are shown for context only",
        numbers={"m": ms, "flops_forward": c0["flops_forward"], "flops_backward": c0["flops_backward"],
                 "backward_over_forward": per_seed[0]["ratio"],
                 "backward_with_parameters_over_forward": per_seed[0]["ratio_params"],
                 "flops_jacobian_rows": c0["flops_jacobian_rows"], "flops_jacrev": c0["flops_jacrev"],
                 "jacobian_rows_in_backward_passes": per_seed[0]["rows"],
                 "jacrev_in_backward_passes": per_seed[0]["jacrev"],
                 "jacobians_cheaper_than_m_passes": [list(x) for x in cheaper_jacobian],
                 "time_slope_backward": bwd_t.to_dict(), "time_slope_jacobian_rows": jac_t.to_dict(),
                 "time_slope_jacrev_vmap": jrv_t.to_dict(), "seeds": len(runs)},
        figures=["cost"],
        evidence="exact",
    )


def figures(runs: list[Measurements], cfg: ScalarConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    c = runs[0]["cost"]
    ms = np.array(c["m"], dtype=float)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
    ax.plot(ms, [c["flops_forward"] + c["flops_backward"]] * len(ms), "o-", color="C0",
            label="gradient of a scalar: forward + 1 backward")
    ax.plot(ms, c["flops_jacobian_rows"], "s-", color="C3", label="full Jacobian, loop over m rows")
    ax.plot(ms, c["flops_jacrev"], "x--", color="C1", label="full Jacobian, torch.func.jacrev (vmapped)")
    ax.plot(ms, c["flops_forward"] + ms * c["flops_backward"], "k:", lw=0.8, label="F + m B")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("output size m")
    ax.set_ylabel("FLOPs (counted)")
    ax.set_title(f"Exact cost (n = {cfg.width})")
    ax.legend(fontsize=7)
    for key, label, col in (("backward_s", "one backward pass of a scalar", "C0"),
                            ("jacobian_rows_s", "full Jacobian, m backward passes", "C3"),
                            ("jacrev_s", "full Jacobian, torch.func.jacrev (vmapped)", "C1")):
        for r in runs:
            ax2.plot(ms, [np.median(t) for t in r["cost"][key]], ".", color=col, alpha=0.35)
        s = loglog_slope(ms, _per_m_medians(runs, key))
        ax2.plot(ms, np.exp(s.intercept) * ms**s.slope, "-", color=col, label=f"{label}: slope {s.slope:.2f}")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("output size m")
    ax2.set_ylabel("time (s, median of repeats; context)")
    ax2.set_title("Wall-clock time")
    ax2.legend(fontsize=7)
    out.save(fig, "cost")


EXPERIMENT = experiment(
    "scalar",
    question="Q-scalar",
    claims=("scalar.error", "scalar.vjp", "scalar.cost"),
    configs={"quick": ScalarConfig(width=128, outputs=(2, 8, 32, 128), repeats=1),
             "full": ScalarConfig(outputs=(2, 4, 8, 16, 32, 64, 128, 256, 512))},
    run=run,
    judge=judge,
    figures=figures,
    unit="seed",
    description="backward() on scalars and non-scalars; vector-Jacobian products; FLOPs of full Jacobians.",
)
