"""Stance rules: negation scope ends at a sentence, corrections ("rather than", "instead of"), vote agreement."""

from __future__ import annotations

from dataclasses import dataclass

from dlclaims.check.stance import clauses, matching_sentence, parity, vote_detail, window_stance

ASSERT = "A smaller step is preferable and would reach the optimum."
DENY = "Even with a tiny learning rate the iterates keep orbiting and never converge."
ODDS = {"never": -2.0}  # "never" leans to the denials


def test_a_negation_scope_ends_at_the_sentence():
    assert clauses("It never gets to the optimum. A step of 0.1 would converge.") == [
        "It never gets to the optimum.", "A step of 0.1 would converge."]
    assert clauses("a step of 0.1 would converge") == ["a step of 0.1 would converge"]  # decimals are no ends


def test_contrast_words_are_read_in_the_sentence_about_the_claim():
    by = {"asserts": (0.88, ASSERT), "denies": (0.79, DENY)}
    two = "The sequence repeats, so it never gets to the optimum. If we used a step of 0.1 it would converge slowly."
    assert matching_sentence(two, ASSERT + " " + DENY).startswith("If we used")
    assert window_stance(two, by, odds=ODDS)[0] == "asserts"
    # the same words in one sentence: the "never" is this statement's, and the denial wins
    one = "With a step of 0.1 the iterates never converge slowly to the optimum."
    assert window_stance(one, by, odds=ODDS)[0] == "denies"


def test_rather_than_and_instead_of_negate_what_follows():
    assert parity("the KL term rather than the likelihood term regularizes") == 1
    assert parity("the KL term instead of the likelihood term regularizes") == 1
    assert parity("the KL term and the likelihood term regularize") == 0


@dataclass
class _W:
    text: str
    quote: str = ""


@dataclass
class _S:
    window: _W
    score: float
    by_stance: dict


def test_the_vote_reports_how_far_the_windows_agree():
    a = {"asserts": (1.0, "Max pooling is a nonlinear operation."), "denies": (0.5, "Max pooling is linear.")}
    d = {"asserts": (0.5, "Max pooling is a nonlinear operation."), "denies": (1.2, "Max pooling is linear.")}
    same = [_S(_W("max pooling is a nonlinear operation here"), 1.0, a), _S(_W("pooling is a nonlinear map here"), 1.0, a)]
    assert vote_detail(same)[0] == "asserts" and vote_detail(same)[3] == 1.0
    split = [_S(_W("max pooling is a nonlinear operation here"), 1.0, a), _S(_W("max pooling is linear in this net"), 2.0, d)]
    st, _, _, share = vote_detail(split)
    assert st == "denies" and abs(share - 2 / 3) < 1e-9


def test_a_formula_alone_states_no_stance():
    a = {"asserts": (1.4, "The step size is too large; with a smaller learning rate the iterates would converge."),
         "denies": (0.9, "Even with a tiny learning rate the iterates keep orbiting and never converge.")}
    formula = [_S(_W(r"$y_{i+1} = \text{learning rate} \cdot x_i$ and $x_{i+1} = x_i - y_{i+1}$"), 1.4, a)]
    assert vote_detail(formula)[3] == 0.0  # read as asserting, but nothing is said in words: ambiguous
    worded = [_S(_W("with a smaller learning rate the iterates would converge to the optimum"), 1.4, a)]
    assert vote_detail(worded)[3] == 1.0
