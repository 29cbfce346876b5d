"""Adam written out against torch.optim.Adam, and the plain-running-mean variant's moments."""

import pytest
import torch

from dlclaims.optim.adam import Adam, MeanAdam, ema_first_moment, mean_first_moment


def _model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2)).double()


@pytest.mark.parametrize("lr,betas,eps", [(1e-3, (0.9, 0.999), 1e-8), (3e-2, (0.5, 0.9), 1e-6), (0.1, (0.0, 0.99), 1e-8)])
def test_adam_equals_torch_adam_step_for_step(lr, betas, eps):
    ours, ref = _model(0), _model(0)
    opt_a = Adam(ours.parameters(), lr=lr, betas=betas, eps=eps)
    opt_b = torch.optim.Adam(ref.parameters(), lr=lr, betas=betas, eps=eps)
    g = torch.Generator().manual_seed(1)
    for _ in range(40):
        x = torch.randn(8, 5, generator=g, dtype=torch.float64)
        for model, opt in ((ours, opt_a), (ref, opt_b)):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
        for p, q in zip(ours.parameters(), ref.parameters()):
            torch.testing.assert_close(p, q, atol=1e-14, rtol=1e-12)


def test_mean_variant_moments_are_plain_means_and_first_step_equals_adam():
    g = torch.Generator().manual_seed(0)
    grads = torch.randn(25, 4, generator=g, dtype=torch.float64)
    p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    q = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    mean_opt, adam = MeanAdam([p], lr=0.1), Adam([q], lr=0.1)
    for t, gr in enumerate(grads, start=1):
        p.grad, q.grad = gr.clone(), gr.clone()
        mean_opt.step()
        adam.step()
        if t == 1:  # mhat = g and vhat = g^2 for both
            torch.testing.assert_close(p, q)
        torch.testing.assert_close(mean_opt.first_moment(p), grads[:t].mean(0))
        torch.testing.assert_close(mean_opt.state[p]["v"] * t, (grads[:t] ** 2).sum(0))


def test_first_moment_helpers_match_their_recurrences():
    g = torch.randn(30, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    torch.testing.assert_close(mean_first_moment(g)[-1], g.mean(0))
    m = torch.zeros(3, dtype=torch.float64)
    for t in range(30):
        m = 0.8 * m + 0.2 * g[t]
    torch.testing.assert_close(ema_first_moment(g, 0.8)[-1], m / (1 - 0.8**30))
    torch.testing.assert_close(ema_first_moment(g, 0.8, correct=False)[-1], m)


@pytest.mark.parametrize("kw", [{"lr": 0.0}, {"betas": (1.0, 0.9)}, {"eps": -1.0}])
def test_bad_hyperparameters_are_refused(kw):
    with pytest.raises(ValueError):
        Adam([torch.zeros(1, requires_grad=True)], **kw)
