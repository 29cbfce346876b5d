"""The stacked kernels (batched matmuls, one grouped convolution) equal each member alone, forward and trained."""

import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

import dlclaims.core.multiseed as ms
from dlclaims.core.multiseed import StackedModels, fit_stacked, train_one
from dlclaims.models.cnn import CNN
from dlclaims.models.conv_pool import ConvPoolCNN
from dlclaims.models.mlp import MLP


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    x = torch.tensor(d.data[:300], dtype=torch.float32) / 16.0  # (N, 64): 8x8 images
    y = torch.tensor(d.target[:300], dtype=torch.int64)
    return x, y


def cnn(head: str, pool: str = "max", side: int = 8):
    return lambda g: CNN(side, (3, 5), 10, head=head, pool=pool, generator=g)  # type: ignore[arg-type]


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("head", ["pooled", "flatten"])
def test_grouped_conv_stack_equals_each_cnn(digits, head, pool):
    x, _ = digits
    seeds = [0, 1, 2, 7]
    stack = StackedModels.create(cnn(head, pool), seeds)
    assert stack.kernel is not None  # the grouped-convolution kernel, not vmap
    xs = torch.stack([x[:20], x[20:40], x[40:60], x[60:80]])  # (S, N, 64) per member
    with torch.no_grad():
        out = stack(xs, per_seed_input=True)  # (S, N, 10)
        shared = stack(x[:20])  # (S, N, 10) one input for all
        for i, s in enumerate(seeds):
            alone = cnn(head, pool)(torch.Generator().manual_seed(s))
            torch.testing.assert_close(out[i], alone(xs[i]), atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(shared[i], alone(x[:20]), atol=1e-5, rtol=1e-5)
            # image-shaped input (B, 1, H, W) too
            torch.testing.assert_close(stack(x[:20].view(-1, 1, 8, 8))[i], shared[i], atol=1e-6, rtol=1e-6)


def assert_stack_trains_like_each_member(make, x, y, *, kernel: bool = False) -> None:
    """Three members (seeds 0, 0, 4; own lr and data) trained stacked equal each trained alone (losses, weights)."""
    seeds, lrs = [0, 0, 4], [0.01, 0.03, 0.02]
    stack = StackedModels.create(make, seeds)
    if kernel:
        assert stack.kernel is not None
    xs, ys = torch.stack([x[:100], x[100:200], x[200:300]]), torch.stack([y[:100], y[100:200], y[200:300]])
    hist = fit_stacked(stack, xs, ys, loss=F.cross_entropy, steps=12, batch_size=32, lr=lrs,
                       per_member_data=True).history
    for i, (s, lr) in enumerate(zip(seeds, lrs)):
        alone = make(torch.Generator().manual_seed(s))
        h1 = train_one(alone, xs[i], ys[i], seed=s, loss=F.cross_entropy, steps=12, batch_size=32, lr=lr)
        assert [h[i] for h in hist] == pytest.approx(h1, abs=1e-5)
        for name, p in alone.named_parameters():
            torch.testing.assert_close(stack.params[name][i], p, atol=1e-5, rtol=1e-5, msg=name)


@pytest.mark.parametrize("head", ["pooled", "flatten"])
def test_stacked_cnn_training_equals_each_member_alone(digits, head):
    x, y = digits
    assert_stack_trains_like_each_member(cnn(head), x, y)


def test_mlp_kernel_equals_each_mlp_and_a_sequential_too(digits):
    x, _ = digits
    for make in (lambda g: MLP(64, (16, 8), 10, generator=g),
                 lambda g: nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10))):
        stack = StackedModels.create(make, [3, 5])
        assert stack.kernel is not None
        out = stack(x[:9])  # (S, N, 10)
        for i, s in enumerate((3, 5)):
            torch.manual_seed(s)  # nn.Linear's own init draws from the global generator
            alone = make(torch.Generator().manual_seed(s))
            alone.load_state_dict({k: v[i] for k, v in stack.params.items()})
            torch.testing.assert_close(out[i], alone(x[:9]), atol=1e-6, rtol=1e-6)


class Tanh2(nn.Module):
    """A model without a kernel: the trainer falls back to vmap(functional_call)."""

    def __init__(self, g: torch.Generator) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(64, 10, generator=g) * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.w) * 3


def test_unknown_models_use_vmap_and_still_train_as_alone(digits):
    x, y = digits
    stack = StackedModels.create(Tanh2, [0, 1])
    assert stack.kernel is None
    hist = fit_stacked(stack, x, y, loss=F.cross_entropy, steps=10, batch_size=16, lr=[0.1, 0.02]).history
    for i, (s, lr) in enumerate(((0, 0.1), (1, 0.02))):
        alone = Tanh2(torch.Generator().manual_seed(s))
        h1 = train_one(alone, x, y, seed=s, loss=F.cross_entropy, steps=10, batch_size=16, lr=lr)
        assert [h[i] for h in hist] == pytest.approx(h1, abs=1e-5)
        torch.testing.assert_close(stack.params["w"][i], alone.w, atol=1e-5, rtol=1e-5)


