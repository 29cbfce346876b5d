"""Stance rules: negation scope ends at a sentence, corrections ("rather than", "instead of"), vote agreement."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dlclaims.check.stance import (aligned_parity, clauses, framed_false, matching_sentence, opposed, parity, vote_detail,
                                   window_stance)

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


def test_a_claim_about_one_of_two_contrasted_models_has_that_model_as_subject():
    from dlclaims.check.stance import claim_subject, subject_reading

    assert claim_subject("the plain autoencoder's latent space is not regularized.") == ("ae", "vae")
    assert claim_subject("an MLP suffers more from shifted objects.") == ("mlp", "cnn")
    assert claim_subject("an RNN needs O(t) steps, a Transformer's depends only on l.") is None  # both halves
    sub = ("ae", "vae")
    assert subject_reading("the VAE regularizes its latent space with the KL term", sub) == "none"
    assert subject_reading("a variational autoencoder has a regular latent space", sub) == "none"
    assert subject_reading("the autoencoder's latent space is regularized too", sub) == "vote"
    assert subject_reading("regularizing the latent space toward the prior", sub) == "assert-only"
    assert subject_reading("the VAE regularizes its latent space", None) == "vote"


def test_a_statement_about_the_other_model_neither_asserts_nor_denies():
    from dlclaims.check.stance import vote_detail

    sub = ("ae", "vae")
    by = {"asserts": (1.3, "the plain autoencoder's latent space is not regularized."),
          "denies": (1.4, "The latent space of an ordinary autoencoder is already regularized.")}
    ae = [_S(_W("the latent space of an ordinary autoencoder is already regularized here"), 1.4, by)]
    assert vote_detail(ae, "negation", None, sub)[0] == "denies"  # names the claim's model: a denial
    vae = [_S(_W("the latent space of the VAE is already regularized by its KL term"), 1.4, by)]
    assert vote_detail(vae, "negation")[0] == "asserts"  # without a subject too: the denial is about the other model
    st, _, _, share = vote_detail(vae, "negation", None, sub)
    assert st == "asserts" and share == 0.0  # about the VAE: no stance on the autoencoder (a 'wrong' is held back)
    neither = [_S(_W("the latent space is already regularized toward the normal prior"), 1.4, by)]
    assert vote_detail(neither, "negation")[0] == "denies"
    st, _, _, share = vote_detail(neither, "negation", None, sub)
    assert st == "asserts" and share == 0.0  # names no model: may assert, never deny
    mixed = neither + ae
    assert vote_detail(mixed, "negation", None, sub)[0] == "denies"  # only the window naming the autoencoder votes


def test_a_fragment_finds_a_claim_but_does_not_vote_on_its_stance():
    by = {"asserts": (0.7, "L_T is small and does not depend on the network, so it is dropped."),
          "corrects": (1.6, "The forward process is fixed, so L_T does not depend on theta.")}
    short = [_S(_W("doesn't depend on theta"), 1.6, by)]  # 4 words: too short to say which reading it takes
    st, _, _, share = vote_detail(short, "content")
    assert st == "asserts" and share == 0.0
    longer = [_S(_W("the forward process is fixed, so this term doesn't depend on theta"), 1.6, by)]
    assert vote_detail(longer, "content")[0] == "corrects"


def test_a_contrast_tail_belongs_to_the_clause_it_corrects():
    """"X (...), not Y" states X: read with its tail, the clause has the same negations as an example worded the
    same way, so the stance does not flip (a cut clause "X" against the example "X, not Y" read as a denial)."""
    from dlclaims.check.stance import with_contrast_tail

    s = "For a vector-valued output the derivative is a Jacobian (m x n), not a gradient vector."
    clause = "For a vector-valued output the derivative is a Jacobian"
    assert with_contrast_tail(s, clause) == clause + ", not a gradient vector"
    assert with_contrast_tail("The derivative is a Jacobian, so backward needs v.", "The derivative is a Jacobian") \
        == "The derivative is a Jacobian"
    ex = "For a vector output the derivative is a Jacobian matrix, not a gradient vector."
    by = {"asserts": (2.0, ex), "denies": (1.5, "The derivative of a vector output is a single gradient vector.")}
    assert window_stance(clause, by, sentence=s)[0] == "asserts"
    assert window_stance(s, by)[0] == "asserts"


def test_a_window_about_one_model_is_read_against_that_half_of_a_two_model_example():
    from dlclaims.check.stance import other_model, part_about

    ex = "decoding random latents from a plain autoencoder gives no realistic samples; a VAE's prior samples are realistic"
    s = "The VAE's KL term pulls every posterior to the prior, so decoding prior samples gives realistic digits."
    assert part_about(ex, s) == "a VAE's prior samples are realistic"
    assert part_about(ex, "Random codes decode to junk.") == ex  # no model named: the whole example
    ae_real = "Decoding random latents with a plain autoencoder gives realistic digits."
    by = {"asserts": (1.7, ex), "denies": (1.5, ae_real)}
    clause = "so decoding prior samples gives realistic digits."
    assert window_stance(clause, by, sentence=s)[0] == "asserts"  # the VAE half, stated: no flip to a denial
    assert other_model(s, by["denies"][1])
    ae = "Decoding random latent vectors with the plain autoencoder gives realistic digits."
    assert window_stance(ae, by)[0] == "denies"  # about the autoencoder: the denial stands


def test_a_loose_match_with_the_other_negations_abstains():
    """A description that shares words with a negated example but is no paraphrase of it says neither; a tight
    paraphrase with the other parity still flips; the vote is left to the windows that say something."""
    by = {"asserts": (1.43, "Bob's attention does not compute the same function as softmax attention."),
          "denies": (1.40, "Bob's attention computes exactly the same output as softmax attention, just faster.")}
    assert window_stance("Bob's version first computes K^T V and then applies the softmax of Q.", by)[0] == "abstains"
    tight = {"asserts": (1.36, "Bob's does not compute the same function.")}
    assert window_stance("so Bob's does compute the same function.", tight)[0] == "denies"
    win = [_S(_W("Bob's version first computes K^T V and then applies the softmax of Q."), 1.47, by),
           _S(_W("so Bob's does compute the same function, only faster."), 1.36, tight)]
    assert vote_detail(win, "content")[0] == "denies"


def test_without_negates_its_object_only():
    from dlclaims.check.stance import aligned_parity

    ex = "Calling backward() on a non-scalar tensor raises an error."
    assert aligned_parity("calling it without an argument raises an error", ex) == 0  # the argument, not the error
    assert aligned_parity("it runs without an error", ex) == 1


def test_a_denial_worded_as_a_negation_needs_a_negation_in_the_window():
    by = {"asserts": (1.40, "A one-hidden-layer net needs at least 2^k - 1 units for the sawtooth."),
          "denies": (1.62, "A deep ReLU net has no more linear pieces than a one-layer net with the same units.")}
    assert window_stance("a deep ReLU net does it with 2 units per layer and k layers", by, "negation")[0] == "asserts"
    assert window_stance("a deep ReLU net has no more linear pieces than a one-layer net", by, "negation")[0] == "denies"


def test_not_only_negates_an_only_of_the_other_text():
    """"Not only in attention" negates "only attention"; against a text with no "only" it stays an idiom."""
    tail = "Token mixing happens in the feed-forward layer, not only in attention."
    assert aligned_parity(tail, "only attention mixes the tokens") == 1
    assert aligned_parity("only attention mixes the tokens", tail) == 0
    assert aligned_parity(tail, "attention mixes the tokens") == 0  # "not only X but also Y": no negation
    by = {"asserts": (1.18, "The feed-forward layer does not look across positions."), "denies": (1.81, tail)}
    # the window says the opposite of the tail the denial rests on: it does not deny the claim
    assert window_stance("Only attention is mixing the tokens.", by)[0] != "denies"
    assert window_stance("Token mixing happens in the feed-forward layer too, not only in attention.", by)[0] == \
        "denies"


def test_a_view_set_up_to_be_rejected_is_framed_false():
    assert framed_false("It is tempting to call them equal by associativity")
    assert framed_false("One might be tempted to say the two are the same")
    assert not framed_false("It is equal by associativity")
    assert framed_false('Where I disagree with the slides is "a wrong bias hurts".')
    assert framed_false("I don't agree that a smaller step size makes it converge")
    assert not framed_false("I agree that a smaller step size does not help")


def test_a_negations_scope_ends_at_its_clause():
    """"does not help: updates still cycle": the negation is of "help", not of what follows the colon."""
    denial = "A smaller step size does not help: alternating updates still cycle on a closed orbit."
    assert aligned_parity(denial, "with alternating updates any eta still gives a closed orbit") == 0
    assert aligned_parity("it does not cycle on a closed orbit", denial) == 1
    by = {"asserts": (1.4, "A smaller eta would damp the oscillation."), "denies": (1.8, denial)}
    assert window_stance("With alternating updates any eta below 2 still gives a closed orbit.", by)[0] == "denies"


def test_a_sentence_may_end_after_a_brace():
    assert clauses("h_t needs h_{t-1}. The Transformer has l steps") == ["h_t needs h_{t-1}.", "The Transformer has l steps"]


def test_an_opposite_word_in_a_close_paraphrase_takes_the_other_stance():
    sequential = "At test time the Transformer is sequential too."
    assert opposed("At test time the Transformer is also parallel.", sequential)
    assert not opposed("At test time the Transformer is sequential as well.", sequential)
    assert not opposed("Training is parallel but decoding is sequential.", sequential)  # both words: no swap
    by = {"asserts": (1.80, sequential), "denies": (1.85, "At test time the Transformer emits every token at once.")}
    assert window_stance("And at test time the Transformer is also parallel.", by)[0] == "denies"
    assert window_stance("And at test time the Transformer is also sequential.", by)[0] == "asserts"


def test_a_window_that_says_an_examples_head_is_not_read_against_its_contrast_tail():
    """"... is a Jacobian matrix, not a gradient vector": a window saying only the head agrees with the example."""
    by = {"asserts": (2.4, "For a vector output the derivative is a Jacobian matrix, not a gradient vector."),
          "denies": (1.6, "The gradient of a vector output is a single vector, not a Jacobian.")}
    assert window_stance("For a vector output the derivative is a Jacobian matrix", by)[0] == "asserts"
    # a window that says the head loosely keeps the whole example (its words may be the tail's)
    assert window_stance("For a vector output the derivative is a gradient vector", by)[0] != "asserts"


def test_a_negated_opposite_word_is_left_to_the_negation():
    # "on its own" against "between positions": opposite words; against "do not look across positions": the same
    assert opposed("The MLP works on each position on its own.", "The MLP is where information flows between positions.")
    assert not opposed("The MLP works on each position on its own.", "The MLP does not look across positions.")
    assert not opposed("GDA converges after a few steps.", "Alternating GDA never converges.")  # parity reads it


def test_a_universal_denial_needs_a_quantified_window():
    """"Every target word always attends to exactly one source word" is not denied by a description of some rows."""
    by = {"asserts": (1.1, "When a row has several non-zero cells, the target word draws on several source words."),
          "denies": (1.7, "Every target word always attends to exactly one source word.")}
    some = "A row with a single bright cell means the target word is aligned to exactly one source word."
    assert window_stance(some, by)[0] != "denies"
    assert window_stance("Each target word is aligned to exactly one source word.", by)[0] == "denies"


def test_the_same_is_opposed_to_an_examples_different_before_its_tail():
    """"a different attention, not a faster implementation of the same one" holds "different": a window saying "the
    same attention" does not agree with it (it says the tail, which the example negates)."""
    example = "The result of Bob's method is a different attention, not a faster implementation of the same one."
    by = {"asserts": (1.33, example), "denies": (1.10, "Bob's attention computes exactly the same output as before.")}
    assert window_stance("This is the same attention", by)[0] != "asserts"
    assert window_stance("This is a different attention", by)[0] == "asserts"
    assert opposed("the outputs are the same", "the outputs are different")


