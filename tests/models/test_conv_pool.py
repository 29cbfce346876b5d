"""The conv -> ReLU -> max-pool stack: shapes, parameter count, seeded init, forward = layers()."""

import pytest
import torch

from dlclaims.models.conv_pool import ConvPoolCNN
from dlclaims.models.mlp import n_params


@pytest.mark.parametrize("side,c1,c2", [(8, 4, 8), (14, 3, 6), (12, 2, 5)])
def test_shapes_and_parameter_count(side, c1, c2):
    net = ConvPoolCNN(side, (c1, c2), generator=torch.Generator().manual_seed(0))
    q = side // 2 // 2
    assert n_params(net) == 10 * c1 + (9 * c1 + 1) * c2 + (c2 * q * q + 1) * 10
    lay = net.layers(torch.rand(3, side * side))
    assert lay["pool1"].shape == (3, c1, side // 2, side // 2) and lay["pool2"].shape == (3, c2, q, q)
    assert lay["flat"].shape == (3, c2 * q * q) and lay["logits"].shape == (3, 10)


def test_forward_equals_layers_and_seed_fixes_the_model():
    a = ConvPoolCNN(8, generator=torch.Generator().manual_seed(5))
    b = ConvPoolCNN(8, generator=torch.Generator().manual_seed(5))
    c = ConvPoolCNN(8, generator=torch.Generator().manual_seed(6))
    x = torch.rand(4, 1, 8, 8)
    torch.testing.assert_close(a(x), a.layers(x)["logits"])
    assert torch.equal(a(x), b(x)) and not torch.equal(a(x), c(x))


def test_a_few_hundred_parameters_on_8x8_digits_and_fewer_than_the_one_pool_flatten_head():
    from dlclaims.models.cnn import CNN

    small = ConvPoolCNN(8, (4, 8))
    assert n_params(small) == 666  # 40 + 296 + 330
    assert n_params(small) < n_params(CNN(8, (4, 8), head="flatten"))


def test_too_small_an_image_is_refused():
    with pytest.raises(ValueError):
        ConvPoolCNN(3)
