"""Judge tests for Q-elbo, Q-diffusion and Q-gen: hand-made measurements reach each status a rule can give.

Each builder writes the measurements one run of the experiment returns (unit "seeds": one dict with a
``per_seed`` list), with the numbers a test wants to vary as arguments.
"""

from __future__ import annotations

import math

import pytest

from dlclaims.experiments import diffusion, elbo, gen
from dlclaims.experiments.diffusion import DiffusionConfig, exact_integration_cost
from dlclaims.experiments.elbo import ElboConfig
from dlclaims.experiments.gen import GenConfig

E_CFG = ElboConfig(ks=(1, 10, 100))
D_CFG = DiffusionConfig(T=20, ks=(1, 10, 100), quad_grid=121)
G_CFG = GenConfig()


def _by_claim(verdicts: list) -> dict:
    return {v.claim: v for v in verdicts}


# --------------------------------------------------------------------------- Q-elbo


def elbo_runs(*, kl_z: float = 0.5, el_z: float = 0.5, kl: tuple[float, ...] = (8.0, 8.5, 7.5),
              gap: tuple[float, ...] = (1.0, 1.2, 0.9), kl_order: str = "falls", seeds: int = 3) -> list[dict]:
    """kl_order "falls": KL falls and the reconstruction error rises with beta (the KL regularises);
    "rises": the reverse orderings; "flat": no change."""
    per = []
    for i in range(seeds):
        j = 0.01 * i  # spread across seeds, so intervals are estimated
        dec = {"kl_closed": 8.0, "kl_mc": 8.0 + kl_z * 0.1, "kl_mc_se": 0.1, "kl_min_per_image": 1.0,
               "rec": -10.0, "rec_minus_kl": -18.0, "elbo_by_definition": -18.0 + el_z * 0.2, "elbo_def_se": 0.2}
        bound = {"kl": kl[i % len(kl)], "elbo": -18.0, "kmax_minus_elbo": gap[i % len(gap)], "active_units": 5,
                 "iwae": {str(k): {"mean": -18.0 + gap[i % len(gap)] * n / 2, "minus_elbo": gap[i % len(gap)] * n / 2}
                          for n, k in enumerate(E_CFG.ks)}}
        sign = {"falls": 1.0, "rises": -1.0, "flat": 0.0}[kl_order]
        wobble = 0.1 * (-1) ** i  # flat: differences that change sign across seeds
        roles = {b: {"recon_error": 15.0 + (sign * 5 + wobble) * (n - 1) + j,
                     "kl": 10.0 - (sign * 5 + wobble) * (n - 1) + j, "active_units": 4,
                     "prior_samples": {"frechet": 10.0 + n + j, "confidence": 0.8, "diversity": 0.9}}
                 for n, b in enumerate(("0", "1", "8"))}
        per.append({"seed": i, "decomposition": dec, "bound": bound, "roles": roles})
    return [{"seeds": list(range(seeds)), "dataset": "digits", "binarize": "threshold", "per_seed": per}]


def _elbo(**kw) -> dict:
    return _by_claim(elbo.judge(elbo_runs(**kw), E_CFG))


def test_elbo_decomposition_reaches_supported_partial_refuted() -> None:
    assert _elbo()["elbo.decomposition"].status == "supported"
    assert _elbo()["elbo.decomposition"].evidence == "exact"
    assert _elbo(kl_z=10.0)["elbo.decomposition"].status == "partial"
    assert _elbo(kl_z=10.0, el_z=10.0)["elbo.decomposition"].status == "refuted"


def test_elbo_bound_is_one_contrast_in_the_regime_where_the_latent_is_used() -> None:
    v = _elbo()["elbo.bound"]
    assert v.status == "supported" and v.evidence == "measured"
    assert v.numbers["contrast_iwae_kmax_minus_elbo"]["lo"] > 0
    assert _elbo(gap=(-1.0, -1.2, -0.9))["elbo.bound"].status == "refuted"
    # a collapsed VAE (KL ~ 0) makes the bound trivially tight: a positive gap there decides nothing
    assert _elbo(kl=(0.1, 0.2, 0.15))["elbo.bound"].status == "inconclusive"
    # a refutation stands in any regime
    assert _elbo(kl=(0.1, 0.2, 0.15), gap=(-1.0, -1.2, -0.9))["elbo.bound"].status == "refuted"
    assert _elbo(gap=(1.0, -1.0, 0.1))["elbo.bound"].status == "inconclusive"


def test_elbo_term_roles_reaches_refuted_supported_inconclusive() -> None:
    assert _elbo(kl_order="falls")["elbo.term-roles"].status == "refuted"
    assert _elbo(kl_order="rises")["elbo.term-roles"].status == "supported"
    assert _elbo(kl_order="flat")["elbo.term-roles"].status == "inconclusive"