def test_a_name_the_writer_rejects_is_framed_false():
    assert framed_false('The KL is the regularizer, so calling the likelihood "the regularization term" gets the roles '
                        'backwards.')
    assert not framed_false("Calling backward() on a vector output needs a gradient argument.")


def test_a_negations_scope_is_matched_across_inflections():
    """"does not make" negates "makes" of the other text ("make" and "makes" share a stem)."""
    assert aligned_parity("weight sharing alone does not make the conv net translation invariant",
                          "Weight sharing makes the CNN translation invariant.") == 1
    assert aligned_parity("it does not matter here; weight sharing makes it invariant",
                          "Weight sharing makes the CNN translation invariant.") == 0


def test_an_inequality_sign_is_a_negation():
    assert parity("softmax(Q)(K^T V) != softmax(QK^T)V") == 1
    assert parity("$a \\neq b$") == 1 and parity("a ≠ b") == 1 and parity("a = b") == 0
    by = {"asserts": (2.1, "Bob's trick is wrong: softmax(QK^T)V is not softmax(Q)(K^T V)."),
          "denies": (0.9, "Applying the softmax to Q first gives the same attention outputs.")}
    assert window_stance("No - softmax is nonlinear, softmax(Q)(K^T V) != softmax(QK^T)V.", by)[0] == "asserts"


