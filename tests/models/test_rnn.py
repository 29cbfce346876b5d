"""The Elman RNN against nn.RNN with copied weights (values and gradients), and its step / state."""

import pytest
import torch
from torch import nn

from dlclaims.models.rnn import ElmanRNN


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_equals_nn_rnn_with_copied_weights(layers, nonlinearity, bias):
    g = torch.Generator().manual_seed(layers)
    ours = ElmanRNN(5, 7, layers, nonlinearity=nonlinearity, bias=bias, generator=g)
    ref = nn.RNN(5, 7, layers, nonlinearity=nonlinearity, bias=bias, batch_first=True)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(3, 6, 5, generator=g, requires_grad=True)
    h0 = torch.randn(layers, 3, 7, generator=g)
    out, h = ours(x, h0)
    out_ref, h_ref = ref(x, h0)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(h, h_ref)
    w = torch.randn(out.shape, generator=g)
    gx, *gp = torch.autograd.grad((out * w).sum(), [x, *ours.parameters()])
    gx_ref, *gp_ref = torch.autograd.grad((out_ref * w).sum(), [x, *ref.parameters()])
    torch.testing.assert_close(gx, gx_ref)
    for a, b in zip(gp, gp_ref):
        torch.testing.assert_close(a, b)


def test_step_by_step_equals_the_sequence_pass():
    g = torch.Generator().manual_seed(0)
    rnn = ElmanRNN(4, 4, 2, generator=g)
    x = torch.randn(2, 5, 4, generator=g)
    out, h_last = rnn(x)
    h = rnn.init_state(2, like=x)
    for t in range(5):
        y, h = rnn.step(x[:, t], h)
        torch.testing.assert_close(y, out[:, t])
    torch.testing.assert_close(h, h_last)


def test_generate_feeds_outputs_back_and_state_is_l_b_n():
    g = torch.Generator().manual_seed(1)
    rnn = ElmanRNN(6, 6, 2, generator=g)
    x0 = torch.randn(3, 6, generator=g)
    ys = rnn.generate(x0, 4)
    assert ys.shape == (3, 4, 6)
    y1, h = rnn.step(x0, rnn.init_state(3, like=x0))
    y2, _ = rnn.step(y1, h)
    torch.testing.assert_close(ys[:, 1], y2)
    assert h.shape == (2, 3, 6)  # the carried state: (L, B, D)


@pytest.mark.parametrize("layers", [1, 3])
def test_step_major_pass_equals_the_layer_major_pass_values_and_gradients(layers):
    g = torch.Generator().manual_seed(layers)
    rnn = ElmanRNN(4, 5, layers, generator=g)
    x = torch.randn(2, 6, 4, generator=g, requires_grad=True)
    h0 = torch.randn(layers, 2, 5, generator=g)
    (a, ha), (b, hb) = rnn(x, h0), rnn.forward_steps(x, h0)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(ha, hb)
    w = torch.randn(a.shape, generator=g)
    for u, v in zip(torch.autograd.grad((a * w).sum(), [x, *rnn.parameters()]),
                    torch.autograd.grad((b * w).sum(), [x, *rnn.parameters()])):
        torch.testing.assert_close(u, v)


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError):
        ElmanRNN(0, 4)
    with pytest.raises(ValueError):
        ElmanRNN(3, 4).generate(torch.zeros(1, 3), 2)
