"""Denoising diffusion probabilistic models (Ho et al. 2020) with every term of the bound.

Forward process, t = 1..T:
    q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I),   alpha_t = 1 - beta_t
    q(x_t | x_0)     = N(sqrt(abar_t) x_0, (1 - abar_t) I),  abar_t = prod_{s<=t} alpha_s
Posterior  q(x_{t-1} | x_t, x_0) = N(mu~_t, beta~_t I),
    mu~_t = sqrt(abar_{t-1}) beta_t / (1 - abar_t) x_0 + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t
    beta~_t = (1 - abar_{t-1}) / (1 - abar_t) beta_t
Reverse model p(x_{t-1} | x_t) = N(mu_theta(x_t, t), sigma_t^2 I), sigma_t^2 = beta_t, with
    mu_theta = (x_t - beta_t / sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(alpha_t)
Negative bound  -ELBO = L_T + sum_{t=2}^T L_{t-1} + L_0:
    L_T     = KL(q(x_T | x_0) || N(0, I))                       (no parameters)
    L_{t-1} = E_q KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))
    L_0     = -E_q log p(x_0 | x_1)                             (Gaussian decoder N(mu_theta(x_1, 1), beta_1 I))
Simplified loss  E_{t, eps} ||eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)||^2.
The bound's own weighting of the same MSE is w_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)).

Shapes: B batch, D data width, T steps, K samples. Time index t runs 1..T (buffers index t - 1).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from .autoencoder import init_linear

Schedule = Literal["linear", "cosine"]
SCHEDULES: tuple[str, ...] = ("linear", "cosine")
LOG_2PI = math.log(2 * math.pi)


def make_betas(schedule: Schedule, T: int, *, max_beta: float = 0.999) -> Tensor:
    """beta_1..beta_T (T,) float64.

    linear: beta from 1e-4 to 0.02 over 1000 steps, rescaled by 1000 / T so that abar_T stays small
    for any T (Nichol & Dhariwal 2021; for T < 50 the last betas hit ``max_beta``); cosine: abar(t) = cos^2((t/T + s)/(1 + s) pi/2) / f(0), s = 0.008.
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    if schedule == "linear":
        scale = 1000.0 / T
        betas = torch.linspace(scale * 1e-4, scale * 0.02, T, dtype=torch.float64)
    elif schedule == "cosine":
        s = 0.008
        steps = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        abar = f / f[0]
        betas = 1 - abar[1:] / abar[:-1]
    else:
        raise ValueError(f"unknown schedule {schedule!r}: use one of {', '.join(SCHEDULES)}")
    return betas.clamp(1e-8, max_beta)


def _u_minus_log1p(u: Tensor) -> Tensor:
    """u - log(1 + u) for u > -1 without cancellation: the series u^2/2 - u^3/3 + u^4/4 for |u| < 1e-3."""
    small = u.abs() < 1e-3
    series = u.pow(2) / 2 - u.pow(3) / 3 + u.pow(4) / 4
    return torch.where(small, series, u - torch.log1p(torch.where(small, torch.zeros_like(u), u)))


def normal_kl(mu1: Tensor, var1: Tensor, mu2: Tensor, var2: Tensor) -> Tensor:
    """KL(N(mu1, var1 I) || N(mu2, var2 I)) summed over the last axis; var* broadcast: (..., D) -> (...).

    Computed in float64 in the stable form 1/2 [(mu1 - mu2)^2 / var2 + u - log(1 + u)], u = var1 / var2 - 1
    = (var1 - var2) / var2, so that a KL of order u^2 (var1 close to var2, as for L_T) is not lost to the
    cancellation of log(var2 / var1) + var1 / var2 - 1; returned in the inputs' promoted dtype.
    """
    out_dtype = torch.promote_types(torch.promote_types(mu1.dtype, var1.dtype), torch.promote_types(mu2.dtype, var2.dtype))
    m1, v1, m2, v2 = (a.double() for a in (mu1, var1, mu2, var2))
    u = (v1 - v2) / v2
    kl = 0.5 * ((m1 - m2).pow(2) / v2 + _u_minus_log1p(u))  # (..., D) with broadcasting
    kl = kl.expand(torch.broadcast_shapes(m1.shape, m2.shape, v1.shape, v2.shape)).sum(-1)
    return kl.to(out_dtype)


def normal_log_prob(x: Tensor, mu: Tensor, var: Tensor) -> Tensor:
    """log N(x; mu, var I) summed over the last axis: (..., D) -> (...)."""
    return -0.5 * ((x - mu).pow(2) / var + torch.log(var) + LOG_2PI).sum(-1)