def test_a_clause_about_the_other_model_does_not_deny():
    """"... decoded junk. VAE samples look like digits.": the clause that matches the denial ("a plain autoencoder's
    random latents look like real digits") is about the VAE."""
    by = {"asserts": (1.80, "The VAE's prior samples look like real data, the autoencoder's do not."),
          "denies": (1.81, "Random latents decoded by a vanilla autoencoder look like real digits.")}
    window = "plain AE: z ~ N(0,I) -> decoded junk, nothing makes its codes look like N(0,I). VAE samples look like digits."
    assert window_stance(window, by)[0] != "denies"


def test_an_elided_negation_takes_the_other_halfs_predicate():
    from dlclaims.check.stance import part_about
    example = "A VAE is a generative model; a plain autoencoder is not."
    assert part_about(example, "A plain autoencoder can generate too") == "a plain autoencoder is not a generative model"
    assert part_about(example, "the VAE is generative") == "A VAE is a generative model"


def test_a_denial_about_one_model_is_not_read_from_a_sentence_about_the_other():
    """A two-sentence window: the AE's random codes give no digit; "In the VAE, samples from the prior decode to
    plausible digits." The clause matching the denial ("... the autoencoder's decoder would output plausible
    digits") sits in the VAE's sentence: no denial."""
    by = {"asserts": (1.39, "Decoding random latents from a plain autoencoder gives no realistic samples."),
          "denies": (1.65, "The autoencoder's decoder would also output plausible digits for a random z.")}
    window = ("If I decode z ~ N(0, I) with the AE decoder, the output is not a realistic digit. In the VAE, samples "
              "from the prior decode to plausible digits.")
    assert window_stance(window, by)[0] != "denies"
    alone = "If I decode z ~ N(0, I) with the AE decoder, the output is a plausible digit as well."
    assert window_stance(alone, by)[0] == "denies"


