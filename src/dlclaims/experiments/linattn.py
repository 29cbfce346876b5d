"""Q-linattn: Bob's attention softmax(Q / sqrt(d)) (K^T V) against softmax attention.

Claims judged: linattn.cost, linattn.not-equivalent, linattn.recall (beyond).

- cost: wall clock of both forms against n (d fixed), round-robin medians and
  log-log slopes with intervals; the bytes saved for backward and the matmul
  FLOPs counted exactly (their order in n and d is the leading power of an
  exact polynomial fit); the crossover n where the timed curves cross,
  against the theory n = d (4 n^2 d FLOPs for softmax, 4 n d^2 for Bob's).
- not-equivalent: the relative output error of Bob's form against softmax
  attention on random inputs, per seed; our softmax attention against
  ``F.scaled_dot_product_attention`` calibrates what "equal" looks like.
- recall: both forms, as a one-read attention model, trained on associative
  recall with n key-value pairs (all seeds at once with the multi-seed
  trainer); test accuracy against n.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

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
from ..core.multiseed import StackedModels, train_stacked
from ..core.threads import limit_threads
from ..data.recall import make_recall
from ..models.attention import RecallReader, bob_attention, sdpa_reference, softmax_attention
from .seq_cost import (
    flop_count,
    leading_power,
    order_of,
    saved_bytes,
    slope_dict,
    time_round_robin,
)


@dataclass(frozen=True)
class LinAttnConfig:
    d: int = 64  # head width
    heads: int = 4  # batch x heads of the timed inputs
    ns: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024, 2048)
    flop_ns: tuple[int, ...] = (1, 2, 3, 4, 5, 6)  # exact counts: orders from small sizes
    flop_ds: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    repeats: int = 5
    err_n: int = 256  # positions of the output-error comparison
    not_equal_rel_err: float = 1e-2  # "not the same function": relative error above this
    recall_pairs: tuple[int, ...] = (2, 4, 8, 16, 32, 48)
    recall_width: int = 16
    recall_keys: int = 64
    recall_values: int = 16
    recall_train: int = 4096
    recall_test: int = 1024
    recall_steps: int = 400
    recall_batch: int = 128
    recall_lr: float = 1e-2

    def __post_init__(self) -> None:
        require(self.d >= 1 and self.heads >= 1, "d and heads must be at least 1")
        require(len(set(self.ns)) >= 3 and all(n >= 1 for n in self.ns),
                "ns needs at least 3 lengths, each at least 1 (n < 1 is not a sequence)")
        require(len(set(self.flop_ns)) >= 5 and len(set(self.flop_ds)) >= 5,
                "flop_ns and flop_ds need at least 5 values (a cubic fit and a check)")
        require(all(v >= 1 for v in (*self.flop_ns, *self.flop_ds)), "flop_ns and flop_ds must be at least 1")
        require(self.repeats >= 1 and self.err_n >= 1, "repeats and err_n must be at least 1")
        require(len(self.recall_pairs) >= 2 and all(p >= 1 for p in self.recall_pairs),
                "recall_pairs needs at least 2 values, each at least 1")
        require(max(self.recall_pairs) <= self.recall_keys,
                f"recall_pairs may not exceed recall_keys ({self.recall_keys}): the keys of an example are distinct")
        require(self.recall_width >= 1 and self.recall_values >= 2, "recall_width >= 1 and recall_values >= 2")
        require(self.recall_train >= self.recall_batch >= 1 and self.recall_test >= 1 and self.recall_steps >= 1,
                "recall_train >= recall_batch >= 1, recall_test >= 1 and recall_steps >= 1")
        require(self.recall_lr > 0, "recall_lr must be positive")


def _qkv(bh: int, n: int, d: int, g: torch.Generator, grad: bool = False) -> tuple[torch.Tensor, ...]:
    return tuple(torch.randn(bh, n, d, generator=g).requires_grad_(grad) for _ in range(3))  # 3 x (BH, n, d)


def run(cfg: LinAttnConfig, ctx: RunContext) -> Measurements:
    g = torch.Generator().manual_seed(0)
    d, bh = cfg.d, cfg.heads
    m: dict[str, Any] = {"d": d, "seconds": {}}
    clock = time.perf_counter()

    # -- cost in n: time (forward), exact bytes saved for backward, exact FLOPs in n and d
    forms = {"softmax": softmax_attention, "bob": bob_attention}
    inputs = {n: _qkv(bh, n, d, g) for n in cfg.ns}
    cost: dict[str, Any] = {"ns": list(cfg.ns), "flop_ns": list(cfg.flop_ns), "flop_ds": list(cfg.flop_ds)}
    fns = [(lambda f=f, n=n: f(*inputs[n])) for f in forms.values() for n in cfg.ns]
    times = time_round_robin(fns, cfg.repeats)
    k = len(cfg.ns)
    for i, (name, f) in enumerate(forms.items()):
        cost[name] = {
            "times": times[i * k:(i + 1) * k],
            "bytes": [saved_bytes(lambda f=f, n=n: f(*_qkv(bh, n, d, g, grad=True))) for n in cfg.ns],
            "bytes_small": [saved_bytes(lambda f=f, n=n: f(*_qkv(1, n, d, g, grad=True))) for n in cfg.flop_ns],
            "flops_n": [flop_count(lambda f=f, n=n: f(*_qkv(1, n, d, g))) for n in cfg.flop_ns],
            "flops_d": [flop_count(lambda f=f, dd=dd: f(*_qkv(1, max(cfg.ns), dd, g))) for dd in cfg.flop_ds],
            "flops_at_ns": [flop_count(lambda f=f, n=n: f(*_qkv(bh, n, d, g))) for n in cfg.ns],
        }
    m["cost"] = cost
    m["seconds"]["cost"], clock = time.perf_counter() - clock, time.perf_counter()

    # -- output error against softmax attention, per seed
    errs, sdpa_errs = [], []
    for s in ctx.seeds:
        gs = torch.Generator().manual_seed(1000 + s)
        q, k_, v = _qkv(bh, cfg.err_n, d, gs)
        ref = softmax_attention(q, k_, v)
        errs.append(float((bob_attention(q, k_, v) - ref).norm() / ref.norm()))
        sdpa_errs.append(float((sdpa_reference(q, k_, v) - ref).norm() / ref.norm()))
    m["error"] = {"bob_vs_softmax": errs, "sdpa_vs_ours": sdpa_errs, "seeds": list(ctx.seeds)}

    # -- associative recall, every seed trained together
    recall: dict[str, Any] = {"pairs": list(cfg.recall_pairs), "chance": 1.0 / cfg.recall_values}
    for kind in ("softmax", "bob"):
        recall[kind] = []
        for p in cfg.recall_pairs:
            gd = torch.Generator().manual_seed(7 + p)
            kw = {"n_keys": cfg.recall_keys, "n_values": cfg.recall_values, "generator": gd}
            x, y = make_recall(cfg.recall_train, p, **kw)
            xt, yt = make_recall(cfg.recall_test, p, **kw)
            x, y, xt, yt = (a.to(ctx.device) for a in (x, y, xt, yt))
            stack = StackedModels.create(
                lambda gg, kind=kind: RecallReader(cfg.recall_keys, cfg.recall_values, cfg.recall_width,
                                                   kind=kind, generator=gg),  # type: ignore[arg-type]
                seeds=ctx.seeds, device=ctx.device)
            with limit_threads(1):  # tiny kernels: one thread is as fast and far steadier on a shared box
                train_stacked(stack, x, y, loss=F.cross_entropy, steps=cfg.recall_steps,
                              batch_size=cfg.recall_batch, lr=cfg.recall_lr)
            with torch.no_grad():
                acc = (stack(xt).argmax(-1) == yt).float().mean(1)  # (S,)
            recall[kind].append(acc.tolist())
    m["recall"] = recall
    m["seconds"]["error+recall"] = time.perf_counter() - clock
    return m


def _crossover(ns: list[int], soft: list, bob: list) -> float | None:
    """The n where log(t_softmax / t_bob) crosses 0 upward (log-log interpolation); None if it never does."""
    r = np.log(np.array([np.median(a) for a in soft]) / np.array([np.median(b) for b in bob]))
    x = np.log(np.asarray(ns, dtype=float))
    for i in range(len(r) - 1, 0, -1):  # the last crossing: softmax slower from there on
        if r[i] > 0 >= r[i - 1]:
            return float(np.exp(x[i - 1] + (x[i] - x[i - 1]) * (-r[i - 1]) / (r[i] - r[i - 1])))
    return float(ns[0]) if np.all(r > 0) else None


def judge(runs: list[Measurements], cfg: LinAttnConfig) -> list:
    m = runs[0]
    c = m["cost"]
    ns, d = c["ns"], m["d"]
    big = [i for i, n in enumerate(ns) if n >= d]  # the regime of the claimed orders: n >= d
    if len(big) < 3:
        big = list(range(len(ns)))
    sl = {f: slope_dict([ns[i] for i in big], [c[f]["times"][i] for i in big]) for f in ("softmax", "bob")}
    order = {f: {"bytes_in_n": leading_power(c["flop_ns"], c[f]["bytes_small"]),
                 "flops_in_n": leading_power(c["flop_ns"], c[f]["flops_n"]),
                 "flops_in_d": leading_power(c["flop_ds"], c[f]["flops_d"])} for f in ("softmax", "bob")}
    cross = _crossover(ns, c["softmax"]["times"], c["bob"]["times"])
    fl_cross = _crossover(ns, [[v] for v in c["softmax"]["flops_at_ns"]], [[v] for v in c["bob"]["flops_at_ns"]])
    v_cost = verdict_from_parts(
        "linattn.cost",
        parts={
            "softmax: time grows as n^2 (slope 2, not 1)": order_of(sl["softmax"], 2, 1),
            "Bob's: time grows as n (slope 1, not 2)": order_of(sl["bob"], 1, 2),
            "softmax: FLOPs n^2 d, bytes saved n^2 (exact)": order["softmax"] == {"bytes_in_n": 2, "flops_in_n": 2,
                                                                                   "flops_in_d": 1},
            "Bob's: FLOPs n d^2, bytes saved n (exact)": order["bob"] == {"bytes_in_n": 1, "flops_in_n": 1,
                                                                          "flops_in_d": 2},
            "timed crossover within a factor 4 of n = d": None if cross is None else d / 4 <= cross <= 4 * d,
        },
        rule=f"forward time of both forms against n (d={d}, {cfg.heads} heads), medians of {cfg.repeats} "
             "round-robin timings; a time part holds if the log-log slope over n >= d is nearer the claimed "
             "order than the rival one and its 95% interval excludes the rival; the orders of the bytes saved for backward and of the matmul FLOPs in n "
             "and d are the leading powers of exact polynomial fits; the crossover is where the timed curves "
             "cross (theory: n = d)",
        numbers={"time_slopes_n_ge_d": sl, "exact_orders": order, "crossover_timed": cross,
                 "crossover_flops": fl_cross, "crossover_theory": d,
                 "median_seconds": {f: [float(np.median(t)) for t in c[f]["times"]] for f in ("softmax", "bob")},
                 "bytes_saved": {f: c[f]["bytes"] for f in ("softmax", "bob")}},
        figures=["cost", "crossover"],
    )
    e = m["error"]
    err = mean_ci(e["bob_vs_softmax"])
    cal = max(e["sdpa_vs_ours"])
    v_neq = verdict(
        "linattn.not-equivalent",
        holds=err.lo > cfg.not_equal_rel_err,
        rule=f"relative error ||Bob - softmax|| / ||softmax|| on random q, k, v (n={cfg.err_n}, d={d}) per seed; "
             f"not the same function if the 95% interval lies above {cfg.not_equal_rel_err:g} (our softmax "
             "attention against F.scaled_dot_product_attention gives the float rounding level for comparison)",
        numbers={"relative_error": err.to_dict(), "per_seed": e["bob_vs_softmax"],
                 "calibration_sdpa_vs_ours_max": cal},
        figures=["crossover"],
    )
    r = m["recall"]
    soft = [mean_ci(a) for a in r["softmax"]]
    bob = [mean_ci(a) for a in r["bob"]]
    def above(a: Any, b: Any) -> bool | None:
        """a above b beyond both 95% intervals: True; below beyond them: False; overlapping: None."""
        return True if a.lo > b.hi else (False if a.hi < b.lo else None)

    v_rec = verdict_from_parts(
        "linattn.recall",
        parts={"softmax attention retrieves better than Bob's at the largest n": above(soft[-1], bob[-1]),
               "Bob's accuracy falls from the smallest n to the largest": above(bob[0], bob[-1])},
        rule=f"one attention read trained on associative recall ({cfg.recall_steps} Adam steps, width "
             f"{cfg.recall_width}, {cfg.recall_keys} keys, {cfg.recall_values} values), test accuracy per seed "
             "with 95% intervals; a part holds when the intervals separate, is undecided when they overlap",
        numbers={"pairs": r["pairs"], "softmax": [a.to_dict() for a in soft], "bob": [a.to_dict() for a in bob],
                 "chance": r["chance"]},
        figures=["recall"],
    )
    return [v_cost, v_neq, v_rec]


def figures(runs: list[Measurements], cfg: LinAttnConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    from .seq_cost import _fit_line

    m = runs[0]
    c = m["cost"]
    ns, d = c["ns"], m["d"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    _fit_line(axes[0], ns, c["softmax"]["times"], "C0", "softmax(QK^T/sqrt d)V")
    _fit_line(axes[0], ns, c["bob"]["times"], "C1", "Bob: softmax(Q/sqrt d)(K^T V)")
    _fit_line(axes[1], ns, c["softmax"]["bytes"], "C0", "softmax, bytes saved")
    _fit_line(axes[1], ns, c["bob"]["bytes"], "C1", "Bob's, bytes saved")
    for ax, lab in zip(axes, ("seconds (median, forward)", "bytes saved for backward (exact)")):
        ax.axvline(d, color="k", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (dotted: n = d)")
        ax.set_ylabel(lab)
        ax.legend(fontsize=7)
    fig.suptitle(f"Cost against n (d={d}), fitted slopes over all n with 95% intervals")
    out.save(fig, "cost")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ratio = [float(np.median(a) / np.median(b)) for a, b in zip(c["softmax"]["times"], c["bob"]["times"])]
    fratio = [a / b for a, b in zip(c["softmax"]["flops_at_ns"], c["bob"]["flops_at_ns"])]
    ax.plot(ns, ratio, "o-", label="time softmax / time Bob's")
    ax.plot(ns, fratio, "s--", label="FLOPs softmax / FLOPs Bob's (= n / d)")
    ax.axhline(1, color="k", lw=0.8)
    ax.axvline(d, color="k", ls=":", lw=0.8, label="theory crossover n = d")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("ratio")
    ax.legend(fontsize=8)
    e = m["error"]
    ax.set_title(f"Crossover; Bob's relative output error vs softmax: {np.mean(e['bob_vs_softmax']):.2f}")
    out.save(fig, "crossover")

    r = m["recall"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for kind, col in (("softmax", "C0"), ("bob", "C1")):
        cis = [mean_ci(a) for a in r[kind]]
        mean = np.array([ci.mean for ci in cis])
        ax.errorbar(r["pairs"], mean, yerr=[mean - [ci.lo for ci in cis], [ci.hi for ci in cis] - mean],
                    fmt="o-", color=col, capsize=3, label="softmax attention" if kind == "softmax" else "Bob's")
    ax.axhline(r["chance"], color="k", ls=":", lw=0.8, label="chance")
    ax.set_xscale("log")
    ax.set_xlabel("n (key-value pairs)")
    ax.set_ylabel("test accuracy (mean, 95% interval over seeds)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title(f"Associative recall, width {cfg.recall_width}")
    out.save(fig, "recall")


QUICK = LinAttnConfig(ns=(16, 32, 64, 128, 256, 512, 1024), repeats=3, recall_pairs=(2, 8, 32),
                      recall_train=2048, recall_test=512, recall_steps=200)

EXPERIMENT = experiment(
    "linattn",
    question="Q-linattn",
    claims=("linattn.cost", "linattn.not-equivalent", "linattn.recall"),
    configs={"quick": QUICK, "full": LinAttnConfig()},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="Bob's attention softmax(Q/sqrt d)(K^T V) vs softmax attention: cost in n, output error, recall.",
)

