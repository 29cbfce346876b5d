"""Number sequences (table rows or columns, ``q = 1, 2, 1, ...`` in prose) and trends (rise / plateau / fall,
with negations and hedges) in an answer.

Sequences come from tables in any layout (tables.py): header rows of subscripted symbols over rows of numbers
(``$y_0$ | $y_1$ | ...``), rows named by their first cell, columns under a header (an index column left out),
cells of pairs, unnamed rows; and from lists and pairs in prose. A sheet's own names (x, y for p, q) get the
catalogue's roles from the values when one assignment follows the update rule at every step, else from the
update rule the sheet states (``y_{t+1} = y_t + x_t``: y moves up, it is q; ``max_y``), else from a partial
fit, else from the family's aliases (structure.toml). A wrong table is read like a right one and graded wrong."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from . import cues
from .latex import plain_math
from .stance import unframed
from .structure import SequenceClaim
from .tables import cell_text
from .units import _HEDGE, Assertion, Stance, Unit, negated

# -- sequences -------------------------------------------------------------------------------------------
_NUM = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_VAR = re.compile(r"^\$?\s*\\?(?:mathbf\{)?([a-z])\}?(?:_\{?[a-z0-9]\}?)?(?:\s*\([a-z]\))?\s*\$?$")


def _num(c: str) -> float | None:
    c = c.strip().strip("$*_ ").replace(" ", "").replace("O", "0").replace("l", "1") if c else ""
    c = c.replace("−", "-").replace("–", "-")
    return float(c) if _NUM.match(c) else None


_N = r"[-+]?\d+(?:\.\d+)?"
# a run of bare pairs, "1,1 -1,2 -2,1 -1,-1" (a table flattened by OCR): a comma inside a pair, none between pairs
_BARE_PAIRS = re.compile(rf"(?<![\w.,]){_N}\s?,\s?{_N}(?:(?:\s+|\s*[;|]\s*|\s*(?:->|→|=>)\s*){_N}\s?,\s?{_N}){{3,}}"
                         r"(?![\w.]|,\s?\d)")
_PAIR_IN_RUN = re.compile(rf"({_N})\s?,\s?({_N})")  # one pair of such a run
# ... or pairs written with a space inside and a bar or semicolon between them, "1 1 | -1 2 | -2 1 | -1 -1"
_BAR_PAIRS = re.compile(rf"(?<![\w.,]){_N}\s+{_N}(?:\s*[|;]\s*{_N}\s+{_N}){{3,}}(?![\w.]|\s+\d)")
_PAIR_IN_BAR = re.compile(rf"({_N})\s+({_N})")

_ELLIPSIS = re.compile(r"^\s*\$?\s*(?:\.\.\.|…|\\cdots|\\ldots|\\dots|etc\.?)\s*\$?\s*$")


def _cells(row: list[str]) -> list[str]:
    """A row's non-empty cells, without the ellipsis a table may end with."""
    return [c for c in row if c.strip() and not _ELLIPSIS.match(c)]


@dataclass
class Series:
    """A run of numbers a sheet gives one name (or none): a table row or column, or a list in prose."""

    name: str | None  # the letter ("q", "y"), None for an unlabelled row
    values: list[float]
    quote: str
    index: int | None = None  # the subscript of its first value, when the cells carry one (y_0, y_1, ...)


# y_0, y_{0}, y0, y(0); and "q k": a PDF's text layer puts the subscript on the line, after a space
_SUB = re.compile(r"^([a-z])\s*(?:_\s*\(?\s*\{?\s*([a-z0-9]+)\s*\}?\s*\)?|(\d{1,2})|(?<=\s)([ktijn]))?\s*"
                  r"(?:\(\s*([a-z0-9]+)\s*\))?$")
_INDEX_NAMES = re.compile(r"^(?:t|k|i|n|step|steps|iter\w*|epoch\w*|time|round|#|index)$")


