"""Q-align: attention maps of a translation model, read against gold word alignments.

A GRU encoder-decoder with attention (models/seq2seq.py) is trained with
teacher forcing on a seeded synthetic bilingual corpus (data/bilingual.py) whose
gold alignment is known word by word. On held-out pairs every target word's
attention row a_i (over the source words) is compared with its gold type
(one-to-one, reordered, one-to-many, many-to-one):

    row max    m_i = max_j a_ij
    entropy    H_i = -sum_j a_ij ln a_ij                (nats)
    AER            = 1 - 2 |A n G| / (|A| + |G|)        A: argmax links, G: gold links (all sure)

Since sum_j a_ij = 1, the row max bounds the entropy on both sides:
    -ln m  <=  H  <=  h(m) + (1 - m) ln(n - 1)           h: binary entropy, n: source length (Fano)
so a near-white cell (m -> 1) forces H -> 0: only single-cell rows can be white.

Seeds train together (multiseed: stacked parameters, vmap); the corpus is fixed by
``corpus_seed``; intervals are 95% t-intervals across model seeds.
Claims judged: align.cells, align.one-to-one, align.spread, align.why-grey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from scipy import stats as sps
from torch import Tensor, nn

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
from ..data.bilingual import ALIGN_TYPES, PAD, BilingualConfig, Corpus, Pair, generate, to_tensors
from ..models.seq2seq import Seq2Seq

SPREAD_TYPES = ("reordered", "one-to-many", "many-to-one")


@dataclass(frozen=True)
class AlignConfig:
    vocab_size: int = 300  # source words; the corpus settings are checked by BilingualConfig
    min_len: int = 4
    max_len: int = 12
    n_train: int = 6000
    n_test: int = 400
    corpus_seed: int = 1234
    attention: Literal["additive", "dot"] = "additive"
    emb: int = 32
    hidden: int = 64
    steps: int = 1500
    batch_size: int = 64
    lr: float = 3e-3
    bright: float = 0.7  # a row with max >= bright has "one bright cell"
    white: float = 0.9  # a cell >= white is (near) white
    precision_target: float = 0.9  # align.one-to-one: bright rows point at the single gold word this often
    spread_delta: float = 0.1  # align.spread: a type's mean row max this far below one-to-one = spread
    n_show: int = 6  # held-out heatmaps in the figure
    threads: int = 1  # torch CPU threads while training (a tiny recurrent model runs fastest on one)

    def __post_init__(self) -> None:
        self.corpus_config()  # raises ConfigError for a corpus that cannot be generated
        for name in ("emb", "hidden", "steps", "batch_size", "threads"):
            require(getattr(self, name) >= 1, f"{name} must be at least 1, got {getattr(self, name)}")
        require(self.lr > 0, f"lr must be positive, got {self.lr}")
        require(0.5 <= self.bright < 1.0, f"bright must be in [0.5, 1), got {self.bright}")
        require(0.5 < self.white < 1.0, f"white must be in (0.5, 1), got {self.white}")
        require(0 < self.precision_target <= 1, f"precision_target must be in (0, 1], got {self.precision_target}")
        require(0 < self.spread_delta < 1, f"spread_delta must be in (0, 1), got {self.spread_delta}")
        require(self.n_show >= 1, f"n_show must be at least 1, got {self.n_show}")

    def corpus_config(self) -> BilingualConfig:
        return BilingualConfig(vocab_size=self.vocab_size, min_len=self.min_len, max_len=self.max_len,
                               n_train=self.n_train, n_test=self.n_test, seed=self.corpus_seed)


class PackedSeq2Seq(nn.Module):
    """Adapter for the multi-seed trainer: one input x = [src | tgt_in] (B, S + T) -> logits (B, T, V)."""

    def __init__(self, model: Seq2Seq, src_len: int) -> None:
        super().__init__()
        self.model, self.src_len = model, src_len

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x[:, : self.src_len], x[:, self.src_len:])


def masked_nll(logits: Tensor, y: Tensor) -> Tensor:
    """Mean -log p(y_t) over the non-padding targets: logits (B, T, V), y (B, T) -> scalar (vmap-safe)."""
    nll = -logits.log_softmax(-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)  # (B, T)
    keep = (y != PAD).to(nll.dtype)
    return (nll * keep).sum() / keep.sum()


def aer(pred: set[tuple[int, int]], gold: set[tuple[int, int]]) -> float:
    """Alignment error rate with every gold link sure (Och & Ney 2003): 1 - 2|A n G| / (|A| + |G|)."""
    if not pred and not gold:
        return 0.0
    return 1.0 - 2.0 * len(pred & gold) / (len(pred) + len(gold))


def diagonal_links(n_tgt: int, n_src: int) -> set[tuple[int, int]]:
    """The monotone baseline: target i -> source round(i (n_src - 1) / (n_tgt - 1))."""
    if n_tgt == 1:
        return {(0, 0)}
    return {(i, round(i * (n_src - 1) / (n_tgt - 1))) for i in range(n_tgt)}


def row_stats(w: Tensor, pairs: tuple[Pair, ...] | list[Pair]) -> dict[str, list]:
    """Per target word of every pair: row max, second largest, entropy, argmax, gold hit; and row checks.

    w: (N, T, S) attention of the pairs (teacher forcing); rows are target steps, EOS row included.
    """
    _N, T, S = w.shape
    src_len = torch.tensor([len(p.src) for p in pairs])
    tgt_len = torch.tensor([len(p.tgt) for p in pairs])
    steps = torch.arange(T)
    word_rows = steps[None, :] < tgt_len[:, None]  # (N, T) target words
    all_rows = steps[None, :] <= tgt_len[:, None]  # (N, T) words and EOS
    real_src = torch.arange(S)[None, :] < src_len[:, None]  # (N, S)
    sum_err = (w.sum(-1) - 1).abs()[all_rows]
    pad_w = w.masked_fill(real_src[:, None, :], 0.0)[all_rows]
    rows = w[word_rows]  # (M, S) in (pair, word) order
    top2 = rows.topk(min(2, S), dim=-1).values
    second = top2[:, 1] if S > 1 else torch.zeros(len(rows))
    ent = -(rows * rows.clamp_min(1e-30).log()).sum(-1)
    arg = rows.argmax(-1)
    hits, types, n_src = [], [], []
    k = 0
    for p in pairs:
        gold: dict[int, set[int]] = {}
        for i, j in p.links:
            gold.setdefault(i, set()).add(j)
        for i, t in enumerate(p.types):
            hits.append(int(arg[k]) in gold.get(i, set()))
            types.append(t)
            n_src.append(len(p.src))
            k += 1
    return {"row_max": top2[:, 0].tolist(), "second": second.tolist(), "entropy": ent.tolist(),
            "argmax": arg.tolist(), "hit": hits, "type": types, "n_src": n_src,
            "max_row_sum_error": float(sum_err.max()), "max_pad_weight": float(pad_w.max()),
            "min_weight": float(w[all_rows].min())}


def run(cfg: AlignConfig, ctx: RunContext) -> Measurements:
    corpus: Corpus = generate(cfg.corpus_config())
    S = max(len(p.src) for p in corpus.train + corpus.test)
    T = max(len(p.tgt) for p in corpus.train + corpus.test) + 1
    src, tin, tout = (t.to(ctx.device) for t in to_tensors(corpus.train, src_len=S, tgt_len=T))
    x = torch.cat([src, tin], dim=1)  # (N, S + T)

    def make(g: torch.Generator) -> nn.Module:
        return PackedSeq2Seq(Seq2Seq(len(corpus.src_vocab), len(corpus.tgt_vocab), emb=cfg.emb, hidden=cfg.hidden,
                                     attention=cfg.attention, pad_id=PAD, generator=g), S)

    with limit_threads(cfg.threads):
        stack = StackedModels.create(make, ctx.seeds, device=ctx.device)
        history = train_stacked(stack, x, tout, loss=masked_nll, steps=cfg.steps, batch_size=cfg.batch_size,
                                lr=cfg.lr)
        ts, ti, to = to_tensors(corpus.test, src_len=S, tgt_len=T)
        per_seed = []
        shown = []
        for k, packed in enumerate(stack.unstack()):
            model: Seq2Seq = packed.model.eval()
            with torch.no_grad():
                logits, w = model(ts.to(ctx.device), ti.to(ctx.device), return_weights=True)  # (N, T, V), (N, T, S)
            logits, w = logits.cpu(), w.cpu()
            keep = to != PAD
            st = row_stats(w, corpus.test)
            st["token_accuracy"] = float(((logits.argmax(-1) == to) & keep).sum() / keep.sum())
            st["final_train_loss"] = float(np.mean([h[k] for h in history[-20:]]))
            n_links = sum(len(p.links) for p in corpus.test)
            st["aer"] = 1.0 - 2.0 * sum(st["hit"]) / (len(st["hit"]) + n_links)
            per_seed.append(st)
            if k == 0:
                for n, p in enumerate(corpus.test[: cfg.n_show]):
                    s_words, t_words = corpus.words(p)
                    shown.append({"src": s_words, "tgt": t_words, "links": [list(li) for li in p.links],
                                  "weights": w[n, : len(p.tgt), : len(p.src)].tolist()})
    diag = [aer(diagonal_links(len(p.tgt), len(p.src)), set(p.links)) for p in corpus.test]
    n_words = sum(len(p.tgt) for p in corpus.test)
    d_links = sum(len(diagonal_links(len(p.tgt), len(p.src)) & set(p.links)) for p in corpus.test)
    return {
        "seeds": list(ctx.seeds),
        "per_seed": per_seed,
        "diagonal_aer": 1.0 - 2.0 * d_links / (n_words + sum(len(p.links) for p in corpus.test)),
        "diagonal_aer_mean_sentence": float(np.mean(diag)),
        "corpus": {"src_vocab": len(corpus.src_vocab) - 3, "tgt_vocab": len(corpus.tgt_vocab) - 3,
                   "n_train": len(corpus.train), "n_test": len(corpus.test), "max_src_len": S, "max_tgt_len": T - 1,
                   "type_counts_test": {t: sum(t == u for u in per_seed[0]["type"]) for t in ALIGN_TYPES}},
        "shown": shown,
        "loss_curve": [float(np.mean(h)) for h in history[:: max(1, cfg.steps // 100)]],
    }


def _ci(values: list[float]) -> dict[str, float]:
    return mean_ci(values).to_dict()


def _mean_where(values: list[float], mask: list[bool]) -> float:
    sel = [v for v, k in zip(values, mask) if k]
    return float(np.mean(sel)) if sel else math.nan


def _fano_upper(m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Largest entropy of a distribution on n cells with max m: h(m) + (1 - m) ln(n - 1)."""
    m = np.clip(m, 1e-12, 1.0)
    one_m = np.clip(1.0 - m, 0.0, 1.0)
    h = -(m * np.log(m)) - np.where(one_m > 0, one_m * np.log(np.maximum(one_m, 1e-300)), 0.0)
    return h + one_m * np.log(np.maximum(n - 1, 1))


