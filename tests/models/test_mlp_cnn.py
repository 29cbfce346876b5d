"""MLP, padded one-hidden-layer nets, the exact sawtooth, and the CNN's kernel algebra (oracles)."""

import pytest
import torch
import torch.nn.functional as F

from dlclaims.data.sawtooth import count_pieces, grid, sawtooth
from dlclaims.models.cnn import CNN, compose_kernels, stacked_convs
from dlclaims.models.locally_connected import LocallyConnected
from dlclaims.models.mlp import MLP, ShallowReLU, n_params, sawtooth_mlp, shallow_sawtooth_mlp


def test_mlp_shapes_params_and_seeded_init():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, b = MLP(64, (16, 8), 10, generator=g1), MLP(64, (16, 8), 10, generator=g2)
    assert a(torch.rand(5, 64)).shape == (5, 10)
    assert n_params(a) == 64 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("width,pad", [(1, 4), (3, 8), (8, 8)])
def test_padded_shallow_net_equals_its_unpadded_width(width, pad):
    net = ShallowReLU(1, width, 2, pad_to=pad, generator=torch.Generator().manual_seed(0))
    ref = MLP(1, (width,), 2)
    with torch.no_grad():
        ref.hidden[0].weight.copy_(net.inner.weight[:width])
        ref.hidden[0].bias.copy_(net.inner.bias[:width])
        ref.out.weight.copy_(net.outer.weight[:, :width])
        ref.out.bias.copy_(net.outer.bias)
    x = torch.randn(7, 1)
    torch.testing.assert_close(net(x), ref(x))
    net(x).sum().backward()
    assert net.inner.weight.grad[width:].abs().sum() == 0 and net.outer.weight.grad[:, width:].abs().sum() == 0


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_exact_sawtooth_nets_equal_the_formula(k):
    x = grid(3000)
    for net in (sawtooth_mlp(k).double(), shallow_sawtooth_mlp(k).double()):
        with torch.no_grad():
            torch.testing.assert_close(net(x), sawtooth(x, k), atol=1e-10, rtol=0)
    deep = sawtooth_mlp(k)
    assert sum(layer.out_features for layer in deep.hidden) == 2 * k
    assert count_pieces(deep.double(), 1 << 12)["pieces"] == 2**k


def test_one_hidden_layer_has_at_most_width_plus_one_pieces():
    for seed in range(5):
        net = ShallowReLU(1, 12, 1, kinks_in=(0.0, 1.0), slope_scale=5.0,
                          generator=torch.Generator().manual_seed(seed)).double()
        assert count_pieces(net, 1 << 12)["pieces"] <= 13


@pytest.mark.parametrize("c0,c1,c2,a,b", [(1, 1, 1, 3, 3), (2, 3, 4, 3, 5), (3, 2, 1, 1, 3)])
def test_composed_kernel_equals_stacked_convolution(c0, c1, c2, a, b):
    g = torch.Generator().manual_seed(c0 + c1 + c2)
    k1 = torch.randn(c1, c0, a, a, generator=g, dtype=torch.float64)
    k2 = torch.randn(c2, c1, b, b, generator=g, dtype=torch.float64)
    x = torch.randn(2, c0, 11, 11, generator=g, dtype=torch.float64)
    k = compose_kernels(k1, k2)
    assert k.shape == (c2, c0, a + b - 1, a + b - 1)
    torch.testing.assert_close(F.conv2d(x, k), stacked_convs(x, [k1, k2]), atol=1e-12, rtol=1e-12)


def test_relu_and_maxpool_break_superposition_avgpool_does_not():
    g = torch.Generator().manual_seed(0)
    ks = [torch.randn(3, 1, 3, 3, generator=g, dtype=torch.float64),
          torch.randn(2, 3, 3, 3, generator=g, dtype=torch.float64)]
    x, y = torch.randn(2, 1, 9, 9, generator=g, dtype=torch.float64).unbind(0)
    x, y = x[None], y[None]

    def resid(between):
        f = lambda z: stacked_convs(z, ks, between=between)
        return float((f(x - 2 * y) - (f(x) - 2 * f(y))).norm())

    assert resid("none") < 1e-10 and resid("avgpool") < 1e-10
    assert resid("relu") > 1e-3 and resid("maxpool") > 1e-3


def test_cnn_shapes_and_interior_equivariance_of_the_first_conv():
    net = CNN(8, (4, 8), generator=torch.Generator().manual_seed(1))
    x = torch.rand(3, 64)
    layers = net.layers(x)
    assert layers["conv1"].shape == (3, 4, 8, 8) and layers["pool1"].shape == (3, 4, 4, 4)
    assert layers["logits"].shape == (3, 10) and torch.equal(net(x), layers["logits"])
    img = F.pad(x.view(3, 1, 8, 8), (3, 3, 3, 3))
    moved = torch.roll(img, 1, dims=-1)  # content stays inside the zero border
    a, b = net.layers(moved)["conv1"], torch.roll(net.layers(img)["conv1"], 1, dims=-1)
    torch.testing.assert_close(a[..., 2:-2, 2:-2], b[..., 2:-2, 2:-2])


@pytest.mark.parametrize("head", ["pooled", "flatten"])
def test_cnn_heads_parameter_counts_and_layers(head):
    net = CNN(12, (4, 8), head=head, generator=torch.Generator().manual_seed(0))
    d_head = 8 if head == "pooled" else 8 * 6 * 6
    assert n_params(net) == 4 * 10 + 8 * (9 * 4 + 1) + (d_head + 1) * 10
    lay = net.layers(torch.rand(2, 144))
    assert lay["relu2"].shape == (2, 8, 6, 6) and lay["gap" if head == "pooled" else "flat"].shape == (2, d_head)


def test_locally_connected_with_copied_kernels_is_the_cnn_and_trained_apart_is_not_equivariant():
    g = torch.Generator().manual_seed(2)
    cnn = CNN(12, (3, 5), head="pooled", generator=g)
    lc = LocallyConnected.from_cnn(cnn)
    x = torch.rand(4, 144, generator=g)
    torch.testing.assert_close(lc(x), cnn(x), atol=1e-5, rtol=1e-5)
    for k in ("conv1", "relu2"):
        torch.testing.assert_close(lc.layers(x)[k], cnn.layers(x)[k], atol=1e-5, rtol=1e-5)
    free = LocallyConnected(12, (3, 5), generator=g)  # independent kernels per position
    img = F.pad(torch.rand(2, 1, 8, 8, generator=g), (2, 2, 2, 2))
    moved = torch.roll(img, 1, dims=-1)
    for net, equivariant in ((cnn, True), (free, False)):
        a, b = net.layers(moved)["conv1"], torch.roll(net.layers(img)["conv1"], 1, dims=-1)
        err = float(((a - b)[..., 2:-2, 2:-2].norm() / b[..., 2:-2, 2:-2].norm()).detach())
        assert (err < 1e-5) == equivariant
