"""Quick (and, with --full, full) profile time per experiment and in total, each in a fresh store; then the
cached re-run of each (nothing measured: nothing judged or drawn again), which `make lab` pays the second time.

Wall-clock seconds and CPU seconds (this process, time.process_time) are both reported: on a loaded machine
the wall clock is inflated, the CPU time much less so.
Targets (2-core machine): the whole quick profile <= 150 s; full <= 45 min; a cached re-run <= a few seconds.
    python benchmarks/bench_profiles.py [--full] [--only ID ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _results import record

from dlclaims.core.registry import select
from dlclaims.core.runner import make_plans, run_plans
from dlclaims.core.store import Store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    profile = "full" if args.full else "quick"
    rows, total, total_cpu, total_cached = [], 0.0, 0.0, 0.0
    with tempfile.TemporaryDirectory() as d:
        for exp in select(args.only):
            plans = make_plans([exp], profile=profile, seeds=None, sets={}, device="cpu")
            with Store.open(Path(d) / exp.id / "store.sqlite") as store:
                t0, c0 = time.perf_counter(), time.process_time()
                summary = run_plans(plans, store)
                dt, cpu = time.perf_counter() - t0, time.process_time() - c0
                t0 = time.perf_counter()
                again = run_plans(plans, store)
                cached = time.perf_counter() - t0
            total, total_cpu, total_cached = total + dt, total_cpu + cpu, total_cached + cached
            statuses = ", ".join(f"{v.status}" for v in summary.verdicts.get(exp.id, []))
            if again.ran or again.drawn:
                statuses += " (cached re-run measured or drew again!)"
            rows.append([exp.question, exp.id, len(plans[0].tasks), dt, cpu, cached,
                         "FAILED" if summary.failed else statuses])
            print(f"{exp.id}: {dt:.1f} s wall, {cpu:.1f} s CPU, cached re-run {cached:.2f} s")
    target = "150" if profile == "quick" else "2700"
    rows.append(["total", "", "", total, total_cpu, total_cached, f"target {target} s (cached: a few seconds)"])
    record(f"{profile} profile time", ["question", "experiment", "units", "seconds", "CPU seconds",
                                        "cached re-run s", "verdicts"], rows)

if __name__ == "__main__":
    main()
