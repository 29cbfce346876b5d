"""Q-seq: the exact counters (bytes, depth, FLOP orders), the decision rules, bad input, end to end."""

import dataclasses

import numpy as np
import pytest
import torch

from dlclaims.core.config import apply_overrides
from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import load_all
from dlclaims.core.runner import plans_for
from dlclaims.experiments.seq_cost import (
    QUICK,
    SeqCostConfig,
    _rollout_state_bytes,
    affine_increasing,
    carried_bytes,
    graph_depth,
    judge,
    leading_power,
    local_exponents,
    order_of,
    saved_bytes,
    shows_order,
    time_round_robin,
    timing_check,
)
from dlclaims.models.rnn import ElmanRNN
from dlclaims.models.transformer import CausalDecoder


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


def test_rnn_critical_path_is_t_plus_l_step_major_and_t_times_l_layer_major():
    def depth(layers, t, steps):
        rnn = ElmanRNN(3, 3, layers, generator=torch.Generator().manual_seed(0))
        return graph_depth((rnn.forward_steps if steps else rnn)(torch.zeros(1, t, 3))[0].sum())

    # step-major: one more step or one more layer adds the same constant (no t x l term)
    assert depth(3, 5, True) - depth(3, 4, True) == depth(1, 5, True) - depth(1, 4, True)
    # layer-major: one more step adds a cost that grows with the number of layers
    assert depth(3, 5, False) - depth(3, 4, False) > depth(1, 5, False) - depth(1, 4, False)


def test_carried_state_bytes_are_read_off_the_live_tensors():
    g = torch.Generator().manual_seed(0)
    rnn = ElmanRNN(6, 6, 3, generator=g)
    assert _rollout_state_bytes(rnn, torch.randn(2, 6), [1, 5, 9], "rnn") == [3 * 2 * 6 * 4] * 3
    tf = CausalDecoder(8, 2, 2, generator=g)
    assert _rollout_state_bytes(tf, torch.randn(1, 8), [2, 5], "tf") == [2 * 2 * t * 8 * 4 for t in (2, 5)]
    x = torch.zeros(4, 5)
    assert carried_bytes([x, x[1:], torch.zeros(3)]) == (20 + 3) * 4  # a view shares its storage


def test_local_exponents_and_the_order_they_show():
    assert local_exponents([1, 2, 4], [3, 12, 48]) == pytest.approx([2, 2])
    assert shows_order([1, 2, 4], [3, 12, 48], 2, 1) is True
    assert shows_order([1, 2, 4], [3, 6, 12], 2, 1) is False
    assert shows_order([1, 2, 4, 8], [1, 2, 8, 32], 2, 1) is None  # straddles two regimes


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


@pytest.mark.parametrize("sets,msg", [({"heads": "5"}, "must divide"), ({"mem_ts": "0,4,8"}, "t < 1"),
                                      ({"decode_ts": "4,8"}, "at least 3"), ({"short_t": "0"}, "t < 1")])
def test_bad_input_is_a_config_error(sets, msg):
    with pytest.raises(ConfigError, match=msg):
        apply_overrides(QUICK, sets, scope="seq_cost")
    with pytest.raises(ConfigError):
        plans_for(["Q-seq"], profile="quick", seeds=1, sets=sets, device="cpu")


def test_full_profile_is_a_valid_config():
    assert dataclasses.replace(SeqCostConfig()) == SeqCostConfig()


def test_timing_confirms_only_at_compute_bound_sizes():
    xs, flops = [1, 2, 4], [1e9, 4e9, 16e9]
    good = {"label": "x", "x": xs, "flops": flops, "ref_flops_per_s": 1e10,
            "times": [[f / 1e10 * (1 + 0.01 * k) for k in range(3)] for f in flops]}
    assert timing_check(good, 0.5)["confirms"] is True  # time tracks the count, at full rate
    flat = dict(good, times=[[1.0 + 0.01 * k * i for k in range(3)] for i in range(3)])
    chk = timing_check(flat, 0.5)
    assert chk["compute_bound"] == [False, False, True] and chk["confirms"] is None  # overhead-bound: no say
    wrong = dict(good, flops=[1e9, 2e9, 4e9], times=[[f / 1e10 * 2 ** i * (1 + 0.01 * k) for k in range(3)]
                                                    for i, f in enumerate([1e9, 2e9, 4e9])])
    wrong["ref_flops_per_s"] = 1e9
    assert timing_check(wrong, 0.5)["confirms"] is False  # a timed slope 2 against a count of order 1


