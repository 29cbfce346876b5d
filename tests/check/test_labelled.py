"""Precision / recall of the findings and accuracy of the grades on the labelled sheets (tests/sheets)."""

from __future__ import annotations

import pytest
from check_fixtures import labelled_sheets, scores

from dlclaims.check import check_sheets
from dlclaims.check.sheet_io import normalise

SHEETS = labelled_sheets()


def _found(path, store) -> dict[str, str]:
    out = check_sheets([str(path)], store)
    assert not out.skipped
    return {f["claim"]: f["grade"] for f in out.results[0]["findings"]}


def test_there_are_enough_labelled_sheets():
    assert len(SHEETS) >= 8


def test_f1_and_grade_accuracy_on_labelled_sheets(fixture_store):
    s = scores([(_found(p, fixture_store), exp) for p, exp in SHEETS])
    print(s)
    # measured with the knowledge-base checker: F1 0.96, grade accuracy 0.86 over 67 sheets (the 36 wild_* sheets were
    # written later by people who never ran the checker, a third of their answers wrong or partly; the regex catalogue the
    # checker replaced scored 1.00 on the first sheets, written and tuned alongside it); the bars are those minus a
    # margin
    assert s["f1"] >= 0.88
    assert s["grade_accuracy"] >= 0.85


@pytest.mark.parametrize("name,claim,grade", [
    ("example", "linattn.not-equivalent", "wrong"),  # "same function"
    ("example", "minmax.small-step", "wrong"),  # "a step of 0.1 would converge"
    ("example", "minmax.table", "right"),
    ("example", "gen.ae-prior", "wrong"),
])
def test_example_sheet_key_findings(fixture_store, name, claim, grade):
    path = next(p for p, _ in SHEETS if p.stem == name)
    assert _found(path, fixture_store)[claim] == grade


def test_every_finding_carries_the_contract_fields(fixture_store):
    path = next(p for p, _ in SHEETS if p.stem == "example")
    r = check_sheets([str(path)], fixture_store).results[0]
    assert set(r) >= {"sheet", "findings", "score"}
    for f in r["findings"]:
        assert set(f) >= {"question", "claim", "quote", "says", "verdict", "grade", "evidence", "matched_words"}
        assert f["grade"] in ("right", "wrong", "partly", "unknown")
        assert f["evidence"]["link"].endswith("#" + f["claim"])
        sheet_words = set(normalise(path.read_text(encoding="utf-8")).split())  # dashes and quotes unified
        assert f["quote"].strip() and set(f["quote"].split()) - {"/", "…"} <= sheet_words  # the sheet's own words
