"""The trend reader (series.trends): 'no significant change' is flat, and a best setting among flat results is no peak."""

from __future__ import annotations

import pytest

from dlclaims.check.extract import trends, units


def _shape(text: str) -> str | None:
    found = [a for a in trends("Q-latent", units(text)) if a.claim == "latent.accuracy-vs-h"]
    return found[0].data["shape"] if found else None


@pytest.mark.parametrize("text,shape", [
    ("The accuracy did not change much with the latent dimension.", "plateau"),
    ("Changing the latent dimension h will not make a big difference to the accuracy.", "plateau"),
    ("h = 16 was the optimal setting, though the change in accuracy across dimensions wasn't significant.", "plateau"),
    ("An intermediate latent dimension h gives the best accuracy.", "rise-fall"),  # a peak, no flat words
    ("The larger the latent dimension h, the higher the accuracy.", "rise"),
    ("The probe accuracy climbed steeply from h = 2 to about h = 16 and then stopped improving.", "rise-plateau"),
])
def test_flat_words_and_peaks(text, shape):
    assert _shape(text) == shape


def test_too_large_is_the_fall_branch_after_a_rise():
    assert _shape("If the latent dimension is too large, the probe accuracy suffers.") == "rise-fall"
    assert _shape("If the latent dimension is large, the probe accuracy is high.") != "rise-fall"


@pytest.mark.parametrize("text,shape", [
    ("With a bigger h the probe acc ↑.", "rise"),  # an arrow on the accuracy
    ("With a bigger h the probe acc ↓.", "fall"),
    ("Past some h the accuracy drops.", "rise-fall"),  # "past some h": it rose up to there
    ("The accuracy goes up with h but then drops again.", "rise-fall"),
    ("I think for large h the accuracy should go down again.", "rise-fall"),  # "go down", "for large h"
    ("With a very wide bottleneck the accuracy went down.", "fall"),
    # "I can't say much" is about the writer's evidence, not a flat curve
    ("The accuracy goes up with h; with one seed I can't say much more.", "rise"),
    # the best h after "keeps increasing" is the largest one, not a peak
    ("Linear probe accuracy keeps increasing with h, so h = 128 was the best one.", "rise"),
])
def test_arrows_and_a_fall_after_some_size(text, shape):
    assert _shape(text) == shape


def test_a_fall_again_implies_the_rise_before_it():
    assert _shape("For large h the probe accuracy drops again.") == "rise-fall"
    # "for large h" speaks of sizes beyond some point, as "too large" does: it rose up to there (labelled partly)
    assert _shape("For large h the probe accuracy drops.") == "rise-fall"
    assert _shape("With h the probe accuracy drops.") == "fall"


def test_a_trend_the_writer_expected_and_rejects_is_not_theirs():
    text = ("The probe accuracy increases with h and then plateaus from h = 32 on. I had expected overfitting at h = 64 but the "
            "plot doesn't show that.")
    assert _shape(text) == "rise-plateau"  # not the 'overfitting' the writer rules out