# --------------------------------------------------------------------------- the judge on hand-made measurements


def _measurements(cfg=QUICK, *, rnn_f=lambda t, n, l: t * n * n * l, tf_f=lambda t, n, l: l * (12 * t * n * n + 2 * t * t * n),
                  gen_orders=(1, 2, 3), rnn_b=lambda t, n, l: 20 * t * n * l, fused_b=lambda t, n, l: 30 * t * n * l,
                  unf_b=lambda t, n, l: l * (30 * t * n + 34 * t * t), state_b=lambda t, n, l: 4 * l * n,
                  kv_b=lambda t, n, l: 8 * t * l * n, rnn_d=lambda t, l: 1 + 4 * t + 4 * l,
                  tf_d=lambda t, l: 20 * l + 3, dec_d=lambda t: 40 * t, offdiag=0.0):
    """A measurement dict in the shape ``run`` produces, from formulas."""
    L, n = cfg.layers, cfg.width
    counts = {
        "rnn_t": {"x": [4, 8, 16], "flops": [rnn_f(t, n, L) for t in (4, 8, 16)]},
        "rnn_n": {"x": [64, 128, 256], "flops": [rnn_f(4, k, L) for k in (64, 128, 256)]},
        "rnn_l": {"x": [1, 2, 4], "flops": [rnn_f(4, n, k) for k in (1, 2, 4)]},
        "tf_long_t": {"x": [768, 1536, 3072], "n": 8, "flops": [tf_f(t, 8, L) for t in (768, 1536, 3072)]},
        "tf_long_n": {"x": [4, 8, 16], "t": 2048, "flops": [tf_f(2048, k, L) for k in (4, 8, 16)]},
        "tf_short_t": {"x": [12, 24, 48], "n": 512, "flops": [tf_f(t, 512, L) for t in (12, 24, 48)]},
        "tf_short_n": {"x": [256, 512, 1024], "t": 8, "flops": [tf_f(8, k, L) for k in (256, 512, 1024)]},
        "tf_l": {"x": [1, 2, 4], "flops": [tf_f(4, n, k) for k in (1, 2, 4)]},
    }
    fx = [1, 2, 3, 4, 5, 6]
    infer = {"x": [8, 16, 32], "flop_x": fx, "rnn_train_flops": [7 * t for t in fx],
             "tf_train_flops": [5 * t * t + t for t in fx]}
    for k, p in zip(("rnn", "tf_cache", "tf_nocache"), gen_orders):
        infer[k] = {"flops": [t**p + 3 * t for t in fx]}
    mn, ts, ns, ls = 32, [4, 8, 16, 32], [32, 64, 128], [1, 2, 3, 4]
    fit = [unf_b(t, mn, L) for t in range(1, 7)]
    c = np.polyfit(range(1, 7), fit, 2)
    t_star = c[1] / c[0] if c[0] > 1e-9 * abs(c[1]) else float("inf")
    short = [t for t in (1, 2, 4, 8) if t <= t_star / cfg.regime][-3:] if np.isfinite(t_star) else ts[:3]
    long_ = [int(16 * t_star) * k for k in (1, 2)] if np.isfinite(t_star) and t_star > 1 else [256, 512]
    mem = {"ts": ts, "ns": ns, "ls": ls, "n": mn, "t_star": t_star, "short_ts": short, "long_ts": long_,
           "unfused_fit": {"x": list(range(1, 7)), "bytes": fit}, "unfused_meta_equals_real": True,
           "rnn_t": [rnn_b(t, mn, L) for t in ts], "rnn_n": [rnn_b(4, k, L) for k in ns],
           "rnn_l": [rnn_b(4, mn, k) for k in ls], "fused_all_ts": ts + long_,
           "fused_t": [fused_b(t, mn, L) for t in ts + long_], "fused_n": [fused_b(4, k, L) for k in ns],
           "fused_l": [fused_b(4, mn, k) for k in ls], "unfused_short_t": [unf_b(t, mn, L) for t in short],
           "unfused_long_t": [unf_b(t, mn, L) for t in long_], "unfused_short_n": [unf_b(2, k, L) for k in ns],
           "unfused_short_l": [unf_b(2, mn, k) for k in ls], "rnn_state_t": [state_b(t, mn, L) for t in ts],
           "rnn_state_n": [state_b(4, k, L) for k in ns], "rnn_state_l": [state_b(4, mn, k) for k in ls],
           "kv_t": [kv_b(t, mn, L) for t in ts], "kv_n": [kv_b(4, k, L) for k in ns], "kv_l": [kv_b(4, mn, k) for k in ls]}
    dts = [8, 16, 32]
    depth = {"ts": dts, "ls": ls, "layers": L, "rnn_steps": [[rnn_d(t, k) for t in dts] for k in ls],
             "rnn_layers": [[3 + 3 * t * k for t in dts] for k in ls], "tf_t": [tf_d(t, L) for t in dts],
             "tf_l": [tf_d(8, k) for k in ls], "decode_ts": [16, 32, 64], "rnn_decode": [5 * t for t in (16, 32, 64)],
             "tf_decode": [dec_d(t) for t in (16, 32, 64)], "tf_decode_calls": [16, 32, 64]}
    jac = {k: {"max_abs_offdiag": offdiag if k != "attention" else 0.3, "min_diag_norm": 1.0, "block_norms": []}
           for k in ("ffn", "layernorm", "attention")}
    return {"counts": counts, "crossover_t": {}, "timed": {}, "infer": infer, "memory": mem, "depth": depth,
            "jacobian": jac}


