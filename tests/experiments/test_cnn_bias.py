"""Q-cnn and Q-bias: the regime logic of the judges on made-up measurements, the superposition
measurement, bad input, and both quick profiles end to end."""

import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.data.digits import load_digits_split
from dlclaims.experiments.bias import BiasConfig
from dlclaims.experiments.bias import judge as judge_bias
from dlclaims.experiments.cnn import CnnConfig, linear_stack, params_needed
from dlclaims.experiments.cnn import judge as judge_cnn

SEEDS = 3


def _rows(sizes, params, accs):
    return [{"size": s, "params": p, "acc": [a + 0.001 * j for j in range(SEEDS)]} for s, p, a in zip(sizes, params, accs)]


def _cnn_measurements(cnn_wins_digits: bool) -> dict:
    regs = {}
    for r, cnn_wins in (("digits", cnn_wins_digits), ("canvas", True)):
        mlp = _rows((8, 32), (1000, 4000), (0.80, 0.95))
        cnn = _rows((4, 8), (100, 300) if cnn_wins else (2000, 8000), (0.80, 0.95))
        mlp[1]["shifted"] = {"1": [0.5, 0.52, 0.51], "2": [0.3, 0.31, 0.32]}
        cnn[1]["shifted"] = {"1": [0.94, 0.93, 0.935], "2": [0.9, 0.91, 0.92]}
        lin = {"compose": [1e-16] * SEEDS, "none": [1e-16] * SEEDS, "avgpool": [1e-16] * SEEDS,
               "relu": [0.5, 0.6, 0.7], "maxpool": [0.2, 0.3, 0.4]}
        regs[r] = {"side": 8, "mlp": mlp, "cnn": cnn, "linear": lin}
    return {"seeds": list(range(SEEDS)), "regimes": regs}


def test_regimes_that_disagree_give_partial_and_the_rule_names_the_regime():
    cfg = CnnConfig(mlp_widths=(8, 32), cnn_channels=(4, 8), mlp_ref=32, cnn_ref=8, canvas=16)
    v = {x.claim: x for x in judge_cnn([_cnn_measurements(False)], cfg)}
    assert v["cnn.params"].status == "partial"
    assert "holds on digits on a 16x16 canvas" in v["cnn.params"].rule
    assert "fails on 8x8 digits" in v["cnn.params"].rule
    v = {x.claim: x for x in judge_cnn([_cnn_measurements(True)], cfg)}
    assert v["cnn.params"].status == "supported"
    assert v["cnn.shift-robustness"].status == "supported" and v["cnn.linear-stack"].status == "supported"


def test_params_needed_interpolates_in_log_params():
    assert params_needed([100, 400], [0.5, 0.9], 0.7) == pytest.approx(200.0)
    assert params_needed([100, 400], [0.5, 0.9], 0.95) == float("inf")


def test_superposition_measured_on_digits():
    x = load_digits_split().x_test[:8]
    lin = linear_stack(x, (0, 1), 8)
    assert max(lin["compose"]) < 1e-12 and max(lin["none"]) < 1e-12 and max(lin["avgpool"]) < 1e-12
    assert min(lin["relu"]) > 1e-3 and min(lin["maxpool"]) > 1e-3


def _layers(conv_inv: float, gap_inv: float) -> dict:
    names = ("conv1", "relu1", "pool1", "conv2", "relu2", "gap")
    eq = {k: (0.0 if k != "gap" else "nan") for k in names}
    inv = {k: (gap_inv if k == "gap" else conv_inv) for k in names}
    return {s: {"invariance": inv, "equivariance": eq, "equivariance_full": eq} for s in ("1", "2")}


def test_bias_judge_on_made_up_measurements():
    cfg = BiasConfig(sizes=(50, 200), shifts=(1, 2), canvas=16)
    reg = {"sizes": [50, 200],
           "acc": {"mlp": [[0.6, 0.61, 0.62], [0.9, 0.91, 0.9]], "cnn": [[0.8, 0.81, 0.8], [0.95, 0.94, 0.95]]},
           "permuted_acc": {"mlp": [0.91, 0.89, 0.905], "cnn": [0.5, 0.52, 0.51]},
           "layers": [_layers(0.8 + 0.01 * j, 0.01) for j in range(SEEDS)]}
    v = {x.claim: x for x in judge_bias([{"seeds": [0, 1, 2], "regimes": {"digits": reg, "canvas": reg}}], cfg)}
    assert v["bias.equivariance"].status == "partial"  # equivariant and pooled-invariant, not conv-invariant
    assert v["bias.data-efficiency"].status == "supported"
    assert v["bias.misaligned"].status == "supported"


@pytest.mark.parametrize("make", [lambda: CnnConfig(shifts=(1, 8)), lambda: BiasConfig(shifts=(9,)),
                                  lambda: BiasConfig(sizes=(0, 100)), lambda: CnnConfig(canvas=10, margin=2)])
def test_bad_input_is_a_config_error(make):
    with pytest.raises(ConfigError):
        make()


@pytest.mark.slow
@pytest.mark.parametrize("question,exp,claims", [
    ("Q-cnn", "cnn", {"cnn.params", "cnn.shift-robustness", "cnn.linear-stack"}),
    ("Q-bias", "bias", {"bias.equivariance", "bias.data-efficiency", "bias.misaligned"})])
def test_quick_profile_end_to_end(tmp_path, question, exp, claims):
    plans = plans_for([question], profile="quick", seeds=2, sets={}, device="cpu")
    summary = run_plans(plans, Store.open(tmp_path / "s.sqlite"))
    assert not summary.failed, summary.failed
    assert {v.claim for v in summary.verdicts[exp]} == claims
