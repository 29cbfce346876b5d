"""Q-elbo on the opt-in MNIST path: small IDX files written here, read by the real loader."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dlclaims.core.config import apply_overrides, parse_sets
from dlclaims.core.errors import BadInput
from dlclaims.core.registry import RunContext
from dlclaims.experiments.elbo import PUBLISHED_MNIST_LOG_PX, ElboConfig, burda_setup_differences, judge, run

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from test_mnist import fake_mnist


def _small(cfg: ElboConfig) -> ElboConfig:
    return replace(cfg, steps=20, warmup=10, hidden=16, d_latent=2, ks=(1, 5, 50), chunk=50, rep_samples=10,
                   n_eval=20, n_mc=20, classifier_steps=5, n_prior=20)


def test_mnist_path_withholds_the_published_figure_when_the_setup_differs(tmp_path):
    fake_mnist(tmp_path, n_train=160, n_test=40, gz=True)
    cfg, _ = apply_overrides(ElboConfig(), parse_sets(["dataset=mnist", f"data_dir={tmp_path}"]))
    cfg = _small(cfg)
    m = run(cfg, RunContext((0, 1)))
    assert m["dataset"] == "mnist" and "published" not in m
    assert any(d.startswith("d_latent") for d in m["published_withheld"]["differences"])
    assert len(m["per_seed"]) == 2  # 784-pixel images went through the VAEs of both seeds
    v = {x.claim: x for x in judge([m], cfg)}["elbo.bound"]
    assert "published_figure_withheld" in v.numbers and "published_burda_2016_log_px" not in v.numbers


def test_mnist_path_shows_the_published_figure_beside_a_matching_setup(tmp_path):
    fake_mnist(tmp_path, n_train=160, n_test=40, gz=True)
    cfg, _ = apply_overrides(ElboConfig(), parse_sets(["dataset=mnist", f"data_dir={tmp_path}", "binarize=dynamic"]))
    match = replace(_small(cfg), d_latent=50, hidden=200, depth=2, ks=(1, 5000), chunk=1000, rep_samples=1,
                    n_eval=10)
    assert burda_setup_differences(match) == []
    assert any("hidden" in d for d in burda_setup_differences(replace(match, hidden=100)))
    m = run(match, RunContext((0,)))
    assert m["published"]["log_px"] == PUBLISHED_MNIST_LOG_PX
    ours = m["per_seed"][0]["bound"]["iwae"]["5000"]["mean"]
    assert m["published"]["ours_minus_published"] == pytest.approx(ours - PUBLISHED_MNIST_LOG_PX)


def test_digits_are_never_compared_with_the_published_mnist_figure():
    assert any(d.startswith("dataset") for d in burda_setup_differences(ElboConfig()))


@pytest.mark.parametrize("sets", [["dataset=mnist"], ["dataset=mnist", "data_dir=/nonexistent/mnist"]])
def test_mnist_without_its_files_is_bad_input(sets):
    with pytest.raises(BadInput):
        apply_overrides(ElboConfig(), parse_sets(sets))
