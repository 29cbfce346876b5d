import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Normal, kl_divergence

from dlclaims.models.vae import VAE


def _vae(seed: int = 0, **kw) -> VAE:
    return VAE(d_in=6, d_latent=3, hidden=16, generator=torch.Generator().manual_seed(seed), **kw)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_kl_closed_is_nonnegative_and_equals_torch_distributions(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    mu = 3 * torch.randn(5, 4, generator=g)
    logvar = 2 * torch.randn(5, 4, generator=g)
    ours = VAE.kl_closed(mu, logvar)
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros(4), torch.ones(4))).sum(-1)
    assert torch.all(ours >= 0)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_kl_is_zero_only_at_the_prior() -> None:
    assert float(VAE.kl_closed(torch.zeros(1, 3), torch.zeros(1, 3))) == 0.0


def test_kl_mc_agrees_with_closed_form_within_its_error() -> None:
    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(3, 2, generator=g), 0.5 * torch.randn(3, 2, generator=g)
    n = 20_000
    eps = torch.randn(n, 3, 2, generator=torch.Generator().manual_seed(2))
    z = mu + (0.5 * logvar).exp() * eps
    per = (Normal(mu, (0.5 * logvar).exp()).log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1)  # (n, 3)
    se = per.std(0) / math.sqrt(n)
    mc = VAE.kl_mc(mu, logvar, n, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(mc, per.mean(0), rtol=1e-4, atol=1e-4)
    assert torch.all((mc - VAE.kl_closed(mu, logvar)).abs() < 4 * se)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_log_likelihood_matches_torch_distributions(likelihood: str) -> None:
    vae = _vae(likelihood=likelihood, sigma_x=0.3)
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(0))
    out = torch.randn(2, 4, 6, generator=torch.Generator().manual_seed(1))
    ours = vae.log_px_given_z(x, out)
    if likelihood == "bernoulli":
        p = torch.sigmoid(out)
        ref = (x * p.log() + (1 - x) * (1 - p).log()).sum(-1)
    else:
        ref = Normal(out, 0.3).log_prob(x).sum(-1)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)


def test_elbo_is_rec_minus_kl_and_the_mean_log_weight() -> None:
    vae = _vae()
    x = torch.rand(5, 6, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        parts = vae.elbo(x, n_samples=4000, generator=torch.Generator().manual_seed(4))
        lw = vae.log_weights(x, 4000, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(parts.elbo, parts.rec - parts.kl)
    se = lw.std(0) / math.sqrt(4000)
    assert torch.all((lw.mean(0) - parts.elbo).abs() < 5 * se + 1e-3)


def test_iwae_rises_with_k_in_expectation_and_stays_above_the_elbo() -> None:
    vae = _vae(seed=7)
    with torch.no_grad():  # a sharp decoder, so that the posterior q is far from the true one
        for p in vae.decoder.parameters():
            p.mul_(4.0)
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(8))
    g = torch.Generator().manual_seed(9)
    reps = 300
    means, ses = [], []
    for k in (1, 10, 100):
        with torch.no_grad():  # reps independent K-sample estimates from one batch of weights
            lw = vae.log_weights(x, reps * k, generator=g).view(reps, k, -1)  # (reps, K, B)
        est = (torch.logsumexp(lw, 1) - math.log(k)).mean(1)  # (reps,)
        means.append(float(est.mean()))
        ses.append(float(est.std()) / math.sqrt(reps))
    with torch.no_grad():
        elbo = float(vae.elbo(x, n_samples=20_000, generator=g).elbo.mean())
    assert abs(means[0] - elbo) < 4 * ses[0] + 1e-2  # IWAE_1 is an unbiased ELBO estimate
    for a, b, sa, sb in zip(means, means[1:], ses, ses[1:]):
        assert b - a > 3 * math.hypot(sa, sb)


def test_iwae_chunked_equals_one_logsumexp_over_the_same_weights() -> None:
    vae = _vae()
    x = torch.rand(3, 6, generator=torch.Generator().manual_seed(0))
    a = vae.iwae(x, 7, chunk=3, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        lw = torch.cat([vae.log_weights(x, n, generator=g) for n in (3, 3, 1)])  # (7, 3)
    torch.testing.assert_close(a, torch.logsumexp(lw, 0) - math.log(7))
    with pytest.raises(ValueError):
        vae.iwae(x, 0)


def test_latent_width_zero_is_rejected() -> None:
    with pytest.raises(ValueError):
        VAE(d_latent=0)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_depth_sets_the_hidden_layers_of_both_networks(depth: int) -> None:
    vae = VAE(d_in=6, d_latent=3, hidden=16, depth=depth, generator=torch.Generator().manual_seed(0))
    n_linear = lambda net: sum(isinstance(m, torch.nn.Linear) for m in net)
    assert n_linear(vae.encoder) == n_linear(vae.decoder) == depth + 1
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(1))
    assert vae(x).shape == (4, 6)
    with pytest.raises(ValueError):
        VAE(d_latent=2, depth=0)
