"""The multi-seed trainer (torch.func stack + vmap) against a Python loop, at the sweeps' sizes.

A sweep of Q-cnn / Q-bias trains seeds x learning rates of one architecture as one stack (one
stack per MLP width: widths padded into one stack measured slower), each member with its own data
(per-seed split), batch order and learning rate (``train_stacked`` with a per-member lr and
``per_member_data``). The loop trains the same members one by one (``train_one``, torch.optim.Adam):
the same steps, batches and learning rates. One torch thread; CPU time (``time.process_time``), the
best of ``--repeats`` interleaved runs, so that the load of a shared machine inflates both alike.
Targets: at least 5x for the MLP, at least 3x for the CNN.

    python benchmarks/bench_multiseed.py [--steps 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from _results import record
from torch import nn

from dlclaims.core.multiseed import StackedModels, train_one, train_stacked
from dlclaims.core.threads import limit_threads
from dlclaims.experiments.cnn import cnn_maker, mlp_maker, seed_data

BATCH = 64
Maker = Callable[[torch.Generator], nn.Module]
# (label, regime, canvas, [(stacked maker, loop maker) per group], seeds, lrs): the stacks of the quick and full
# profiles; MLP widths share one stack as padded nets (ShallowReLU), the loop trains each at its own width
MLP_QUICK, MLP_FULL = (8, 16, 32, 64, 128), (8, 16, 32, 64, 128)


def _mlp_groups(side: int, widths: tuple[int, ...]) -> list[tuple[Maker, Maker]]:
    return [(mlp_maker(side, w), mlp_maker(side, w)) for w in widths]


def _cnn_groups(side: int, c1: int, head: str) -> list[tuple[Maker, Maker]]:
    return [(cnn_maker(side, c1, head), cnn_maker(side, c1, head))]


CASES = [
    ("MLP 64-32-10, 8x8 digits, 16 seeds x 1 lr (the earlier benchmark's stack)", "digits", 14,
     lambda s: _mlp_groups(s, (32,)), 16, (1e-2,)),
    ("MLP widths (8 .. 128), 8x8 digits, quick (per width 2 lrs x 3 seeds)", "digits", 14,
     lambda s: _mlp_groups(s, MLP_QUICK), 3, (1e-2, 3e-2)),
    ("MLP widths (8 .. 128), 8x8 digits, full (per width 3 lrs x 5 seeds)", "digits", 16,
     lambda s: _mlp_groups(s, MLP_FULL), 5, (3e-3, 1e-2, 3e-2)),
    ("CNN 4/8 ch, pooled, 8x8 digits, quick (2 lrs x 3 seeds)", "digits", 14,
     lambda s: _cnn_groups(s, 4, "pooled"), 3, (1e-2, 3e-2)),
    ("CNN 8/16 ch, flatten, 8x8 digits, full (3 lrs x 5 seeds)", "digits", 16,
     lambda s: _cnn_groups(s, 8, "flatten"), 5, (3e-3, 1e-2, 3e-2)),
    ("CNN 4/8 ch, flatten, 14x14 canvas, quick (2 lrs x 3 seeds)", "canvas", 14,
     lambda s: _cnn_groups(s, 4, "flatten"), 3, (1e-2, 3e-2)),
]


def one_case(regime: str, canvas: int, groups_of: Callable, n_seeds: int, lrs: tuple[float, ...], steps: int,
             repeats: int) -> tuple[int, float, float]:
    seeds = tuple(range(n_seeds))
    data = seed_data(regime, seeds, canvas=canvas, margin=2)
    groups = groups_of(data.side)
    members = [(g, a, k) for g in range(len(groups)) for a in lrs for k in range(n_seeds)]  # (group, lr, seed)
    r = torch.tensor([k for _, _, k in members])
    x, y = data.x_train[r], data.y_train[r]  # (M, N, P), (M, N)
    lr = [a for _, a, _ in members]
    kw = {"loss": F.cross_entropy, "steps": steps, "batch_size": BATCH}

    def stacked() -> None:  # one stack per group (an architecture), its lrs x seeds together
        for g in range(len(groups)):
            mine = [m for m, (gg, _, _) in enumerate(members) if gg == g]
            models = [groups[g][0](torch.Generator().manual_seed(members[m][2])) for m in mine]
            stack = StackedModels.from_models(models, [members[m][2] for m in mine])
            sel = torch.tensor(mine)
            train_stacked(stack, x[sel], y[sel], lr=[lr[m] for m in mine], per_member_data=True, **kw)

    def loop() -> None:
        for m, (g, a, k) in enumerate(members):
            train_one(groups[g][1](torch.Generator().manual_seed(k)), x[m], y[m], seed=k, lr=a, **kw)

    best = {"stacked": float("inf"), "loop": float("inf")}
    for _ in range(repeats):
        for name, fn in (("stacked", stacked), ("loop", loop)):
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return len(members), best["loop"], best["stacked"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []
    load0 = os.getloadavg()[0]
    with limit_threads(1):
        for label, regime, canvas, groups_of, n_seeds, lrs in CASES:
            m, loop, stacked = one_case(regime, canvas, groups_of, n_seeds, lrs, args.steps, args.repeats)
            target = 5 if label.startswith("MLP") else 3
            rows.append([label, m, args.steps, loop, stacked, f"{loop / stacked:.1f}x", f">= {target}x"])
            print(rows[-1], flush=True)
    load1 = os.getloadavg()[0]
    record("Multi-seed trainer vs Python loop", ["sweep", "members", "steps", "loop CPU (s)", "stack+vmap CPU (s)",
                                                 "speed-up", "target"], rows,
           note=f"Seeds x learning rates trained as one stack (per-member lr and data, Adam, batch {BATCH}) against "
                "the same members in a Python loop; 1 torch thread, CPU time (process_time), best of "
                f"{args.repeats} interleaved runs; load average {load0:.1f} at the start, {load1:.1f} at the end.")


if __name__ == "__main__":
    main()
