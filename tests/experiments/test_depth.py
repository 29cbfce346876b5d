"""Q-depth: a tiny run through the judge, the judge fed hand-made measurements (every status), bad input,
and the quick profile end to end."""

import copy
import math

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext
from dlclaims.core.types import to_jsonable
from dlclaims.experiments.depth import DepthConfig, judge, log_ratio_bounds, run

CFG = DepthConfig(widths=(2, 4, 8), steps=20, n_train=32, ks=(1, 2, 3), k_train=2, deep_width=3, n_grid=256,
                  lrs=(1e-2,), deep_widths=(2,))


@pytest.fixture(scope="module")
def tiny():
    return CFG, to_jsonable(run(CFG, RunContext((0, 1))))


def test_exact_nets_and_the_piece_bound_hold_whatever_training_did(tiny):
    cfg, m = tiny
    v = {v.claim: v for v in judge([m], cfg)}
    assert set(v) == {"depth.uat", "depth.efficiency", "depth.trainability"}
    parts = v["depth.efficiency"].parts
    first, second = list(parts.values())[:2]
    assert first == "supported" and second == "supported"
    assert list(v["depth.efficiency"].part_evidence.values()) == ["exact", "exact"]
    assert all(e["deep_pieces"] == 2 ** e["k"] for e in m["exact"])
    assert all(p["pieces"] <= p["width"] + 1 for p in m["pieces_trained_shallow"])
    # 20 steps fit nothing: trainability must not be judged from two failed fits
    assert v["depth.trainability"].status == "inconclusive"
    assert "constant predictor" in v["depth.trainability"].numbers["reason"]


def test_judge_is_pure(tiny):
    cfg, m = tiny
    assert [x.to_dict() for x in judge([m], cfg)] == [x.to_dict() for x in judge([m], cfg)]


def _sel(rmse):
    return {"config": ["x", 0.01], "test_rmse": list(rmse), "val_rmse": list(rmse), "val_rmse_by_config": {},
            "pieces": [3] * len(rmse)}


def _hand(*, trained=(0.01, 0.012, 0.011), constructive=(0.3, 0.1, 0.01), shallow=None, deep=None,
          deep8=(0.02, 0.025, 0.022), shallow56=(0.05, 0.06, 0.055)):
    """k = 3; one hidden layer widths 8, 32, 56; deep widths 2, 8 (6 and 24 units)."""
    shallow = shallow or {"8": (0.2, 0.21, 0.22), "32": (0.03, 0.2, 0.04), "56": shallow56}
    deep = deep or {"2": (0.04, 0.045, 0.03), "8": deep8}
    return {
        "seeds": [0, 1, 2],
        "uat": {"widths": [8, 16, 32], "rmse": [[0.2, 0.21, 0.19], [0.05, 0.06, 0.055], list(trained)],
                "constructive_rmse": list(constructive), "target_std": 0.75},
        "exact": [{"k": k, "deep_units": 2 * k, "shallow_units": 2**k, "deep_max_error": 0.0,
                   "shallow_max_error": 0.0, "deep_pieces": 2**k, "shallow_pieces": 2**k} for k in (1, 2, 3)],
        "trained_sawtooth": {"k": 3, "widths": [8, 32, 56], "shallow": {w: _sel(v) for w, v in shallow.items()},
                             "deep_widths": [2, 8], "deep": {w: _sel(v) for w, v in deep.items()},
                             "constant_rmse": 0.289},
        "pieces_trained_shallow": [{"width": 8, "seed": 0, "pieces": 9}],
        "trainability": {"k": 3, "params": 169, "shallow_params": 169, "deep_arch": [8, 8, 8], "shallow_width": 56},
    }


HCFG = DepthConfig(uat_target=0.02, match_rmse=0.05)


def _status(m, claim):
    return {v.claim: v for v in judge([m], HCFG)}[claim]


def test_uat_from_the_constructive_net_or_the_trained_one_never_refuted_by_training():
    v = _status(_hand(trained=(0.5, 0.6, 0.4)), "depth.uat")  # training failed; the construction reaches it
    assert v.status == "supported" and v.evidence == "exact"
    v = _status(_hand(constructive=(0.3, 0.1, 0.05)), "depth.uat")  # construction short of it, training reaches it
    assert v.status == "supported" and v.evidence == "measured"
    assert _status(_hand(constructive=(0.3, 0.1, 0.05), trained=(0.5, 0.6, 0.4)), "depth.uat").status == "inconclusive"
    v = _status(_hand(constructive=(0.1, 0.12, 0.15), trained=(0.5, 0.6, 0.4)), "depth.uat")
    assert v.status == "refuted" and v.evidence == "exact"


