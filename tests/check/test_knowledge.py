"""The knowledge base (validated at load), the offline embeddings, stance rules, and the cross-validated
score on the real-sheet corpus (../shared/checker-corpus, skipped when absent)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from dlclaims.check import embed, kb
from dlclaims.check.stance import aligned_parity, framed_false, window_stance
from dlclaims.core.catalogue import claims_by_id

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "checker-corpus"


def test_every_catalogue_claim_has_twenty_examples_and_a_family():
    base = kb.load()
    assert set(base.claims) == set(claims_by_id())
    for c in base.claims.values():
        assert len(c.examples["asserts"]) + len(c.examples["denies"]) + len(c.examples["corrects"]) >= 20
        assert c.family == claims_by_id()[c.id].question


def _write(tmp_path: Path, body: str) -> Path:
    d = tmp_path / "kb"
    d.mkdir(exist_ok=True)
    (d / "x.toml").write_text(body, encoding="utf-8")
    return d


@pytest.mark.parametrize("body,message", [
    ('family = "Q-nope"\n', "unknown family"),
    ('family = "Q-elbo"\n[[claim]]\nid = "elbo.nope"\nasserts = ["a"]\n', "unknown claim id"),
    ('family = "Q-elbo"\n[[claim]]\nid = "elbo.bound"\nasserts = ["a"]\ndenies = []\n', "elbo.bound.denies is empty"),
    ('family = "Q-elbo"\n[[claim]]\nid = "elbo.bound"\nasserts = ["a", "b"]\n', "at least 20"),
    ('family = "Q-elbo"\n[[claim]]\nid = "seq.memory"\nasserts = ["a"]\n', "belongs to Q-seq"),
    ('family = "Q-elbo"\n[aliases]\nkl = []\n', "non-empty list"),
])
def test_malformed_knowledge_is_a_clear_error(tmp_path, body, message):
    with pytest.raises(kb.KBError, match=message):
        kb.load(_write(tmp_path, body))


def test_named_model_must_be_a_boolean(tmp_path):
    body = ('family = "Q-gen"\n[[claim]]\nid = "gen.latent-gap"\nnamed_model = "yes"\nasserts = ['
            + ", ".join(f'"a{i}"' for i in range(20)) + ']\n')
    with pytest.raises(kb.KBError, match="named_model must be true or false"):
        kb.load(_write(tmp_path, body))


@pytest.mark.parametrize("answer,found", [
    # a VAE-only answer about the KL says nothing of the plain autoencoder's latent space (gen.latent-gap's
    # named_model): no finding, though its words are close to the claim's examples
    ("## Q5 Generating with a VAE\n\nThe KL term pushes q(z|x) towards N(0, I), so the latent space is regularized "
     "and smooth, without holes between the codes.\n", False),
    ("## Q5\n\nThanks to the KL divergence the latent distribution is close to a standard normal, so the codes are "
     "not scattered and the latent space is continuous.\n", False),
    ("## Q5 AE vs VAE\n\nA plain autoencoder's latent space is not regularized: its codes can be anywhere, with "
     "holes between them.\n", True),
    # a VAE trained without its KL term is a plain autoencoder: saying so names the plain AE
    ("## Q5\n\nIf we did not use the KL term at all, the encoder would put the codes wherever it likes: the latent "
     "space is not regularized, with holes between the codes.\n", True),
])
def test_a_claim_about_one_model_is_found_only_where_the_answer_names_it(answer, found):
    from dlclaims.check.sheet import extract_sheet

    claims = {a.claim for a, _, _ in extract_sheet(answer, sheet="x").items}
    assert ("gen.latent-gap" in claims) is found


def test_aliases_become_canonical_terms():
    assert kb.canonical("An FCNN, i.e. a fully connected network") == "an mlp, i.e. a mlp"
    # a hyphenated "non-" is one word, as the examples write it: "non-linear" matches "nonlinear"
    assert kb.canonical("What makes a CNN non-linear are its non-linearities") == \
        "what makes a cnn nonlinear are its nonlinearities"
    assert "kl" in kb.alias_hits("the Kullback-Leibler term")


def test_wordllama_is_installed_with_its_bundled_files():
    """wordllama is a hard dependency (pyproject): without it the checker loses its embeddings, so fail loudly."""
    assert embed.available(), ("wordllama (a hard dependency in pyproject.toml) is not installed or lacks its "
                               "bundled tokenizer/weights files: pip install wordllama")


def test_embeddings_load_offline_and_rank_paraphrases_first():
    e = embed.embed(["the ELBO is a lower bound on log p(x)", "log p(x) is at least the ELBO",
                     "a CNN has fewer parameters than an MLP"])
    assert e.shape == (3, embed.DIM)
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert e[0] @ e[1] > e[0] @ e[2] + 0.2


def test_token_sums_add_up_over_concatenations():
    s, n = embed.token_sums(["weight sharing", "reduces parameters", "weight sharing reduces parameters"])
    assert n[2] == n[0] + n[1]
    assert np.allclose(s[0] + s[1], s[2], atol=1e-4)


def test_negation_counts_only_where_its_scope_is_shared():
    assert aligned_parity("it does not compute the same function", "it is not the same function") == 1
    assert aligned_parity("LayerNorm acts on each token on its own, without looking at other positions",
                          "LayerNorm acts on each token separately") == 0


def test_a_statement_framed_as_false_is_flipped():
    assert framed_false("It is a misconception that the KL term reconstructs the input.")
    assert framed_false("A plain autoencoder gives realistic samples from random codes; it cannot.")
    assert not framed_false("The KL term regularizes the latent space.")
    # a first thought the writer rejects: framed up to the writer's own "but"
    first = "My first reaction was that eta = 1 is too big, but a smaller step does not converge either."
    assert framed_false(first, "eta = 1 is too big") and not framed_false(first, "a smaller step does not converge")


def test_window_stance_prefers_assertion_unless_a_denial_is_clearly_closer():
    by = {"asserts": (1.50, "The MLP suffers more from shifted objects than the CNN."),
          "denies": (1.70, "Both models suffer equally from shifts.")}
    loose = "The CNN and the MLP were both trained on shifted digits."
    assert window_stance(loose, by, "negation")[0] == "asserts"  # a loose match to a negated claim says little
    assert window_stance(loose, by, "content")[0] == "denies"  # a correct version in other words does
    # a tight paraphrase with the other negation parity flips the matched example's stance
    by = {"asserts": (2.0, "Bob's attention does not compute the same function as softmax attention."),
          "denies": (1.0, "Bob's version is mathematically equivalent to standard attention.")}
    assert window_stance("Bob's attention computes the same function as softmax attention.", by, "negation")[0] \
        == "denies"
    assert window_stance("Bob's attention does not compute the same function.", by, "negation")[0] == "asserts"


def test_two_claims_in_one_sentence_are_both_found():
    from dlclaims.check.sheet import extract_sheet

    text = "Q3\nWith eta = 1 alternating GDA never converges, but a smaller step size would make it converge.\n"
    got = {a.claim: a.stance for a, _, _ in extract_sheet(text, sheet="t").items}
    assert got.get("minmax.no-convergence") == "assert"
    assert got.get("minmax.small-step") == "assert"


def test_findings_carry_a_confidence_and_low_ones_are_flagged(fixture_store):
    from dlclaims.check import check_sheets

    r = check_sheets([str(ROOT / "tests" / "sheets" / "example.md")], fixture_store).results[0]
    conf = [f["confidence"] for f in r["findings"]]
    assert all(isinstance(c, float) and 0.0 <= c <= 1.0 for c in conf)
    from dlclaims.check.decide import default

    assert all(f.get("review", False) == (f["kind"] == "proposition" and f["confidence"] < default().review)
               for f in r["findings"])


@pytest.mark.skipif(not CORPUS.exists(), reason="no ../shared/checker-corpus")
def test_cross_validated_scores_on_real_sheets():
    """Leave-one-sheet-out on real answer sheets (benchmarks/bench_checker_corpus.py). Measured: F1 0.868 (with
    the knowledge-base classifier's feature and the threshold in the middle of the flat F1 plateau; 0.858-0.868
    over the training-set variants tried), grade accuracy 0.957, 'wrong' precision 3/3; the bars are the issue's:
    F1 0.85, grade accuracy 0.9."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_checker_corpus import evaluate

    res = evaluate(CORPUS)
    t = res["total"]
    print({k: t[k] for k in ("precision", "recall", "f1", "grade_accuracy", "wrong_precision")})
    assert t["f1"] >= 0.85
    assert t["grade_accuracy"] >= 0.9


def test_phase_must_be_train_or_test(tmp_path):
    body = ('family = "Q-seq"\n[[claim]]\nid = "seq.sequential-steps"\nphase = "always"\nasserts = ['
            + ", ".join(f'"a{i}"' for i in range(20)) + ']\n')
    with pytest.raises(kb.KBError, match="phase must be 'train' or 'test'"):
        kb.load(_write(tmp_path, body))


def test_a_typed_eta_reads_as_eta():
    """"η = 0.1" (Unicode, as typed) is "eta = 0.1", as LaTeX's \\eta is: the step-size examples say "eta"."""
    from dlclaims.check.detect import _clean

    assert _clean("with η = 0.1 it converges") == _clean(r"with $\eta = 0.1$ it converges") == \
        "with eta = 0.1 it converges"