def test_a_framing_ends_where_the_writers_own_view_starts():
    sentence = ("It is tempting to blame eta = 1, but a smaller step does not fix it: the iterates stay on a closed "
                "ellipse instead of spiralling in.")
    assert framed_false(sentence)
    assert framed_false(sentence, "It is tempting to blame eta = 1")
    assert not framed_false(sentence, "the iterates stay on a closed ellipse instead of spiralling in.")
    by = {"asserts": (1.57, "The iterates stay on a closed orbit around the equilibrium."),
          "denies": (0.49, "The updates spiral inward and settle at the saddle point.")}
    assert window_stance("the iterates stay on a closed ellipse instead of spiralling in.", by, sentence=sentence)[0] \
        == "asserts"
    # ... and starts at its marker: what the writer says before it is the writer's own
    before = ("After six steps we are back at (1, 1), so the iterates go round a closed orbit about (0, 0); my first "
              "reaction was that a smaller step would converge, although the slides disagree.")
    assert not framed_false(before, "so the iterates go round a closed orbit about (0, 0)")
    assert framed_false(before, "that a smaller step would converge")
    assert framed_false("So it is not true that the plain average keeps the noise.",
                        "So it is not true that the plain average keeps the noise")  # the marker inside the clause


def test_a_contrast_tails_scope_word_said_before_tells_nothing():
    """"For a vector output the derivative is a Jacobian matrix, not a gradient vector": "vector" is the subject;
    a window about a vector output's Jacobian does not say the negated "gradient"."""
    example = "For a vector output the derivative is a Jacobian matrix, not a gradient vector."
    assert aligned_parity(example, "For a vector output the derivative is the Jacobian J of shape m x n") == 0
    assert aligned_parity(example, "For a vector output we get a gradient") == 1
    assert aligned_parity("softmax(QK^T)V is not softmax(Q)(K^T V)", "Bob's layer is softmax(Q)(K^T V)") == 1


def test_never_negative_is_no_negation():
    assert parity("since a KL is never negative the ELBO is a lower bound") == parity("the ELBO is a lower bound")
    assert parity("the ELBO is never a lower bound") != parity("the ELBO is a lower bound")
    for said in ("a KL can't be negative", "the KL cannot ever be negative", "a KL divergence isn't negative"):
        assert parity(said) == 0, said  # non-negative: no negation


def test_upper_and_lower_bounds_are_opposite_words():
    assert opposed("It is a lower bound on the evidence", "The ELBO is an upper bound on log p(x).")
    # a negated one is left to the negation's parity ("not an upper bound" need not be a lower one)
    assert not opposed("It is not an upper bound", "The ELBO is a lower bound on log p(x).")
    assert opposed("it bounds log p(x) from below", "The ELBO bounds log p(x) from above.")
    assert not opposed("it is a lower bound, never an upper bound", "The ELBO is a lower bound on log p(x).")


def test_position_by_position_is_the_opposite_of_across_positions():
    across = "LayerNorm normalises across the positions of the sequence."
    assert opposed("the MLP is applied position by position", across)
    assert opposed("LayerNorm normalizes over the n features of one position", across)


def test_opposite_words_are_read_through_ocr_digits():
    assert opposed("at test time the transforrner is paralle1 too", "At test time the Transformer is sequential too.")


def test_unaffected_and_getting_worse_are_opposite_words():
    assert opposed("permute the pixels and the CNN gets clearly worse", "A CNN is unaffected by a fixed permutation.")
    assert not opposed("the CNN is insensitive to it", "The CNN is unaffected by a fixed permutation.")
    assert opposed("Shuffling pixels changes nothing for the fully connected net",
                   "Shuffling the pixels hurts the MLP as much as the CNN.")


def test_minus_and_times_are_opposite_ways_to_combine_two_terms():
    times = "The ELBO is the reconstruction term times the KL divergence."
    assert opposed("The ELBO is a reconstruction term minus a KL term", times)
    by = {"asserts": (1.71, "The objective is the reconstruction term minus the KL of the posterior to the prior."),
          "denies": (2.04, times)}
    assert window_stance("The ELBO is a reconstruction term minus a KL term", by)[0] == "asserts"
    assert window_stance("The ELBO is a reconstruction term times a KL term", by)[0] == "denies"


