"""A "wrong" grade must earn its place (grade.held_back), and trends are graded piece by piece."""

from __future__ import annotations

from check_fixtures import build_store

from dlclaims.check import load_verdicts
from dlclaims.check.extract import Assertion
from dlclaims.check.grade import grade, held_back
from dlclaims.check.sheet import Extracted, grade_sheet
from dlclaims.core.types import verdict


def _prop(stance: str = "deny", share: float = 1.0, hedged: bool = False, kind: str = "proposition",
          claim: str = "linattn.not-equivalent") -> Assertion:
    return Assertion(claim, kind, stance, "Bob's attention computes the same function.",  # type: ignore[arg-type]
                     "not: ...", "", hedged, {"spans": ["x"], "n_pos": 2, "confidence": 0.9, "review": False,
                                              "stance_share": share})


def test_a_wrong_with_an_unambiguous_stance_is_given():
    assert held_back(_prop(share=1.0), "wrong") is None


def test_a_wrong_whose_windows_disagree_on_the_stance_is_held_back():
    assert "different stances" in held_back(_prop(share=0.6), "wrong")


def test_a_hedged_wrong_is_held_back():
    assert "hedges" in held_back(_prop(hedged=True), "wrong")


def test_a_wrong_read_from_one_clause_of_a_longer_sentence_is_held_back():
    a = _prop()
    a.data["one_clause"] = True
    assert "one clause" in held_back(a, "wrong")


def test_a_stance_from_a_single_clause_window_is_marked(tmp_path):
    """The sheet's only voting window for the claim is a clause cut from a long sentence: marked, so a "wrong"
    from it waits for a person; a sentence that votes alongside lifts the mark."""
    from dlclaims.check.detect import Support, Window
    from dlclaims.check.sheet import Analysis, decide_sheet

    clause = Window("so it needs n sequential steps per layer", 0, "", sentence="The RNN cannot skip ahead to a "
                    "later token before the earlier ones are done, so it needs n sequential steps per layer, while "
                    "attention handles all positions of the layer at once.")
    whole = Window(clause.sentence, 0, "")
    by = {"asserts": (1.3, "An RNN needs t sequential steps."), "denies": (2.1, "An RNN needs only l steps.")}

    def marked(support):
        import numpy as np

        from dlclaims.check.detect import Candidate
        c = Candidate("seq.sequential-steps", np.zeros(16), support[0].window, "e", "denies", support,
                      np.zeros((1, 16)))

        class Always:
            threshold, review = 0.0, 0.0

            def proba(self, X):
                return np.ones(len(X))
        an = Analysis([("Q-seq", "Q1", [("", clause.sentence)], None)], [], [c], [])
        [(a, _, _)] = decide_sheet(an, sheet="s", decider=Always()).items
        return a.data["one_clause"]
    assert marked([Support(clause, 2.1, by)]) is True
    assert marked([Support(clause, 2.1, by), Support(whole, 2.0, by)]) is False


def test_only_wrong_grades_of_propositions_are_held_back():
    assert held_back(_prop(share=0.6), "right") is None
    assert held_back(_prop(share=0.6), "partly") is None
    assert held_back(_prop(share=0.6, kind="sequence"), "wrong") is None  # an exact comparison keeps its grade


def _sheet(a: Assertion, store) -> dict:
    ex = Extracted("s.md", "")
    ex.items.append((a, "Q1", None))
    return grade_sheet(ex, store)["findings"][0]


def test_grade_sheet_sets_a_held_back_wrong_apart_with_its_tentative_grade(tmp_path):
    store = load_verdicts(build_store(tmp_path / "s.sqlite", {"linattn.not-equivalent", "elbo.term-roles"}))
    f = _sheet(_prop(share=0.6), store)  # denies a claim that holds: tentatively wrong
    assert f["grade"] == "unknown" and f["to_check"] == "wrong" and f["review"] is True
    assert f["why"].startswith("to check")
    firm = _sheet(_prop(share=1.0), store)
    assert firm["grade"] == "wrong" and "to_check" not in firm and "review" not in firm
    right = _sheet(_prop(share=0.6, claim="elbo.term-roles"), store)  # denies a claim that fails: right
    assert right["grade"] == "right" and "to_check" not in right


