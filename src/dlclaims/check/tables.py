"""Tables in an answer, in any of the layouts answers use, as rows of cells.

* Markdown (GFM) tables, parsed by markdown-it-py's table extension, with or
  without outer pipes; a row line without a pipe ends the table (GFM would let
  a following sentence continue it);
* pipe rows without a delimiter row (``a | b | c``);
* tab-separated rows;
* runs of whitespace-separated tokens, as OCR flattens a table into one line
  per row (``y_0   y_1   y_2`` over ``1   2   1``): every token a number, a
  symbol (``x_t``, ``$y_3$``, ``q``) or a short index word;
* LaTeX arrays and tabulars (``\\begin{array}{c|cccc} q & 1 & 2 & ... \\\\ ...``);
* columns of short cells two or more spaces apart holding big-O orders
  (``time   O(tln^2)   O(t^2ln)`` under ``RNN   Transformer``), or words under a
  header naming the two models compared (``MLP   CNN`` over ``data needed   more
  less``), a cell wrapped onto the next line joined to its column.

``find_tables`` returns each table with the lines it covers, so that the
sentence reader can skip them. Cells keep their text; ``cell_text`` gives the
plain form (LaTeX through latex.py, Markdown emphasis dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .latex import plain_math


@dataclass
class Table:
    rows: list[list[str]]  # cells as written (stripped)
    first: int  # first line of the table in the text (0-based)
    last: int  # last line (inclusive)
    layout: str  # latex | markdown | pipe | tab | spaces | columns

    @property
    def text(self) -> str:
        return "\n".join(" | ".join(r) for r in self.rows)


@lru_cache(maxsize=1)
def _md():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


_SEP_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_NUMBER = r"[-+−]?\d+(?:[.,]\d+)?"
_SYMBOL = r"\$?\\?(?:mathbf\{|boldsymbol\{)?[A-Za-z]\}?(?:_\{?[A-Za-z0-9+\-]{1,4}\}?)?(?:\^\{?[A-Za-z0-9*]{1,3}\}?)?\$?"
_INDEX_WORD = r"(?:t|k|i|n|step|steps|iter|iteration|iterations|epoch|time|round|#)"
_PAIR = rf"\(\s*{_NUMBER}\s*[,;]\s*{_NUMBER}\s*\)"
_TOKEN = re.compile(rf"^(?:{_NUMBER}|{_SYMBOL}|{_PAIR}|{_INDEX_WORD}[:.]?|\(\s*[A-Za-z]\s*,\s*[A-Za-z]\s*\))$",
                    re.IGNORECASE)
_LABEL = re.compile(r"^[A-Za-z][\w .()%/-]{0,24}:?$")
_NUM_CELL = re.compile(rf"^\s*\$?\s*{_NUMBER}\s*\$?\s*$")


def cell_text(cell: str) -> str:
    """A cell's plain text: Markdown emphasis and code marks dropped, LaTeX to text."""
    c = re.sub(r"(\*\*|__|`)", "", cell).strip()
    return plain_math(c).strip(" *_")


def _space_cells(line: str) -> list[str] | None:
    """The cells of an OCR-flattened row (None unless every token is table-like and there are three or more)."""
    s = line.strip()
    if not s or "|" in s or "\t" in s:
        return None
    cells = [c for c in re.split(r"\s{2,}", s) if c]
    if len(cells) >= 4 and _LABEL.match(cells[0]) and all(_NUM_CELL.match(c) for c in cells[1:]):
        return cells  # a row label, then numbers: "accuracy   0.81   0.90   0.91"
    if len(cells) < 3 or not all(_TOKEN.match(c) for c in cells):
        cells = s.replace(",", " ").split()
        if len(cells) < 3 or not all(_TOKEN.match(c) for c in cells):
            return None
    n_num = sum(bool(_NUM_CELL.match(c)) for c in cells)
    n_sym = len(cells) - n_num
    if n_num < 3 and n_sym < 3:
        return None
    return cells


def _runs(cells: list[str]) -> list[list[str]]:
    """A flattened row holding several labelled runs of numbers, as OCR merges lines ("step 0 1 2 3 q 1 2 1 -1"):
    one row per run, split where a label follows a number and three or more numbers follow it."""
    cut = [i for i in range(1, len(cells) - 3) if not _is_num(cells[i]) and _is_num(cells[i - 1])
           and all(_is_num(c) for c in cells[i + 1:i + 4])]
    return [cells[a:b] for a, b in zip([0] + cut, cut + [len(cells)])]


def _top_bars(line: str) -> int:
    """Bars outside brackets and math: "p(x|z)", "$|x|$" and "q(z|x)" are no cell separators."""
    if line.count("|") < 2:  # most lines: no table row whatever the brackets
        return line.count("|")
    depth, dollars, n = 0, False, 0
    for ch in line:
        if ch == "$":
            dollars = not dollars
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "|" and not depth and not dollars:
            n += 1
    return n


