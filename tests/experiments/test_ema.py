"""Q-ema: a small run judged, the judge fed hand-made measurements (every status), bad input, the quick profile."""

import math

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext
from dlclaims.core.types import to_jsonable
from dlclaims.experiments.ema import EmaConfig, judge, run

P_STAT = "stationary gradients: the plain mean's variance at t = {T} is above every EMA's"
P_DRIFT = "drifting gradients: the plain mean's mean-squared error to the true mean gradient is above every EMA's"
P_ID = "the mean second moment is AdaGrad's accumulator / t"
P_DECAY = "the effective step lr / sqrt(v_t) decays like t^-1/2"


@pytest.fixture(scope="module")
def small():
    cfg = EmaConfig(steps_before=150, steps_after=400, noise_steps=200, chains=2000, adagrad_steps=300,
                    adagrad_chains=50)
    return cfg, to_jsonable(run(cfg, RunContext((0, 1, 2))))


def test_verdicts(small):
    cfg, m = small
    v = {v.claim: v for v in judge([m], cfg)}
    assert v["ema.adaptivity"].status == "supported"  # the plain mean recovers far more slowly
    # stationary: the plain mean filters more (sigma^2 / t); drifting: it lags, the EMA tracks
    assert v["ema.noise"].parts == {P_STAT.format(T=200): "refuted", P_DRIFT: "supported"}
    assert v["ema.noise"].status == "partial"
    assert v["ema.adagrad"].parts[P_ID] == "supported"
    assert v["ema.adagrad"].part_evidence[P_ID] == "exact"


def test_variances_follow_theory(small):
    _, m = small
    nz = m["noise"]
    for b, v in nz["var_ema"].items():
        measured = sum(v[-1]) / len(v[-1])
        assert abs(measured / nz["theory_ema"][b][-1] - 1) < 0.2
    assert abs(sum(nz["var_mean"][-1]) / len(nz["var_mean"][-1]) / nz["theory_mean"][-1] - 1) < 0.2
    # drifting: the plain mean's error is bias (it lags the moving mean), not variance
    dr = nz["drift"]
    assert min(dr["bias2"]["mean"]) > 0.9 * max(dr["mse"]["mean"])


def _hand(*, ema_steps=(40, 42, 41), mean_steps=(400, 430, 405), var_plain=(0.002, 0.0021, 0.0019),
          drift_plain=(0.5, 0.52, 0.51), slopes=(0.0, 0.0, 0.0), ident=1e-15):
    """Hand-made measurements with one beta (0.9): EMA variance 0.053, drift MSE 0.06; per-seed slopes of the
    effective step against t are produced exactly by steps = t^slope."""
    t = [10, 20, 40, 80, 160]
    return {
        "adaptivity": {"ema": {"recovery_steps": list(ema_steps)}, "mean": {"recovery_steps": list(mean_steps)}},
        "noise": {"t": [1, 100, 200], "sigma": 1.0, "var_mean": [[1.0] * 3, [0.01] * 3, list(var_plain)],
                  "var_ema": {"0.9": [[1.0] * 3, [0.05, 0.051, 0.052], [0.053, 0.052, 0.054]]},
                  "theory_mean": [1.0, 0.01, 0.005], "theory_ema": {"0.9": [1.0, 0.0526, 0.0526]},
                  "drift": {"mu0": 1.0, "steps": 200, "averaged_over": [101, 200],
                            "mse": {"mean": list(drift_plain), "0.9": [0.06, 0.061, 0.059]},
                            "bias2": {"mean": list(drift_plain), "0.9": [0.002, 0.002, 0.002]}}},
        "adagrad": {"t": t, "effective_step": [[ti ** s for s in slopes] for ti in t],
                    "update": [[ti ** -0.5] * 3 for ti in t], "adagrad_step": [[ti ** -0.5] * 3 for ti in t],
                    "identity_max_rel_error": ident},
    }


def _statuses(m, cfg=None):
    return {v.claim: v.status for v in judge([m], cfg or EmaConfig())}


def test_hand_made_adaptivity_reaches_every_status():
    assert _statuses(_hand())["ema.adaptivity"] == "supported"
    assert _statuses(_hand(ema_steps=(400, 430, 405), mean_steps=(40, 42, 41)))["ema.adaptivity"] == "refuted"
    assert _statuses(_hand(ema_steps=(40, 400, 41), mean_steps=(400, 41, 40)))["ema.adaptivity"] == "inconclusive"


def test_hand_made_noise_reaches_every_status():
    # the plain mean noisier when stationary and worse when drifting: the claim as stated
    assert _statuses(_hand(var_plain=(0.2, 0.21, 0.19)))["ema.noise"] == "supported"
    assert _statuses(_hand())["ema.noise"] == "partial"  # what theory predicts
    assert _statuses(_hand(drift_plain=(0.01, 0.011, 0.012)))["ema.noise"] == "refuted"
    und = _hand(var_plain=(0.2, 0.001, 0.05), drift_plain=(0.5, 0.01, 0.06))
    assert _statuses(und)["ema.noise"] == "inconclusive"


def test_hand_made_adagrad_reaches_every_status():
    assert _statuses(_hand(slopes=(-0.52, -0.49, -0.5)))["ema.adagrad"] == "supported"
    assert _statuses(_hand(slopes=(0.01, -0.02, 0.0)))["ema.adagrad"] == "partial"
    assert _statuses(_hand(slopes=(0.01, -0.02, 0.0), ident=0.1))["ema.adagrad"] == "refuted"
    # slopes spread around -1/2 too widely for the equivalence test: undecided beside a holding identity
    assert _statuses(_hand(slopes=(-0.9, -0.1, -0.5)))["ema.adagrad"] == "inconclusive"


def test_zero_spread_decides_nothing():
    m = _hand(ema_steps=(40, 40, 40), mean_steps=(40, 40, 40))
    assert _statuses(m)["ema.adaptivity"] == "inconclusive"
    assert math.isnan(judge([m], EmaConfig())[0].numbers["log_ratio_mean_over_ema"]["lo"])


@pytest.mark.parametrize("kw", [{"lr": 0.0}, {"beta1": 1.0}, {"band": 1.5}, {"noise_betas": (0.0,)},
                                {"slope_margin": 0.0}])
def test_bad_config_is_a_config_error(kw):
    with pytest.raises(ConfigError):
        EmaConfig(**kw)


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-ema")  # the session's shared quick-profile store (no unit failed)
    assert set(got) == {"ema.adaptivity", "ema.noise", "ema.adagrad"}
    assert all(v.profile == "quick" and v.rule and v.numbers for v in got.values())
