"""Complexity orders through the LaTeX parser, symbols the sheet defines, per-layer subjects, and a
parenthetical that must not hide an order (complexity.py). Inputs written here."""

from __future__ import annotations

import pytest

from dlclaims.check.complexity import complexity, definitions
from dlclaims.check.orders import find_bare_orders
from dlclaims.check.grade import grade
from dlclaims.check.units import units
from dlclaims.core.types import verdict_from_parts


def _pieces(question: str, text: str, claim: str) -> dict[str, dict]:
    got = [a for a in complexity(question, units(text)) if a.claim == claim]
    assert len(got) <= 1
    return {p["role"]: p for p in got[0].data["pieces"]} if got else {}


@pytest.mark.parametrize("text", [
    r"An RNN trains in $O(t \cdot l \cdot n^2)$ and a Transformer in $O(t^2 \cdot l \cdot n)$.",
    "An RNN trains in O(t·l·n²) and a Transformer in O(t²·l·n).",
    r"An RNN trains in $\mathcal{O}(t\,l\,n^{2})$ and a Transformer in $\mathcal{O}(t^{2} l n)$.",
    r"An RNN trains in $t \ln^2$ operations and a Transformer in $O(l t^2 n)$.",
    "An RNN trains in O(t l n 2 ) and a Transformer in O(t 2 l n).",  # a PDF's text layer: superscripts on the line
])
def test_orders_written_in_any_math_style(text):
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["rnn"]["outcome"] == "claim" and p["transformer"]["outcome"] == "claim"


def test_a_parenthetical_after_an_order_keeps_it():
    text = "Training an RNN costs O(t·l·n²) (each step multiplies by an n×n matrix), a Transformer O(t²·l·n)."
    p = _pieces("Q-seq", text, "seq.time-train")
    assert set(p) == {"rnn", "transformer"}
    assert p["rnn"]["sheet"] == "l*n^2*t"


def test_a_wrong_order_next_to_a_parenthetical_is_graded():
    text = "Training an RNN costs O(t·l·n³) (each step multiplies by an n×n matrix)."
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["rnn"]["outcome"] == "other"
    (a,) = [x for x in complexity("Q-seq", units(text)) if x.claim == "seq.time-train"]
    v = verdict_from_parts("seq.time-train", parts={"RNN": True, "Transformer alone": False}, rule="fixture")
    assert grade(a, v)[0] == "wrong"


def test_sequential_steps_are_not_a_cost():
    p = _pieces("Q-seq", "An RNN needs O(t) sequential steps; a Transformer costs O(t^2 l n).", "seq.time-train")
    assert set(p) == {"transformer"}


def test_the_sheet_defines_its_letters():
    assert definitions("Q-seq", ["Here N is the number of tokens and D the hidden size."]) == {"N": "t", "D": "n"}
    assert definitions("Q-seq", ["with sequence length (m) and width w"]) == {"m": "t", "w": "n"}
    # a meaning's own last letter is no definition ("the feature dimensio|n of the query")
    assert definitions("Q-linattn", ["Bob's softmax runs over the feature dimension of the query"]) == {}
    # OCR damage in the meaning ("1ength") is read through the corrected text
    assert definitions("Q-seq", ["n = sequence 1ength, d = hidden size"])["n"] == "t"
    text = ("Let m be the sequence length and w the width. A recurrent layer costs O(m w^2) and a self-attention "
            "layer costs O(m^2 w + m w^2).")
    p = _pieces("Q-seq", text, "seq.time-train")
    # per layer: l is multiplied in; the Transformer's order is the true one (both terms)
    assert p["rnn"]["sheet"] == "l*n^2*t" and p["rnn"]["outcome"] == "claim"
    assert p["transformer"]["outcome"] == "truth"


