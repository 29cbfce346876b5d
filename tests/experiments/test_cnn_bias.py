"""Q-cnn and Q-bias: every judge reaches each status its rule can give on hand-made measurements; the
selection on validation, the superposition measurement, bad input, and both quick profiles end to end."""

import numpy as np
import pytest

from dlclaims.core.errors import ConfigError
from dlclaims.data.digits import load_digits_split
from dlclaims.experiments.bias import BiasConfig
from dlclaims.experiments.bias import judge as judge_bias
from dlclaims.experiments.cnn import CnnConfig, linear_stack, params_needed, select
from dlclaims.experiments.cnn import judge as judge_cnn

K = 3  # seeds
LRS = [0.01, 0.03]
JIT = np.array([0.0, 0.004, -0.003])  # per-seed jitter: intervals get a spread
JIT2 = np.array([0.01, -0.006, 0.002])


def _rec(params, acc, *, worse_lr=0.05, shifted=None, jit=None):
    """An architecture's sweep: the second lr is the better one on validation (and test)."""
    acc = acc + (JIT if jit is None else jit)
    rec = {"params": params, "lrs": LRS, "val": [list(acc - worse_lr), list(acc)],
           "test": [list(acc - worse_lr - 0.01), list(acc - 0.01)], "best_step": [[100.0] * K] * 2}
    if shifted is not None:
        rec["shifted"] = {s: [list(acc * (1 - d) - worse_lr), list((acc - 0.01) * (1 - d) + JIT)]
                          for s, d in shifted.items()}
    return rec


def _cnn_regime(cnn_fewer: bool | None, mlp_drops_more: bool, linear_ok: bool = True) -> dict:
    mlp = {"mlp/8": _rec(600, 0.80), "mlp/32": _rec(2400, 0.95)}
    # the flatten head is the most accurate on validation (0.97) but needs many parameters; the pooled head
    # never reaches the matched accuracy; the conv-pool stack decides (the kind needing fewest on validation)
    cnn = {"cnn-flatten/2": _rec(5000, 0.5), "cnn-flatten/4": _rec(9000, 0.97),
           "cnn-pooled/2": _rec(40, 0.3), "cnn-pooled/4": _rec(120, 0.5)}
    if cnn_fewer is None:  # noisy: one seed needs far fewer, another far more
        cnn["cnn-convpool/2"] = _rec(100, np.array([0.80, 0.95, 0.6]) - JIT)
        cnn["cnn-convpool/4"] = _rec(300, np.array([0.95, 0.96, 0.7]) - JIT)
        cnn["cnn-flatten/2"] = _rec(700, np.array([0.5, 0.5, 0.8]))
    else:
        p = (100, 300) if cnn_fewer else (550, 2500)
        cnn["cnn-convpool/2"], cnn["cnn-convpool/4"] = _rec(p[0], 0.80, jit=-JIT2), _rec(p[1], 0.95, jit=JIT2)
    big, small = {"1": 0.5, "2": 0.7}, {"1": 0.1, "2": 0.2}
    shift = {"mlp/32": _rec(2400, 0.95, shifted=big if mlp_drops_more else small),
             "cnn-pooled/4": _rec(300, 0.94, shifted=small if mlp_drops_more else big),
             "cnn-flatten/4": _rec(9000, 0.90, shifted=big), "cnn-convpool/4": _rec(300, 0.80, shifted=big)}
    lin = {"compose": [1e-16] * K, "none": [1e-16] * K, "avgpool": [1e-16] * K,
           "relu": [0.5, 0.6, 0.7] if linear_ok else [1e-16] * K, "maxpool": [0.2, 0.3, 0.4]}
    return {"side": 8, "runs": {**mlp, **cnn}, "shift": shift, "linear": lin}


CNN_CFG = CnnConfig(mlp_widths=(8, 32), cnn_channels=(2, 4), mlp_ref=32, cnn_ref=4, canvas=16, lrs=tuple(LRS))


def _judge_cnn(digits: dict, canvas: dict) -> dict:
    m = {"seeds": list(range(K)), "regimes": {"digits": digits, "canvas": canvas}}
    return {v.claim: v for v in judge_cnn([m], CNN_CFG)}


