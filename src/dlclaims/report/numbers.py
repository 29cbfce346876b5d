"""Turn a verdict's numbers (plain JSON: scalars, lists, dicts) into small display nodes.

The same nodes feed the HTML templates and the Markdown writer, so both show the
same thing:

- an interval ``{"mean": m, "lo": a, "hi": b, ...}`` (also ``median`` / ``slope`` /
  ``value`` as the centre) reads ``m [a, b]``, with its other fields as a note;
- a flat dict is a key/value table; a dict of flat dicts (``{rule: {eta: r}}``) is a
  compact grid, rows by columns; a list of dicts is a grid too;
- a long list shows its head and tail and how many values it has;
- deeper nesting falls back to compact text, cut at a fixed length.

Everything returned is plain text: escaping is the renderer's job (Jinja2
autoescape for HTML, :func:`md_text` for Markdown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

CENTRES = ("mean", "median", "slope", "value", "estimate", "est", "point")
LIST_HEAD, LIST_TAIL, LIST_MAX = 8, 2, 12  # a list longer than LIST_MAX shows head ... tail
MAX_ROWS, MAX_COLS, MAX_TEXT = 30, 12, 240
MAX_DEPTH = 3


@dataclass(frozen=True)
class Text:
    """One value as text; ``note`` holds secondary fields (n, r2, ...)."""

    text: str
    note: str = ""
    kind: str = "text"


@dataclass(frozen=True)
class Link:
    """A relative link (only ever built from a checked, scheme-less href)."""

    text: str
    href: str
    kind: str = "link"


@dataclass(frozen=True)
class KV:
    """A key/value table; ``more`` counts rows left out."""

    rows: list[tuple[str, Node]] = field(default_factory=list)
    more: int = 0
    kind: str = "kv"


@dataclass(frozen=True)
class Grid:
    """A table with a header row: rows are (label, cells)."""

    corner: str
    cols: list[str]
    rows: list[tuple[str, list[Node]]]
    more_rows: int = 0
    more_cols: int = 0
    labels: bool = True  # False: one unlabelled row (a flat dict laid out horizontally)
    kind: str = "grid"


Node = Text | Link | KV | Grid


# -- scalars ---------------------------------------------------------------------------
def is_scalar(x: Any) -> bool:
    return x is None or isinstance(x, (bool, int, float, str))


def fmt_scalar(x: Any) -> str:
    """4 significant digits for floats; ints, bools and strings as they are; None as a dash."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0:
            return "0"
        return f"{x:.4g}"
    s = str(x)
    return s if len(s) <= MAX_TEXT else s[: MAX_TEXT - 1] + "…"


def is_interval(x: Any) -> bool:
    return (isinstance(x, dict) and "lo" in x and "hi" in x and any(c in x for c in CENTRES)
            and is_scalar(x["lo"]) and is_scalar(x["hi"]))


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def fmt_interval(x: dict[str, Any]) -> Text:
    """``{"mean": m, "lo": a, "hi": b, "n": 3}`` -> Text("m [a, b]", note="n=3").

    An interval that was not estimated says so instead of "nan [nan, nan]": "not measured" when there is
    no finite value, "m (one value: no interval)", "m (no spread: no interval)" or "slope m (two points:
    no interval)" otherwise; dropped non-finite values are counted in the note."""
    centre = next(c for c in CENTRES if c in x)
    prefix = "" if centre == "mean" else f"{centre} "
    skip = {centre, "lo", "hi"}
    n = x.get("n", x.get("n_points", x.get("points")))
    if _finite(x["lo"]) and _finite(x["hi"]):
        main = f"{prefix}{fmt_scalar(x[centre])} [{fmt_scalar(x['lo'])}, {fmt_scalar(x['hi'])}]"
    elif not _finite(x[centre]) or n == 0:
        main = "not measured" + (f" ({prefix.strip()})" if prefix else "")
    else:
        why = ("one value" if n == 1 else "two points" if n == 2 and centre == "slope" else "no spread")
        main = f"{prefix}{fmt_scalar(x[centre])} ({why}: no interval)"
    rest = [f"{k}={compact(v, 1)}" for k, v in x.items()
            if k not in skip and not (k == "dropped" and not x.get("dropped"))]
    return Text(main, ", ".join(rest))


# -- compact text for anything ------------------------------------------------------------
def _cut(s: str) -> str:
    return s if len(s) <= MAX_TEXT else s[: MAX_TEXT - 1] + "…"


def compact(x: Any, depth: int = 0) -> str:
    """A one-line rendering of any JSON value, lists shortened, at most MAX_TEXT characters."""
    if is_scalar(x):
        return fmt_scalar(x)
    if is_interval(x):
        t = fmt_interval(x)
        return t.text + (f" ({t.note})" if t.note else "")
    if depth >= MAX_DEPTH:
        return "[…]" if isinstance(x, list) else "{…}"
    if isinstance(x, list) and len(x) > 1 and all(is_interval(v) for v in x):
        texts = [fmt_interval(v) for v in x]
        notes = {t.note for t in texts}
        shared = notes.pop() if len(notes) == 1 else ""  # e.g. "n=3" for every item: said once
        items = [t.text + (f" ({t.note})" if t.note and not shared else "") for t in texts]
        if len(items) > LIST_MAX:
            items = items[:LIST_HEAD] + ["…"] + items[-LIST_TAIL:]
        return _cut("[" + ", ".join(items) + "]" + (f" ({len(x)} values)" if len(x) > LIST_MAX else "")
                    + (f" ({shared} each)" if shared else ""))
    if isinstance(x, list):
        if len(x) > LIST_MAX:
            head = [compact(v, depth + 1) for v in x[:LIST_HEAD]]
            tail = [compact(v, depth + 1) for v in x[-LIST_TAIL:]]
            return _cut(f"[{', '.join(head)}, …, {', '.join(tail)}] ({len(x)} values)")
        return _cut("[" + ", ".join(compact(v, depth + 1) for v in x) + "]")
    if isinstance(x, dict):
        return _cut("{" + ", ".join(f"{k}: {compact(v, depth + 1)}" for k, v in x.items()) + "}")
    return _cut(str(x))


