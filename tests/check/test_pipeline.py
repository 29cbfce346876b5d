"""Unit tests of the steps: reading, segmenting, matching, orders, negation, grading, outputs."""

from __future__ import annotations

import json

import pytest

from dlclaims.check import check_sheets, check_text
from dlclaims.check.extract import extract, negated
from dlclaims.check.match import match
from dlclaims.check.ocr import ocr_lower
from dlclaims.check.orders import parse_order, show
from dlclaims.check.segment import segment
from dlclaims.check.sheet_io import MAX_BYTES, SheetSkipped, read_sheet
from dlclaims.core.store import Store

SEQ = (("t", "t"), ("l", "l"), ("n", "n"))


def read(answer: str) -> dict[str, str]:
    """claim -> stance of what a one-answer sheet states (the whole pipeline: segment, match, detect, decide)."""
    from dlclaims.check.sheet import extract_sheet

    return {a.claim: a.stance for a, _, _ in extract_sheet("Q1\n" + answer + "\n", sheet="t").items}


@pytest.mark.parametrize("heading,num", [
    ("Q1", 1), ("Q.2", 2), ("## Q3:", 3), ("Question 4", 4), ("4)", None), ("Ql", 1), ("Questlon 5", 5),
    ("**Question 6.**", 6), ("Problem 7", 7), ("Q 8 -", 8),
])
def test_segment_headings(heading, num):
    segs = segment(f"{heading}\nfirst answer about something\n\nQ9\nsecond answer" if num else
                   f"{heading} first answer about something\n\n5) second answer")
    labelled = [s for s in segs if s.label != "(no heading)"]
    assert len(labelled) == 2
    if num is not None:
        assert labelled[0].number == num


def test_segment_sub_parts_and_number_rows():
    segs = segment("Q1\n(a) one thing\nb) other thing\nq\t1\t2\t1\n")
    assert [s.label for s in segs] == ["Q1"]
    assert [p.label for p in segs[0].parts] == ["a", "b"]


@pytest.mark.parametrize("text,want", [
    (r"t \cdot l \cdot n^2", "l*n^2*t"), (r"t \ln^2", "l*n^2*t"), ("t·l·n^2", "l*n^2*t"), ("l t^2 n", "l*n*t^2"),
    ("l(t^2 n + t n^2)", "l*n*t^2 + l*n^2*t"), ("T L N", "l*n*t"), ("n log n", "n"), ("tln", "l*n*t"),
])
def test_orders_parse_into_leading_monomials(text, want):
    sym = SEQ + (("T", "t"), ("L", "l"), ("N", "n"))
    assert show(parse_order(text, sym)) == want


def test_orders_reject_foreign_symbols_and_code():
    assert parse_order("x + y", SEQ) is None
    assert parse_order("__import__('os')", SEQ) is None
    assert parse_order("n, n", SEQ) is None


@pytest.mark.parametrize("sentence,claim,stance", [
    ("It is the same function, only computed in a different order.", "linattn.not-equivalent", "deny"),
    ("It is not the same function as softmax attention.", "linattn.not-equivalent", "assert"),
    ("Bob's attention does not compute the same output.", "linattn.not-equivalent", "assert"),
    ("The outputs are different.", "linattn.not-equivalent", "assert"),
])
def test_polarity_with_negations(sentence, claim, stance):
    assert read("Bob's attention softmax(Q/sqrt(d))(K^T V) versus softmax attention. " + sentence).get(claim) == stance


def test_negation_scope_is_the_clause():
    low = "it never converges, but the equilibrium is the origin"
    assert negated(low, 0, len("it never converges"))
    k = low.index("the equilibrium")
    assert not negated(low, k, len(low))


def test_hedged_trend_counts_as_plateau_or_fall():
    a = extract("Q-latent", [("", "Accuracy rises with h; it may plateau or even decrease for large h.")])
    assert a[0].data["shape"] == "rise-plateau-fall"
    assert a[0].stance == "assert" and a[0].hedged


def test_ocr_words_are_corrected_toward_the_domain():
    assert ocr_lower("the transfomer and softrnax") == "the transformer and softmax"
    assert ocr_lower("the 1st term is the regu1arizer") == "the 1st term is the regularizer"  # an ordinal stays