def _symbol(cell: str) -> tuple[str, str | None] | None:
    r"""('y', '0') for ``$y_0$``, ``y_{0}``, ``\mathbf{y}_0``, ``y(0)``; ('q', 't') for ``q_t`` and ``q t``; None
    otherwise."""
    c = cell_text(cell).lower().strip(" :=")
    m = _SUB.match(c)
    return (m.group(1), m.group(2) or m.group(3) or m.group(4) or m.group(5)) if m else None


def _is_index(values: list[float]) -> bool:
    return len(values) >= 2 and all(b - a == 1 for a, b in itertools.pairwise(values)) and values[0] in (0, 1)


def table_series(rows: list[list[str]], quote: str) -> list[Series]:
    """Every named (or unnamed) run of numbers of a table, whatever its layout:

    * a row of symbols of one letter (``y_0 | y_1 | ...``) over a row of numbers: the numbers are that letter's;
    * a row whose first cell names it (``q | 1 | 2 | ...``);
    * a header of names over columns of numbers (``t | x_t | y_t``), an index column (0, 1, 2, ...) left out;
    * cells of pairs ``(1, 1)`` under a header ``(p, q)``; a line of bare pairs ``1,1 -1,2 -2,1 ...``;
    * a row of numbers with no name: an unnamed series (its name is inferred later).
    """
    if len(rows) == 1 and _BARE_PAIRS.fullmatch(quote.strip()):  # "1,1 -1,2 -2,1 ...": two runs, not one
        pairs = _PAIR_IN_RUN.findall(quote)
        return [Series(None, [float(p[k]) for p in pairs], quote) for k in (0, 1)]
    out: list[Series] = []
    used: set[int] = set()
    nums = [[_num(c) for c in _cells(r)] for r in rows]
    full = [bool(v) and len(v) >= 3 and all(x is not None for x in v) for v in nums]
    for i, r in enumerate(rows):  # a header of one letter's symbols over a row of numbers
        syms = [_symbol(c) for c in r if c.strip()]
        if len(syms) >= 3 and all(syms) and len({s[0] for s in syms}) == 1 and i + 1 < len(rows) and full[i + 1]:
            vals = [x for x in nums[i + 1] if x is not None]
            idx = syms[0][1]
            out.append(Series(syms[0][0], vals, quote, int(idx) if idx and idx.isdigit() else None))
            used.update((i, i + 1))
    for i, r in enumerate(rows):  # a row named by its first cell
        if i in used or not r:
            continue
        head = _symbol(r[0])
        vals = [_num(c) for c in _cells(r[1:])]
        if head and len(vals) >= 3 and all(v is not None for v in vals) and not (
                _INDEX_NAMES.match(cell_text(r[0]).lower().strip(" $:")) and _is_index(vals)):  # type: ignore[arg-type]
            out.append(Series(head[0], vals, quote))  # type: ignore[arg-type]
            used.add(i)
    if rows and len(rows) >= 4 and 0 not in used:  # a header over columns
        header = [_symbol(c) for c in rows[0]]
        pair_head = [re.match(r"^\(?\s*([a-z])\s*[,;]\s*([a-z])\s*\)?$", cell_text(c).lower().replace("$", ""))
                     for c in rows[0]]
        n_before = len(out)
        for j, h in enumerate(header):
            col = [_num(r[j]) if j < len(r) else None for r in rows[1:] if not (j < len(r) and _ELLIPSIS.match(r[j]))]
            if pair_head[j]:
                pairs = [re.findall(r"[-+]?\d+(?:\.\d+)?", r[j]) if j < len(r) else [] for r in rows[1:]]
                if len(pairs) >= 3 and all(len(p) == 2 for p in pairs):
                    for k in (0, 1):
                        out.append(Series(pair_head[j].group(k + 1), [float(p[k]) for p in pairs], quote))
                continue
            if h is None or len(col) < 3 or any(v is None for v in col):
                continue
            if _INDEX_NAMES.match(cell_text(rows[0][j]).lower().strip(" $")) and _is_index(col):  # type: ignore[arg-type]
                continue
            out.append(Series(h[0], col, quote))  # type: ignore[arg-type]
        if len(out) > n_before:
            used.update(range(len(rows)))
    width = {len(v) for v in nums}
    if not out and len(rows) >= 4 and all(full) and len(width) == 1 and 3 <= min(width) <= 4 and \
            _is_index([v[0] for v in nums]):  # type: ignore[misc]
        # columns of numbers nobody named, after a step index ("0 1.0 1.0 / 1 2.0 -1.0 / ...", a loop's printout)
        return [Series(None, [v[j] for v in nums], quote) for j in range(1, min(width))]  # type: ignore[misc]
    for i, v in enumerate(nums):  # rows of numbers nobody named
        if i not in used and full[i] and not _is_index(v):  # type: ignore[arg-type]
            out.append(Series(None, v, quote))  # type: ignore[arg-type]
    return out