def test_efficiency_is_decided_by_the_exact_parts_and_reports_training():
    # deep reaches 0.05 with 6 units (width 2) in every seed; shallow needs 32 or is censored above 56
    v = _status(_hand(), "depth.efficiency")
    assert v.status == "supported" and v.evidence == "exact"
    assert v.numbers["trained_comparison"]["holds"] is True
    # deep never reaches the threshold (censored): the training comparison is undecided, the claim still holds
    censored = _hand(deep={"2": (0.2, 0.2, 0.21), "8": (0.2, 0.19, 0.2)})
    v = _status(censored, "depth.efficiency")
    assert v.numbers["trained_comparison"]["holds"] is None and v.status == "supported"
    # shallow reaches it with 4 or 8 units, deep needs 24: training favours the shallow net (reported), and a
    # failure to train does not refute what the nets can represent
    worse = _hand(shallow={"4": (0.01, 0.2, 0.2), "8": (0.01, 0.02, 0.03), "32": (0.01, 0.01, 0.01),
                           "56": (0.01, 0.01, 0.01)},
                  deep={"2": (0.2, 0.2, 0.21), "8": (0.04, 0.03, 0.02)})
    v = _status(worse, "depth.efficiency")
    assert v.numbers["trained_comparison"]["holds"] is False and v.status == "supported"
    # a deep net that is not the sawtooth, or a shallow net with more pieces than width + 1: refuted
    broken = _hand()
    broken["exact"][2]["deep_pieces"] = 7
    broken["pieces_trained_shallow"] = [{"width": 8, "seed": 0, "pieces": 12}]
    assert _status(broken, "depth.efficiency").status == "refuted"
    half = _hand()
    half["pieces_trained_shallow"] = [{"width": 8, "seed": 0, "pieces": 12}]
    assert _status(half, "depth.efficiency").status == "partial"


def test_censored_needs_bound_the_log_ratio_on_one_side():
    inf = float("inf")
    lo, hi = log_ratio_bounds([6, inf, inf, 24], [inf, 8, inf, 16], deep_max=24, shallow_max=56)
    assert lo == [pytest.approx(math.log(56 / 6)), -inf, -inf, pytest.approx(math.log(16 / 24))]
    assert hi == [inf, pytest.approx(math.log(8 / 24)), inf, pytest.approx(math.log(16 / 24))]


def test_trainability_reaches_every_status():
    assert _status(_hand(), "depth.trainability").status == "supported"  # deep 0.022 vs shallow 0.055
    assert _status(_hand(deep8=(0.06, 0.07, 0.065), shallow56=(0.02, 0.025, 0.022)),
                   "depth.trainability").status == "refuted"
    same = _status(_hand(deep8=(0.02, 0.06, 0.04), shallow56=(0.05, 0.02, 0.04)), "depth.trainability")
    assert same.status == "inconclusive" and "straddles" in same.numbers["reason"]
    failed = _status(_hand(deep8=(0.28, 0.29, 0.27)), "depth.trainability")
    assert failed.status == "inconclusive" and "deep did not clearly beat" in failed.numbers["reason"]


def test_hand_made_measurements_are_not_mutated():
    m = _hand()
    before = copy.deepcopy(m)
    judge([m], HCFG)
    assert m == before


@pytest.mark.parametrize("kw,msg", [({"ks": (0, 1, 2)}, "at least 1"), ({"k_train": 0}, "k_train"),
                                    ({"widths": (0, 2, 4)}, "widths"), ({"deep_widths": (1,)}, "deep_widths"),
                                    ({"clear_margin": 1.5}, "clear_margin")])
def test_bad_config_is_a_config_error(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        DepthConfig(**kw)


@pytest.mark.slow
def test_quick_profile_end_to_end(quick_store):
    got = quick_store.verdicts("Q-depth")  # the session's shared quick-profile store (no unit failed)
    assert set(got) == {"depth.uat", "depth.efficiency", "depth.trainability"}
    assert all(v.profile == "quick" and v.rule and v.numbers for v in got.values())