def test_match_by_content_not_number():
    m = match("Alternating gradient descent-ascent on f(p, q) = pq cycles around the saddle point.")
    assert m.question == "Q-minmax"
    assert m.words


def test_read_sheet_bad_inputs(tmp_path):
    (tmp_path / "bin.md").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.md").write_bytes("Qu\xe9stion 1".encode("latin-1"))
    big = tmp_path / "big.md"
    big.write_bytes(b"a" * (MAX_BYTES + 1))
    for name in ("bin.md", "latin.md", "big.md", "missing.md"):
        with pytest.raises(SheetSkipped):
            read_sheet(tmp_path / name)


def test_batch_skips_bad_files_and_grades_the_rest(tmp_path, fixture_store):
    good = tmp_path / "good.md"
    good.write_text("Q1\nBob's attention is not the same function as softmax attention.\n", encoding="utf-8")
    (tmp_path / "bin.md").write_bytes(b"\x00\xff")
    out = check_sheets([str(good), str(tmp_path / "bin.md"), str(tmp_path / "nope.md")], fixture_store)
    assert len(out.results) == 1 and len(out.skipped) == 2
    assert out.results[0]["findings"][0]["grade"] == "right"


def test_empty_and_unrecognised_sheets_get_a_note():
    for text in ("", "   \n\n", "Q1\nI like turtles and pizza.\n"):
        r = check_text(text, {})
        assert r["findings"] == [] and r["note"]


def test_missing_store_is_not_created_and_gives_commands(tmp_path):
    sheet = tmp_path / "s.md"
    sheet.write_text("Q1\nWith eta = 1 GDA on f(p,q) = pq cycles forever and never converges.\n", encoding="utf-8")
    store = tmp_path / "none" / "store.sqlite"
    out = check_sheets([str(sheet)], store)
    assert not store.exists() and not store.parent.exists()
    f = out.results[0]["findings"][0]
    assert f["grade"] == "unknown" and f["evidence"]["command"] == "dlclaims run --only minmax.no-convergence"


def test_graded_sheets_are_stored(tmp_path):
    from check_fixtures import build_store

    store = build_store(tmp_path / "s.sqlite")
    sheet = tmp_path / "a.md"
    sheet.write_text("Q1\nThe ELBO is a lower bound on log p(x).\n", encoding="utf-8")
    check_sheets([str(sheet)], store, record=True)
    with Store.open(store, create=False) as s:
        checks = s.latest_checks()
    assert checks and checks[0]["findings"][0]["claim"] == "elbo.bound"


def test_out_dir_writes_feedback_and_class_files(tmp_path, fixture_store):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("Q1\nBob's attention is the same function. <script>alert(1)</script>\n", encoding="utf-8")
    b.write_text("Q1\nBob's attention is a different function.\n", encoding="utf-8")
    out = check_sheets([str(a), str(b)], fixture_store, out_dir=tmp_path / "out")
    names = {p.name for p in out.written}
    assert {"class.csv", "class-summary.csv"} <= names
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".md") for n in names)
    for p in out.written:
        if p.suffix == ".html":
            assert "<script>alert(1)" not in p.read_text(encoding="utf-8")
    rows = (tmp_path / "out" / "class-summary.csv").read_text().splitlines()
    assert rows[1].startswith("linattn.not-equivalent") and rows[1].endswith("1,0,1,0")


def test_json_roundtrip_of_results(fixture_store, tmp_path):
    sheet = tmp_path / "s.md"
    sheet.write_text("Q1\n| step | 0 | 1 | 2 |\n|--|--|--|--|\n| q | 1 | 2 | 1 |\n| p | 1 | -1 | -2 |\n"
                     "on f(p,q) = pq with eta = 1\n", encoding="utf-8")
    r = check_sheets([str(sheet)], fixture_store).results[0]
    json.dumps(r)
    assert r["findings"][0]["claim"] == "minmax.table" and r["findings"][0]["grade"] == "right"


@pytest.mark.slow
def test_run_missing_measures_what_the_sheet_needs(tmp_path):
    sheet = tmp_path / "s.md"
    sheet.write_text("Q2\nGDA on f(p, q) = pq with eta = 1 cycles with period 6 and never converges.\n"
                     "With a smaller step such as 0.1 it would converge.\n", encoding="utf-8")
    store = tmp_path / "store.sqlite"
    out = check_sheets([str(sheet)], store, run_missing=True)
    assert out.ran == ["minmax"]
    grades = {f["claim"]: f["grade"] for f in out.results[0]["findings"]}
    assert grades["minmax.no-convergence"] == "right"
    assert grades["minmax.small-step"] == "wrong"


