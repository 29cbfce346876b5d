"""The multi-seed trainer (stack + vmap) equals training each seed alone."""

import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from dlclaims.core.multiseed import (
    StackedModels,
    fit_stacked,
    member_batches,
    seed_batches,
    train_one,
    train_stacked,
)


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


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_per_member_learning_rates_equal_each_member_alone(digits, optimizer):
    x, y = digits
    seeds, lrs = [0, 0, 3], [0.05, 0.01, 0.02]  # members 0 and 1: one seed, two learning rates
    stack = StackedModels.create(small_mlp, seeds)
    hist = train_stacked(stack, x, y, loss=F.cross_entropy, steps=20, batch_size=32, lr=lrs, optimizer=optimizer,
                         weight_decay=1e-3)
    for i, (s, lr) in enumerate(zip(seeds, lrs)):
        alone = small_mlp(torch.Generator().manual_seed(s))
        h1 = train_one(alone, x, y, seed=s, loss=F.cross_entropy, steps=20, batch_size=32, lr=lr,
                       optimizer=optimizer, weight_decay=1e-3)
        assert [h[i] for h in hist] == pytest.approx(h1, abs=1e-5)
        for name, p in alone.named_parameters():
            assert torch.allclose(stack.params[name][i], p, atol=1e-5), name
    assert not torch.allclose(stack.params["0.weight"][0], stack.params["0.weight"][1])


def test_per_member_data_and_subsets_equal_training_on_that_data(digits):
    x, y = digits
    subs = [torch.arange(0, 100), torch.arange(150, 400)]  # different sizes
    stack = StackedModels.create(small_mlp, [1, 2])
    train_stacked(stack, x, y, loss=F.cross_entropy, steps=15, batch_size=32, lr=0.02, subsets=subs)
    xs = torch.stack([x[:200], x[200:]])  # (S, N, 64): each member its own rows
    ys = torch.stack([y[:200], y[200:]])
    stack2 = StackedModels.create(small_mlp, [1, 2])
    train_stacked(stack2, xs, ys, loss=F.cross_entropy, steps=15, batch_size=32, lr=0.02, per_member_data=True)
    for i, (s, sub) in enumerate(zip([1, 2], subs)):
        alone = small_mlp(torch.Generator().manual_seed(s))
        train_one(alone, x[sub], y[sub], seed=s, loss=F.cross_entropy, steps=15, batch_size=32, lr=0.02)
        assert torch.allclose(stack.params["0.weight"][i], alone[0].weight, atol=1e-5)
        alone = small_mlp(torch.Generator().manual_seed(s))
        train_one(alone, xs[i], ys[i], seed=s, loss=F.cross_entropy, steps=15, batch_size=32, lr=0.02)
        assert torch.allclose(stack2.params["0.weight"][i], alone[0].weight, atol=1e-5)


def test_member_batches_of_a_small_set_cover_it_evenly():
    idx = member_batches(10, 32, 5, seed=0)
    assert idx.shape == (5, 32)
    counts = torch.bincount(idx[0], minlength=10)
    assert int(counts.min()) >= 3 and int(counts.max()) <= 4


def test_early_stopping_keeps_each_members_best_validation_parameters(digits):
    x, y = digits
    stack = StackedModels.create(small_mlp, [0, 1])
    fit = fit_stacked(stack, x[:300], y[:300], loss=F.cross_entropy, steps=40, batch_size=32, lr=[0.05, 3.0],
                      val=(x[300:], y[300:]), eval_every=10)
    assert [e[0] for e in fit.evals] == [10, 20, 30, 40]
    with torch.no_grad():
        acc = (stack(x[300:]).argmax(-1) == y[300:]).float().mean(1)
    for i in range(2):
        scores = [e[1][i] for e in fit.evals]
        assert fit.best_score[i] == pytest.approx(max(scores))
        assert fit.best_step[i] == fit.evals[scores.index(max(scores))][0]
        assert float(acc[i]) == pytest.approx(fit.best_score[i])


def test_a_learning_rate_per_member_must_match_the_stack(digits):
    x, y = digits
    with pytest.raises(ValueError, match="one learning rate per member"):
        train_stacked(StackedModels.create(small_mlp, [0, 1]), x, y, loss=F.cross_entropy, steps=1,
                      batch_size=8, lr=[0.1, 0.2, 0.3])


def test_from_models_stacks_ready_models_and_checks_the_count(digits):
    x, _ = digits
    models = [small_mlp(torch.Generator().manual_seed(s)) for s in (4, 9)]
    stack = StackedModels.from_models(models, [4, 9])
    out = stack(x[:5])
    for i, m in enumerate(models):
        torch.testing.assert_close(out[i], m(x[:5]))
    with pytest.raises(ValueError, match="2 models for 3 seeds"):
        StackedModels.from_models(models, [1, 2, 3])
