"""Tables in any layout (tables.py) and the min-max sequences read off them (series.py), with roles for other
variable names inferred from the update rule or the values. Inputs are written here, in our own formats."""

from __future__ import annotations

import pytest

from dlclaims.check.grade import grade
from dlclaims.check.series import sequences
from dlclaims.check.tables import find_tables
from dlclaims.check.units import units
from dlclaims.core.types import verdict

Q = [1, 2, 1, -1, -2, -1, 1]  # the alternating updates' q from (1, 1), eta = 1
P = [1, -1, -2, -1, 1, 2, 1]
BAD_Q = [1, 2, 0, -2, -2, 0, 2]  # a plausible hand-simulation error
BAD_P = [1, -1, 1, 3, 1, -1, -3]


def _simulated():
    p, q = [1.0], [1.0]
    for _ in range(6):
        q.append(q[-1] + p[-1])
        p.append(p[-1] - q[-1])
    return verdict("minmax.table", holds=True, rule="simulate", numbers={
        "simulated_q": q, "simulated_p": p, "claimed_q": Q, "claimed_p": P}, evidence="simulated")


def _fmt(xs):
    return [str(x) for x in xs]


def _header_rows(a: str, b: str, va, vb, sep: str, dollars: bool, rule: bool) -> str:
    cell = (lambda v, k: f"${v}_{{{k}}}$") if dollars else (lambda v, k: f"{v}_{k}")
    lines = [sep.join(cell(a, k) for k in range(len(va)))]
    if rule:
        lines.append(sep.join(["---"] * len(va)))
    lines += [sep.join(_fmt(va)), sep.join(cell(b, k) for k in range(len(vb))), sep.join(_fmt(vb))]
    return "\n".join(lines)


