"""Claims, verdicts and the rule that turns a measured comparison into a status.

A status is never written by hand in an experiment: the experiment computes
``holds`` (True / False / None = undecided) from its numbers, or one such
value per part of a claim, and :func:`verdict` / :func:`verdict_from_parts`
turn them into one of the four statuses.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["supported", "refuted", "partial", "inconclusive"]
STATUSES: tuple[Status, ...] = ("supported", "refuted", "partial", "inconclusive")

Evidence = Literal["exact", "measured", "simulated"]
"""The kind of evidence behind a verdict or a part of one:

- ``exact``: an identity or an exact count, verified numerically (it could not have come out otherwise
  unless the code is wrong: algebra, FLOP counts, a theorem checked on its construction);
- ``measured``: an experiment with intervals over seeds that could have gone either way;
- ``simulated``: a deterministic simulation of a dynamical system or a game (no seeds, no noise).
"""
EVIDENCE: tuple[Evidence, ...] = ("exact", "measured", "simulated")


def _check_evidence(kind: str) -> str:
    if kind not in EVIDENCE:
        raise ValueError(f"evidence must be one of {EVIDENCE}, got {kind!r}")
    return kind

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
    evidence: Evidence = "measured"  # the kind of evidence of the verdict as a whole (see Evidence)
    part_evidence: dict[str, Evidence] = field(default_factory=dict)  # per-part kinds, when the claim has parts

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
    evidence: Evidence = "measured",
) -> Verdict:
    """A verdict from one comparison (``holds=None`` when the measurement cannot decide)."""
    return Verdict(claim, status_of(holds), rule, dict(numbers or {}), tuple(figures),
                   evidence=_check_evidence(evidence))  # type: ignore[arg-type]


def verdict_from_parts(
    claim: str,
    *,
    parts: Mapping[str, bool | None],
    rule: str,
    numbers: Mapping[str, Any] | None = None,
    figures: tuple[str, ...] | list[str] = (),
    evidence: Evidence | Mapping[str, Evidence] = "measured",
) -> Verdict:
    """A verdict for a claim with several parts (regimes, sub-statements).

    Every part holds -> supported; a part is refuted and none holds -> refuted
    (an undecided part cannot hide a decisive refutation); some parts hold and
    some are refuted -> partial; otherwise (parts that hold beside undecided
    ones, or nothing decided) -> inconclusive.

    ``evidence`` is one kind for every part or a kind per part; the verdict's
    own kind is the weakest decisive one (measured < simulated < exact).
    """
    if not parts:
        raise ValueError("verdict_from_parts needs at least one part")
    values = list(parts.values())
    if all(v is True for v in values):
        status: Status = "supported"
    elif any(v is False for v in values):
        status = "partial" if any(v is True for v in values) else "refuted"
    else:
        status = "inconclusive"
    if isinstance(evidence, str):
        kinds = {k: _check_evidence(evidence) for k in parts}
    else:
        missing = set(parts) - set(evidence)
        if missing:
            raise ValueError(f"no evidence kind for part(s) {sorted(missing)}")
        kinds = {k: _check_evidence(evidence[k]) for k in parts}
    decisive = [kinds[k] for k, v in parts.items() if v is not None] or list(kinds.values())
    overall = min(decisive, key=("measured", "simulated", "exact").index)
    return Verdict(
        claim,
        status,
        rule,
        dict(numbers or {}),
        tuple(figures),
        {k: status_of(v) for k, v in parts.items()},
        overall,  # type: ignore[arg-type]
        kinds,  # type: ignore[arg-type]
    )


def strict_json(x: Any) -> Any:
    """Like :func:`to_jsonable`, and NaN / inf become the strings "nan", "inf", "-inf" (strict JSON output)."""
    return _jsonable(x, True)


def to_jsonable(x: Any) -> Any:
    """Tensors, arrays and NumPy scalars -> plain Python (lists, floats, ints); NaN and inf stay floats."""
    return _jsonable(x, False)


_PLAIN = (str, int, bool, type(None))


def _jsonable(x: Any, strict: bool) -> Any:
    """One pass over the tree: the plain types by their exact type first (the bulk of a check's output), then
    NumPy and torch values; with ``strict`` a non-finite float becomes its name."""
    t = type(x)
    if t in _PLAIN:
        return x
    if t is float:
        return x if not strict or math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
    if t is dict:
        return {k if type(k) is str else str(k): _jsonable(v, strict) for k, v in x.items()}
    if t is list or t is tuple:
        return [_jsonable(v, strict) for v in x]
    torch = sys.modules.get("torch")  # a tensor exists only where torch was imported: never import it here (1-1.5 s)
    if torch is not None and isinstance(x, torch.Tensor):
        return _jsonable(x.detach().cpu().tolist(), strict)
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist(), strict)
    if isinstance(x, np.floating):
        return _jsonable(float(x), strict)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, float):  # a float subclass
        return _jsonable(float(x), strict)
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v, strict) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v, strict) for v in x]
    return x