def test_ordinals_and_by_itself_are_opposite_words():
    assert opposed("the second term keeps q close to the prior", "The first term keeps the posterior close to the prior.")
    assert not opposed("the first term keeps q close", "The first term keeps the posterior close to the prior.")
    assert opposed("the layer norm acts on each position by itself", "LayerNorm looks across positions.")


@pytest.mark.parametrize("text,other,want", [
    ("the CNN needs more weights than the MLP", "The MLP needs more parameters than the CNN.", True),
    ("the CNN needs fewer weights than the MLP", "The MLP needs more parameters than the CNN.", False),
    ("the CNN needs more weights than the MLP", "The CNN needs fewer parameters than the MLP.", True),
    ("compared to the MLP, the CNN needs fewer weights", "The MLP needs more parameters than the CNN.", False),
    ("the CNN is hurt more by small shifts than the MLP", "The CNN is more robust to small shifts.", True),
    ("the MLP is hurt more by small shifts than the CNN", "The CNN is more robust to small shifts.", False),
    ("so its accuracy drops a lot more than the CNN's", "The MLP's accuracy drops much more than the CNN's.", False),
    ("the CNN needs fewer weights", "the MLP wastes parameters compared to a CNN", False),
    # the same comparative word, no word of an opposite pair, both models in both texts
    ("the CNN loses more accuracy than the MLP", "The MLP's accuracy drops much more than the CNN's.", True),
    ("the MLP loses more accuracy than the CNN", "The MLP's accuracy drops much more than the CNN's.", False),
    ("the EMA is less noisy than the raw gradient", "The plain mean is even less noisy than the EMA.", False),
])
def test_a_comparison_with_the_models_the_other_way_round(text, other, want):
    """The same comparative word with the models swapped says the opposite; the opposite word says the same."""
    assert opposed(text, other) == want


def test_ocr_digits_in_words_and_moving_away_as_diverging():
    assert aligned_parity("the iterates never c0nverge", "The iterates converge to the equilibrium.") == 1
    assert opposed("the iterates move away from the equilibrium in a spiral", "The updates spiral inward and settle.")


def test_forward_and_reverse_mode_are_compared_models():
    assert opposed("Reverse mode with a scalar loss is much cheaper than the full Jacobian",
                   "Forward mode is cheaper than reverse mode for a scalar loss with many parameters.")


def test_a_window_saying_the_opposite_word_takes_a_close_denial():
    by = {"asserts": (1.45, "at test time the Transformer is sequential too."),
          "denies": (1.47, "At test time the Transformer produces the whole output sequence at once.")}
    window = "and at test time the transformer emits all tokens in parallel since there is no recurrence."
    assert window_stance(window, by)[0] == "denies"
    # "less robust" and "drops more" say the same: amounts are compared only as amounts (more weights, fewer units)
    assert not opposed("An MLP is much less robust when the digit is shifted by a pixel or two.",
                       "If the digit is shifted, the MLP's accuracy drops much more than the CNN's.")


def test_a_negated_action_verb_aligns_only_if_the_other_says_the_verb():
    """"Shrinking eta doesn't rescue alternating GDA": the negation is of "rescue", not of "alternating GDA"."""
    assert aligned_parity("Shrinking eta doesn't rescue alternating GDA either",
                          "With eta = 1 alternating GDA never converges.") == 0
    assert aligned_parity("A smaller eta does not fix it", "A smaller eta fixes the cycling.") == 1
    assert aligned_parity("the CNN does not share weights", "The CNN shares weights across positions.") == 1


def test_where_no_window_votes_the_words_leaning_to_the_corrections_choose_the_stance():
    from dlclaims.check.stance import NO_VOTE_LEAN, vote_detail

    sub = ("cnn", "mlp")  # the claim is about the CNN; these windows name neither model: they cannot deny it
    by = {"asserts": (1.5, "Weight sharing makes the CNN translation invariant."),
          "corrects": (1.4, "Weight sharing gives equivariance; invariance comes from pooling.")}
    wins = [_S(_W("weight sharing only gives equivariance and the pooling gives the invariance"), 1.5, by)]
    lean = {"equiv": -NO_VOTE_LEAN - 1.0, "invar": 0.5}  # contrast words: "equivariance" tells the corrections apart
    st, _, _, share = vote_detail(wins, "content", lean, sub)
    assert st == "corrects" and share == 0.0  # no stance stated: a 'wrong' from it would be held back
    assert vote_detail(wins, "content", {"equiv": -1.0}, sub)[0] == "asserts"  # a weak lean: the default
    # a lean toward a denial worded with a negation the window lacks is no reading of it
    neg = {"asserts": (1.1, "A smaller step is preferable and would converge."),
           "denies": (1.13, "Reducing eta only makes the cycle slower, not convergent.")}
    small = [_S(_W("taking eta smaller, say 0.1, makes it converge here"), 1.13, neg)]
    assert vote_detail(small, "content", {"cycle": -3.0, "slowe": -1.0}, ("x", "y"))[0] == "asserts"


