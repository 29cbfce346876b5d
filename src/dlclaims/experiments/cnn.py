"""Q-cnn: a CNN against an MLP on images, in two regimes (8x8 digits; digits on a larger canvas).

Claims judged: cnn.params, cnn.shift-robustness, cnn.linear-stack.

- params: test accuracy against parameter count for a sweep of MLP widths and CNN channel counts
  (every seed of one size trained together, torch.func.vmap); at a matched accuracy (the lower
  of the two families' best mean accuracies minus a margin) the parameters each family needs,
  per seed (log-interpolated between sweep points), and their ratio MLP / CNN.
- shift-robustness: accuracy on test images shifted by 1 and 2 pixels (zero fill, averaged over
  right, left, down, up); the drop from the unshifted accuracy, MLP against CNN.
- linear-stack: two stacked valid convolutions equal one convolution with the composed kernel;
  superposition f(a x + b y) = a f(x) + b f(y) holds for the conv stack (and an average pool)
  and fails with a ReLU or a max-pool in between (relative residuals on digit images).

A regime's verdict part is True / False / None from the 95% intervals over seeds; where the two
regimes disagree the verdict is partial, and the rule names the regime where the claim holds.
The training helpers here are shared with experiments/bias.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import FigureSink, Measurements, RunContext, experiment, mean_ci, require, verdict_from_parts
from ..core.multiseed import StackedModels, train_stacked
from ..core.stats import Interval
from ..data.canvas import load_canvas_split
from ..data.digits import SIDE, DigitsSplit, load_digits_split
from ..data.views import DIRECTIONS, shift
from ..models.cnn import CNN, compose_kernels, stacked_convs
from ..models.mlp import MLP, n_params

Regime = Literal["digits", "canvas"]
REGIMES: tuple[Regime, ...] = ("digits", "canvas")


def regime_data(regime: Regime, canvas: int, margin: int) -> tuple[DigitsSplit, int]:
    """The data of a regime and its image side."""
    if regime == "digits":
        return load_digits_split(seed=0), SIDE
    return load_canvas_split(canvas, margin=margin, seed=0, split_seed=0), canvas


def regime_name(regime: str, canvas: int) -> str:
    return "8x8 digits" if regime == "digits" else f"digits on a {canvas}x{canvas} canvas"


def mlp_maker(side: int, width: int) -> Callable[[torch.Generator], nn.Module]:
    return lambda g: MLP(side * side, (width,), 10, generator=g)


def cnn_maker(side: int, c1: int) -> Callable[[torch.Generator], nn.Module]:
    return lambda g: CNN(side, (c1, 2 * c1), 10, generator=g)


def train_family(make: Callable[[torch.Generator], nn.Module], x: torch.Tensor, y: torch.Tensor,
                 seeds: tuple[int, ...], *, steps: int, batch_size: int, lr: float) -> StackedModels:
    """One model per seed, trained together (StackedModels + train_stacked, Adam, cross-entropy)."""
    stack = StackedModels.create(make, seeds=seeds)
    train_stacked(stack, x, y, loss=F.cross_entropy, steps=steps, batch_size=min(batch_size, x.shape[0]), lr=lr)
    return stack


@torch.no_grad()
def accuracy(stack: StackedModels, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """(S,) test accuracy of every seed."""
    return (stack(x).argmax(-1) == y).float().mean(1).tolist()


@torch.no_grad()
def shifted_accuracy(stack: StackedModels, x: torch.Tensor, y: torch.Tensor, side: int, s: int) -> list[float]:
    """(S,) accuracy on test images shifted by s pixels, averaged over the four directions."""
    accs = [accuracy(stack, shift(x, dy * s, dx * s, side=side), y) for dy, dx in DIRECTIONS]
    return np.mean(np.asarray(accs), axis=0).tolist()


def interval_sign(iv: Interval, zero: float = 0.0) -> bool | None:
    """True if the 95% interval lies above ``zero``, False if below, None if it straddles it (or is empty)."""
    if iv.n == 0 or math.isnan(iv.mean):
        return None
    return True if iv.lo > zero else False if iv.hi < zero else None


def regime_rule(parts: dict[str, bool | None]) -> str:
    """Names, from the measured parts, the regimes where the claim holds, fails, or is undecided."""
    said = {True: "holds on", False: "fails on", None: "is undecided on"}
    groups = {k: [r for r, v in parts.items() if v is k] for k in (True, False, None)}
    return "; ".join(f"the claim {said[k]} {', '.join(v)}" for k, v in groups.items() if v) + "."


@dataclass(frozen=True)
class CnnConfig:
    canvas: int = 24  # side of the canvas regime
    margin: int = 2  # digits kept this far inside the canvas
    mlp_widths: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
    cnn_channels: tuple[int, ...] = (2, 4, 8, 16, 32)  # C_1; C_2 = 2 C_1
    steps: int = 600
    batch_size: int = 64
    lr: float = 1e-2
    shifts: tuple[int, ...] = (1, 2)
    mlp_ref: int = 64  # the MLP and CNN sizes compared under shifts
    cnn_ref: int = 16
    match_margin: float = 0.02  # matched accuracy = min(best MLP, best CNN) - this
    far_ratio: float = 2.0  # "far fewer": MLP / CNN parameters above this
    n_linear: int = 32  # images for the superposition test
    nonlinear_residual: float = 1e-3  # superposition "fails" above this relative residual

    def __post_init__(self) -> None:
        require(self.canvas >= SIDE + 2 * self.margin and self.margin >= 0,
                f"canvas {self.canvas} must hold an 8x8 digit with margin {self.margin}")
        require(len(self.mlp_widths) >= 2 and all(w >= 1 for w in self.mlp_widths), "need >= 2 MLP widths >= 1")
        require(len(self.cnn_channels) >= 2 and all(c >= 1 for c in self.cnn_channels), "need >= 2 CNN sizes >= 1")
        require(self.steps >= 1 and self.batch_size >= 1 and self.lr > 0, "steps, batch_size, lr must be positive")
        require(len(self.shifts) > 0 and all(s >= 1 for s in self.shifts), "shifts must be at least 1 pixel")
        require(max(self.shifts) < SIDE,
                f"shift {max(self.shifts)} is larger than the 8x8 image: shifts must be smaller than {SIDE} pixels")
        require(self.mlp_ref in self.mlp_widths and self.cnn_ref in self.cnn_channels,
                "mlp_ref and cnn_ref must be among the swept sizes")
        require(0 <= self.match_margin < 1 and self.far_ratio >= 1, "match_margin in [0, 1), far_ratio >= 1")
        require(self.n_linear >= 2, "n_linear must be at least 2")


def linear_stack(x: torch.Tensor, seeds: tuple[int, ...], side: int) -> dict:
    """Composed-kernel residual and superposition residuals (per seed) on images x: (N, side*side)."""
    imgs = x.double().view(-1, 1, side, side)  # (N, 1, H, W)
    half = imgs.shape[0] // 2
    xa, xb = imgs[:half], imgs[half: 2 * half]
    out: dict[str, list[float]] = {"compose": [], "none": [], "relu": [], "maxpool": [], "avgpool": []}
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        k1 = torch.randn(4, 1, 3, 3, generator=g, dtype=torch.float64)
        k2 = torch.randn(4, 4, 3, 3, generator=g, dtype=torch.float64)
        a, b = 0.7, -1.3
        stacked = stacked_convs(xa, [k1, k2])
        one = F.conv2d(xa, compose_kernels(k1, k2))
        out["compose"].append(float((stacked - one).abs().max() / stacked.abs().max()))
        for between in ("none", "relu", "maxpool", "avgpool"):
            ks = [k1, k2]
            lhs = stacked_convs(a * xa + b * xb, ks, between=between)
            rhs = a * stacked_convs(xa, ks, between=between) + b * stacked_convs(xb, ks, between=between)
            out[between].append(float((lhs - rhs).norm() / rhs.norm()))
    return out


def run(cfg: CnnConfig, ctx: RunContext) -> Measurements:
    seeds = tuple(ctx.seeds)
    out: dict = {"seeds": list(seeds), "regimes": {}}
    for regime in REGIMES:
        d, side = regime_data(regime, cfg.canvas, cfg.margin)
        res: dict = {"side": side}
        for fam, sizes, maker, ref in (("mlp", cfg.mlp_widths, mlp_maker, cfg.mlp_ref),
                                       ("cnn", cfg.cnn_channels, cnn_maker, cfg.cnn_ref)):
            rows = []
            for size in sizes:
                stack = train_family(maker(side, size), d.x_train, d.y_train, seeds,
                                     steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr)
                row = {"size": size, "params": n_params(maker(side, size)(torch.Generator())),
                       "acc": accuracy(stack, d.x_test, d.y_test)}
                if size == ref:
                    row["shifted"] = {str(s): shifted_accuracy(stack, d.x_test, d.y_test, side, s)
                                      for s in cfg.shifts}
                rows.append(row)
            res[fam] = rows
        res["linear"] = linear_stack(d.x_test[: cfg.n_linear], seeds, side)
        out["regimes"][regime] = res
    return out


def params_needed(params: list[int], acc: np.ndarray, target: float) -> float:
    """Parameters at which an accuracy curve (sorted by params) first reaches target, log-interpolated."""
    for j, a in enumerate(acc):
        if a >= target:
            if j == 0:
                return float(params[0])
            a0, p0, p1 = acc[j - 1], math.log(params[j - 1]), math.log(params[j])
            return float(math.exp(p0 + (target - a0) / (a - a0) * (p1 - p0)))
    return math.inf


def _matched(r: dict, margin: float) -> dict:
    accs = {f: np.asarray([row["acc"] for row in r[f]], dtype=float) for f in ("mlp", "cnn")}  # (K, S)
    params = {f: [row["params"] for row in r[f]] for f in ("mlp", "cnn")}
    target = min(accs["mlp"].mean(1).max(), accs["cnn"].mean(1).max()) - margin
    need = {f: [params_needed(params[f], accs[f][:, s], target) for s in range(accs[f].shape[1])]
            for f in ("mlp", "cnn")}
    ratios = [math.log(m / c) for m, c in zip(need["mlp"], need["cnn"]) if math.isfinite(m) and math.isfinite(c)]
    return {"target_acc": target, "params_mlp": need["mlp"], "params_cnn": need["cnn"],
            "log_ratio": mean_ci(ratios)}


def judge(runs: list[Measurements], cfg: CnnConfig) -> list:
    m = runs[0]
    names = {r: regime_name(r, cfg.canvas) for r in REGIMES}

    parts, nums = {}, {}
    for r in REGIMES:
        mt = _matched(m["regimes"][r], cfg.match_margin)
        parts[names[r]] = interval_sign(mt["log_ratio"], math.log(cfg.far_ratio))
        nums[names[r]] = {"matched_accuracy": mt["target_acc"], "params_mlp_per_seed": mt["params_mlp"],
                          "params_cnn_per_seed": mt["params_cnn"],
                          "ratio_mlp_over_cnn": {k: math.exp(v) for k, v in mt["log_ratio"].to_dict().items()
                                                 if k != "n"}}
    v_params = verdict_from_parts(
        "cnn.params", parts=parts, numbers=nums, figures=["params"],
        rule=f"per regime, sweep MLP widths and CNN channels; at the matched accuracy (the lower family's best mean "
             f"minus {cfg.match_margin:g}) find each seed's parameter count by log-interpolation; the CNN needs far "
             f"fewer if the 95% interval of the MLP/CNN ratio lies above {cfg.far_ratio:g}, not if below; "
             + regime_rule(parts))

    parts, nums = {}, {}
    for r in REGIMES:
        rr = m["regimes"][r]
        ref = {f: next(row for row in rr[f] if row["size"] == (cfg.mlp_ref if f == "mlp" else cfg.cnn_ref))
               for f in ("mlp", "cnn")}
        drops = {f: np.mean([np.asarray(ref[f]["acc"]) - np.asarray(v) for v in ref[f]["shifted"].values()], axis=0)
                 for f in ("mlp", "cnn")}
        diff = mean_ci(drops["mlp"] - drops["cnn"])
        parts[names[r]] = interval_sign(diff)
        nums[names[r]] = {"acc_unshifted": {f: mean_ci(ref[f]["acc"]).to_dict() for f in ref},
                          "acc_shifted": {f: {s: mean_ci(v).to_dict() for s, v in ref[f]["shifted"].items()}
                                          for f in ref},
                          "drop_mlp": mean_ci(drops["mlp"]).to_dict(), "drop_cnn": mean_ci(drops["cnn"]).to_dict(),
                          "drop_mlp_minus_cnn": diff.to_dict()}
    v_shift = verdict_from_parts(
        "cnn.shift-robustness", parts=parts, numbers=nums, figures=["shift"],
        rule=f"per regime, the accuracy drop under test-time shifts of {list(cfg.shifts)} px (zero fill, four "
             f"directions, averaged) of the MLP ({cfg.mlp_ref} units) and the CNN ({cfg.cnn_ref} channels); the MLP "
             "suffers more if the 95% interval of drop_MLP - drop_CNN over seeds lies above 0, less if below; "
             + regime_rule(parts))

    parts, nums = {}, {}
    for r in REGIMES:
        lin = m["regimes"][r]["linear"]
        ivs = {k: mean_ci(v) for k, v in lin.items()}
        ok = (max(lin["compose"]) < 1e-10 and max(lin["none"]) < 1e-10 and max(lin["avgpool"]) < 1e-10
              and min(lin["relu"]) > cfg.nonlinear_residual and min(lin["maxpool"]) > cfg.nonlinear_residual)
        parts[names[r]] = ok
        nums[names[r]] = {"composed_kernel_max_rel_error": max(lin["compose"]),
                          "superposition_residual": {k: ivs[k].to_dict() for k in ("none", "avgpool", "relu",
                                                                                    "maxpool")}}
    v_lin = verdict_from_parts(
        "cnn.linear-stack", parts=parts, numbers=nums, figures=["linear"],
        rule="two random valid 3x3 convolutions (float64) on test images: they equal one 5x5 convolution with the "
             "composed kernel (max relative error < 1e-10) and obey superposition f(0.7 x - 1.3 y) = 0.7 f(x) - "
             "1.3 f(y) (residual < 1e-10 for every seed, also with an average pool), while with a ReLU or a "
             f"max-pool in between the residual exceeds {cfg.nonlinear_residual:g} for every seed; " + regime_rule(parts))
    return [v_params, v_shift, v_lin]


def figures(runs: list[Measurements], cfg: CnnConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for ax, r in zip(axes, REGIMES):
        rr = m["regimes"][r]
        for f, label in (("mlp", "MLP"), ("cnn", "CNN")):
            ivs = [mean_ci(row["acc"]) for row in rr[f]]
            ax.errorbar([row["params"] for row in rr[f]], [i.mean for i in ivs],
                        yerr=[[i.mean - i.lo for i in ivs], [i.hi - i.mean for i in ivs]], fmt="o-", capsize=3,
                        label=label)
        ax.axhline(_matched(rr, cfg.match_margin)["target_acc"], color="grey", ls=":", label="matched accuracy")
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("test accuracy")
        ax.set_title(regime_name(r, cfg.canvas))
        ax.legend(fontsize=8)
    fig.suptitle("Accuracy against parameters (mean, 95% interval over seeds)")
    out.save(fig, "params")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, r in zip(axes, REGIMES):
        rr = m["regimes"][r]
        for f, size, label in (("mlp", cfg.mlp_ref, "MLP"), ("cnn", cfg.cnn_ref, "CNN")):
            row = next(x for x in rr[f] if x["size"] == size)
            xs = [0, *[int(s) for s in row["shifted"]]]
            ivs = [mean_ci(row["acc"]), *[mean_ci(v) for v in row["shifted"].values()]]
            ax.errorbar(xs, [i.mean for i in ivs], yerr=[[i.mean - i.lo for i in ivs], [i.hi - i.mean for i in ivs]],
                        fmt="o-", capsize=3, label=label)
        ax.set_xlabel("shift (pixels, zero fill)")
        ax.set_title(regime_name(r, cfg.canvas))
        ax.legend(fontsize=8)
    axes[0].set_ylabel("test accuracy")
    fig.suptitle("Accuracy against test-time shift")
    out.save(fig, "shift")

    fig, ax = plt.subplots(figsize=(7, 4))
    keys = ("compose", "none", "avgpool", "relu", "maxpool")
    for j, r in enumerate(REGIMES):
        lin = m["regimes"][r]["linear"]
        vals = [max(float(np.mean(lin[k])), 1e-18) for k in keys]
        ax.bar(np.arange(len(keys)) + 0.4 * j, vals, width=0.4, label=regime_name(r, cfg.canvas))
    ax.set_xticks(np.arange(len(keys)) + 0.2, ["composed kernel", "conv-conv", "conv-avgpool-conv",
                                               "conv-ReLU-conv", "conv-maxpool-conv"], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("relative residual")
    ax.set_title("Stacked convolutions: composed kernel and superposition residuals")
    ax.legend(fontsize=8)
    out.save(fig, "linear")


EXPERIMENT = experiment(
    "cnn",
    question="Q-cnn",
    claims=("cnn.params", "cnn.shift-robustness", "cnn.linear-stack"),
    configs={"quick": CnnConfig(canvas=16, margin=2, mlp_widths=(8, 32, 128), cnn_channels=(4, 8, 16),
                                mlp_ref=32, cnn_ref=8, n_linear=16, steps=400),
             "full": CnnConfig(cnn_channels=(2, 4, 8, 16), cnn_ref=8, steps=500)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="CNN vs MLP on 8x8 digits and on digits pasted on a canvas: parameters, shifts, linearity.",
)