def test_cnn_params_reaches_every_status():
    fewer, same, noisy = _cnn_regime(True, True), _cnn_regime(False, True), _cnn_regime(None, True)
    assert _judge_cnn(fewer, fewer)["cnn.params"].status == "supported"
    assert _judge_cnn(same, same)["cnn.params"].status == "refuted"
    v = _judge_cnn(same, fewer)["cnn.params"]
    assert v.status == "partial"
    assert "holds on digits on a 16x16 canvas" in v.rule and "fails on 8x8 digits" in v.rule
    assert _judge_cnn(noisy, noisy)["cnn.params"].status == "inconclusive"
    nums = _judge_cnn(fewer, fewer)["cnn.params"].numbers["8x8 digits"]
    assert nums["mlp"]["best_lr_per_seed"] == [0.03] * K  # the lr chosen on validation is reported
    assert nums["ratio_mlp_over_cnn"]["mean"] > 2
    assert nums["cnn_head_per_seed"] == ["convpool"] * K  # fewest parameters at the validation-matched accuracy
    assert nums["val_params_per_cnn_kind_per_seed"]["pooled"] == [float("inf")] * K  # never reaches it
    assert nums["matched_test_accuracy_per_seed"] == pytest.approx(list(0.95 + np.minimum(JIT, JIT2) - 0.01 - CNN_CFG.match_margin))
    assert set(nums["cnn_per_kind"]) == {"pooled", "flatten", "convpool"}


def test_cnn_kind_is_chosen_on_validation_and_measured_on_test():
    reg = _cnn_regime(True, True)
    for key in ("cnn-convpool/2", "cnn-convpool/4"):  # worse on test only: still chosen, and the ratio shows it
        reg["runs"][key]["test"] = [list(np.asarray(row) - 0.3) for row in reg["runs"][key]["test"]]
    nums = _judge_cnn(reg, reg)["cnn.params"].numbers["8x8 digits"]
    assert nums["cnn_head_per_seed"] == ["convpool"] * K
    assert nums["matched_test_accuracy_per_seed"] == pytest.approx(list(0.64 + JIT2 - CNN_CFG.match_margin))


def test_cnn_shift_and_linear_reach_supported_refuted_partial():
    more, less = _cnn_regime(True, True), _cnn_regime(True, False)
    assert _judge_cnn(more, more)["cnn.shift-robustness"].status == "supported"
    assert _judge_cnn(less, less)["cnn.shift-robustness"].status == "refuted"
    assert _judge_cnn(less, more)["cnn.shift-robustness"].status == "partial"
    v = _judge_cnn(more, more)["cnn.linear-stack"]
    assert v.status == "supported" and v.evidence == "exact"
    bad = _cnn_regime(True, True, linear_ok=False)
    assert _judge_cnn(bad, bad)["cnn.linear-stack"].status == "refuted"


def test_the_shift_test_compares_drops_relative_to_each_models_clean_accuracy():
    reg = _cnn_regime(True, True)
    nums = _judge_cnn(reg, reg)["cnn.shift-robustness"].numbers["8x8 digits"]
    assert nums["relative_drop"]["mlp"]["mean"] == pytest.approx(0.6, abs=0.01)  # mean of 0.5 and 0.7
    assert nums["cnn_head_per_seed"] == ["cnn-pooled/4"] * K  # the better kind on validation


def test_select_takes_the_best_validation_run_per_seed_never_test():
    recs = {"a": {"lrs": [1, 2], "val": [[0.9, 0.1], [0.8, 0.2]], "test": [[0.1, 0.1], [0.9, 0.9]]},
            "b": {"lrs": [1, 2], "val": [[0.5, 0.5], [0.5, 0.6]], "test": [[1.0, 1.0], [1.0, 1.0]]}}
    sel = select(recs, ["a", "b"])
    assert sel["key"] == ["a", "b"] and sel["lr"] == [1, 2] and sel["test"] == [0.1, 1.0]


def test_params_needed_interpolates_in_log_params():
    assert params_needed([100, 400], [0.5, 0.9], 0.7) == pytest.approx(200.0)
    assert params_needed([100, 400], [0.5, 0.9], 0.95) == float("inf")


