"""What the checker knows beyond the catalogue's own text, as data.

* Per-claim knowledge (example statements for each stance, per-family aliases) lives in
  ``knowledge/*.toml`` and is loaded and validated by kb.py; claims are found by similarity to those
  examples and a learned decision (detect.py, decide.py), not by per-claim patterns.
* ``ORDERS``, ``SEQUENCES``, ``TRENDS`` (and the roles, aspects and symbols they use): the structured
  claims read by the structural extractors, from structure.toml (structure.py).
"""

from __future__ import annotations

# -- structured claims (orders, sequences, trends): data in structure.toml, loaded by structure.py --------------
from .structure import OrderClaim, SequenceClaim, TrendClaim
from .structure import load as _load_structure

_S = _load_structure()
ROLE_CUES: dict[str, dict[str, tuple[str, ...]]] = _S.roles
ASPECT_CUES: dict[str, tuple[tuple[str, str], ...]] = _S.aspects
DEFAULT_ASPECT: dict[str, str] = _S.default_aspect
ORDERS: tuple[OrderClaim, ...] = _S.orders
SYMBOLS: dict[str, dict[str, str]] = _S.symbols
SEQUENCES: tuple[SequenceClaim, ...] = _S.sequences
TRENDS: tuple[TrendClaim, ...] = _S.trends
