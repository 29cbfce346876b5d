"""Q-linattn: the recall data, the judge's pieces, bad input, end to end."""

import pytest
import torch

from dlclaims.core.config import apply_overrides
from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import load_all
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.data.recall import make_recall
from dlclaims.experiments.linattn import QUICK, _crossover


@pytest.mark.parametrize("pairs", [1, 5, 12])
def test_recall_examples_have_distinct_keys_and_the_asked_value(pairs):
    g = torch.Generator().manual_seed(pairs)
    x, y = make_recall(50, pairs, n_keys=12, n_values=4, generator=g)
    assert x.shape == (50, pairs + 1, 2) and y.shape == (50,)
    keys, values, query = x[:, :-1, 0], x[:, :-1, 1], x[:, -1]
    assert all(len(set(row.tolist())) == pairs for row in keys)
    assert torch.all(query[:, 1] == 4)  # the padding value id
    hit = keys == query[:, :1]  # (N, P): exactly one pair holds the query key
    assert torch.all(hit.sum(1) == 1)
    assert torch.equal(values[hit], y)


def test_recall_is_deterministic_for_a_generator_and_checks_sizes():
    a = make_recall(8, 3, n_keys=5, n_values=3, generator=torch.Generator().manual_seed(0))
    b = make_recall(8, 3, n_keys=5, n_values=3, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    with pytest.raises(ValueError):
        make_recall(8, 6, n_keys=5, n_values=3, generator=torch.Generator())


def test_crossover_interpolates_on_log_axes():
    ns = [16, 32, 64, 128]
    soft = [[n * n] for n in ns]  # time n^2 d with d = 32: crosses Bob's n d^2 at n = 32
    bob = [[n * 32] for n in ns]
    assert _crossover(ns, soft, bob) == pytest.approx(32)
    assert _crossover(ns, bob, soft) is None  # never crosses upward


@pytest.mark.parametrize("sets,msg", [({"ns": "0,4,8"}, "n < 1"), ({"recall_pairs": "4,80"}, "recall_keys"),
                                      ({"flop_ns": "1,2"}, "at least 5")])
def test_bad_input_is_a_config_error(sets, msg):
    with pytest.raises(ConfigError, match=msg):
        apply_overrides(QUICK, sets, scope="linattn")


@pytest.mark.slow
def test_quick_profile_end_to_end(tmp_path):
    plans = plans_for(["Q-linattn"], profile="quick", seeds=2, sets={}, device="cpu")
    with Store.open(tmp_path / "s.sqlite") as store:
        summary = run_plans(plans, store)
        got = {v.claim: v for v in store.latest_verdicts()}
    assert not summary.failed
    assert set(load_all()["linattn"].claims) <= set(got)
    assert got["linattn.not-equivalent"].status == "supported"
    exact = got["linattn.cost"].numbers["exact_orders"]
    assert exact["softmax"] == {"bytes_in_n": 2, "flops_in_n": 2, "flops_in_d": 1}
    assert exact["bob"] == {"bytes_in_n": 1, "flops_in_n": 1, "flops_in_d": 2}
    for name in ("cost", "crossover", "recall"):
        assert (tmp_path / "figures" / f"linattn-{name}.png").stat().st_size > 1000