def judge(runs: list[Measurements], cfg: AlignConfig) -> list:
    m = runs[0]
    seeds = m["per_seed"]
    aers = [s["aer"] for s in seeds]
    aer_ci = mean_ci(aers)
    sum_err = max(s["max_row_sum_error"] for s in seeds)
    pad_w = max(s["max_pad_weight"] for s in seeds)
    min_w = min(s["min_weight"] for s in seeds)
    tol = 1e-5
    v_cells = verdict_from_parts(
        "align.cells",
        parts={"every row sums to 1 (over the source words)": sum_err <= tol and min_w >= 0,
               "padded source positions get zero weight": pad_w == 0.0,
               "the trained map follows the gold alignment (AER interval below the diagonal baseline)":
                   True if aer_ci.hi < m["diagonal_aer"] else False if aer_ci.lo > m["diagonal_aer"] else None},
        rule=f"row i of the map is target step i's softmax over source words j: rows must sum to 1 within {tol:g} "
             "with non-negative cells and zero weight on padding, and the trained maps must align words: "
             "the 95% interval of the AER of argmax links (across seeds) lies below the AER of the monotone diagonal "
             "(above it refutes that part; straddling leaves it undecided)",
        numbers={"max_row_sum_error": sum_err, "max_pad_weight": pad_w, "min_weight": min_w, "aer": aer_ci.to_dict(),
                 "aer_per_seed": aers, "diagonal_aer": m["diagonal_aer"],
                 "token_accuracy": _ci([s["token_accuracy"] for s in seeds]), "attention": cfg.attention},
        figures=["heatmaps"],
    )

    # align.one-to-one: bright rows -> the word has one gold source word, and the bright cell is it.
    single = [[t in ("one-to-one", "reordered", "one-to-many") for t in s["type"]] for s in seeds]
    prec, recall, n_bright = [], [], []
    for s, one in zip(seeds, single):
        bright = [x >= cfg.bright for x in s["row_max"]]
        good = [b and o and h for b, o, h in zip(bright, one, s["hit"])]
        n_bright.append(sum(bright))
        prec.append(sum(good) / max(sum(bright), 1))
        strict = [t == "one-to-one" for t in s["type"]]
        recall.append(sum(b and k for b, k in zip(bright, strict)) / max(sum(strict), 1))
    p_ci = mean_ci(prec)
    holds_121: bool | None = (True if p_ci.lo >= cfg.precision_target else
                              False if p_ci.hi < cfg.precision_target else None)
    bright_by_type = {t: _ci([_mean_where([float(x >= cfg.bright) for x in s["row_max"]],
                                           [u == t for u in s["type"]]) for s in seeds])
                      for t in ALIGN_TYPES if any(t in s["type"] for s in seeds)}
    v_121 = verdict(
        "align.one-to-one",
        holds=holds_121,
        rule=f"a row with one bright cell (row max >= {cfg.bright:g}) marks a word aligned to one source word if, "
             f"across seeds, at least {cfg.precision_target:g} of bright rows belong to target words with exactly one "
             "gold source word and the bright cell is that word (95% interval entirely above: supported; entirely "
             "below: refuted; straddling: inconclusive)",
        numbers={"bright_precision": p_ci.to_dict(), "bright_rows_per_seed": n_bright,
                 "one_to_one_recall (strict one-to-one words with a bright row)": _ci(recall),
                 "bright_fraction_by_type": bright_by_type, "bright": cfg.bright},
        figures=["heatmaps", "types"],
    )

    # align.spread: do reordered / one-to-many / many-to-one words get spread rows?
    max_by_type = {t: [_mean_where(s["row_max"], [u == t for u in s["type"]]) for s in seeds] for t in ALIGN_TYPES}
    ent_by_type = {t: [_mean_where(s["entropy"], [u == t for u in s["type"]]) for s in seeds] for t in ALIGN_TYPES}
    parts: dict[str, bool | None] = {}
    gaps = {}
    for t in SPREAD_TYPES:
        diffs = [a - b for a, b in zip(max_by_type["one-to-one"], max_by_type[t]) if np.isfinite(a - b)]
        if not diffs:
            parts[f"{t} words get spread rows"] = None
            continue
        ci = mean_ci(diffs)
        gaps[t] = ci.to_dict()
        parts[f"{t} words get spread rows"] = (True if ci.lo > cfg.spread_delta else
                                               False if ci.hi < cfg.spread_delta else None)
    # What the spread rows are: their gold types, next to the base rate of each type.
    all_types = [t for s in seeds for t in s["type"]]
    spread_types = [t for s in seeds for t, x in zip(s["type"], s["row_max"]) if x < cfg.bright]
    spread_share = {t: spread_types.count(t) / max(len(spread_types), 1) for t in ALIGN_TYPES if t in all_types}
    base_share = {t: all_types.count(t) / len(all_types) for t in ALIGN_TYPES if t in all_types}
    v_spread = verdict_from_parts(
        "align.spread",
        parts=parts,
        rule=f"a gold type 'gets spread rows' if its mean row max is below that of one-to-one words by more than "
             f"{cfg.spread_delta:g}: the 95% interval (across seeds) of the gap above {cfg.spread_delta:g} holds, "
             "entirely below refutes, straddling is undecided; many-to-one words draw on several source words, "
             "reordered and one-to-many words are the answer's examples",
        numbers={"row_max_gap_vs_one_to_one": gaps,
                 "mean_row_max_by_type": {t: _ci(v) for t, v in max_by_type.items() if np.isfinite(v).any()},
                 "mean_entropy_by_type": {t: _ci(v) for t, v in ent_by_type.items() if np.isfinite(v).any()},
                 "spread_rows_by_type (share of rows with max < bright)": spread_share,
                 "all_rows_by_type (base rate)": base_share,
                 "words_by_type": m["corpus"]["type_counts_test"]},
        figures=["types", "maxent"],
    )

    # align.why-grey: row max vs entropy.
    two_bright = sum(sum(x > 0.5 for x in s["second"]) for s in seeds)
    white_ok, outside, rhos = True, 0, []
    white_rows = 0
    for s in seeds:
        mx, ent, sec, n = (np.asarray(s[k], dtype=float) for k in ("row_max", "entropy", "second", "n_src"))
        white = mx >= cfg.white
        white_rows += int(white.sum())
        white_ok &= bool(np.all(sec[white] <= 1 - cfg.white + tol))
        white_ok &= bool(np.all(ent[white] <= _fano_upper(np.full(white.sum(), cfg.white), n[white]) + tol))
        outside += int(np.sum((ent < -np.log(mx) - tol) | (ent > _fano_upper(mx, n) + tol)))
        rhos.append(float(sps.spearmanr(mx, ent).statistic))
    rho_ci = mean_ci(rhos)
    v_grey = verdict_from_parts(
        "align.why-grey",
        parts={"each row's weights share a total of 1": sum_err <= tol,
               "no row has two cells above 1/2": two_bright == 0,
               f"white rows (max >= {cfg.white:g}) are single-cell rows (second cell <= {1 - cfg.white:.2g}, "
               "entropy within the Fano bound)": white_ok if white_rows else None,
               "every row lies in -ln(max) <= H <= h(max) + (1 - max) ln(n - 1)": outside == 0,
               "row max and entropy move together (Spearman rho interval below -0.7)":
                   True if rho_ci.hi < -0.7 else False if rho_ci.lo > -0.7 else None},
        rule="a row sums to 1, so its max m fixes a band for its entropy H: -ln m <= H <= h(m) + (1 - m) ln(n - 1); "
             "a white cell (m -> 1) leaves at most 1 - m to the rest, so it can only sit in a single-cell row; "
             "checked on every held-out row of every seed",
        numbers={"max_row_sum_error": sum_err, "rows_with_two_cells_above_half": two_bright,
                 "white_rows": white_rows, "rows_outside_entropy_band": outside, "spearman_rho": rho_ci.to_dict()},
        figures=["maxent"],
    )
    return [v_cells, v_121, v_spread, v_grey]


