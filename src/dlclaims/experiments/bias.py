"""Q-bias: inductive bias of a CNN, in two regimes (8x8 digits; digits on a larger canvas).

Claims judged: bias.equivariance, bias.data-efficiency, bias.misaligned.

- equivariance: for each layer l of a trained CNN and shifts s of the input (T_s, zero fill),
      equivariance error  E_l = ||f_l(T_s x) - T_{s/stride} f_l(x)|| / ||f_l(x)||   (spatial maps)
      invariance error    I_l = ||f_l(T_s x) - f_l(x)|| / ||f_l(x)||
  on test images set in a zero border of 2 max(s) px so no content leaves the frame; E_l is taken
  away from the zero-filled strip at the map's edge ("up to borders"), and only where s is a
  multiple of the layer's stride. Convolution and ReLU are equivariant; invariance appears only
  at the global pool.
- data-efficiency: test accuracy against training-set size (nested subsets), CNN against MLP;
  the paired per-seed accuracy difference averaged over the smaller half of the sizes.
- misaligned: one fixed pixel permutation applied to train and test images; the MLP's accuracy
  change against the CNN's.
Seeds train together (StackedModels + train_stacked); every number has a 95% interval over seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core import FigureSink, Measurements, RunContext, experiment, mean_ci, require, verdict_from_parts
from ..data.digits import SIDE
from ..data.views import DIRECTIONS, fixed_permutation, nested_subsets, permute_pixels, shift
from ..models.cnn import STRIDES
from .cnn import (
    REGIMES,
    accuracy,
    cnn_maker,
    interval_sign,
    mlp_maker,
    regime_data,
    regime_name,
    regime_rule,
    train_family,
)

LAYERS = ("conv1", "relu1", "pool1", "conv2", "relu2", "gap")


@dataclass(frozen=True)
class BiasConfig:
    canvas: int = 24
    margin: int = 2
    sizes: tuple[int, ...] = (25, 50, 100, 200, 400, 800, 1300)  # training-set sizes (nested subsets)
    mlp_width: int = 64
    cnn_c1: int = 16  # C_1; C_2 = 2 C_1
    steps: int = 600
    batch_size: int = 64
    lr: float = 1e-2
    shifts: tuple[int, ...] = (1, 2)
    perm_seed: int = 12345
    n_equiv: int = 64  # test images for the per-layer errors
    invariance_tol: float = 0.1  # a layer is "invariant" if its invariance error is below this
    equivariance_tol: float = 1e-4  # ... "equivariant" if its interior equivariance error is below this

    def __post_init__(self) -> None:
        require(self.canvas >= SIDE + 2 * self.margin and self.margin >= 0,
                f"canvas {self.canvas} must hold an 8x8 digit with margin {self.margin}")
        require(len(self.sizes) >= 2, "need at least 2 training-set sizes")
        require(all(s >= 1 for s in self.sizes), f"every subset size must be at least 1, got {self.sizes}")
        require(list(self.sizes) == sorted(set(self.sizes)), "sizes must increase")
        require(self.mlp_width >= 1 and self.cnn_c1 >= 1, "model sizes must be at least 1")
        require(self.steps >= 1 and self.batch_size >= 1 and self.lr > 0, "steps, batch_size, lr must be positive")
        require(len(self.shifts) > 0 and all(s >= 1 for s in self.shifts), "shifts must be at least 1 pixel")
        require(max(self.shifts) < SIDE,
                f"shift {max(self.shifts)} is larger than the 8x8 image: shifts must be smaller than {SIDE} pixels")
        require(self.n_equiv >= 2, "n_equiv must be at least 2")


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


@torch.no_grad()
def layer_errors(model: torch.nn.Module, imgs: torch.Tensor, shifts: tuple[int, ...]) -> dict:
    """Per layer and shift: invariance and interior equivariance errors, averaged over 4 directions.

    imgs: (N, 1, H, W) already set in a zero border wider than every shift.
    """
    base = model.layers(imgs)
    out: dict = {}
    for s in shifts:
        inv = {name: [] for name in LAYERS}
        eqv = {name: [] for name in LAYERS}
        eqv_full = {name: [] for name in LAYERS}
        for dy, dx in DIRECTIONS:
            moved = model.layers(shift(imgs, dy * s, dx * s))
            for name in LAYERS:
                a, b = moved[name], base[name]
                inv[name].append(_rel(a, b))
                stride = STRIDES[name]
                if stride is None or s % stride:
                    continue
                sl = s // stride
                expect = shift(b, dy * sl, dx * sl)  # T_{s/stride} f_l(x)
                c = sl + 1  # leave out the zero-filled strip and its neighbour at every edge
                eqv[name].append(_rel(a[..., c:-c, c:-c], expect[..., c:-c, c:-c]))
                eqv_full[name].append(_rel(a, expect))  # with the fill strip: conv biases show there
        out[str(s)] = {"invariance": {k: float(np.mean(v)) for k, v in inv.items()},
                       "equivariance": {k: (float(np.mean(v)) if v else math.nan) for k, v in eqv.items()},
                       "equivariance_full": {k: (float(np.mean(v)) if v else math.nan) for k, v in eqv_full.items()}}
    return out


def run(cfg: BiasConfig, ctx: RunContext) -> Measurements:
    seeds = tuple(ctx.seeds)
    out: dict = {"seeds": list(seeds), "regimes": {}}
    pad = 2 * max(cfg.shifts)
    for regime in REGIMES:
        d, side = regime_data(regime, cfg.canvas, cfg.margin)
        n = d.x_train.shape[0]
        sizes = [min(s, n) for s in cfg.sizes]
        subsets = nested_subsets(n, sizes, seed=seeds[0])
        makers = {"mlp": mlp_maker(side, cfg.mlp_width), "cnn": cnn_maker(side, cfg.cnn_c1)}
        res: dict = {"side": side, "sizes": sizes, "acc": {"mlp": [], "cnn": []}}
        stacks = {}
        for fam, make in makers.items():
            for idx in subsets:
                stack = train_family(make, d.x_train[idx], d.y_train[idx], seeds, steps=cfg.steps,
                                     batch_size=cfg.batch_size, lr=cfg.lr)
                res["acc"][fam].append(accuracy(stack, d.x_test, d.y_test))
            stacks[fam] = stack  # trained on the largest subset

        # misaligned: one fixed pixel permutation, train and test alike, the largest subset
        perm = fixed_permutation(side * side, cfg.perm_seed)
        idx = subsets[-1]
        xtr, xte = permute_pixels(d.x_train[idx], perm), permute_pixels(d.x_test, perm)
        res["permuted_acc"] = {fam: accuracy(train_family(make, xtr, d.y_train[idx], seeds, steps=cfg.steps,
                                                          batch_size=cfg.batch_size, lr=cfg.lr), xte, d.y_test)
                               for fam, make in makers.items()}

        # equivariance / invariance per layer of the CNN trained on the largest subset
        imgs = F.pad(d.x_test[: cfg.n_equiv].view(-1, 1, side, side), (pad, pad, pad, pad))  # (N, 1, H+2p, W+2p)
        res["layers"] = [layer_errors(model, imgs, cfg.shifts) for model in stacks["cnn"].unstack()]
        out["regimes"][regime] = res
    return out


def judge(runs: list[Measurements], cfg: BiasConfig) -> list:
    m = runs[0]
    names = {r: regime_name(r, cfg.canvas) for r in REGIMES}
    even = [s for s in cfg.shifts if s % 2 == 0]
    s_eq = str(even[0] if even else cfg.shifts[0])

    parts, nums = {}, {}
    for r in REGIMES:
        per_seed = m["regimes"][r]["layers"]
        eq = {k: mean_ci([ps[s_eq]["equivariance"][k] for ps in per_seed]) for k in LAYERS}
        inv = {s: {k: mean_ci([ps[s]["invariance"][k] for ps in per_seed]) for k in LAYERS}
               for s in map(str, cfg.shifts)}
        spatial = [k for k in ("conv1", "relu1", "conv2", "relu2") if not math.isnan(eq[k].mean)]
        equivariant = all(eq[k].hi < cfg.equivariance_tol for k in spatial)
        conv_inv = [inv[s]["conv1"] for s in inv]
        conv_invariant = True if all(iv.hi < cfg.invariance_tol for iv in conv_inv) else \
            False if all(iv.lo > cfg.invariance_tol for iv in conv_inv) else None
        gap_more = all(inv[s]["gap"].hi < inv[s]["conv1"].lo for s in inv)
        nm = names[r]
        parts[f"{nm}: weight sharing gives equivariance (conv/ReLU layers, interior)"] = equivariant
        parts[f"{nm}: weight sharing alone gives invariance (conv1 features unchanged by a shift)"] = conv_invariant
        parts[f"{nm}: the global pool's output is more invariant than the conv features"] = gap_more
        eq_full = {k: mean_ci([ps[s_eq]["equivariance_full"][k] for ps in per_seed]) for k in spatial}
        nums[nm] = {f"equivariance_error_shift_{s_eq}": {k: v.to_dict() for k, v in eq.items()},
                    f"equivariance_error_with_border_shift_{s_eq}": {k: v.to_dict() for k, v in eq_full.items()},
                    "invariance_error": {s: {k: v.to_dict() for k, v in d.items()} for s, d in inv.items()}}
    v_eq = verdict_from_parts(
        "bias.equivariance", parts=parts, numbers=nums, figures=["layers"],
        rule=f"per layer of a trained CNN, relative errors under input shifts {list(cfg.shifts)} px (images in a zero "
             f"border, four directions): equivariance ||f(Tx) - T'f(x)||/||f(x)|| (T' = the shift over the layer's "
             f"stride, away from the fill strip) must be < {cfg.equivariance_tol:g} for conv/ReLU layers; conv1 counts "
             f"as invariant if ||f(Tx) - f(x)||/||f(x)|| < {cfg.invariance_tol:g} (95% interval); the global pool "
             "must beat conv1's invariance. Weight sharing gives equivariance, invariance comes from pooling: the "
             "claim ('weight sharing makes a CNN translation invariant') is partial where these parts disagree.")

    parts, nums = {}, {}
    for r in REGIMES:
        rr = m["regimes"][r]
        acc = {f: np.asarray(rr["acc"][f], dtype=float) for f in ("mlp", "cnn")}  # (K, S)
        small = max(1, len(rr["sizes"]) // 2)
        diff = mean_ci((acc["cnn"][:small] - acc["mlp"][:small]).mean(0))
        parts[names[r]] = interval_sign(diff)
        nums[names[r]] = {"sizes": rr["sizes"], "small_sizes": rr["sizes"][:small],
                          "acc_mlp": [mean_ci(a).to_dict() for a in acc["mlp"]],
                          "acc_cnn": [mean_ci(a).to_dict() for a in acc["cnn"]],
                          "cnn_minus_mlp_small_sizes": diff.to_dict()}
    v_data = verdict_from_parts(
        "bias.data-efficiency", parts=parts, numbers=nums, figures=["data"],
        rule=f"accuracy against training-set size (nested subsets, {cfg.steps} Adam steps each), CNN ({cfg.cnn_c1}, "
             f"{2 * cfg.cnn_c1} channels) against MLP ({cfg.mlp_width} units); the right bias needs less data if the "
             "95% interval of the per-seed CNN - MLP accuracy, averaged over the smaller half of the sizes, lies "
             "above 0 (below 0: the MLP does better); " + regime_rule(parts))

    parts, nums = {}, {}
    tol_note = "the MLP is unaffected if the 95% interval of its accuracy change contains 0"
    for r in REGIMES:
        rr = m["regimes"][r]
        change = {f: mean_ci(np.asarray(rr["permuted_acc"][f]) - np.asarray(rr["acc"][f][-1])) for f in ("mlp", "cnn")}
        mlp_same = None if change["mlp"].n == 0 else change["mlp"].lo <= 0 <= change["mlp"].hi
        above = interval_sign(change["cnn"])  # True: improves, False: degrades, None: undecided
        cnn_down = None if above is None else not above
        both = True if (mlp_same and cnn_down) else False if (mlp_same is False or cnn_down is False) else None
        parts[names[r]] = both
        nums[names[r]] = {"acc_change_mlp": change["mlp"].to_dict(), "acc_change_cnn": change["cnn"].to_dict(),
                          "acc_original": {f: mean_ci(rr["acc"][f][-1]).to_dict() for f in ("mlp", "cnn")},
                          "acc_permuted": {f: mean_ci(rr["permuted_acc"][f]).to_dict() for f in ("mlp", "cnn")}}
    v_mis = verdict_from_parts(
        "bias.misaligned", parts=parts, numbers=nums, figures=["data"],
        rule=f"one fixed pixel permutation (seed {cfg.perm_seed}) applied to training and test images; {tol_note}, and "
             "the CNN degrades if its change's interval lies below 0; a regime supports the claim when both hold, "
             "refutes it when either fails; " + regime_rule(parts))
    return [v_eq, v_data, v_mis]


def _finite_mean(values: list) -> float:
    """Mean of the finite entries (stored NaN comes back as the string "nan"); NaN if there are none."""
    xs = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return float(np.mean(xs)) if xs else math.nan


def figures(runs: list[Measurements], cfg: BiasConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, r in zip(axes, REGIMES):
        per_seed = m["regimes"][r]["layers"]
        x = np.arange(len(LAYERS))
        for j, s in enumerate(map(str, cfg.shifts)):
            inv = [np.mean([ps[s]["invariance"][k] for ps in per_seed]) for k in LAYERS]
            eq = [_finite_mean([ps[s]["equivariance"][k] for ps in per_seed]) for k in LAYERS]
            ax.plot(x, inv, "o-", color=f"C{j}", label=f"invariance error, shift {s}")
            ax.plot(x, np.maximum(eq, 1e-12), "s--", color=f"C{j}", label=f"equivariance error, shift {s}")
        ax.set_xticks(x, LAYERS)
        ax.set_yscale("log")
        ax.set_title(regime_name(r, cfg.canvas))
        ax.legend(fontsize=7)
    axes[0].set_ylabel("relative error (mean over seeds)")
    fig.suptitle("Per layer: equivariance error (interior; exact 0 drawn at 1e-12) and invariance error")
    out.save(fig, "layers")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, r in zip(axes, REGIMES):
        rr = m["regimes"][r]
        for f, label in (("mlp", "MLP"), ("cnn", "CNN")):
            ivs = [mean_ci(a) for a in rr["acc"][f]]
            ax.errorbar(rr["sizes"], [i.mean for i in ivs],
                        yerr=[[i.mean - i.lo for i in ivs], [i.hi - i.mean for i in ivs]], fmt="o-", capsize=3,
                        label=label)
            p = mean_ci(rr["permuted_acc"][f])
            ax.errorbar([rr["sizes"][-1] * 1.15], [p.mean], yerr=[[p.mean - p.lo], [p.hi - p.mean]], fmt="x",
                        capsize=3, ms=9, label=f"{label}, permuted pixels")
        ax.set_xscale("log")
        ax.set_xlabel("training-set size")
        ax.set_title(regime_name(r, cfg.canvas))
        ax.legend(fontsize=7)
    axes[0].set_ylabel("test accuracy (mean, 95% interval)")
    fig.suptitle("Accuracy against training-set size; x: the same models on permuted pixels")
    out.save(fig, "data")


EXPERIMENT = experiment(
    "bias",
    question="Q-bias",
    claims=("bias.equivariance", "bias.data-efficiency", "bias.misaligned"),
    configs={"quick": BiasConfig(canvas=16, sizes=(50, 200, 800), cnn_c1=8, mlp_width=32, steps=300, n_equiv=32),
             "full": BiasConfig(sizes=(30, 100, 300, 1000), cnn_c1=8, steps=500)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="Inductive bias: per-layer equivariance/invariance, data efficiency, permuted pixels.",
)
