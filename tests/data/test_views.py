"""Shifted views, the fixed permutation, nested subsets, the canvas and the sawtooth target."""

import pytest
import torch

from dlclaims.core.errors import ConfigError
from dlclaims.data.canvas import load_canvas_tvt, paste, random_corners
from dlclaims.data.digits import load_digits_tvt
from dlclaims.data.sawtooth import sawtooth, tent_composed
from dlclaims.data.views import fixed_permutation, frame, nested_subsets, permute_pixels, shift


@pytest.mark.parametrize("dy,dx", [(1, 0), (0, -2), (-1, 1), (2, 2)])
def test_shift_moves_content_and_fills_zeros(dy, dx):
    x = torch.arange(1, 26, dtype=torch.float32).view(1, 5, 5)
    y = shift(x, dy, dx)
    for i in range(5):
        for j in range(5):
            src = (i - dy, j - dx)
            want = x[0, src[0], src[1]] if 0 <= src[0] < 5 and 0 <= src[1] < 5 else 0.0
            assert y[0, i, j] == want
    torch.testing.assert_close(shift(x.view(1, 25), dy, dx, side=5), y.view(1, 25))


@pytest.mark.parametrize("dy,dx", [(5, 0), (0, -5), (9, 9)])
def test_a_shift_as_large_as_the_image_is_bad_input(dy, dx):
    with pytest.raises(ConfigError, match="larger than"):
        shift(torch.zeros(2, 5, 5), dy, dx)


def test_permutation_is_fixed_by_its_seed_and_a_bijection():
    p = fixed_permutation(64, 7)
    assert torch.equal(p, fixed_permutation(64, 7)) and not torch.equal(p, fixed_permutation(64, 8))
    assert torch.equal(p.sort().values, torch.arange(64))
    x = torch.rand(3, 64)
    torch.testing.assert_close(permute_pixels(x, p)[:, p.argsort()], x)


def test_subsets_nest_and_size_zero_is_bad_input():
    subs = nested_subsets(100, [5, 20, 100], seed=0)
    assert [len(s) for s in subs] == [5, 20, 100]
    assert torch.equal(subs[1][:5], subs[0]) and len(set(subs[2].tolist())) == 100
    with pytest.raises(ConfigError, match="subset size"):
        nested_subsets(100, [0, 10], seed=0)


def test_canvas_keeps_every_digit_whole_inside_the_margin():
    x = torch.rand(10, 64)
    corners = random_corners(10, 16, 2, torch.Generator().manual_seed(0))
    assert int(corners.min()) >= 2 and int(corners.max()) <= 16 - 8 - 2
    c = paste(x, 16, corners).view(10, 16, 16)
    torch.testing.assert_close(c.sum((1, 2)), x.sum(1))
    r, col = corners[3].tolist()
    torch.testing.assert_close(c[3, r:r + 8, col:col + 8], x[3].view(8, 8))


@pytest.mark.parametrize("k", [1, 2, 4, 6])
def test_sawtooth_formula_equals_the_composed_tent_map(k):
    x = torch.linspace(0, 1, 1001, dtype=torch.float64)
    torch.testing.assert_close(sawtooth(x, k), tent_composed(x, k), atol=1e-12, rtol=0)


def test_k_below_one_is_bad_input():
    with pytest.raises(ConfigError, match="k must be at least 1"):
        sawtooth(torch.zeros(3), 0)


def test_frame_keeps_every_pixel_and_a_shift_inside_it_loses_nothing():
    x = torch.rand(3, 64) + 0.1
    f = frame(x, 8, 2)
    assert f.shape == (3, 144)
    torch.testing.assert_close(f.view(3, 12, 12)[:, 2:10, 2:10], x.view(3, 8, 8))
    for dy, dx in ((2, 0), (0, -2), (1, 1)):
        torch.testing.assert_close(shift(f, dy, dx, side=12).sum(1), x.sum(1))


def test_canvas_positions_and_split_vary_with_the_seed():
    a, b = load_canvas_tvt(14, margin=2, seed=0), load_canvas_tvt(14, margin=2, seed=1)
    assert a.x_train.shape[1] == 196 and len(a.x_val) > 0
    assert not torch.equal(a.x_test, b.x_test)
    torch.testing.assert_close(a.x_train.sum(1), load_digits_tvt(0).x_train.sum(1))  # whole digits pasted
    img = a.x_train.view(-1, 14, 14)
    assert float(img[:, :2].abs().sum() + img[:, -2:].abs().sum()) == 0.0  # the margin stays blank
