"""Q-depth: a tiny run through the judge, bad input, and the quick profile end to end."""

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.registry import RunContext
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.core.types import to_jsonable
from dlclaims.experiments.depth import DepthConfig, judge, run


@pytest.fixture(scope="module")
def tiny():
    cfg = DepthConfig(widths=(2, 4, 8), steps=20, n_train=32, ks=(1, 2, 3), k_train=2, deep_width=3, n_grid=256)
    return cfg, to_jsonable(run(cfg, RunContext((0, 1))))


def test_exact_nets_and_the_piece_bound_hold_whatever_training_did(tiny):
    cfg, m = tiny
    v = {v.claim: v for v in judge([m], cfg)}
    assert set(v) == {"depth.uat", "depth.efficiency", "depth.trainability"}
    parts = v["depth.efficiency"].parts
    first, second = list(parts.values())[:2]
    assert first == "supported" and second == "supported"
    assert all(e["deep_pieces"] == 2 ** e["k"] for e in m["exact"])
    assert all(p["pieces"] <= p["width"] + 1 for p in m["pieces_trained_shallow"])


def test_judge_is_pure(tiny):
    cfg, m = tiny
    assert [x.to_dict() for x in judge([m], cfg)] == [x.to_dict() for x in judge([m], cfg)]


@pytest.mark.parametrize("kw,msg", [({"ks": (0, 1, 2)}, "at least 1"), ({"k_train": 0}, "k_train"),
                                    ({"widths": (0, 2, 4)}, "widths")])
def test_bad_config_is_a_config_error(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        DepthConfig(**kw)


@pytest.mark.slow
def test_quick_profile_end_to_end(tmp_path):
    plans = plans_for(["Q-depth"], profile="quick", seeds=2, sets={}, device="cpu")
    summary = run_plans(plans, Store.open(tmp_path / "s.sqlite"))
    assert not summary.failed
    assert {v.claim for v in summary.verdicts["depth"]} == {"depth.uat", "depth.efficiency", "depth.trainability"}
