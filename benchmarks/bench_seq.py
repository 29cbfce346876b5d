"""Profile times of the sequence-cost families (Q-seq, Q-linattn) and their verdicts.

    python benchmarks/bench_seq.py            # quick profile (budget: 60 s for both)
    python benchmarks/bench_seq.py --full     # ... and the full profile (budget: 8 min for both)

Runs each family through the runner into a temporary store, prints every verdict with the
slopes and intervals it used, the seconds of each part of each run, and a Markdown table.
Timings taken while other processes load the machine are not comparable: the load is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store

try:
    from _results import record
except ImportError:  # run from elsewhere
    record = None

FAMILIES = ("Q-seq", "Q-linattn")
BUDGET = {"quick": 60.0, "full": 480.0}


def run_profile(profile: str, seeds: int | None) -> list[list[object]]:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "s.sqlite")
        total = 0.0
        for q in FAMILIES:
            load0 = os.getloadavg()[0]
            plans = plans_for([q], profile=profile, seeds=seeds, sets={}, device="cpu")
            t0 = time.perf_counter()
            summary = run_plans(plans, store)
            sec = time.perf_counter() - t0
            total += sec
            if summary.failed:
                raise SystemExit(f"{q} failed: {summary.failed}")
            for r in store.results():
                if r.experiment == plans[0].experiment.id and r.measurements:
                    parts = {k: round(v, 1) for k, v in r.measurements.get("seconds", {}).items()}
                    cpu = {k: round(v, 1) for k, v in r.measurements.get("cpu_seconds", {}).items()}
                    print(f"{q} {profile}: {sec:.1f} s wall; parts {json.dumps(parts)}; CPU {json.dumps(cpu)}")
            for vs in summary.verdicts.values():
                for v in vs:
                    print(f"  {v.claim:26s} {v.status:12s} {v.evidence:9s} {v.parts or ''}")
                    rows.append([profile, q, v.claim, v.status, f"{sec:.1f}", f"{load0:.1f}"])
        print(f"{profile}: both families {total:.1f} s (budget {BUDGET[profile]:.0f} s)")
        rows.append([profile, "both", "-", "-", f"{total:.1f}", f"{os.getloadavg()[0]:.1f}"])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also time the full profile")
    ap.add_argument("--seeds", type=int, default=None, help="seeds (default: the profile's)")
    args = ap.parse_args()
    rows = run_profile("quick", args.seeds)
    if args.full:
        rows += run_profile("full", args.seeds)
    header = ["profile", "family", "claim", "verdict", "family seconds", "load average"]
    note = ("Budgets: quick <= 60 s, full <= 480 s for both families on the 2-core machine. Every order is "
            "decided by an exact count (evidence exact); timings only confirm at compute-bound sizes, and "
            "whether a size is compute-bound depends on the load.")
    if record is not None:
        record("Sequence cost families (Q-seq, Q-linattn)", header, rows, note)
    else:
        print(header, *rows, note, sep="\n")


if __name__ == "__main__":
    main()
