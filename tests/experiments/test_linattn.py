"""Q-linattn: the recall data, the judge's pieces, bad input, end to end."""

import pytest
import torch

from dlclaims.core.config import apply_overrides
from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import load_all
from dlclaims.data.recall import make_recall
from dlclaims.experiments.linattn import QUICK, _crossover, judge


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


def test_crossover_interpolates_on_log_axes_and_says_when_there_is_none():
    ns = [16, 32, 64, 128]
    soft = [[n * n] for n in ns]  # time n^2 d with d = 32: crosses Bob's n d^2 at n = 32
    bob = [[n * 32] for n in ns]
    n, note = _crossover(ns, soft, bob)
    assert n == pytest.approx(32) and "n = 32" in note
    assert _crossover(ns, bob, soft)[0] is None  # never crosses upward
    n, note = _crossover(ns, [[10 * n * n] for n in ns], bob)  # softmax slower everywhere
    assert n is None and "slower at every n" in note


def _measurements(*, soft_flops=lambda n, d: 4 * n * n * d, bob_flops=lambda n, d: 4 * n * d * d,
                  soft_bytes=lambda n: 4 * n * n + 8 * n, bob_bytes=lambda n: 12 * n, err=(0.8, 0.82, 0.85),
                  soft_acc=((0.95, 0.96, 0.97), (0.95, 0.97, 0.96)), bob_acc=((0.7, 0.6, 0.65), (0.1, 0.12, 0.15)),
                  lin_acc=((0.9, 0.92, 0.91), (0.3, 0.32, 0.35))):
    """A measurement dict in the shape ``run`` produces, from formulas and hand-made accuracies."""
    fn, ns, d = [1, 2, 3, 4, 5, 6], [16, 32, 64, 128], 64
    cost = {"ns": ns, "flop_ns": fn, "flop_ds": fn, "ref_flops_per_s": 1e10}
    for name, fl, by in (("softmax", soft_flops, soft_bytes), ("bob", bob_flops, bob_bytes)):
        cost[name] = {"times": [[fl(n, d) / 1e10 * (1 + 0.01 * k) for k in range(3)] for n in ns],
                      "bytes": [by(n) for n in ns], "bytes_small": [by(n) for n in fn],
                      "flops_n": [fl(n, d) for n in fn], "flops_d": [fl(128, x) for x in fn],
                      "flops_at_ns": [fl(n, d) for n in ns]}

    def cells(acc):  # one learning rate: (S, K=1) validation and test
        return [{"val": [[a] for a in row], "test": [[a] for a in row], "best_step": [[1]] * 3} for row in acc]

    recall = {"pairs": [2, 32], "chance": 1 / 16, "lrs": [0.03], "seeds": [0, 1, 2],
              "softmax": cells(soft_acc), "bob": cells(bob_acc), "linear": cells(lin_acc)}
    return {"d": d, "cost": cost, "error": {"bob_vs_softmax": list(err), "sdpa_vs_ours": [1e-7] * 3},
            "recall": recall}


def _status(m):
    return {v.claim: v.status for v in judge([m], QUICK)}


def test_judge_reaches_supported_from_hand_made_measurements():
    vs = judge([_measurements()], QUICK)
    assert {v.claim: v.status for v in vs} == {"linattn.cost": "supported", "linattn.not-equivalent": "supported",
                                               "linattn.recall": "supported"}
    assert [v.evidence for v in vs] == ["exact", "measured", "measured"]
    assert vs[0].numbers["timing_confirmation"]["softmax"]["confirms"] is True


def test_judge_reaches_refuted_from_hand_made_measurements():
    got = _status(_measurements(
        soft_flops=lambda n, d: 4 * n * d * d, bob_flops=lambda n, d: 4 * n * n * d, soft_bytes=lambda n: 12 * n,
        bob_bytes=lambda n: 4 * n * n, err=(1e-4, 2e-4, 1.5e-4),
        soft_acc=((0.9, 0.92, 0.91), (0.1, 0.12, 0.11)), bob_acc=((0.3, 0.32, 0.31), (0.6, 0.62, 0.65))))
    assert set(got.values()) == {"refuted"}


def test_judge_partial_and_inconclusive_recall():
    part = _status(_measurements(bob_acc=((0.1, 0.12, 0.11), (0.3, 0.35, 0.31))))  # Bob's rises with n
    assert part["linattn.recall"] == "partial"
    tie = _status(_measurements(soft_acc=((0.5, 0.6, 0.7), (0.5, 0.2, 0.3)), bob_acc=((0.5, 0.3, 0.7), (0.4, 0.3, 0.2))))
    assert tie["linattn.recall"] == "inconclusive"


@pytest.mark.parametrize("sets,msg", [({"ns": "0,4,8"}, "n < 1"), ({"recall_pairs": "4,80"}, "recall_keys"),
                                      ({"flop_ns": "1,2"}, "at least 5")])
def test_bad_input_is_a_config_error(sets, msg):
    with pytest.raises(ConfigError, match=msg):
        apply_overrides(QUICK, sets, scope="linattn")


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-linattn")  # the session's shared quick-profile store (no unit failed)
    assert set(load_all()["linattn"].claims) <= set(got)
    assert got["linattn.not-equivalent"].status == "supported"
    assert got["linattn.cost"].status == "supported" and got["linattn.cost"].evidence == "exact"
    assert len(got["linattn.recall"].numbers["linear_test"]) == len(QUICK.recall_pairs)  # the baseline ran
    exact = got["linattn.cost"].numbers["exact_orders"]
    assert exact["softmax"] == {"bytes_in_n": 2, "flops_in_n": 2, "flops_in_d": 1}
    assert exact["bob"] == {"bytes_in_n": 1, "flops_in_n": 1, "flops_in_d": 2}
    for name in ("cost", "crossover", "recall"):
        assert (quick_store("Q-linattn").parent / "figures" / f"linattn-{name}.png").stat().st_size > 1000
