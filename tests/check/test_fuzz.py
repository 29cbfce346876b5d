"""The reader and the whole pipeline never raise on arbitrary text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlclaims.check import check_text
from dlclaims.check.segment import segment
from dlclaims.check.sheet_io import normalise

PIECES = st.sampled_from(["Q1", "Q.2 ", "## Q3:", "Question 4", "1)", "(a) ", "b) ", "O(", "$t \\ln^2$", "|", "\t",
                          "not ", "same function", "softmax", "rnn", "| q | 1 | 2 |", "\n", "\n\n", "eta = 0.1",
                          "O(n^2 d)", "\\frac{", "^", "²", "−", "}", ")", "(", "—"])
TEXT = st.lists(st.one_of(st.text(max_size=40), PIECES), max_size=30).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_segment_never_raises(text):
    for s in segment(normalise(text)):
        assert isinstance(s.text, str)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_check_never_raises(text):
    r = check_text(text, {})
    assert isinstance(r["findings"], list)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_read_sheet_never_raises_anything_but_skipped(data):
    import tempfile
    from pathlib import Path

    from dlclaims.check.sheet_io import SheetSkipped, read_sheet

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.md"
        p.write_bytes(data)
        try:
            text = read_sheet(p).text
        except SheetSkipped:
            return
        assert isinstance(check_text(text, {})["findings"], list)
