"""The variational autoencoder (Kingma & Welling 2014) and its importance-weighted bound (Burda et al. 2016).

Encoder q(z|x) = N(mu(x), diag exp(logvar(x))), prior p(z) = N(0, I), decoder
p(x|z) Bernoulli(sigmoid(logits(z))) or N(mean(z), sigma_x^2 I).

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))  <=  log p(x)
    KL      = 1/2 sum_j (mu_j^2 + s_j^2 - 1 - log s_j^2)                     (closed form)
            ~ 1/N sum_n [log q(z_n|x) - log p(z_n)],  z_n ~ q(z|x)           (Monte Carlo)
    IWAE_K  = E[log 1/K sum_k w_k],  w_k = p(x|z_k) p(z_k) / q(z_k|x)       (rises with K to log p(x))

Shapes: B batch, D pixels, H latent width, K importance samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .autoencoder import mlp

Likelihood = Literal["bernoulli", "gaussian"]
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class ElboParts:
    """Per-example terms: rec = E_q[log p(x|z)], kl = KL(q || p), elbo = rec - kl; each (B,)."""

    rec: Tensor
    kl: Tensor
    elbo: Tensor


def std_normal_log_prob(z: Tensor) -> Tensor:
    """log N(z; 0, I) summed over the last axis: (..., H) -> (...)."""
    return -0.5 * (z.pow(2) + LOG_2PI).sum(-1)


def diag_normal_log_prob(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last axis: (..., H) -> (...)."""
    return -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + LOG_2PI).sum(-1)


class VAE(nn.Module):
    """Gaussian encoder D -> hidden (x depth) -> 2H, decoder H -> hidden (x depth) -> D (ReLU between)."""

    def __init__(self, d_in: int = 64, d_latent: int = 8, hidden: int = 256, *,
                 likelihood: Likelihood = "bernoulli", sigma_x: float = 0.1, depth: int = 1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if d_latent < 1:
            raise ValueError(f"the latent width must be at least 1, got {d_latent}")
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"unknown likelihood {likelihood!r}: use bernoulli or gaussian")
        if sigma_x <= 0:
            raise ValueError("sigma_x must be positive")
        if depth < 1:
            raise ValueError(f"depth (hidden layers per network) must be at least 1, got {depth}")
        self.d_in, self.d_latent, self.likelihood, self.sigma_x = d_in, d_latent, likelihood, sigma_x
        self.encoder = mlp([d_in, *[hidden] * depth, 2 * d_latent], generator)
        self.decoder = mlp([d_latent, *[hidden] * depth, d_in], generator)

    # -- the two networks --------------------------------------------------------------------------
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x: (B, D) -> mu, logvar: (B, H), (B, H)"""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: Tensor) -> Tensor:
        """z: (..., H) -> decoder output (..., D): Bernoulli logits or Gaussian means."""
        return self.decoder(z)

    def mean_image(self, z: Tensor) -> Tensor:
        """E[x|z] in pixel space: (..., H) -> (..., D)."""
        out = self.decode(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def forward(self, x: Tensor) -> Tensor:
        """Deterministic reconstruction E[x | z = mu(x)]: (B, D) -> (B, D)."""
        return self.mean_image(self.encode(x)[0])

    # -- densities -----------------------------------------------------------------------------------
    def log_px_given_z(self, x: Tensor, out: Tensor) -> Tensor:
        """log p(x|z) from the decoder output: x (B, D), out (..., B, D) -> (..., B)."""
        if self.likelihood == "bernoulli":
            # log Bernoulli(x; sigmoid(l)) = -BCE(l, x), summed over pixels
            return -F.binary_cross_entropy_with_logits(out, x.expand_as(out), reduction="none").sum(-1)
        var = self.sigma_x**2
        return -0.5 * ((x - out).pow(2) / var + math.log(var) + LOG_2PI).sum(-1)

    @staticmethod
    def kl_closed(mu: Tensor, logvar: Tensor) -> Tensor:
        """KL(N(mu, diag e^logvar) || N(0, I)) = 1/2 sum (mu^2 + e^logvar - 1 - logvar): (B, H) -> (B,)."""
        return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)

    @staticmethod
    def kl_mc(mu: Tensor, logvar: Tensor, n_samples: int, *, generator: torch.Generator | None = None) -> Tensor:
        """Monte-Carlo KL: mean over n of log q(z_n|x) - log p(z_n), z_n ~ q: (B, H) -> (B,)."""
        eps = torch.randn((n_samples, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + (0.5 * logvar).exp() * eps  # (N, B, H)
        return (diag_normal_log_prob(z, mu, logvar) - std_normal_log_prob(z)).mean(0)

    def sample_posterior(self, mu: Tensor, logvar: Tensor, n_samples: int, *,
                         generator: torch.Generator | None = None) -> Tensor:
        """z ~ q(z|x) by reparameterisation: (B, H) -> (N, B, H)."""
        eps = torch.randn((n_samples, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + (0.5 * logvar).exp() * eps

    # -- objectives ----------------------------------------------------------------------------------
    def elbo(self, x: Tensor, *, n_samples: int = 1, beta: float = 1.0,
             generator: torch.Generator | None = None) -> ElboParts:
        """rec - beta * KL with the closed-form KL and an n-sample estimate of E_q[log p(x|z)]; x: (B, D)."""
        mu, logvar = self.encode(x)
        z = self.sample_posterior(mu, logvar, n_samples, generator=generator)  # (N, B, H)
        rec = self.log_px_given_z(x, self.decode(z)).mean(0)  # (B,)
        kl = self.kl_closed(mu, logvar)
        return ElboParts(rec, kl, rec - beta * kl)

    def loss(self, x: Tensor, *, beta: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        """The training loss -mean_B (rec - beta KL), one posterior sample per example."""
        return -self.elbo(x, beta=beta, generator=generator).elbo.mean()

    def log_weights(self, x: Tensor, n_samples: int, *, generator: torch.Generator | None = None) -> Tensor:
        """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x), z_k ~ q(z|x): x (B, D) -> (K, B)."""
        mu, logvar = self.encode(x)
        z = self.sample_posterior(mu, logvar, n_samples, generator=generator)  # (K, B, H)
        return self.log_px_given_z(x, self.decode(z)) + std_normal_log_prob(z) - diag_normal_log_prob(z, mu, logvar)

    @torch.no_grad()
    def iwae(self, x: Tensor, k: int, *, chunk: int = 500, generator: torch.Generator | None = None) -> Tensor:
        """log 1/K sum_k w_k for K = ``k`` samples, computed ``chunk`` samples at a time: (B, D) -> (B,).

        A running logsumexp over chunks keeps memory at O(chunk * B * D), so K = 5000 fits.
        """
        if k < 1:
            raise ValueError(f"K must be at least 1, got {k}")
        acc = torch.full((x.shape[0],), -math.inf, device=x.device, dtype=x.dtype)  # (B,)
        done = 0
        while done < k:
            n = min(chunk, k - done)
            lw = self.log_weights(x, n, generator=generator)  # (n, B)
            acc = torch.logaddexp(acc, torch.logsumexp(lw, dim=0))
            done += n
        return acc - math.log(k)
