"""Update rules against iterates computed by hand."""

import math

import pytest
import torch

from dlclaims.games.bilinear import simulate


def test_alternating_eta_1_gives_the_period_6_table():
    p, q = simulate("alternating", [1.0], 6)
    assert q[:, 0].tolist() == [1, 2, 1, -1, -2, -1, 1]
    assert p[:, 0].tolist() == [1, -1, -2, -1, 1, 2, 1]


def test_simultaneous_first_steps_by_hand():
    # p' = p - eta q, q' = q + eta p with eta = 0.5 from (1, 1): (0.5, 1.5), then (-0.25, 1.75)
    p, q = simulate("simultaneous", [0.5], 2)
    assert p[:, 0].tolist() == pytest.approx([1, 0.5, -0.25])
    assert q[:, 0].tolist() == pytest.approx([1, 1.5, 1.75])


def test_extragradient_first_step_by_hand():
    # look-ahead (1 - .5, 1 + .5) = (.5, 1.5); then p = 1 - .5*1.5 = .25, q = 1 + .5*.5 = 1.25
    p, q = simulate("extragradient", [0.5], 1)
    assert (p[1, 0].item(), q[1, 0].item()) == pytest.approx((0.25, 1.25))


def test_optimistic_first_two_steps_by_hand():
    # step 1 (no history): plain simultaneous: (0.5, 1.5)
    # step 2: p = .5 - 2*.5*1.5 + .5*1 = -0.5 ; q = 1.5 + 2*.5*.5 - .5*1 = 1.5
    p, q = simulate("optimistic", [0.5], 2)
    assert p[:, 0].tolist() == pytest.approx([1, 0.5, -0.5])
    assert q[:, 0].tolist() == pytest.approx([1, 1.5, 1.5])


@pytest.mark.parametrize("eta", [0.1, 0.7, 1.3])
def test_simultaneous_radius_grows_by_sqrt_1_plus_eta_squared(eta):
    p, q = simulate("simultaneous", [eta], 10)
    r = torch.hypot(p, q)[:, 0]
    assert (r[1:] / r[:-1]).tolist() == pytest.approx([math.sqrt(1 + eta**2)] * 10)


def test_many_etas_at_once_match_one_at_a_time():
    both = simulate("extragradient", [0.2, 0.9], 30)
    one = simulate("extragradient", [0.9], 30)
    assert torch.allclose(both[0][:, 1], one[0][:, 0]) and torch.allclose(both[1][:, 1], one[1][:, 0])


def test_diverging_runs_are_frozen_at_inf():
    p, _ = simulate("simultaneous", [1.9], 2000, clip=1e50)
    assert math.isinf(p[-1, 0].item())