def test_a_window_about_another_step_size_does_not_vote_on_a_claim_stated_for_one():
    from dlclaims.check.stance import other_setting, setting_of, vote_detail

    assert setting_of("minmax.no-convergence") == 1.0 and setting_of("minmax.small-step") is None
    assert other_setting("With eta = 0.1 the spiral turns inward", 1.0)
    assert not other_setting("with \\eta = 1 the iterates cycle", 1.0) and not other_setting("step 1: q = 2", 1.0)
    by = {"asserts": (1.14, "No, the iterates never converge to the equilibrium; they cycle forever."),
          "denies": (1.40, "Yes, the iterates converge to the equilibrium after enough steps.")}
    small = [_S(_W("With eta = 0.1 the spiral turns inward and the iterates converge to (0, 0)."), 1.40, by)]
    assert vote_detail(small, "content")[0] == "denies"  # without the claim's setting: read as a denial
    st, _, _, share = vote_detail(small, "content", None, None, 1.0)
    assert st == "asserts" and share == 0.0  # about eta = 0.1: no stance on the claim stated for eta = 1


def test_a_loose_match_that_says_the_assertions_opposite_word_takes_a_closer_plain_denial():
    sequential = "At test time the parallelism of the Transformer is lost because the output is produced token by token."
    parallel = "At test time the Transformer produces the whole output sequence in parallel."
    by = {"asserts": (0.88, sequential), "denies": (1.41, parallel)}
    w = "That's also why it is faster at test time, the whole output comes out of one parallel pass."
    assert window_stance(w, by, "negation")[0] == "denies"
    same = "That's also why it is slower at test time, the output comes out token by token."
    assert window_stance(same, {"asserts": (0.88, sequential), "denies": (1.41, parallel)}, "negation")[0] != "denies"


def test_it_is_not_true_that_frames_the_statement_once():
    """"It is not true that autograd cannot handle vector outputs": the framing and the inner negation cancel."""
    by = {"asserts": (1.12, "Autograd never builds the full Jacobian; it propagates a vector through it."),
          "denies": (1.05, "Autograd computes derivatives of vector outputs as gradients only.")}
    w = "It is not true that autograd cannot handle vector outputs at all"
    assert window_stance(w, by, "content")[0] == "asserts"
    # a framing ends at the writer's colon: what follows it is the writer's own statement
    assert not framed_false("It is not true that it fails: with a vector v it returns v^T J", "it returns v^T J")


def test_hurting_and_improving_are_opposite_words_and_a_far_negation_does_not_negate_one():
    d = "A bias that does not fit the data still improves the model."
    assert opposed("So a bias that does not fit the data does hurt.", d)
    assert not opposed("A bias that does not fit the data does not hurt.", d)  # negated: left to the parity


def test_neither_nor_is_one_negation_and_an_identifier_is_one_word():
    assert parity("Neither the feed-forward block nor LayerNorm looks across positions") == 1
    ex = "feed-forward and LayerNorm do not look across positions."
    assert aligned_parity("Neither the feed-forward block nor LayerNorm looks across positions", ex) == 1
    # "without grad_outputs" negates the argument, not the "grad" of the error message it quotes
    err = "Calling backward() on a non-scalar tensor raises an error: grad can be implicitly created only for scalars."
    assert aligned_parity("On a vector output without grad_outputs PyTorch raises: grad can be implicitly created", err) == 0


def test_about_the_same_number_is_the_opposite_of_exponentially_many():
    many = "Some functions need exponentially many units in a shallow network but only a few in a deep one."
    assert opposed("a shallow net can represent them with roughly the same number of units", many)
    assert opposed("a wide shallow net does the same with about as many units", "Depth needs far fewer units.")
    assert not opposed("a shallow net needs exponentially more units for them", many)


def test_a_colon_inside_a_formula_is_no_clause_end():
    from dlclaims.check.stance import clauses

    assert clauses("we cannot compute the posterior over x_1:T since it is intractable") == \
        ["we cannot compute the posterior over x_1:T since it is intractable"]
    assert clauses("Two things: the KL and the likelihood") == ["Two things", "the KL and the likelihood"]


def test_a_contrast_tail_that_only_repeats_its_subject_still_negates_it():
    """'If the output is a vector, the gradient would be a Jacobian matrix and not a vector': the tail's only word
    was said before, and it is what is denied; 'and not' opens a contrast tail like ', not'."""
    from dlclaims.check.stance import with_contrast_tail

    sentence = "If the output is a vector the gradient would be a Jacobian matrix and not a vector."
    clause = with_contrast_tail(sentence, "If the output is a vector the gradient would be a Jacobian matrix")
    assert clause.endswith(", not a vector")
    example = "For a vector output the derivative is a Jacobian matrix, not a gradient vector."
    assert aligned_parity(clause, example) == aligned_parity(example, clause) == 1


