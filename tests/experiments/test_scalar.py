"""Q-scalar: a small run, and the judge fed hand-made measurements reaching every status it can give."""

from dataclasses import replace

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext
from dlclaims.experiments.scalar import ScalarConfig, count_flops, judge, run

CFG = ScalarConfig(width=64, depth=2, outputs=(2, 8, 32, 64), repeats=1)


@pytest.fixture(scope="module")
def runs():
    return [run(CFG, RunContext((s,))) for s in (0, 1)]


def statuses(runs, cfg=CFG):
    return {v.claim: v.status for v in judge(runs, cfg)}


def test_measured_run_supports_all_three_with_exact_evidence(runs):
    vs = {v.claim: v for v in judge(runs, CFG)}
    assert {c: v.status for c, v in vs.items()} == {"scalar.error": "supported", "scalar.vjp": "supported",
                                                    "scalar.cost": "supported"}
    assert {v.evidence for v in vs.values()} == {"exact"}
    assert "scalar outputs" in vs["scalar.error"].numbers["message"]
    assert vs["scalar.vjp"].numbers["max_abs_error"] < 1e-10


def test_flop_counts_are_those_of_the_matrix_products(runs):
    c = runs[0]["cost"]
    n, L = CFG.width, CFG.depth
    assert c["flops_forward"] == 2 * n * n * L  # L products (n x n)(n)
    assert c["flops_backward"] == c["flops_forward"]  # W^T g per layer, w.r.t. the input only
    assert c["flops_backward_with_parameters"] == 2 * c["flops_forward"]  # plus g x^T per layer
    for m, rows, jr in zip(CFG.outputs, c["flops_jacobian_rows"], c["flops_jacrev"]):
        assert rows == jr == c["flops_forward"] + m * c["flops_backward"]


def test_count_flops_counts_a_matmul():
    import torch

    a, b = torch.ones(3, 4), torch.ones(4, 5)
    assert count_flops(lambda: a @ b) == 2 * 3 * 4 * 5


def _hand(fwd=100, bwd=100, m=(2, 8, 32), rows=None, jacrev=None, raised=True, scalar_ok=True, err=1e-15):
    rows = rows if rows is not None else [fwd + k * bwd for k in m]
    jacrev = jacrev if jacrev is not None else [fwd + k * bwd for k in m]
    return {"error": {"raised": raised, "message": "grad can be implicitly created only for scalar outputs",
                      "scalar_ok": scalar_ok},
            "vjp": {"max_abs_error": err, "m": 4, "n": 8},
            "cost": {"m": list(m), "flops_forward": fwd, "flops_backward": bwd,
                     "flops_backward_with_parameters": 2 * bwd, "flops_jacobian_rows": rows, "flops_jacrev": jacrev,
                     "backward_s": [[1e-4], [1.1e-4], [1.2e-4]], "jacobian_rows_s": [[2e-4], [8e-4], [3e-3]],
                     "jacrev_s": [[1e-4], [2e-4], [5e-4]]}}


def test_hand_made_supported_and_refuted_for_every_claim():
    cfg = replace(CFG, outputs=(2, 8, 32))
    assert set(statuses([_hand(), _hand()], cfg).values()) == {"supported"}
    assert statuses([_hand(raised=False), _hand()], cfg)["scalar.error"] == "refuted"
    assert statuses([_hand(scalar_ok=False), _hand()], cfg)["scalar.error"] == "refuted"
    assert statuses([_hand(err=1e-3), _hand()], cfg)["scalar.vjp"] == "refuted"


def test_cost_is_refuted_by_a_jacobian_cheaper_than_m_passes_or_an_expensive_backward():
    cfg = replace(CFG, outputs=(2, 8, 32))
    # a vmapped Jacobian whose 32 rows cost as much as 4 backward passes
    cheap_jacrev = _hand(jacrev=[100 + 2 * 100, 100 + 4 * 100, 100 + 4 * 100])
    assert statuses([cheap_jacrev], cfg)["scalar.cost"] == "refuted"
    cheap_rows = _hand(rows=[100 + 2 * 100, 100 + 8 * 100, 100 + 30 * 100])  # 30 < 0.99 * 32
    assert statuses([cheap_rows], cfg)["scalar.cost"] == "refuted"
    assert statuses([_hand(bwd=400, rows=[100 + k * 400 for k in (2, 8, 32)],
                           jacrev=[100 + k * 400 for k in (2, 8, 32)])], cfg)["scalar.cost"] == "refuted"
    v = {v.claim: v for v in judge([cheap_jacrev], cfg)}["scalar.cost"]
    assert [32, "jacrev"] in v.numbers["jacobians_cheaper_than_m_passes"]


def test_output_sizes_beyond_the_width_are_a_config_error():
    with pytest.raises(ConfigError):
        replace(CFG, outputs=(2, 8, 128))
