"""Q-ema: a small run judged (the robust statuses), bad input, and the quick profile end to end."""

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.core.types import to_jsonable
from dlclaims.experiments.ema import EmaConfig, judge, run


@pytest.fixture(scope="module")
def small():
    cfg = EmaConfig(steps_before=150, steps_after=400, noise_steps=200, chains=4000, adagrad_steps=300,
                    adagrad_chains=50)
    return cfg, to_jsonable(run(cfg, RunContext((0, 1, 2))))


def test_verdicts(small):
    cfg, m = small
    v = {v.claim: v for v in judge([m], cfg)}
    assert v["ema.adaptivity"].status == "supported"  # the plain mean recovers far more slowly
    assert v["ema.noise"].status == "partial"  # the EMA filters, but the plain mean filters more
    assert v["ema.adagrad"].parts["the mean second moment is AdaGrad's accumulator / t"] == "supported"


def test_variances_follow_theory(small):
    _, m = small
    nz = m["noise"]
    for b, v in nz["var_ema"].items():
        measured = sum(v[-1]) / len(v[-1])
        assert abs(measured / nz["theory_ema"][b][-1] - 1) < 0.2
    assert abs(sum(nz["var_mean"][-1]) / len(nz["var_mean"][-1]) / nz["theory_mean"][-1] - 1) < 0.2


@pytest.mark.parametrize("kw", [{"lr": 0.0}, {"beta1": 1.0}, {"band": 1.5}, {"noise_betas": (0.0,)}])
def test_bad_config_is_a_config_error(kw):
    with pytest.raises(ConfigError):
        EmaConfig(**kw)


@pytest.mark.slow
def test_quick_profile_end_to_end(tmp_path):
    plans = plans_for(["Q-ema"], profile="quick", seeds=2, sets={}, device="cpu")
    summary = run_plans(plans, Store.open(tmp_path / "s.sqlite"))
    assert not summary.failed
    assert {v.claim for v in summary.verdicts["ema"]} == {"ema.adaptivity", "ema.noise", "ema.adagrad"}
