"""Q-lookup: attention as a key-value memory, against the analytic weights."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext, load_all
from dlclaims.experiments.lookup import (
    LookupConfig,
    attend,
    average_weight,
    copy_bound,
    judge,
    orthonormal_keys,
    run,
)

TINY = LookupConfig(d=32, ms=(2, 4, 32), queries=8, noise_m=8, noise_trials=64)


@pytest.fixture(scope="module")
def runs():
    return [run(TINY, RunContext((s,))) for s in (0, 1, 2)]


def test_keys_are_orthonormal():
    K = orthonormal_keys((3,), 5, 9, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(K @ K.transpose(-2, -1), torch.eye(5, dtype=torch.float64).expand(3, 5, 5))


def test_attend_uses_raw_dot_scores():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(*s, generator=g, dtype=torch.float64) for s in ((2, 3, 6), (2, 4, 6), (2, 4, 5)))
    o, w = attend(q, k, v)
    torch.testing.assert_close(w, (q @ k.transpose(-2, -1)).softmax(-1))
    torch.testing.assert_close(o, w @ v)


@pytest.mark.parametrize("m", [2, 5, 40])
def test_analytic_weights_are_softmax_of_the_scores(m):
    margin, beta = 1.7, 2.3
    s = torch.zeros(m, dtype=torch.float64)
    s[0] = margin
    assert float(s.softmax(0)[0]) == pytest.approx(copy_bound(margin, m), rel=1e-12)
    s[:2] = beta
    assert float(s.softmax(0)[0]) == pytest.approx(average_weight(beta, m), rel=1e-12)


def test_bound_and_exact_weight_limits():
    assert copy_bound(0.0, 4) == pytest.approx(0.25)
    assert average_weight(0.0, 4) == pytest.approx(0.25)
    assert average_weight(50.0, 4) == pytest.approx(0.5)
    assert np.all(np.diff(copy_bound(np.linspace(0, 10, 20), 8)) > 0)


def test_measured_copy_weights_respect_the_bound(runs):
    for r in runs:
        for m in TINY.ms:
            c = r["copy"][str(m)]
            assert np.all(np.asarray(c["weight_random_min"]) >= np.asarray(c["bound"]) - 1e-12)
            assert c["error_guarantee_violation"] <= 1e-12


def test_true_theorems_are_supported_and_judge_is_pure(runs):
    vs = judge(runs, TINY)
    assert [v.claim for v in vs] == ["lookup.copy", "lookup.average", "lookup.noisy-keys"]
    status = {v.claim: v.status for v in vs}
    assert status["lookup.copy"] == "supported" and status["lookup.average"] == "supported"
    assert [v.to_dict() for v in judge(runs, TINY)] == [v.to_dict() for v in vs]


def test_evidence_kinds(runs):
    kinds = {v.claim: v.evidence for v in judge(runs, TINY)}
    assert kinds == {"lookup.copy": "exact", "lookup.average": "exact", "lookup.noisy-keys": "measured"}


def _edit(runs, fn):
    """Hand-made measurements: a deep copy of ``runs`` with ``fn(run)`` applied to each."""
    out = copy.deepcopy(runs)
    for r in out:
        fn(r)
    return out


def test_copy_judge_refutes_weights_below_the_bound_and_errors_past_the_margin(runs):
    def broken(r):
        for c in r["copy"].values():
            c["weight_random_min"] = [b - 0.1 for b in c["bound"]]
            c["weight_equal_gaps"] = [b - 0.1 for b in c["bound"]]
            c["error_random_max"] = [0.5 for _ in c["bound"]]

    v = judge(_edit(runs, broken), TINY)[0]
    assert v.claim == "lookup.copy" and v.status == "refuted" and set(v.parts.values()) == {"refuted"}
    half = _edit(runs, lambda r: [c.update(error_random_max=[0.5 for _ in c["bound"]]) for c in r["copy"].values()])
    assert judge(half, TINY)[0].status == "partial"


def test_average_judge_refutes_wrong_weights_and_errors_that_do_not_fall(runs):
    def broken(r):
        for a in r["average"].values():
            a["weight_a"] = [0.1 for _ in a["weight_a"]]
            a["error"] = [0.01 * k + 0.5 for k in range(len(a["error"]))]

    v = judge(_edit(runs, broken), TINY)[1]
    assert v.claim == "lookup.average" and v.status == "refuted"


def test_noisy_judge_reaches_refuted_and_inconclusive(runs):
    def no_drift(r):
        for s in r["noisy"].values():
            s["single"] = [0.001 * (1 + 0.1 * r["seed"]) for _ in s["single"]]
            s["two_heads_split"] = [0.5 + 0.01 * r["seed"] for _ in s["two_heads_split"]]

    assert judge(_edit(runs, no_drift), TINY)[2].status == "refuted"
    near = _edit(runs, lambda r: [s.update(single=[TINY.drift_tol + 0.01 * (r["seed"] - 1)] * len(s["single"]),
                                           two_heads_split=[TINY.drift_tol + 0.01 * (r["seed"] - 1)] *
                                           len(s["two_heads_split"])) for s in r["noisy"].values()])
    assert judge(near, TINY)[2].status == "inconclusive"  # intervals straddle drift_tol


def test_noise_makes_one_head_drift_but_not_two(runs):
    last = {s: np.mean([r["noisy"][s]["single"][-1] for r in runs]) for s in ("0", "0.3")}
    split = np.mean([r["noisy"]["0.3"]["two_heads_split"][-1] for r in runs])
    assert last["0"] < TINY.drift_tol < last["0.3"]
    assert split < TINY.drift_tol


def test_a_grid_too_short_for_the_average_is_inconclusive():
    cfg = LookupConfig(d=64, ms=(2, 64), betas=(0.0, 1.0, 2.0), queries=4, noise_m=4, noise_trials=8)
    v = {v.claim: v for v in judge([run(cfg, RunContext((0,)))], cfg)}["lookup.average"]
    assert v.parts[next(p for p in v.parts if "largest beta" in p)] == "inconclusive"
    assert v.numbers["beta_needed_analytic"]["64"] == pytest.approx(math.log(62 * 0.99 / 0.02))


@pytest.mark.parametrize("kw", [{"d": 4, "ms": (2, 8)}, {"ms": (1, 4)}, {"noise_sigmas": (0.1,)},
                                {"tol": 0.0}, {"noise_m": 2}])
def test_bad_configs(kw):
    with pytest.raises(ConfigError):
        LookupConfig(**kw)


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-lookup")  # the session's shared quick-profile store (no unit failed)
    assert set(load_all()["lookup"].claims) <= set(got)
    figures = quick_store("Q-lookup").parent / "figures"
    for name in ("copy", "average", "noisy"):
        assert (figures / f"lookup-{name}.png").stat().st_size > 1000
