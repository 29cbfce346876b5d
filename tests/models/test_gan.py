import math

import torch
import torch.nn.functional as F

from dlclaims.data.toy2d import (
    energy_distance,
    mixture_log_prob,
    mixture_means,
    modes_covered,
    sample_mixture,
)
from dlclaims.models.gan import Discriminator, Generator, gan_losses


def test_shapes_and_losses_equal_bce_oracle() -> None:
    G = Generator(d_noise=3, hidden=8, depth=2, generator=torch.Generator().manual_seed(0))
    D = Discriminator(hidden=8, depth=2, generator=torch.Generator().manual_seed(1))
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(2))
    z = torch.randn(6, 3, generator=torch.Generator().manual_seed(3))
    assert G(z).shape == (6, 2) and D(x).shape == (6,)
    d_loss, g_loss = gan_losses(G, D, x, z)
    real, fake = D(x), D(G(z))
    ref_d = F.binary_cross_entropy_with_logits(real, torch.ones(6)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros(6))
    ref_g = F.binary_cross_entropy_with_logits(fake, torch.ones(6))
    torch.testing.assert_close(d_loss, ref_d)
    torch.testing.assert_close(g_loss, ref_g)
    assert G.sample(4, generator=torch.Generator().manual_seed(0)).shape == (4, 2)


def test_data_from_the_mixture_covers_every_mode_and_a_collapsed_sample_one() -> None:
    means = mixture_means("ring", 8, radius=2.0)
    x, _ = sample_mixture(2000, k=8, std=0.05, generator=torch.Generator().manual_seed(0))
    covered, share = modes_covered(x, means, 0.05)
    assert covered == 8 and share > 0.95
    collapsed = means[3] + 0.05 * torch.randn(500, 2, generator=torch.Generator().manual_seed(1))
    assert modes_covered(collapsed, means, 0.05)[0] == 1


def test_energy_distance_is_zero_for_identical_sets_and_grows_with_a_shift() -> None:
    x, _ = sample_mixture(300, generator=torch.Generator().manual_seed(0))
    assert abs(energy_distance(x, x)) < 1e-5
    d1, d2 = energy_distance(x, x + 0.5), energy_distance(x, x + 1.5)
    assert 0 < d1 < d2


def test_mixture_log_prob_of_one_component_is_the_gaussian_density() -> None:
    means = mixture_means("grid", 1)
    x = torch.tensor([[0.1, -0.2]])
    ref = -0.5 * 0.05 / 0.25 - math.log(2 * math.pi * 0.25)
    assert abs(float(mixture_log_prob(x, means, 0.5)) - ref) < 1e-5