# --------------------------------------------------------------------------- Q-diffusion


def diffusion_runs(*, is_gap: float = 0.5, t1_gap: tuple[float, ...] = (0.3, 0.35, 0.25), grid_change: float = 1e-4,
                   grad: float = 0.0, cf_diff: float = 0.0, cf_lt: float = 1.8, ed_ratio: tuple[float, ...] =
                   (1.2, 1.3, 1.1, 1.25, 1.15), seeds: int = 3) -> list[dict]:
    """is_gap: IS_K - ELBO per K step (negative: IS below the ELBO); ed_ratio: ED(bound) / ED(simple) per seed."""
    per = []
    for i in range(seeds):
        pts = 6

        def block(T: int, i: int = i, pts: int = pts) -> dict:
            elbo_pp = [-2.0 - 0.1 * p for p in range(pts)]
            return {"T": T, "elbo": sum(elbo_pp) / pts, "elbo_per_point": elbo_pp,
                    "is": {str(k): {"mean": -2.0 + is_gap * n, "minus_elbo": is_gap * n + 0.01 * i, "ess_fraction": 0.5,
                                    "per_point": [e + is_gap * n + 0.01 * ((p + i) % 3) for p, e in enumerate(elbo_pp)]}
                           for n, k in enumerate(D_CFG.ks)}}

        g1 = t1_gap[i % len(t1_gap)]
        elbo1 = [-2.0 - 0.1 * p for p in range(pts)]
        per.append({"seed": i, "true_log_px": -0.3, "bound_T": block(D_CFG.T), "bound_T1": block(1),
                    "quadrature_T1": {"log_px": -1.5, "grid_change": grid_change, "elbo_per_point": elbo1,
                                      "log_px_per_point": [e + g1 + 0.01 * ((p + i) % 3) for p, e in enumerate(elbo1)],
                                      "gap_exact": g1, "is_kmax_minus_exact": -0.01, "seconds_per_eval": 2e-6},
                    "LT": {"grad_max_abs": grad, "other_terms_grad_norm": 10.0 + i, "trained_L_T_mean": 3e-11,
                           "trained_neg_elbo": 2.0}})
    rows = [{"seed": i, "energy_distance_train_vs_heldout": 0.004,
             "simple": {"energy_distance": 0.03, "elbo": -2.0 - 0.01 * i},
             "bound": {"energy_distance": 0.03 * r, "elbo": -2.1}} for i, r in enumerate(ed_ratio)]
    rows[0]["data_points"] = [[0.0, 0.0]]
    rows[0]["simple"]["points"] = rows[0]["bound"]["points"] = [[0.0, 0.0]]
    cf = {"1": {"T": 1, "params_max_abs_diff": cf_diff, "L_T_mean": cf_lt, "steps": 10},
          "20": {"T": 20, "params_max_abs_diff": 0.0, "L_T_mean": 3e-11, "steps": 10}}
    table = {"linear/1": {"schedule": "linear", "T": 1, "abar_T": 0.9, "L_T_mean": 1.8, "L_T_max": 3.0, "L_T_min": 1.0}}
    return [{"seeds": list(range(seeds)), "per_seed": per, "LT_counterfactual": cf, "LT_table": table,
             "simple_loss": {"T": 300, "schedule": "linear", "seeds": list(range(len(ed_ratio))),
                             "w_max_over_min": 29.9, "w_monotone_decreasing": True, "rows": rows}}]


def _diff(cfg: DiffusionConfig = D_CFG, **kw) -> dict:
    return _by_claim(diffusion.judge(diffusion_runs(**kw), cfg))


def test_diffusion_bound_reaches_supported_and_refuted() -> None:
    assert _diff()["diffusion.bound"].status == "supported"
    assert _diff(is_gap=-0.5, t1_gap=(-0.3, -0.35, -0.25))["diffusion.bound"].status == "refuted"
    assert _diff(is_gap=-0.5)["diffusion.bound"].status == "partial"  # the T = 1 exact part still holds


def test_diffusion_intractable_from_the_t1_control_and_the_exact_cost() -> None:
    v = _diff()["diffusion.intractable"]
    assert v.status == "supported"
    assert set(v.part_evidence.values()) == {"measured", "exact"}
    assert v.numbers["exact_cost_at_T"]["log10_evaluations"] == pytest.approx(40 * math.log10(121))
    # with T = 1 exact integration is cheap: that part fails; a negative exact gap refutes the other
    one = DiffusionConfig(T=1, ks=(1, 10, 100), quad_grid=121)
    assert _diff(one)["diffusion.intractable"].status == "partial"
    assert _diff(one, t1_gap=(-0.3, -0.35, -0.25))["diffusion.intractable"].status == "refuted"
    # a quadrature that has not converged decides nothing about the exact gap
    assert _diff(grid_change=1.0)["diffusion.intractable"].parts[next(iter(v.parts))] == "inconclusive"