def test_default_letters_without_definitions():
    p = _pieces("Q-seq", "A Transformer costs O(n^2 d) per layer.", "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2"  # n for length, d for width when t never appears


def test_linear_attention_orders():
    text = r"Softmax attention is $O(n^2 d)$ while Bob's reordering is $O(n d^2)$."
    p = _pieces("Q-linattn", text, "linattn.cost")
    assert p["softmax"]["outcome"] == "claim" and p["bob"]["outcome"] == "claim"
    p = _pieces("Q-linattn", "Softmax attention is O(n d^2) and Bob's is O(n^2 d).", "linattn.cost")
    assert p["softmax"]["outcome"] == "other" and p["bob"]["outcome"] == "other"


def test_softmax_applied_to_q_alone_is_bobs_method():
    """softmax(Q / sqrt d) with no K inside is Bob's reordering, not softmax attention, wherever it stands."""
    p = _pieces("Q-linattn", "Form K^T V first (d by d), then multiply by softmax(Q/sqrt d): O(n d^2).",
                "linattn.cost")
    assert set(p) == {"bob"} and p["bob"]["outcome"] == "claim"
    p = _pieces("Q-linattn", "Computing softmax(Q K^T / sqrt d) V costs O(n^2 d).", "linattn.cost")
    assert set(p) == {"softmax"} and p["softmax"]["outcome"] == "claim"


@pytest.mark.parametrize("question,text,role,exp", [
    ("Q-linattn", "The reordered product gives linear complexity, unlike softmax attention.", "bob", 1.0),
    ("Q-linattn", "Plain softmax attention scales quadratically.", "softmax", 2.0),
    ("Q-seq", "A Transformer has quadratic time complexity.", "transformer", 2.0),
])
def test_degree_words_without_a_variable_are_in_the_sequence_length(question, text, role, exp):
    claim = "linattn.cost" if question == "Q-linattn" else "seq.time-train"
    p = _pieces(question, text, claim)
    length = "n" if question == "Q-linattn" else "t"
    assert p[role]["exponents"] == {length: exp}


def test_orders_in_a_table_flattened_into_columns():
    text = ("                 RNN            Transformer\n"
            "train time       O(t l n^2)     O(t^2 l n)\n"
            "test memory      O(l n)         O(t l n)\n")
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["rnn"]["outcome"] == "claim" and p["transformer"]["outcome"] == "claim"
    m = _pieces("Q-seq", text, "seq.memory")
    assert m["rnn"]["aspect"] == "memory-infer" and m["rnn"]["sheet"] == "l*n"
    assert m["transformer"]["sheet"] == "l*n*t"


def test_ocr_damaged_cue_words_are_repaired_but_english_words_are_not():
    from dlclaims.check.complexity import context

    assert context("Recurrnet nets at inferance time") == "recurrent nets at inference time"
    assert context("but current research is later") == "but current research is later"
    # 'current' must not become an RNN: the order belongs to nothing named here
    p = _pieces("Q-seq", "But current research speeds up the product, which is O(t^2 n).", "seq.time-train")
    assert "rnn" not in p


def test_an_order_without_layers_is_per_layer():
    p = _pieces("Q-seq", "Self-attention costs O(t^2 n + t n^2) while an LSTM costs O(t n^2).", "seq.time-train")
    assert p["transformer"]["outcome"] == "truth" and p["transformer"]["per_layer_assumed"]
    assert p["rnn"]["outcome"] == "claim"
    p = _pieces("Q-seq", "An LSTM costs O(t^2 n^2).", "seq.time-train")  # wrong in t, per layer or not
    assert p["rnn"]["outcome"] == "other"


def test_a_component_order_adds_to_the_total():
    text = ("An RNN costs O(t l n^2); a transformer costs O(t^2 l n). The feed-forward part of the transformer is "
            "also O(t l n^2), so for short sequences it dominates.")
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["transformer"]["outcome"] == "truth" and p["rnn"]["outcome"] == "claim"
    # a component the total already dominates changes nothing
    p = _pieces("Q-seq", "A transformer costs O(t^2 l n + t l n^2); its attention part is O(t^2 l n).", "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2 + l*n^2*t"


def test_a_decoding_step_is_not_the_attention_cost():
    assert _pieces("Q-linattn", "During inference softmax attention needs only O(nd) per token.", "linattn.cost") == {}
    p = _pieces("Q-linattn", "Softmax attention over the whole sequence is O(n^2 d).", "linattn.cost")
    assert p["softmax"]["outcome"] == "claim"


def test_a_per_layer_attention_cost_is_still_the_cost():
    p = _pieces("Q-linattn", "Softmax attention is O(n^2 d) per layer and Bob's O(n d^2) per layer.", "linattn.cost")
    assert p["softmax"]["outcome"] == "claim" and p["bob"]["outcome"] == "claim"


@pytest.mark.parametrize("text", [
    "Time is T l n^2 for the RNN and T^2 l n for the transformer.",
    "Training costs O(t l n^2) for the RNN and O(t^2 l n) for the Transformer.",
])
def test_each_order_takes_the_role_named_after_it(text):
    """"X for the RNN and Y for the Transformer": the "for the RNN" before Y belongs to X."""
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["rnn"]["sheet"] == "l*n^2*t" and p["transformer"]["sheet"] == "l*n*t^2"


def test_an_order_others_quote_and_the_sheet_corrects_is_not_the_sheets():
    """"People quote O(T^2 L d) for the transformer, but ... O(L(T^2 d + T d^2))": the sheet states the
    correction, for the same model; without a correction after the "but" the quoted order stays the sheet's."""
    p = _pieces("Q-seq", "An RNN is O(T L d^2). People quote O(T^2 L d) for the transformer, but with the "
                "projections it is O(L(T^2 d + T d^2)).", "seq.time-train")
    assert p["transformer"]["outcome"] == "truth" and p["rnn"]["outcome"] == "claim"
    p = _pieces("Q-seq", "People say the Transformer is O(t^2 l n), but that is right.", "seq.time-train")
    assert p["transformer"]["outcome"] == "claim"  # agreed with: the sheet's own
    p = _pieces("Q-seq", "An RNN costs O(t l n^2). People write O(t^2 l n) for the Transformer, but that counts "
                "only the attention scores.", "seq.time-train")
    assert set(p) == {"rnn"}  # distanced, with no order of its own: the sheet states none for the Transformer


def test_theta_orders_and_a_later_term_do_not_replace_the_total():
    """Theta(...) is an order like O(...); a term named afterwards ("the T d^2 part comes from the projections")
    is part of the total already given, not a new cost."""
    text = ("Self-attention costs Theta(n^2 d) per layer for the scores, so the transformer is "
            "Theta(L (T^2 d + T d^2)) overall. The T d^2 part comes from the projections.")
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2 + l*n^2*t" and p["transformer"]["outcome"] == "truth"


def test_a_total_that_names_no_model_is_the_last_named_ones():
    text = ("For self-attention forming QK^T is O(t^2 n), but the projections and the MLP are O(t n^2), so one layer "
            "is O(t^2 n + t n^2) and the network O(l(t^2 n + t n^2)).")
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2 + l*n^2*t" and p["transformer"]["outcome"] == "truth"
    # an order with no model and no word of a total is not given to the model named before it
    p = _pieces("Q-seq", "For self-attention forming QK^T is O(t^2 n), and the MLP part is O(t n^3).", "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2"


def test_both_before_the_comma_gives_the_order_to_both_models():
    p = _pieces("Q-seq", "Memory at test time: it is the same order for both, O(t l n), since the RNN keeps all "
                         "its hidden states.", "seq.memory")
    assert p["rnn"]["sheet"] == p["transformer"]["sheet"] == "l*n*t" and p["rnn"]["outcome"] == "other"


def test_kind_and_phase_words_are_whole_words():
    """"the whole story" names no memory, "carries h_t forward" no forward pass."""
    text = ("The RNN costs O(t l n^2) in training. For the Transformer I would write O(l(t^2 n + t n^2)), which is "
            "only the whole story when t >> n. At test time the RNN just carries h_t forward, O(l n) memory.")
    assert _pieces("Q-seq", text, "seq.time-train")["transformer"]["sheet"] == "l*n*t^2 + l*n^2*t"
    assert _pieces("Q-seq", text, "seq.memory")["rnn"]["aspect"] == "memory-infer"


def test_a_square_shape_is_not_a_cost():
    text = "The RNN step multiplies by W, which is n×n, so the forward pass is T·l·n² over the sequence."
    assert _pieces("Q-seq", text, "seq.time-train")["rnn"]["sheet"] == "l*n^2*t"
    p = _pieces("Q-linattn", "Normal attention is O(n²d). Bob: KᵀV is d×d and costs O(nd²).", "linattn.cost")
    assert p["bob"]["sheet"] == "d^2*n" and p["softmax"]["sheet"] == "d*n^2"


def test_a_latex_table_with_two_header_rows_gives_each_column_its_aspect():
    text = ("$$\n\\begin{tabular}{l|cc|cc}\n & \\multicolumn{2}{c|}{time} & \\multicolumn{2}{c}{memory} \\\\\n"
            " & train & test & train & test \\\\ \\hline\n"
            "RNN & $O(T L n^2)$ & $O(T L n^2)$ & $O(T L n)$ & $O(L n)$ \\\\\n"
            "Transformer & $O(T^2 L n)$ & $O(T^2 L n)$ & $O(T L n)$ & $O(T L n)$ \\\\\n\\end{tabular}\n$$")
    got = {(p["aspect"], p["role"]): p["sheet"] for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]}
    assert got[("memory-infer", "rnn")] == "l*n" and got[("memory-train", "rnn")] == "l*n*t"
    assert got[("time-train", "rnn")] == "l*n^2*t" and got[("time-train", "transformer")] == "l*n*t^2"


def test_a_letter_times_a_sum_is_one_bare_order():
    assert [x[2] for x in find_bare_orders("so -> l(t^2 n + t n^2); the t^2 term")] == ["l(t^2 n + t n^2)"]
    assert find_bare_orders("p(x + y) and f(x, y) = x y and q(z|x)") == []  # no power: no order


def test_an_incomplete_order_and_a_line_items_model():
    """"- Transformer: not just t^2 l n. ... -> l(t^2 n + t n^2)": the item's model, its completed order."""
    text = ("- Transformer: not just t^2·l·n. QK^T is ~ t^2 n per layer, but the projections are ~ t n^2 per "
            "layer -> l(t^2 n + t n^2); the t^2 term dominates only when t >> n")
    pieces = [p for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]]
    assert [(p["role"], p["sheet"]) for p in pieces] == [("transformer", "l*n*t^2 + l*n^2*t")]
    alone = "- Transformer: t^2·l·n, because every position attends to every other."
    assert [(p["role"], p["sheet"]) for a in complexity("Q-seq", units(alone)) for p in a.data["pieces"]] == \
        [("transformer", "l*n*t^2")]


def test_a_kind_carries_on_from_a_label_or_an_order_not_from_a_remark():
    remark = ("Timings: transformer + KV cache 0.35 s, no cache 2.9 s, so the decoding is sequential. "
              "The same orders hold at test time: RNN t l n^2, transformer t^2 l n.")
    aspects = {p["aspect"] for a in complexity("Q-seq", units(remark)) for p in a.data["pieces"]}
    assert aspects == {"time-infer"}
    label = "Memory, briefly. At test time the RNN is O(l n) and the Transformer O(t l n)."
    aspects = {p["aspect"] for a in complexity("Q-seq", units(label)) for p in a.data["pieces"]}
    assert aspects == {"memory-infer"}


def test_keeping_states_is_memory_and_the_role_is_read_across_an_empty_clause():
    """"the RNN only keeps its hidden states, ..., and the transformer is the same, O(l n)": the transformer's
    test-time memory (the clause right before the order is empty; the one before it names the model)."""
    text = ("At test time the RNN only keeps its hidden states, l n numbers, and I would say the transformer is the "
            "same, O(l n), since each new token is just pushed through the layers.")
    pieces = [(p["aspect"], p["role"], p["sheet"]) for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]]
    assert pieces == [("memory-infer", "transformer", "l*n")]


