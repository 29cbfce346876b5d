"""Q-elbo, Q-gen, Q-diffusion, Q-latent and minmax.gan: configs, judging helpers, and the quick profile."""

import math

import numpy as np
import pytest
import torch

from dlclaims.core.errors import BadInput, ConfigError
from dlclaims.core.runner import plans_for
from dlclaims.core.store import Store
from dlclaims.experiments.diffusion import DiffusionConfig
from dlclaims.experiments.elbo import ElboConfig
from dlclaims.experiments.gan import GanConfig, oscillation
from dlclaims.experiments.gan import judge as judge_gan
from dlclaims.experiments.gen import (
    GenConfig,
    every_seed,
    frechet_distance,
    gaussian_gap,
    paired_interval,
    sign_of,
)
from dlclaims.experiments.latent import LatentConfig
from dlclaims.experiments.latent import judge as judge_latent

CLAIMS = {"elbo.decomposition", "elbo.bound", "elbo.term-roles", "gen.ae-prior", "gen.latent-gap",
          "gen.interpolation", "diffusion.bound", "diffusion.intractable", "diffusion.LT",
          "diffusion.simple-loss", "latent.accuracy-vs-h", "minmax.gan"}


@pytest.mark.parametrize("make", [
    lambda: GenConfig(d_latent=0),
    lambda: ElboConfig(d_latent=0),
    lambda: LatentConfig(widths=(0, 1, 2)),
    lambda: DiffusionConfig(T=0),
    lambda: DiffusionConfig(schedule="quadratic"),  # type: ignore[arg-type]
    lambda: DiffusionConfig(lt_schedules=("linear", "sigmoid")),
    lambda: GanConfig(grad_evals=0),
    lambda: GanConfig(lrs=()),
])
def test_bad_configs_raise_config_error(make) -> None:
    with pytest.raises(ConfigError):
        make()


