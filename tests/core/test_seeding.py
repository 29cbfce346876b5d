"""Seeds: extension of a run's seeds for units that need a few more, and determinism of the generator."""

import pytest
import torch

from dlclaims.core.seeding import extend_seeds, seed_everything
from dlclaims.experiments.latent import LatentConfig


def test_extend_seeds_appends_the_next_integers_only_when_short():
    assert extend_seeds((0, 1, 2), 6) == (0, 1, 2, 3, 4, 5)
    assert extend_seeds([4, 7], 3) == (4, 7, 8)
    assert extend_seeds((0, 1, 2, 3, 4), 3) == (0, 1, 2, 3, 4)  # never drops the run's seeds


def test_seed_everything_gives_the_same_draws_for_a_seed():
    a = torch.rand(3, generator=seed_everything(5))
    b = torch.rand(3, generator=seed_everything(5))
    c = torch.rand(3, generator=seed_everything(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_latent_config_refuses_no_seeds():
    with pytest.raises(ValueError):
        LatentConfig(min_seeds=0)
