"""Benchmark: wall time of the Q-lookup and Q-align families per profile, and the AER they measure.

    python benchmarks/bench_attention_semantics.py                 # quick and full, default seeds
    python benchmarks/bench_attention_semantics.py --profile quick

Budget (issue 5): quick of both families <= 60 s on the 2-core machine, full <= 10 min.
Wall time on a shared machine depends on the load; the CPU seconds of this process (training runs on
one thread) are what an idle machine would take. Each profile runs in a fresh temporary store (nothing cached), through the real runner,
so the time includes training, judging and drawing the figures. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _results import record

from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store

BUDGET_S = {"quick": 60.0, "full": 600.0}


def bench(profile: str, seeds: int | None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as d, Store.open(Path(d) / "s.sqlite") as store:
        for q in ("Q-lookup", "Q-align"):
            plans = plans_for([q], profile=profile, seeds=seeds, sets={}, device="cpu")
            t0, c0 = time.perf_counter(), time.process_time()
            summary = run_plans(plans, store)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            verdicts = [v for vs in summary.verdicts.values() for v in vs]
            aer = next((v.numbers["aer"] for v in verdicts if v.claim == "align.cells"), None)
            rows.append({"profile": profile, "family": q, "seeds": len({s for p in plans for t in p.tasks
                                                                        for s in t.seeds}),
                         "seconds": dt, "cpu_seconds": cpu, "failed": dict(summary.failed), "aer": aer,
                         "verdicts": {v.claim: v.status for v in verdicts}})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=("quick", "full", "both"), default="both")
    ap.add_argument("--seeds", type=int, default=None, help="default: the runner's (quick 3, full 5)")
    ap.add_argument("--no-record", action="store_true", help="print only; leave benchmarks/RESULTS.md alone")
    args = ap.parse_args()
    profiles = ("quick", "full") if args.profile == "both" else (args.profile,)
    rows = [r for p in profiles for r in bench(p, args.seeds)]
    table = []
    for r in rows:
        aer = r["aer"]
        aer_s = f"{aer['mean']:.3f} [{aer['lo']:.3f}, {aer['hi']:.3f}]" if aer else "-"
        vs = ", ".join(f"{c}: {s}" for c, s in r["verdicts"].items()) or f"FAILED {r['failed']}"
        table.append([r["profile"], r["family"], r["seeds"], r["seconds"], r["cpu_seconds"], aer_s, vs])
    for p in profiles:
        total = sum(r["seconds"] for r in rows if r["profile"] == p)
        cpu = sum(r["cpu_seconds"] for r in rows if r["profile"] == p)
        table.append([p, "both", "", total, cpu, "", (f"{'within' if total <= BUDGET_S[p] else 'OVER'} the "
                      f"{BUDGET_S[p]:.0f} s budget")])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = ["profile", "family", "seeds", "wall s", "CPU s", "AER mean [95% interval]", "verdicts"]
    note = (f"Budget: quick <= 60 s, full <= 600 s for both families (wall time, judged against the wall column; "
            f"CPU s = this process's CPU time, the wall time of an idle machine). Load average at the end: {load:.1f}.")
    if args.no_record:
        print("| " + " | ".join(header) + " |")
        for row in table:
            print("| " + " | ".join(f"{c:.1f}" if isinstance(c, float) else str(c) for c in row) + " |")
    else:
        record("Attention semantics (Q-lookup, Q-align) profile time", header, table, note)


if __name__ == "__main__":
    main()