@pytest.mark.parametrize("sets", [{"diffusion.T": "0"}, {"latent.widths": "0,4,8"}, {"gen.d_latent": "0"}])
def test_bad_overrides_are_config_errors_before_anything_runs(sets: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        plans_for(["Q-diffusion", "Q-latent", "Q-gen"], profile="quick", seeds=1, sets=sets, device="cpu")


def test_unknown_schedule_name_is_bad_input() -> None:
    with pytest.raises(BadInput, match="schedule"):
        plans_for(["Q-diffusion"], profile="quick", seeds=1, sets={"diffusion.schedule": "quadratic"},
                  device="cpu")


def _iv(mean: float, half: float = 0.01) -> dict[str, float]:
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": 3}


# --------------------------------------------------------------------------- latent: hand-made measurements
def _latent(test: list[float], val: list[float] | None = None, train: list[float] | None = None,
            spread: tuple[float, ...] = (-0.004, 0.001, 0.003)) -> dict:
    """Per-width mean accuracies -> three seeds with small paired noise."""
    val = val or test
    train = train or [t + 0.02 for t in test]
    widths = [1, 2, 4, 8, 16]
    per_h = {str(h): {"accuracy": [t + e for e in spread], "val_accuracy": [v + e for e in spread],
                      "train_accuracy": [r + 2 * e for e in spread], "probe_C": [1.0] * 3,
                      "recon_train_bce": [10.0] * 3, "test_recon_bce": [11.0] * 3}
             for h, t, v, r in zip(widths, test, val, train)}
    for i, h in enumerate(widths):  # de-correlate the seeds across widths a little
        per_h[str(h)]["accuracy"] = [a + 0.001 * ((i * (j + 2)) % 5) for j, a in enumerate(per_h[str(h)]["accuracy"])]
    return {"seeds": [0, 1, 2], "per_h": per_h, "raw_pixel_probe_accuracy": [0.95, 0.96, 0.95]}


def _latent_status(m: dict) -> str:
    return judge_latent([m], LatentConfig(widths=(1, 2, 4, 8, 16)))[0].status


def test_latent_rise_then_plateau_is_supported() -> None:
    v = judge_latent([_latent([0.3, 0.6, 0.9, 0.95, 0.951])], LatentConfig(widths=(1, 2, 4, 8, 16)))[0]
    assert v.status == "supported" and v.numbers["shape"]["knee_h"] == 8


def test_latent_still_rising_or_flat_is_refuted() -> None:
    # the knee is the largest width and the last step still rises
    assert _latent_status(_latent([0.3, 0.5, 0.7, 0.8, 0.9])) == "partial"
    # flat from the start: no rise; the rest is level -> partial; rising after a validation knee refutes
    assert _latent_status(_latent([0.9, 0.9, 0.9, 0.9, 0.9])) == "partial"
    flat_then_up = _latent([0.9, 0.9, 0.9, 0.95, 0.99], val=[0.9, 0.9, 0.9, 0.9, 0.9])
    assert _latent_status(flat_then_up) == "refuted"


def test_latent_fall_is_judged_for_overfitting() -> None:
    falls = _latent([0.3, 0.6, 0.9, 0.95, 0.85], train=[0.32, 0.62, 0.92, 0.97, 0.99])
    v = judge_latent([falls], LatentConfig(widths=(1, 2, 4, 8, 16)))[0]
    assert v.numbers["shape"]["falls_at"] == [16]
    assert v.status == "supported"  # the train - test gap grows where it falls
    no_gap = _latent([0.3, 0.6, 0.9, 0.95, 0.85], train=[0.32, 0.62, 0.92, 0.97, 0.87])
    assert _latent_status(no_gap) == "partial"  # falls, but not from overfitting


def test_latent_width_groups_pad_little() -> None:
    from dlclaims.experiments.latent import width_groups

    groups = width_groups((1, 2, 4, 8, 16, 32, 64, 128))
    assert sorted(h for g in groups for h in g) == [1, 2, 4, 8, 16, 32, 64, 128]
    assert all(max(g) <= 4 * min(g) for g in groups) and len(groups) == 3


def test_latent_noisy_differences_are_undecided() -> None:
    noisy = _latent([0.3, 0.6, 0.9, 0.95, 0.95], spread=(-0.05, 0.0, 0.06))
    noisy["per_h"]["16"]["accuracy"] = [0.99, 0.90, 0.96]
    assert _latent_status(noisy) == "inconclusive"


# --------------------------------------------------------------------------- minmax.gan: hand-made measurements
def _gan(sim_energy, cure_energy, sim_modes, cure_modes) -> dict:
    """(C, S) traces; both cures get the same trace scaled a little."""
    rules = {"simultaneous": {"grad_evals": list(range(100, 900, 100)), "energy": sim_energy, "modes": sim_modes}}
    for c, f in (("extragradient", 1.0), ("optimistic", 1.05)):
        rules[c] = {"grad_evals": list(range(100, 900, 100)), "energy": [[e * f for e in row] for row in cure_energy],
                    "modes": cure_modes}
    return {"seeds": [0, 1, 2], "tune_seeds": [1000], "lrs": [0.003, 0.01],
            "tuning": {r: {"criterion": [0.5, 0.4]} for r in rules}, "lr": {r: 0.01 for r in rules}, "rules": rules}


def _trace(level: list[float], wobble: list[float], C: int = 8) -> list[list[float]]:
    """Per seed s: level_s * (1 + wobble_s * (-1)^c), c = 0..C-1."""
    return [[lv * (1 + wb * (-1) ** c) for lv, wb in zip(level, wobble)] for c in range(C)]


def _modes(levels: list[float], C: int = 8) -> list[list[float]]:
    return [list(levels) for _ in range(C)]


def test_gan_cycling_and_both_cures_supported() -> None:
    m = _gan(_trace([1.0, 1.2, 0.9], [0.5, 0.6, 0.4]), _trace([0.1, 0.15, 0.08], [0.02, 0.03, 0.01]),
             _modes([3, 4, 2]), _modes([8, 7, 8]))
    v = judge_gan([m], GanConfig(grad_evals=800, checkpoints=8))[0]
    assert v.status == "supported"
    assert set(v.parts.values()) == {"supported"}


def test_gan_no_cycling_and_worse_cures_refuted() -> None:
    m = _gan(_trace([0.1, 0.12, 0.09], [0.02, 0.03, 0.01]), _trace([1.0, 1.1, 0.95], [0.5, 0.6, 0.4]),
             _modes([8, 7, 8]), _modes([3, 4, 2]))
    assert judge_gan([m], GanConfig(grad_evals=800, checkpoints=8))[0].status == "refuted"


def test_gan_cures_that_change_nothing_are_refuted_by_equivalence_and_noise_is_undecided() -> None:
    same = _trace([0.1, 0.12, 0.09], [0.02, 0.03, 0.01])
    m = _gan(same, same, _modes([7.9, 7.5, 8.0]), _modes([8.0, 7.5, 7.9]))
    v = judge_gan([m], GanConfig(grad_evals=800, checkpoints=8))[0]
    ends = "extragradient or optimism ends closer to the data than simultaneous GDA"
    assert v.parts["extragradient or optimism covers more modes than simultaneous GDA"] == "refuted"
    noisy = _gan(_trace([1.0, 0.1, 0.5], [0.5, 0.01, 0.2]), _trace([0.1, 1.0, 0.5], [0.01, 0.5, 0.2]),
                 _modes([3, 8, 5]), _modes([8, 3, 5.5]))
    assert judge_gan([noisy], GanConfig(grad_evals=800, checkpoints=8))[0].status == "inconclusive"
    assert ends in v.parts


def test_oscillation_ignores_a_trend_and_sees_a_wobble() -> None:
    trend = [[2.0 ** -c] * 2 for c in range(8)]  # a steady geometric decrease: a straight line in log
    wob = _trace([1.0, 1.0], [0.5, 0.3])
    assert np.allclose(oscillation(trend), 0.0, atol=1e-12)
    assert (oscillation(wob) > 0.2).all()


def test_frechet_distance_oracle_for_a_shift() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 3, generator=g)
    shift = torch.tensor([1.0, -2.0, 0.5])
    assert abs(frechet_distance(a, a)) < 1e-6
    assert abs(frechet_distance(a, a + shift) - float(shift.pow(2).sum())) < 1e-6
    # N(0, I) vs N(0, 4 I): tr(S1 + S2 - 2 (S1 S2)^1/2) = 3 (1 + 4 - 4) = 3
    assert abs(frechet_distance(a, 2 * a) - 3 * float(a.var(0).mean())) < 0.1