def test_a_total_that_fits_no_claim_belongs_to_the_one_model_of_its_sentence():
    text = ("For the transformer the expensive part is Q K^T, which is T x T with inner dimension n, i.e. O(T^2 n) per "
            "layer, but the projections still cost O(T n^2) per layer, so the total is O(l (T^2 n + T n^2)).")
    pieces = {p["role"]: p["sheet"] for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]}
    assert pieces["transformer"] == "l*n*t^2 + l*n^2*t"


def test_a_letter_before_the_noun_it_counts_is_defined():
    assert definitions("Q-seq", ["N tokens, depth L, model width d."]) == {"N": "t", "L": "l", "d": "n"}
    assert definitions("Q-seq", ["attention over n tokens costs O(n^2 d)"]) == {"n": "t"}
    assert definitions("Q-seq", ["a net of 2 layers"]) == {}


def test_each_line_of_a_code_block_is_a_statement_of_its_own():
    text = ("Cost of both versions:\n\n```python\n"
            "A = torch.softmax(Q @ K.T / d**0.5, dim=-1)   # (n, n) matrix -> O(n^2 d)\n"
            "out = A @ V\n"
            "# Bob\n"
            "out_bob = torch.softmax(Q / d**0.5, dim=-1) @ (K.T @ V)   # (d, d) -> O(n d^2)\n```\n")
    us = units(text)
    assert [u.text for u in us][1:] == [ln for ln in text.split("\n")[3:7]]  # one unit per code line
    p = _pieces("Q-linattn", text, "linattn.cost")
    assert p and p["bob"]["sheet"] == "d^2*n"  # Bob's own line, not the softmax attention's order before it