_LIST = re.compile(r"(?<![\w\\])([a-z])(?:_\s*\(?\s*\{?[a-z0-9]{1,3}\}?\s*\)?)?\s*(?:=|:|is|are|goes(?: through)?|"
                   r"takes(?: the values)?|becomes|runs through|follows|->|→)\s*[\[({]?\s*"
                   r"((?:[-+−]?\d+(?:\.\d+)?\s*[,;]?\s*(?:\.\.\.|…)?\s*){3,})")
_PAIRS = re.compile(r"\(\s*([-+−]?\d+(?:\.\d+)?)\s*[,;]\s*([-+−]?\d+(?:\.\d+)?)\s*\)")
# "(q,p): 1 1 2 -1 1 -2 ...": a pair's values one after the other, after the pair that names them
_PAIR_RUN = re.compile(rf"\(\s*\$?([a-z])(?:_\w+)?\s*,\s*([a-z])(?:_\w+)?\$?\s*\)\s*(?:[:=]|->|are|is)?\s*"
                       rf"((?:{_N}[\s,;]+){{7,}}{_N})(?![\w.,]|\s*,\s*\d)")
_PAIR_NAMES = re.compile(r"\(\s*\$?([a-z])(?:_\w+)?\s*,\s*([a-z])(?:_\w+)?\$?\s*\)")


_ANY_DIGIT = re.compile(r"[\d\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089]")  # digits, super- and subscripts


