"""Q-gen: a plain autoencoder against a VAE as a generator, scored by a digits classifier.

Claims judged: gen.ae-prior, gen.latent-gap, gen.interpolation.

Per seed (at least ``min_seeds``), one AE and one VAE of the same latent width H, trained on the digits by
the multi-seed trainer (all seeds' AEs together, all seeds' VAEs together):
- prior samples x = dec(z), z ~ N(0, I), scored in the features of a classifier trained once (fixed seed):
  the Frechet distance FD = |m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) between Gaussian fits of the
  features of the samples and of the held-out digits, against the real-against-real floor (as many real
  training digits, drawn per seed, stratified, against the same held-out digits); the baseline a reader
  asks for: the AE decoding z ~ N(m, S), a Gaussian fitted to its own codes. Confidence and class
  diversity are reported;
- the latent gap: the Frechet (2-Wasserstein) distance of a Gaussian fit of the codes (AE: enc(x);
  VAE: z ~ q(z|x)) to N(0, I), with the mean and covariance parts separately;
- interpolations between the codes of two test digits of different classes: the decoded inner points'
  distance to the nearest training digit in classifier-feature space (the metric fixed in advance).

Theory: nothing ties an AE's codes to N(0, I), so its decoded prior samples fall off the data; the VAE's KL
term pulls the aggregate posterior toward the prior, but its samples are blurred means of a factorised
decoder; a Gaussian fitted to the AE's codes closes most of the first gap. Interpolations leave the data
where the path crosses regions no code occupies, which grows as the AE's codes spread with training: the
interpolation verdict depends on training length (both profiles train about 190 passes over the data).

This module also holds the training and scoring helpers that experiments/elbo.py uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from torch import Tensor
from torch.func import functional_call, vmap

from ..core import (
    FigureSink,
    Interval,
    Measurements,
    RunContext,
    experiment,
    mean_ci,
    require,
    seed_everything,
    verdict,
    verdict_from_parts,
)
from ..core.multiseed import StackedModels, seed_batches, train_one, train_stacked
from ..core.seeding import extend_seeds
from ..core.threads import limit_threads
from ..data.digits import DigitsSplit, load_digits_split, stratified_indices
from ..models.autoencoder import Autoencoder, bce_loss
from ..models.classifier import DigitsClassifier
from ..models.vae import VAE

# --------------------------------------------------------------------------- shared helpers (also used by elbo)


def single_thread():
    """One torch and one BLAS thread for the block (see :mod:`dlclaims.core.threads`)."""
    return limit_threads(1)


_CLASSIFIERS: dict[tuple, DigitsClassifier] = {}


def train_classifier(split: DigitsSplit, *, seed: int, steps: int, hidden: int = 128,
                     device: torch.device | str = "cpu") -> DigitsClassifier:
    """The scoring classifier: an MLP trained with Adam on the training digits (plain loop). Deterministic,
    so one trained classifier per (data, seed, steps, width, device) is kept for the process (elbo and gen
    score with the same one)."""
    key = (tuple(split.x_train.shape), float(split.x_train.double().sum()), int(split.y_train.sum()), seed, steps,
           hidden, str(device))
    if key not in _CLASSIFIERS:
        _CLASSIFIERS.clear()  # at most one kept
        _CLASSIFIERS[key] = _train_classifier(split, seed=seed, steps=steps, hidden=hidden, device=device)
    return _CLASSIFIERS[key]


def _train_classifier(split: DigitsSplit, *, seed: int, steps: int, hidden: int,
                      device: torch.device | str) -> DigitsClassifier:
    clf = DigitsClassifier(split.x_train.shape[1], hidden=hidden,
                           generator=torch.Generator().manual_seed(seed)).to(device)
    train_one(clf, split.x_train.to(device), split.y_train.to(device), seed=seed, loss=F.cross_entropy,
              steps=steps, batch_size=128, lr=3e-3)
    return clf.eval()


def train_ae(x: Tensor, *, d_latent: int, hidden: int, steps: int, seed: int, lr: float = 2e-3,
             batch_size: int = 128) -> Autoencoder:
    """An autoencoder trained by the Bernoulli reconstruction loss alone."""
    ae = Autoencoder(x.shape[1], d_latent, hidden, generator=torch.Generator().manual_seed(seed)).to(x.device)
    train_one(ae, x, x, seed=seed, loss=bce_loss, steps=steps, batch_size=batch_size, lr=lr)
    return ae.eval()


def train_vae(x: Tensor, *, d_latent: int, hidden: int, steps: int, seed: int, beta: float = 1.0,
              lr: float = 2e-3, batch_size: int = 128) -> tuple[VAE, list[float]]:
    """A VAE trained on -(rec - beta KL) with one reparameterised sample; returns it and the loss curve."""
    g = torch.Generator(device=x.device).manual_seed(seed)
    vae = VAE(x.shape[1], d_latent, hidden, generator=torch.Generator().manual_seed(seed)).to(x.device)
    opt = torch.optim.Adam(vae.parameters(), lr=lr)
    order = seed_batches(x.shape[0], batch_size, steps, seed).to(x.device)  # (steps, B)
    hist = []
    for step in range(steps):
        loss = vae.loss(x[order[step]], beta=beta, generator=g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hist.append(float(loss.detach()))
    return vae.eval(), hist


def train_aes_stacked(x: Tensor, *, seeds: Sequence[int], d_latent: int, hidden: int, steps: int,
                      lr: float = 2e-3, batch_size: int = 128) -> list[Autoencoder]:
    """One autoencoder per seed (its own init and batch order), trained together by the multi-seed trainer."""
    stack = StackedModels.create(lambda g: Autoencoder(x.shape[1], d_latent, hidden, generator=g), seeds,
                                 device=x.device)
    train_stacked(stack, x, x, loss=bce_loss, steps=steps, batch_size=batch_size, lr=lr)
    return [m.eval() for m in stack.unstack()]  # type: ignore[misc]


def _sub(params: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}


def train_vaes_stacked(x: Tensor, *, seeds: Sequence[int], betas: Sequence[float], d_latent: int, hidden: int,
                       steps: int, lr: float = 2e-3, batch_size: int = 128, warmup: int = 0, depth: int = 1,
                       dynamic_binarize: bool = False, generator: torch.Generator) -> tuple[list[VAE], Tensor]:
    """M = len(seeds) VAEs (seeds may repeat: model m has init and batch order of seeds[m] and KL weight
    betas[m]) trained together: stacked parameters, vmap over models, Adam (element-wise, so each model
    trains as it would alone).

    Loss per model: -mean_B [log p(x|z) - beta_m w(step) KL(q(z|x) || N(0, I))], z = mu + s * eps, one eps
    per example; w(step) = min(1, (step + 1) / warmup) warms the KL weight up linearly (w = 1 without
    warm-up). ``dynamic_binarize``: each batch is a fresh Bernoulli draw x_b ~ Bernoulli(x).
    Returns the M trained VAEs and the loss curve (steps, M).
    """
    require(len(seeds) == len(betas), "one beta per model")
    M, D = len(seeds), x.shape[1]
    stack = StackedModels.create(lambda g: VAE(D, d_latent, hidden, depth=depth, generator=g), seeds,
                                 device=x.device)
    base = stack.base
    beta = torch.tensor([float(b) for b in betas], device=x.device)  # (M,)

    def neg_elbo(p: dict[str, Tensor], xb: Tensor, eps: Tensor, b: Tensor) -> Tensor:
        """one model: xb (B, D), eps (B, H), b () -> ()"""
        mu, logvar = functional_call(base.encoder, _sub(p, "encoder."), (xb,)).chunk(2, dim=-1)
        logvar = logvar.clamp(-12.0, 8.0)  # as VAE.encode
        z = mu + (0.5 * logvar).exp() * eps  # (B, H)
        logits = functional_call(base.decoder, _sub(p, "decoder."), (z,))  # (B, D)
        rec = -F.binary_cross_entropy_with_logits(logits, xb, reduction="none").sum(-1)  # (B,)
        kl = VAE.kl_closed(mu, logvar)  # (B,)
        return -(rec - b * kl).mean()

    per_model = vmap(neg_elbo, in_dims=(0, 0, 0, 0))
    order = torch.stack([seed_batches(x.shape[0], batch_size, steps, s) for s in seeds], 1).to(x.device)
    params = list(stack.params.values())
    opt = torch.optim.Adam(params, lr=lr)
    hist = torch.empty(steps, M)
    for step in range(steps):
        xb = x[order[step]]  # (M, B, D)
        if dynamic_binarize:
            xb = (torch.rand(xb.shape, generator=generator, device=x.device) < xb).to(x.dtype)
        eps = torch.randn((M, xb.shape[1], d_latent), generator=generator, device=x.device)  # (M, B, H)
        w = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
        losses = per_model(stack.params, xb, eps, beta * w)  # (M,)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        hist[step] = losses.detach()
    return [m.eval() for m in stack.unstack()], hist  # type: ignore[misc]


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    w, v = linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(f1: Tensor, f2: Tensor) -> float:
    """|m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) between Gaussian fits of (N, F) and (M, F)."""
    a, b = f1.double().cpu().numpy(), f2.double().cpu().numpy()
    m1, m2 = a.mean(0), b.mean(0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # (S1 S2)^(1/2) via the symmetric form S1^(1/2) S2 S1^(1/2), whose square root is stable
    r1 = _psd_sqrt(s1)
    covmean = _psd_sqrt(r1 @ s2 @ r1)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


@torch.no_grad()
def score_samples(clf: DigitsClassifier, x: Tensor, ref: Tensor) -> dict[str, float]:
    """Classifier confidence, class diversity and Frechet distance of samples x (N, 64) to ref (M, 64)."""
    logits = clf(x)
    prob = logits.softmax(-1)
    hist = torch.bincount(prob.argmax(-1), minlength=prob.shape[1]).double() / x.shape[0]
    nz = hist[hist > 0]
    entropy = float(-(nz * nz.log()).sum() / np.log(prob.shape[1]))
    return {"confidence": float(prob.max(-1).values.mean()), "diversity": entropy,
            "classes_seen": int((hist >= 0.02).sum()),
            "frechet": frechet_distance(clf.features(x), clf.features(ref))}


def gaussian_gap(codes: Tensor) -> dict[str, float]:
    """Gap of a Gaussian fit N(m, S) of codes (N, H) to N(0, I): |m|^2, |S - I|_F and W2^2 = FD to N(0, I)."""
    c = codes.double().cpu()
    m = c.mean(0)
    s = torch.atleast_2d(torch.cov(c.T))
    eig = torch.linalg.eigvalsh(s).clamp_min(0)
    w2 = float(m.pow(2).sum() + (eig.sqrt() - 1).pow(2).sum())  # FD(N(m, S), N(0, I)) = |m|^2 + tr(S + I - 2 S^1/2)
    return {"mean_sq": float(m.pow(2).sum()), "cov_frob": float(torch.linalg.norm(s - torch.eye(s.shape[0]))),
            "w2": w2, "code_std_mean": float(c.std(0).mean())}


def ci_dict(values: list[float]) -> dict[str, float]:
    iv = mean_ci(values)
    return {"mean": iv.mean, "lo": iv.lo, "hi": iv.hi, "n": iv.n}


def paired_interval(diffs: list[float] | np.ndarray) -> dict[str, float]:
    """95% t-interval of the mean of per-example differences within one seed (examples are the unit)."""
    return ci_dict(list(np.asarray(diffs, dtype=float)))


def every_seed(intervals: list[dict[str, float]]) -> bool | None:
    """An inequality that must hold for every model: True if every seed's interval lies above 0,
    False if some seed's lies below 0, else None."""
    signs = [sign_of(iv) for iv in intervals]
    if any(s is False for s in signs):
        return False
    return True if all(s is True for s in signs) else None