def _trend(shape: str) -> Assertion:
    return Assertion("latent.accuracy-vs-h", "trend", "assert", "q", "s", "", False, {"shape": shape})


def test_a_trend_is_right_when_every_piece_it_states_was_measured():
    v = verdict("latent.accuracy-vs-h", holds=True, rule="r", numbers={"shape": {"knee_h": 16, "falls_at": []}})
    assert grade(_trend("rise-plateau"), v)[0] == "right"
    assert grade(_trend("plateau"), v)[0] == "right"  # "it stops improving": a piece that was measured
    assert grade(_trend("rise"), v)[0] == "wrong"  # "the larger the better": the plateau contradicts it
    assert grade(_trend("rise-fall"), v)[0] == "partly"  # the fall branch where a plateau was measured
    # the claim's own alternatives ("rises, then plateaus or even falls"): the measured shape is one of them
    assert grade(_trend("rise-plateau-fall"), v)[0] == "right"
    assert grade(_trend("plateau-fall"), v)[0] == "partly"  # not a shape the claim names: the fall is unmeasured


PARTS = {"the moving average filters gradient noise": "supported",
         "a plain average of all past gradients retains the noise": "refuted"}
CLAIM = "the moving average filters gradient noise, while a plain average of all past gradients retains it"


def test_an_answer_that_states_one_part_is_graded_on_that_part():
    from dlclaims.check.grade import _part_status

    assert _part_status(["A plain average of all past gradients retains the noise."], PARTS, CLAIM) == "refuted"
    assert _part_status(["The moving average filters the gradient noise."], PARTS, CLAIM) == "supported"


def test_an_answer_that_states_the_claim_as_a_whole_is_not_graded_on_a_part():
    from dlclaims.check.grade import _part_status

    # both parts' words: the claim as stated (None: the stance table grades it, partial -> partly)
    both = "The moving average filters gradient noise while a plain average of all past gradients retains it."
    assert _part_status([both], PARTS, CLAIM) is None
    assert _part_status(["Adam uses two moments."], PARTS, CLAIM) is None  # names no part
    # without the claim's text to compare with, both parts are stated, with different statuses
    assert _part_status([both], PARTS) == "partial"


def _held_outcome():
    from types import SimpleNamespace

    base = {"question": "Q-linattn", "quote": "q", "says": "s", "verdict": "supported", "evidence": {"rule": "r"},
            "confidence": 0.9}
    r = {"sheet": "s.md", "score": 1.0, "tally": {"right": 1, "unknown": 1}, "findings": [
        {**base, "claim": "linattn.cost", "grade": "right"},
        {**base, "claim": "linattn.not-equivalent", "grade": "unknown", "to_check": "wrong", "review": True}]}
    return SimpleNamespace(results=[r, {**r, "sheet": "t.md"}], written=[])


def test_the_terminal_shows_a_held_back_wrong_apart_with_its_tentative_grade():
    from rich.console import Console

    from dlclaims.check import render_terminal

    console = Console(record=True, width=200)
    for x in render_terminal(_held_outcome()):
        console.print(x)
    head, _, apart = console.export_text().partition("to check by a person")
    assert "linattn.not-equivalent" not in head and "linattn.cost" in head
    assert "wrong?" in apart.split("score")[0] and "linattn.not-equivalent" in apart


def test_the_class_csv_carries_the_tentative_grade(tmp_path):
    from dlclaims.check.output import write_outputs

    write_outputs(_held_outcome().results, tmp_path)
    rows = (tmp_path / "class.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].endswith("grade,to_check")
    assert "linattn.not-equivalent,unknown,wrong" in rows[2] and rows[1].endswith("right,")
