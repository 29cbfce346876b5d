"""Terminal tables that wrap between words and never inside one (``dlclaims verdicts``, ``list``, ``check``).

A rich table wraps a cell at spaces, but folds a word longer than its column. :func:`word_table`
gives every column at least the width of its longest word (capped); when those widths cannot fit the
terminal, it lays the rows out as blocks instead (one line per field, wrapped by the terminal), so
``loss.backward()`` is never printed as ``loss.backwar d()``.
"""

from __future__ import annotations

from typing import Any

BORDER_PER_COLUMN = 3  # rich's default box: a rule and one space of padding either side


def _plain(cell: Any) -> str:
    return cell.plain if hasattr(cell, "plain") else str(cell)


def min_widths(headers: list[str], rows: list[list[Any]], caps: list[int]) -> list[int]:
    """Per column: its longest word (header included), at most its cap."""
    out = []
    for i, h in enumerate(headers):
        words = [w for r in rows for w in _plain(r[i]).split()] + h.split()
        out.append(min(caps[i], max((len(w) for w in words), default=1)))
    return out


def fits(headers: list[str], rows: list[list[Any]], caps: list[int], width: int) -> list[int] | None:
    """The minimum widths when every word fits whole in a table of ``width`` columns, else None."""
    w = min_widths(headers, rows, caps)  # a word longer than its column's cap (a long formula) is folded
    return w if sum(w) + BORDER_PER_COLUMN * len(headers) + 1 <= width else None


def spread(widths: list[int], headers: list[str], rows: list[list[Any]], width: int) -> list[int]:
    """Exact column widths: each column's minimum, and the room left shared out in proportion to how much
    wider each column's longest line is (no column wider than its longest line)."""
    natural = [max([len(h)] + [max((len(x) for x in _plain(r[i]).splitlines()), default=0) for r in rows])
               for i, h in enumerate(headers)]
    want = [max(0, n - w) for n, w in zip(natural, widths)]
    room = width - (sum(widths) + BORDER_PER_COLUMN * len(headers) + 1)
    out = list(widths)
    while room > 0 and any(want):
        total = sum(want)
        share = [min(wn, max(1, room * wn // total)) if wn else 0 for wn in want]
        for i, g in enumerate(share):
            g = min(g, room)
            out[i] += g
            want[i] -= g
            room -= g
    return out


def word_table(title: Any, headers: list[str], rows: list[list[Any]], *, caps: list[int], width: int,
               sections: list[int] | None = None, show_lines: bool = False) -> list[Any]:
    """Renderables: one rich Table whose cells wrap between words, or (too narrow) one Text block per row."""
    from rich.table import Table
    from rich.text import Text

    widths = fits(headers, rows, caps, width)
    if widths is not None:
        widths = spread(widths, headers, rows, width)
        t = Table(title=title, title_justify="left", show_lines=show_lines)
        for h, w in zip(headers, widths):
            t.add_column(h, width=w, overflow="fold")
        ends = set(sections or [])
        for i, r in enumerate(rows):
            t.add_row(*[c if isinstance(c, Text) else Text(str(c)) for c in r], end_section=(i + 1) in ends)
        return [t]
    out: list[Any] = [title if isinstance(title, Text) else Text(str(title), style="bold")]
    for r in rows:
        out.append(Text(""))
        block = Text()
        first = True
        for h, cell in zip(headers, r):
            cell = cell if isinstance(cell, Text) else Text(str(cell))
            if not cell.plain.strip():
                continue
            if not first:
                block.append("\n  ")
                block.append(f"{h}: ", style="dim")
            block.append_text(cell)
            first = False
        out.append(block)
    return out
