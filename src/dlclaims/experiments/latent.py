"""Q-latent: autoencoder width h against the linear-probe accuracy of its frozen codes.

Claim judged: latent.accuracy-vs-h.

Each seed has its own train / validation / test split of the digits (``load_digits_tvt(seed)``:
stratified, validation carved from train). The autoencoders of every seed (each on its seed's training
split) and of neighbouring widths train together in one stack with the multi-seed trainer (torch.func
stacking + vmap; latent layers padded to the group's largest h and masked, models/autoencoder.py) on
the reconstruction loss alone. Their encoders are frozen; a linear probe (scikit-learn LogisticRegression
on standardised codes) is fitted on the training codes with its inverse regularisation C chosen on the
validation codes, then scored once on the test codes. Recorded per (h, seed): probe train / validation /
test accuracy and the autoencoder's train and test reconstruction loss.

Shape, from paired per-seed differences of test accuracy (never from one run):
- the knee h* = the smallest h whose mean validation accuracy is within ``margin / 2`` of the best (chosen
  on validation, not test);
- rise: test accuracy at h* minus at the smallest h is above 0 (one-sided t-test);
- plateau or fall after h*: every larger h is equivalent to h* (TOST within +-margin) or below it; it
  fails if some larger h is above h* (Holm over the larger widths) and not equivalent, or, when h* is the largest width,
  if the last step still rises;
- "falls from overfitting" (judged when some larger h falls): the probe's train - test accuracy gap at
  the falling widths is larger than at h*.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from ..core import (
    FigureSink,
    Measurements,
    RunContext,
    experiment,
    require,
    seed_everything,
    verdict_from_parts,
)
from ..core.multiseed import StackedModels, train_stacked
from ..core.seeding import extend_seeds
from ..core.stats import equivalence_test, holm, mean_p_value
from ..data.digits import load_digits_tvt
from ..models.autoencoder import Autoencoder, bce_loss
from .gen import ci_dict, single_thread


@dataclass(frozen=True)
class LatentConfig:
    widths: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)  # h
    hidden: int = 256
    steps: int = 2000
    batch_size: int = 128
    lr: float = 2e-3
    probe_cs: tuple[float, ...] = (0.1, 1.0, 10.0)  # the probe's inverse L2 strength, chosen on validation
    probe_max_iter: int = 2000
    margin: float = 0.02  # accuracies within +-margin count as equal (equivalence test, knee)
    alpha: float = 0.05
    min_seeds: int = 3  # at least this many seeds (the run's seeds, extended by the next integers)

    def __post_init__(self) -> None:
        require(len(self.widths) >= 3, "widths needs at least three latent widths")
        require(all(h >= 1 for h in self.widths), f"every latent width must be at least 1, got {self.widths}")
        require(list(self.widths) == sorted(set(self.widths)), "widths must be increasing")
        require(self.hidden >= 1 and self.steps >= 1 and self.batch_size >= 1, "hidden, steps, batch_size >= 1")
        require(self.lr > 0 and len(self.probe_cs) >= 1 and all(c > 0 for c in self.probe_cs)
                and self.probe_max_iter >= 1, "lr, probe_cs > 0; max_iter >= 1")
        require(self.margin > 0 and 0 < self.alpha < 0.5, "margin > 0 and alpha in (0, 0.5)")
        require(self.min_seeds >= 1, f"min_seeds must be at least 1, got {self.min_seeds}")


def _probe(z: dict[str, np.ndarray], y: dict[str, np.ndarray], cfg: LatentConfig) -> dict[str, float]:
    """Fit on train for every C, keep the best on validation, score it on train / val / test."""
    scaler = StandardScaler().fit(z["train"])
    zs = {k: scaler.transform(v) for k, v in z.items()}
    best, best_val = None, -1.0
    for c in cfg.probe_cs:
        clf = LogisticRegression(C=c, max_iter=cfg.probe_max_iter)
        with warnings.catch_warnings():  # a probe stopped at max_iter is still a probe; its accuracy is what counts
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(zs["train"], y["train"])
        v = float(clf.score(zs["val"], y["val"]))
        if v > best_val:
            best, best_val = (c, clf), v
    c, clf = best
    return {"C": c, **{k: float(clf.score(zs[k], y[k])) for k in ("train", "val", "test")}}


def run(cfg: LatentConfig, ctx: RunContext) -> Measurements:
    with single_thread():
        return _run(cfg, ctx)


def _run(cfg: LatentConfig, ctx: RunContext) -> Measurements:
    seeds = extend_seeds(ctx.seeds, cfg.min_seeds)  # the plateau's equivalence test needs a few seeds
    seed_everything(seeds[0])
    splits = [load_digits_tvt(seed=s) for s in seeds]
    x = {k: torch.stack([getattr(sp, f"x_{k}") for sp in splits]).to(ctx.device)
         for k in ("train", "val", "test")}  # (S, N_k, 64)
    y = {k: [getattr(sp, f"y_{k}").numpy() for sp in splits] for k in ("train", "val", "test")}
    S = len(seeds)
    models: dict[int, list] = {}  # h -> the S trained autoencoders
    t0 = time.perf_counter()
    for group in width_groups(cfg.widths):
        pad = max(group)
        members = [(h, s) for h in group for s in seeds]  # widths of one group and every seed: one stack
        it = iter(members)
        stack = StackedModels.create(lambda g, it=it, pad=pad: Autoencoder(64, next(it)[0], cfg.hidden,
                                                                            generator=g, pad_to=pad),
                                     seeds=[s for _, s in members], device=ctx.device)
        xm = x["train"].repeat(len(group), 1, 1)  # (G S, N, 64): member (h, seed i) trains on split i
        train_stacked(stack, xm, xm, loss=bce_loss, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                      per_member_data=True)
        trained = stack.unstack()
        for j, h in enumerate(group):
            models[h] = trained[j * S:(j + 1) * S]
    train_s = time.perf_counter() - t0
    per_h = {}
    for h in cfg.widths:
        rec: dict[str, list] = {"probe": [], "recon_train": [], "recon_test": []}
        with torch.no_grad():
            for i, model in enumerate(models[h]):
                z = {k: model.encode(x[k][i])[:, :h].cpu().numpy() for k in x}  # (N_k, h)
                rec["probe"].append(_probe(z, {k: y[k][i] for k in y}, cfg))
                rec["recon_train"].append(float(bce_loss(model(x["train"][i]), x["train"][i])))
                rec["recon_test"].append(float(bce_loss(model(x["test"][i]), x["test"][i])))
        per_h[str(h)] = {"accuracy": [p["test"] for p in rec["probe"]], "val_accuracy": [p["val"] for p in rec["probe"]],
                         "train_accuracy": [p["train"] for p in rec["probe"]], "probe_C": [p["C"] for p in rec["probe"]],
                         "recon_train_bce": rec["recon_train"], "test_recon_bce": rec["recon_test"]}
    raw = [_probe({k: x[k][i].cpu().numpy() for k in x}, {k: y[k][i] for k in y}, cfg)["test"]
           for i in range(len(seeds))]
    return {"seeds": list(seeds), "per_h": per_h, "raw_pixel_probe_accuracy": raw,
            "stacked_training_seconds": train_s}


def width_groups(widths: tuple[int, ...], ratio: int = 4) -> list[list[int]]:
    """Widths grouped from the largest down so that a group's largest is at most ``ratio`` x its smallest:
    each group trains as one stack padded to its largest width (little padding, few loops)."""
    groups: list[list[int]] = []
    for h in sorted(widths, reverse=True):
        if groups and max(groups[-1]) <= ratio * h:
            groups[-1].append(h)
        else:
            groups.append([h])
    return [sorted(g) for g in groups]


def _p(d: np.ndarray, alternative: str) -> float:
    p = mean_p_value(list(d), 0.0, alternative)
    return 1.0 if not math.isfinite(p) else p


def shape(widths: list[int], per_h: dict, margin: float, alpha: float) -> dict:
    """The knee on validation, then rise / plateau-or-fall / overfitting from paired test differences."""
    keys = [str(h) for h in widths]
    acc = {k: np.asarray(per_h[k]["accuracy"], dtype=float) for k in keys}  # (S,) test
    val = {k: float(np.mean(per_h[k]["val_accuracy"])) for k in keys}
    gap = {k: np.asarray(per_h[k]["train_accuracy"], dtype=float) - acc[k] for k in keys}
    best = max(val.values())
    knee = next(k for k in keys if val[k] >= best - margin / 2)
    out: dict = {"knee_h": int(knee), "val_accuracy_mean": val}
    # rise
    d_rise = acc[knee] - acc[keys[0]]
    if knee == keys[0]:
        rise: bool | None = False
    else:
        rise = True if _p(d_rise, "greater") < alpha else False if _p(d_rise, "less") < alpha else None
    out["rise"] = {"diff": ci_dict(list(d_rise)), "p_greater": _p(d_rise, "greater")}
    # plateau or fall after the knee
    after = keys[keys.index(knee) + 1:]
    falls: list[str] = []
    if after:
        diffs = {k: acc[k] - acc[knee] for k in after}
        up = holm([_p(d, "greater") for d in diffs.values()], alpha)
        down = {k: _p(d, "less") < alpha for k, d in diffs.items()}
        eq = {k: equivalence_test(list(d), margin, alpha) for k, d in diffs.items()}
        falls = [k for k in after if down[k]]
        if any(u and eq[k].equivalent is not True for k, u in zip(after, up)):
            level: bool | None = False
        elif all(down[k] or eq[k].equivalent is True for k in after):
            level = True
        else:
            level = None
        out["after_knee"] = {k: {"diff": ci_dict(list(diffs[k])), "equivalent": eq[k].equivalent,
                                 "equivalence_p": eq[k].p_value, "above_after_holm": u, "below": down[k]}
                             for k, u in zip(after, up)}
    else:  # the knee is the largest width: the curve may still be rising
        d_last = acc[keys[-1]] - acc[keys[-2]]
        level = False if _p(d_last, "greater") < alpha else None
        out["last_step"] = {"diff": ci_dict(list(d_last)), "p_greater": _p(d_last, "greater")}
    out["falls_at"] = [int(k) for k in falls]
    overfit: bool | None = None
    if falls:
        grow = {k: gap[k] - gap[knee] for k in falls}
        if all(_p(g, "greater") < alpha for g in grow.values()):
            overfit = True
        elif all(_p(g, "less") < alpha or equivalence_test(list(g), margin, alpha).equivalent is True
                 for g in grow.values()):
            overfit = False
        out["gap_growth"] = {k: ci_dict(list(g)) for k, g in grow.items()}
    out.update(rise_holds=rise, level_holds=level, overfit_holds=overfit)
    return out


def judge(runs: list[Measurements], cfg: LatentConfig) -> list:
    m = runs[0]
    sh = shape(list(cfg.widths), m["per_h"], cfg.margin, cfg.alpha)
    parts = {"probe accuracy rises with h up to a knee": sh["rise_holds"],
             "after the knee it plateaus or falls": sh["level_holds"]}
    if sh["falls_at"]:
        parts["a fall comes from overfitting (the probe's train - test gap grows)"] = sh["overfit_holds"]
    ph = m["per_h"]
    return [verdict_from_parts(
        "latent.accuracy-vs-h",
        parts=parts,
        rule="linear probe (logistic regression, C chosen on validation) on frozen autoencoder codes, one "
             "train/validation/test split and one autoencoder per seed; the knee h* = the smallest h whose mean "
             f"validation accuracy is within {cfg.margin / 2:g} of the best (chosen on validation). Rise: test accuracy "
             f"at h* minus at h = {cfg.widths[0]}, paired over seeds, above 0 (one-sided t-test, p < {cfg.alpha:g}; "
             "fails if below 0 or if h* is the smallest h). Plateau or fall: every larger h is equivalent to h* "
             f"(TOST on paired differences within +-{cfg.margin:g}) or below it; fails if some larger h is above "
             "h* (Holm over the larger widths) and not equivalent or, with h* the largest width, if the last step still rises. "
             "Overfitting (judged only where a width falls): the probe's train - test accuracy gap there is "
             "larger than at h* (fails if smaller or equivalent). Undecided where the tests cannot tell",
        numbers={"accuracy": {k: ci_dict(v["accuracy"]) for k, v in ph.items()},
                 "val_accuracy": {k: ci_dict(v["val_accuracy"]) for k, v in ph.items()},
                 "train_accuracy": {k: ci_dict(v["train_accuracy"]) for k, v in ph.items()},
                 "probe_C": {k: v["probe_C"] for k, v in ph.items()},
                 "recon_train_bce": {k: ci_dict(v["recon_train_bce"]) for k, v in ph.items()},
                 "test_recon_bce": {k: ci_dict(v["test_recon_bce"]) for k, v in ph.items()},
                 "shape": {k: v for k, v in sh.items() if not k.endswith("_holds")},
                 "seeds": len(m["seeds"]), "raw_pixel_probe_accuracy": ci_dict(m["raw_pixel_probe_accuracy"])},
        figures=["accuracy-vs-h"],
    )]


def figures(runs: list[Measurements], cfg: LatentConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    hs = list(cfg.widths)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key, label, c in (("accuracy", "test", "C0"), ("train_accuracy", "train", "C1"),
                          ("val_accuracy", "validation", "C2")):
        ivs = [ci_dict(m["per_h"][str(h)][key]) for h in hs]
        ax.plot(hs, [iv["mean"] for iv in ivs], "o-", color=c, label=f"probe {label} accuracy (mean over seeds)")
        if key == "accuracy":
            ax.fill_between(hs, [iv["lo"] for iv in ivs], [iv["hi"] for iv in ivs], alpha=0.25, color=c)
            for h in hs:
                acc = m["per_h"][str(h)][key]
                ax.scatter([h] * len(acc), acc, s=8, color="k", alpha=0.5)
    ax.axhline(float(np.mean(m["raw_pixel_probe_accuracy"])), color="gray", ls=":", label="probe on raw pixels")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("latent width h")
    ax.set_ylabel("linear-probe accuracy")
    ax.set_title(f"Autoencoder width vs probe accuracy ({len(m['seeds'])} seeds, trained stacked)")
    ax.legend(fontsize=7)
    out.save(fig, "accuracy-vs-h")


EXPERIMENT = experiment(
    "latent",
    question="Q-latent",
    claims=("latent.accuracy-vs-h",),
    configs={"quick": LatentConfig(steps=200, hidden=128, probe_cs=(0.3, 3.0), probe_max_iter=300, min_seeds=6),
             "full": LatentConfig(steps=1500)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="Autoencoder latent width vs linear-probe accuracy, seeds trained together (vmap).",
)
