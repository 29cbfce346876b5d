"""The multi-seed trainer (stacked kernels, fused Adam) against a Python loop, at the sweeps' sizes.

A sweep of Q-cnn / Q-bias trains seeds x learning rates of one architecture as one stack (one stack
per MLP width, per CNN size and head), each member with its own data (per-seed split), batch order and
learning rate (``train_stacked`` with a per-member lr and ``per_member_data``). The loop trains the same
members one by one (``train_one``: the module itself and torch.optim.Adam with its defaults, as any
single run would): the same steps, batches and learning rates. One torch thread; CPU time
(``time.process_time``), the best of ``--repeats`` interleaved runs, so that the load of a shared
machine inflates both alike. Targets: at least 5x for the MLP, at least 3x for the CNN.

The stack runs ``StackedModels.kernel``: an MLP as batched matmuls (baddbmm over (S, D_in, D_out)
weights), the CNN as one grouped convolution per layer (members folded into channels, groups=S,
channels-last); the parameters live in one flat buffer whose Adam step is one fused kernel per distinct
learning rate. ``--vmap`` measures the stack through vmap(functional_call) instead (the earlier trainer's
forward), for comparison.

Measured on the way (1 thread, CPU time, fwd+bwd of the stacked CNN, 6-15 members, 8x8 to 14x14 maps):
kept: channels-last grouped convolution (2x over the default layout), max-pool before the ReLU and the
head read in the conv's memory order (the backward stays in one layout: 1.3-1.5x), flat parameters with
one fused Adam per lr, one index_select per batch, one fused cross-entropy, no per-step .tolist().
Not kept: conv1 as unfold + bmm (1.8-2x slower than the grouped conv) or as 9 shifted einsums (2.5x
slower); max-pool as reshape + amax (slower, and it splits the gradient between tied maxima); padding
the channels per group to 8 or 16 (cost grows with the channels); a contiguous copy of the head's input
(no change); glibc malloc thresholds (both sides 13% faster, the ratio unchanged); the members that share a
seed (the same batches) as one bmm over the distinct inputs with their weights side by side (1.0-1.1x).
Wide nets on the 16x16 canvas are bound by the matmuls and convolutions themselves, which a loop runs
as fast: there the stack removes only the loop's per-step overhead.
The conv-pool CNN (models.conv_pool.ConvPoolCNN) reuses the CNN kernel's stem (depthwise conv1, max-pool
before ReLU), its grouped conv2 and its flatten head, with a second max-pool before the head's ReLU;
``--only ConvPool --vmap`` measured it 2.1-2.6x faster than the vmap fallback it replaces.

    python benchmarks/bench_multiseed.py [--steps 100] [--repeats 3] [--vmap] [--only ConvPool]
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
from dlclaims.models.cnn import HEADS

BATCH = 64
Maker = Callable[[torch.Generator], nn.Module]
MLP_WIDTHS = (8, 16, 32, 64, 128)  # Q-cnn's MLP sweep (quick and full)
CNN_CHANNELS = (2, 4, 8)  # Q-cnn's CNN sweep (C_1; both heads)
CONVPOOL_QUICK, CONVPOOL_FULL = (2, 4, 6), (2, 4, 6, 8)  # Q-cnn's conv-pool sweep (C_1), quick and full


def _mlp_groups(side: int, widths: tuple[int, ...]) -> list[Maker]:
    return [mlp_maker(side, w) for w in widths]


def _cnn_groups(side: int, channels: tuple[int, ...], heads: tuple[str, ...]) -> list[Maker]:
    return [cnn_maker(side, c, h) for c in channels for h in heads]


# (label, regime, canvas, makers per group (one stack each), seeds, lrs): Q-cnn's quick profile is 3 seeds x
# lrs (1e-2, 3e-2) on 8x8 digits and a 14x14 canvas; the full profile 5 seeds x (3e-3, 1e-2, 3e-2), canvas 16
CASES = [
    ("MLP 64-32-10, 8x8 digits, 16 seeds x 1 lr (the earlier benchmark's stack)", "digits", 14,
     lambda s: _mlp_groups(s, (32,)), 16, (1e-2,)),
    ("MLP sweep (widths 8 .. 128), 8x8 digits, quick (per width 2 lrs x 3 seeds)", "digits", 14,
     lambda s: _mlp_groups(s, MLP_WIDTHS), 3, (1e-2, 3e-2)),
    ("MLP sweep (widths 8 .. 128), 8x8 digits, full (per width 3 lrs x 5 seeds)", "digits", 16,
     lambda s: _mlp_groups(s, MLP_WIDTHS), 5, (3e-3, 1e-2, 3e-2)),
    ("MLP sweep (widths 8 .. 128), 16x16 canvas, full (per width 3 lrs x 5 seeds)", "canvas", 16,
     lambda s: _mlp_groups(s, MLP_WIDTHS), 5, (3e-3, 1e-2, 3e-2)),
    ("CNN 4/8 ch, pooled, 8x8 digits, quick (2 lrs x 3 seeds)", "digits", 14,
     lambda s: _cnn_groups(s, (4,), ("pooled",)), 3, (1e-2, 3e-2)),
    ("CNN 8/16 ch, flatten, 8x8 digits, full (3 lrs x 5 seeds)", "digits", 16,
     lambda s: _cnn_groups(s, (8,), ("flatten",)), 5, (3e-3, 1e-2, 3e-2)),
    ("CNN 4/8 ch, flatten, 14x14 canvas, quick (2 lrs x 3 seeds)", "canvas", 14,
     lambda s: _cnn_groups(s, (4,), ("flatten",)), 3, (1e-2, 3e-2)),
    ("CNN 4/8 ch, flatten, 16x16 canvas, full (3 lrs x 5 seeds)", "canvas", 16,
     lambda s: _cnn_groups(s, (4,), ("flatten",)), 5, (3e-3, 1e-2, 3e-2)),
    ("CNN sweep (C_1 2, 4, 8 x both heads), 8x8 digits, quick (per net 2 lrs x 3 seeds)", "digits", 14,
     lambda s: _cnn_groups(s, CNN_CHANNELS, HEADS), 3, (1e-2, 3e-2)),
    ("CNN sweep (C_1 2, 4, 8 x both heads), 14x14 canvas, quick (per net 2 lrs x 3 seeds)", "canvas", 14,
     lambda s: _cnn_groups(s, CNN_CHANNELS, HEADS), 3, (1e-2, 3e-2)),
    ("CNN sweep (C_1 2, 4, 8 x both heads), 16x16 canvas, full (per net 3 lrs x 5 seeds)", "canvas", 16,
     lambda s: _cnn_groups(s, CNN_CHANNELS, HEADS), 5, (3e-3, 1e-2, 3e-2)),
    # models.conv_pool.ConvPoolCNN (conv-ReLU-maxpool twice, flatten head) at Q-cnn's sizes: C_1 2, 4, 6 (quick;
    # the full profile adds 8); 8x8 digits with 6 seeds (quick) / 10 (full), the canvas with 3 / 5 seeds
    ("ConvPool sweep (C_1 2, 4, 6), 8x8 digits, quick (per net 2 lrs x 6 seeds)", "digits", 14,
     lambda s: _cnn_groups(s, CONVPOOL_QUICK, ("convpool",)), 6, (1e-2, 3e-2)),
    ("ConvPool sweep (C_1 2, 4, 6), 14x14 canvas, quick (per net 2 lrs x 3 seeds)", "canvas", 14,
     lambda s: _cnn_groups(s, CONVPOOL_QUICK, ("convpool",)), 3, (1e-2, 3e-2)),
    ("ConvPool sweep (C_1 2, 4, 6, 8), 8x8 digits, full (per net 3 lrs x 10 seeds)", "digits", 16,
     lambda s: _cnn_groups(s, CONVPOOL_FULL, ("convpool",)), 10, (3e-3, 1e-2, 3e-2)),
    ("ConvPool sweep (C_1 2, 4, 6, 8), 16x16 canvas, full (per net 3 lrs x 5 seeds)", "canvas", 16,
     lambda s: _cnn_groups(s, CONVPOOL_FULL, ("convpool",)), 5, (3e-3, 1e-2, 3e-2)),
]


def one_case(regime: str, canvas: int, groups_of: Callable, n_seeds: int, lrs: tuple[float, ...], steps: int,
             repeats: int, with_vmap: bool = False) -> tuple[int, dict[str, float]]:
    """(members, best CPU seconds of "loop", "stacked" and, ``with_vmap``, "vmap": the stack without kernels)."""
    seeds = tuple(range(n_seeds))
    data = seed_data(regime, seeds, canvas=canvas, margin=2)
    groups = groups_of(data.side)  # one maker per stack
    members = [(g, a, k) for g in range(len(groups)) for a in lrs for k in range(n_seeds)]  # (group, lr, seed)
    r = torch.tensor([k for _, _, k in members])
    x, y = data.x_train[r], data.y_train[r]  # (M, N, P), (M, N)
    lr = [a for _, a, _ in members]
    kw = {"loss": F.cross_entropy, "steps": steps, "batch_size": BATCH}

    def stacked(vmap_only: bool = False) -> None:  # one stack per group (an architecture), its lrs x seeds together
        for g in range(len(groups)):
            mine = [m for m, (gg, _, _) in enumerate(members) if gg == g]
            models = [groups[g](torch.Generator().manual_seed(members[m][2])) for m in mine]
            stack = StackedModels.from_models(models, [members[m][2] for m in mine])
            if vmap_only:  # the earlier trainer's forward: vmap(functional_call) over the stack
                stack._kernel_checked = True
            sel = torch.tensor(mine)
            train_stacked(stack, x[sel], y[sel], lr=[lr[m] for m in mine], per_member_data=True, **kw)

    def loop() -> None:
        for m, (g, a, k) in enumerate(members):
            train_one(groups[g](torch.Generator().manual_seed(k)), x[m], y[m], seed=k, lr=a, **kw)

    runs: dict[str, Callable[[], None]] = {"stacked": stacked, "loop": loop}
    if with_vmap:
        runs["vmap"] = lambda: stacked(vmap_only=True)
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, fn in runs.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return len(members), best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vmap", action="store_true", help="also time the stack through vmap (no kernels)")
    ap.add_argument("--only", default="", help="run only the sweeps whose label starts with this (e.g. ConvPool)")
    args = ap.parse_args()
    rows = []
    load0 = os.getloadavg()[0]
    with limit_threads(1):
        for label, regime, canvas, groups_of, n_seeds, lrs in CASES:
            if not label.startswith(args.only):
                continue
            m, t = one_case(regime, canvas, groups_of, n_seeds, lrs, args.steps, args.repeats, args.vmap)
            target = 5 if label.startswith("MLP") else 3
            extra = [t["vmap"], f"{t['loop'] / t['vmap']:.1f}x"] if args.vmap else []
            rows.append([label, m, args.steps, t["loop"], t["stacked"], f"{t['loop'] / t['stacked']:.1f}x", *extra,
                         f">= {target}x", f"{os.getloadavg()[0]:.1f}"])
            print(rows[-1], flush=True)
    load1 = os.getloadavg()[0]
    header = ["sweep", "members", "steps", "loop CPU (s)", "stacked CPU (s)", "speed-up",
              *(["stack via vmap CPU (s)", "vmap speed-up"] if args.vmap else []), "target", "load average"]
    section = "Multi-seed trainer vs Python loop" + (f" ({args.only} sweeps)" if args.only else "")
    record(section, header, rows,
           note=f"Seeds x learning rates trained as one stack per architecture (per-member lr and data, Adam, batch "
                f"{BATCH}; stacked kernels: baddbmm MLP, one channels-last grouped convolution per CNN layer, flat "
                "fused Adam) against the same members in a Python loop (the module and torch.optim.Adam's defaults); "
                f"1 torch thread, CPU time (process_time), best of {args.repeats} interleaved runs; load average "
                f"{load0:.1f} at the start, {load1:.1f} at the end (2 shared cores: the load inflates both sides).")


if __name__ == "__main__":
    main()