COLORS = {"one-to-one": "tab:blue", "reordered": "tab:orange", "one-to-many": "tab:green",
          "many-to-one": "tab:red", "null": "tab:gray"}


def figures(runs: list[Measurements], cfg: AlignConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    m = runs[0]
    shown = m["shown"]
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.6 * rows), squeeze=False)
    for ax, ex in zip(axes.flat, shown):
        w = np.asarray(ex["weights"], dtype=float)
        im = ax.imshow(w, cmap="gray", vmin=0, vmax=1, aspect="auto")
        li = np.asarray(ex["links"], dtype=float).reshape(-1, 2)
        ax.scatter(li[:, 1], li[:, 0], s=120, marker="s", facecolors="none", edgecolors="tab:red", linewidths=1.4)
        ax.set_xticks(range(len(ex["src"])), ex["src"], rotation=60, fontsize=7)
        ax.set_yticks(range(len(ex["tgt"])), ex["tgt"], fontsize=7)
        ax.set_xlabel("source word j")
    for ax in axes[:, 0]:
        ax.set_ylabel("target step i")
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.colorbar(im, ax=axes, shrink=0.6, label="attention weight a_ij")
    aers = [s["aer"] for s in m["per_seed"]]
    fig.suptitle(f"Held-out attention maps ({cfg.attention}, seed {m['seeds'][0]}); red squares: gold alignment; "
                 f"AER over seeds {np.mean(aers):.3f}")
    out.save(fig, "heatmaps")

    fig, ax = plt.subplots(figsize=(6.5, 5))
    mx = np.concatenate([s["row_max"] for s in m["per_seed"]])
    ent = np.concatenate([s["entropy"] for s in m["per_seed"]])
    types = np.concatenate([s["type"] for s in m["per_seed"]])
    for t in ALIGN_TYPES:  # the common one-to-one words first, the rare types on top
        sel = types == t
        if sel.any():
            ax.scatter(mx[sel], ent[sel], s=6, alpha=0.35, color=COLORS[t], label=f"{t} ({int(sel.sum())} rows)")
    grid = np.linspace(1e-3, 1, 300)
    n_max = max(max(s["n_src"]) for s in m["per_seed"])
    ax.plot(grid, -np.log(grid), "k--", lw=1, label="-ln(max) (lower bound)")
    ax.plot(grid, _fano_upper(grid, np.full_like(grid, n_max)), "k:", lw=1, label=f"Fano upper bound, n={n_max}")
    ax.axvline(cfg.white, color="gray", lw=0.8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, math.log(n_max) * 1.05)
    ax.set_xlabel("row max  max_j a_ij")
    ax.set_ylabel("row entropy H_i (nats)")
    ax.legend(fontsize=7, markerscale=3)
    ax.set_title("Row max vs entropy of every held-out target word, by gold type")
    out.save(fig, "maxent")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    present = [t for t in ALIGN_TYPES if any(t in s["type"] for s in m["per_seed"])]
    for ax, key, label in ((axes[0], "row_max", "mean row max"), (axes[1], "entropy", "mean row entropy (nats)")):
        for k, t in enumerate(present):
            vals = [_mean_where(s[key], [u == t for u in s["type"]]) for s in m["per_seed"]]
            ci = mean_ci(vals)
            ax.errorbar([k], [ci.mean], yerr=[[ci.mean - ci.lo], [ci.hi - ci.mean]], fmt="o", color=COLORS[t],
                        capsize=4)
            ax.scatter([k] * len(vals), vals, s=8, color=COLORS[t], alpha=0.5)
        ax.set_xticks(range(len(present)), present, rotation=20)
        ax.set_ylabel(label)
    axes[0].axhline(cfg.bright, color="gray", ls=":", lw=0.8)
    fig.suptitle("Attention rows by gold alignment type (dots: seeds; bars: 95% interval)")
    out.save(fig, "types")


EXPERIMENT = experiment(
    "align",
    question="Q-align",
    claims=("align.cells", "align.one-to-one", "align.spread", "align.why-grey"),
    configs={"quick": AlignConfig(n_train=1500, n_test=300, hidden=48, steps=250, lr=5e-3),
             "full": AlignConfig()},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="A GRU seq2seq with attention on a synthetic bilingual corpus: maps vs gold alignments.",
)