def sign_of(iv: dict[str, float]) -> bool | None:
    """True if the interval lies above 0, False if below, None if it straddles 0 or rests on one value."""
    if iv.get("n", 2) < 2:
        return None
    if iv["lo"] > 0:
        return True
    if iv["hi"] < 0:
        return False
    return None


# --------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class GenConfig:
    d_latent: int = 8  # H, the same for the AE and the VAE
    hidden: int = 256
    steps: int = 3000  # training steps of each model
    lr: float = 2e-3
    batch_size: int = 128
    min_seeds: int = 5  # at least this many seeds (the run's seeds, extended by the next integers)
    classifier_steps: int = 1500
    classifier_seed: int = 1234  # the classifier is trained once, with this seed, for every run
    n_samples: int = 1000  # prior samples scored; also the size of the real-against-real reference set
    n_pairs: int = 200  # interpolation pairs (test digits of different classes) per seed
    n_interp: int = 9  # points per interpolation (ends included)
    realistic_position: float = 1.0  # realistic: below this on the log scale from real (0) to independent pixels (1)

    def __post_init__(self) -> None:
        require(self.d_latent >= 1, f"d_latent (the latent width) must be at least 1, got {self.d_latent}")
        require(self.hidden >= 1, f"hidden must be at least 1, got {self.hidden}")
        require(self.steps >= 1 and self.classifier_steps >= 1 and self.batch_size >= 1,
                "steps, classifier_steps and batch_size must be at least 1")
        require(self.lr > 0, f"lr must be positive, got {self.lr}")
        require(self.n_samples >= 20, f"n_samples must be at least 20, got {self.n_samples}")
        require(self.n_pairs >= 2 and self.n_interp >= 3, "n_pairs >= 2 and n_interp >= 3 are needed")
        require(self.min_seeds >= 2 and 0 < self.realistic_position <= 1, "min_seeds >= 2, realistic_position in (0, 1]")