def test_a_bare_each_after_an_order_is_per_the_unit_named_before_it():
    text = "When generating, the RNN does one update per token, l n^2 each, so its cost grows with the length."
    p = _pieces("Q-seq", text, "seq.time-infer")
    assert p["rnn"]["sheet"] == "l*n^2*t"  # each token's cost, times the tokens


def test_a_sentence_opening_with_a_kinds_label_labels_the_ones_after_it():
    text = ("Memory: for backward we must keep the activations of all steps, since backprop through time needs them. "
            "So in training both need O(t l n).")
    got = [a for a in complexity("Q-seq", units(text)) if a.claim == "seq.memory"]
    assert got and {p["aspect"] for p in got[0].data["pieces"]} == {"memory-train"}
    assert not [a for a in complexity("Q-seq", units(text)) if a.claim == "seq.time-train"]


def test_a_names_arguments_are_no_remark_in_brackets():
    """"softmax(Q/sqrt d)" is Bob's softmax over Q alone, read as such: not a bracketed remark to drop."""
    text = ("Bob computes K^T V first (d x d, cost n d^2) and then multiplies softmax(Q/√d) with it, "
            "again n d^2.")
    p = _pieces("Q-linattn", text, "linattn.cost")
    assert set(p) == {"bob"} and p["bob"]["sheet"] == "d^2*n"