def test_superposition_measured_on_digits():
    x = load_digits_split().x_test[:8]
    lin = linear_stack(x, (0, 1), 8)
    assert max(lin["compose"]) < 1e-12 and max(lin["none"]) < 1e-12 and max(lin["avgpool"]) < 1e-12
    assert min(lin["relu"]) > 1e-3 and min(lin["maxpool"]) > 1e-3


# ---------------------------------------------------------------- Q-bias

BIAS_CFG = BiasConfig(sizes=(40, 400), shifts=(1, 2), canvas=16, lrs=tuple(LRS), equivalence_margin=0.02,
                      efficiency_margin=0.02)
MAP_NAMES = ("conv1", "relu1", "pool1", "conv2", "relu2")


def _layers(eq: float, conv_inv: float, head_inv: float, head: str) -> dict:
    """One member's per-layer errors at shifts 1 and 2."""
    inv = {k: conv_inv for k in MAP_NAMES} | {head: head_inv, "logits": head_inv}
    eqv = {k: eq for k in MAP_NAMES}
    return {s: {"invariance": inv, "equivariance": eqv} for s in ("1", "2")}


def _members(eq, conv_inv, head_inv, head):
    return [_layers(eq, conv_inv * (1 + 0.02 * j), head_inv * (1 + 0.05 * j), head) for j in range(len(LRS) * K)]


def _sweep(accs_by_size, worse_lr=0.05, jit=JIT):
    """(G, L, K) tables; the second lr is better on validation."""
    val = [[list(a + jit - worse_lr), list(a + jit)] for a in accs_by_size]
    test = [[list(a + jit - worse_lr - 0.01), list(a + jit - 0.01)] for a in accs_by_size]
    return {"lrs": LRS, "val": val, "test": test}


def _bias_regime(*, cnn_eq=0.0, lc_eq=1.3, flat_inv=0.9, gap_inv=0.05, lc_gap=0.6, cnn_small=0.85, mlp_small=0.70,
                 mlp_perm_change=(0.002, -0.003, 0.001), cnn_perm_change=-0.2, identity_err=0.0) -> dict:
    runs = {"mlp": _sweep([np.full(K, mlp_small), np.full(K, 0.95)]),
            "cnn-pooled": _sweep([np.full(K, cnn_small), np.full(K, 0.96)], jit=JIT2),
            "cnn-flatten": _sweep([np.full(K, cnn_small - 0.1), np.full(K, 0.9)]),
            "cnn-convpool": _sweep([np.full(K, cnn_small - 0.2), np.full(K, 0.85)]),
            "lc": _sweep([np.full(K, 0.9)])}
    perm = {"mlp": _sweep([0.95 + np.asarray(mlp_perm_change) - JIT])}
    perm["cnn-pooled"] = _sweep([np.full(K, 0.96 + cnn_perm_change) + np.array([0.0, 0.002, -0.001])], jit=JIT2)
    perm["cnn-flatten"] = _sweep([np.full(K, 0.5)])
    perm["cnn-convpool"] = _sweep([np.full(K, 0.4)])
    perm = {k: {"lrs": v["lrs"], "val": v["val"][0], "test": v["test"][0]} for k, v in perm.items()}
    layers = {"cnn-pooled": _members(cnn_eq, 1.0, gap_inv, "gap"), "cnn-flatten": _members(cnn_eq, 1.0, flat_inv, "flat"),
              "lc": [_layers(lc_eq * (1 + 0.03 * j), 0.8, lc_gap * (1 + 0.03 * j), "gap") for j in range(len(LRS) * K)]}
    ident = {"first_layer_rel_error": identity_err, "other_layers_rel_error": 0.0, "test_predictions_differing": 0}
    return {"side": 12, "sizes": [40, 400], "runs": runs, "permuted": perm, "layers": layers, "identity": ident}


def _judge_bias(digits: dict, canvas: dict | None = None) -> dict:
    m = {"seeds": list(range(K)), "regimes": {"digits": digits, "canvas": canvas or digits}}
    return {v.claim: v for v in judge_bias([m], BIAS_CFG)}


