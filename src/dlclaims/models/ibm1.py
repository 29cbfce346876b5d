"""IBM Model 1 (Brown et al. 1993): a lexical word aligner trained with EM, the baseline of Q-align.

Every target word f_i picks one source position a_i in {NULL, 1..S} uniformly and is
emitted with probability t(f_i | e_{a_i}); positions do not matter. The posterior of a
target word's link is then a distribution over the source words, like an attention row:

    p(a_i = j | e, f) = t(f_i | e_j) / sum_{k in {NULL, 1..S}} t(f_i | e_k)

EM from a uniform t: the E step computes these posteriors on every pair, the M step sets
t(f | e) = (expected count of f linked to e) / (expected count of e). The likelihood never
decreases (EM), and from a uniform start the result is deterministic.

Shapes: N pairs, S source length (NULL adds one column), T target length,
Ve source vocabulary, Vf target vocabulary.
"""

from __future__ import annotations

import torch
from torch import Tensor


class IBM1:
    """t(f | e) as a dense (Ve + 1, Vf) table; row Ve is the NULL source word."""

    def __init__(self, src_vocab: int, tgt_vocab: int, *, pad_id: int = 0) -> None:
        self.null = src_vocab  # the NULL word's row
        self.pad_id = pad_id
        self.t = torch.full((src_vocab + 1, tgt_vocab), 1.0 / tgt_vocab, dtype=torch.float64)  # (Ve + 1, Vf)

    def _with_null(self, src: Tensor) -> Tensor:
        """src (N, S) -> (N, S + 1) with NULL in column 0."""
        return torch.cat([torch.full_like(src[:, :1], self.null), src], dim=1)

    def posterior(self, src: Tensor, tgt: Tensor) -> Tensor:
        """src (N, S), tgt (N, T) right-padded ids -> p(a_i = j | e, f): (N, T, S + 1), column 0 = NULL.

        Padded source columns get 0; padded target rows, and words no source word can emit (t = 0 for
        every j, e.g. a word never seen in training), are all 0.
        """
        e = self._with_null(src)  # (N, S + 1)
        p = self.t[e[:, None, :], tgt[:, :, None]]  # (N, T, S + 1): t(f_i | e_j)
        real_src = torch.cat([torch.ones_like(src[:, :1], dtype=torch.bool), src != self.pad_id], dim=1)
        p = p * real_src[:, None, :] * (tgt != self.pad_id)[:, :, None]
        z = p.sum(-1, keepdim=True)  # (N, T, 1); 0 on padded rows and on words never seen in training
        return p / torch.where(z > 0, z, 1.0)  # normalise over j (a row with z = 0 stays all 0)

    def log_likelihood(self, src: Tensor, tgt: Tensor) -> float:
        """sum over pairs and target words of log( sum_j t(f_i | e_j) / (S + 1) )."""
        e = self._with_null(src)
        p = self.t[e[:, None, :], tgt[:, :, None]]  # (N, T, S + 1)
        real_src = torch.cat([torch.ones_like(src[:, :1], dtype=torch.bool), src != self.pad_id], dim=1)
        n_src = real_src.sum(-1, keepdim=True)  # (N, 1): S + 1 per pair
        per_word = (p * real_src[:, None, :]).sum(-1) / n_src  # (N, T)
        return float(per_word[tgt != self.pad_id].log().sum())

    def em_step(self, src: Tensor, tgt: Tensor) -> None:
        """One EM iteration on the pairs (src, tgt)."""
        post = self.posterior(src, tgt)  # (N, T, S + 1): expected link counts
        e = self._with_null(src)
        flat = (e[:, None, :] * self.t.shape[1] + tgt[:, :, None]).expand_as(post)  # index of (e_j, f_i)
        counts = torch.zeros(self.t.numel(), dtype=torch.float64)
        counts.scatter_add_(0, flat.reshape(-1), post.reshape(-1))
        counts = counts.view_as(self.t)
        total = counts.sum(1, keepdim=True)  # expected count of each source word
        seen = total.squeeze(1) > 0
        self.t[seen] = counts[seen] / total[seen]  # unseen source words keep their uniform row

    def fit(self, src: Tensor, tgt: Tensor, iters: int = 10) -> list[float]:
        """EM for ``iters`` iterations; returns the log-likelihood before each step and after the last."""
        ll = [self.log_likelihood(src, tgt)]
        for _ in range(iters):
            self.em_step(src, tgt)
            ll.append(self.log_likelihood(src, tgt))
        return ll
