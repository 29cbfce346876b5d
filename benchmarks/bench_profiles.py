"""Quick (and, with --full, full) profile time per experiment and in total, each in a fresh store.

Targets (2-core machine): the whole quick profile <= 5 min; full <= 45 min.
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
    rows, total = [], 0.0
    with tempfile.TemporaryDirectory() as d:
        for exp in select(args.only):
            plans = make_plans([exp], profile=profile, seeds=None, sets={}, device="cpu")
            with Store.open(Path(d) / f"{exp.id}.sqlite") as store:
                t0 = time.perf_counter()
                summary = run_plans(plans, store)
                dt = time.perf_counter() - t0
            total += dt
            statuses = ", ".join(f"{v.status}" for v in summary.verdicts.get(exp.id, []))
            rows.append([exp.question, exp.id, len(plans[0].tasks), dt, "FAILED" if summary.failed else statuses])
            print(f"{exp.id}: {dt:.1f} s")
    rows.append(["total", "", "", total, f"target {'300' if profile == 'quick' else '2700'} s"])
    record(f"{profile} profile time", ["question", "experiment", "units", "seconds", "verdicts"], rows)


if __name__ == "__main__":
    main()