def test_bias_equivariance_reaches_partial_supported_refuted():
    v = _judge_bias(_bias_regime())["bias.equivariance"]
    assert v.status == "partial"  # sharing gives equivariance, pooling gives invariance, sharing alone does not
    assert v.part_evidence[next(k for k in v.parts if "gives equivariance" in k)] == "exact"
    assert _judge_bias(_bias_regime(flat_inv=0.02, gap_inv=0.01))["bias.equivariance"].status == "supported"
    wrong = _bias_regime(cnn_eq=0.3, lc_eq=1e-6, flat_inv=0.9, gap_inv=0.9, lc_gap=0.1)
    assert _judge_bias(wrong)["bias.equivariance"].status == "refuted"


def test_bias_data_efficiency_reaches_every_status():
    assert _judge_bias(_bias_regime())["bias.data-efficiency"].status == "supported"
    assert _judge_bias(_bias_regime(cnn_small=0.6))["bias.data-efficiency"].status == "refuted"
    assert _judge_bias(_bias_regime(), _bias_regime(cnn_small=0.6))["bias.data-efficiency"].status == "partial"
    same = _judge_bias(_bias_regime(cnn_small=0.70))["bias.data-efficiency"]  # CNN - MLP within +-0.02 (TOST)
    assert same.status == "refuted"
    nums = same.numbers["8x8 digits in a 12x12 frame"]
    assert nums["cnn_minus_mlp_small_sizes"]["lo"] < 0 < nums["cnn_minus_mlp_small_sizes"]["hi"]  # decided by TOST
    assert nums["equivalence_cnn_minus_mlp"]["equivalent"] is True
    tie = _bias_regime(cnn_small=0.70)
    tie["runs"]["cnn-pooled"]["test"][0][1] = [0.70, 0.68, 0.72]  # CNN - MLP straddles 0, too noisy for TOST
    assert _judge_bias(tie)["bias.data-efficiency"].status == "inconclusive"


def test_bias_misaligned_reaches_every_status_and_marks_the_identity_exact():
    v = _judge_bias(_bias_regime())["bias.misaligned"]
    assert v.status == "supported"
    assert v.part_evidence[next(k for k in v.parts if "permuted MLP" in k)] == "exact"
    moved = _bias_regime(mlp_perm_change=(-0.2, -0.25, -0.22), cnn_perm_change=0.0, identity_err=0.1)
    assert _judge_bias(moved)["bias.misaligned"].status == "refuted"
    indep = _bias_regime(mlp_perm_change=(0.05, -0.06, 0.0), cnn_perm_change=-0.2)  # the identity decides for
    v = _judge_bias(indep)["bias.misaligned"]  # the MLP; the independently initialised TOST is only reported
    assert v.status == "supported"
    assert v.numbers["8x8 digits in a 12x12 frame"]["equivalence_mlp_independent_init"]["equivalent"] is None
    noisy = _bias_regime(cnn_perm_change=np.array([-0.05, 0.04, 0.0]))  # CNN change straddles 0, no TOST
    assert _judge_bias(noisy)["bias.misaligned"].status == "inconclusive"
    cnn_same = _bias_regime(cnn_perm_change=0.0)
    assert _judge_bias(cnn_same)["bias.misaligned"].status == "partial"


@pytest.mark.parametrize("make", [lambda: CnnConfig(shifts=(1, 8)), lambda: BiasConfig(shifts=(9,)),
                                  lambda: BiasConfig(sizes=(0, 100)), lambda: CnnConfig(canvas=10, margin=2),
                                  lambda: CnnConfig(shifts=(3,), margin=2), lambda: CnnConfig(lrs=()),
                                  lambda: CnnConfig(cnn_kinds=("bogus",)), lambda: CnnConfig(min_seeds_digits=0),
                                  lambda: BiasConfig(small_epochs=-1)])
def test_bad_input_is_a_config_error(make):
    with pytest.raises(ConfigError):
        make()


@pytest.mark.slow
@pytest.mark.parametrize("question,claims", [
    ("Q-cnn", {"cnn.params", "cnn.shift-robustness", "cnn.linear-stack"}),
    ("Q-bias", {"bias.equivariance", "bias.data-efficiency", "bias.misaligned"})])