LAYOUTS = {
    # subscripted headers over rows of numbers (Markdown), the maximiser's row first
    "markdown, header rows": lambda q, p: "Filling in:\n\n" + _header_rows("v", "u", q, p, " | ", True, True),
    # the same flattened by a scanner: one line per row, runs of spaces
    "flattened": lambda q, p: _header_rows("v", "u", q, p, "    ", False, False),
    # the first header line lost (as when OCR glues it to the question number): an unnamed row
    "flattened, header lost": lambda q, p: "\n".join(["  ".join(_fmt(q)), "  ".join(f"u_{k}" for k in range(7)),
                                                      "  ".join(_fmt(p))]),
    # column-wise with an index column
    "columns with a step index": lambda q, p: "| k | $u_k$ | $v_k$ |\n|:-:|:-:|:-:|\n" + "\n".join(
        f"| {k} | {a} | {b} |" for k, (a, b) in enumerate(zip(p, q))),
    # tab-separated, named rows
    "tab rows": lambda q, p: "p\t" + "\t".join(_fmt(p)) + "\nq\t" + "\t".join(_fmt(q)),
    # two lists in prose
    "two lists": lambda q, p: "- $q_t$ takes the values " + ", ".join(_fmt(q)) + "\n- $p_t$ takes the values "
                              + ", ".join(_fmt(p)),
    # pipe rows without a delimiter row
    "pipe rows": lambda q, p: "q | " + " | ".join(_fmt(q)) + "\np | " + " | ".join(_fmt(p)),
    # (p, q) pairs without brackets, in the sentence that names them or alone on a line (a table flattened by OCR)
    "bare pairs in prose": lambda q, p: "From (p, q) = (1, 1) the iterates are " + " ".join(
        f"{a},{b}" for a, b in zip(p, q)) + " and so on.",
    "bare pairs on a line": lambda q, p: "The iterates, as (p, q):\n" + " ".join(f"{a},{b}" for a, b in zip(p, q)),
    # a loop's printout: a step index, then q and p, one step per line, no header
    "printout columns": lambda q, p: "```\n" + "\n".join(f"{k} {float(a)} {float(b)}" for k, (a, b) in
                                                        enumerate(zip(q, p))) + "\n```",
    # pairs with a space inside and a bar between them, on the line after the sentence that names them
    "bar-separated pairs": lambda q, p: "(p,q) per step, k = 0..6:\n" + " | ".join(f"{a} {b}" for a, b in zip(p, q))
                                        + "\n=> periodic.",
    # a pair's values one after the other (a two-row table flattened into one run by OCR)
    "pair run": lambda q, p: "(q,p): " + " ".join(f"{a} {b}" for a, b in zip(q, p)) + "\nso it comes back.",
    # a PDF's text layer: an index row, then rows named with the subscript on the line ("q k"), U+2212 minus signs
    "pdf text, spaced subscripts": lambda q, p: "k   " + "   ".join(str(k) for k in range(7)) + "\n" + "\n".join(
        f"{n} k   " + "   ".join(str(v).replace("-", "\u2212") for v in vs) for n, vs in (("q", q), ("p", p))),
    # one step per line, "k=3 : q = -1 , p = -1"
    "k= steps": lambda q, p: "\n".join(f"k={k} : q = {a} , p = {b}" for k, (a, b) in enumerate(zip(q, p))),
    # one (p, q) pair per bullet line
    "pairs one per line": lambda q, p: "Iterates as (p, q):\n\n" + "\n".join(
        f"- k={k}: ({a}, {b})" for k, (a, b) in enumerate(zip(p, q))),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_right_table_in_any_layout_reads_and_grades_right(layout):
    text = LAYOUTS[layout](Q, P)
    got = sequences("Q-minmax", units(text))
    assert len(got) == 1, text
    a = got[0]
    assert a.data["sequences"] == {"q": Q, "p": P}
    assert grade(a, _simulated())[0] == "right"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_wrong_table_in_any_layout_grades_wrong(layout):
    text = LAYOUTS[layout](BAD_Q, BAD_P)
    got = sequences("Q-minmax", units(text))
    assert len(got) == 1, text  # never skipped
    assert grade(got[0], _simulated())[0] == "wrong"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_one_wrong_value_makes_the_table_wrong(layout):
    """q right throughout, p with one slip at step 5: the table is the answer, so it is wrong, not partly."""
    slip = P[:5] + [P[5] - 1] + P[6:]
    got = sequences("Q-minmax", units(LAYOUTS[layout](Q, slip)))
    assert len(got) == 1
    assert got[0].data["sequences"]["q"] == Q
    assert grade(got[0], _simulated())[0] == "wrong"


def test_roles_of_other_names_come_from_the_stated_update_rule():
    # 'a' moves up the gradient (the maximiser: the catalogue's q) although the default aliases make 'a' play p
    rule = "Here a_{t+1} = a_t + b_t and then b_{t+1} = b_t - a_{t+1}.\n\n"
    text = rule + _header_rows("a", "b", BAD_Q, BAD_P, " | ", True, True)
    a = sequences("Q-minmax", units(text))[0]
    assert a.data["roles_from"] == "update rule"
    assert a.data["aliases"] == {"a": "q", "b": "p"}
    assert a.data["sequences"]["q"] == BAD_Q
    # the same rows without the rule: the first step follows the updates only with a as q, so the values decide
    b = sequences("Q-minmax", units(_header_rows("a", "b", BAD_Q, BAD_P, " | ", True, True)))[0]
    assert b.data["roles_from"] == "values" and b.data["aliases"] == {"a": "q", "b": "p"}
    # rows that follow the updates in neither assignment: the family's aliases decide (a plays p, b plays q)
    c = sequences("Q-minmax", units(_header_rows("a", "b", [5, 5, 5, 5], [7, 7, 7, 7], " | ", True, True)))[0]
    assert c.data["roles_from"] == "aliases" and c.data["aliases"] == {"a": "p", "b": "q"}
    assert grade(c, _simulated())[0] == "wrong"


def test_roles_from_the_values_when_they_follow_the_rule():
    # x listed first and holding the q sequence: only the assignment x -> q follows the updates
    text = "x: " + ", ".join(_fmt(Q)) + "\ny: " + ", ".join(_fmt(P))
    a = sequences("Q-minmax", units(text))[0]
    assert a.data["roles_from"] == "values"
    assert a.data["sequences"] == {"q": Q, "p": P}
    assert grade(a, _simulated())[0] == "right"


def test_max_and_min_players_name_the_roles():
    text = "We solve min_u max_w uw with alternating steps.\n\n" + _header_rows("u", "w", BAD_P, BAD_Q, " | ", True,
                                                                               True)
    a = sequences("Q-minmax", units(text))[0]
    assert a.data["aliases"] == {"u": "p", "w": "q"}


def test_find_tables_layouts_and_extent():
    text = "Intro sentence.\n| a | b |\n|---|---|\n| 1 | 2 |\nA closing sentence without pipes."
    (t,) = find_tables(text)
    assert t.layout == "markdown" and t.rows == [["a", "b"], ["1", "2"]] and (t.first, t.last) == (1, 3)
    (t,) = find_tables("step\tloss\n1\t0.5\n2\t0.25")
    assert t.layout == "tab" and t.rows[2] == ["2", "0.25"]
    (t,) = find_tables("z_0   z_1   z_2\n4   5   6")
    assert t.layout == "spaces" and t.rows == [["z_0", "z_1", "z_2"], ["4", "5", "6"]]
    # two labelled runs OCR merged onto one line: a row each
    (t,) = find_tables("step 0 1 2 3 4 5 6 q 1 2 1 -1 -2 -1 1\np 1 -1 -2 -1 1 2 1")
    assert t.rows == [["step", "0", "1", "2", "3", "4", "5", "6"], ["q", "1", "2", "1", "-1", "-2", "-1", "1"],
                      ["p", "1", "-1", "-2", "-1", "1", "2", "1"]]


@pytest.mark.parametrize("text", [
    "The norms |x| and |y| are equal.",
    "We used a b c as names.",
    "It took 3 4 or 5 tries",  # a sentence with numbers is not a flattened table
    # conditional bars on consecutive lines of prose
    "Start from log p(x) = log of the integral of p(x|z) p(z), divide by q(z|x)\nand apply Jensen to E_q[log p(x|z)]"
    " - KL(q(z|x) || p(z))\nso the gap is KL(q(z|x) || p(z|x)) and q(z|x) is the encoder",
    "The gap is $KL(q|p)$ and $|x|$ is\nits norm, $|y|$ the other one",
])
def test_prose_is_not_a_table(text):
    assert find_tables(text) == []


def test_a_stray_tab_in_a_sentence_is_not_a_table():
    assert find_tables("The answer is\tyes, it cycles.") == []
    (t,) = find_tables("h\tacc\n8\t0.81\n32\t0.9")  # a one-tab header over numeric rows is a table
    assert t.rows[0] == ["h", "acc"]


def test_other_number_lists_are_not_a_table():
    # step sizes under a name the family does not know, not starting where the updates start: no table
    assert sequences("Q-minmax", units("We tried s = 0.5, 0.25, 0.1 and all cycled.")) == []
    # but an unknown name that starts at the initial point is read (and graded)
    got = sequences("Q-minmax", units("m: 1, 2, 1, -1\nr: 1, -1, -2, -1"))
    assert got and got[0].data["sequences"] == {"q": [1, 2, 1, -1], "p": [1, -1, -2, -1]}


def test_a_table_that_ends_with_an_ellipsis():
    text = "| q | 1 | 2 | 1 | -1 | ... |\n|---|---|---|---|---|---|\n| p | 1 | -1 | -2 | -1 | … |"
    a = sequences("Q-minmax", units(text))[0]
    assert a.data["sequences"] == {"q": [1, 2, 1, -1], "p": [1, -1, -2, -1]}
    assert grade(a, _simulated())[0] == "right"


def test_self_evident_findings_name_their_family():
    from dlclaims.check.structural import self_evident

    text = ("v_0  v_1  v_2  v_3\n1  2  1  -1\nu_0  u_1  u_2  u_3\n1  -1  -2  -1\n"
            "Q3 The loss is MSE(x, x_hat) + KL(q(z|x) || p(z)) and it trains the decoder.")
    got = {(q, a.claim) for q, a in self_evident([("", text)])}
    assert got == {("Q-minmax", "minmax.table"), ("Q-elbo", "elbo.decomposition")}
    # numbers under unknown names that do not start at the updates' start name no family
    assert self_evident([("", "h: 8, 16, 32, 64\nacc: 0.8, 0.9, 0.91, 0.91")]) == []


def test_unnamed_pairs_take_the_roles_their_values_follow():
    pairs = " -> ".join(f"({a}, {b})" for a, b in zip(Q, P))  # written (q, p): the values say so
    a = sequences("Q-minmax", units("The iterates: " + pairs + "."))[0]
    assert a.data["sequences"] == {"q": Q, "p": P} and a.data["roles_from"] == "values"
    bad = " -> ".join(f"({a}, {b})" for a, b in zip([1, 5, 5, 5], [1, 7, 7, 7]))  # no fit: argument order (p, q)
    b = sequences("Q-minmax", units("The iterates: " + bad + "."))[0]
    assert b.data["sequences"] == {"p": [1, 5, 5, 5], "q": [1, 7, 7, 7]} and b.data["roles_from"] == "argument order"


def test_a_flattened_table_with_word_labels_reads_a_trend():
    from dlclaims.check.series import trends

    text = "h          4      8      16     32     64\naccuracy   0.71   0.83   0.90   0.91   0.91"
    (t,) = find_tables(text)
    assert t.rows[1][0] == "accuracy" and len(t.rows[1]) == 6
    (a,) = trends("Q-latent", units(text))
    assert a.data["shape"] == "rise-plateau"


def test_a_latex_array_is_a_table():
    text = ("The iterates:\n$$\\begin{array}{c|ccccccc}\n t & 0 & 1 & 2 & 3 & 4 & 5 & 6 \\\\ \\hline\n"
            " q_t & " + " & ".join(_fmt(BAD_Q)) + " \\\\\n p_t & " + " & ".join(_fmt(BAD_P)) + "\n\\end{array}$$\n"
            "So it cycles.")
    (t,) = find_tables(text)
    assert t.layout == "latex" and t.rows[1][0] == "q_t" and len(t.rows) == 3
    (a,) = sequences("Q-minmax", units(text))
    assert a.data["sequences"] == {"q": BAD_Q, "p": BAD_P}
    assert grade(a, _simulated())[0] == "wrong"


@pytest.mark.parametrize("heading", ["Q.4", "8.4", "Question 2"])
def test_an_answer_that_is_only_a_table_goes_to_the_family_its_table_names(heading):
    """No prose to match a family on: the block is read under the family its own table names (x_k / y_k rows of
    the min-max game), not dropped as unmatched."""
    from dlclaims.check.sheet import analyse

    table = _header_rows("y", "x", Q, P, "   ", dollars=False, rule=False)
    text = (f"{heading}  {table}\n\n"
            "Q.3  The reconstruction term pulls decoded images towards the inputs, and the KL term keeps the "
            "encoder's distribution close to the prior.\n")
    an = analyse(text)
    assert "minmax.table" in {a.claim for a, _, _ in an.structural}
    assert any(q == "Q-minmax" for q, *_ in an.groups)
    assert heading not in an.unmatched


@pytest.mark.parametrize("text", [
    # one sentence, OCR-style, with a trailing remark whose number is not a value
    ("Start (1,1): step 0: q=1 p=1 step 1: q=2 p=-1 step 2: q=1 p=-2 step 3: q=-1 p=-1 step 4: q=-2 p=1 "
     "step 5: q=-1 p=2 step 6: q=1 p=1 It is periodic with period 6."),
    # one bullet per step, with the arithmetic shown
    ("Alternating, eta = 1, from (p, q) = (1, 1):\n\n- step 1: q = 1 + 1 = 2, p = 1 - 2 = -1\n"
     "- step 2: q = 2 - 1 = 1, p = -1 - 1 = -2\n- step 3: q = 1 - 2 = -1, p = -2 + 1 = -1\n"
     "- step 4: q = -1 - 1 = -2, p = -1 + 2 = 1\n- step 5: q = -2 + 1 = -1, p = 1 + 1 = 2\n"
     "- step 6: q = -1 + 1 = 0, p = 2 - 0 = 2\n"),
])
def test_a_table_written_step_by_step_is_read_and_graded(text):
    got = sequences("Q-minmax", units(text))
    assert len(got) == 1
    seqs = got[0].data["sequences"]
    assert seqs["q"][:3] in ([1, 2, 1], [2, 1, -1])
    ok = seqs["q"][-1] == 1 and seqs["p"][-1] == 1
    assert grade(got[0], _simulated())[0] == ("right" if ok else "wrong")


def test_a_table_claim_found_by_its_words_alone_is_not_graded():
    from dlclaims.check.extract import Assertion

    a = Assertion("minmax.table", "proposition", "assert", "The table repeats after six steps.", "...")
    assert grade(a, _simulated())[0] == "unknown"


def test_a_table_written_in_prose_is_also_read_row_by_row():
    from dlclaims.check.units import prose_rows

    text = ("| Statement | True/False + reason |\n|---|---|\n"
            "| FFN and LayerNorm mix tokens | False, both act on each position separately. |\n"
            "| The equilibrium | Both gradients vanish only at the origin, so it is (0, 0). |\n")
    us = units(text)
    assert us[0].rows is not None  # the table itself
    assert [u.text for u in us[1:]] == ["FFN and LayerNorm mix tokens: False, both act on each position separately.",
                                       "The equilibrium: Both gradients vanish only at the origin, so it is (0, 0)."]
    assert prose_rows([["t", "q", "p"], ["0", "1", "1"], ["1", "2", "-1"]]) == []  # a table of values: none


def test_a_matrix_inside_a_sentence_is_not_a_table():
    inline = ("After 6 steps we are back at (1, 1), so the iterates never converge. One step is $M = \\begin{pmatrix} "
              "1 & \\eta \\\\ -\\eta & 1-\\eta^2 \\end{pmatrix}$ on (q, p), det M = 1, so both eigenvalues have modulus 1.")
    assert find_tables(inline) == []
    alone = "$$\\begin{array}{c|ccc} k & 0 & 1 & 2 \\\\ q & 1 & 2 & 1 \\\\ p & 1 & -1 & -2 \\end{array}$$"
    assert [t.rows[1][:2] for t in find_tables(alone)] == [["q", "1"]]


# a comparison table in space-aligned columns, as OCR or a plain-text writer lays it out: a header naming the two
# models, rows of words, a cell wrapped onto the next line under its column
_COMPARED_COLUMNS = """Q3  inductive bias

                      MLP              CNN
weight sharing        no               yes -> translation
                                       equivariant
fixed pixel shuffle   no change        much worse
data needed           more             less
"""


def test_a_comparison_table_in_columns_is_read_with_its_wrapped_cells():
    (tbl,) = find_tables(_COMPARED_COLUMNS)
    assert tbl.layout == "columns"
    assert tbl.rows == [["", "MLP", "CNN"], ["weight sharing", "no", "yes -> translation equivariant"],
                        ["fixed pixel shuffle", "no change", "much worse"], ["data needed", "more", "less"]]
    # words in columns under a header that names no two models are not a table ("a list of notes")
    assert not find_tables("Notes\n\n                      first            second\nweight sharing        no"
                           "               yes\ndata needed           more             less\n")


def test_each_row_of_a_comparison_table_is_also_a_sentence_naming_the_models():
    rows = [u.text for u in units(_COMPARED_COLUMNS) if u.derived]
    assert rows == ["weight sharing: MLP no; CNN yes -> translation equivariant.",
                    "fixed pixel shuffle: MLP no change; CNN much worse.", "data needed: MLP more; CNN less."]


def test_a_claim_stated_by_a_comparison_tables_row_is_found():
    from dlclaims.check.sheet import extract_sheet

    found = {a.claim for a, _, _ in extract_sheet(_COMPARED_COLUMNS, sheet="x").items}
    assert "bias.equivariance" in found