def test_copied_prompt_and_questions_assert_nothing():
    text = ("Question 3\nBob proposes softmax(Q/sqrt d)(K^T V). Is it the same function as softmax attention?\n\n"
            "Answer: it is cheaper, O(n d^2) instead of O(n^2 d), but its outputs are different.\n")
    got = {f["claim"]: f["says"] for f in check_text(text, {})["findings"]}
    assert got["linattn.not-equivalent"] == "Bob's attention does not compute the same function"
    assert "O(d^2*n)" in got["linattn.cost"]
    r = check_text("Q1\nIs Bob's attention the same function as softmax attention?\n", {})
    assert r["findings"] == []


def test_swapped_orders_are_wrong(fixture_store):
    from dlclaims.check import load_verdicts

    text = "Q2\nSoftmax attention costs O(n d^2) while Bob's attention costs O(n^2 d).\n"
    f = check_text(text, load_verdicts(fixture_store))["findings"][0]
    assert f["claim"] == "linattn.cost" and f["grade"] == "wrong"


def test_orders_in_words_and_pairs(fixture_store):
    from dlclaims.check import load_verdicts

    text = ("Q1\nTraining an RNN is linear in the sequence length but quadratic in the width.\n\n"
            "Q2\nFor f(p,q) = pq with eta = 1 the iterates (p, q) go (1, 1) -> (-1, 2) -> (-2, 1) -> (-1, -1) -> "
            "(1, -2).\n")
    got = {f["claim"]: f["grade"] for f in check_text(text, load_verdicts(fixture_store))["findings"]}
    assert got == {"seq.time-train": "right", "minmax.table": "right"}


def test_contractions_negate():
    assert read("Reducing eta wouldn't help: it still cycles.").get("minmax.small-step") == "deny"


def test_terminal_output_does_not_interpret_sheet_markup(fixture_store, tmp_path):
    from rich.console import Console

    from dlclaims.check import render_terminal

    sheet = tmp_path / "s.md"
    sheet.write_text("Q1\n[red]Bob's[/red] attention is not the same function as softmax attention.\n",
                     encoding="utf-8")
    out = check_sheets([str(sheet)], fixture_store)
    console = Console(record=True, width=200)
    for r in render_terminal(out):
        console.print(r)
    assert "[red]Bob's[/red]" in console.export_text()


@pytest.mark.parametrize("question,sentence,claim,stance", [
    ("Q-seq", "The RNN cannot be parallelised over time.", "seq.sequential-steps", "assert"),
    pytest.param(*("Q-seq", "Self-attention processes all tokens at once.", "seq.sequential-steps", "assert"), marks=pytest.mark.xfail(reason='the sentence names no RNN and no step count; per-token examples score closer', strict=False)),
    ("Q-seq", "LayerNorm normalises each token on its own.", "seq.per-token", "assert"),
    ("Q-elbo", "The ELBO never exceeds log p(x).", "elbo.bound", "assert"),
    ("Q-minmax", "A learning rate of 0.01 fixes the oscillation.", "minmax.small-step", "assert"),
    pytest.param(*("Q-minmax", "GDA spirals outward.", "minmax.no-convergence", "assert"), marks=pytest.mark.xfail(reason="a three-word answer sits at the decision threshold", strict=False)),
    ("Q-cnn", "MLP accuracy collapses on shifted digits.", "cnn.shift-robustness", "assert"),
    ("Q-ema", "The EMA forgets old gradients quickly.", "ema.adaptivity", "assert"),
    ("Q-diffusion", "L_T is constant w.r.t. the parameters, so it is dropped.", "diffusion.LT", "nuance"),
    ("Q-gen", "VAE samples look like digits, but decoding random codes from a plain AE gives junk.", "gen.ae-prior", "assert"),
    # the VAE half's words said of the plain AE: a denial (stance.window_stance's crossed model)
    ("Q-gen", "A plain autoencoder produces realistic samples from random latents.", "gen.ae-prior", "deny"),
])
def test_phrasings(question, sentence, claim, stance):
    assert read(sentence).get(claim) == stance


