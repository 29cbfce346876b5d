"""IBM Model 1: posteriors are distributions, EM matches a loop implementation, the likelihood rises, and it
recovers a word-for-word dictionary from shuffled sentences."""

from __future__ import annotations

import itertools
import math

import torch

from dlclaims.models.ibm1 import IBM1


def naive_em_step(t: dict, pairs: list[tuple[list[int], list[int]]], null: int) -> dict:
    """One EM step of IBM Model 1 written with loops over words (the textbook pseudo-code)."""
    count: dict = {}
    total: dict = {}
    for src, tgt in pairs:
        e_words = [null] + src
        for f in tgt:
            z = sum(t[(e, f)] for e in e_words)
            for e in e_words:
                c = t[(e, f)] / z
                count[(e, f)] = count.get((e, f), 0.0) + c
                total[e] = total.get(e, 0.0) + c
    return {(e, f): (count.get((e, f), 0.0) / total[e] if e in total else v) for (e, f), v in t.items()}


def test_em_step_equals_the_loop_version():
    pairs = [([3, 4], [5, 6]), ([3], [5]), ([4, 7, 3], [6, 8, 5])]
    V_e, V_f = 8, 9
    src = torch.zeros(3, 3, dtype=torch.long)
    tgt = torch.zeros(3, 3, dtype=torch.long)
    for n, (s, f) in enumerate(pairs):
        src[n, : len(s)] = torch.tensor(s)
        tgt[n, : len(f)] = torch.tensor(f)
    model = IBM1(V_e, V_f)
    t = {(e, f): 1.0 / V_f for e in range(V_e + 1) for f in range(V_f)}
    for _ in range(3):
        model.em_step(src, tgt)
        t = naive_em_step(t, pairs, V_e)
    for (e, f), v in t.items():
        assert math.isclose(float(model.t[e, f]), v, rel_tol=1e-9, abs_tol=1e-12)


def toy_corpus(n: int = 300, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source words 3..12 translate to target words 3 + (w - 3 + 4) % 10 (a permutation); target order shuffled."""
    g = torch.Generator().manual_seed(seed)
    src = torch.zeros(n, 6, dtype=torch.long)
    tgt = torch.zeros(n, 6, dtype=torch.long)
    perm = torch.zeros(n, 6, dtype=torch.long)
    for k in range(n):
        length = int(torch.randint(2, 7, (1,), generator=g))
        words = torch.randperm(10, generator=g)[:length] + 3
        order = torch.randperm(length, generator=g)
        src[k, :length] = words
        tgt[k, :length] = 3 + (words[order] - 3 + 4) % 10
        perm[k, :length] = order  # target i translates source order[i]
    return src, tgt, perm


def test_posterior_rows_are_distributions_over_null_and_the_real_words():
    src, tgt, _ = toy_corpus(20)
    model = IBM1(13, 13)
    model.fit(src, tgt, iters=2)
    p = model.posterior(src, tgt)  # (N, T, S + 1)
    real_t = tgt != 0
    torch.testing.assert_close(p.sum(-1)[real_t], torch.ones(int(real_t.sum()), dtype=torch.float64))
    assert bool((p.sum(-1)[~real_t] == 0).all())
    assert bool((p[:, :, 1:][(src == 0)[:, None, :].expand(-1, tgt.shape[1], -1)] == 0).all())


def test_em_raises_the_likelihood_and_recovers_the_dictionary():
    src, tgt, perm = toy_corpus()
    model = IBM1(13, 13)
    ll = model.fit(src, tgt, iters=8)
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(ll)) and ll[-1] > ll[0] + 100
    best = model.t[3:13, 3:13].argmax(1) + 3  # most likely translation of each source word
    assert best.tolist() == [3 + (w - 3 + 4) % 10 for w in range(3, 13)]
    # the posterior links each target word to the source word it translates, whatever the order
    p = model.posterior(src, tgt)[:, :, 1:]  # (N, T, S) without NULL
    real = tgt != 0
    assert bool((p.argmax(-1)[real] == perm[real]).all())
