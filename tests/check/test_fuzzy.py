"""rapidfuzz-based correction of OCR-damaged words (fuzzy.py)."""

from __future__ import annotations

import pytest

from dlclaims.check.fuzzy import closest

VOCAB = ["recurrent", "transformer", "softmax", "equivariant", "regularization", "autoencoder", "gradient"]


@pytest.mark.parametrize("word,fixed", [
    ("transfomer", "transformer"),  # a dropped letter
    ("softrnax", "softmax"),  # m read as rn: two edits, too many for a short word
    ("regularizatlon", "regularization"),
    ("autoencodcr", "autoencoder"),
    ("gradlent", "gradient"),
    ("current", None),  # an English word, two letters short of "recurrent" at the start: not a misread
    ("transform", None),  # letters missing only at the end
    ("rnn", None),  # too short to correct
])
def test_closest(word, fixed):
    assert closest(word, VOCAB) == fixed