@torch.no_grad()
def _nn_feature_distance(clf: DigitsClassifier, x: Tensor, train_feats: Tensor) -> Tensor:
    """Distance of each x (N, 64) to its nearest training digit in classifier-feature space: (N,)."""
    return torch.cdist(clf.features(x), train_feats).min(dim=1).values


def different_class_pairs(y: Tensor, n: int, *, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """n pairs (a, b) of indices into y with y[a] != y[b], drawn uniformly among such pairs: (n,), (n,)."""
    a = torch.randint(0, len(y), (4 * n,), generator=generator)
    b = torch.randint(0, len(y), (4 * n,), generator=generator)
    keep = torch.nonzero(y[a] != y[b]).squeeze(1)[:n]
    require(len(keep) == n, "too few pairs of different classes")
    return a[keep], b[keep]


def run(cfg: GenConfig, ctx: RunContext) -> Measurements:
    with single_thread():
        return _run(cfg, ctx)


def _run(cfg: GenConfig, ctx: RunContext) -> Measurements:
    seeds = list(extend_seeds(ctx.seeds, cfg.min_seeds))
    g = seed_everything(seeds[0])
    dev = ctx.device
    split = load_digits_split(seed=0)
    xtr, xte, yte = split.x_train.to(dev), split.x_test.to(dev), split.y_test
    clf = train_classifier(split, seed=cfg.classifier_seed, steps=cfg.classifier_steps, device=dev)
    with torch.no_grad():
        clf_acc = float((clf(xte).argmax(-1) == yte.to(dev)).float().mean())
    aes = train_aes_stacked(xtr, seeds=seeds, d_latent=cfg.d_latent, hidden=cfg.hidden, steps=cfg.steps, lr=cfg.lr,
                            batch_size=cfg.batch_size)
    vaes, _ = train_vaes_stacked(xtr, seeds=seeds, betas=[1.0] * len(seeds), d_latent=cfg.d_latent,
                                 hidden=cfg.hidden, steps=cfg.steps, lr=cfg.lr, batch_size=cfg.batch_size, generator=g)
    per_seed = []
    with torch.no_grad():
        train_feats = clf.features(xtr)
        n_ref = min(cfg.n_samples, xtr.shape[0])
        for i, seed in enumerate(seeds):
            ae, vae = aes[i], vaes[i]
            sg = torch.Generator().manual_seed(20_000 + seed)
            # -- prior samples, the AE from a Gaussian fitted to its own codes, and the real-vs-real floor
            z = torch.randn((n_ref, cfg.d_latent), generator=sg).to(dev)
            ae_codes = ae.encode(xtr)  # (N, H)
            m, cov = ae_codes.mean(0), torch.cov(ae_codes.T) + 1e-6 * torch.eye(cfg.d_latent, device=dev)
            z_fit = m + z @ torch.linalg.cholesky(cov).T  # z ~ N(m, S) of the AE's codes
            samples = {"ae": torch.sigmoid(ae.decode(z)), "vae": vae.mean_image(z),
                       "ae_fitted_gaussian": torch.sigmoid(ae.decode(z_fit))}
            ref = xtr[stratified_indices(split.y_train, n_ref, seed=seed).to(dev)]  # real digits, as many
            scores = {k: score_samples(clf, v, xte) for k, v in samples.items()}
            scores["real_train_subset"] = score_samples(clf, ref, xte)
            # independent pixels with the data's marginals: each pixel column of the real subset shuffled apart
            perm = torch.argsort(torch.rand(ref.shape, generator=sg), dim=0).to(dev)  # (N, 64)
            scores["independent_pixels"] = score_samples(clf, torch.gather(ref, 0, perm), xte)
            # -- the latent gap of the codes of the training digits
            mu, logvar = vae.encode(xtr)
            vae_codes = vae.sample_posterior(mu, logvar, 1, generator=sg)[0]
            gap = {"ae": gaussian_gap(ae_codes), "vae": gaussian_gap(vae_codes), "vae_means": gaussian_gap(mu)}
            # -- interpolations between test digits of different classes (the same pairs for both models)
            a, b = different_class_pairs(yte, cfg.n_pairs, generator=sg)
            alphas = torch.linspace(0, 1, cfg.n_interp, device=dev)[:, None, None]  # (A, 1, 1)
            interp: dict[str, Any] = {}
            grids: dict[str, Any] = {}
            for name, enc, dec in (("ae", ae.encode, lambda c, ae=ae: torch.sigmoid(ae.decode(c))),
                                   ("vae", lambda x, vae=vae: vae.encode(x)[0], vae.mean_image)):
                za, zb = enc(xte[a.to(dev)]), enc(xte[b.to(dev)])
                path = dec((1 - alphas) * za + alphas * zb)  # (A, P, 64)
                inner = path[1:-1].reshape(-1, path.shape[-1])  # ((A - 2) P, 64)
                ends = torch.cat([path[0], path[-1]])  # the model's own reconstructions of the two digits
                nn_d = _nn_feature_distance(clf, inner, train_feats)
                interp[name] = {"inner_nn_distance": float(nn_d.mean()),
                                "ends_nn_distance": float(_nn_feature_distance(clf, ends, train_feats).mean()),
                                "confidence": float(clf(inner).softmax(-1).max(-1).values.mean())}
                if i == 0:
                    grids[name] = {"interp": path[:, :4].permute(1, 0, 2).tolist(), "prior": samples[name][:32].tolist()}
            if i == 0:
                grids["ae_fitted_gaussian"] = {"prior": samples["ae_fitted_gaussian"][:32].tolist()}
            per_seed.append({"seed": seed, "scores": scores, "latent_gap": gap, "interpolation": interp,
                             "real_test_nn_distance": float(_nn_feature_distance(clf, xte, train_feats).mean()),
                             **({"grids": grids} if i == 0 else {})})
    return {"seeds": seeds, "classifier_test_accuracy": clf_acc, "per_seed": per_seed}


def _per_seed(runs: list[Measurements]) -> list[Measurements]:
    return [p for r in runs for p in r["per_seed"]]


def judge(runs: list[Measurements], cfg: GenConfig) -> list:
    ps = _per_seed(runs)
    sc = [p["scores"] for p in ps]

    def position(k: str) -> Interval:
        """log(FD(k) / FD(real)) / log(FD(independent pixels) / FD(real)) across seeds: 0 = as close to the held-out
        digits as real digits are, 1 = as far as independent pixels with the data's marginals."""
        return mean_ci([float(np.log(s[k]["frechet"] / s["real_train_subset"]["frechet"])
                              / np.log(s["independent_pixels"]["frechet"] / s["real_train_subset"]["frechet"]))
                        for s in sc])

    lim = cfg.realistic_position
    pos = {k: position(k) for k in ("ae", "vae", "ae_fitted_gaussian")}
    realistic = {k: (True if iv.below(lim) else False if iv.above(lim) else None) for k, iv in pos.items()}
    ae_not = None if realistic["ae"] is None else not realistic["ae"]
    summary = {k: {m: ci_dict([s[k][m] for s in sc]) for m in ("confidence", "diversity", "frechet")}
               for k in ("ae", "vae", "ae_fitted_gaussian", "real_train_subset", "independent_pixels")}
    v_prior = verdict_from_parts(
        "gen.ae-prior",
        parts={"AE: decoded z ~ N(0, I) are not realistic": ae_not, "VAE: decoded z ~ N(0, I) are realistic": realistic["vae"]},
        rule=f"one absolute criterion for both models, anchored at two references: the Frechet distance to the "
             f"held-out digits (features of a classifier trained once) of {cfg.n_samples} real training digits (the "
             "real-against-real floor) and of as many independent-pixel images (each pixel drawn from the data's "
             "marginal: no structure); a model's position = log(FD(samples) / FD(real)) / log(FD(independent) / "
             f"FD(real)). Samples are realistic if the 95% interval across seeds of the position lies below "
             f"{lim:g} (at 1: significantly closer to the held-out digits than images with no structure beyond "
             "the pixel marginals, i.e. the samples carry digit structure), not realistic if above.  The AE part holds if decoded z ~ N(0, I) are not realistic, the VAE part if they are. "
             "Baseline (reported): the AE decoding z from a Gaussian fitted to its own codes",
        numbers={"position_real0_independent1": {k: iv.to_dict() for k, iv in pos.items()}, "position_limit": lim,
                 "fd_over_real_floor": {k: ci_dict([s[k]["frechet"] / s["real_train_subset"]["frechet"] for s in sc])
                                        for k in ("ae", "vae", "ae_fitted_gaussian", "independent_pixels")},
                 "baseline_ae_fitted_gaussian_realistic": realistic["ae_fitted_gaussian"], **summary,
                 "classifier_test_accuracy": runs[0]["classifier_test_accuracy"], "seeds": len(ps)},
        figures=["samples"],
    )
    gaps = [p["latent_gap"] for p in ps]
    w2_diff = ci_dict([float(np.log(gp["ae"]["w2"] / gp["vae"]["w2"])) for gp in gaps])
    v_gap = verdict(
        "gen.latent-gap",
        holds=sign_of(w2_diff),
        rule="fit a Gaussian to the codes of the training digits (AE: enc(x); VAE: z ~ q(z|x)) and take its "
             "Frechet (W2^2) distance to N(0, I); the AE's latent space is unregularized if the 95% interval "
             "across seeds of log(W2(AE) / W2(VAE)) lies above 0, refuted if below 0",
        numbers={"log_w2_ae_over_vae": w2_diff,
                 **{f"{k}_{m}": ci_dict([gp[k][m] for gp in gaps]) for k in ("ae", "vae")
                    for m in ("w2", "mean_sq", "cov_frob", "code_std_mean")}},
        figures=["latent"],
    )
    it = [p["interpolation"] for p in ps]
    score = mean_ci([float(np.log(i["ae"]["inner_nn_distance"] / i["vae"]["inner_nn_distance"])) for i in it])
    v_int = verdict(
        "gen.interpolation",
        holds=score.compare(0.0),
        rule=f"metric fixed in advance: decode {cfg.n_interp - 2} inner points of the straight line between the "
             f"codes of two test digits of different classes ({cfg.n_pairs} pairs per seed, the same pairs for "
             "both models); off-manifold distance = mean distance of the inner points to the nearest training "
             "digit in the scoring classifier's feature space (no per-model normalisation). The VAE stays closer "
             "to the data if the 95% interval across seeds of log(distance(AE) / distance(VAE)) lies above 0, "
             "the AE does if it lies below 0",
        numbers={"log_distance_ae_over_vae": score.to_dict(), "seeds": len(ps), "pairs_per_seed": cfg.n_pairs,
                 **{f"{k}_{m}": ci_dict([i[k][m] for i in it]) for k in ("ae", "vae")
                    for m in ("inner_nn_distance", "ends_nn_distance", "confidence")},
                 "real_test_nn_distance": ci_dict([p["real_test_nn_distance"] for p in ps])},
        figures=["interpolation"],
    )
    return [v_prior, v_gap, v_int]


def _grid(ax: Any, imgs: np.ndarray, rows: int, cols: int) -> None:
    n = min(len(imgs), rows * cols)
    canvas = np.ones((rows * 9, cols * 9))
    for i in range(n):
        r, c = divmod(i, cols)
        canvas[r * 9: r * 9 + 8, c * 9: c * 9 + 8] = imgs[i].reshape(8, 8)
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")


def figures(runs: list[Measurements], cfg: GenConfig, out: FigureSink) -> None:
    import matplotlib.pyplot as plt

    ps = _per_seed(runs)
    gr = ps[0]["grids"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 5))
    floor = ps[0]["scores"]["real_train_subset"]["frechet"]
    ceil = ps[0]["scores"]["independent_pixels"]["frechet"]
    for ax, k in zip(axes, ("ae", "vae", "ae_fitted_gaussian")):
        _grid(ax, np.array(gr[k]["prior"], dtype=float), 4, 8)
        s = ps[0]["scores"][k]
        src = "z ~ N(m, S) of its codes" if k == "ae_fitted_gaussian" else "z ~ N(0, I)"
        ax.set_title(f"{k.split('_')[0].upper()} decoded {src}\nFD {s['frechet']:.1f} = "
                     f"{s['frechet'] / floor:.1f}x real-vs-real (independent pixels {ceil / floor:.0f}x)", fontsize=9)
    out.save(fig, "samples")

    fig, axes = plt.subplots(2, 1, figsize=(7, 6))
    for ax, k in zip(axes, ("ae", "vae")):
        rows = np.array(gr[k]["interp"], dtype=float)  # (4, A, 64)
        _grid(ax, rows.reshape(-1, 64), rows.shape[0], rows.shape[1])
        ax.set_title(f"{k.upper()}: decoded interpolations between test digits of different classes")
    out.save(fig, "interpolation")

    fig, ax = plt.subplots(figsize=(6, 4))
    names = ["w2", "mean_sq", "cov_frob"]
    xs = np.arange(len(names))
    for j, k in enumerate(("ae", "vae")):
        vals = [[p["latent_gap"][k][m] for p in ps] for m in names]
        ax.bar(xs + 0.38 * j, [np.mean(v) for v in vals], 0.38, yerr=[np.std(v) for v in vals], label=k.upper())
    ax.set_xticks(xs + 0.19, ["W2^2 to N(0,I)", "|mean|^2", "|cov - I|_F"])
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("Gap of the codes to N(0, I) (mean and spread over seeds)")
    out.save(fig, "latent")


EXPERIMENT = experiment(
    "gen",
    question="Q-gen",
    claims=("gen.ae-prior", "gen.latent-gap", "gen.interpolation"),
    # quick: narrower nets, larger batches and step size, 3 seeds: about 190 passes over the data like the full
    # profile (the interpolation verdict depends on training length: see the report)
    configs={"quick": GenConfig(steps=1000, hidden=64, lr=5e-3, batch_size=256, min_seeds=3, classifier_steps=400),
             "full": GenConfig(steps=2000, hidden=200, n_pairs=400, min_seeds=8)},
    run=run,
    judge=judge,
    figures=figures,
    unit="seeds",
    description="Plain autoencoder vs VAE as generators of digits, scored by a classifier.",
)
