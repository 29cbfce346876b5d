"""Benchmark of the vision and optimiser families (Q-depth, Q-cnn, Q-bias, Q-ema).

    python benchmarks/bench_vision.py                 # multi-seed speed-up + quick profile
    python benchmarks/bench_vision.py --full          # ... + the full profile (minutes)
    python benchmarks/bench_vision.py --threads 1     # pin torch's intra-op threads

Measures (1) the multi-seed trainer's speed-up: S seeds trained together (StackedModels +
train_stacked, torch.func.vmap) against the same S trainings in a Python loop (train_one),
for the MLP and the CNN of these families; (2) the wall time of each family's quick (and full)
profile through the runner into a temporary store. Prints a Markdown table.
Timings taken while other processes load the machine are not comparable: note the load.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from dlclaims.core.multiseed import StackedModels, train_one, train_stacked
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.data.digits import load_digits_split
from dlclaims.models.cnn import CNN
from dlclaims.models.mlp import MLP

FAMILIES = ("Q-depth", "Q-cnn", "Q-bias", "Q-ema")


def speedup(kind: str, seeds: int, steps: int) -> tuple[float, float]:
    """Seconds for ``seeds`` models trained stacked and in a loop (same data, steps, batch order)."""
    d = load_digits_split()

    def make(g: torch.Generator | None = None) -> torch.nn.Module:
        return MLP(64, (32,), 10, generator=g) if kind == "mlp" else CNN(8, (8, 16), generator=g)

    kw = {"loss": F.cross_entropy, "steps": steps, "batch_size": 64, "lr": 1e-2}
    stack = StackedModels.create(make, seeds=range(seeds))
    train_stacked(stack, d.x_train, d.y_train, **{**kw, "steps": 3})  # warm-up
    t0 = time.perf_counter()
    train_stacked(StackedModels.create(make, seeds=range(seeds)), d.x_train, d.y_train, **kw)
    stacked = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(seeds):
        train_one(make(torch.Generator().manual_seed(s)), d.x_train, d.y_train, seed=s, **kw)
    loop = time.perf_counter() - t0
    return stacked, loop


def profile_time(profile: str, seeds: int | None) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "s.sqlite")
        for q in FAMILIES:
            plans = plans_for([q], profile=profile, seeds=seeds, sets={}, device="cpu")
            t0 = time.perf_counter()
            summary = run_plans(plans, store)
            out[q] = time.perf_counter() - t0
            if summary.failed:
                raise SystemExit(f"{q} failed: {summary.failed}")
            for vs in summary.verdicts.values():
                for v in vs:
                    print(f"  {v.claim:24s} {v.status}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also time the full profile")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument("--steps", type=int, default=200, help="training steps of the speed-up runs")
    ap.add_argument("--skip-speedup", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [f"| threads | {torch.get_num_threads()} | load average at start {load:.2f} |", "|---|---|---|"]
    if not args.skip_speedup:
        for kind in ("mlp", "cnn"):
            for s in (4, 16):
                st, lp = speedup(kind, s, args.steps)
                rows.append(f"| multi-seed {kind}, S={s}, {args.steps} steps | stacked {st:.2f} s, loop {lp:.2f} s "
                            f"| speed-up x{lp / st:.2f} |")
                print(rows[-1], flush=True)
    profiles = ["quick"] + (["full"] if args.full else [])
    for p in profiles:
        times = profile_time(p, None)
        for q, t in times.items():
            rows.append(f"| {p} profile | {q} | {t:.1f} s |")
        rows.append(f"| {p} profile | all four | {sum(times.values()):.1f} s |")
        print(rows[-1], flush=True)
    print("\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