def _pipe_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def find_tables(text: str) -> list[Table]:
    """Every table of a text (see the module doc), in line order."""
    lines = text.split("\n")
    taken = [False] * len(lines)
    out: list[Table] = []
    tables = _latex_tables(text) if "\\begin" in text else []
    if "|" in text:
        tables += [t for t in _markdown_tables(text, lines)
                   if not any(t.first <= x.last and x.first <= t.last for x in tables)]
    if tables:
        for tbl in tables:
            for k in range(tbl.first, tbl.last + 1):
                taken[k] = True
            out.append(tbl)
    if "$$" in text or "\\begin" in text:  # display math: "q(z|x) ... p(z|x)" bars are not a table's
        for a, b in _display_math(lines):
            for k in range(a, b + 1):
                taken[k] = True
    i = 0
    while i < len(lines):
        if taken[i]:
            i += 1
            continue
        line = lines[i]
        bars = _top_bars(line)
        if bars >= 2 and not re.search(r"\|\|", line) or "\t" in line.strip() or _space_cells(line):
            layout = "pipe" if bars >= 2 else "tab" if "\t" in line.strip() else "spaces"
            rows, first = [], i
            while i < len(lines) and not taken[i]:
                ln = lines[i]
                if layout == "pipe" and _top_bars(ln) >= 2:
                    if not _SEP_ROW.match(ln):
                        rows.append(_pipe_cells(ln))
                elif layout == "tab" and "\t" in ln.strip():
                    rows.append([c.strip() for c in ln.strip().split("\t")])
                elif layout == "spaces" and (cells := _space_cells(ln)):
                    rows += _runs(cells)
                else:
                    break
                i += 1
            if layout != "spaces" and len(rows) < 2 and not (rows and sum(map(_is_num, rows[0])) >= 3):
                continue  # one pipe line in prose ("|x| and |y|") is not a table
            if layout == "spaces" and not any(sum(map(_is_num, r)) >= 3 for r in rows):
                continue  # a run of symbols alone ("a b c") is not a table of numbers
            if layout == "tab" and not (any(len(r) >= 3 for r in rows) or len(rows) >= 2 and any(
                    any(map(_is_num, r)) for r in rows)):
                continue  # a stray tab in a sentence is not a table
            out.append(Table(rows, first, i - 1, layout))
            continue
        if (block := _column_block(lines, i, taken)) is not None:
            out.append(block)
            i = block.last + 1
            continue
        i += 1
    return sorted(out, key=lambda t: t.first)


_MATH_ENV = re.compile(r"\\(begin|end)\{(?:aligned|align|equation|gather|split|eqnarray|multline)\*?\}")


