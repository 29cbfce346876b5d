"""The runner: plans (experiment, seed) units, skips what the store holds, executes the rest,
stores each result in its own transaction, then judges and draws each experiment.

Figures are results too: an experiment whose verdicts were already judged from exactly
these results (same experiment, config hash, seeds and code version) is neither judged
nor drawn again, and its stored figures are written back only where the files differ;
one judged again from stored results gets its stored drawing back instead of a new one.
Each task carries an estimate of its duration (``expected_s``) from the stored durations
of earlier runs, for the progress display.

Executors only turn tasks into results; the driver (this module) alone writes
the store. ``LocalExecutor`` runs in-process; ``dlclaims.core.executors``
adds Ray.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from .catalogue import claims_by_id
from .config import apply_overrides, config_dict, config_hash
from .errors import BadInput
from .figures import FigureSink, file_matches, write_png
from .registry import Experiment, RunContext, load_all
from .seeding import seed_everything
from .store import Store, StoredFigure
from .types import Measurements, Verdict, to_jsonable

DEFAULT_SEEDS = {"quick": 3, "full": 5}


@dataclass(frozen=True)
class Task:
    """One unit of work: an experiment with a config on some seeds."""

    experiment: str
    config: Any
    config_hash: str
    seeds: tuple[int, ...]
    profile: str
    device: str
    expected_s: float | None = field(default=None, compare=False)  # from stored durations; None: never timed


@dataclass(frozen=True)
class TaskResult:
    status: str  # "ok" | "failed"
    measurements: Measurements | None
    error: str | None
    duration_s: float


@dataclass
class Plan:
    experiment: Experiment
    config: Any
    config_hash: str
    tasks: list[Task]


@dataclass
class RunSummary:
    ran: list[Task] = field(default_factory=list)
    skipped: list[Task] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # experiment -> error line
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)
    seconds: float = 0.0
    reused: list[str] = field(default_factory=list)  # experiments neither judged nor drawn again
    drawn: list[str] = field(default_factory=list)  # experiments whose figures were drawn (not restored)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInput("--device cuda was asked for, but this torch sees no CUDA device (use --device cpu or auto)")
    if name not in ("cpu", "cuda"):
        raise BadInput(f"unknown device {name!r}: use auto, cpu or cuda")
    return torch.device(name)


def make_plans(exps: list[Experiment], *, profile: str, seeds: int | None, sets: dict[str, str],
               device: str) -> list[Plan]:
    """Apply overrides (type-checked, every key must be used) and split each experiment into tasks."""
    if profile not in ("quick", "full"):
        raise BadInput(f"unknown profile {profile!r}: use quick or full")
    n_seeds = DEFAULT_SEEDS[profile] if seeds is None else seeds
    if n_seeds < 1:
        raise BadInput(f"--seeds must be at least 1, got {n_seeds}")
    used: set[str] = set()
    plans = []
    for exp in exps:
        cfg, u = apply_overrides(exp.configs[profile], sets, scope=exp.id)  # a bad value names key, value, experiment
        used |= u
        h = config_hash(cfg)
        if exp.unit == "once":
            units: list[tuple[int, ...]] = [(0,)]
        elif exp.unit == "seeds":
            units = [tuple(range(n_seeds))]
        else:
            units = [(s,) for s in range(n_seeds)]
        plans.append(Plan(exp, cfg, h, [Task(exp.id, cfg, h, u_, profile, device) for u_ in units]))
    unused = set(sets) - used
    if unused:
        names = ", ".join(sorted(unused))
        raise BadInput(f"--set {names}: no selected experiment has such a setting (see `dlclaims list --json`)")
    return plans


def execute_task(task: Task) -> TaskResult:
    """Run one task in this process (also the body of a Ray task)."""
    exp = load_all()[task.experiment]
    t0 = time.perf_counter()
    try:
        seed_everything(task.seeds[0])
        ctx = RunContext(seeds=task.seeds, device=torch.device(task.device), profile=task.profile)
        m = to_jsonable(exp.run(task.config, ctx))
        return TaskResult("ok", m, None, time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 — an experiment failure is stored and reported, the run goes on
        tb = traceback.format_exc(limit=6)
        return TaskResult("failed", None, f"{type(e).__name__}: {e}\n{tb}", time.perf_counter() - t0)


class Executor(Protocol):
    def run(self, tasks: list[Task], on_done: Callable[[Task, TaskResult], None],
            on_start: Callable[[Task], None]) -> None: ...


class LocalExecutor:
    """Runs tasks one after another in this process."""

    def run(self, tasks: list[Task], on_done: Callable[[Task, TaskResult], None],
            on_start: Callable[[Task], None]) -> None:
        for t in tasks:
            on_start(t)
            on_done(t, execute_task(t))


class Progress(Protocol):
    def planned(self, todo: list[Task], skipped: int) -> None: ...
    def started(self, task: Task) -> None: ...
    def finished(self, task: Task, result: TaskResult) -> None: ...
    def judged(self, experiment: str, verdicts: list[Verdict] | None, error: str | None) -> None: ...


class _NoProgress:
    def planned(self, todo: list[Task], skipped: int) -> None: ...
    def started(self, task: Task) -> None: ...
    def finished(self, task: Task, result: TaskResult) -> None: ...
    def judged(self, experiment: str, verdicts: list[Verdict] | None, error: str | None) -> None: ...


def estimate_durations(tasks: list[Task], history: list[tuple[str, str, tuple[int, ...], str, float]]) -> list[Task]:
    """Each task with ``expected_s`` from earlier runs: the latest duration of the same unit (experiment,
    config, seeds; any code version), else the median per-seed duration of the experiment in the same
    profile times its number of seeds, else None."""
    same: dict[tuple[str, str, tuple[int, ...]], float] = {}
    per_seed: dict[tuple[str, str], list[float]] = {}
    for exp, h, seeds, profile, d in history:
        same[(exp, h, seeds)] = d
        per_seed.setdefault((exp, profile), []).append(d / max(1, len(seeds)))
    out = []
    for t in tasks:
        e = same.get((t.experiment, t.config_hash, t.seeds))
        if e is None and (t.experiment, t.profile) in per_seed:
            e = float(np.median(per_seed[(t.experiment, t.profile)])) * len(t.seeds)
        out.append(replace(t, expected_s=e))
    return out


def _restore(figures: list[StoredFigure], figures_dir) -> None:
    for f in figures:
        p = Path(figures_dir) / f.file
        if not file_matches(p, f.sha256):
            write_png(p, f.png)


def judge_and_draw(plan: Plan, runs: list[Measurements], figures_dir, store: Store | None = None,
                   seeds: tuple[int, ...] = ()) -> tuple[list[Verdict], dict[str, str], bool]:
    """Judge one experiment (pure) and draw its figures, or write back the drawing the store holds for
    these results; check the verdicts cover exactly its claims. Returns (verdicts, name -> file, drawn)."""
    exp = plan.experiment
    verdicts = exp.judge(runs, plan.config)
    got = [v.claim for v in verdicts]
    if sorted(got) != sorted(exp.claims):
        raise RuntimeError(f"{exp.id}.judge returned verdicts for {got}, expected {list(exp.claims)}")
    stored = store.get_drawing(exp.id, plan.config_hash, seeds) if store is not None else None
    if stored is not None:
        _restore(stored, figures_dir)
        files, drawn = {f.name: f.file for f in stored}, False
    else:
        sink = FigureSink(figures_dir, exp.id)
        if exp.figures is not None:
            import matplotlib

            matplotlib.use("Agg")
            exp.figures(runs, plan.config, sink)
        if store is not None:
            store.put_drawing(exp.id, plan.config_hash, seeds, [
                StoredFigure(n, f, sink.captions[n], sink.sha256(n), sink.png[n], sink.overlaps[n])
                for n, f in sink.saved.items()])
        files, drawn = dict(sink.saved), True
    missing = {f for v in verdicts for f in v.figures} - set(files)
    if missing:
        raise RuntimeError(f"{exp.id}: verdicts name figures that were not drawn: {sorted(missing)}")
    return verdicts, files, drawn


def run_plans(plans: list[Plan], store: Store, *, executor: Executor | None = None,
              progress: Progress | None = None) -> RunSummary:
    """Execute every plan's missing tasks, store each result, judge each experiment once its tasks are in."""
    executor = executor or LocalExecutor()
    progress = progress or _NoProgress()
    summary = RunSummary()
    t0 = time.perf_counter()
    todo: list[Task] = []
    for p in plans:
        for t in p.tasks:
            r = store.get_result(t.experiment, t.config_hash, t.seeds)
            (summary.skipped if r is not None and r.status == "ok" else todo).append(t)
    todo = estimate_durations(todo, store.durations()) if todo else todo
    progress.planned(todo, len(summary.skipped))
    by_exp = {p.experiment.id: p for p in plans}
    remaining = {p.experiment.id: sum(t.experiment == p.experiment.id for t in todo) for p in plans}

    def finish_experiment(p: Plan) -> None:
        exp = p.experiment
        stored = [store.get_result(t.experiment, t.config_hash, t.seeds) for t in p.tasks]
        bad = [r for r in stored if r is None or r.status != "ok"]
        if bad:
            err = next((r.error for r in bad if r is not None and r.error), "a unit did not finish")
            summary.failed[exp.id] = err.splitlines()[0]
            progress.judged(exp.id, None, summary.failed[exp.id])
            return
        seeds = sorted({s for t in p.tasks for s in t.seeds})
        current = store.current_verdicts(exp.id, exp.claims, p.config_hash, seeds)
        drawing = store.get_drawing(exp.id, p.config_hash, seeds) if current is not None else None
        if current is not None and drawing is not None:  # judged and drawn from these very results: reuse
            _restore(drawing, store.figures_dir)
            summary.reused.append(exp.id)
            summary.verdicts[exp.id] = [Verdict(v.claim, v.status, v.rule, v.numbers, tuple(v.figures), v.parts,
                                                v.evidence, v.part_evidence) for v in current]  # type: ignore[arg-type]
            progress.judged(exp.id, summary.verdicts[exp.id], None)
            return
        runs = [r.measurements or {} for r in stored]
        try:
            verdicts, files, drawn = judge_and_draw(p, runs, store.figures_dir, store, tuple(seeds))
        except Exception as e:  # noqa: BLE001 — a judge that crashes fails its experiment only
            summary.failed[exp.id] = f"judging failed: {type(e).__name__}: {e}"
            progress.judged(exp.id, None, summary.failed[exp.id])
            return
        if drawn:
            summary.drawn.append(exp.id)
        questions = {c: claims_by_id()[c].question for c in exp.claims}
        store.put_verdicts(exp.id, verdicts, questions=questions, profile=p.tasks[0].profile, seeds=seeds,
                           device=p.tasks[0].device, config_hash=p.config_hash, figure_files=files,
                           measured_at=max(r.finished_at for r in stored if r is not None))
        summary.verdicts[exp.id] = verdicts
        progress.judged(exp.id, verdicts, None)

    def on_done(task: Task, result: TaskResult) -> None:
        store.put_result(experiment=task.experiment, config_hash=task.config_hash, seeds=task.seeds,
                         profile=task.profile, device=task.device, config=config_dict(task.config),
                         status=result.status, measurements=result.measurements, error=result.error,
                         duration_s=result.duration_s)
        summary.ran.append(task)
        progress.finished(task, result)
        remaining[task.experiment] -= 1
        if remaining[task.experiment] == 0:
            finish_experiment(by_exp[task.experiment])

    for p in plans:  # experiments whose every unit was stored already: judge them now
        if remaining[p.experiment.id] == 0:
            finish_experiment(p)
    executor.run(todo, on_done, progress.started)
    summary.seconds = time.perf_counter() - t0
    return summary


def plans_for(ids: Iterable[str] | None, **kw: Any) -> list[Plan]:
    from .registry import select

    return make_plans(select(list(ids) if ids else None), **kw)