def test_m_read_as_rn_is_repaired_in_cue_words():
    from dlclaims.check.complexity import context

    assert context("so training rnemory is 0(T l n)") == "so training memory is o(t l n)"
    assert context("the government modern") == "the government modern"  # real words with 'rn' stay
    text = "Both keep the activations for backprop, so training rnemory is 0(T l n) for the RNN."
    got = {(p["aspect"], p["role"]) for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]}
    assert got == {("memory-train", "rnn")}


def test_keeping_all_keys_and_values_is_the_decoding_cache():
    text = "For memory the RNN keeps h, L*n numbers, the transformer keeps all keys and values, O(T L n)."
    got = {(p["aspect"], p["role"]): p["sheet"] for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]}
    assert got.get(("memory-infer", "transformer")) == "l*n*t"
    train = "During training the transformer keeps the activations of every layer, O(T L n)."
    assert {p["aspect"] for a in complexity("Q-seq", units(train)) for p in a.data["pieces"]} == {"memory-train"}


def test_a_table_row_of_sequential_steps_is_no_cost():
    text = ("| | RNN | Transformer |\n|---|---|---|\n| train time | $O(T l n^2)$ | $O(l(T^2 n + T n^2))$ |\n"
            "| sequential steps | $O(T)$ | $O(l)$ |")
    got = {(p["aspect"], p["role"]): p["sheet"] for a in complexity("Q-seq", units(text)) for p in a.data["pieces"]}
    assert got == {("time-train", "rnn"): "l*n^2*t", ("time-train", "transformer"): "l*n*t^2 + l*n^2*t"}


def test_the_role_of_an_order_is_read_after_a_contrast_word():
    text = "K^T V costs O(n d^2), so Bob's layer is linear in n while the usual one is O(n^2 d) due to the score matrix."
    got = {(p["role"], p["sheet"]) for a in complexity("Q-linattn", units(text)) for p in a.data["pieces"]}
    assert ("softmax", "d*n^2") in got and ("bob", "d*n^2") not in got


def test_the_object_of_a_comparison_is_not_the_role_an_order_is_about():
    text = ("Because matrix products are associative Bob just puts the brackets differently, so his layer computes the "
            "same function as normal softmax attention but cheaper: O(n d^2) instead of O(n^2 d).")
    p = _pieces("Q-linattn", text, "linattn.cost")
    assert p["bob"]["sheet"] == "d^2*n"
    assert p.get("softmax", {"sheet": "d*n^2"})["sheet"] == "d*n^2"
    # "vs softmax -> O(n^2 d)" names the model whose order follows
    p = _pieces("Q-linattn", "- K^T V is d x d -> O(n d^2) vs standard softmax(QK^T/sqrt d)V -> O(n^2 d)", "linattn.cost")
    assert p["softmax"]["sheet"] == "d*n^2"