class TimeEmbedding(nn.Module):
    """Sinusoidal embedding of the step t (Vaswani et al. 2017): (B,) -> (B, E)."""

    def __init__(self, dim: int, T: int) -> None:
        super().__init__()
        half = max(dim // 2, 1)
        freqs = torch.exp(-math.log(10_000.0) * torch.arange(half) / half)  # (E/2,)
        self.register_buffer("freqs", freqs)
        self.T = T

    def forward(self, t: Tensor) -> Tensor:
        arg = (t.float() * (1000.0 / self.T))[:, None] * self.freqs[None]  # (B, E/2), t scaled to 0..1000
        return torch.cat([arg.sin(), arg.cos()], dim=-1)


class EpsMLP(nn.Module):
    """eps_theta(x_t, t): an MLP on [x_t, emb(t)]: (B, D), (B,) -> (B, D)."""

    def __init__(self, d: int, T: int, *, hidden: int = 128, t_dim: int = 32, depth: int = 3,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.emb = TimeEmbedding(t_dim, T)
        e = 2 * max(t_dim // 2, 1)
        layers: list[nn.Module] = [init_linear(nn.Linear(d + e, hidden), generator), nn.SiLU()]
        for _ in range(depth - 1):
            layers += [init_linear(nn.Linear(hidden, hidden), generator), nn.SiLU()]
        layers.append(init_linear(nn.Linear(hidden, d), generator))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        return self.net(torch.cat([x, self.emb(t)], dim=-1))


class DDPM(nn.Module):
    """A DDPM on vectors of width d: schedule buffers, the eps network, losses, bound terms, sampling."""

    def __init__(self, d: int = 2, *, T: int = 100, schedule: Schedule = "linear", hidden: int = 128,
                 t_dim: int = 32, depth: int = 3, generator: torch.Generator | None = None) -> None:
        super().__init__()
        betas = make_betas(schedule, T)  # (T,) float64
        alphas = 1 - betas
        abar = torch.cumprod(alphas, 0)
        abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
        self.d, self.T, self.schedule = d, T, schedule
        buffers = {
            "betas": betas, "alphas": alphas, "abar": abar, "abar_prev": abar_prev,
            "sigma2": betas,  # reverse variance sigma_t^2 = beta_t
            "post_var": (1 - abar_prev) / (1 - abar) * betas,  # beta~_t (0 at t = 1)
            "post_c0": abar_prev.sqrt() * betas / (1 - abar),  # coefficient of x_0 in mu~_t
            "post_ct": alphas.sqrt() * (1 - abar_prev) / (1 - abar),  # coefficient of x_t in mu~_t
            "bound_w": betas**2 / (2 * betas * alphas * (1 - abar)),  # w_t of the bound's MSE weighting
        }
        for name, value in buffers.items():
            self.register_buffer(name, value.float())
        self.register_buffer("abar_T64", abar[-1].clone())  # () float64, for L_T (see prior_term)
        self.eps_net = EpsMLP(d, T, hidden=hidden, t_dim=t_dim, depth=depth, generator=generator)

    @staticmethod
    def _at(buf: Tensor, t: Tensor, x: Tensor) -> Tensor:
        """buf[t - 1] shaped to broadcast against x: t (B,) -> (B, 1, ...)."""
        return buf[t - 1].view(-1, *([1] * (x.dim() - 1)))

    def _t(self, n: int, t: int | Tensor, device: torch.device) -> Tensor:
        return torch.full((n,), int(t), device=device, dtype=torch.long) if isinstance(t, int) else t

    # -- forward process ---------------------------------------------------------------------------
    def q_sample(self, x0: Tensor, t: Tensor, eps: Tensor) -> Tensor:
        """x_t ~ q(x_t | x_0): (B, D), t (B,), eps (B, D) -> (B, D)."""
        # q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)
        return self._at(self.abar, t, x0).sqrt() * x0 + (1 - self._at(self.abar, t, x0)).sqrt() * eps

    def q_step(self, x_prev: Tensor, t: Tensor, eps: Tensor) -> Tensor:
        """x_t ~ q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I): (B, D) -> (B, D)."""
        return self._at(self.alphas, t, x_prev).sqrt() * x_prev + self._at(self.betas, t, x_prev).sqrt() * eps

    def q_posterior(self, x0: Tensor, xt: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """mu~_t (B, D) and beta~_t (B, 1) of q(x_{t-1} | x_t, x_0)."""
        mu = self._at(self.post_c0, t, x0) * x0 + self._at(self.post_ct, t, x0) * xt
        return mu, self._at(self.post_var, t, x0)

    # -- reverse model ------------------------------------------------------------------------------
    def p_mean(self, xt: Tensor, t: Tensor) -> Tensor:
        """mu_theta(x_t, t) = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t): (B, D) -> (B, D)."""
        eps = self.eps_net(xt, t)
        b, a, ab = self._at(self.betas, t, xt), self._at(self.alphas, t, xt), self._at(self.abar, t, xt)
        return (xt - b / (1 - ab).sqrt() * eps) / a.sqrt()

    # -- losses ---------------------------------------------------------------------------------------
    def _eps_mse(self, x0: Tensor, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
        B = x0.shape[0]
        t = torch.randint(1, self.T + 1, (B,), generator=generator, device=x0.device)
        eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        err = (eps - self.eps_net(self.q_sample(x0, t, eps), t)).pow(2).sum(-1)  # (B,)
        return err, t

    def loss_simple(self, x0: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """L_simple = E_{t ~ U{1..T}, eps} ||eps - eps_theta(x_t, t)||^2 (mean over the batch)."""
        return self._eps_mse(x0, generator)[0].mean()

    def loss_bound(self, x0: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """T E_t[w_t ||eps - eps_theta||^2]: unbiased for sum_{t=1}^T L_{t-1} up to constants (no L_T)."""
        err, t = self._eps_mse(x0, generator)
        return (self.T * self.bound_w[t - 1] * err).mean()

    def prior_term(self, x0: Tensor) -> Tensor:
        """L_T = KL(q(x_T | x_0) || N(0, I)) (B,): a function of x_0 and the schedule only.

        abar_T is taken from the float64 schedule (in float32, 1 - abar_T rounds to 1 once abar_T < 6e-8 and
        the KL, of order abar_T (|x_0|^2 + abar_T / 2), would come out exactly 0).
        """
        ab = self.abar_T64.to(x0.device)  # () float64
        x = x0.double()
        return normal_kl(ab.sqrt() * x, (1 - ab).expand(1), torch.zeros_like(x), torch.ones(1, dtype=x.dtype,
                                                                                            device=x.device)).to(x0.dtype)

    def bound_terms(self, x0: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """One-sample estimates of [L_0, L_1, ..., L_{T-1}, L_T] per example: (B, D) -> (B, T + 1).

        L_{t-1} (t >= 2) is the closed-form Gaussian KL at one x_t ~ q(x_t | x_0); L_0 is
        -log N(x_0; mu_theta(x_1, 1), beta_1 I) at one x_1 ~ q(x_1 | x_0); L_T is exact.
        """
        B = x0.shape[0]
        cols = []
        for t_int in range(1, self.T + 1):
            t = self._t(B, t_int, x0.device)
            eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
            xt = self.q_sample(x0, t, eps)
            mu_p, var_p = self.p_mean(xt, t), self._at(self.sigma2, t, x0)
            if t_int == 1:
                cols.append(-normal_log_prob(x0, mu_p, var_p))  # L_0
            else:
                mu_q, var_q = self.q_posterior(x0, xt, t)
                cols.append(normal_kl(mu_q, var_q, mu_p, var_p))  # L_{t-1}
        cols.append(self.prior_term(x0))  # L_T
        return torch.stack(cols, dim=-1)

    def neg_elbo(self, x0: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """-ELBO = L_0 + sum L_{t-1} + L_T per example (B,)."""
        return self.bound_terms(x0, generator=generator).sum(-1)

    def log_weight(self, x0: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """log p(x_{0:T}) - log q(x_{1:T} | x_0) on one forward chain per example: (B, D) -> (B,).

        Its mean is the ELBO; log mean_k exp over K chains estimates log p(x_0) from below, rising with K.
        """
        B = x0.shape[0]
        log_w = torch.zeros(B, device=x0.device, dtype=x0.dtype)
        x_prev = x0
        for t_int in range(1, self.T + 1):
            t = self._t(B, t_int, x0.device)
            eps = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
            xt = self.q_step(x_prev, t, eps)
            # - log q(x_t | x_{t-1}) + log p(x_{t-1} | x_t)
            log_w = log_w - normal_log_prob(xt, self._at(self.alphas, t, x0).sqrt() * x_prev,
                                            self._at(self.betas, t, x0))
            log_w = log_w + normal_log_prob(x_prev, self.p_mean(xt, t), self._at(self.sigma2, t, x0))
            x_prev = xt
        return log_w + normal_log_prob(x_prev, torch.zeros_like(x_prev), torch.ones(1, device=x0.device))

    @torch.no_grad()
    def log_likelihood_is(self, x0: Tensor, k: int, *, chunk: int = 64,
                          generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Importance-sampled log p(x_0) with K forward chains as proposals, and the effective sample size.

        Returns (log 1/K sum_k w_k (B,), ESS/K (B,)) with ESS = (sum w)^2 / sum w^2.
        """
        chunks = []
        done = 0
        while done < k:
            n = min(chunk, k - done)
            xr = x0.repeat(n, 1)  # (n B, D)
            chunks.append(self.log_weight(xr, generator=generator).view(n, -1))  # (n, B)
            done += n
        lw = torch.cat(chunks)  # (K, B)
        ess = torch.exp(2 * torch.logsumexp(lw, 0) - torch.logsumexp(2 * lw, 0)) / k
        return torch.logsumexp(lw, 0) - math.log(k), ess

    # -- sampling ------------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None,
               device: torch.device | str | None = None) -> Tensor:
        """Ancestral sampling x_T ~ N(0, I), x_{t-1} ~ p(x_{t-1} | x_t), returning the mean at t = 1: (n, D)."""
        device = device if device is not None else self.betas.device
        x = torch.randn((n, self.d), generator=generator, device=device)
        for t_int in range(self.T, 0, -1):
            t = self._t(n, t_int, x.device)
            mu = self.p_mean(x, t)
            if t_int > 1:
                x = mu + self._at(self.sigma2, t, x).sqrt() * torch.randn(x.shape, generator=generator,
                                                                          device=x.device)
            else:
                x = mu  # the decoder's mean (no noise at the last step), as in Ho et al.
        return x