def _status(m):
    return {v.claim: v.status for v in judge([m], QUICK)}


def test_judge_on_theory_shaped_counts_gives_the_expected_verdicts():
    got = _status(_measurements())
    assert got == {"seq.time-train": "partial", "seq.time-infer": "partial", "seq.memory": "partial",
                   "seq.sequential-steps": "supported", "seq.decode-sequential": "supported",
                   "seq.per-token": "supported"}
    assert all(v.evidence == "exact" for v in judge([_measurements()], QUICK))


def test_judge_reaches_supported_where_every_part_holds():
    got = _status(_measurements(tf_f=lambda t, n, l: l * t * t * n, gen_orders=(1, 2, 2),
                                unf_b=lambda t, n, l: 40 * t * n * l))
    assert got["seq.time-train"] == got["seq.time-infer"] == got["seq.memory"] == "supported"


def test_judge_reaches_refuted_where_no_part_holds():
    sq = lambda t, n, l: t * t * n * l
    got = _status(_measurements(
        rnn_f=lambda t, n, l: t * t * n * l * l, tf_f=lambda t, n, l: t * n * n * l * l, gen_orders=(3, 3, 3),
        rnn_b=sq, fused_b=sq, unf_b=lambda t, n, l: 34 * t * t * l, state_b=lambda t, n, l: 4 * t * l * n,
        kv_b=lambda t, n, l: 8 * t * t * l * n, rnn_d=lambda t, l: 50 + l, tf_d=lambda t, l: 3 * t,
        dec_d=lambda t: 7, offdiag=1e-3))
    assert set(got.values()) == {"refuted"}


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-seq")  # the session's shared quick-profile store (no unit failed)
    assert set(load_all()["seq_cost"].claims) <= set(got)
    # exact counts: the verdicts do not depend on timing noise
    assert got["seq.per-token"].status == "supported"
    assert got["seq.sequential-steps"].status == "supported"
    assert got["seq.time-train"].status == got["seq.memory"].status == "partial"
    assert got["seq.time-infer"].parts["Transformer without a cache: same order in t as training"] == "refuted"
    assert all(v.evidence == "exact" for v in got.values() if v.claim.startswith("seq."))
    for name in ("time-t", "time-n", "infer", "memory", "depth", "jacobian"):
        assert (quick_store("Q-seq").parent / "figures" / f"seq_cost-{name}.png").stat().st_size > 1000