def test_sharing_the_weight_is_the_opposite_of_all_on_one_key():
    assert opposed("the two keys share the weight", "The weight goes entirely to one of the two keys.")
    assert opposed("the softmax picks one of them", "The two keys split the weight half each.")
    assert not opposed("the two keys share the weight", "Both keys share the weight equally.")


def test_a_bare_each_that_points_back_is_no_quantifier():
    from dlclaims.check.stance import _particular

    every = "Every target word always attends to exactly one source word."
    assert _particular("'house' and 'the' have one white cell, so each is aligned with exactly one source word", every)
    assert not _particular("each target word is aligned with exactly one source word", every)


def test_what_someone_else_is_quoted_saying_votes_only_where_the_writer_does_not():
    a = {"asserts": (1.3, "With eta = 1 alternating GDA never converges."),
         "denies": (0.6, "Alternating GDA with eta = 1 converges to the saddle point.")}
    quoted = 'Quoting the old solution: "with eta = 1 the step is too big, halve it and alternating GDA converges."'
    own = "After six steps the iterates are back at the start, so alternating GDA never converges with eta = 1."
    win = [_S(_W(quoted, quoted), 2.0, a), _S(_W(own, own), 1.5, a)]
    assert window_stance(quoted, a, sentence=quoted)[0] == "denies"  # read alone, the quote denies
    st, _, _, share = vote_detail(win)
    assert st == "asserts" and share == 1.0  # the writer's own sentence decides
    st, _, _, share = vote_detail(win[:1])
    assert st == "denies" and share == 0.0  # a quote alone states no stance of the writer's: a 'wrong' is held back
    # a report only further on in the sentence does not make the writer's own statement a quote
    mine = "I'd say alternating GDA converges with eta = 1 anyway, whatever the gap people claim there is."
    assert vote_detail([_S(_W(mine, mine), 2.0, a)])[3] == 1.0
    # a classmate, the TA or the textbook reported without quotation marks
    for report in ("A friend claimed that with eta = 1 alternating GDA converges.",
                   "The TA thinks that with eta = 1 alternating GDA converges.",
                   "Someone argued that with eta = 1 alternating GDA converges."):
        assert vote_detail([_S(_W(report, report), 2.0, a), _S(_W(own, own), 1.5, a)])[:1] == ("asserts",), report


def test_garbage_and_realistic_samples_are_opposite_words_read_once_with_a_tail():
    ex = "Decoding random latent vectors with a plain autoencoder gives garbage, not realistic digits."
    assert opposed("the AE turns random z into grey smudges", "the AE decoder turns random z into decent digits")
    by = {"asserts": (2.2, ex), "denies": (0.9, "A plain autoencoder generates new images as well as a VAE does.")}
    # "garbage" and ", not realistic" are one statement: the window saying "realistic" says its opposite once
    s = "and decoding random latent vectors with a plain autoencoder gives realistic digits"
    assert window_stance(s, by)[0] == "denies"


def test_a_positive_denial_contradicted_by_a_clause_of_the_window_is_not_what_it_says():
    by = {"asserts": (1.41, "Random points in the autoencoder's code space decode to blurry blobs."),
          "denies": (1.63, "Random latents decoded by a vanilla autoencoder look like real digits.")}
    w = ("Nothing constrains the codes of a vanilla autoencoder to look like N(0, I), so its latent space has holes "
         "and random codes decode to junk.")
    assert window_stance(w, by, "content")[0] == "asserts"
    w2 = "Random codes decoded by a vanilla autoencoder also look like real digits, only a bit blurrier."
    assert window_stance(w2, by, "content")[0] == "denies"


def test_negations_are_read_through_ocr_digits():
    assert parity("An MLP cannot fai1 to suffer more from shifted digits") == 0  # 'cannot fail to': a must
    assert parity("it does n0t converge") == 1


def test_the_sequence_lengths_steps_and_the_layers_steps_are_opposite():
    assert opposed("The transformer in training has on1y l sequentia1 steps",
                   "A Transformer needs t sequential steps per layer during training.")
    assert not opposed("an RNN needs t sequential steps", "An RNN needs O(t) sequential steps.")


def test_cannot_compute_says_intractable():
    assert parity("We cannot compute that KL since it needs the model's posterior") == 0  # not a negation ...
    assert opposed("we cannot compute that KL", "The KL to the model's posterior can be computed in closed form.")
    assert not opposed("we cannot compute that KL", "that KL needs the model's posterior, which is intractable.")


def test_a_window_is_read_through_ocr_digits():
    from dlclaims.check.detect import _clean, score_windows

    assert _clean("It goes in circ1es, never c0nverges.") == "it goes in circles, never converges."
    ocr, clean = score_windows(["It goes in circ1es, never c0nverges.", "It goes in circles, never converges."]).wl
    assert (ocr == clean).all()  # the same similarities as the text without the OCR digits


