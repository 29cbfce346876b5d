"""Q-align: AER, row statistics and baselines against hand-made maps, the stacked trainer against single models,
the why-grey construction, bad settings, every status of every judge from hand-made measurements, and the quick
profile end to end."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dlclaims.core.errors import ConfigError
from dlclaims.core.multiseed import StackedModels
from dlclaims.core.registry import load_all
from dlclaims.core.runner import plans_for
from dlclaims.data.bilingual import Pair
from dlclaims.experiments.align import (
    AlignConfig,
    PackedSeq2Seq,
    _fano_upper,
    aer,
    bright_counts,
    construct_rows,
    diagonal_hits,
    diagonal_links,
    diagonal_precision,
    dim_precision,
    judge,
    masked_nll,
    member_seeds,
    multi_auc,
    precision_curve,
    row_checks,
    row_stats,
    run,
    spread_lift,
    token_accuracy,
)
from dlclaims.models.seq2seq import Seq2Seq


def test_aer_oracle():
    gold = {(0, 0), (1, 2), (2, 1)}
    assert aer(gold, gold) == 0.0
    assert aer({(0, 1), (1, 0), (2, 2)}, gold) == 1.0
    assert aer({(0, 0), (1, 1), (2, 1)}, gold) == pytest.approx(1 - 2 * 2 / 6)


def test_diagonal_links_and_hits():
    assert diagonal_links(3, 5) == {(0, 0), (1, 2), (2, 4)}
    assert diagonal_links(1, 4) == {(0, 0)}
    # 3 target words over 5 source words: diagonal (0,0), (1,2), (2,4); gold hits the first and the last
    pair = Pair((5, 6, 7, 8, 9), (5, 6, 7), ((0, 0), (1, 1), (2, 4)))
    assert diagonal_hits([pair]) == [True, False, True]


def test_masked_nll_equals_cross_entropy_with_ignore_index():
    logits = torch.randn(3, 5, 7)
    y = torch.randint(1, 7, (3, 5))
    y[0, 3:] = 0
    y[2, 1:] = 0
    ref = F.cross_entropy(logits.reshape(-1, 7), y.reshape(-1), ignore_index=0)
    torch.testing.assert_close(masked_nll(logits, y), ref)


def test_row_stats_on_a_hand_made_map():
    # pair 0: 2 target words over 3 source words; pair 1: 1 target word over 2 source words (1 pad)
    pairs = [Pair((5, 6, 7), (8, 9), ((0, 0), (1, 1), (1, 2))), Pair((5, 6), (8,), ((0, 1),))]
    w = torch.zeros(2, 3, 3)  # (N, T = 2 words + EOS, S)
    w[0, 0] = torch.tensor([1.0, 0.0, 0.0])
    w[0, 1] = torch.tensor([0.2, 0.5, 0.3])
    w[0, 2] = torch.tensor([0.0, 0.0, 1.0])  # EOS
    w[1, 0] = torch.tensor([0.75, 0.25, 0.0])
    w[1, 1] = torch.tensor([0.5, 0.5, 0.0])  # EOS
    st = row_stats(w, pairs)
    assert st["row_max"] == pytest.approx([1.0, 0.5, 0.75])
    assert st["second"] == pytest.approx([0.0, 0.3, 0.25])
    assert st["hit"] == [True, True, False]  # the last row's bright cell is not its gold word
    assert st["type"] == ["one-to-one", "many-to-one", "one-to-one"]
    assert st["gold_mass"] == pytest.approx([1.0, 0.8, 0.25])
    assert st["gold_lesser"] == pytest.approx([0.0, 0.3, 0.0])  # only a word with two gold words has one
    h = -(0.2 * math.log(0.2) + 0.5 * math.log(0.5) + 0.3 * math.log(0.3))
    assert st["entropy"] == pytest.approx([0.0, h, -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))], abs=1e-6)
    assert st["max_row_sum_error"] < 1e-6 and st["max_pad_weight"] == 0.0
    w[1, 1, 2] = 0.1  # weight on a padded source position
    assert row_stats(w, pairs)["max_pad_weight"] == pytest.approx(0.1)


def test_bright_counts_and_precision():
    row_max = [0.95, 0.8, 0.6, 0.92, 0.4]
    hit = [True, False, True, True, True]
    types = ["one-to-one", "reordered", "one-to-one", "many-to-one", "one-to-many"]
    c = bright_counts(row_max, hit, types, (0.5, 0.9))
    assert c == {"bright": [4, 2], "correct": [2, 1]}  # a many-to-one word is never a correct single link
    s = {"row_max": row_max, "hit": hit, "type": types, "ibm1_row_max": [0.3] * 5, "ibm1_hit": hit,
         "diagonal_hit": [True, True, False, False, True]}
    assert precision_curve(s, (0.5, 0.9)) == pytest.approx([0.5, 0.5])
    assert all(math.isnan(v) for v in precision_curve(s, (0.5, 0.9), "ibm1"))  # no bright IBM1 row
    assert diagonal_precision(s) == pytest.approx(3 / 5)


def test_row_checks_count_violations():
    # a white row with a second cell of 0.3 (it cannot sum to 1), a row below the -ln(max) bound, a fine row
    c = row_checks([0.95, 0.5, 0.5], [0.3, 0.5, 0.5], [0.05, 0.1, math.log(2)], [3, 2, 2], white=0.9)
    assert c == {"white_rows": 1, "white_rows_with_second_above": 1, "rows_with_two_cells_above_half": 0,
                 "rows_outside_entropy_band": 2}


def test_member_seeds_are_disjoint_and_nested():
    quick, full = member_seeds((0, 1, 2), 2), member_seeds((0, 1, 2, 3, 4), 2)
    assert len(set(full)) == 10 and quick == full[:6]


def test_entropy_band_holds_for_random_distributions():
    p = torch.softmax(3 * torch.randn(500, 6, dtype=torch.float64), -1).numpy()
    m = p.max(-1)
    h = -(p * torch.log(torch.from_numpy(p)).numpy()).sum(-1)
    assert (h >= -torch.log(torch.from_numpy(m)).numpy() - 1e-12).all()
    assert (h <= _fano_upper(m, torch.full((500,), 6).numpy()) + 1e-12).all()


def test_construction_reaches_white_rows_and_the_sigmoid_counterfactual_breaks_them():
    c = construct_rows(AlignConfig(n_construct=100), 8)
    assert c["rows"] == 1200 and c["white_rows"] > 50 and c["min_row_max"] < 0.3
    assert c["max_row_sum_error"] < 1e-5
    assert c["white_rows_with_second_above"] == 0 and c["rows_with_two_cells_above_half"] == 0
    assert c["rows_outside_entropy_band"] == 0
    assert c["sigmoid_rows_with_two_white_cells"] > 0


def test_stacked_models_equal_single_models():
    def make(g):
        return PackedSeq2Seq(Seq2Seq(11, 13, emb=6, hidden=8, generator=g), 5)

    stack = StackedModels.create(make, seeds=(0, 1))
    x = torch.cat([torch.randint(3, 11, (4, 5)), torch.randint(3, 13, (4, 4))], 1)
    x[1, 3:5] = 0
    out = stack(x)  # (S, B, T, V)
    for k, seed in enumerate((0, 1)):
        single = make(torch.Generator().manual_seed(seed))
        torch.testing.assert_close(out[k], single(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kw", [{"min_len": 0}, {"vocab_size": 10}, {"max_len": 2}, {"steps": 0},
                                {"thresholds": (0.3,)}, {"thresholds": ()}, {"n_test": 0}, {"models_per_seed": 0},
                                {"multiword_share": 1.5}, {"max_len": 5, "min_len": 3}, {"split_min": 0.0},
                                {"spread_thresholds": (0.6,)}, {"spread_thresholds": ()}, {"spread_lift": 1.0},
                                {"n_val": 0}, {"eval_every": 0}])
def test_bad_configs(kw):
    with pytest.raises(ConfigError):
        AlignConfig(**kw)


def test_bad_corpus_via_set_is_a_config_error():
    with pytest.raises(ConfigError, match="vocab_size"):
        plans_for(["Q-align"], profile="quick", seeds=1, sets={"vocab_size": "12"}, device="cpu")


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-align")  # the session's shared quick-profile store (no unit failed)
    assert set(load_all()["align"].claims) <= set(got)
    assert got["align.why-grey"].evidence == "exact"
    figures = quick_store("Q-align").parent / "figures"
    for name in ("heatmaps", "maxent", "types", "precision", "spread"):
        assert (figures / f"align-{name}.png").stat().st_size > 1000


# ---- judges, from hand-made measurements ------------------------------------------------------------------------

TYPES = ("one-to-one", "reordered", "one-to-many", "many-to-one")


def _row(m: float, second: float, n_src: int = 5) -> tuple[float, float, float]:
    """A row of n_src cells with max m, second cell `second`, the rest shared evenly: (max, second, entropy)."""
    rest = (1 - m - second) / (n_src - 2)
    cells = [m, second] + [rest] * (n_src - 2)
    return m, second, -sum(c * math.log(c) for c in cells if c > 0)


def fake_runs(*, models: int = 6, dim: dict | None = None, gold_mass: float = 0.9, lesser: float = 0.3,
              att_hit: float = 0.95, dim_hit: float = 0.3, ibm_hit: float = 0.95, diag_hit: float = 0.5,
              aer: float = 0.1, diag_aer: float = 0.4, row_sum_error: float = 1e-7, pad_weight: float = 0.0,
              construct: dict | None = None, noise: float = 0.02, n: int = 40) -> list[dict]:
    """Measurements as run() writes them. Each model has n rows of each type; a share dim[type] of them (plus a
    little noise per model) are dim and spread (max 0.45, second cell 0.35), the rest bright with one white cell
    (max 0.95, second 0.0125). The first att_hit share of the bright rows and the first dim_hit share of the dim
    rows hit their gold word; n_src = 5."""
    dim = {t: 0.3 for t in TYPES} | (dim or {})
    per_seed = []
    for k in range(models):
        wiggle = noise * ((k % 3) - 1) + noise * 0.3 * (k % 2)  # differs across models: intervals have spread
        rec: dict = {key: [] for key in ("row_max", "second", "entropy", "type", "n_src", "gold_mass",
                                         "gold_lesser", "hit", "ibm1_row_max", "ibm1_hit", "diagonal_hit")}
        for t in TYPES:
            n_dim = round(n * min(max(dim[t] + (wiggle if 0 < dim[t] < 1 else 0.0), 0.0), 1.0))
            for i in range(n):
                is_dim = i < n_dim
                m, sec, ent = _row(0.45, 0.35) if is_dim else _row(0.95, 0.0125)
                rank = (i if is_dim else i - n_dim) / max(n_dim if is_dim else n - n_dim, 1)
                rec["row_max"].append(m)
                rec["second"].append(sec)
                rec["entropy"].append(ent)
                rec["type"].append(t)
                rec["n_src"].append(5)
                rec["gold_mass"].append(min(gold_mass + wiggle, 1.0))
                rec["gold_lesser"].append(max(lesser + wiggle, 0.0) if t == "many-to-one" else 0.0)
                rec["hit"].append(rank < min((dim_hit if is_dim else att_hit) + wiggle, 1.0))
                rec["ibm1_row_max"].append(0.95)
                rec["ibm1_hit"].append(i / n < min(ibm_hit - wiggle / 2, 1.0))
                rec["diagonal_hit"].append(i / n < diag_hit + wiggle / 2)
        rec["checks"] = row_checks(rec["row_max"], rec["second"], rec["entropy"], rec["n_src"], 0.9)
        rec.update(max_row_sum_error=row_sum_error, max_pad_weight=pad_weight, min_weight=0.0,
                   aer=aer + wiggle, diagonal_aer=diag_aer + wiggle / 3, ibm1_aer=0.09, token_accuracy=0.99,
                   final_train_loss=0.01, seed=k)
        per_seed.append(rec)
    cons = {"rows": 4800, "max_row_sum_error": 2e-7, "white_rows": 1900, "white_rows_with_second_above": 0,
            "rows_with_two_cells_above_half": 0, "rows_outside_entropy_band": 0, "sigmoid_rows": 4800,
            "sigmoid_rows_with_two_white_cells": 1700, "min_row_max": 0.09, "max_row_max": 1.0,
            "sample_row_max": [], "sample_entropy": [], **(construct or {})}
    counts = {t: n for t in TYPES}
    return [{"seeds": list(range(models)), "models": list(range(models)), "per_seed": per_seed, "constructed": cons,
             "corpus": {"type_counts_test": counts, "multiword_share": 0.5,
                        "shortcut": {"many_to_one_words": 40, "determined_by_one_source_word": 0}},
             "shown": [], "loss_curve": []}]


def verdicts(runs: list[dict]) -> dict:
    return {v.claim: v for v in judge(runs, AlignConfig())}


def test_judge_is_pure_and_gives_evidence_kinds():
    runs = fake_runs()
    a, b = judge(runs, AlignConfig()), judge(runs, AlignConfig())
    assert [x.to_dict() for x in a] == [x.to_dict() for x in b]
    v = {x.claim: x for x in a}
    assert v["align.why-grey"].evidence == "exact"
    assert set(v["align.why-grey"].part_evidence.values()) == {"exact"}
    cells = v["align.cells"].part_evidence
    assert sorted(cells.values()) == ["exact", "exact", "measured"]
    assert v["align.one-to-one"].evidence == v["align.spread"].evidence == "measured"


def test_cells_every_status():
    assert verdicts(fake_runs())["align.cells"].status == "supported"
    v = verdicts(fake_runs(aer=0.6))["align.cells"]  # argmax links worse than the diagonal
    assert v.status == "partial" and sorted(v.parts.values()) == ["refuted", "supported", "supported"]
    assert verdicts(fake_runs(aer=0.6, row_sum_error=0.2, pad_weight=0.1))["align.cells"].status == "refuted"
    v = verdicts(fake_runs(aer=0.4, diag_aer=0.4, noise=0.05))["align.cells"]  # the AER gap straddles 0
    assert list(v.parts.values()).count("inconclusive") == 1 and v.status == "inconclusive"


def test_one_to_one_every_status():
    part_dim = "the bright cell is the mark: bright rows mark it more often than the rows that are not bright"
    # bright rows point at the gold word far more often than position alone and than dim rows
    v = verdicts(fake_runs(att_hit=0.95, dim_hit=0.3))["align.one-to-one"]
    assert v.status == "supported"
    # above the diagonal, but dim rows are right more often than bright ones: the brightness marks nothing
    v = verdicts(fake_runs(att_hit=0.75, dim_hit=0.95))["align.one-to-one"]
    assert v.status == "partial" and v.parts[part_dim] == "refuted"
    # below position alone and below the dim rows
    v = verdicts(fake_runs(att_hit=0.4, dim_hit=0.9, diag_hit=0.8))["align.one-to-one"]
    assert v.status == "refuted"
    # IBM Model 1 is a reference, not a part: a much better aligner does not change the verdict
    assert verdicts(fake_runs(att_hit=0.95, dim_hit=0.3, ibm_hit=1.0))["align.one-to-one"].status == "supported"
    assert not any("IBM" in k for k in v.parts)
    # two models, wide spread: nothing decided
    v = verdicts(fake_runs(models=2, att_hit=0.55, dim_hit=0.5, diag_hit=0.65, noise=0.15))["align.one-to-one"]
    assert v.status == "inconclusive"


def test_one_to_one_counts_a_bright_many_to_one_row_as_a_miss():
    """The claim: one bright cell marks a word aligned to ONE source word; a bright many-to-one row is wrong."""
    runs = fake_runs(dim={"many-to-one": 0.0})
    s = runs[0]["per_seed"][0]
    prec = precision_curve(s, (0.9,))[0]
    bright = [m >= 0.9 for m in s["row_max"]]
    good = [b and h and t != "many-to-one" for b, h, t in zip(bright, s["hit"], s["type"])]
    assert prec == pytest.approx(sum(good) / sum(bright))
    assert sum(b and t == "many-to-one" for b, t in zip(bright, s["type"])) == 40


def test_spread_every_status():
    part = next(iter(verdicts(fake_runs())["align.spread"].parts))
    # spread rows are almost all many-to-one words: lift about 3.4 of a possible 4
    v = verdicts(fake_runs(dim={"many-to-one": 0.8, "one-to-one": 0.05, "reordered": 0.05,
                                "one-to-many": 0.05}))["align.spread"]
    assert v.status == "supported" and v.parts[part] == "supported"
    # what the trained model shows: many-to-one rows put their mass on one cell, the spread rows are other words
    v = verdicts(fake_runs(dim={"many-to-one": 0.05}))["align.spread"]
    assert v.status == "refuted"
    # spread rows twice the base rate of many-to-one words, give or take the noise: undecided
    v = verdicts(fake_runs(dim={"many-to-one": 0.3, "one-to-one": 0.1, "reordered": 0.1,
                                "one-to-many": 0.1}))["align.spread"]
    assert v.status == "inconclusive"


def test_spread_judges_the_claims_direction_not_the_converse():
    """The converse (many-to-one rows put mass on both gold words) is reported, never judged: the verdict moves
    only with which words the spread rows belong to."""
    spread = {"many-to-one": 0.8, "one-to-one": 0.05, "reordered": 0.05, "one-to-many": 0.05}
    a = verdicts(fake_runs(dim=spread, gold_mass=0.3, lesser=0.01))["align.spread"]
    b = verdicts(fake_runs(dim=spread, gold_mass=0.95, lesser=0.4))["align.spread"]
    assert a.status == b.status == "supported"
    assert a.numbers["converse: many_to_one_lesser_gold_cell"]["mean"] < 0.1


def test_spread_lift_and_multi_auc_on_hand_made_rows():
    s = {"second": [0.3, 0.3, 0.0, 0.0, 0.3, 0.0], "entropy": [1.0] * 6,
         "type": ["many-to-one", "many-to-one", "one-to-one", "one-to-one", "reordered", "one-to-many"]}
    # base rate 2/6; among rows with second >= 0.2: 2 of 3 -> lift 2; nothing reaches 0.4
    lift = spread_lift(s, (0.2, 0.4))
    assert lift[0] == pytest.approx(2.0) and math.isnan(lift[1])
    assert spread_lift(s, (0.2,), "reordered") == pytest.approx([(1 / 3) / (1 / 6)])
    # each many-to-one second (0.3) beats three of the four others and ties one (a tie counts 1/2)
    assert multi_auc(s) == pytest.approx((3 + 0.5 + 3 + 0.5) / 8)
    s2 = {"second": [0.1, 0.2], "type": ["one-to-one", "reordered"]}
    assert math.isnan(multi_auc(s2)) and all(math.isnan(x) for x in spread_lift(s2, (0.1,)))


def test_dim_precision_on_hand_made_rows():
    s = {"row_max": [0.95, 0.4, 0.6, 0.3], "hit": [True, True, False, False],
         "type": ["one-to-one", "reordered", "one-to-one", "many-to-one"]}
    assert dim_precision(s, (0.5, 0.7, 0.2)) == pytest.approx([0.5, 1 / 3, math.nan], nan_ok=True)


def test_why_grey_every_status():
    assert verdicts(fake_runs())["align.why-grey"].status == "supported"
    # rows that do not share a total: two white cells, entropies outside the band
    broken = {"max_row_sum_error": 0.8, "white_rows_with_second_above": 30, "rows_with_two_cells_above_half": 30,
              "rows_outside_entropy_band": 12, "sigmoid_rows_with_two_white_cells": 0}
    v = verdicts(fake_runs(construct=broken))["align.why-grey"]
    assert v.status == "refuted"
    # no constructed white row: the white-row part is undecided, whatever training gave
    v = verdicts(fake_runs(construct={"white_rows": 0}))["align.why-grey"]
    assert v.status == "inconclusive" and list(v.parts.values()).count("inconclusive") == 1
    # and it does not depend on the trained rows: none of them white, still decided from the construction
    v = verdicts(fake_runs(dim={t: 1.0 for t in TYPES}))["align.why-grey"]
    assert v.status == "supported"
    # a violation in one part beside parts that hold
    v = verdicts(fake_runs(construct={"rows_outside_entropy_band": 3}))["align.why-grey"]
    assert v.status == "partial"
    # violations among the trained rows count too
    runs = fake_runs()
    runs[0]["per_seed"][2]["checks"]["rows_with_two_cells_above_half"] = 1
    assert verdicts(runs)["align.why-grey"].parts["no row has two cells above 1/2"] == "refuted"


def test_token_accuracy_counts_non_padding_targets_only():
    logits = torch.zeros(1, 3, 4)
    logits[0, 0, 2] = logits[0, 1, 3] = logits[0, 2, 1] = 1.0  # argmax 2, 3, 1
    y = torch.tensor([[2, 1, 0]])  # right, wrong, padding
    assert float(token_accuracy(logits, y)) == pytest.approx(0.5)


def test_a_tiny_run_keeps_validation_apart_and_reports_the_kept_step():
    from dlclaims.core.registry import RunContext
    from dlclaims.data.bilingual import min_vocab_size

    cfg = AlignConfig(vocab_size=min_vocab_size(), n_train=48, n_val=16, n_test=12, emb=6, hidden=8, steps=6,
                      eval_every=3, batch_size=16, ibm1_iters=2, n_construct=5, n_show=2)
    m = run(cfg, RunContext((0,)))
    assert len(m["per_seed"]) == cfg.models_per_seed
    assert [row[0] for row in m["val_curve"]] == [3, 6]  # evaluated every 3 steps and at the end
    for k, s in enumerate(m["per_seed"]):
        assert s["best_step"] in (3, 6)
        assert s["val_token_accuracy"] == max(row[1 + k] for row in m["val_curve"])
        assert len(s["type"]) == len(s["row_max"]) > 0
        probe = s["one_key_probe"]
        assert set(probe) == {"many-to-one_accuracy", "many-to-one_accuracy_one_hot", "single-source_accuracy",
                              "single-source_accuracy_one_hot"}
        assert all(0.0 <= v <= 1.0 for v in probe.values() if not math.isnan(v))
    short = m["corpus"]["shortcut"]  # on 48 pairs "to" may happen to precede "the" every time: only counted
    assert 0 <= short["determined_by_one_source_word"] <= short["many_to_one_words"]
