"""Q-align: AER and row statistics against hand-made maps, the stacked trainer against single models,
bad corpus settings, and the quick profile end to end."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dlclaims.core.errors import ConfigError
from dlclaims.core.multiseed import StackedModels
from dlclaims.core.registry import load_all
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.data.bilingual import Pair
from dlclaims.experiments.align import (
    AlignConfig,
    PackedSeq2Seq,
    _fano_upper,
    aer,
    diagonal_links,
    masked_nll,
    row_stats,
)
from dlclaims.models.seq2seq import Seq2Seq


def test_aer_oracle():
    gold = {(0, 0), (1, 2), (2, 1)}
    assert aer(gold, gold) == 0.0
    assert aer({(0, 1), (1, 0), (2, 2)}, gold) == 1.0
    assert aer({(0, 0), (1, 1), (2, 1)}, gold) == pytest.approx(1 - 2 * 2 / 6)


def test_diagonal_links():
    assert diagonal_links(3, 5) == {(0, 0), (1, 2), (2, 4)}
    assert diagonal_links(1, 4) == {(0, 0)}


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
    w[1, 0] = torch.tensor([0.25, 0.75, 0.0])
    w[1, 1] = torch.tensor([0.5, 0.5, 0.0])  # EOS
    st = row_stats(w, pairs)
    assert st["row_max"] == pytest.approx([1.0, 0.5, 0.75])
    assert st["second"] == pytest.approx([0.0, 0.3, 0.25])
    assert st["hit"] == [True, True, True]
    assert st["type"] == ["one-to-one", "many-to-one", "one-to-one"]
    h = -(0.2 * math.log(0.2) + 0.5 * math.log(0.5) + 0.3 * math.log(0.3))
    assert st["entropy"] == pytest.approx([0.0, h, -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))], abs=1e-6)
    assert st["max_row_sum_error"] < 1e-6 and st["max_pad_weight"] == 0.0
    w[1, 1, 2] = 0.1  # weight on a padded source position
    assert row_stats(w, pairs)["max_pad_weight"] == pytest.approx(0.1)


def test_entropy_band_holds_for_random_distributions():
    p = torch.softmax(3 * torch.randn(500, 6, dtype=torch.float64), -1).numpy()
    m = p.max(-1)
    h = -(p * torch.log(torch.from_numpy(p)).numpy()).sum(-1)
    assert (h >= -torch.log(torch.from_numpy(m)).numpy() - 1e-12).all()
    assert (h <= _fano_upper(m, torch.full((500,), 6).numpy()) + 1e-12).all()


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
                                {"bright": 0.3}, {"n_test": 0}])
def test_bad_configs(kw):
    with pytest.raises(ConfigError):
        AlignConfig(**kw)


def test_bad_corpus_via_set_is_a_config_error():
    with pytest.raises(ConfigError, match="vocab_size"):
        plans_for(["Q-align"], profile="quick", seeds=1, sets={"vocab_size": "12"}, device="cpu")


@pytest.mark.slow
def test_quick_profile_end_to_end(tmp_path):
    plans = plans_for(["Q-align"], profile="quick", seeds=2, sets={}, device="cpu")
    with Store.open(tmp_path / "s.sqlite") as store:
        summary = run_plans(plans, store)
        got = {v.claim: v for v in store.latest_verdicts()}
    assert not summary.failed
    assert set(load_all()["align"].claims) <= set(got)
    for name in ("heatmaps", "maxent", "types"):
        assert (tmp_path / "figures" / f"align-{name}.png").stat().st_size > 1000


def fake_runs(max_by_type: dict[str, float], *, seeds: int = 3, hit: bool = True, n: int = 8) -> list[dict]:
    """Measurements as run() writes them, with rows whose max (and entropy) depend only on the gold type."""
    per_seed = []
    for k in range(seeds):
        row_max, second, ent, types = [], [], [], []
        for t, mx in max_by_type.items():
            for i in range(n):
                m = min(mx + 0.01 * ((i + k) % 3 - 1), 1.0)
                rest = 1 - m  # spread evenly over 4 other cells (n_src = 5)
                row_max.append(m)
                second.append(rest / 4)
                ent.append(-(m * math.log(m)) - (rest * math.log(rest / 4) if rest > 0 else 0.0))
                types.append(t)
        per_seed.append({"row_max": row_max, "second": second, "entropy": ent, "type": types,
                         "hit": [hit] * len(types), "n_src": [5] * len(types), "argmax": [0] * len(types),
                         "max_row_sum_error": 1e-7, "max_pad_weight": 0.0, "min_weight": 0.0,
                         "aer": 0.05 + 0.01 * k, "token_accuracy": 0.99, "final_train_loss": 0.01})
    counts = {t: n for t in max_by_type}
    return [{"seeds": list(range(seeds)), "per_seed": per_seed, "diagonal_aer": 0.4,
             "corpus": {"type_counts_test": counts}, "shown": [], "loss_curve": []}]


def test_judge_reads_sharp_and_spread_types():
    from dlclaims.experiments.align import judge

    cfg = AlignConfig()
    runs = fake_runs({"one-to-one": 0.95, "reordered": 0.5, "one-to-many": 0.94, "many-to-one": 0.45})
    v = {x.claim: x for x in judge(runs, cfg)}
    assert v["align.cells"].status == "supported"
    assert v["align.spread"].status == "partial"
    parts = v["align.spread"].parts
    assert parts["reordered words get spread rows"] == "supported"
    assert parts["one-to-many words get spread rows"] == "refuted"
    assert v["align.why-grey"].status == "supported"
    # bright rows (one-to-one, one-to-many) point at their single gold word
    assert v["align.one-to-one"].status == "supported"
    assert judge(runs, cfg)[0].to_dict() == v["align.cells"].to_dict()  # pure


def test_judge_refutes_bright_rows_that_miss_the_gold_word():
    from dlclaims.experiments.align import judge

    runs = fake_runs({"one-to-one": 0.95, "reordered": 0.95}, hit=False)
    v = {x.claim: x for x in judge(runs, AlignConfig())}
    assert v["align.one-to-one"].status == "refuted"
