"""Q-latent: autoencoder width h against the linear-probe accuracy of its frozen codes.

Claim judged: latent.accuracy-vs-h.

For each width h in (1, 2, 4, ..., 128), S autoencoders (one per seed) are trained together by the
multi-seed trainer (torch.func stacking + vmap, ``dlclaims.core.multiseed``) on the training digits
with the reconstruction loss alone. Their encoders are frozen; a linear probe (scikit-learn
LogisticRegression on standardised codes) is fitted on the training codes and scored on the test codes.
Per h: mean test accuracy with a 95% t-interval across seeds.

Shape, from the intervals only (never from one run):
- h* = the smallest h whose interval overlaps the interval of the best mean;
- rise: the interval at the smallest h lies below the interval at h*;
- after h*: plateau if every larger h overlaps the best, fall if some larger h lies below it;
- "rises throughout" if h* is the largest width and the one before lies below it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from ..core import FigureSink, Measurements, RunContext, experiment, require, seed_everything, verdict
from ..core.multiseed import StackedModels, train_stacked
from ..data.digits import load_digits_split
from ..models.autoencoder import Autoencoder, bce_loss
from .gen import ci_dict, single_thread


@dataclass(frozen=True)
class LatentConfig:
    widths: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)  # h
    hidden: int = 256
    steps: int = 2000
    batch_size: int = 128
    lr: float = 2e-3
    probe_c: float = 1.0  # inverse L2 strength of the logistic-regression probe
    probe_max_iter: int = 2000

    def __post_init__(self) -> None:
        require(len(self.widths) >= 3, "widths needs at least three latent widths")
        require(all(h >= 1 for h in self.widths), f"every latent width must be at least 1, got {self.widths}")
        require(list(self.widths) == sorted(set(self.widths)), "widths must be increasing")
        require(self.hidden >= 1 and self.steps >= 1 and self.batch_size >= 1, "hidden, steps, batch_size >= 1")
        require(self.lr > 0 and self.probe_c > 0 and self.probe_max_iter >= 1, "lr, probe_c > 0; max_iter >= 1")


def _probe(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray,
           cfg: LatentConfig) -> float:
    scaler = StandardScaler().fit(z_train)
    clf = LogisticRegression(C=cfg.probe_c, max_iter=cfg.probe_max_iter)
    with warnings.catch_warnings():  # a probe stopped at max_iter is still a probe; its accuracy is what counts
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(z_train), y_train)
    return float(clf.score(scaler.transform(z_test), y_test))


def run(cfg: LatentConfig, ctx: RunContext) -> Measurements:
    with single_thread():
        return _run(cfg, ctx)


def _run(cfg: LatentConfig, ctx: RunContext) -> Measurements:
    seed_everything(ctx.seeds[0])
    split = load_digits_split(seed=0)
    xtr, xte = split.x_train.to(ctx.device), split.x_test.to(ctx.device)
    ytr, yte = split.y_train.numpy(), split.y_test.numpy()
    per_h = {}
    train_s = 0.0
    for h in cfg.widths:
        t0 = time.perf_counter()
        stack = StackedModels.create(lambda g, h=h: Autoencoder(64, h, cfg.hidden, generator=g),
                                     seeds=ctx.seeds, device=ctx.device)
        hist = train_stacked(stack, xtr, xtr, loss=bce_loss, steps=cfg.steps, batch_size=cfg.batch_size,
                             lr=cfg.lr)
        train_s += time.perf_counter() - t0
        accs, recs = [], []
        with torch.no_grad():
            for model in stack.unstack():
                ztr, zte = model.encode(xtr).cpu().numpy(), model.encode(xte).cpu().numpy()
                accs.append(_probe(ztr, ytr, zte, yte, cfg))
                recs.append(float(bce_loss(model(xte), xte)))
        per_h[str(h)] = {"accuracy": accs, "test_recon_bce": recs,
                         "final_train_loss": np.mean(hist[-20:], axis=0).tolist()}
    raw = _probe(xtr.cpu().numpy(), ytr, xte.cpu().numpy(), yte, cfg)
    return {"seeds": list(ctx.seeds), "per_h": per_h, "raw_pixel_probe_accuracy": raw,
            "stacked_training_seconds": train_s}


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["lo"] <= b["hi"] and b["lo"] <= a["hi"]


def shape_from_intervals(widths: list[int], ivs: dict[str, dict[str, float]]) -> dict[str, object]:
    """Rise / plateau / fall from per-width intervals (see the module docstring)."""
    keys = [str(h) for h in widths]
    best = max(keys, key=lambda k: ivs[k]["mean"])
    h_star = next(k for k in keys if _overlap(ivs[k], ivs[best]))
    i_star = keys.index(h_star)
    rise = ivs[keys[0]]["hi"] < ivs[h_star]["lo"]
    after = keys[keys.index(best) + 1:]
    fall = [k for k in after if ivs[k]["hi"] < ivs[best]["lo"]]
    if not rise:
        shape = "flat"
    elif i_star == len(keys) - 1:
        shape = "rises throughout"
    elif fall:
        shape = "rise then fall"
    else:
        shape = "rise then plateau"
    return {"shape": shape, "best_h": int(best), "h_star": int(h_star), "falls_at": [int(k) for k in fall]}


def judge(runs: list[Measurements], cfg: LatentConfig) -> list:
    m = runs[0]
    n_seeds = len(m["seeds"])
    ivs = {k: ci_dict(v["accuracy"]) for k, v in m["per_h"].items()}
    sh = shape_from_intervals(list(cfg.widths), ivs)
    holds: bool | None
    if n_seeds < 2:
        holds = None
    else:
        holds = sh["shape"] in ("rise then plateau", "rise then fall")
    return [verdict(
        "latent.accuracy-vs-h",
        holds=holds,
        rule="linear probe (logistic regression) on frozen autoencoder codes, mean test accuracy with a 95% "
             "t-interval across seeds per width h; h* = the smallest h whose interval overlaps the best one's; the "
             "claim holds if accuracy rises (interval at h = " + str(cfg.widths[0]) + " below h*) and then "
             "plateaus (larger h overlap the best) or falls (some larger h below it); it fails if the curve is "
             "flat or still rising at the largest h; one seed cannot decide",
        numbers={"accuracy": ivs, **sh, "seeds": n_seeds,
                 "raw_pixel_probe_accuracy": m["raw_pixel_probe_accuracy"],
                 "test_recon_bce": {k: ci_dict(v["test_recon_bce"]) for k, v in m["per_h"].items()}},
        figures=["accuracy-vs-h"],
    )]


def figures(runs: list[Measurements], cfg: LatentConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    hs = list(cfg.widths)
    ivs = [ci_dict(m["per_h"][str(h)]["accuracy"]) for h in hs]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(hs, [iv["mean"] for iv in ivs], "o-", label="mean over seeds")
    ax.fill_between(hs, [iv["lo"] for iv in ivs], [iv["hi"] for iv in ivs], alpha=0.25, label="95% interval")
    for h in hs:
        acc = m["per_h"][str(h)]["accuracy"]
        ax.scatter([h] * len(acc), acc, s=8, color="k", alpha=0.5)
    ax.axhline(m["raw_pixel_probe_accuracy"], color="gray", ls=":", label="probe on raw pixels")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("latent width h")
    ax.set_ylabel("linear-probe test accuracy")
    ax.set_title(f"Autoencoder width vs probe accuracy ({len(m['seeds'])} seeds, trained stacked)")
    ax.legend(fontsize=8)
    out.save(fig, "accuracy-vs-h")


EXPERIMENT = experiment(
    "latent",
    question="Q-latent",
    claims=("latent.accuracy-vs-h",),
    configs={"quick": LatentConfig(steps=250, hidden=128, probe_max_iter=300), "full": LatentConfig(steps=1500)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="Autoencoder latent width vs linear-probe accuracy, seeds trained together (vmap).",
)
