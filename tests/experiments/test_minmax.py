"""Q-minmax: the judge against simulations, and the claimed table changed to a wrong one."""

from dataclasses import replace

import pytest

from dlclaims.core.registry import RunContext, load_all
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


def test_evidence_kinds(small):
    cfg, m = small
    ev = {v.claim: v.evidence for v in judge([m], cfg)}
    assert ev == {"minmax.table": "simulated", "minmax.no-convergence": "simulated",
                  "minmax.small-step": "simulated", "minmax.equilibrium": "exact"}


def _hand(*, min_radius=1.0, alt_final=1.0, points=((0.0, 0.0),), eig=(-1.0, 1.0), nash=True):
    cfg = MinMaxConfig(etas=(0.1, 0.5, 1.5))
    sweep = {rule: {f"{e:g}": {"final_radius": alt_final if rule == "alternating" else 10.0,
                               "max_radius_first": 1.0, "max_radius_last": 1.0, "radius_factor": (1 + e * e) ** 0.5}
                    for e in cfg.etas} for rule in ("simultaneous", "alternating", "extragradient", "optimistic")}
    m = {"table": {"q": list(cfg.claimed_q), "p": list(cfg.claimed_p)},
         "long": {"steps": 100, "min_radius": min_radius, "final_radius": min_radius, "period": 6},
         "sweep": sweep,
         "equilibrium": {"stationary_points": [list(p) for p in points], "hessian_eigenvalues": list(eig),
                         "nash_on_grid": nash}}
    return cfg, m


def test_hand_made_measurements_reach_supported_and_refuted_for_every_claim():
    cfg, m = _hand()
    assert statuses(judge([m], cfg)) == {"minmax.table": "supported", "minmax.no-convergence": "supported",
                                         "minmax.small-step": "refuted", "minmax.equilibrium": "supported"}
    m["table"]["p"][3] = 5.0
    assert statuses(judge([m], cfg))["minmax.table"] == "refuted"
    cfg, m = _hand(min_radius=1e-6, alt_final=1e-6)
    s = statuses(judge([m], cfg))
    assert s["minmax.no-convergence"] == "refuted" and s["minmax.small-step"] == "supported"
    cfg, m = _hand(points=((1.0, 1.0),), eig=(1.0, 2.0), nash=False)
    assert statuses(judge([m], cfg))["minmax.equilibrium"] == "refuted"
    cfg, m = _hand(eig=(1.0, 2.0))
    assert statuses(judge([m], cfg))["minmax.equilibrium"] == "partial"
    cfg, m = _hand()
    assert statuses(judge([m], replace(cfg, etas=(1.5,))))["minmax.small-step"] == "inconclusive"  # no eta < 1


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-minmax")  # the session's shared quick-profile store (no unit failed)
    assert set(load_all()["minmax"].claims) <= set(got)
    assert (quick_store("Q-minmax").parent / "figures" / "minmax-orbits.png").stat().st_size > 1000
