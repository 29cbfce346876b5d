"""Q-elbo on the opt-in MNIST path: small IDX files written here, read by the real loader."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dlclaims.core.config import apply_overrides, parse_sets
from dlclaims.core.errors import BadInput
from dlclaims.core.registry import RunContext
from dlclaims.experiments.elbo import PUBLISHED_MNIST_LOG_PX, ElboConfig, run

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from test_mnist import fake_mnist  # noqa: E402


def test_mnist_path_reports_iwae_next_to_the_published_figure(tmp_path):
    fake_mnist(tmp_path, n_train=160, n_test=40, gz=True)
    cfg, _ = apply_overrides(ElboConfig(), parse_sets(["dataset=mnist", f"data_dir={tmp_path}"]))
    cfg = replace(cfg, steps=20, hidden=16, d_latent=2, ks=(1, 5, 50), chunk=50, rep_samples=10, n_eval=20,
                  n_mc=20, classifier_steps=5, n_prior=20)
    m = run(cfg, RunContext((0,)))
    b = m["bound"]
    assert b["dataset"] == "mnist" and b["published_log_px"] == PUBLISHED_MNIST_LOG_PX
    assert b["gap_to_published"] == pytest.approx(b["iwae"]["50"]["mean"] - PUBLISHED_MNIST_LOG_PX)
    assert len(b["elbo_per_image"]) == 20  # 784-pixel images went through the VAE


@pytest.mark.parametrize("sets", [["dataset=mnist"], ["dataset=mnist", "data_dir=/nonexistent/mnist"]])
def test_mnist_without_its_files_is_bad_input(sets):
    with pytest.raises(BadInput):
        apply_overrides(ElboConfig(), parse_sets(sets))
