"""Figures: log axes over small ranges get readable ticks, overlapping text is found, captions exist, and a
re-run that measured nothing neither judges nor draws again (nor moves the "measured" time)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlclaims.core.figures import FigureSink, auto_caption, text_overlaps, tidy_log_axes
from dlclaims.core.store import Store


def _small_log_range_figure():
    fig, ax = plt.subplots(figsize=(3.0, 2.4))
    x = np.linspace(2.5, 9.5, 20)
    ax.semilogx(x, x ** 2)
    ax.set_xlabel("pairs")
    ax.set_ylabel("accuracy")
    return fig


def test_default_log_ticks_over_a_small_range_collide_and_tidy_log_axes_fixes_them():
    fig = _small_log_range_figure()
    before = text_overlaps(fig)
    assert any("x tick" in o for o in before), "matplotlib's own minor labels (3×10⁰4×10⁰) collide here"
    assert tidy_log_axes(fig) == 1
    assert text_overlaps(fig) == []
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all("10^" not in s and "times" not in s for s in labels)
    plt.close(fig)


def test_a_wide_log_range_is_left_alone_and_overlapping_labels_are_reported():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.loglog([1, 1e6], [1, 1e6])
    assert tidy_log_axes(fig) == 0
    ax.text(0.5, 0.5, "one label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "another label", transform=ax.transAxes)
    found = text_overlaps(fig)
    assert any("'one label'" in o and "'another label'" in o for o in found)
    plt.close(fig)


def test_axes_turned_off_have_no_tick_labels_to_overlap():
    fig, axes = plt.subplots(2, 1, figsize=(3, 3))
    fig.subplots_adjust(hspace=0.0)
    for ax in axes:
        ax.plot([0, 1])
        ax.set_title("a title right under the panel above")
    before = text_overlaps(fig)
    assert any("tick" in o and "title" in o for o in before)  # the top panel's ticks run into the title below
    for ax in axes:
        ax.axis("off")
    assert text_overlaps(fig) == []
    plt.close(fig)


def test_sink_keeps_a_given_caption_else_makes_one_from_the_figure(tmp_path):
    sink = FigureSink(tmp_path, "exp")
    fig = _small_log_range_figure()
    fig.axes[0].set_title("recall")
    sink.save(fig, "a", caption="Accuracy against the number of pairs; higher is better.")
    fig = _small_log_range_figure()
    fig.suptitle("Recall against pairs")
    sink.save(fig, "b")
    assert sink.captions["a"].startswith("Accuracy against")
    assert "Recall against pairs" in sink.captions["b"] and "accuracy against pairs" in sink.captions["b"]
    assert (tmp_path / "exp-a.png").read_bytes() == sink.png["a"] and sink.overlaps["b"] == []
    assert auto_caption(plt.figure()) == "A figure of this experiment's measurements."


@pytest.mark.slow
def test_every_figure_of_a_quick_run_has_a_caption_and_no_overlapping_text(quick_store):
    """Renders every figure of the quick profile (drawn once into the session's store) and checks the text
    boxes matplotlib reports: no tick label, axis label, title, legend or annotation overlaps another."""
    path = quick_store()
    with Store.open(path, create=False, readonly=True) as store:
        overlaps = store.figure_overlaps()
        captions = {f: c for caps in store.figure_captions().values() for f, c in caps.items()}
    assert len(overlaps) >= 20
    assert all(len(c) > 20 for c in captions.values())
    bad = {f: o for f, o in overlaps.items() if o}
    assert bad == {}, "\n".join(f"{f}: {o[:3]}" for f, o in sorted(bad.items()))


@pytest.mark.slow
def test_a_rerun_that_measured_nothing_neither_judges_nor_draws_and_keeps_the_measured_time(quick_store, tmp_path):
    from dlclaims.core.runner import plans_for, run_plans
    from dlclaims.report import write_report

    path = quick_store.copy_to(tmp_path, "Q-minmax")
    figures = path.parent / "figures"
    with Store.open(path) as store:
        before = {v.claim: (v.id, v.measured) for v in store.latest_verdicts()}
        mtimes = {p.name: p.stat().st_mtime_ns for p in figures.glob("*.png")}
        (figures / "minmax-radius.png").unlink()  # a figure lost on disk comes back from the store
        summary = run_plans(plans_for(["Q-minmax"], profile="quick", seeds=None, sets={}, device="cpu"), store)
        after = {v.claim: (v.id, v.measured) for v in store.latest_verdicts()}
    assert summary.ran == [] and summary.drawn == [] and set(summary.reused) == {"minmax", "gan"}
    assert after == before  # no new verdict rows: the report's "measured" time did not move
    assert (figures / "minmax-radius.png").exists()
    assert all(p.stat().st_mtime_ns == mtimes[p.name] for p in figures.glob("*.png") if p.name != "minmax-radius.png")
    page = write_report(path, tmp_path / "r").html.read_text()
    assert "Figure 1.</strong>" in page