BATTERY = [
    ("Q-seq", "Generation with a transformer is inherently sequential.", "seq.decode-sequential", "assert"),
    pytest.param(*("Q-seq", "At inference the transformer can produce all tokens in parallel.", "seq.decode-sequential", "deny"), marks=pytest.mark.xfail(reason='a denial without a negation word, close to the training-time parallelism examples', strict=False)),
    ("Q-seq", "The feed-forward layers mix information across positions.", "seq.per-token", "deny"),
    ("Q-seq", "The MLP sublayer is applied independently to every token.", "seq.per-token", "assert"),
    ("Q-lookup", "If q.k_j is much larger than the other scores, attention returns v_j.", "lookup.copy", "assert"),
    ("Q-lookup", "For large beta the result is the average of v_a and v_b.", "lookup.average", "assert"),
    # minus / plus: opposite words (structure.toml [[opposite]]), not outweighed by the wrong-sign example's shared words
    ("Q-elbo", "The ELBO is the expected log-likelihood minus the KL divergence between q(z|x) and the prior.",
     "elbo.decomposition", "assert"),
    ("Q-elbo", "The KL term is the reconstruction term.", "elbo.term-roles", "assert"),  # a role link (assignments.py)
    ("Q-minmax", "The saddle point at the origin is the unique equilibrium.", "minmax.equilibrium", "assert"),
    ("Q-minmax", "Even with a tiny step size the iterates keep circling.", "minmax.small-step", "deny"),
    ("Q-minmax", "The iterates converge to the equilibrium.", "minmax.no-convergence", "deny"),
    ("Q-latent", "Beyond h = 32 the accuracy no longer improves.", "latent.accuracy-vs-h", "assert"),
    ("Q-depth", "A single hidden layer cannot approximate every continuous function.", "depth.uat", "deny"),
    ("Q-depth", "A shallow network needs exponentially more units than a deep one for the sawtooth.",
     "depth.efficiency", "assert"),
    ("Q-cnn", "CNNs have far fewer weights than MLPs thanks to weight sharing.", "cnn.params", "assert"),
    ("Q-cnn", "Thanks to the ReLU non-linearities a CNN is not a linear function.", "cnn.linear-stack", "assert"),
    ("Q-bias", "Convolutional layers are translation equivariant, not invariant.", "bias.equivariance", "nuance"),
    ("Q-bias", "The CNN learns from fewer examples than the MLP.", "bias.data-efficiency", "assert"),
    ("Q-ema", "An arithmetic mean of all gradients adapts slowly after the landscape changes.", "ema.adaptivity",
     "assert"),
    ("Q-ema", "The plain average keeps all of the noise.", "ema.noise", "assert"),
    ("Q-scalar", "Without a scalar, PyTorch raises an error when you call backward.", "scalar.error", "assert"),
    ("Q-scalar", "Computing the full Jacobian needs one backward pass per output, which is expensive.", "scalar.cost",
     "assert"),
    ("Q-linattn", "Bob's attention is equivalent to softmax attention.", "linattn.not-equivalent", "deny"),
    ("Q-linattn", "Bob's approach only approximates softmax attention.", "linattn.not-equivalent", "assert"),
    pytest.param(*("Q-align", "Each row of the attention map sums to one.", "align.cells", "assert"),
                 marks=pytest.mark.xfail(reason="a one-sentence answer sits below the decision threshold (p 0.54, "
                                                "cut 0.62: the middle of the corpus's flat F1 plateau)", strict=False)),
    ("Q-align", "A row with a single bright cell means a one-to-one alignment.", "align.one-to-one", "assert"),
    ("Q-align", "Several lit cells in a row mean that the target word depends on several source words.",
     "align.spread", "assert"),
    ("Q-diffusion", "The bound holds because the KL divergence is non-negative.", "diffusion.bound", "assert"),
    ("Q-diffusion", "The true posterior over the whole chain is intractable.", "diffusion.intractable", "assert"),
    pytest.param(*("Q-diffusion", "L_T has no trainable parameters, so it does not affect training.", "diffusion.LT", "nuance"), marks=pytest.mark.xfail(reason="'does not affect training' matches the claim's own wording (asserts) more than the correction", strict=False)),
    ("Q-gen", "The latent codes of a plain autoencoder are not regularized towards N(0, I).", "gen.latent-gap",
     "assert"),
    pytest.param(*("Q-gen", "Decoding random latent vectors with an AE gives samples that don't look like digits.",
     "gen.ae-prior", "assert"), marks=pytest.mark.xfail(reason="the negation's scope ('look like digits') is matched to the denial example", strict=False)),
]


