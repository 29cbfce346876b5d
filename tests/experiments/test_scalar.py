from dataclasses import replace

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext
from dlclaims.experiments.scalar import ScalarConfig, judge, run

CFG = ScalarConfig(width=64, depth=2, outputs=(2, 8, 32, 64), repeats=3)


@pytest.fixture(scope="module")
def runs():
    return [run(CFG, RunContext((s,))) for s in (0, 1)]


def test_error_and_vjp_verdicts(runs):
    vs = {v.claim: v for v in judge(runs, CFG)}
    assert vs["scalar.error"].status == "supported"
    assert "scalar outputs" in vs["scalar.error"].numbers["message"]
    assert vs["scalar.vjp"].status == "supported"
    assert vs["scalar.vjp"].numbers["max_abs_error"] < 1e-10


def test_cost_counts_one_backward_pass_per_jacobian_row(runs):
    assert runs[0]["cost"]["backward_passes_for_jacobian"] == list(CFG.outputs)
    assert runs[0]["cost"]["backward_passes_for_scalar"] == [1] * len(CFG.outputs)
    vs = {v.claim: v for v in judge(runs, CFG)}
    assert vs["scalar.cost"].numbers["slope_jacobian_rows"]["slope"] > vs["scalar.cost"].numbers["slope_backward"]["slope"]
    assert vs["scalar.cost"].status in ("supported", "inconclusive")


def test_cost_is_refuted_if_the_jacobian_took_one_pass(runs):
    cheap = [dict(r, cost=dict(r["cost"], backward_passes_for_jacobian=[1] * len(CFG.outputs))) for r in runs]
    assert {v.claim: v.status for v in judge(cheap, CFG)}["scalar.cost"] == "refuted"


def test_cost_is_inconclusive_when_timings_contradict_the_counts(runs):
    swapped = [dict(r, cost=dict(r["cost"], backward_s=r["cost"]["jacobian_rows_s"],
                                 jacobian_rows_s=r["cost"]["backward_s"])) for r in runs]
    assert {v.claim: v.status for v in judge(swapped, CFG)}["scalar.cost"] == "inconclusive"


def test_a_broken_vjp_would_be_refuted(runs):
    broken = [dict(r, vjp=dict(r["vjp"], max_abs_error=1e-3)) for r in runs]
    assert {v.claim: v.status for v in judge(broken, CFG)}["scalar.vjp"] == "refuted"


def test_output_sizes_beyond_the_width_are_a_config_error():
    with pytest.raises(ConfigError):
        replace(CFG, outputs=(2, 8, 128))