def test_an_order_framed_as_a_first_thought_or_called_partial_is_not_the_total():
    text = ("Let t be the sequence length, l the layers and n the width. In the RNN a pass costs O(t l n^2). For the "
            "Transformer you might be tempted to write O(t^2 l n) and move on. Don't stop there: the projections and "
            "the feed-forward block are n x n matmuls at every position, so the Transformer's cost per layer is "
            "t^2 n + t n^2, and t^2 l n is only the leading term when t is much bigger than n.")
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2 + l*n^2*t"


def test_a_sum_of_bare_products_is_one_order():
    from dlclaims.check.orders import find_bare_orders

    assert [x[2] for x in find_bare_orders("the cost per layer is t^2 n + t n^2, and t^2 l n is the leading term")] \
        == ["t^2 n + t n^2", "t^2 l n"]


@pytest.mark.parametrize("text", [
    "An RNN trains in O(t l n^2). For self-attention the scores cost O(t^2 n), but the projections and the "
    "feed-forward block add O(t n^2) per layer.",
    "An RNN trains in O(t l n^2). A Transformer costs O(t^2 n) per layer for the scores, plus O(t n^2) for the "
    "projections.",
])
def test_an_order_added_to_the_one_before_is_a_term_of_its_total(text):
    """"... O(t^2 n), but the projections add O(t n^2) per layer": the same model's total, in the same units."""
    p = _pieces("Q-seq", text, "seq.time-train")
    assert p["transformer"]["sheet"] == "l*n*t^2 + l*n^2*t"
    assert p["transformer"]["outcome"] == "truth"


def test_a_notes_abbreviation_names_the_transformer():
    """"Transf.:" in a student's notes is the Transformer: its total, given after a per-layer term, is its order."""
    text = "- Transf.: attn scores are t x t per layer -> t²n, total O(l(t²n + t n²))"
    pieces = [p for a in complexity("Q-seq", units(text, "Q1")) for p in a.data["pieces"]]
    assert [(p["role"], p["sheet"]) for p in pieces] == [("transformer", "l*n*t^2 + l*n^2*t")]


def test_a_total_in_a_display_formula_is_the_model_of_the_sentence_before():
    """"The total is" ends its unit where a display formula follows; the formula is that total, of the model the
    sentences before were about (here a corrected per-layer term of the Transformer's)."""
    text = ("An RNN layer multiplies an n x n matrix at each step, $O(t l n^2)$. For the Transformer one often "
            "reads $O(t^2 n)$ per layer, but the projections and the MLP cost $O(t n^2)$. The total is\n\n"
            "$$O\\big(l\\,(t^2 n + t\\,n^2)\\big),$$\n\nwhich is what the lab measures.")
    pieces = [p for a in complexity("Q-seq", units(text, "Q1")) for p in a.data["pieces"]]
    assert ("transformer", "l*n*t^2 + l*n^2*t") in [(p["role"], p["sheet"]) for p in pieces]


def test_a_total_after_a_sentence_naming_the_model_extends_its_order():
    """A sentence that names no model, after one that names the Transformer and gives no order, corrects its order
    with a total that contains it: the total is the Transformer's. One that does not contain it is not."""
    table = "| | RNN | Transformer |\n|---|---|---|\n| train time | $O(t l n^2)$ | $O(t^2 l n)$ |\n\n"
    edit = ("EDIT: the TA flagged my Transformer cell. The projections and the MLP are n x n products at each "
            "position, so per layer it's really {}.")

    def transformer(text: str) -> str:
        pieces = [p for a in complexity("Q-seq", units(text, "Q1")) for p in a.data["pieces"]]
        return next(p["sheet"] for p in pieces if p["role"] == "transformer" and p["aspect"] == "time-train")

    assert transformer(table + edit.format("$t^2 n + t n^2$")) == "l*n*t^2 + l*n^2*t"
    assert transformer(table + edit.format("$t^3 n + t n^3$")) == "l*n*t^2"
