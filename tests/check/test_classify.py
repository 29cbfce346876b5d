"""The claim classifier trained on the knowledge base (check/classify.py): the shipped weights match the
knowledge base, a refit reproduces them, and it names the claim of statements written here (not in the KB)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from dlclaims.check import classify, embed, ngrams
from dlclaims.check.detect import _clean, refs


def _log_proba(texts: list[str], every_class: bool = False) -> np.ndarray:
    r = refs()
    cl = [_clean(t) for t in texts]
    Xw = ngrams.tfidf(r.word, ngrams.counts(r.word, cl))
    E = embed.embed(cl).astype(np.float32) if embed.available() else None
    c = classify.load()
    return c.log_proba_all(Xw, E) if every_class else c.log_proba(Xw, E)


def test_the_shipped_weights_were_fitted_on_this_knowledge_base():
    """Fails after an edit of knowledge/*.toml until `python -m dlclaims.check.classify` rewrites the file."""
    assert not classify.stale(refs())


@pytest.mark.parametrize("text,claim", [
    ("Since AdaGrad keeps adding squared gradients, its steps get smaller and smaller as training goes on.",
     "ema.adagrad"),
    ("The loss of a VAE is a reconstruction part plus a KL divergence from the encoder's distribution to the prior.",
     "elbo.decomposition"),
    ("With a step size of one, alternating gradient descent ascent keeps circling the equilibrium and never converges.",
     "minmax.no-convergence"),
    ("Calling backward on a tensor with many elements raises an error unless you pass a gradient.", "scalar.error"),
    ("Each row of the attention picture belongs to one output word and each column to one input word.",
     "align.cells"),
])
def test_it_names_the_claim_of_a_new_statement(text, claim):
    lp = _log_proba([text], every_class=True)[0]
    assert int(lp.argmax()) == refs().claims.index(claim)
    assert np.isclose(np.exp(lp).sum(), 1.0)


def test_the_feature_is_the_best_window_and_skips_short_ones():
    r = refs()
    texts = ["AdaGrad's accumulated squared gradients keep growing, so the step size shrinks.",
             "The encoder maps an image to a code."]
    cl = [_clean(t) for t in texts]
    Xw = ngrams.tfidf(r.word, ngrams.counts(r.word, cl))
    E = embed.embed(cl).astype(np.float32) if embed.available() else None
    c = classify.load()
    lp = c.log_proba(Xw, E)
    i = r.claims.index("ema.adagrad")
    both = c.max_feature(Xw, E, np.array([False, False]))
    assert np.isclose(both[i], np.log(np.exp(lp[:, i]).max() + classify.FLOOR))
    only_second = c.max_feature(Xw, E, np.array([True, False]))
    assert np.isclose(only_second[i], np.log(np.exp(lp[1, i]) + classify.FLOOR))
    assert only_second[i] < both[i]
    none = c.max_feature(sp.csr_matrix((0, Xw.shape[1])), None, np.zeros(0, dtype=bool))
    assert np.allclose(none, np.log(classify.FLOOR))


def test_a_changed_knowledge_base_refits_and_caches(tmp_path, monkeypatch):
    """Without a matching shipped file the classifier is refitted (same weights to float16 rounding) and kept in
    the user cache, where the next load finds it."""
    shipped = classify.load()
    monkeypatch.setattr(classify, "PATH", tmp_path / "missing.npz")
    monkeypatch.setenv("DLCLAIMS_CACHE_DIR", str(tmp_path / "cache"))
    classify.load.cache_clear()
    try:
        refit = classify.load()
        assert list((tmp_path / "cache").glob("classifier-*.npz"))
        assert np.abs(refit.W_word - shipped.W_word).max() < 2e-2
        assert np.abs(refit.bias - shipped.bias).max() < 1e-2
    finally:
        classify.load.cache_clear()


@pytest.mark.skipif(not classify.NONE_CLASS, reason="no class 'none'")
@pytest.mark.parametrize("text", [
    "The encoder outputs a mean vector and a log-variance vector for each image.",
    "In the figure the x axis is the latent width h on a log scale and the y axis the probe accuracy.",
    "A convolutional layer has a number of filters, each with a small kernel, here 3 by 3.",
    "In my code the loss is computed with F.mse_loss and then I call loss.backward().",
])
def test_an_on_topic_description_goes_to_none(text):
    """The families' descriptions train a class "none": a sentence that only sets up or describes (written here,
    not in the knowledge base) puts most of its probability there, not on a claim."""
    lp = _log_proba([text], every_class=True)[0]
    assert lp.shape[0] == len(refs().claims) + 1 and int(lp.argmax()) == len(refs().claims)
