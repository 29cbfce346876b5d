"""The stacked trainers of Q-elbo/Q-gen (VAEs) and Q-diffusion (DDPMs): oracles against a plain loop."""

from __future__ import annotations

import torch

from dlclaims.core.multiseed import seed_batches
from dlclaims.experiments.diffusion import train_ddpms_stacked
from dlclaims.experiments.gen import train_vaes_stacked
from dlclaims.models.ddpm import DDPM
from dlclaims.models.vae import VAE


def _ring(n: int = 64, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    a = 2 * torch.pi * torch.rand(n, generator=g)
    return torch.stack([a.cos(), a.sin()], -1) + 0.05 * torch.randn(n, 2, generator=g)


def test_one_stacked_ddpm_equals_a_plain_loop_with_the_same_draws() -> None:
    x = _ring()
    T, steps, B = 8, 5, 16
    for kind in ("simple", "bound"):
        stacked = train_ddpms_stacked(x[None], data_index=[0], seeds=[3], kinds=[kind], T=T, schedule="linear",
                                      hidden=16, steps=steps, batch_size=B, lr=1e-2,
                                      generator=torch.Generator().manual_seed(1))[0]
        plain = DDPM(2, T=T, schedule="linear", hidden=16, generator=torch.Generator().manual_seed(3))
        opt = torch.optim.Adam(plain.parameters(), lr=1e-2)
        g = torch.Generator().manual_seed(1)
        order = seed_batches(x.shape[0], B, steps, 3)
        for step in range(steps):
            x0 = x[order[step]]
            t = torch.randint(1, T + 1, (1, B), generator=g)[0]
            eps = torch.randn((1, B, 2), generator=g)[0]
            err = (eps - plain.eps_net(plain.q_sample(x0, t, eps), t)).pow(2).sum(-1)
            w = T * plain.bound_w[t - 1] if kind == "bound" else torch.ones_like(err)
            loss = (w * err).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        for p, q in zip(stacked.parameters(), plain.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_stacked_ddpms_of_two_kinds_share_init_and_part_ways() -> None:
    x = _ring()
    a, b = train_ddpms_stacked(x[None], data_index=[0, 0], seeds=[0, 0], kinds=["simple", "bound"], T=50,
                               schedule="linear", hidden=16, steps=1, batch_size=16, lr=1e-2,
                               generator=torch.Generator().manual_seed(0))
    assert any(not torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    a0 = DDPM(2, T=50, schedule="linear", hidden=16, generator=torch.Generator().manual_seed(0))
    # the same init: one step of Adam moves each weight by at most lr
    assert all(float((p - q).detach().abs().max()) <= 1e-2 + 1e-6 for p, q in zip(a.parameters(), a0.parameters()))


def test_one_stacked_vae_equals_a_plain_loop_with_the_same_draws() -> None:
    x = (torch.rand(40, 6, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    steps, B, H, beta, warm = 4, 8, 3, 2.0, 2
    stacked = train_vaes_stacked(x, seeds=[5], betas=[beta], d_latent=H, hidden=12, steps=steps, lr=1e-2,
                                 batch_size=B, warmup=warm, generator=torch.Generator().manual_seed(1))[0][0]
    plain = VAE(6, H, 12, generator=torch.Generator().manual_seed(5))
    opt = torch.optim.Adam(plain.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(1)
    order = seed_batches(x.shape[0], B, steps, 5)
    for step in range(steps):
        xb = x[order[step]]
        eps = torch.randn((1, B, H), generator=g)[0]
        mu, logvar = plain.encode(xb)
        z = mu + (0.5 * logvar).exp() * eps
        rec = plain.log_px_given_z(xb, plain.decode(z))
        loss = -(rec - beta * min(1.0, (step + 1) / warm) * plain.kl_closed(mu, logvar)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p, q in zip(stacked.parameters(), plain.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_stacked_vaes_kl_weight_orders_the_kl() -> None:
    x = (torch.rand(200, 16, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    models, hist = train_vaes_stacked(x, seeds=[0, 0], betas=[0.0, 8.0], d_latent=4, hidden=32, steps=150,
                                      lr=1e-2, batch_size=50, generator=torch.Generator().manual_seed(0))
    assert hist.shape == (150, 2)
    with torch.no_grad():
        kl = [float(m.elbo(x, generator=torch.Generator().manual_seed(2)).kl.mean()) for m in models]
    assert kl[0] > 10 * kl[1]  # beta = 0 leaves the KL free, a large beta pulls q to the prior
