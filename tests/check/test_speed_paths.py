"""The checker's fast paths give the same numbers as the slow ones (no timing here: see benchmarks/bench_check.py).

refcache: a cached fit equals a fresh scikit-learn fit, bit for bit, and is never read for other inputs;
ngrams: word counts and the l2 normalisation equal scikit-learn's; a check with a warm cache imports no
scikit-learn.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from dlclaims.check import ngrams, refcache

DOCS = ["The KL term acts as a regulariser of the latent space.", "a ab abc abcd abcde and the of",
        "Self-attention costs O(n^2 d)\n per  layer; the MLP costs O(n d^2)", "", "ÉLBO ≤ log p(x)", "x y z",
        "gradient descent ascent cycles around the equilibrium, it never converges"]
NEW = DOCS + ["unknown zzz words a", "Abcde ABC the latent space is regularised by the KL term", "the of and"]
WORD = {"ngram_range": (1, 2), "sublinear_tf": True, "stop_words": "english", "token_pattern": r"(?u)\b[a-z][a-z0-9]+\b"}
CHAR = {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True}


def _same(A, B) -> bool:
    A, B = sp.csr_matrix(A), sp.csr_matrix(B)
    return A.shape == B.shape and np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices) \
        and np.array_equal(A.data, B.data)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCLAIMS_CACHE_DIR", str(tmp_path / "c"))
    return tmp_path / "c"


@pytest.mark.parametrize("kw", [WORD, CHAR, {"ngram_range": (2, 3), "token_pattern": r"(?u)\b\w\w+\b"}])
def test_counts_equal_sklearn(kw):
    v = TfidfVectorizer(**kw).fit(DOCS[:3])
    assert _same(CountVectorizer.transform(v, NEW), ngrams.counts(v, NEW))
    light = ngrams.Vectorizer.from_sklearn(v)
    assert _same(CountVectorizer.transform(v, NEW), ngrams.counts(light, NEW))
    assert np.abs(v.transform(NEW) - light.transform(NEW)).max() < 1e-12  # sklearn sums squares in its own order
    X = CountVectorizer.transform(v, NEW).astype(np.float64)
    X.data = 1.0 + np.log(X.data)
    assert _same(normalize(X @ sp.diags(v.idf_)), light.transform(NEW))  # the checker's earlier path, same layout
    # rows summed by a sparse product (the checker's pair windows) are stored in another order: still the same
    M = sp.csr_matrix(np.array([[1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 0, 0, 0, 0, 0, 1]], dtype=np.float64))
    Y = (M @ CountVectorizer.transform(v, NEW)).astype(np.float64)
    Z = Y.copy()
    if v.sublinear_tf:
        Z.data = 1.0 + np.log(Z.data)
    assert _same(normalize(Z @ sp.diags(v.idf_)), ngrams.tfidf(light, Y))


def test_l2_rows_equals_sklearn_normalize():
    rng = np.random.default_rng(0)
    X = sp.random(40, 300, density=0.1, format="csr", random_state=1) * 7.3
    X = sp.vstack([X, sp.csr_matrix((1, 300))]).tocsr()  # a zero row stays zero
    want = normalize(X, norm="l2")
    assert _same(want, ngrams.l2_rows(X.copy()))
    Y = sp.csr_matrix(rng.random((5, 9)))
    assert _same(normalize(Y), ngrams.l2_rows(Y.copy()))


def test_fit_tfidf_cached_equals_fresh_fit(cache, monkeypatch):
    first = refcache.fit_tfidf("t", DOCS, [WORD, CHAR])
    assert len(list(cache.glob("t-*.npz"))) == 1
    for kw, (vec, X) in zip([WORD, CHAR], first):
        sk = TfidfVectorizer(**kw)
        assert _same(sk.fit_transform(DOCS), X)
        assert vec.vocabulary_ == sk.vocabulary_ and np.array_equal(vec.idf_, sk.idf_)

    import sklearn.feature_extraction.text as skt

    def no_fit(*a, **k):
        raise AssertionError("refit although the cache holds this fit")

    monkeypatch.setattr(skt, "TfidfVectorizer", no_fit)
    again = refcache.fit_tfidf("t", DOCS, [WORD, CHAR])
    for (v1, X1), (v2, X2) in zip(first, again):
        assert _same(X1, X2) and v1.vocabulary_ == v2.vocabulary_ and v1.stop_words == v2.stop_words
        assert _same(v1.transform(NEW), v2.transform(NEW))
    with pytest.raises(AssertionError, match="refit"):  # other texts: another key, never the stale entry
        refcache.fit_tfidf("t", DOCS + ["one more example"], [WORD, CHAR])
    with pytest.raises(AssertionError, match="refit"):  # other settings: another key
        refcache.fit_tfidf("t", DOCS, [{**WORD, "sublinear_tf": False}, CHAR])


def test_damaged_or_absent_cache_is_refitted(cache):
    (_, X), = refcache.fit_tfidf("d", DOCS, [CHAR])
    (entry,) = cache.glob("d-*.npz")
    entry.write_bytes(b"not an npz file")
    (_, X2), = refcache.fit_tfidf("d", DOCS, [CHAR])
    assert _same(X, X2)


def test_cache_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCLAIMS_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert refcache.cache_dir() is None
    a = refcache.array("a", ["x"], {}, lambda: np.arange(3.0))
    assert np.array_equal(a, np.arange(3.0)) and not list(tmp_path.rglob("*.npz"))


def test_array_cache_keyed_by_params(cache):
    calls = []

    def build():
        calls.append(1)
        return np.full(4, float(len(calls)))

    a = refcache.array("e", ["t"], {"model": 1}, build)
    b = refcache.array("e", ["t"], {"model": 1}, build)
    c = refcache.array("e", ["t"], {"model": 2}, build)  # another model file: recomputed
    assert np.array_equal(a, b) and len(calls) == 2 and c[0] == 2.0


def test_check_with_a_warm_cache_imports_no_sklearn(cache):
    code = ("import sys; from dlclaims.check import check_text; "
            "r = check_text('Question 1\\n\\nThe KL term pulls the codes towards the prior, so the latent space is "
            "regularised.', None); "
            "print(len(r['findings']), any(m.startswith('sklearn') for m in sys.modules))")
    env = {**__import__("os").environ, "DLCLAIMS_CACHE_DIR": str(cache)}
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    n_cold, imported_cold = cold.stdout.split()
    n_warm, imported_warm = warm.stdout.split()
    assert imported_cold == "True" and imported_warm == "False"  # the first run fits (sklearn), the next ones read
    assert n_cold == n_warm


def test_jobs_give_the_same_results_in_the_same_order(fixture_store, tmp_path):
    from pathlib import Path

    from dlclaims.check import check_sheets, default_jobs

    sheets = sorted(str(p) for p in (Path(__file__).resolve().parents[1] / "sheets").glob("*.md"))[:5]
    (tmp_path / "bin.md").write_bytes(b"\x00\x01binary")
    paths = sheets[:2] + [str(tmp_path / "bin.md"), str(tmp_path / "none.md")] + sheets[2:]
    one = check_sheets(paths, fixture_store, jobs=1)
    three = check_sheets(paths, fixture_store, jobs=3)
    assert [r["sheet"] for r in one.results] == sheets
    assert one.results == three.results and one.skipped == three.skipped and len(one.skipped) == 2
    assert default_jobs(1) == 1 and 1 <= default_jobs(200) <= 200


def test_cli_refuses_jobs_below_one(fixture_store, capsys):
    from dlclaims.cli import main

    assert main(["check", "--jobs", "0", "--store", str(fixture_store), "x.md"]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_top_shared_dense_equals_sparse():
    from dlclaims.check.match import _top_shared, _top_shared_dense

    rng = np.random.default_rng(3)
    A = sp.csr_matrix(np.round(rng.random((5, 40)), 1) * (rng.random((5, 40)) < 0.5))  # rounded: ties
    B = sp.csr_matrix(np.round(rng.random((6, 40)), 1) * (rng.random((6, 40)) < 0.4))
    B = B @ sp.diags(np.ones(40))  # rows in reversed column order, as the checker's TF-IDF rows are
    for a in range(5):
        for b in range(6):
            for k in (1, 3, 6):
                assert _top_shared_dense(A.toarray(), a, B, b, k) == _top_shared(A, a, B, b, k)


@pytest.mark.parametrize("dense_min", [1, 3, 10**9])
def test_split_product_equals_sparse_product(dense_min):
    """The common rows dense and the rest sparse give X @ B (to rounding), whichever rows are common."""
    rng = np.random.default_rng(5)
    B = sp.csr_matrix(rng.random((30, 12)) * (rng.random((30, 12)) < np.linspace(0.05, 0.9, 30)[:, None]))
    X = sp.csr_matrix(rng.random((7, 30)) * (rng.random((7, 30)) < 0.3))
    split = ngrams.SplitProduct(B, dense_min=dense_min)
    assert split.shape == B.shape and len(split.common) == int((np.diff(B.indptr) >= dense_min).sum())
    np.testing.assert_allclose(split.times(X), (X @ B).toarray(), rtol=0, atol=1e-12)


def test_family_products_equal_sparse_ones():
    """The family scores' dense (V, F) transposes give the sparse products' floats exactly."""
    from dlclaims.check import match

    m = match._model()
    cleaned = [match.clean_for_match(t) for t in DOCS]
    DwT, DcT = match._transposed()
    for vec, D, DT in ((m.word, m.Dw, DwT), (m.char, m.Dc, DcT)):
        X = ngrams.tfidf(vec, ngrams.counts(vec, cleaned))
        assert np.array_equal(X @ DT, (X @ D.T.tocsr()).toarray())


@pytest.mark.skipif(not __import__("dlclaims.check.embed", fromlist=["x"]).available(), reason="needs wordllama")
def test_piecewise_token_ids_equal_the_batch_encode():
    """embed._encode reads a text piece by piece ("▁▁word" runs, cached): the same ids as the tokenizer's own
    batch encode, on texts with leading, trailing and repeated spaces, newlines, tabs and a literal '▁'."""
    from pathlib import Path

    from dlclaims.check import embed

    tok, _ = embed._model()
    sheets = sorted((Path(__file__).resolve().parents[1] / "sheets").glob("*.md"))[:20]
    texts = DOCS + NEW + ["", " ", "  ", "x ", "x  ", "  a  b  ", " \n a", "\t x", "a ▁ b", "▁▁x", " ▁", "a\n\nb c "]
    for p in sheets:
        t = p.read_text(encoding="utf-8")
        texts += [t] + t.split("\n") + [t[i:i + 37] for i in range(0, min(len(t), 3000), 53)]
    want = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    assert embed._encode(tok, texts) == want
    assert embed._encode(tok, texts) == want  # again, from the piece cache


def test_repeated_windows_score_as_once():
    """score_windows scores a repeated window (and a repeated run of windows) once: each row equals the row of
    the same windows scored without the repeats."""
    from dlclaims.check.detect import score_windows

    texts = ["The KL term regularises the latent space.", "A plain autoencoder leaves gaps in it.",
             "The KL term regularises the latent space.", "x", "", ""]
    pairs = [None, None, None, None, None, None, (0, 1), (2, 1), (0, 1, 3)]
    texts += [""] * 3
    full = score_windows(texts, pairs)
    alone = score_windows(texts[:2] + texts[3:4] + [""] * 2, [None, None, None, (0, 1), (0, 1, 2)])
    for got, want in [(full.wl, alone.wl), (full.tf, alone.tf), (full.neg, alone.neg), (full.best_col, alone.best_col)]:
        assert np.array_equal(got[[0, 1, 2, 3, 6, 7, 8]], want[[0, 1, 0, 2, 3, 3, 4]])
    assert np.array_equal(full.wl[4], full.wl[5])
    for st, (v, c) in full.by_stance.items():
        assert np.array_equal(v[[0, 2, 6, 7]], alone.by_stance[st][0][[0, 0, 3, 3]])
    assert _same(full.words[[0, 2, 6, 7]], alone.words[[0, 0, 3, 3]])


def test_formulas_kept_as_written_are_what_the_parser_returns():
    """latex._convert skips pylatexenc for a formula of plain ASCII operands and operators: on random such
    formulas (and on the labelled sheets' formulas of that kind) the parser returns the same text."""
    import random
    from pathlib import Path

    from dlclaims.check import latex

    rng = random.Random(0)
    alphabet = "abxyzOnTd0129()[]+*/=<>^_,.;:|!?#@- "
    cands = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    for p in sorted((Path(__file__).resolve().parents[1] / "sheets").glob("*.md")):
        cands += [next(g for g in m.groups() if g is not None).strip() for m in latex._MATH.finditer(p.read_text())]
    fast = [c for c in cands if latex._AS_WRITTEN.fullmatch("$" + c + "$")]
    assert len(fast) > 1000 and any("--" in c for c in cands)  # the check covers both sides of the rule
    for c in fast:
        assert latex._parse("$" + c + "$") == c, c
    assert not latex._AS_WRITTEN.fullmatch("$a--b$") and latex._parse("$a--b$") != "a--b"