@pytest.mark.parametrize("question,sentence,claim,stance", BATTERY)
def test_phrasing_battery(question, sentence, claim, stance):
    assert read(sentence).get(claim) == stance


def test_an_order_off_the_claim_is_graded_by_measured_slopes():
    from dlclaims.check.grade import _by_slopes, measured_slopes

    numbers = {"slopes": {"rnn_t": {"time": {"mean": 1.02, "lo": 0.95, "hi": 1.1}},
                          "rnn_n": {"time": {"mean": 1.97, "lo": 1.9, "hi": 2.05}}}}
    assert measured_slopes(numbers)[("rnn", "n")][0] == 1.97
    right = {"aspect": "time-train", "role": "rnn", "exponents": {"t": 1.0, "n": 2.0}}
    wrong = {"aspect": "time-train", "role": "rnn", "exponents": {"t": 2.0}}
    assert _by_slopes(right, numbers) == "right" and _by_slopes(wrong, numbers) == "wrong"


def _finding(claim, grade, confidence, review):
    return {"question": "Q-minmax", "claim": claim, "quote": f"words for {claim}", "says": "asserts", "verdict": "supported",
            "grade": grade, "evidence": {"rule": "r"}, "confidence": confidence, "review": review}


def _outcome_with_a_review():
    from types import SimpleNamespace

    r = {"sheet": "s.md", "findings": [_finding("minmax.table", "right", 0.93, False),
                                       _finding("minmax.small-step", "wrong", 0.41, True)],
         "score": 0.5, "tally": {"right": 1, "wrong": 1}}
    return SimpleNamespace(results=[r], written=[])


def test_terminal_sets_low_confidence_findings_apart():
    from rich.console import Console

    from dlclaims.check import render_terminal

    console = Console(record=True, width=200)
    for x in render_terminal(_outcome_with_a_review()):
        console.print(x)
    text = console.export_text()
    head, _, apart = text.partition("to check by a person")
    assert "minmax.table" in head and "minmax.small-step" not in head  # the sure finding in the main table
    assert "minmax.small-step" in apart and "0.41" in apart and "minmax.table" not in apart.split("score")[0]
    assert "to check 1" in text


def test_feedback_pages_mark_low_confidence_findings(tmp_path):
    from dlclaims.check.output import write_outputs

    paths = write_outputs(_outcome_with_a_review().results, tmp_path)
    md = next(p for p in paths if str(p).endswith(".md")).read_text(encoding="utf-8")
    sure, unsure = md.split("## 2.")  # the second finding is the unsure one
    assert "to check" not in sure.split("- findings:")[1].split("## 1.")[1]
    assert "— to check" in unsure and "confidence 0.41" in unsure
    assert "to check by a person: 1 finding" in md
    page = next(p for p in paths if str(p).endswith(".html")).read_text(encoding="utf-8")
    assert page.count('class="finding st-wrong review"') == 1 and 'class="finding st-right"' in page


@pytest.mark.parametrize("text,neg", [("No, it is a cycle.", 0), ("**No**, the iterates cycle.", 0),
                                      ("No. They never converge.", 1), ("There is no convergence.", 1),
                                      ("No step size fixes it.", 1)])
def test_a_leading_no_answers_the_question_and_does_not_negate(text, neg):
    from dlclaims.check.stance import parity

    assert parity(text) == neg


@pytest.mark.parametrize("falls_at,want", [([], "rise-plateau"), ([64, 128], "rise-fall")])
def test_the_labs_shape_test_gives_the_measured_trend(falls_at, want):
    from dlclaims.check.grade import _shape_in

    assert _shape_in({"accuracy": {"8": {"mean": 0.9}}, "shape": {"knee_h": 16, "falls_at": falls_at}}) == want
    assert _shape_in({"shape": {"knee_h": 16}}) is None  # no falls_at: not the lab's shape test