# -- nodes ---------------------------------------------------------------------------------
def _leafy(x: Any) -> bool:
    """A value that fits in one cell: a scalar, an interval or a list of those."""
    if is_scalar(x) or is_interval(x):
        return True
    return isinstance(x, list) and all(is_scalar(v) or is_interval(v) for v in x)


def cell(x: Any) -> Text:
    if is_interval(x):
        return fmt_interval(x)
    return Text(compact(x))


def _grid_from_rows(corner: str, labelled: list[tuple[str, dict[str, Any]]]) -> Grid:
    cols: list[str] = []
    for _, d in labelled:
        for k in d:
            if k not in cols:
                cols.append(k)
    shown_cols = cols[:MAX_COLS]
    rows = [(label, [cell(d[c]) if c in d else Text("") for c in shown_cols])
            for label, d in labelled[:MAX_ROWS]]
    return Grid(corner, shown_cols, rows, max(0, len(labelled) - MAX_ROWS), max(0, len(cols) - MAX_COLS))


def to_node(x: Any, depth: int = 0) -> Node:
    """The display node of one value (see the module docstring for the rules)."""
    if (depth >= 1 and isinstance(x, dict) and not is_interval(x) and 1 < len(x) <= MAX_COLS
            and all(is_scalar(v) or is_interval(v) for v in x.values())):
        return Grid("", [str(k) for k in x], [("", [cell(v) for v in x.values()])], labels=False)
    if _leafy(x) or depth >= MAX_DEPTH:
        return cell(x) if depth < MAX_DEPTH else Text(compact(x, MAX_DEPTH - 1))
    if isinstance(x, dict):
        if x and all(isinstance(v, dict) and not is_interval(v) and v and all(_leafy(w) for w in v.values())
                     for v in x.values()):
            return _grid_from_rows("", [(str(k), v) for k, v in x.items()])
        items = list(x.items())
        rows = [(str(k), to_node(v, depth + 1)) for k, v in items[:MAX_ROWS]]
        return KV(rows, max(0, len(items) - MAX_ROWS))
    if isinstance(x, list):
        if x and all(isinstance(v, dict) and not is_interval(v) and all(_leafy(w) for w in v.values()) for v in x):
            return _grid_from_rows("#", [(str(i), v) for i, v in enumerate(x)])
        return Text(compact(x, depth))
    return Text(compact(x, depth))


def numbers_node(numbers: dict[str, Any]) -> KV:
    """The top level of a verdict's numbers is always a key/value table."""
    node = to_node(numbers) if numbers else KV([])
    if isinstance(node, KV):
        return node
    return KV([("", node)])


# -- Markdown ---------------------------------------------------------------------------------
_MD_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\\": "\\\\", "`": "\\`",
                             "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]"})


def md_text(s: Any) -> str:
    """Text made inert for Markdown: no HTML, no emphasis, no links, safe inside a table cell."""
    return " ".join(str(s).split()).translate(_MD_SPECIAL)


def md_node(node: Node, indent: int = 0) -> list[str]:
    """Markdown lines for a node: key/value tables become bullets, grids become pipe tables."""
    pad = "  " * indent
    if isinstance(node, Text):
        return [pad + md_text(node.text) + (f" ({md_text(node.note)})" if node.note else "")]
    if isinstance(node, Link):
        return [pad + f"[{md_text(node.text)}]({node.href})"]
    if isinstance(node, Grid):
        lead = [md_text(node.corner)] if node.labels else []
        out = ["", "| " + " | ".join(lead + [md_text(c) for c in node.cols]
                                     + (["…"] if node.more_cols else [])) + " |",
               "|" + "---|" * (len(lead) + len(node.cols) + (1 if node.more_cols else 0))]
        for label, cells in node.rows:
            texts = [md_node(c)[0].strip() for c in cells]
            out.append("| " + " | ".join(([md_text(label)] if node.labels else []) + texts
                                         + ([""] if node.more_cols else [])) + " |")
        if node.more_rows:
            out.append(f"| … {node.more_rows} more rows |" + " |" * (len(node.cols) + (1 if node.more_cols else 0)))
        out.append("")
        return out
    out = []
    for key, child in node.rows:
        label = f"**{md_text(key)}**" if key else ""
        if isinstance(child, (Text, Link)):
            out.append(f"{pad}- {label}{': ' if label else ''}{md_node(child)[0]}")
        else:
            out.append(f"{pad}- {label}:" if label else f"{pad}-")
            out.extend(md_node(child, indent + 1) if isinstance(child, KV) else md_node(child))
    if node.more:
        out.append(f"{pad}- … {node.more} more")
    return out
