"""Figures: where they go (:class:`FigureSink`), what they say (captions) and how they read (ticks, overlaps).

An experiment's ``figures(runs, cfg, out)`` draws with matplotlib and calls
``out.save(fig, name, caption=...)``. The caption says what the figure shows and
how to read it; without one, a caption is made from the figure's own titles,
axis labels and legend (:func:`auto_caption`), never just its file name.

Before a figure is written, :func:`tidy_log_axes` gives every log axis that
spans less than about two decades plain tick labels at 1-2-5 steps (matplotlib's
default labels minor ticks there as ``3×10⁰`` and they collide), and after it is
written :func:`text_overlaps` lists every pair of texts whose boxes overlap (tick
labels, axis labels, titles, legends, annotations): stored with the figure, shown
by ``dlclaims run`` and checked by the tests.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
from pathlib import Path
from typing import Any

SMALL_DECADES = 2.0  # a log axis spanning fewer decades than this gets plain 1-2-5 tick labels
MAX_OVERLAPS = 20


def _log_range(lo: float, hi: float) -> float:
    lo, hi = min(lo, hi), max(lo, hi)
    if not (lo > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return math.inf
    return math.log10(hi / lo)


def _plain(x: float, _pos: Any = None) -> str:
    """A tick value as a short plain number: 0.02, 3, 40, 5000, 2e+05."""
    if x == 0 or not math.isfinite(x):
        return ""
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4g}"
    return f"{x:.0e}".replace("e+0", "e").replace("e-0", "e-")


def tidy_log_axes(fig) -> int:
    """Give log axes over small ranges readable ticks: majors at 1, 2, 5 x 10^k with plain labels, minors
    unlabelled. Returns how many axes were changed."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    changed = 0
    for ax in fig.get_axes():
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            if axis.get_scale() != "log" or not axis.get_visible():
                continue
            decades = _log_range(*lim)
            if decades >= SMALL_DECADES:
                continue
            subs = (1.0, 2.0, 5.0) if decades >= 0.7 else (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
            axis.set_major_locator(LogLocator(base=10, subs=subs))
            axis.set_major_formatter(FuncFormatter(_plain))
            axis.set_minor_formatter(NullFormatter())
            changed += 1
    return changed


def _texts(fig, renderer) -> list[tuple[str, Any]]:
    """(description, window bbox) of every visible, non-empty text the figure draws."""
    out: list[tuple[str, Any]] = []

    def add(what: str, t) -> None:
        if t is None or not t.get_visible() or not t.get_text().strip():
            return
        try:
            bb = t.get_window_extent(renderer)
        except (RuntimeError, ValueError):  # pragma: no cover - a text matplotlib cannot place
            return
        if bb.width > 0 and bb.height > 0 and all(map(math.isfinite, (bb.x0, bb.y0, bb.x1, bb.y1))):
            out.append((f"{what} {t.get_text()!r}", bb))

    if fig._suptitle is not None:
        add("title", fig._suptitle)
    for i, ax in enumerate(fig.get_axes()):
        if not ax.get_visible():
            continue
        name = f"panel {i + 1}"
        for t in (ax.title, ax._left_title, ax._right_title):
            add(f"{name} title", t)
        for axis, letter in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            if not axis.get_visible() or not ax.axison:  # ax.axis("off") draws no ticks and no labels
                continue
            add(f"{name} {letter} label", axis.label)
            add(f"{name} {letter} offset", axis.get_offset_text())
            for tick in axis._update_ticks():  # the ticks that are drawn (inside the view limits)
                for lab in (tick.label1, tick.label2):
                    add(f"{name} {letter} tick", lab)
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            for t in leg.get_texts():
                add(f"{name} legend", t)
            add(f"{name} legend title", leg.get_title())
        for t in ax.texts:
            add(f"{name} text", t)
    for t in fig.texts:
        if t is not fig._suptitle and t is not getattr(fig, "_supxlabel", None) \
                and t is not getattr(fig, "_supylabel", None):
            add("figure text", t)
    for t in (getattr(fig, "_supxlabel", None), getattr(fig, "_supylabel", None)):
        add("figure label", t)
    for leg in fig.legends:
        for t in leg.get_texts():
            add("figure legend", t)
    return out


def text_overlaps(fig, tolerance_px: float = 1.0) -> list[str]:
    """Every pair of texts whose boxes overlap by more than ``tolerance_px`` both ways ("a / b")."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    texts = _texts(fig, renderer)
    found: list[str] = []
    for i in range(len(texts)):
        a_name, a = texts[i]
        for b_name, b in texts[i + 1:]:
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if w > tolerance_px and h > tolerance_px:
                found.append(f"{a_name} / {b_name}")
                if len(found) >= MAX_OVERLAPS:
                    return found
    return found


def auto_caption(fig) -> str:
    """A caption made from the figure itself: its title, and per panel what is plotted against what (log
    axes said), and the legend's entries. Used when an experiment gives none."""
    parts: list[str] = []
    if fig._suptitle is not None and fig._suptitle.get_text().strip():
        parts.append(fig._suptitle.get_text().strip().rstrip(".") + ".")
    panels: list[str] = []
    seen: set[str] = set()
    axes = fig.get_axes()
    first_x = next((a.get_xlabel().strip() for a in axes if a.get_xlabel().strip()), "")
    first_y = next((a.get_ylabel().strip() for a in axes if a.get_ylabel().strip()), "")
    for ax in axes:
        if not ax.get_visible() or not (ax.lines or ax.collections or ax.patches or ax.images):
            continue
        x = ax.get_xlabel().strip() or (first_x if ax.get_shared_x_axes().get_siblings(ax)[1:] else "")
        y = ax.get_ylabel().strip() or (first_y if ax.get_shared_y_axes().get_siblings(ax)[1:] else "")
        logs = [a for a, axis in (("x", ax.xaxis), ("y", ax.yaxis)) if axis.get_scale() == "log"]
        what = f"{y or 'the value'} against {x or 'its index'}" if (x or y) else ""
        if logs:
            what += " (log scale" + ("s" if len(logs) == 2 else f" on {logs[0]}") + ")"
        title = ax.get_title().strip()
        text = f"{title}: {what}" if title and what else (title or what)
        leg = ax.get_legend()
        if leg is not None:
            labels = [t.get_text() for t in leg.get_texts() if t.get_text().strip()]
            if labels:
                text += "; one curve per " + ", ".join(labels[:6]) + (", …" if len(labels) > 6 else "")
        if text and text not in seen:
            seen.add(text)
            panels.append(text)
    if panels:
        lead = "Panels: " if len(panels) > 1 else ""
        parts.append(lead + "; ".join(panels[:6]) + ("; …" if len(panels) > 6 else "") + ".")
    return " ".join(parts) or "A figure of this experiment's measurements."


class FigureSink:
    """Where figures go: ``save(fig, name, caption=...)`` writes ``<dir>/<experiment>-<name>.png`` and closes
    the figure; ``saved`` maps names to file names, ``captions`` / ``overlaps`` / ``png`` hold the rest."""

    def __init__(self, directory, experiment_id: str) -> None:
        self.dir = Path(directory)
        self.experiment_id = experiment_id
        self.saved: dict[str, str] = {}
        self.captions: dict[str, str] = {}
        self.overlaps: dict[str, list[str]] = {}
        self.png: dict[str, bytes] = {}

    def path(self, name: str) -> Path:
        return self.dir / f"{self.experiment_id}-{name}.png"

    def save(self, fig, name: str, *, caption: str | None = None, dpi: int = 110) -> None:
        """Tidy the log axes, note overlapping texts, write atomically (a private temporary file, then
        rename: two runs on one store may draw the same figure at once; none is ever half-written)."""
        import matplotlib.pyplot as plt

        try:
            tidy_log_axes(fig)
            self.captions[name] = " ".join((caption or auto_caption(fig)).split())
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
            self.overlaps[name] = text_overlaps(fig)
        finally:
            plt.close(fig)
        data = buf.getvalue()
        write_png(self.path(name), data)
        self.png[name] = data
        self.saved[name] = self.path(name).name

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.png[name]).hexdigest()


def write_png(path: Path, data: bytes) -> None:
    """Write bytes atomically (temporary file + rename), unless the file already holds exactly them."""
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.png")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def file_matches(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False
