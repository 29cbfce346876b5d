"""The multi-seed trainer (stack + vmap) equals training each seed alone."""

import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from dlclaims.core.multiseed import StackedModels, seed_batches, train_one, train_stacked


def small_mlp(g: torch.Generator) -> nn.Module:
    m = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return m


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    x = torch.tensor(d.data[:400], dtype=torch.float32) / 16.0
    y = torch.tensor(d.target[:400], dtype=torch.int64)
    return x, y


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_stacked_training_equals_each_seed_alone(digits, optimizer):
    x, y = digits
    seeds = [0, 1, 5]
    stack = StackedModels.create(small_mlp, seeds)
    hist = train_stacked(stack, x, y, loss=F.cross_entropy, steps=25, batch_size=32, lr=0.05, optimizer=optimizer)
    for i, s in enumerate(seeds):
        alone = small_mlp(torch.Generator().manual_seed(s))
        h1 = train_one(alone, x, y, seed=s, loss=F.cross_entropy, steps=25, batch_size=32, lr=0.05,
                       optimizer=optimizer)
        assert [h[i] for h in hist] == pytest.approx(h1, abs=1e-5)
        for name, p in alone.named_parameters():
            assert torch.allclose(stack.params[name][i], p, atol=1e-5), name


def test_seeds_differ_and_unstack_roundtrips(digits):
    x, _ = digits
    stack = StackedModels.create(small_mlp, [0, 1])
    out = stack(x[:8])  # (S, N, 10)
    assert out.shape == (2, 8, 10)
    assert not torch.allclose(out[0], out[1])
    models = stack.unstack()
    for i, m in enumerate(models):
        assert torch.allclose(m(x[:8]), out[i], atol=1e-6)


def test_seed_batches_cover_each_epoch_once():
    idx = seed_batches(100, 10, 20, seed=3)  # two epochs of 10 batches
    assert idx.shape == (20, 10)
    assert sorted(idx[:10].flatten().tolist()) == list(range(100))
    assert not torch.equal(idx[:10], idx[10:])
    assert not torch.equal(seed_batches(100, 10, 20, seed=4), idx)