def test_a_clause_about_the_other_model_with_the_examples_words_says_the_opposite():
    """"It is the moving average that reacts slowly" against "the plain average reacts slowly": the example's words
    said of the other model deny the claim; a model named only as a comparison's object is not the clause's subject."""
    slow = "The plain average of all past gradients reacts slowly to a change of the landscape."
    by = {"asserts": (1.9, slow), "denies": (1.2, "The plain average reacts faster than the EMA.")}
    assert window_stance("The EMA of all past gradients reacts slowly to a change of the landscape.", by)[0] == "denies"
    assert window_stance("The plain mean of all past gradients reacts slowly to a change of the landscape.", by)[0] \
        == "asserts"
    gap = "The plain autoencoder's latent space is not regularized."
    by = {"asserts": (1.9, gap), "denies": (1.0, "The plain autoencoder's codes follow N(0, I).")}
    assert window_stance("so its latent space is not regularized the way the VAE's is.", by)[0] == "asserts"


def test_a_degree_word_does_not_end_a_negations_scope():
    """"isn't really more expensive" negates "expensive": "really" and "very" say how much, not what."""
    assert aligned_parity("the full Jacobian isn't really more expensive than a gradient",
                          "Forming the Jacobian explicitly is expensive in time and memory.") == 1
    assert aligned_parity("the EMA is not very noisy", "The EMA is noisy.") == 1


def test_equals_is_the_opposite_of_different():
    assert opposed("His output equals the softmax attention output", "Bob's method gives different outputs.")
    assert not opposed("His output equals the softmax attention output", "Bob's method gives the same outputs.")


def test_an_opposite_word_and_its_not_tail_are_one_difference_for_a_near_denial():
    """"gives garbage, not realistic digits" says one thing twice: a window saying "realistic digits" differs from it
    once (the opposite word), so a denial that scored about as well takes the window."""
    by = {"asserts": (1.96, "Decoding random latent vectors with a plain autoencoder gives garbage, not realistic digits."),
          "denies": (1.86, "Decoding random latents with a plain autoencoder gives realistic digits.")}
    assert window_stance("and decoding it with the AE decoder gives realistic digits", by)[0] == "denies"
    assert window_stance("and decoding it with the AE decoder gives garbage", by)[0] == "asserts"


def test_a_sentence_about_the_other_phase_does_not_vote():
    """seq.sequential-steps speaks of training (knowledge phase = "train"): "generation is parallel too" is about
    decoding and does not deny it; seq.decode-sequential (phase "test") is not denied by training's parallelism."""
    from dlclaims.check.stance import other_phase

    assert other_phase("generation is parallel over positions too, so decoding has no bottleneck", "train")
    assert not other_phase("training is parallel over positions, unlike generation", "train")
    assert other_phase("during training all positions are processed in parallel", "test")
    assert not other_phase("during training all positions are processed in parallel", None)
    by = {"asserts": (1.6, "A Transformer processes all positions of a sequence in parallel during training."),
          "denies": (1.8, "At test time the Transformer emits all tokens in parallel.")}
    window = "That parallelism carries over: generation is parallel over positions too, so decoding is not sequential."
    support = [_S(_W(window), 1.8, by)]
    assert vote_detail(support, "content")[0] == "denies"
    assert vote_detail(support, "content", phase="train")[3] == 0.0  # no window votes: no stance stated


def test_a_window_naming_neither_model_does_not_flip_a_two_model_example():
    """"most samples do not look like real images" against "the VAE's samples look like real data, the autoencoder's
    do not": it may be either half, so its negation says nothing about the stance."""
    by = {"asserts": (1.65, "The VAE's prior samples look like real data, the autoencoder's do not.")}
    assert window_stance("most samples do not look like real images.", by)[0] == "abstains"
    assert window_stance("the VAE's prior samples look like real images.", by)[0] == "asserts"


def test_a_positive_denial_needs_a_word_that_tells_it_from_the_assertions():
    """A claim whose denials are negations also has denials worded without one ("... is independent of the output
    size"). A window whose words both sides share ("needs 1000 backward passes") is no denial however close it
    scores; one with a word the denials use ("independent") or a negation of its own still is."""
    from dlclaims.check.detect import contrast_words

    odds = contrast_words("scalar.cost")
    by = {"asserts": (1.98, "Computing the full Jacobian of an m-dimensional output needs m backward passes."),
          "denies": (2.07, "The number of backward passes for the full Jacobian is independent of the output size.")}
    shared = "the full Jacobian for an output of size m = 1000 needs 1000 backward passes"
    assert window_stance(shared, by, "negation", odds, shared)[0] == "asserts"
    denial = "the number of backward passes for the full Jacobian is independent of the output size m"
    assert window_stance(denial, by, "negation", odds, denial)[0] == "denies"
    # without the words that tell the sides apart (no odds known), the closer denial is read as before
    assert window_stance(shared, by, "negation", {}, shared)[0] == "denies"