def prose_series(text: str) -> list[Series]:
    """``q: 1, 2, 1, ...``, ``q_t = 1 2 1 ...`` (one series each) and ``(1, 1) -> (-1, 2) -> ...`` or
    ``1,1 -1,2 -2,1 ...`` (two series, named by a ``(p, q)`` in the sentence if it has one), and
    ``(q, p): 1 1 2 -1 1 -2 ...`` (a pair's values in turn: a table flattened by OCR) in a sentence."""
    if not _ANY_DIGIT.search(text):  # every series below is numbers (most sentences have none: a cheap test)
        return []
    low = plain_math(text).lower().replace("−", "-")
    out: list[Series] = []
    pairs = _PAIRS.findall(low)
    if len(pairs) < 4 and (run := _BARE_PAIRS.search(low)):
        pairs = _PAIR_IN_RUN.findall(run.group(0))
    if len(pairs) < 4 and (run := _BAR_PAIRS.search(low)):
        pairs = _PAIR_IN_BAR.findall(run.group(0))
    run = None if len(pairs) >= 4 else _PAIR_RUN.search(low)
    if run:
        vals = [float(x) for x in re.findall(_N, run.group(3))]
        if len(vals) % 2 == 0:
            return [Series(run.group(1), vals[0::2], text), Series(run.group(2), vals[1::2], text)]
    if len(pairs) >= 4:
        names = _PAIR_NAMES.search(low)
        a, b = (names.group(1), names.group(2)) if names else (None, None)
        out.append(Series(a, [float(x) for x, _ in pairs], text))
        out.append(Series(b, [float(y) for _, y in pairs], text))
        return out
    for m in _LIST.finditer(low):
        out.append(Series(m.group(1), [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", m.group(2))], text))
    return out


_RAW_PAIR = re.compile(r"\(\s*\$?[-+−]?\d")


def pair_lines(us: list[Unit]) -> tuple[list[Series], list[str]]:
    """Pairs written one per line ("- k=0: (1, 1)", "- k=1: (-1, 2)", ...): the longest run of four or more
    sentences with one pair each is two series, named by a ``(p, q)`` in the sentence before the run."""
    if sum(bool(u.rows is None and _RAW_PAIR.search(u.text)) for u in us) < 4:  # most answers (cheap test)
        return [], []
    best: list[int] = []
    run: list[int] = []
    found = [_PAIRS.findall(plain_math(u.text).lower().replace("−", "-")) if u.rows is None else [] for u in us]
    for k in range(len(us) + 1):
        if k < len(us) and len(found[k]) == 1:
            run.append(k)
            continue
        best, run = (run if len(run) > len(best) else best), []
    if len(best) < 4:
        return [], []
    pairs = [found[k][0] for k in best]
    names = _PAIR_NAMES.search(plain_math(us[best[0] - 1].text).lower()) if best[0] else None
    a, b = (names.group(1), names.group(2)) if names else (None, None)
    lines = [us[k].text for k in best]
    quote = "\n".join(lines)
    return [Series(a, [float(x) for x, _ in pairs], quote), Series(b, [float(y) for _, y in pairs], quote)], lines


_STEP_LABEL = re.compile(r"(?:^|(?<=[\s\-*•(]))(?:step|iteration|iter|round)\s*#?\s*(\d{1,2})\s*[:.)=-]|"
                         r"(?:^|(?<=[\s\-*•(]))[tki]\s*=\s*(\d{1,2})\s*:")  # "t = 5:", "k=3 :"
_ASSIGN = re.compile(r"(?<![\w\\])([a-z])(?:_\s*\{?\(?[a-z0-9+ ]{1,5}\)?\}?)?\s*=\s*([-+*/=().\d\s]*\d\)?)")
_LAST_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?=[^0-9]*$)")


def step_series(texts: list[str]) -> list[Series]:
    """Series written step by step: ``step 1: q = 1 + 1 = 2, p = 1 - 2 = -1`` / ``step 2: q=1 p=-2`` ..., in one
    sentence or one per line. Each step's value of a letter is the last number of its assignment (the result of
    the arithmetic shown); a letter counts when every step gives it a value (three steps or more)."""
    raw = " \n ".join(texts)
    if len(_STEP_LABEL.findall(raw.lower())) < 3:  # most answers: no steps at all (cheap test before the LaTeX)
        return []
    low = plain_math(raw).lower().replace("−", "-")
    marks = list(_STEP_LABEL.finditer(low))
    if len(marks) < 3:
        return []
    steps: list[tuple[int, dict[str, float]]] = []
    for k, m in enumerate(marks):
        seg = low[m.end():marks[k + 1].start() if k + 1 < len(marks) else len(low)].split("\n \n")[0]
        vals: dict[str, float] = {}
        for a in _ASSIGN.finditer(seg.split(".  ")[0]):
            num = _LAST_NUMBER.search(a.group(2).strip())
            if num and a.group(1) not in vals:
                vals[a.group(1)] = float(num.group(0))
        steps.append((int(m.group(1) or m.group(2)), vals))
    steps.sort(key=lambda x: x[0])
    if [i for i, _ in steps] != list(range(steps[0][0], steps[0][0] + len(steps))):
        return []  # not a run of consecutive steps
    names = set.intersection(*(set(v) for _, v in steps))
    quote = " ".join(texts)
    return [Series(n, [v[n] for _, v in steps], quote, index=steps[0][0]) for n in sorted(names)]


_UPDATE = re.compile(r"(?<![\w\\])([a-z])\s*(?:_\s*\(?\s*\{?\s*(?:t|i|k|n)\s*\+\s*1\s*\}?\s*\)?|_?\s*(?:new|next)|'|"
                     r"\^\s*\(?\s*(?:t|i|k|n)\s*\+\s*1\s*\)?)?\s*(?:=|<-|:=|←|=>)\s*\1\s*(?:_\s*\(?\s*\{?\w+\}?\)?)?\s*"
                     r"([+-])")
_PLAYER = re.compile(r"\b(min|max)\s*_\s*\(?\s*\{?\s*([a-z])\b")


def update_roles(text: str, spec: SequenceClaim) -> dict[str, str]:
    """The roles a sheet's own update rule gives its letters: the one moved up the gradient (``y_{t+1} = y_t +
    ...``) or maximised (``max_y``) is the spec's ascending variable, the one moved down / minimised the other."""
    up = next((v for v in spec.variables if str(spec.rule.get(v, "")).startswith("+")), None)
    down = next((v for v in spec.variables if str(spec.rule.get(v, "")).startswith("-")), None)
    if up is None or down is None:
        return {}
    low = plain_math(text).lower().replace("−", "-")
    got: dict[str, str] = {}
    for m in _UPDATE.finditer(low):
        got.setdefault(m.group(1), up if m.group(2) == "+" else down)
    for m in _PLAYER.finditer(low):
        got.setdefault(m.group(2), up if m.group(1) == "max" else down)
    if len(set(got.values())) != len(got):  # two letters moved the same way: the rule says nothing usable
        return {}
    return got


def _fits(spec: SequenceClaim, seqs: dict[str, list[float]]) -> int:
    """How many steps of the spec's update rule the named sequences follow (eta from the rule)."""
    first = spec.rule.get("first")
    eta = float(spec.rule.get("eta", 1.0))
    other = next((v for v in spec.variables if v != first), None)
    if first not in seqs or other not in seqs:
        return 0
    a, b = seqs[first], seqs[other]
    sa, sb = (1 if spec.rule[first][0] == "+" else -1), (1 if spec.rule[other][0] == "+" else -1)
    n = 0
    for k in range(min(len(a), len(b)) - 1):
        nxt_a = a[k] + sa * eta * b[k]
        nxt_b = b[k] + sb * eta * nxt_a
        n += abs(nxt_a - a[k + 1]) < 1e-6 and abs(nxt_b - b[k + 1]) < 1e-6
    return n


def assign(spec: SequenceClaim, found: list[Series], context: str) -> tuple[dict[str, list[float]], dict[str, str], str]:
    """The spec's sequences from a sheet's series: (sequences by the spec's names, sheet name -> spec name, how the
    roles were decided: 'names' | 'values' | 'update rule' | 'aliases' | 'the other one')."""
    named: dict[str, list[float]] = {}
    unnamed: list[list[float]] = []
    want = set(spec.variables)
    starts = {float(x) for x in (spec.rule.get("start") or {}).values()}

    def trajectory(values: list[float]) -> bool:
        """A run of numbers under a name the family does not know, or none, is read only when it starts where
        the updates start (a list of step sizes or widths is not a table of iterates)."""
        return not starts or bool(values) and values[0] in starts

    for s_ in found:
        if s_.name is None:
            if trajectory(s_.values):
                unnamed.append(s_.values)
        elif len(s_.values) >= 3 and (s_.name in want or s_.name in spec.aliases or trajectory(s_.values)):
            named[s_.name] = s_.values  # the last statement of a name wins
    if want <= set(named):
        return {v: named[v] for v in spec.variables}, {v: v for v in spec.variables}, "names"
    own = {k: v for k, v in named.items() if k in want}
    foreign = [k for k in named if k not in want and (k in spec.aliases or len(named) <= len(want))]
    if len(own) == 1 and not foreign and unnamed:  # "q" named, its partner row unnamed
        rest = next(v for v in spec.variables if v not in own)
        return {**own, rest: unnamed[-1]}, {k: k for k in own}, "the other one"
    if not own and not foreign and len(unnamed) >= 2 and len(spec.variables) == 2:
        # two runs with no names (pairs "(1, 1) -> (-1, 2) -> ..."): the assignment the values follow, else the
        # arguments' order f(p, q): the descending variable first
        a, b = unnamed[-2], unnamed[-1]
        down = next((v for v in spec.variables if str(spec.rule.get(v, "")).startswith("-")), spec.variables[1])
        up = next(v for v in spec.variables if v != down)
        fit = [_fits(spec, {down: a, up: b}), _fits(spec, {down: b, up: a})]
        if fit[1] > fit[0]:
            return {down: b, up: a}, {}, "values"
        return {down: a, up: b}, {}, "values" if fit[0] > fit[1] else "argument order"
    if own or not foreign:
        return own, {k: k for k in own}, "names"
    names = foreign[:len(want)]
    if len(names) == 1 and unnamed:
        names = names + [None]  # type: ignore[list-item]
    values = {n: named[n] if n is not None else unnamed[-1] for n in names}
    options: list[dict[str | None, str]] = []
    if len(names) == 2:
        a, b = names
        options = [{a: spec.variables[0], b: spec.variables[1]}, {a: spec.variables[1], b: spec.variables[0]}]
    elif len(names) == 1:
        options = [{names[0]: v} for v in spec.variables]
    how = "aliases"
    pick: dict[str | None, str] | None = None
    if len(options) == 2 and len(names) == 2:
        fit = [_fits(spec, {v: values[k] for k, v in o.items()}) for o in options]
        steps = min(len(x) for x in values.values()) - 1
        if max(fit) == steps and fit[0] != fit[1]:
            pick, how = options[fit.index(max(fit))], "values"  # one assignment follows the rule at every step
    if pick is None:
        roles = update_roles(context, spec)
        if roles and all(n in roles for n in names if n is not None):
            pick = {n: roles[n] for n in names if n is not None}
            if None in names:
                pick[None] = next(v for v in spec.variables if v not in pick.values())
            how = "update rule"
    if pick is None and len(options) == 2:
        fit = [_fits(spec, {v: values[k] for k, v in o.items()}) for o in options]
        if fit[0] != fit[1]:
            pick, how = options[fit.index(max(fit))], "values"
    if pick is None:
        al = {n: spec.aliases.get(n) for n in names if n is not None}
        if all(al.values()) and len(set(al.values())) == len(al):
            pick = dict(al)  # type: ignore[arg-type]
            if None in names:
                pick[None] = next(v for v in spec.variables if v not in pick.values())
        elif options:
            pick = options[0]
    if pick is None:
        return {}, {}, "names"
    seqs = {pick[n]: values[n] for n in names if n in pick}
    return seqs, {n: pick[n] for n in names if n is not None}, how


def sequences(question: str, us: list[Unit]) -> list[Assertion]:
    out: list[Assertion] = []
    context = " ".join(u.text for u in us if u.rows is None)
    for spec in cues.SEQUENCES:
        if not spec.claim.startswith(question.split("-", 1)[1] + "."):
            continue
        found: list[Series] = []
        quotes: list[str] = []
        for u in us:
            got = table_series(u.rows, u.text) if u.rows is not None else prose_series(u.text)
            if got:
                found += got
                quotes.append(u.text)
        if not found:  # step by step: "step 1: q = 2, p = -1", in one sentence or one line each
            texts = [u.text for u in us if u.rows is None]
            found = step_series(texts)
            quotes += [t for t in texts if _STEP_LABEL.search(t.lower())]
        if not found:  # one pair per line: "- k=1: (-1, 2)"
            found, lines = pair_lines(us)
            quotes += lines
        if not any(s_.name is not None for s_ in found) and len([s_ for s_ in found if s_.name is None]) < 2:
            continue
        seqs, aliases, how = assign(spec, found, context)
        if not seqs:
            continue
        shown = "; ".join(f"{v} = {', '.join(f'{x:g}' for x in seqs[v])}" for v in spec.variables if v in seqs)
        renamed = {k: v for k, v in aliases.items() if k != v}
        if renamed:
            shown += " (" + ", ".join(f"the sheet's {k} as {v}" for k, v in renamed.items()) + f", from the {how})"
        quote = "\n".join(dict.fromkeys(quotes))[:400]
        out.append(Assertion(spec.claim, "sequence", "sequence", quote, shown, us[0].part if us else "",
                             data={"sequences": seqs, "aliases": aliases, "roles_from": how}))
    return out


# -- trends ----------------------------------------------------------------------------------------------
_RISE = re.compile(r"\b(?:increas\w*|rise\w*|rising|improv\w*|grows?|growing|goes up|higher|better|gains?|helps?|"
                   r"pays? off|benefits?)\b")
_PLAT = re.compile(r"\b(?:plateau\w*|saturat\w*|level\w* off|flatten\w*|stabili[sz]\w*|diminishing returns|stop(?:s|ped)? "
                   r"(?:improving|increasing|rising|growing|helping)|no (?:further |more )?(?:gain|improvement|benefit)s?|"
                   r"stays? (?:the same|flat|constant)|not (?:much )?(?:better|improv\w*))\b")
# "no significant / big change": the curve is flat over the range spoken of (a plateau by the conventions); "I can't
# say much" is about the writer's evidence, not the curve
_FLAT = re.compile(r"(?:\bnot|n't|\bno|\blittle|\bhardly|\bbarely)\s+(?:(?!(?:say|tell|know)\b)\w+\s+){0,2}?"
                   r"(?:significant\w*|much|a lot|"
                   r"big|large|major)\b|\b(?:insignificant|negligible)\b")
_FALL = re.compile(r"\b(?:decreas\w*|falls?|falling|drops?|dropping|declin\w*|worse|degrad\w*|overfit\w*|"
                   r"(?:go|goes|going|went) down|hurts?|deteriorat\w*|too (?:large|big|high|wide))\b")
_PEAK = re.compile(r"\b(?:optimal|best|sweet spot|peaks?|maximum at|intermediate|moderate|middle)\b")
_AFTER = re.compile(r"\b(?:beyond|after|above|past|once|until|up to|from)\s+(?:about |around |roughly )?"
                    r"(?:h\s*[=≈~]?\s*\d+|\d+|(?:a (?:certain |some )?|some )(?:point|size|h|value|width)\b|that)"
                    r"|\btoo (?:large|big|high|wide)\b"  # "too large" for a size: beyond some size
                    r"|\b(?:for|at|with) (?:very )?(?:large|big|high|wide) (?:h|values?|widths?|sizes?|bottlenecks?)\b")
_AGAIN = re.compile(r"\s+(?:\w+\s+)?(?:again|back)\b")
_MONO = re.compile(r"\b(?:always|keeps?|monotonic\w*|steadily|continu\w*|for all|without limit|indefinitely|"
                   r"the (?:bigger|larger|more|wider))\b")


def _series(spec: cues.TrendClaim, rows: list[list[str]]) -> tuple[list[float], list[float]] | None:
    """The (x, y) numbers of a table with a row (or column) named like the trend's x and one like its y."""
    def named(cells: list[str], pat: str) -> int | None:
        return next((k for k, c in enumerate(cells) if c.strip() and re.search(pat, c.strip().lower())), None)

    for table in (rows, [list(c) for c in zip(*rows)] if rows and len({len(r) for r in rows}) == 1 else []):
        firsts = [r[0] if r else "" for r in table]
        ix, iy = named(firsts, rf"^(?:{spec.x})"), named(firsts, rf"^(?:{spec.y})")
        if ix is None or iy is None or ix == iy:
            continue
        xs, ys = [_num(c) for c in table[ix][1:]], [_num(c) for c in table[iy][1:]]
        if len(xs) == len(ys) >= 3 and None not in xs and None not in ys:
            return xs, ys  # type: ignore[return-value]
    return None


def _table_shape(spec: cues.TrendClaim, rows: list[list[str]]) -> str | None:
    """rise / plateau / fall read off a table of y against increasing x (steps within 1% of y's range are flat)."""
    got = _series(spec, rows)
    if got is None:
        return None
    ys = [y for _, y in sorted(zip(*got))]
    tol = 0.01 * max(max(ys) - min(ys), 1e-12) + 1e-9
    top = max(range(len(ys)), key=lambda k: (ys[k], -k))
    rise = top > 0 and ys[top] - ys[0] > tol
    fall = ys[top] - ys[-1] > max(tol, 0.02 * abs(ys[top]))
    plat = not fall and abs(ys[-1] - ys[-2]) <= max(tol, 0.005 * abs(ys[-1]))
    return "-".join(n for n, on in (("rise", rise), ("plateau", plat), ("fall", fall)) if on) or None


def trends(question: str, us: list[Unit]) -> list[Assertion]:
    out: list[Assertion] = []
    for spec in cues.TRENDS:
        if not spec.claim.startswith(question.split("-", 1)[1] + "."):
            continue
        rise = plat = fall = mono = hedged = False
        quotes = []
        # a sentence without x or y ("It rises, then flattens out.") speaks of them when the sentence before did
        on_topic = False
        for u in us:
            low = unframed(u.low)  # "I had expected overfitting at h = 64, but ...": not the writer's trend
            named = bool(re.search(spec.x, low) or re.search(spec.y, low))
            follows, on_topic = on_topic, named or (on_topic and u.rows is None)
            if u.rows is not None:
                shape = _table_shape(spec, u.rows)
                if shape:
                    rise, plat, fall = rise or "rise" in shape, plat or "plateau" in shape, fall or "fall" in shape
                    quotes.append(u.text)
                continue
            if not (named or follows and re.match(r"\s*(?:it|this|that|then|and|but)\b", low)):
                continue
            hit = False
            # a negated plateau ("never plateaus") is a rise; a negated rise ("stops increasing") a plateau
            for m in _PLAT.finditer(low):
                if negated(low, m.start(), m.end()) and not m.group(0).startswith(("no ", "not ", "stop")):
                    rise = mono = hit = True
                else:
                    plat = hit = True
            if _FLAT.search(low) and not _PLAT.search(low):  # "the change was not significant": flat
                plat = hit = True
            for m in _RISE.finditer(low):
                if _PLAT.search(low[max(0, m.start() - 20): m.end()]):
                    continue
                if negated(low, m.start(), m.end()):
                    plat = hit = True  # "does not keep increasing": it rose, then stopped
                    rise |= bool(_MONO.search(low[max(0, m.start() - 30): m.end() + 30]))
                else:
                    rise = hit = True
            for m in _FALL.finditer(low):
                if not negated(low, m.start(), m.end()):
                    fall = hit = True
                    # "drops again", "goes back down": it rose before
                    rise |= bool(_AGAIN.match(low, m.end()))
            for m in re.finditer(rf"(?:{spec.y})\s*([↑⬆↓⬇])", low):  # "acc ↑", "acc ↓" (an arrow on x says nothing)
                rise, fall, hit = rise or m.group(1) in "↑⬆", fall or m.group(1) in "↓⬇", True
            if _PEAK.search(low) and re.search(spec.x, low) and not (_PLAT.search(low) or _FLAT.search(low)) and \
                    not (_MONO.search(low) and _RISE.search(low)):  # "keeps increasing, so h = 128 was the best": no peak
                # "an intermediate h is best": rise, then fall (a best setting among flat results is no peak)
                rise = fall = hit = True
            if hit:
                quotes.append(u.text)
                mono |= bool(_MONO.search(low))
                hedged |= bool(_HEDGE.search(low))
        if not quotes:
            continue
        if (plat or fall) and not rise and any(_AFTER.search(x.lower()) for x in quotes):
            rise = True  # "beyond h = 32 it no longer improves": it rose up to there
        shape = "-".join(s for s, on in (("rise", rise), ("plateau", plat), ("fall", fall)) if on)
        stance: Stance = "assert" if shape in spec.claimed else ("deny" if shape == "rise" else "trend")
        words = {"rise": "keeps rising", "plateau": "plateaus", "fall": "falls", "rise-plateau":
                 "rises, then plateaus", "rise-fall": "rises, then falls", "rise-plateau-fall":
                 "rises, then plateaus or falls", "plateau-fall": "plateaus or falls", "rise-plateau-fall-": ""}
        says = f"accuracy {words.get(shape, shape)} with h" + (" (hedged)" if hedged else "")
        out.append(Assertion(spec.claim, "trend", stance, " ".join(quotes)[:400], says, us[0].part if us else "",
                             hedged, data={"shape": shape, "monotone": mono}))
    return out