def _display_math(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line of each display formula spread over lines: ``$$ ... $$`` and ``\\begin{aligned} ...
    \\end{aligned}`` (align, equation, gather, split, ...)."""
    out: list[tuple[int, int]] = []
    start = None
    depth = 0
    for k, line in enumerate(lines):
        opens = line.count("$$") % 2 == 1
        env = [m.group(1) for m in _MATH_ENV.finditer(line)]
        if start is None and (opens or env.count("begin") > env.count("end")):
            start, depth = k, env.count("begin") - env.count("end")
            continue
        if start is not None:
            depth += env.count("begin") - env.count("end")
            if opens or (env and depth <= 0):
                out.append((start, k))
                start = None
    return out


_ORDER_CELL = re.compile(r"(?:\\mathcal\{?O\}?|\bO|Θ|\\Theta)\s*\(")


def _column_cells(line: str) -> list[str] | None:
    """Cells of a line laid out in columns (two or more spaces between short cells), or None."""
    s = line.strip()
    if not s or "|" in s or "\t" in s:
        return None
    cells = [c.strip() for c in re.split(r"\s{2,}", s) if c.strip()]
    if len(cells) < 2 or any(len(c) > 40 for c in cells):
        return None
    return cells


def _continued(line: str, above: str) -> tuple[int, str] | None:
    """(the cell, the text) of a line that only continues a cell of the row above, wrapped under it ("also fine, the
    decoder" over "is good", in the same column), or None."""
    s = line.strip()
    if not s or "|" in s or "\t" in s or re.search(r"\S\s{2,}\S", s):
        return None
    starts = [m.start() for m in re.finditer(r"\S+(?:\s\S+)*", above)]
    indent = len(line) - len(line.lstrip())
    under = [k for k, x in enumerate(starts) if x <= indent + 1]
    return (under[-1], s) if len(starts) >= 2 and under and under[-1] > 0 else None


def names_models(cells: list[str]) -> bool:
    """A header row naming two models of a contrasted pair ("RNN   Transformer"): a comparison table."""
    from .stance import MODEL_PAIRS, models_named

    named = models_named(" | ".join(cells))
    return any(a in named and b in named for (a, _), (b, _) in MODEL_PAIRS)


def _column_block(lines: list[str], i: int, taken: list[bool]) -> Table | None:
    """An OCR-flattened table of orders or words in columns: two or more lines of the same number of short cells
    (a header one short, its corner empty), with a big-O order in some cell ("time   O(tln^2)   O(t^2ln)") or a
    header naming the two models it compares ("MLP   CNN" over "weight sharing   no   yes"); a line that only
    continues the last cell above, wrapped under it, joins that cell."""
    rows: list[list[str]] = []
    j = i
    while j < len(lines) and not taken[j]:
        cells = _column_cells(lines[j])
        if cells is None and rows and (more := _continued(lines[j], lines[j - 1])) is not None:
            k, text = more  # (the cells of the row above are the columns of its line)
            rows[-1][min(k, len(rows[-1]) - 1)] += " " + text
            j += 1
            continue
        if cells is None:
            break
        rows.append(cells)
        j += 1
    if len(rows) < 2:
        return None
    width = max(len(r) for r in rows)
    if any(len(r) not in (width, width - 1) for r in rows) or sum(len(r) == width - 1 for r in rows[1:]) or \
            not (any(_ORDER_CELL.search(c) for r in rows for c in r) or
                 len(rows) >= 3 and len(rows[0]) == width - 1 and names_models(rows[0])):
        return None
    rows = [([""] + r if len(r) == width - 1 else r) for r in rows]
    return Table(rows, i, j - 1, "columns")


def _is_num(cell: str) -> bool:
    return bool(_NUM_CELL.match(cell))


_LATEX_ENV = re.compile(r"\\begin\{(array|tabular|matrix|pmatrix|bmatrix)\}(?:\s*\{[^{}]*\})?(.*?)\\end\{\1\}",
                        re.DOTALL)


INLINE_PROSE_WORDS = 12  # words on an environment's lines beyond which it is math inside a sentence, not a table
_MULTICOLUMN = re.compile(r"\\multicolumn\{(\d)\}\{[^{}]*\}\{(.*)\}$")


def _latex_tables(text: str) -> list[Table]:
    """``\\begin{array}{c|ccc} t & 0 & 1 \\\\ \\hline q & 1 & 2 \\end{array}`` (array, tabular, matrices): rows split
    at ``\\\\``, cells at ``&``, rules (``\\hline``) dropped."""
    out = []
    for m in _LATEX_ENV.finditer(text):
        rows = []
        for raw in re.split(r"\\\\", m.group(2)):
            raw = re.sub(r"\\(?:hline|toprule|midrule|bottomrule|cline\{[^}]*\})", " ", raw).strip()
            if raw:
                cells = []
                for c in raw.split("&"):  # \multicolumn{2}{c}{time}: the cell under each column it spans
                    mc = _MULTICOLUMN.match(c.strip())
                    cells += [mc.group(2).strip()] * int(mc.group(1)) if mc else [c.strip()]
                rows.append(cells)
        ls, le = text.rfind("\n", 0, m.start()) + 1, text.find("\n", m.end())
        prose = text[ls:m.start()] + " " + text[m.end():le if le >= 0 else len(text)]
        if len(re.findall(r"[A-Za-z]{2,}", prose)) > INLINE_PROSE_WORDS:
            continue  # a matrix inside a sentence ("one step is $M = \begin{pmatrix} ... $ on (q, p), ..."): prose
        if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
            first = text.count("\n", 0, m.start())
            out.append(Table(rows, first, first + m.group(0).count("\n"), "latex"))
    return out


def _markdown_tables(text: str, lines: list[str]) -> list[Table]:
    out: list[Table] = []
    try:
        tokens = _md().parse(text)
    except Exception:  # noqa: BLE001 - a parser failure leaves the line readers
        return out
    rows: list[list[str]] = []
    row_lines: list[int] = []
    cur: list[str] | None = None
    first = 0
    for tok in tokens:
        if tok.type == "table_open":
            rows, row_lines, first = [], [], tok.map[0] if tok.map else 0
        elif tok.type == "tr_open":
            cur = []
            row_lines.append(tok.map[0] if tok.map else first)
        elif tok.type == "inline" and cur is not None:
            cur.append(tok.content.strip())
        elif tok.type == "tr_close" and cur is not None:
            rows.append(cur)
            cur = None
        elif tok.type == "table_close":
            keep = []
            for r, ln in zip(rows, row_lines):
                if ln < len(lines) and "|" not in lines[ln]:
                    break  # a sentence after the table: GFM would make it a row
                keep.append((r, ln))
            if keep:
                last = keep[-1][1]
                out.append(Table([r for r, _ in keep], first, last, "markdown"))
    return out