def test_quick_profile_end_to_end(quick_store, question, claims):
    got = quick_store.verdicts(question)  # the session's shared quick-profile store (no unit failed)
    assert set(got) == claims
    assert all(v.profile == "quick" and v.rule and v.numbers for v in got.values())
    for claim in ("cnn.params", "bias.data-efficiency", "bias.misaligned"):  # the quick profile decides these
        if claim in got:
            assert got[claim].status != "inconclusive", (claim, got[claim].rule)


def test_bias_data_efficiency_averages_the_smaller_half_rounded_up_never_the_largest():
    reg = _bias_regime()
    reg["sizes"] = [30, 60, 1100]
    for key, small in (("mlp", 0.70), ("cnn-pooled", 0.50), ("cnn-flatten", 0.50), ("cnn-convpool", 0.50)):
        # CNN ahead at 30 (first entry, from _bias_regime), behind at 60 by more: the average says behind
        reg["runs"][key] = {**reg["runs"][key], "val": [reg["runs"][key]["val"][0], *_sweep([np.full(K, small)])["val"],
                                                        reg["runs"][key]["val"][1]],
                            "test": [reg["runs"][key]["test"][0], *_sweep([np.full(K, small)])["test"],
                                     reg["runs"][key]["test"][1]]}
    v = _judge_bias(reg)["bias.data-efficiency"]
    nums = v.numbers["8x8 digits in a 12x12 frame"]
    assert nums["small_sizes"] == [30, 60]
    assert nums["cnn_minus_mlp_small_sizes"]["mean"] == pytest.approx(((0.85 - 0.70) + (0.50 - 0.70)) / 2, abs=0.01)
    assert v.status == "refuted"


def test_small_training_sets_train_fewer_steps_the_same_for_every_family():
    from dlclaims.experiments.bias import size_steps, step_groups

    cfg = BiasConfig(sizes=(30, 60, 1100), steps=120, batch_size=64, eval_every=25, small_epochs=40)
    assert [size_steps(n, cfg) for n in (30, 60, 1100)] == [40, 40, 120]  # 40 passes over 30 (batch 30) and 60
    assert step_groups([30, 60, 1100], cfg) == [(40, [0, 1]), (120, [2])]
    off = BiasConfig(sizes=(30, 1100), steps=120)
    assert step_groups([30, 1100], off) == [(120, [0, 1])]  # small_epochs 0: one stack, every size 120 steps
    assert size_steps(10, BiasConfig(small_epochs=1, eval_every=25)) == 25  # at least one validation evaluation


def test_run_seeds_extends_the_runs_seeds():
    from dlclaims.experiments.cnn import run_seeds

    assert run_seeds((0, 1, 2), 5) == (0, 1, 2, 3, 4)
    assert run_seeds((4, 7), 1) == (4, 7)


def test_an_effect_inside_the_equivalence_margin_is_no_effect_even_where_significant():
    # the paired CNN change is -0.01 for every seed (+-0.001): significant, but inside +-0.02
    small_drop = _bias_regime(cnn_perm_change=np.array([-0.01, -0.011, -0.009]))
    v = _judge_bias(small_drop, _bias_regime())["bias.misaligned"]
    nums = v.numbers["8x8 digits in a 12x12 frame"]
    assert nums["acc_change_cnn"]["hi"] < 0 and nums["equivalence_cnn"]["equivalent"] is True
    assert v.parts["8x8 digits in a 12x12 frame: CNN accuracy drops"] == "refuted" and v.status == "partial"
    small_edge = _bias_regime()  # CNN - MLP = +0.01 (+-0.001) at the small size: significant, inside +-0.02
    mlp_test = np.asarray(small_edge["runs"]["mlp"]["test"][0][1])  # size 0, the lr chosen on validation
    small_edge["runs"]["cnn-pooled"]["test"][0][1] = list(mlp_test + [0.010, 0.011, 0.009])  # the kind chosen
    v = _judge_bias(small_edge)["bias.data-efficiency"]
    nums = v.numbers["8x8 digits in a 12x12 frame"]
    assert nums["cnn_minus_mlp_small_sizes"]["lo"] > 0 and nums["equivalence_cnn_minus_mlp"]["equivalent"] is True
    assert v.status == "refuted"
