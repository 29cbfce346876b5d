"""The decision reads the most likely of a claim's top-k first-stage windows (detect.candidates, decide.proba_best)."""

from __future__ import annotations

import numpy as np

from dlclaims.check import decide, detect


def _decider(coef: list[float], top_k: int) -> decide.Decider:
    f = len(coef)
    return decide.Decider(["a"] * f, [0.0] * f, [1.0] * f, coef, 0.0, top_k=top_k)


def test_proba_best_keeps_the_most_likely_window_within_top_k():
    # pair 0: the second window is more likely; pair 1: the first; the third window of pair 0 is the best of all
    Xk = np.array([[[0.0, 1.0], [2.0, 0.0], [5.0, 0.0]],
                   [[1.0, 0.0], [-1.0, 0.0], [-2.0, 0.0]]])  # (2, 3, 2)
    p, j = _decider([1.0, 0.0], 2).proba_best(Xk)
    assert j.tolist() == [1, 0]
    np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-np.array([2.0, 1.0]))))
    p3, j3 = _decider([1.0, 0.0], 3).proba_best(Xk)
    assert j3.tolist() == [2, 0] and p3[0] > p[0]
    p1, j1 = _decider([1.0, 0.0], 1).proba_best(Xk)  # top-1: the first-stage choice, whatever the others say
    assert j1.tolist() == [0, 0]
    np.testing.assert_allclose(p1, 1.0 / (1.0 + np.exp(-np.array([0.0, 1.0]))))


def test_candidates_read_the_window_the_shipped_decision_prefers():
    from dlclaims.check.sheet import analyse

    text = ("Q3\nThe answer is below (see the notes). With eta = 1 alternating gradient descent ascent never "
            "converges: the iterates circle the equilibrium, and a smaller step size would make it converge.\n")
    an = analyse(text)
    d = decide.default()
    assert an.candidates
    for c in an.candidates:
        assert c.xk.shape[1] == len(detect.FEATURES) and 1 <= c.xk.shape[0] <= detect.TOP_K
        _, j = d.proba_best(c.xk[None])
        np.testing.assert_allclose(c.x, c.xk[j[0]])
        assert d.proba(c.x)[0] >= d.proba(c.xk[:1])[0] - 1e-12  # never less likely than the first-stage window
    # the fragment penalty: a clause cut from a longer sentence is marked, with its length in words
    i = detect.FEATURES.index("clause")
    w = detect.FEATURES.index("log_words")
    assert {float(v) for c in an.candidates for v in c.xk[:, i]} <= {0.0, 1.0}
    assert all(np.all(c.xk[:, w] >= 0) for c in an.candidates)


def test_the_threshold_is_the_middle_of_the_best_f1_plateau():
    import numpy as np

    from dlclaims.check.decide import choose_threshold

    # positives at 0.9, negatives at 0.1: every cut in (0.1, 0.9] is perfect, the middle one is taken
    p = np.array([0.9] * 10 + [0.1] * 10)
    y = np.array([1] * 10 + [0] * 10)
    assert 0.45 <= choose_threshold(p, y) <= 0.55
    # one sharp best cut: it is taken
    p = np.array([0.9] * 10 + [0.6] * 10 + [0.3] * 10)
    y = np.array([1] * 10 + [1] * 10 + [0] * 10)
    assert 0.3 < choose_threshold(p, y, plateau=0.0) <= 0.6
    assert choose_threshold(p, y) == choose_threshold(p, y, plateau=0.01)


def test_the_stance_is_read_in_the_claims_own_answer_even_where_another_answer_scores_higher():
    from dlclaims.check.sheet import analyse

    text = ("Q1 VAE objective\nThe ELBO is E_q[log p(x|z)] - KL(q(z|x) || p(z)). The second term is the regularizer; "
            "without it (beta = 0) the VAE is just a plain AE.\n\n"
            "Q2 AE vs VAE as generator\nplain AE: z = enc(x), loss only ||x - dec(z)||^2, no prior at all. I think if we "
            "sample random z inside the box of training codes and decode, the images are good too, because the decoder "
            "learned the manifold of digits.\n")
    an = analyse(text)
    gen = next(b for b, g in enumerate(an.groups) if g[0] == "Q-gen")
    c = next(x for x in an.candidates if x.claim == "gen.ae-prior")
    assert c.support and {s.window.block for s in c.support} == {gen}  # not the ELBO answer's 'VAE is a plain AE'
