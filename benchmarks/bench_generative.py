"""Generative families (elbo, gen, diffusion, latent, gan): profile times and the multi-seed speed-up.

    python benchmarks/bench_generative.py            # multi-seed speed-up + quick profile (default seeds)
    python benchmarks/bench_generative.py --full     # ... and the full profile (up to ~20 min)
    python benchmarks/bench_generative.py --only elbo diffusion gen --skip-speedup

Budgets: quick profile of all five <= 120 s, full <= 20 min, on the 2-core machine; elbo + diffusion +
gen alone: quick <= 30 s of CPU time on one thread, full <= ~6 min. Each experiment runs on its own and
its CPU seconds (user + sys of this process, which the load of other jobs does not inflate) are recorded
beside the wall-clock seconds (which it does).
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import tempfile
import time
from pathlib import Path

import torch
from _results import record

from dlclaims.core.multiseed import StackedModels, train_one, train_stacked
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store
from dlclaims.data.digits import load_digits_split
from dlclaims.experiments.gen import single_thread
from dlclaims.models.autoencoder import Autoencoder, bce_loss

IDS = ["Q-elbo", "Q-gen", "Q-diffusion", "Q-latent", "minmax.gan"]
EXPS = {"elbo", "gen", "diffusion", "latent", "gan"}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def multiseed_speedup(seeds: int = 5, steps: int = 250, repeats: int = 3) -> None:
    """Loop vs stack+vmap, alternated ``repeats`` times (medians), so a load spike hits both alike."""
    x = load_digits_split().x_train
    rows = []
    for h in (4, 64):
        def make(g: torch.Generator, h: int = h) -> Autoencoder:
            return Autoencoder(64, h, 128, generator=g)

        def loop(make=make) -> None:
            for s in range(seeds):
                train_one(make(torch.Generator().manual_seed(s)), x, x, seed=s, loss=bce_loss, steps=steps,
                          batch_size=128, lr=2e-3)

        def stacked(make=make) -> None:
            train_stacked(StackedModels.create(make, range(seeds)), x, x, loss=bce_loss, steps=steps,
                          batch_size=128, lr=2e-3)

        for label, ctx in (("1 thread", single_thread), ("default threads", contextlib.nullcontext)):
            times: dict[str, list[float]] = {"loop": [], "stacked": []}
            with ctx():
                for _ in range(repeats):
                    for name, fn in (("loop", loop), ("stacked", stacked)):
                        t0 = time.perf_counter()
                        fn()
                        times[name].append(time.perf_counter() - t0)
            lo, st = statistics.median(times["loop"]), statistics.median(times["stacked"])
            rows.append([h, seeds, steps, label, lo, st, f"{lo / st:.1f}x"])
    record("Generative: multi-seed trainer on the Q-latent autoencoders",
           ["h", "seeds", "steps", "threads", "loop (s)", "stack+vmap (s)", "speed-up"], rows,
           note=f"Autoencoder 64-128-h-128-64 on the digits, batch 128, Adam; the same batches in both; "
                f"medians of {repeats} alternated runs.")


def profile(name: str, seeds: int | None = None, only: list[str] | None = None) -> None:
    exps = set(only) if only else EXPS
    with tempfile.TemporaryDirectory() as d:
        store = Store.open(Path(d) / "s.sqlite")
        plans = [p for p in plans_for(IDS, profile=name, seeds=seeds, sets={}, device="cpu")
                 if p.experiment.id in exps]
        rows = []
        total_cpu = total_wall = 0.0
        failed: dict[str, str] = {}
        for p in plans:  # one at a time, so each experiment's CPU seconds are its own
            c0, t0 = cpu_seconds(), time.perf_counter()
            summary = run_plans([p], store)
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            total_cpu, total_wall = total_cpu + cpu, total_wall + wall
            failed |= summary.failed
            statuses = ", ".join(f"{v.claim.split('.', 1)[1]}={v.status} ({v.evidence})"
                                 for v in summary.verdicts.get(p.experiment.id, []))
            rows.append([p.experiment.id, len({s for t in p.tasks for s in t.seeds}), f"{wall:.1f}", f"{cpu:.1f}",
                         statuses])
        rows.append(["all (incl. judging and figures)", "", f"{total_wall:.1f}", f"{total_cpu:.1f}",
                     f"failed: {failed or 'none'}"])
    budget = "120 s" if name == "quick" else "20 min"
    section = f"Generative: {name} profile" + (f" ({', '.join(sorted(exps))})" if only else "")
    record(section, ["experiment", "seeds", "wall s", "CPU s", "verdicts"], rows,
           note=f"Budget: {budget} for all five on the 2-core machine; elbo + diffusion + gen: "
                f"{'30 s' if name == 'quick' else '~6 min'} of CPU on one thread.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also time the full profile")
    ap.add_argument("--skip-quick", action="store_true")
    ap.add_argument("--skip-speedup", action="store_true")
    ap.add_argument("--only", nargs="+", choices=sorted(EXPS), help="profile only these experiments")
    args = ap.parse_args()
    if not args.skip_speedup:
        multiseed_speedup()
    if not args.skip_quick:
        profile("quick", only=args.only)
    if args.full:
        profile("full", only=args.only)


if __name__ == "__main__":
    main()