def test_gaussian_gap_is_small_for_standard_codes_and_grows_with_scale() -> None:
    z = torch.randn(5000, 4, generator=torch.Generator().manual_seed(0))
    small, big = gaussian_gap(z)["w2"], gaussian_gap(3 * z + 1)["w2"]
    assert small < 0.02 < 4 * 4 < big  # W2^2 of N(1, 9 I) to N(0, I) in 4-D is 4 + 4 * 4 = 20


def test_interval_signs_and_every_seed() -> None:
    assert sign_of(_iv(1.0)) is True and sign_of(_iv(-1.0)) is False and sign_of(_iv(0.0)) is None
    assert sign_of({"mean": 1.0, "lo": 1.0, "hi": 1.0, "n": 1}) is None  # one run cannot decide
    pos, neg = paired_interval([1.0, 1.1, 0.9, 1.2]), paired_interval([-1.0, -1.2, -0.8])
    und = paired_interval([1.0, -1.0, 0.5, -0.5])
    assert every_seed([pos, pos]) is True
    assert every_seed([pos, neg]) is False
    assert every_seed([pos, und]) is None
    assert math.isclose(pos["mean"], float(np.mean([1.0, 1.1, 0.9, 1.2])))


@pytest.mark.slow
def test_quick_profile_judges_every_claim(quick_store) -> None:
    ids = ["elbo", "gen", "diffusion", "latent", "gan"]
    got = quick_store.verdicts(*ids)  # the session's shared quick-profile store (no unit failed)
    assert set(got) == CLAIMS
    for v in got.values():
        assert v.status in ("supported", "refuted", "partial", "inconclusive") and v.rule and v.numbers
    # L_T has no parameters: its gradient is exactly zero whatever the training did
    assert got["diffusion.LT"].numbers["grad_max_abs"] == 0.0
    # judging is pure: the stored runs judged again (no drawing) give the stored statuses
    plans = plans_for(ids, profile="quick", seeds=None, sets={}, device="cpu")
    assert {p.experiment.id for p in plans} == set(ids)
    with Store.open(quick_store(*ids), create=False, readonly=True) as store:
        for p in plans:
            runs = [store.get_result(t.experiment, t.config_hash, t.seeds).measurements for t in p.tasks]
            again = p.experiment.judge(runs, p.config)
            assert sorted(v.claim for v in again) == sorted(p.experiment.claims)
            assert {v.claim: v.status for v in again} == {v.claim: got[v.claim].status for v in again}
