"""Which term plays which part (check/assignments.py, structure.toml [[assignment]]): a role swap that similarity
cannot see. Sentences written here."""

from __future__ import annotations

import pytest

from dlclaims.check import structure
from dlclaims.check.assignments import links, read
from dlclaims.check.sheet import analyse

SPEC = next(a for a in structure.load().assignments if a.claim == "elbo.term-roles")


@pytest.mark.parametrize("text,pairs", [
    ("The KL divergence acts as a regularizer, pulling q(z|x) towards the prior.", {("kl", "regularizer")}),
    ("The regularizer is the KL term.", {("kl", "regularizer")}),
    ("Here the KL term regularizes the codes.", {("kl", "regularizer")}),
    ("* $D_{KL}(q(z|x) || p(z))$ is a **KL divergence** that acts as a **regularizer**.", {("kl", "regularizer")}),
    ("The likelihood term is the regularization term: it keeps the decoder from overfitting.",
     {("likelihood", "regularizer")}),
    ("The reconstruction loss serves as a regularizer for the encoder.", {("likelihood", "regularizer")}),
    ("As for roles, the expectation term is the regulariser, keeping the decoder smooth.",
     {("likelihood", "regularizer")}),
    ("1st term acts as the regularizer, the KL term handles the rest.", {("likelihood", "regularizer")}),
    ("The second term is a regularizer on the codes.", {("kl", "regularizer")}),
    # the true roles with the likelihood named first: the part links to the term nearest before it
    ("The log-likelihood pushes the decoder to rebuild x; the KL is the regularizer.", {("kl", "regularizer")}),
    # the KL's arguments between the term and its verb; a formula's closing bracket before the verb
    ("The KL between the encoder's q(z|x) and the N(0, I) prior is the regulariser.", {("kl", "regularizer")}),
    ("E_q[log p(x|z)] is the reconstruction term, minus the BCE for a Bernoulli decoder.",
     {("likelihood", "reconstruction")}),
    # a negated link, and a part with no copula to any term, are not read
    ("The reconstruction term is not a regularizer.", set()),
    ("Regularization matters in every model, and the reconstruction term is computed on a batch.", set()),
])
def test_links(text, pairs):
    assert links(SPEC, text) == pairs


def test_the_pairs_give_the_stance_and_a_two_sided_sentence_is_not_read():
    [a] = read([("", "The KL term is the regularizer of the model.")])
    assert (a.claim, a.stance, a.kind) == ("elbo.term-roles", "deny", "proposition")
    [a] = read([("", "The likelihood term acts as the regularizer.")])
    assert a.stance == "assert"
    assert read([("", "The likelihood term is a regularizer, and the KL term is a regularizer too.")]) == []


def test_a_sheet_that_gives_the_true_roles_denies_the_claim_whatever_similarity_says():
    text = ("Q3) The first term, the expected log-likelihood, makes the decoder reproduce its input. "
            "The second one, the KL divergence, acts as a regularizer that keeps each posterior near N(0, I).")
    found = {a.claim: a.stance for a, _, _ in analyse(text).structural}
    assert found.get("elbo.term-roles") == "deny"


def test_the_spec_is_validated():
    data = {"family": {"Q-seq": {"symbols": {"t": "length"}, "default_aspect": "time-train"}},
            "assignment": [{"claim": "elbo.term-roles", "asserts": ["likelihood", "nope"], "denies": ["kl", "reg"],
                            "terms": {"likelihood": ["lik"], "kl": ["kl"]}, "parts": {"reg": ["reg"]}}]}
    with pytest.raises(structure.StructureError, match="assignment elbo.term-roles.asserts"):
        structure.parse(data)


def test_the_sheets_own_voice_beats_what_it_reports_others_saying():
    got = read([("", 'My study group said the KL is "the regularizer".'),
                ("", "I think it is the other way round: the expected log-likelihood is the regularization term.")])
    assert [a.stance for a in got] == ["assert"]
    got = read([("", "The slides say the likelihood term is the regularizer."),
                ("", "In fact the KL term is the regularizer.")])
    assert [a.stance for a in got] == ["deny"]


def test_links_are_read_through_ocr_damage_but_an_ordinal_is_no_misread():
    [a] = read([("", "The expected log-likelihood is the regu1arization term.")])  # 1 for l
    assert a.stance == "assert" and "regu1arization" in a.quote  # the sheet's own words are quoted
    [a] = read([("", "1st term acts as the regularizer, the KL term is the reconstruction part.")])
    assert a.stance == "assert"


def test_the_first_one_and_the_second_one_are_the_terms():
    assert links(SPEC, "of the two terms, the first one is the regulariser and the kl part is the fit") >= \
        {("likelihood", "regularizer")}
    assert links(SPEC, "the second one is the regulariser") == {("kl", "regularizer")}


def test_which_term_makes_the_reconstructions_is_a_role_too():
    """The swapped roles are also stated through the reconstruction ("the KL is what makes the reconstructions good"),
    and a link of the regularizer (the claim's own wording) beats one of the reconstruction."""
    swap = read([("", "the KL is the term that makes the reconstructions good.")])
    assert [(a.claim, a.stance) for a in swap] == [("elbo.term-roles", "assert")]
    both = read([("", "In code the first term is the reconstruction loss."),
                 ("", "As I remember from the notes, the log-likelihood is the regularization term.")])
    assert [(a.claim, a.stance) for a in both] == [("elbo.term-roles", "assert")]
    assert [a.stance for a in read([("", "The first term is the reconstruction term.")])] == ["deny"]
