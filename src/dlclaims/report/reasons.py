"""Short reasons for a verdict, from its stored numbers: what the terminal and the report say in one line.

- :func:`deciding_numbers`: the first top-level numbers of a verdict (an interval, a count, an error),
  which the rule compares, as ``name value`` texts;
- :func:`undecided` (inconclusive verdicts): which intervals decided nothing (one value, no spread, or an
  interval that contains 0) and what would decide them;
- :func:`reason`: one line for the terminal's compact table.
"""

from __future__ import annotations

import math
from typing import Any

from .numbers import CENTRES, compact, fmt_interval, is_interval, is_scalar

MAX_NUMBERS = 2


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _intervals(numbers: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """(dotted name, interval) of every interval in the numbers, to depth 3, in order."""
    out: list[tuple[str, dict[str, Any]]] = []
    if depth > 3:
        return out
    if isinstance(numbers, dict):
        for k, v in numbers.items():
            name = f"{prefix}{k}"
            if is_interval(v):
                out.append((name, v))
            elif isinstance(v, (dict, list)):
                out += _intervals(v, name + " / ", depth + 1)
    elif isinstance(numbers, list) and all(is_interval(v) for v in numbers):
        out += [(f"{prefix.removesuffix(' / ')}[{i}]", v) for i, v in enumerate(numbers)]
    return out


def deciding_numbers(numbers: dict[str, Any], limit: int = MAX_NUMBERS) -> list[str]:
    """The first top-level scalars and intervals, as 'name value' (lists, tables and texts left out)."""
    out: list[str] = []
    for k, v in (numbers or {}).items():
        if is_interval(v):
            text = fmt_interval(v).text
            centre = text.split(" ", 1)[0]
            if centre in CENTRES and centre in k:  # 'slope_backward' needs no second 'slope'
                text = text.split(" ", 1)[1]
            out.append(f"{_label(k)} {text}")
        elif is_scalar(v) and not isinstance(v, str) and v is not None:
            out.append(f"{_label(k)} {compact(v)}")
        if len(out) >= limit:
            break
    return out


def why_undecided(x: dict[str, Any]) -> str | None:
    """Why one interval decides nothing, or None when it is a proper interval away from 0."""
    centre = next((c for c in CENTRES if c in x), None)
    n = x.get("n", x.get("n_points", x.get("points")))
    lo, hi = x.get("lo"), x.get("hi")
    if not (_finite(lo) and _finite(hi)):
        if n == 0 or (centre and not _finite(x.get(centre))):
            return "not measured (no finite value)"
        if n == 1:
            return "one value: no interval"
        if n == 2 and centre == "slope":
            return "a fit through two points: no interval"
        return "no spread across the values: no interval"
    if lo <= 0 <= hi:
        return "the interval contains 0"
    return None


def undecided(numbers: dict[str, Any], parts: dict[str, str] | None = None, limit: int = 3) -> list[str]:
    """For an inconclusive verdict: the parts that decided nothing and the intervals that decided nothing."""
    out = [f"part undecided: {p}" for p, st in (parts or {}).items() if st == "inconclusive"]
    found = []
    for name, x in _intervals(numbers):
        why = why_undecided(x)
        if why:
            text = fmt_interval(x).text
            said = "no interval" in text or "not measured" in text  # the text already says why
            found.append(f"{_label(name)} {text}" + ("" if said else f": {why}"))
    return out + found[:limit]


def what_would_decide(profile: str, n_seeds: int) -> str:
    """The next step that could decide an inconclusive verdict."""
    more = max(5, 2 * n_seeds)
    if profile == "quick":
        return (f"more seeds (--seeds {more}) or the full profile (--profile full: longer training, "
                "more seeds) may decide it")
    return f"more seeds (--seeds {more}) may decide it; if the effect is truly absent it stays undecided"


def reason(status: str, numbers: dict[str, Any], parts: dict[str, str] | None = None) -> str:
    """One line: for a partial verdict the parts that failed, for an inconclusive one what decided nothing,
    else the deciding numbers."""
    parts = parts or {}
    if status == "inconclusive":
        und = undecided(numbers, parts, limit=1)
        if und:
            return "; ".join(und[:2])
    if status == "partial" and parts:
        held = sum(s == "supported" for s in parts.values())
        failed = [p for p, s in parts.items() if s == "refuted"]
        return f"{held} of {len(parts)} parts hold; refuted: " + "; ".join(failed)
    if status == "refuted" and parts:
        failed = [p for p, s in parts.items() if s == "refuted"]
        return "refuted: " + "; ".join(failed)
    nums = deciding_numbers(numbers)
    return ", ".join(nums) if nums else ""
