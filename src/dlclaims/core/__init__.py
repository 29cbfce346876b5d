"""Core: claim and verdict types, registry, configs, runner, store, statistics, seeding."""

from .config import require
from .errors import BadInput, ConfigError, StoreError
from .registry import FigureSink, RunContext, experiment
from .seeding import seed_everything
from .stats import Interval, Slope, loglog_slope, mean_ci
from .types import Claim, Measurements, Verdict, verdict, verdict_from_parts

__all__ = [
    "BadInput",
    "Claim",
    "ConfigError",
    "FigureSink",
    "Interval",
    "Measurements",
    "RunContext",
    "Slope",
    "StoreError",
    "Verdict",
    "experiment",
    "loglog_slope",
    "mean_ci",
    "require",
    "seed_everything",
    "verdict",
    "verdict_from_parts",
]
