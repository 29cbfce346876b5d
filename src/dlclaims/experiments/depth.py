"""Q-depth: universal approximation with one hidden layer against the efficiency of depth.

Claims judged: depth.uat, depth.efficiency, depth.trainability (beyond).

- uat: one hidden layer of n ReLU units on the 1-D target f(x) = sin(2 pi x) + 0.5 cos(5 pi x),
  x in [0, 1]; the constructive net (the piecewise-linear interpolant on n + 1 knots, n units) has
  error O(1/n^2); trained nets of every width and seed train together in one stack (ShallowReLU
  padded to the largest width, torch.func.vmap), beside the sawtooth sweep (per-member targets).
- efficiency: the sawtooth s_k with 2^k pieces is exact for a deep net with 2 units in each of
  k layers; a one-hidden-layer net with n units has at most n + 1 pieces, so it needs at least
  2^k - 1 units (checked on every net we build or train, pieces counted exactly on a fine grid);
  and the units training needs to reach a small error on s_k, one hidden layer against k layers
  (learning rate x initialisation tuned per architecture and width on a validation grid).
- trainability: deep against shallow at an equal parameter budget, both trained on s_k, both tuned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

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
from ..core.multiseed import StackedModels, fit_stacked
from ..core.stats import loglog_slope, mean_p_value
from ..core.threads import limit_threads
from ..data.sawtooth import count_pieces, grid, sawtooth
from ..models.mlp import MLP, ShallowReLU, n_params, sawtooth_mlp, shallow_sawtooth_mlp


@dataclass(frozen=True)
class DepthConfig:
    widths: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128)  # one-hidden-layer widths (uat, efficiency)
    steps: int = 2000  # full-batch Adam steps
    lr: float = 1e-2
    n_train: int = 256  # grid points of [0, 1] to fit
    ks: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)  # sawtooth depths built exactly
    k_train: int = 3  # the sawtooth that training must fit
    match_rmse: float = 0.05  # "the same error": RMSE a trained shallow net must reach on s_k
    deep_width: int = 8  # trainability: deep net of k_train layers of this width ...
    n_grid: int = 1 << 13  # grid for counting pieces
    init_scale: float = 20.0  # one-hidden-layer init: kinks uniform on [0, 1], inner weights U(-s, s)
    uat_target: float = 0.02  # uat: the test RMSE the widest net must reach ("as close as wanted")
    lrs: tuple[float, ...] = (3e-3, 1e-2, 3e-2)  # tuned per architecture and width on validation
    deep_widths: tuple[int, ...] = (2, 4, 8)  # efficiency: deep nets of k_train layers of these widths
    clear_margin: float = 0.5  # trainability: "clearly beats the constant": RMSE interval below this x its RMSE
    alpha: float = 0.05  # efficiency: level of the one-sided test on the units needed

    def __post_init__(self) -> None:
        require(len(self.widths) >= 3 and all(w >= 1 for w in self.widths), "need at least 3 widths, all >= 1")
        require(self.steps >= 1 and self.lr > 0, "steps must be >= 1 and lr > 0")
        require(self.n_train >= 8, f"n_train must be at least 8, got {self.n_train}")
        require(len(self.ks) > 0 and all(k >= 1 for k in self.ks), f"every k must be at least 1, got {self.ks}")
        require(self.k_train >= 1, f"k_train must be at least 1, got {self.k_train}")
        require(self.match_rmse > 0, f"match_rmse must be positive, got {self.match_rmse}")
        require(self.deep_width >= 1, "deep_width must be at least 1")
        require(self.init_scale > 0, f"init_scale must be positive, got {self.init_scale}")
        require(self.uat_target > 0 and len(self.lrs) >= 1 and all(x > 0 for x in self.lrs),
                "uat_target and every lr must be positive")
        require(len(self.deep_widths) >= 1 and all(w >= 2 for w in self.deep_widths), "deep_widths must be >= 2")
        require(0 < self.clear_margin < 1, f"clear_margin must lie in (0, 1), got {self.clear_margin}")
        require(2 ** max(self.ks) * 8 <= self.n_grid, "n_grid must resolve the largest sawtooth (8 points per piece)")


def uat_target(x: torch.Tensor) -> torch.Tensor:
    """f(x) = sin(2 pi x) + 0.5 cos(5 pi x): continuous, not piecewise linear."""
    return torch.sin(2 * math.pi * x) + 0.5 * torch.cos(5 * math.pi * x)


def _rmse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """pred: (S, N, 1), y: (N, 1) -> (S,)."""
    return ((pred - y) ** 2).mean(dim=(1, 2)).sqrt()


def _interpolant_rmse(n: int, x: torch.Tensor) -> float:
    """RMSE of the n-unit constructive net: the linear interpolant of f on n + 1 equispaced knots."""
    knots = np.linspace(0.0, 1.0, n + 1)
    xs = x[:, 0].double().numpy()
    f = uat_target(torch.from_numpy(knots)).numpy()
    return float(np.sqrt(np.mean((np.interp(xs, knots, f) - uat_target(x[:, 0].double()).numpy()) ** 2)))


INITS_SHALLOW = ("kinks", "default")  # kinks: each unit's kink uniform on [0, 1]; default: PyTorch's uniform
INITS_DEEP = ("kinks", "he")  # kinks: every unit's kink inside its data (below); he: W ~ N(0, 2 / fan_in), b = 0


def _neg_mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return -((pred - y) ** 2).mean()


def kinks_init_(net: MLP, x: torch.Tensor, slope_scale: float, g: torch.Generator) -> MLP:
    """The deep counterpart of the one-hidden-layer "kinks" initialisation (data-dependent): layer 1 has
    weights U(-s, s), deeper layers N(0, 2 / fan_in); each unit's bias puts its kink at a uniform quantile
    in [0.1, 0.9] of its pre-activations on the inputs x (N, 1), so no unit starts dead or linear."""
    with torch.no_grad():
        h = x  # (N, D)
        for i, layer in enumerate(net.hidden):
            if i == 0:
                layer.weight.uniform_(-slope_scale, slope_scale, generator=g)
            else:
                layer.weight.normal_(0.0, math.sqrt(2.0 / layer.in_features), generator=g)
            z = h @ layer.weight.T  # (N, W)
            q = (torch.rand(z.shape[1], generator=g) * 0.8 + 0.1) * (z.shape[0] - 1)  # (W,) quantile positions
            layer.bias.copy_(-z.sort(0).values[q.long(), torch.arange(z.shape[1])])
            h = torch.relu(z + layer.bias)
    return net


def _deep_mlp(arch: tuple[int, ...], init: str, g: torch.Generator, x: torch.Tensor, cfg: DepthConfig) -> MLP:
    net = MLP(1, arch, 1, generator=g)
    if init == "kinks":
        return kinks_init_(net, x, cfg.init_scale, g)
    if init == "he":
        with torch.no_grad():
            for layer in (*net.hidden, net.out):
                layer.weight.normal_(0.0, math.sqrt(2.0 / layer.in_features), generator=g)
                layer.bias.zero_()
    return net


def _sweep(make, configs: list[tuple], seeds: tuple[int, ...], xs: tuple[torch.Tensor, ...], targets,
           cfg: DepthConfig):
    """Train every (config, seed) member in one stack, full batch, each with its config's lr (the last
    entry of the config) and its own target (``targets(config)`` -> y_train, y_val, y_test on the points
    ``xs`` = (x_train, x_val, x_test)), keeping its parameters at the best validation MSE (checked 10
    times). Returns the stack, the members, and the validation and test RMSE of every member."""
    members = [(c, s) for c in configs for s in seeds]
    it = iter(members)
    stack = StackedModels.create(lambda g: make(next(it)[0], g), seeds=[s for _, s in members])
    ys = [torch.stack([targets(c)[j] for c, _ in members]) for j in range(3)]  # each (M, N_j, 1)
    xm = [x.expand(len(members), *x.shape) for x in xs]  # (M, N_j, 1)
    fit = fit_stacked(stack, xm[0], ys[0], loss=F.mse_loss, steps=cfg.steps, batch_size=xs[0].shape[0],
                      lr=[c[-1] for c, _ in members], per_member_data=True, val=(xm[1], ys[1]), score=_neg_mse,
                      eval_every=max(1, cfg.steps // 10))
    with torch.no_grad():
        test = ((stack(xm[2], per_seed_input=True) - ys[2]) ** 2).mean(dim=(1, 2)).sqrt()  # (M,)
    val = [math.sqrt(max(-v, 0.0)) for v in fit.best_score]
    return stack, members, val, test.tolist()


def _select(members: list, val: list[float], test: list[float], key) -> dict:
    """Per group key(config): the config with the lowest mean validation RMSE over seeds, and the test
    RMSE of its members (one per seed)."""
    groups: dict = {}
    for i, (c, _s) in enumerate(members):
        groups.setdefault(key(c), {}).setdefault(c, []).append(i)
    out = {}
    for k, cs in groups.items():
        best = min(cs, key=lambda c: float(np.mean([val[i] for i in cs[c]])))
        out[k] = {"config": list(best), "val_rmse": [val[i] for i in cs[best]],
                  "test_rmse": [test[i] for i in cs[best]], "members": cs[best],
                  "val_rmse_by_config": {"/".join(map(str, c)): float(np.mean([val[i] for i in ii]))
                                         for c, ii in cs.items()}}
    return out


def run(cfg: DepthConfig, ctx: RunContext) -> Measurements:
    with limit_threads(1):
        return _run(cfg, ctx)


def _run(cfg: DepthConfig, ctx: RunContext) -> Measurements:
    seeds = tuple(ctx.seeds)
    x_tr = torch.linspace(0, 1, cfg.n_train)[:, None]  # (N, 1) training points
    x_va = grid(cfg.n_train, dtype=torch.float32)  # (N, 1) cell midpoints: validation
    x_te = grid(4 * cfg.n_train, dtype=torch.float32)  # (M, 1) midpoints of a finer grid: test (disjoint)

    # depth.efficiency: exact nets and piece counts
    exact = []
    xg = grid(cfg.n_grid)
    for k in cfg.ks:
        deep, shallow = sawtooth_mlp(k).double(), shallow_sawtooth_mlp(k).double()
        with torch.no_grad():
            ref = sawtooth(xg, k)
            exact.append({"k": k, "deep_units": 2 * k, "shallow_units": 2**k,
                          "deep_max_error": float((deep(xg) - ref).abs().max()),
                          "shallow_max_error": float((shallow(xg) - ref).abs().max()),
                          "deep_pieces": count_pieces(deep, cfg.n_grid)["pieces"],
                          "shallow_pieces": count_pieces(shallow, cfg.n_grid)["pieces"]})

    # training on s_k: one hidden layer of every width (and of the trainability budget's width), and deep
    # nets of k layers of every deep width; lr x initialisation tuned per architecture and width on validation
    k = cfg.k_train
    y_tr, y_va, y_te = sawtooth(x_tr, k), sawtooth(x_va, k), sawtooth(x_te, k)
    deep_arch = (cfg.deep_width,) * k
    budget = n_params(MLP(1, deep_arch, 1))
    shallow_w = max(1, round((budget - 1) / 3))  # 3 w + 1 parameters
    sh_widths = sorted(set(cfg.widths) | {shallow_w})
    pad = max(sh_widths)

    def make_shallow(c: tuple, g: torch.Generator) -> ShallowReLU:
        w, init = c[0], c[1]
        if init == "kinks":
            return ShallowReLU(1, w, 1, pad_to=pad, kinks_in=(0.0, 1.0), slope_scale=cfg.init_scale, generator=g)
        return ShallowReLU(1, w, 1, pad_to=pad, generator=g)

    xs = (x_tr, x_va, x_te)
    saw, f = (y_tr, y_va, y_te), tuple(uat_target(x) for x in xs)
    # one stack: the uat nets (target f, the kinks init, cfg.lr) beside the sawtooth sweep of width x init x lr
    uat_cfgs = [(w, "kinks", "uat", cfg.lr) for w in cfg.widths]
    saw_cfgs = [(w, i, "saw", lr) for w in sh_widths for i in INITS_SHALLOW for lr in cfg.lrs]
    sh_stack, members, val, test = _sweep(make_shallow, uat_cfgs + saw_cfgs, seeds, xs,
                                          lambda c: f if c[2] == "uat" else saw, cfg)
    models = sh_stack.unstack()
    n_uat = len(uat_cfgs) * len(seeds)
    err = torch.tensor(test[:n_uat]).view(len(cfg.widths), len(seeds))  # (W, S)
    uat = {"widths": list(cfg.widths), "rmse": err.tolist(),
           "constructive_rmse": [_interpolant_rmse(w, x_te) for w in cfg.widths],
           "target_std": float(uat_target(x_te).std())}
    pieces_uat = []
    for (c, s_), model in zip(members[:n_uat], models[:n_uat]):
        model.width = c[0]
        pieces_uat.append({"width": c[0], "seed": s_, **count_pieces(model.double(), cfg.n_grid)})
    shallow = _select(members[n_uat:], val[n_uat:], test[n_uat:], key=lambda c: c[0])  # width -> selection
    for sel in shallow.values():
        sel["members"] = [n_uat + i for i in sel["members"]]
    for w, sel in shallow.items():
        sel["pieces"] = []
        for i in sel["members"]:
            models[i].width = w
            sel["pieces"].append(count_pieces(models[i].double(), cfg.n_grid)["pieces"])
    deep: dict = {}
    for w in sorted(set(cfg.deep_widths) | {cfg.deep_width}):
        st, mem, dval, dtest = _sweep(lambda c, g, w=w: _deep_mlp((w,) * k, c[0], g, x_tr, cfg),
                                      [(i, lr) for i in INITS_DEEP for lr in cfg.lrs], seeds, xs, lambda c: saw, cfg)
        sel = _select(mem, dval, dtest, key=lambda c: "all")["all"]
        ms = st.unstack()
        sel["pieces"] = [count_pieces(ms[i].double(), cfg.n_grid)["pieces"] for i in sel["members"]]
        deep[w] = sel
    for sel in (*shallow.values(), *deep.values()):
        del sel["members"]
    pieces_saw = [{"width": w, "seed": s, "pieces": p} for w, sel in shallow.items()
                  for s, p in zip(seeds, sel["pieces"])]
    return {
        "seeds": list(seeds),
        "uat": uat,
        "exact": exact,
        "trained_sawtooth": {"k": k, "widths": sh_widths, "shallow": {str(w): v for w, v in shallow.items()},
                             "deep_widths": sorted(deep), "deep": {str(w): v for w, v in deep.items()},
                             "constant_rmse": float(y_te.std(unbiased=False))},
        "pieces_trained_shallow": pieces_uat + pieces_saw,
        "trainability": {"k": k, "params": budget, "shallow_params": 3 * shallow_w + 1,
                         "deep_arch": list(deep_arch), "shallow_width": shallow_w},
    }


def _units_needed(rmse_by_width: dict[int, list[float]], units: dict[int, int], thr: float) -> list[float]:
    """Per seed, the fewest units whose test RMSE is <= thr (inf where no width reaches it: censored)."""
    widths = sorted(rmse_by_width)
    n = len(rmse_by_width[widths[0]])
    out = []
    for s in range(n):
        ok = [units[w] for w in widths if rmse_by_width[w][s] <= thr]
        out.append(float(min(ok)) if ok else math.inf)
    return out


def log_ratio_bounds(deep: list[float], shallow: list[float], deep_max: int,
                     shallow_max: int) -> tuple[list[float], list[float]]:
    """Per seed, lower and upper bounds of log(shallow units needed / deep units needed).

    A width that never reaches the threshold is censored: its need is above the largest tried, so it
    bounds the ratio on one side only (shallow censored: log(shallow_max / deep) is a lower bound;
    deep censored: log(shallow / deep_max) an upper bound); the other side is -inf / +inf."""
    lo, hi = [], []
    for d, s in zip(deep, shallow):
        if math.isfinite(d) and math.isfinite(s):
            lo.append(math.log(s / d))
            hi.append(math.log(s / d))
        elif math.isfinite(d):
            lo.append(math.log(shallow_max / d))
            hi.append(math.inf)
        elif math.isfinite(s):
            lo.append(-math.inf)
            hi.append(math.log(s / deep_max))
        else:
            lo.append(-math.inf)
            hi.append(math.inf)
    return lo, hi


def judge(runs: list[Measurements], cfg: DepthConfig) -> list:
    m = runs[0]
    return [judge_uat(m, cfg), judge_efficiency(m, cfg), judge_trainability(m, cfg)]


def judge_uat(m: Measurements, cfg: DepthConfig):
    u = m["uat"]
    rm = np.asarray(u["rmse"], dtype=float)  # (W, S)
    widest = mean_ci(rm[-1])
    slope_tr = loglog_slope(u["widths"], rm.tolist())
    slope_c = loglog_slope(u["widths"], u["constructive_rmse"])
    constructive_ok = u["constructive_rmse"][-1] <= cfg.uat_target
    trained_ok = widest.below(cfg.uat_target)
    falls = True if slope_c.hi < 0 else False if slope_c.lo >= 0 else None  # NaN interval: None
    if constructive_ok or trained_ok:
        holds: bool | None = True
    elif falls is False or (falls is None and u["constructive_rmse"][-1] >= u["constructive_rmse"][0]):
        holds = False  # the construction does not improve with width: that would contradict the theorem
    else:
        holds = None  # still falling, the target not yet reached at this width
    evidence = "exact" if constructive_ok or holds is False else "measured"
    return verdict(
        "depth.uat",
        holds=holds,
        rule=f"one hidden layer of n ReLU units on f(x) = sin(2 pi x) + 0.5 cos(5 pi x); the claim (an existence "
             f"theorem) holds if a net of the largest width {u['widths'][-1]} reaches test RMSE <= "
             f"{cfg.uat_target:g}: the constructive net (linear interpolant on n + 1 knots, n units; exact "
             "evidence) or, failing it, the trained nets (95% interval over seeds below the target); a trained net "
             "that misses the target does not refute it. Refuted only if the constructive net misses the target "
             "and its error does not fall with n (log-log slope interval at or above 0, or no interval and no fall "
             "from the smallest to the largest width); undecided if it misses "
             "the target but still falls",
        numbers={"widths": u["widths"], "target_rmse": cfg.uat_target,
                 "rmse_trained": [mean_ci(r).to_dict() for r in rm],
                 "rmse_constructive": u["constructive_rmse"], "constructive_reaches_target": constructive_ok,
                 "trained_reaches_target": trained_ok, "slope_trained": slope_tr.to_dict(),
                 "slope_constructive": slope_c.to_dict(), "target_std": u["target_std"],
                 "rmse_widest_trained": widest.to_dict()},
        figures=["uat"],
        evidence=evidence,
    )


def judge_efficiency(m: Measurements, cfg: DepthConfig):
    ex = m["exact"]
    deep_exact = all(e["deep_max_error"] < 1e-9 and e["deep_pieces"] == 2 ** e["k"] for e in ex)
    shallow_exact = all(e["shallow_max_error"] < 1e-6 and e["shallow_pieces"] == 2 ** e["k"] for e in ex)
    pts = m["pieces_trained_shallow"]
    bound_ok = all(p["pieces"] <= p["width"] + 1 for p in pts)
    ts = m["trained_sawtooth"]
    k = ts["k"]
    sh = {int(w): v["test_rmse"] for w, v in ts["shallow"].items()}
    dp = {int(w): v["test_rmse"] for w, v in ts["deep"].items()}
    need_sh = _units_needed(sh, {w: w for w in sh}, cfg.match_rmse)
    need_dp = _units_needed(dp, {w: k * w for w in dp}, cfg.match_rmse)
    lo, hi = log_ratio_bounds(need_dp, need_sh, k * max(dp), max(sh))
    p_fewer = mean_p_value(lo, 0.0, "greater") if all(map(math.isfinite, lo)) else math.nan
    p_more = mean_p_value(hi, 0.0, "less") if all(map(math.isfinite, hi)) else math.nan
    trained = True if p_fewer < cfg.alpha else False if p_more < cfg.alpha else None
    p1 = "a deep ReLU net with 2 units in each of k layers is the exact 2^k-piece sawtooth"
    p2 = "one hidden layer has at most width + 1 pieces (so needs >= 2^k - 1 units), and 2^k suffice"
    p3 = f"trained to RMSE {cfg.match_rmse:g} on s_{k}, a deep net of {k} layers needs fewer units than one hidden layer"
    return verdict_from_parts(
        "depth.efficiency",
        parts={p1: deep_exact, p2: bound_ok and shallow_exact},
        rule="exact nets checked against the closed form s_k(x) = 1 - |2 frac(2^(k-1) x) - 1| (max error < 1e-9); "
             "linear pieces counted on a fine grid from activation patterns and local affine maps; every trained or "
             "constructed one-hidden-layer net must have pieces <= width + 1. The claim is about what a net can "
             "represent, so these two exact parts decide it (as for depth.uat, a failure to train does not refute "
             "an existence result). Reported beside them, as a description of what gradient training reaches (not a "
             "part of the verdict; depth.trainability judges training): per seed the fewest "
             f"units reaching test RMSE <= {cfg.match_rmse:g} (one hidden layer: its width; deep: {k} x its width; "
             "lr and initialisation tuned per width on validation); a width that never reaches it is censored (the "
             "need is above the largest tried) and bounds log(shallow units / deep units) on one side only; the part "
             f"'deep needs fewer' if the lower bounds are finite in every seed and their mean is above 0 (one-sided "
             f"t-test, p < {cfg.alpha:g}), 'deep needs more' if the upper bounds are finite and their mean is below 0, "
             "undecided otherwise",
        numbers={"exact": ex, "max_pieces_over_width_plus_1": max(p["pieces"] / (p["width"] + 1) for p in pts),
                 "n_shallow_nets_checked": len(pts), "k_train": k, "deep_units_exact": 2 * k,
                 "shallow_lower_bound_units": 2**k - 1, "shallow_units_needed_per_seed": need_sh,
                 "trained_comparison": {"statement": p3, "holds": trained},
                 "deep_units_needed_per_seed": need_dp, "log_ratio_lower_bounds": lo, "log_ratio_upper_bounds": hi,
                 "p_deep_fewer": p_fewer, "p_deep_more": p_more,
                 "shallow_test_rmse": {w: mean_ci(v).to_dict() for w, v in sh.items()},
                 "deep_test_rmse": {w: mean_ci(v).to_dict() for w, v in dp.items()},
                 "tuned": {"shallow": {w: v["config"] for w, v in ts["shallow"].items()},
                           "deep": {w: v["config"] for w, v in ts["deep"].items()}}},
        figures=["regions", "uat"],
        evidence="exact",
    )


def judge_trainability(m: Measurements, cfg: DepthConfig):
    tr = m["trainability"]
    ts = m["trained_sawtooth"]
    deep = ts["deep"][str(tr["deep_arch"][0])]
    shallow = ts["shallow"][str(tr["shallow_width"])]
    const = ts["constant_rmse"]
    d_iv, s_iv = mean_ci(deep["test_rmse"]), mean_ci(shallow["test_rmse"])
    bar = cfg.clear_margin * const
    failed = [name for name, iv in (("deep", d_iv), ("shallow", s_iv)) if not iv.below(bar)]
    log_ratio = mean_ci([math.log(d / s) for d, s in zip(deep["test_rmse"], shallow["test_rmse"])])
    holds: bool | None = None
    if failed:
        reason = (f"{' and '.join(failed)} did not clearly beat the constant predictor (95% interval of test RMSE "
                  f"not below {cfg.clear_margin:g} x {const:.3f}): failed fits say nothing about trainability")
    else:
        worse = log_ratio.compare(0.0)  # True: deep worse, False: deep better
        holds = None if worse is None else not worse
        reason = "" if holds is not None else "the interval of log(RMSE_deep / RMSE_shallow) straddles 0 or is undecided"
    return verdict(
        "depth.trainability",
        holds=holds,
        rule=f"at an equal parameter budget ({tr['params']} parameters: {len(tr['deep_arch'])} layers of "
             f"{tr['deep_arch'][0]} against one layer of {tr['shallow_width']}), each trained on s_{tr['k']} with "
             "its own learning rate and initialisation chosen on validation (lowest mean validation RMSE over "
             "seeds); both must clearly beat the constant predictor (95% interval of test RMSE below "
             f"{cfg.clear_margin:g} x its RMSE) before anything is judged, else inconclusive with the reason; then "
             "training realises depth's advantage if the 95% interval of log(RMSE_deep / RMSE_shallow) over seeds "
             "lies below 0, refuted if above 0, undecided if it straddles 0",
        numbers={"deep_rmse": d_iv.to_dict(), "shallow_rmse": s_iv.to_dict(), "constant_rmse": const,
                 "clear_bar": bar, "reason": reason, "log_ratio_deep_over_shallow": log_ratio.to_dict(),
                 "deep_tuned": deep["config"], "shallow_tuned": shallow["config"],
                 "deep_val_rmse_by_config": deep["val_rmse_by_config"],
                 "shallow_val_rmse_by_config": shallow["val_rmse_by_config"],
                 "deep_pieces": deep["pieces"], "shallow_pieces": shallow["pieces"], "pieces_needed": 2 ** tr["k"],
                 **{k_: tr[k_] for k_ in ("params", "shallow_params", "deep_arch", "shallow_width")}},
        figures=["trainability"],
    )


def figures(runs: list[Measurements], cfg: DepthConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    u = m["uat"]
    w = np.asarray(u["widths"], dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ts = m["trained_sawtooth"]
    ws = np.asarray([int(x) for x in ts["shallow"]], dtype=float)
    for label, xs, data in (("trained, target f", w, u["rmse"]),
                            (f"trained (tuned), sawtooth k={ts['k']}", ws,
                             [v["test_rmse"] for v in ts["shallow"].values()])):
        ivs = [mean_ci(r) for r in data]
        ax.errorbar(xs, [i.mean for i in ivs], yerr=[[np.nan_to_num(i.mean - i.lo) for i in ivs],
                                                     [np.nan_to_num(i.hi - i.mean) for i in ivs]],
                    fmt="o-", capsize=3, label=label)
    wd = np.asarray([ts["k"] * int(x) for x in ts["deep"]], dtype=float)
    ax.plot(wd, [np.mean(v["test_rmse"]) for v in ts["deep"].values()], "s--",
            label=f"trained (tuned) deep, {ts['k']} layers: total units")
    ax.axhline(cfg.uat_target, color="k", ls=":", lw=0.8)
    ax.plot(w, u["constructive_rmse"], "k--", label="constructive (interpolant), target f")
    ax.axhline(cfg.match_rmse, color="grey", ls=":", lw=0.8)
    ax.axvline(2 ** m["trained_sawtooth"]["k"] - 1, color="C1", ls=":", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("width n (one hidden layer)")
    ax.set_ylabel("test RMSE (mean, 95% interval)")
    ax.set_title("Error against width")
    ax.legend(fontsize=7)
    out.save(fig, "uat")

    ex = m["exact"]
    ks = np.array([e["k"] for e in ex])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    ax.semilogy(ks, 2.0**ks, "k--", label="2^k")
    ax.semilogy(ks, [e["deep_pieces"] for e in ex], "o", label="deep exact net: pieces counted")
    ax.semilogy(ks, [e["shallow_pieces"] for e in ex], "x", ms=9, label="shallow exact net: pieces counted")
    ax.semilogy(ks, 2 * ks, "C0-", label="deep units 2k")
    ax.semilogy(ks, 2.0**ks - 1, "C1-", label="shallow units needed >= 2^k - 1")
    ax.set_xlabel("k")
    ax.set_title("Linear regions of the sawtooth against 2^k")
    ax.legend(fontsize=7)
    pts = m["pieces_trained_shallow"]
    ax2.scatter([p["width"] for p in pts], [p["pieces"] for p in pts], s=12, alpha=0.6, label="trained nets")
    ww = np.array(sorted({p["width"] for p in pts}), dtype=float)
    ax2.plot(ww, ww + 1, "k--", label="bound width + 1")
    ax2.set_xscale("log", base=2)
    ax2.set_yscale("log", base=2)
    ax2.set_xlabel("width")
    ax2.set_ylabel("linear pieces on [0, 1]")
    ax2.set_title("One hidden layer: pieces <= width + 1")
    ax2.legend(fontsize=7)
    out.save(fig, "regions")

    tr = m["trainability"]
    vals = (ts["deep"][str(tr["deep_arch"][0])]["test_rmse"], ts["shallow"][str(tr["shallow_width"])]["test_rmse"])
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, v in enumerate(vals):
        iv = mean_ci(v)
        ax.bar(i, iv.mean, yerr=[[np.nan_to_num(iv.mean - iv.lo)], [np.nan_to_num(iv.hi - iv.mean)]], capsize=4,
               color=f"C{i}")
        ax.scatter(np.full(len(v), i), v, color="k", s=10, zorder=3)
    ax.axhline(ts["constant_rmse"], color="grey", ls="--", lw=0.8, label="constant predictor")
    ax.legend(fontsize=7)
    ax.set_xticks([0, 1], [f"deep {tr['deep_arch']}", f"shallow ({tr['shallow_width']})"])
    ax.set_ylabel(f"test RMSE on sawtooth k={tr['k']}")
    ax.set_title(f"Equal budget: {tr['params']} parameters")
    out.save(fig, "trainability")


EXPERIMENT = experiment(
    "depth",
    question="Q-depth",
    claims=("depth.uat", "depth.efficiency", "depth.trainability"),
    # quick: one learning rate for both families (the same tuning budget: lr x 2 initialisations each) but
    # long enough training that the trained comparison is not decided by undertrained one-hidden-layer nets
    configs={"quick": DepthConfig(widths=(2, 4, 8, 16, 32, 64), steps=1600, n_train=256, ks=(1, 2, 3, 4, 5, 6),
                                  n_grid=1 << 12, lrs=(1e-2,), deep_widths=(2, 8)),
             "full": DepthConfig()},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="One hidden layer vs depth: error against width, the exact deep sawtooth, equal-budget training.",
)
