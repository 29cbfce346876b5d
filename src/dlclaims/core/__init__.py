"""Core: claim and verdict types, registry, configs, runner, store, statistics, seeding.

Names are imported lazily (PEP 562), so that ``dlclaims.core.errors`` or the
store can be used without importing torch or SciPy.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "require": "config",
    "BadInput": "errors", "ConfigError": "errors", "StoreError": "errors",
    "FigureSink": "registry", "RunContext": "registry", "experiment": "registry",
    "seed_everything": "seeding",
    "Interval": "stats", "Slope": "stats", "loglog_slope": "stats", "mean_ci": "stats",
    "Claim": "types", "Measurements": "types", "Verdict": "types", "verdict": "types",
    "verdict_from_parts": "types",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
