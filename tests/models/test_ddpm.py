import math

import pytest
import torch

from dlclaims.models.ddpm import DDPM, SCHEDULES, make_betas, normal_kl


def _ddpm(T: int = 4, schedule: str = "linear", seed: int = 0) -> DDPM:
    return DDPM(d=2, T=T, schedule=schedule, hidden=16, t_dim=8, depth=2,
                generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("T", [1, 2, 10, 1000])
def test_abar_decreases_and_stays_in_the_unit_interval(schedule: str, T: int) -> None:
    betas = make_betas(schedule, T)
    abar = torch.cumprod(1 - betas, 0)
    assert betas.shape == (T,) and torch.all((betas > 0) & (betas < 1))
    assert torch.all(abar[1:] < abar[:-1]) and 0 < float(abar[-1]) < 1


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_q_xt_given_x0_matches_the_iterated_forward_process(schedule: str) -> None:
    m = _ddpm(T=6, schedule=schedule)
    n = 80_000
    x0 = torch.tensor([[1.5, -0.5]]).expand(n, 2)
    g = torch.Generator().manual_seed(0)
    x = x0
    for t in range(1, 7):
        tt = torch.full((n,), t)
        x = m.q_step(x, tt, torch.randn(x.shape, generator=g))
        closed = m.q_sample(x0, tt, torch.randn(x.shape, generator=g))
        # both are Gaussian: compare the empirical mean and variance with each other and with theory
        ab = float(m.abar[t - 1])
        for sample in (x, closed):
            torch.testing.assert_close(sample.mean(0), math.sqrt(ab) * x0[0], atol=0.015, rtol=0)
            torch.testing.assert_close(sample.var(0), torch.full((2,), 1 - ab), atol=0.015, rtol=0)


def test_bound_terms_add_up_to_the_bound() -> None:
    """E[-log w] over forward chains equals L_0 + sum L_{t-1} + L_T (both are -ELBO)."""
    m = _ddpm(T=4, seed=3)
    n = 15_000
    x0 = torch.tensor([[0.3, -1.0], [1.2, 0.4]]).repeat(n, 1)  # (2n, 2)
    with torch.no_grad():
        terms = m.bound_terms(x0, generator=torch.Generator().manual_seed(1)).view(n, 2, -1)  # (n, 2, T + 1)
        lw = m.log_weight(x0, generator=torch.Generator().manual_seed(2)).view(n, 2)
    assert terms.shape[-1] == m.T + 1
    total = terms.sum(-1)  # (n, 2)
    se = torch.sqrt(total.var(0) / n + lw.var(0) / n)
    assert torch.all((total.mean(0) + lw.mean(0)).abs() < 4 * se)
    torch.testing.assert_close(m.neg_elbo(x0[:2], generator=torch.Generator().manual_seed(5)),
                               m.bound_terms(x0[:2], generator=torch.Generator().manual_seed(5)).sum(-1))


def test_prior_term_is_the_closed_form_kl_and_has_no_gradient() -> None:
    m = _ddpm(T=5)
    x0 = torch.randn(7, 2, generator=torch.Generator().manual_seed(0))
    lt = m.prior_term(x0)
    ab = m.abar[-1]
    ref = normal_kl(ab.sqrt() * x0, (1 - ab).expand(1), torch.zeros_like(x0), torch.ones(1))
    torch.testing.assert_close(lt, ref)
    assert torch.all(lt >= 0)
    assert not lt.requires_grad  # no parameter of the model enters L_T
    bound = m.bound_terms(x0, generator=torch.Generator().manual_seed(1))
    grads = torch.autograd.grad(bound[:, -1].sum(), list(m.parameters()), allow_unused=True)
    assert all(g is None or bool(torch.all(g == 0)) for g in grads)  # exactly zero


def test_loss_bound_weight_at_t1_matches_l0() -> None:
    """The bound weighting w_t of the eps-MSE reproduces L_0's data term at t = 1."""
    m = _ddpm(T=3)
    x0 = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    eps = torch.randn(5, 2, generator=torch.Generator().manual_seed(1))
    t = torch.ones(5, dtype=torch.long)
    x1 = m.q_sample(x0, t, eps)
    with torch.no_grad():
        quad = 0.5 * (x0 - m.p_mean(x1, t)).pow(2).sum(-1) / m.sigma2[0]
        weighted = m.bound_w[0] * (eps - m.eps_net(x1, t)).pow(2).sum(-1)
    torch.testing.assert_close(quad, weighted, rtol=1e-4, atol=1e-5)


def test_losses_and_sampling_shapes_and_determinism() -> None:
    m = _ddpm(T=4)
    x0 = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    for loss in (m.loss_simple, m.loss_bound):
        v = loss(x0, generator=torch.Generator().manual_seed(1))
        assert v.dim() == 0 and torch.isfinite(v)
    a = m.sample(6, generator=torch.Generator().manual_seed(2))
    b = m.sample(6, generator=torch.Generator().manual_seed(2))
    assert a.shape == (6, 2) and torch.equal(a, b)
    ll, ess = m.log_likelihood_is(x0[:3], 10, chunk=4, generator=torch.Generator().manual_seed(3))
    assert ll.shape == (3,) and torch.all((ess > 0) & (ess <= 1 + 1e-6))


def test_bad_schedule_and_steps_are_rejected() -> None:
    with pytest.raises(ValueError):
        make_betas("quadratic", 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_betas("linear", 0)


@pytest.mark.parametrize("scale", [1.0, 1e-3, 1e-6])
def test_normal_kl_equals_torch_distributions_even_for_nearly_equal_variances(scale: float) -> None:
    from torch.distributions import Normal, kl_divergence

    g = torch.Generator().manual_seed(0)
    mu1, mu2 = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64)
    var2 = torch.rand(5, 3, generator=g, dtype=torch.float64) + 0.5
    var1 = var2 * (1 + scale * (torch.rand(5, 3, generator=g, dtype=torch.float64) - 0.5))
    ours = normal_kl(mu1 * scale, var1, mu2 * scale, var2)
    ref = kl_divergence(Normal(mu1 * scale, var1.sqrt()), Normal(mu2 * scale, var2.sqrt())).sum(-1)
    if scale == 1.0:
        torch.testing.assert_close(ours, ref, rtol=1e-9, atol=0)
        return
    # for var1 close to var2 torch's own formula cancels; the series in u = var1 / var2 - 1 does not
    u = var1 / var2 - 1
    series = 0.5 * ((mu1 - mu2).pow(2) * scale**2 / var2 + u.pow(2) / 2 - u.pow(3) / 3 + u.pow(4) / 4).sum(-1)
    torch.testing.assert_close(ours, series, rtol=1e-6, atol=0)
    assert torch.all(ours > 0)


@pytest.mark.parametrize("T", [20, 100, 1000])
def test_prior_term_of_a_long_chain_is_positive_and_matches_the_float64_closed_form(T: int) -> None:
    """L_T = 1/2 sum_d [abar x_d^2 - abar - log(1 - abar)] ~ 1/2 abar |x|^2 + D abar^2 / 4: tiny, never 0."""
    m = _ddpm(T=T)
    x0 = torch.randn(6, 2, generator=torch.Generator().manual_seed(0))
    lt = m.prior_term(x0)
    ab = float(torch.cumprod(1 - make_betas("linear", T), 0)[-1])
    ref = 0.5 * (ab * x0.double().pow(2).sum(-1) - 2 * ab - 2 * math.log1p(-ab))
    assert torch.all(lt > 0)
    torch.testing.assert_close(lt.double(), ref, rtol=1e-4, atol=0)
