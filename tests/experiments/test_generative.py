"""Q-elbo, Q-gen, Q-diffusion, Q-latent and minmax.gan: configs, judging helpers, and the quick profile."""

import math

import numpy as np
import pytest
import torch

from dlclaims.core.errors import BadInput, ConfigError
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.experiments.diffusion import DiffusionConfig
from dlclaims.experiments.elbo import ElboConfig
from dlclaims.experiments.gan import GanConfig
from dlclaims.experiments.gen import (
    GenConfig,
    every_seed,
    frechet_distance,
    gaussian_gap,
    paired_interval,
    sign_of,
)
from dlclaims.experiments.latent import LatentConfig, shape_from_intervals

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
    lambda: GanConfig(steps=0),
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


@pytest.mark.parametrize("means, shape", [
    ([0.3, 0.6, 0.9, 0.95, 0.95], "rise then plateau"),
    ([0.3, 0.6, 0.9, 0.95, 0.80], "rise then fall"),
    ([0.3, 0.5, 0.7, 0.8, 0.9], "rises throughout"),
    ([0.9, 0.9, 0.9, 0.9, 0.9], "flat"),
])
def test_shape_is_read_from_intervals(means: list[float], shape: str) -> None:
    widths = [1, 2, 4, 8, 16]
    ivs = {str(h): _iv(m) for h, m in zip(widths, means)}
    assert shape_from_intervals(widths, ivs)["shape"] == shape


def test_wide_intervals_make_a_rise_a_plateau_not_a_fall() -> None:
    widths = [1, 2, 4]
    ivs = {"1": _iv(0.3), "2": _iv(0.9, 0.2), "4": _iv(0.8, 0.2)}
    assert shape_from_intervals(widths, ivs)["shape"] == "rise then plateau"


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
def test_quick_profile_judges_every_claim(tmp_path) -> None:
    plans = plans_for(["Q-elbo", "Q-gen", "Q-diffusion", "Q-latent", "minmax.gan"], profile="quick", seeds=2,
                      sets={}, device="cpu")
    assert {p.experiment.id for p in plans} >= {"elbo", "gen", "diffusion", "latent", "gan"}
    plans = [p for p in plans if p.experiment.id in {"elbo", "gen", "diffusion", "latent", "gan"}]
    store = Store.open(tmp_path / "s.sqlite")
    summary = run_plans(plans, store)
    assert summary.failed == {}
    got = {v.claim: v for vs in summary.verdicts.values() for v in vs}
    assert set(got) == CLAIMS
    for v in got.values():
        assert v.status in ("supported", "refuted", "partial", "inconclusive") and v.rule and v.numbers
    # L_T has no parameters: its gradient is exactly zero whatever the training did
    assert got["diffusion.LT"].numbers["grad_max_abs"] == 0.0
    # judging is pure: the stored runs judged again give the same statuses
    from dlclaims.core.runner import judge_and_draw

    for p in plans:
        runs = [store.get_result(t.experiment, t.config_hash, t.seeds).measurements for t in p.tasks]
        again, _ = judge_and_draw(p, runs, tmp_path / "fig2")
        assert [v.status for v in again] == [v.status for v in summary.verdicts[p.experiment.id]]
