"""Claims, verdicts and the rule that turns a measured comparison into a status.

A status is never written by hand in an experiment: the experiment computes
``holds`` (True / False / None = undecided) from its numbers, or one such
value per part of a claim, and :func:`verdict` / :func:`verdict_from_parts`
turn them into one of the four statuses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["supported", "refuted", "partial", "inconclusive"]
STATUSES: tuple[Status, ...] = ("supported", "refuted", "partial", "inconclusive")

Measurements = dict[str, Any]
"""What one run unit of an experiment produced: plain numbers, lists and dicts (JSON)."""


@dataclass(frozen=True)
class Claim:
    """One claim of the catalogue (CLAIMS.md)."""

    id: str  # e.g. "minmax.table"
    question: str  # e.g. "Q-minmax"
    claim: str  # the statement as an answer gives it
    test: str  # what the experiment measures
    beyond: bool = False  # goes past what the answers say


@dataclass(frozen=True)
class Verdict:
    """The judged status of one claim, with the rule and the numbers it used."""

    claim: str
    status: Status
    rule: str
    numbers: dict[str, Any] = field(default_factory=dict)
    figures: tuple[str, ...] = ()
    parts: dict[str, Status] = field(default_factory=dict)  # per-part statuses, when the claim has parts

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["figures"] = list(self.figures)
        d["numbers"] = to_jsonable(self.numbers)
        return d


def status_of(holds: bool | None) -> Status:
    """True -> supported, False -> refuted, None -> inconclusive."""
    if holds is None:
        return "inconclusive"
    return "supported" if holds else "refuted"


def verdict(
    claim: str,
    *,
    holds: bool | None,
    rule: str,
    numbers: Mapping[str, Any] | None = None,
    figures: tuple[str, ...] | list[str] = (),
) -> Verdict:
    """A verdict from one measured comparison (``holds=None`` when the measurement cannot decide)."""
    return Verdict(claim, status_of(holds), rule, dict(numbers or {}), tuple(figures))


def verdict_from_parts(
    claim: str,
    *,
    parts: Mapping[str, bool | None],
    rule: str,
    numbers: Mapping[str, Any] | None = None,
    figures: tuple[str, ...] | list[str] = (),
) -> Verdict:
    """A verdict for a claim with several parts (regimes, sub-statements).

    All parts hold -> supported; none holds -> refuted; some hold and some do
    not -> partial; otherwise (an undecided part and no contradiction)
    -> inconclusive.
    """
    if not parts:
        raise ValueError("verdict_from_parts needs at least one part")
    values = list(parts.values())
    decided = [v for v in values if v is not None]
    if decided and all(decided) and len(decided) == len(values):
        status: Status = "supported"
    elif decided and not any(decided) and len(decided) == len(values):
        status = "refuted"
    elif any(v is True for v in values) and any(v is False for v in values):
        status = "partial"
    elif any(v is False for v in values) and any(v is None for v in values):
        status = "partial" if any(v is True for v in values) else "inconclusive"
    else:
        status = "inconclusive"
    return Verdict(
        claim,
        status,
        rule,
        dict(numbers or {}),
        tuple(figures),
        {k: status_of(v) for k, v in parts.items()},
    )


def strict_json(x: Any) -> Any:
    """Like :func:`to_jsonable`, and NaN / inf become the strings "nan", "inf", "-inf" (strict JSON output)."""
    x = to_jsonable(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: strict_json(v) for k, v in x.items()}
    if isinstance(x, list):
        return [strict_json(v) for v in x]
    return x


def to_jsonable(x: Any) -> Any:
    """Tensors, arrays and NumPy scalars -> plain Python (lists, floats, ints); NaN and inf stay floats."""
    try:
        import torch

        if isinstance(x, torch.Tensor):
            return to_jsonable(x.detach().cpu().tolist())
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, np.ndarray):
        return to_jsonable(x.tolist())
    if isinstance(x, (np.floating,)):
        return to_jsonable(float(x))
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    if isinstance(x, Mapping):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    return x
