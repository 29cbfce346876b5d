"""Q-minmax: the judge against simulations, and the claimed table changed to a wrong one."""

from dataclasses import replace

import pytest

from dlclaims.core.registry import RunContext, load_all
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.experiments.minmax import MinMaxConfig, judge, run


@pytest.fixture(scope="module")
def small():
    cfg = MinMaxConfig(steps=3000, long_steps=2000, etas=(0.1, 0.5, 1.0, 1.9))
    return cfg, run(cfg, RunContext((0,)))


def statuses(vs):
    return {v.claim: v.status for v in vs}


def test_verdicts_of_the_quick_sweep(small):
    cfg, m = small
    s = statuses(judge([m], cfg))
    assert s == {"minmax.table": "supported", "minmax.no-convergence": "supported",
                 "minmax.small-step": "refuted", "minmax.equilibrium": "supported"}


def test_a_wrong_table_is_refuted(small):
    cfg, m = small
    wrong = replace(cfg, claimed_q=(1, 2, 1, -1, -2, -1, 2))
    assert statuses(judge([m], wrong))["minmax.table"] == "refuted"


def test_small_step_numbers_show_the_cures(small):
    cfg, m = small
    v = {v.claim: v for v in judge([m], cfg)}["minmax.small-step"]
    assert "0.1" in v.numbers["converging_etas"]["extragradient"]
    assert v.numbers["alternating_bounded_orbit_all_eta_lt_2"] is True
    assert v.numbers["simultaneous_factor_max_error_vs_sqrt(1+eta^2)"] < 1e-9


def test_sweep_matches_theory(small):
    _, m = small
    sw = m["sweep"]
    assert sw["simultaneous"]["0.5"]["radius_factor"] == pytest.approx((1 + 0.25) ** 0.5)
    assert sw["extragradient"]["0.5"]["radius_factor"] == pytest.approx((1 - 0.25 + 0.0625) ** 0.5)
    assert sw["simultaneous"]["1.9"]["diverged"]


@pytest.mark.slow
def test_quick_profile_end_to_end(tmp_path):
    plans = plans_for(["Q-minmax"], profile="quick", seeds=2, sets={}, device="cpu")
    with Store.open(tmp_path / "s.sqlite") as store:
        summary = run_plans(plans, store)
        got = {v.claim for v in store.latest_verdicts()}
    assert not summary.failed
    assert set(load_all()["minmax"].claims) <= got
    assert (tmp_path / "figures" / "minmax-orbits.png").stat().st_size > 1000
