"""A heading the writer or OCR left out: the pieces of a headed answer that belong to another question move there
together (sheet._moved_pieces), the answer's own pieces stay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlclaims.check.sheet import _groups, _moved_pieces

OWN, OTHER = 0, 1


@dataclass
class _P:
    text: str


def _rows(scores):
    pieces = [_P(str(k)) for k in range(len(scores))]
    return pieces, {id(p): np.array(s) for p, s in zip(pieces, scores) if s is not None}


def test_a_clear_piece_takes_its_leaning_and_short_neighbours():
    # opening, own piece, a piece leaning to OTHER, a table (too short to score), a clear OTHER piece
    pieces, rows = _rows([[0.4, 0.0], [0.3, 0.05], [0.02, 0.2], None, [0.0, 0.28]])
    assert _moved_pieces(pieces, rows, OWN) == [None, None, OTHER, OTHER, OTHER]


def test_nothing_moves_without_a_clear_piece():
    pieces, rows = _rows([[0.4, 0.0], [0.05, 0.2], None, [0.1, 0.25]])  # leaning, never 4x nor 0.3 and 1.5x
    assert _moved_pieces(pieces, rows, OWN) == [None, None, None, None]


def test_a_short_piece_between_a_moved_one_and_the_answers_own_stays():
    pieces, rows = _rows([[0.4, 0.0], [0.0, 0.35], None, [0.3, 0.0]])
    assert _moved_pieces(pieces, rows, OWN) == [None, OTHER, None, None]
    # the opening moves only when it is clear itself, never by leaning next to a moved piece
    pieces, rows = _rows([[0.05, 0.2], [0.0, 0.4]])
    assert _moved_pieces(pieces, rows, OWN) == [None, OTHER]


SHEET = """Q.6 backward()

loss.backward() needs a scalar loss. Calling y.backward() on a vector y raises an error, because the derivative of
a vector output is a Jacobian; with y.backward(v) the .grad field holds v^T J instead.

Min-max f(p, q) = p*q with alternating updates: q <- q + eta*p, then p <- p - eta*q with the new q, eta = 1.

| t | 0 | 1 | 2 | 3 | 4 | 5 | 6 |
|---|---|---|---|---|---|---|---|
| q | 1 | 2 | 1 | -1 | -2 | -1 | 1 |
| p | 1 | -1 | -2 | -1 | 1 | 2 | 1 |

The iterates come back to (1, 1) after six steps: gradient descent-ascent cycles around the equilibrium (0, 0) and
never converges to it.
"""


def test_a_min_max_answer_without_its_heading_is_read_as_one():
    groups, _, _ = _groups(SHEET)
    fams = {q: [t for _, t in parts] for q, _, parts, _ in groups}
    assert set(fams) == {"Q-scalar", "Q-minmax"}
    assert any("| q |" in t for t in fams["Q-minmax"]) and any("cycles" in t for t in fams["Q-minmax"])
    assert not any("Min-max" in t for t in fams["Q-scalar"])


def test_a_weak_heading_less_paragraph_joins_the_clear_one_it_leans_to():
    """No heading at all: a setup line and its table (too weak to match alone) go with the clear paragraph after
    them that is about the same question, so the table is read; a title line leaning elsewhere stays out."""
    from dlclaims.check.sheet import analyse

    table = "| step | 0 | 1 | 2 | 3 | 4 | 5 | 6 |\n|---|---|---|---|---|---|---|---|\n" \
            "| q | 1 | 2 | 1 | -1 | -2 | -1 | 1 |\n| p | 1 | -1 | -2 | -1 | 1 | 2 | 1 |"
    text = ("Final exam, my answers in the order I did them\n\n"
            "3. gradient play on f(p,q) = pq, q first, then p with the new q, eta = 1, start (1, 1):\n\n" + table +
            "\n\nStep 6 is back at the start: alternating gradient descent-ascent cycles with period 6 and never "
            "converges to the equilibrium (0, 0), the saddle point of the game.\n")
    an = analyse(text)
    assert any(g[0] == "Q-minmax" and any("| q |" in t for _, t in g[2]) for g in an.groups)
    assert "minmax.table" in {a.claim for a, _, _ in an.structural}


def test_a_heading_lines_topic_names_the_question_but_is_no_answer_statement():
    from dlclaims.check.segment import segment

    segs = segment("## 1. AE vs VAE as generators\n\nA plain AE decodes random codes to junk.\n\n"
                   "Q2 Depth vs width\nOne hidden layer can approximate any continuous function.\n\n"
                   "Q3: O(t l n^2) for the RNN\n\n"
                   "Q4) Because the CNN shares its weights it needs fewer parameters\n")
    assert [(s.heading, s.parts[0].text.splitlines()[0]) for s in segs] == [
        ("AE vs VAE as generators", "A plain AE decodes random codes to junk."),
        ("Depth vs width", "One hidden layer can approximate any continuous function."),
        ("", "O(t l n^2) for the RNN"),  # math: the answer itself
        ("", "Because the CNN shares its weights it needs fewer parameters")]  # a verb: a sentence
    assert segs[0].text.startswith("AE vs VAE as generators")  # the family match still reads the topic


def test_reasoning_before_an_answer_summary_is_kept_a_copied_prompt_is_not():
    from dlclaims.check.sheet import _strip_prompt

    reasoning = [("", "1) log p(x) = ELBO + KL(q(z|x) || p(z|x)), and a KL is never negative.\n"
                      "Answer: the ELBO is a lower bound on log p(x).")]
    assert _strip_prompt(reasoning) == reasoning
    prompt = [("", "Why is the ELBO a lower bound on log p(x)?\nAnswer: the gap is a KL, never negative.")]
    assert _strip_prompt(prompt) == [("", "the gap is a KL, never negative.")]
    imperative = [("", "Explain the two terms of the ELBO.\nAnswer: the KL is the regularizer.")]
    assert _strip_prompt(imperative) == [("", "the KL is the regularizer.")]
