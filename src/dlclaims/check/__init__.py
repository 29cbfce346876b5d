"""The answer-sheet checker: ``dlclaims check SHEET ...``.

segment (segment.py) -> match each answer to a family by content (match.py) -> structural extraction
(extract.py over units.py, complexity.py, series.py, orders.py) and claims found by similarity to the
knowledge base's examples (knowledge/*.toml, kb.py, embed.py, detect.py) kept by a learned, calibrated
decision (decide.py), stance from negation scope (stance.py) -> grade against the stored verdicts (grade.py);
output for the terminal (render.py) and for --out (output.py). The checker
reads the store; it trains nothing unless --run-missing asks for it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .render import render_terminal
from .sheet import Extracted, extract_sheet, grade_sheet
from .sheet_io import SheetSkipped, read_sheet


@dataclass
class CheckOutcome:
    results: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    store_path: Path | None = None
    store_exists: bool = False
    written: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)


def load_verdicts(store_path: Path) -> dict[str, Any] | None:
    """The latest verdict per claim, or None when there is no store (a missing store is never created)."""
    from ..core.store import Store

    if not Path(store_path).exists():
        return None
    with Store.open(store_path, create=False, readonly=True) as store:
        return {v.claim: v for v in store.latest_verdicts()}


def _one_thread():
    """One BLAS thread (NumPy, SciPy, scikit-learn through threadpoolctl) while the checker runs: its products
    are small, and on a loaded 2-core machine a second BLAS thread spins and waits (200 sheets: 18.5 s CPU with
    the default threads, 10.3 s with one, the same wall time). torch is not imported for this."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def check_text(text: str, verdicts: dict[str, Any] | None, *, sheet: str = "sheet") -> dict[str, Any]:
    """Grade one sheet given as text (tests, benchmarks)."""
    from .sheet_io import normalise

    with _one_thread():
        return grade_sheet(extract_sheet(normalise(text), sheet=sheet), verdicts or {}, store_missing=verdicts is None)


def _run_missing(extracted: list[Extracted], verdicts: dict[str, Any] | None, store_path: Path) -> list[str]:
    from ..core.registry import load_all
    from ..core.runner import plans_for, run_plans
    from ..core.store import Store

    have = verdicts or {}
    need = sorted({a.claim for ex in extracted for a, _, _ in ex.items if a.claim not in have})
    exps = load_all()
    runnable = sorted({e.id for e in exps.values() for c in e.claims if c in need})
    if not runnable:
        return []
    plans = plans_for(runnable, profile="quick", seeds=None, sets={}, device="cpu")
    with Store.open(store_path) as store:
        run_plans(plans, store)
    return runnable


def default_jobs(n_sheets: int) -> int:
    """Worker processes for ``n_sheets`` sheets: the CPUs this process may use, 1 for a single sheet."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, n_sheets))


def check_sheets(paths: list[str], store_path: Path, *, out_dir: Path | None = None,
                 run_missing: bool = False, record: bool = False, jobs: int = 1) -> CheckOutcome:
    """Grade every readable sheet; unreadable ones go to ``skipped`` with a one-line reason. ``record``:
    store the grades (the report's sheet results); a check records nothing unless asked. ``jobs`` > 1: sheets
    are read in that many processes, forked once the models are loaded (the same results in the same order)."""
    with _one_thread():
        extracted, skipped = _extract_all(paths, jobs)
    outcome = CheckOutcome(store_path=Path(store_path), skipped=skipped)
    verdicts = load_verdicts(store_path)
    if run_missing and extracted:  # the quick profile trains with its own thread settings
        outcome.ran = _run_missing(extracted, verdicts, Path(store_path))
        if outcome.ran:
            verdicts = load_verdicts(store_path)
    outcome.store_exists = verdicts is not None
    with _one_thread():
        outcome.results = [grade_sheet(ex, verdicts or {}, store_missing=verdicts is None) for ex in extracted]
    return _record_and_write(outcome, verdicts, store_path, out_dir=out_dir, record=record)


def _extract_one(p: str) -> tuple[Extracted | None, tuple[str, str] | None]:
    try:
        st = read_sheet(p)
    except SheetSkipped as e:
        return None, (str(p), str(e))
    return extract_sheet(st.text, sheet=str(p), path=str(p)), None


def _worker_init() -> None:
    """A worker leaves Ctrl-C to the parent (which stops the pool): one message, no traceback per worker. It
    tokenizes in its own thread: the tokenizer's thread pool is not carried over by fork (even where the user
    set TOKENIZERS_PARALLELISM=true, which would otherwise keep it on and could hang)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def _extract_all(paths: list[str], jobs: int = 1) -> tuple[list[Extracted], list[tuple[str, str]]]:
    """Read and analyse every sheet, in order. With ``jobs`` > 1 the first sheet is read here (it loads the
    knowledge base, the reference matrices, WordLlama and the decision), then the others in ``jobs`` forked
    processes that share what is loaded; their results come back in the order of ``paths``."""
    jobs = max(1, min(int(jobs or 1), len(paths)))
    if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1  # without fork every worker would load the models again
    out = [_extract_one(p) for p in paths[:1 if jobs > 1 else len(paths)]]
    if jobs > 1:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the tokenizer's threads are not forked
        ctx = multiprocessing.get_context("fork")
        rest = paths[1:]
        chunk = max(1, len(rest) // (4 * jobs))
        pool = ctx.Pool(jobs, initializer=_worker_init)
        try:
            out += pool.imap(_extract_one, rest, chunksize=chunk)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
    extracted = [ex for ex, _ in out if ex is not None]
    skipped = [sk for _, sk in out if sk is not None]
    return extracted, skipped


def _record_and_write(outcome: CheckOutcome, verdicts: dict[str, Any] | None, store_path: Path, *,
                      out_dir: Path | None, record: bool) -> CheckOutcome:
    """Store the grades when asked and write the feedback pages for --out."""
    if record and verdicts is not None and outcome.results:
        from ..core.store import Store

        with Store.open(store_path, create=False) as store:
            for r in outcome.results:
                store.put_check(r["sheet"], r)
    if out_dir is not None and outcome.results:
        from .output import write_outputs

        outcome.written = write_outputs(outcome.results, Path(out_dir),
                                        store_path=Path(store_path) if verdicts is not None else None)
    return outcome


__all__ = ["CheckOutcome", "check_sheets", "check_text", "default_jobs", "load_verdicts", "render_terminal"]
