"""Q-seq: the exact counters (bytes, depth, FLOP orders), the decision rules, bad input, end to end."""

import dataclasses

import pytest
import torch

from dlclaims.core.config import apply_overrides
from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import load_all
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.experiments.seq_cost import (
    QUICK,
    SeqCostConfig,
    affine_increasing,
    graph_depth,
    leading_power,
    order_of,
    saved_bytes,
    time_round_robin,
)
from dlclaims.models.rnn import ElmanRNN


def test_saved_bytes_counts_each_storage_once_and_skips_parameters():
    w = torch.nn.Parameter(torch.randn(8, 8))
    x = torch.randn(5, 8, requires_grad=True)
    # x @ w saves x and w; tanh saves its output; x is counted once although saved twice
    n = saved_bytes(lambda: torch.tanh(x @ w) * x, exclude=[w])
    assert n == (5 * 8 + 5 * 8) * 4
    assert saved_bytes(lambda: x @ w) == (5 * 8 + 8 * 8) * 4


def test_saved_bytes_of_the_rnn_are_linear_in_t():
    rnn = ElmanRNN(4, 6, 2, generator=torch.Generator().manual_seed(0))
    ts = [2, 4, 6, 8]
    b = [saved_bytes(lambda t=t: rnn(torch.randn(1, t, 4))[0].sum(), rnn.parameters()) for t in ts]
    assert affine_increasing(ts, b)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_graph_depth_of_a_chain_and_of_a_diamond(k):
    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(k):
        y = torch.sin(y)
    assert graph_depth(y.sum()) == graph_depth(x.sum()) + k
    # a diamond: the longest branch counts, not the sum of branches
    z = torch.sin(torch.sin(x)) + torch.cos(x)
    assert graph_depth(z) == graph_depth(torch.sin(torch.sin(x))) + 1
    assert graph_depth(torch.zeros(2)) == 0


def test_rnn_depth_grows_with_t():
    rnn = ElmanRNN(3, 3, 1, generator=torch.Generator().manual_seed(0))
    ts = [2, 4, 8]
    d = [graph_depth(rnn(torch.randn(1, t, 3))[0].sum()) for t in ts]
    assert affine_increasing(ts, d)


def test_leading_power_and_affine():
    x = [1, 2, 3, 4, 5, 6]
    assert leading_power(x, [7 * t + 2 for t in x]) == 1
    assert leading_power(x, [t**3 + 900 * t for t in x]) == 3
    assert leading_power(x, [2**t for t in x]) is None  # not a polynomial of degree <= 3
    assert leading_power(x[:3], [1, 2, 3]) is None
    assert affine_increasing([1, 2, 4], [3, 5, 9])
    assert not affine_increasing([1, 2, 4], [1, 4, 16])


@pytest.mark.parametrize("mean,lo,hi,expected", [(1.1, 0.9, 1.3, True), (1.9, 1.7, 2.2, False),
                                                  (1.4, 0.8, 2.1, None), (1.0, -2.0, 4.0, None)])
def test_order_of_decides_between_two_orders(mean, lo, hi, expected):
    assert order_of({"mean": mean, "lo": lo, "hi": hi}, 1, 2) is expected


def test_round_robin_returns_repeats_per_size():
    out = time_round_robin([lambda: None, lambda: sum(range(100))], 3, min_seconds=1e-4)
    assert [len(o) for o in out] == [3, 3] and all(t > 0 for o in out for t in o)


@pytest.mark.parametrize("sets,msg", [({"heads": "5"}, "must divide"), ({"ts": "0,4,8"}, "t < 1"),
                                      ({"decode_ts": "4,8"}, "at least 3"), ({"n_t": "0"}, "t < 1")])
def test_bad_input_is_a_config_error(sets, msg):
    with pytest.raises(ConfigError, match=msg):
        apply_overrides(QUICK, sets, scope="seq_cost")
    with pytest.raises(ConfigError):
        plans_for(["Q-seq"], profile="quick", seeds=1, sets=sets, device="cpu")


def test_full_profile_is_a_valid_config():
    assert dataclasses.replace(SeqCostConfig()) == SeqCostConfig()


@pytest.mark.slow
def test_quick_profile_end_to_end(tmp_path):
    plans = plans_for(["Q-seq"], profile="quick", seeds=2, sets={}, device="cpu")
    with Store.open(tmp_path / "s.sqlite") as store:
        summary = run_plans(plans, store)
        got = {v.claim: v for v in store.latest_verdicts()}
    assert not summary.failed
    assert set(load_all()["seq_cost"].claims) <= set(got)
    # the exact-count claims do not depend on timing noise
    assert got["seq.per-token"].status == "supported"
    assert got["seq.sequential-steps"].status == "supported"
    assert got["seq.time-infer"].parts["Transformer without a cache: same order in t as training"] == "refuted"
    for name in ("time-t", "time-n", "infer", "memory", "depth", "jacobian"):
        assert (tmp_path / "figures" / f"seq_cost-{name}.png").stat().st_size > 1000
