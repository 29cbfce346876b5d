"""The experiment registry.

An experiment module declares itself with :func:`experiment`::

    EXPERIMENT = experiment(
        "minmax", question="Q-minmax",
        claims=("minmax.table", "minmax.no-convergence", ...),
        configs={"quick": MinMaxConfig(steps=60), "full": MinMaxConfig()},
        run=run, judge=judge, figures=figures, unit="once")

``unit`` says what one stored result covers:

- ``"seed"``: ``run`` is called once per seed (``ctx.seeds == (seed,)``);
- ``"seeds"``: ``run`` is called once with every seed (``ctx.seeds``), for
  experiments that train all seeds together with the multi-seed trainer;
- ``"once"``: the experiment is deterministic and uses no seed.

``judge(runs, cfg)`` receives the list of measurements of all units (in seed
order) and the config; it is pure. ``figures(runs, cfg, out)`` draws with
matplotlib and saves through ``out.save(fig, name, caption=...)`` (see
:mod:`dlclaims.core.figures`: the caption says what the figure shows and how to read it).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from .catalogue import claims_by_id
from .figures import FigureSink
from .types import Measurements, Verdict

Unit = Literal["seed", "seeds", "once"]


@dataclass(frozen=True)
class RunContext:
    """What ``run`` gets besides its config."""

    seeds: tuple[int, ...]
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    profile: str = "quick"

    @property
    def seed(self) -> int:
        return self.seeds[0]


@dataclass(frozen=True)
class Experiment:
    id: str
    question: str
    claims: tuple[str, ...]
    configs: dict[str, Any]
    run: Callable[[Any, RunContext], Measurements]
    judge: Callable[[list[Measurements], Any], list[Verdict]]
    figures: Callable[[list[Measurements], Any, FigureSink], None] | None = None
    unit: Unit = "seed"
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, Experiment] = {}


def experiment(id: str, *, question: str, claims: tuple[str, ...] | list[str], configs: dict[str, Any],
               run: Callable, judge: Callable, figures: Callable | None = None, unit: Unit = "seed",
               description: str = "") -> Experiment:
    """Register an experiment (called at import time of its module) and return it."""
    known = claims_by_id()
    for c in claims:
        if c not in known:
            raise ValueError(f"experiment {id!r} names claim {c!r}, which is not in the catalogue")
        if known[c].question != question:
            raise ValueError(f"claim {c!r} belongs to {known[c].question}, not {question}")
    missing = {"quick", "full"} - set(configs)
    if missing:
        raise ValueError(f"experiment {id!r} lacks configs for {sorted(missing)}")
    exp = Experiment(id, question, tuple(claims), dict(configs), run, judge, figures, unit, description)
    if id in _REGISTRY and _REGISTRY[id].run is not run:
        raise ValueError(f"two experiments are registered as {id!r}")
    _REGISTRY[id] = exp
    return exp


def load_all() -> dict[str, Experiment]:
    """Import every module of ``dlclaims.experiments`` (each registers itself); return the registry."""
    import dlclaims.experiments as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")
    return dict(_REGISTRY)


def registry() -> dict[str, Experiment]:
    return dict(_REGISTRY)


def select(ids: list[str] | None) -> list[Experiment]:
    """Experiments named by question ids, claim ids or experiment ids, in catalogue order."""
    from .catalogue import questions
    from .errors import BadInput

    exps = load_all()
    order = {q.id: i for i, q in enumerate(questions())}
    ordered = sorted(exps.values(), key=lambda e: (order.get(e.question, 99), e.id))
    if not ids:
        return ordered
    chosen: list[Experiment] = []
    for ident in ids:
        hits = [e for e in ordered if ident in (e.id, e.question) or ident in e.claims]
        if not hits:
            if ident in claims_by_id():
                raise BadInput(f"claim {ident!r} has no experiment yet (see `dlclaims list`)")
            raise BadInput(f"unknown id {ident!r} in --only: not a question id (Q-...), claim id or experiment")
        for h in hits:
            if h not in chosen:
                chosen.append(h)
    return sorted(chosen, key=lambda e: (order.get(e.question, 99), e.id))