def test_exact_integration_cost_is_grid_to_the_2t() -> None:
    c = exact_integration_cost(11, 1e-6, 3)
    assert c["log10_evaluations"] == pytest.approx(6 * math.log10(11))
    assert c["log10_cpu_seconds"] == pytest.approx(6 * math.log10(11) - 6)


def test_diffusion_lt_reaches_partial_supported_refuted_inconclusive() -> None:
    v = _diff()["diffusion.LT"]
    assert v.status == "partial" and v.evidence == "exact"  # zero gradient holds, independence is not why
    assert _diff(cf_diff=1e-3)["diffusion.LT"].status == "supported"  # training would change: independence matters
    assert _diff(grad=1e-3)["diffusion.LT"].status == "refuted"
    assert _diff(grad=1e-3, cf_lt=1e-5)["diffusion.LT"].status == "refuted"  # no dependent chain: part 2 undecided
    assert _diff(cf_lt=1e-5)["diffusion.LT"].status == "inconclusive"


def test_diffusion_simple_loss_reaches_supported_refuted_inconclusive() -> None:
    assert _diff()["diffusion.simple-loss"].status == "supported"
    assert _diff(ed_ratio=(0.8, 0.7, 0.85, 0.75, 0.8))["diffusion.simple-loss"].status == "refuted"
    assert _diff(ed_ratio=(1.3, 0.7, 1.1, 0.9, 1.0))["diffusion.simple-loss"].status == "inconclusive"
    v = _diff()["diffusion.simple-loss"]
    assert v.numbers["seeds"] == 5 and "elbo_bound_minus_simple" in v.numbers


# --------------------------------------------------------------------------- Q-gen


def gen_runs(*, ae: float = 1.3, vae: float = 0.3, w2: tuple[float, float] = (50.0, 1.0),
             interp: tuple[float, float] = (5.0, 4.0), seeds: int = 5) -> list[dict]:
    """ae, vae: each model's position between real (0) and independent pixels (1); interp: the AE's and
    the VAE's inner-point distances to the nearest training digit."""
    per = []
    for i in range(seeds):
        j = 1 + 0.02 * i
        real, indep = 1.0 * j, 40.0 * j

        def fd(pos: float, real: float = real, indep: float = indep, i: int = i) -> float:
            return real * (indep / real) ** (pos + 0.01 * i)

        sc = {k: {"frechet": fd(p), "confidence": 0.8, "diversity": 0.9}
              for k, p in (("ae", ae), ("vae", vae), ("ae_fitted_gaussian", 0.5))}
        sc["real_train_subset"] = {"frechet": real, "confidence": 0.9, "diversity": 1.0}
        sc["independent_pixels"] = {"frechet": indep, "confidence": 0.5, "diversity": 0.6}
        gap = {k: {"w2": w * j, "mean_sq": w * j / 2, "cov_frob": 1.0, "code_std_mean": 1.0}
               for k, w in zip(("ae", "vae"), w2)}
        it = {k: {"inner_nn_distance": d * j + 0.05 * (-1) ** i * (k == "ae"), "ends_nn_distance": 3.0, "confidence": 0.7}
              for k, d in zip(("ae", "vae"), interp)}
        per.append({"seed": i, "scores": sc, "latent_gap": gap, "interpolation": it, "real_test_nn_distance": 3.0})
    return [{"seeds": list(range(seeds)), "classifier_test_accuracy": 0.95, "per_seed": per}]


def _gen(**kw) -> dict:
    return _by_claim(gen.judge(gen_runs(**kw), G_CFG))


def test_gen_ae_prior_one_criterion_for_both_models() -> None:
    assert _gen()["gen.ae-prior"].status == "supported"
    assert _gen(vae=1.3)["gen.ae-prior"].status == "partial"  # both unrealistic
    assert _gen(ae=0.2, vae=1.3)["gen.ae-prior"].status == "refuted"
    assert _gen(ae=0.98, vae=0.98)["gen.ae-prior"].status == "inconclusive"  # both straddle the limit


def test_gen_latent_gap_and_interpolation_reach_supported_and_refuted() -> None:
    assert _gen()["gen.latent-gap"].status == "supported"
    assert _gen(w2=(1.0, 50.0))["gen.latent-gap"].status == "refuted"
    assert _gen()["gen.interpolation"].status == "supported"
    assert _gen(interp=(4.0, 5.0))["gen.interpolation"].status == "refuted"
    assert _gen(interp=(4.0, 4.0))["gen.interpolation"].status == "inconclusive"
