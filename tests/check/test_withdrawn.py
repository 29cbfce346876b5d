"""What the writer withdrew is not read (units.withdraw): a statement before a retraction marker, struck-through text."""

from __future__ import annotations

from dlclaims.check.units import withdraw
from dlclaims.check.sheet import analyse


def test_a_statement_before_a_retraction_marker_is_blanked_to_its_start():
    text = "Pooling helps. - CNN is translation invariant (scratch that) weight sharing gives equivariance."
    out = withdraw(text)
    assert len(out) == len(text)
    assert "invariant" not in out and "Pooling helps." in out and "weight sharing gives equivariance." in out
    lines = "- a smaller eta would make it\nconverge (scratch that) no eta helps.\n- next item"
    assert withdraw(lines).split("\n")[0].strip() in ("", "-")  # back to the item's start, over the wrapped line
    assert "next item" in withdraw(lines) and "no eta helps." in withdraw(lines)


def test_struck_text_is_blanked_and_plain_text_is_kept():
    assert withdraw("The CNN is ~~invariant~~ equivariant.") == "The CNN is " + " " * 13 + " equivariant."
    plain = "Nothing to withdraw here; strike a balance between bias and variance."
    assert withdraw(plain) == plain


def test_a_withdrawn_statement_is_in_no_window():
    sheet = ("## Q: CNN vs MLP\n"
             "- a CNN without ReLU is still nonlinear bc it has many layers (scratch that) without the ReLU the stacked "
             "convolutions collapse into one linear convolution, so depth adds nothing.\n")
    texts = [s.window.text for c in analyse(sheet).candidates for s in c.support]
    assert texts and not any("many layers" in t for t in texts)
    assert any("collapse into one linear convolution" in t for t in texts)


def test_a_transcriptions_crossed_out_marks_and_html_strike_through():
    text = "A. [crossed out] a smaller eta\nwould converge. [end crossed out] No eta helps. [0, 1] stays."
    out = withdraw(text)
    assert "converge" not in out and "No eta helps." in out and "[0, 1] stays." in out and out.count("\n") == 1
    assert withdraw("x [crossed out: wrong idea] y <del>no</del> z").split() == ["x", "y", "z"]


def test_a_marker_that_opens_a_statement_withdraws_the_one_before_it():
    text = ("It cycles. My first guess was that a smaller step would converge. But I don't think so: the iterates "
            "stay on one ellipse.")
    out = withdraw(text)
    assert "smaller step" not in out and "It cycles." in out and "the iterates stay on one ellipse." in out
    # after a sentence's end, "(scratch that)" withdraws that sentence, not the empty text between them
    out = withdraw("Pooling helps. The CNN is invariant. (scratch that) It is equivariant.")
    assert "invariant" not in out and "Pooling helps." in out and "It is equivariant." in out


def test_but_that_is_not_true_withdraws_the_view_before_it():
    out = withdraw("It is sometimes argued that depth is more efficient, but I don't think that is true: a shallow "
                   "net does the same. Depth helps training.")
    assert "more efficient" not in out and "a shallow net does the same." in out and "Depth helps training." in out
    # "X, but that is false" is no retraction: X is framed as false and read as the writer's correction
    framed = "People say a plain average retains the noise, but that is false: it averages out."
    assert withdraw(framed) == framed
    kept = "The bound is tight, but that is only when q equals the posterior."
    assert withdraw(kept) == kept


def test_a_short_sentence_rejecting_the_one_before_withdraws_it():
    out = withdraw("Depth helps. My classmate says deep nets need exponentially fewer units. I don't buy that. "
                   "A shallow net does it too.")
    assert "exponentially" not in out and "Depth helps." in out and "A shallow net does it too." in out
    out = withdraw("My partner says the KL is the reconstruction term. That is wrong. It is the regularizer.")
    assert "reconstruction" not in out and "It is the regularizer." in out
    kept = "A model that is wrong is still useful. A claim that is false. It holds."
    assert withdraw(kept) == kept