def test_a_kernel_that_disagrees_with_the_module_is_not_used(digits, monkeypatch):
    x, _ = digits
    wrong = ms._mlp_kernel([("0.weight", None), ("2.weight", "2.bias")])  # drops the first bias
    monkeypatch.setattr(ms, "_kernel_and_input", lambda base: (wrong, (64,)))
    stack = StackedModels.create(lambda g: nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10)), [0, 1])
    assert stack.kernel is None
    ref = StackedModels.create(lambda g: nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10)), [0, 1])
    ref.params = {k: v.detach().clone() for k, v in stack.params.items()}
    torch.testing.assert_close(stack(x[:4]), ref._vmapped(ref.params, x[:4], False))


def test_mse_regression_and_sgd_with_weight_decay_equal_each_member_alone(digits):
    x, y = digits
    target = torch.nn.functional.one_hot(y, 10).float()  # (N, 10)

    def make(g):
        return MLP(64, (8,), 10, generator=g)

    stack = StackedModels.create(make, [2, 3])
    fit_stacked(stack, x, target, loss=F.mse_loss, steps=15, batch_size=32, lr=[0.2, 0.05], optimizer="sgd",
                weight_decay=1e-2)
    for i, (s, lr) in enumerate(((2, 0.2), (3, 0.05))):
        alone = make(torch.Generator().manual_seed(s))
        train_one(alone, x, target, seed=s, loss=F.mse_loss, steps=15, batch_size=32, lr=lr, optimizer="sgd",
                  weight_decay=1e-2)
        for name, p in alone.named_parameters():
            torch.testing.assert_close(stack.params[name][i], p, atol=1e-5, rtol=1e-5, msg=name)


def test_training_leaves_the_stacks_own_tensors_updated_and_without_gradients(digits):
    x, y = digits
    stack = StackedModels.create(lambda g: MLP(64, (8,), 10, generator=g), [0, 1])
    before = {k: v for k, v in stack.params.items()}
    w0 = before["out.weight"].detach().clone()
    fit_stacked(stack, x, y, loss=F.cross_entropy, steps=5, batch_size=16, lr=0.05)
    assert all(stack.params[k] is before[k] for k in before)  # the same tensors, trained in place
    assert not torch.allclose(stack.params["out.weight"], w0)
    assert all(v.grad is None and v.requires_grad for v in stack.params.values())


def conv_pool(side: int = 8, channels: tuple[int, int] = (3, 5)):
    return lambda g: ConvPoolCNN(side, channels, 10, generator=g)


@pytest.mark.parametrize("side", [8, 14, 11])  # 14 -> 7 -> 3 and 11 -> 5 -> 2: odd maps lose a row and column
def test_conv_pool_kernel_equals_each_member(side):
    x = torch.rand(80, side * side, generator=torch.Generator().manual_seed(side))  # (N, side^2)
    seeds = [0, 1, 2, 7]
    stack = StackedModels.create(conv_pool(side), seeds)
    assert stack.kernel is not None  # the stacked conv-pool kernel, not vmap
    xs = x.view(4, 20, -1)  # (S, N, side^2) per member
    with torch.no_grad():
        out = stack(xs, per_seed_input=True)  # (S, N, 10)
        shared = stack(x[:20])
        for i, s in enumerate(seeds):
            alone = conv_pool(side)(torch.Generator().manual_seed(s))
            torch.testing.assert_close(out[i], alone(xs[i]), atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(shared[i], alone(x[:20]), atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(stack(x[:20].view(-1, 1, side, side))[i], shared[i], atol=1e-6, rtol=1e-6)


def test_conv_pool_kernel_reads_the_head_in_flatten_order():
    # a head that sees one feature only: the logit is that pooled pixel of that channel (after the ReLU)
    stack = StackedModels.create(conv_pool(14, (2, 3)), [0, 1])
    c, i, j = 2, 1, 0  # channel 2, row 1, column 0 of the (3, 3, 3) pooled map
    with torch.no_grad():
        stack.params["head.weight"].zero_()
        stack.params["head.bias"].zero_()
        stack.params["head.weight"][1, 4, c * 9 + i * 3 + j] = 1.0
    x = torch.rand(5, 196, generator=torch.Generator().manual_seed(3))
    alone = stack.unstack()[1]
    with torch.no_grad():
        want = alone.layers(x)["pool2"][:, c, i, j].relu()  # (N,)
        out = stack(x)  # (S, N, 10)
    assert stack.kernel is not None
    assert float(want.abs().max()) > 0  # the test can see a misplaced feature
    torch.testing.assert_close(out[1, :, 4], want, atol=1e-6, rtol=1e-6)
    assert float(out[0].abs().max()) == 0.0 and float(out[1, :, :4].abs().max()) == 0.0


@pytest.mark.parametrize("side", [8, 14])
def test_stacked_conv_pool_training_equals_each_member_alone(digits, side):
    x, y = digits
    if side != 8:  # the digit pasted in a 14x14 blank frame, off centre
        x = F.pad(x.view(-1, 8, 8), (1, 5, 4, 2)).reshape(len(x), -1)
    assert_stack_trains_like_each_member(conv_pool(side), x, y, kernel=True)
