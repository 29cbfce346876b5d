"""Benchmark: writing the report for every claim of the catalogue, figures already made (budget: 5 s).

A synthetic store holds one verdict per catalogue claim with numbers shaped like
the real ones (intervals over seeds, sweeps as dicts of dicts, curves of a few
hundred values), two real-size PNG figures per experiment, and graded sheets
(30 sheets x 20 findings, so the sheet pages and the class summary are written
too). Times:

- ``write_report`` into a fresh folder (first call in the process: templates
  compiled, every figure copied);
- ``write_report`` again into the same folder (figures unchanged: not copied);
- ``dlclaims report`` as a user runs it (a new process: imports included).

Usage: ``python benchmarks/bench_report.py [--store PATH] [--repeats N]`` (``--store``: also time a
real store). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 5.0


def make_store(root: Path) -> Path:
    """A store with a verdict for every claim of the catalogue, figures on disk and 30 graded sheets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from dlclaims.core.catalogue import questions
    from dlclaims.core.store import Store
    from dlclaims.core.types import verdict, verdict_from_parts

    path = root / "dlclaims-results" / "store.sqlite"
    figures = path.parent / "figures"
    figures.mkdir(parents=True)
    # One real-size figure drawn once (4 panels, log axes, as the families draw them), copied per name.
    x = np.geomspace(1, 1e4, 200)
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
    for k, ax in enumerate(axes):
        for j in range(6):
            ax.loglog(x, x ** (0.3 * j - 0.5 * k) + 1e-9, label=f"eta={j}")
        ax.set_xlabel("step")
        ax.set_ylabel("|z|")
        ax.legend(fontsize=6)
    template = figures / "template.png"
    fig.savefig(template, dpi=110, bbox_inches="tight")
    plt.close(fig)

    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        for qi, q in enumerate(questions()):
            exp = q.id.removeprefix("Q-")
            names = {"curve": f"{exp}-curve.png", "sweep": f"{exp}-sweep.png"}
            for f in names.values():
                shutil.copyfile(template, figures / f)
            vs = []
            for ci, c in enumerate(q.claims):
                m = float(rng.normal(2, 0.3))
                numbers = {
                    "slope_t": {"slope": m, "lo": m - 0.1, "hi": m + 0.1, "intercept": -3.2, "r2": 0.998, "n_points": 6},
                    "accuracy": {"mean": 0.91, "lo": 0.89, "hi": 0.93, "n": 5},
                    "sweep": {rule: {f"{eta:g}": float(rng.lognormal()) for eta in (0.05, 0.1, 0.2, 0.5, 0.8, 1, 1.5, 1.9)}
                              for rule in ("simultaneous", "alternating", "extragradient", "optimistic")},
                    "curve": rng.normal(size=300).tolist(),
                    "per_seed": [{"seed": s, "loss": float(rng.random()), "acc": float(rng.random())} for s in range(5)],
                    "holds_for": {f"h={h}": bool(rng.random() > 0.3) for h in (2, 4, 8, 16, 32)},
                }
                kind = (qi + ci) % 4
                if kind == 3:
                    vs.append(verdict_from_parts(c.id, parts={"small t": True, "large t": False},
                                                 rule="both regimes must hold", numbers=numbers, figures=["curve"]))
                else:
                    vs.append(verdict(c.id, holds=(True, False, None)[kind], rule="the slope interval lies above 1.5 "
                                      "and the accuracy interval above 0.85", numbers=numbers,
                                      figures=["curve", "sweep"]))
            store.put_verdicts(exp, vs, questions={c.id: q.id for c in q.claims}, profile="quick", seeds=[0, 1, 2],
                               device="cpu", config_hash="bench", figure_files=names)
        claims = [c for q in questions() for c in q.claims]
        for s in range(30):
            findings = [{"question": c.question, "claim": c.id, "quote": f"sheet {s} says <b>{c.claim[:80]}</b>",
                         "says": "asserts", "verdict": "supported", "grade": ("right", "wrong", "partly", "unknown")[
                             (s + i) % 4], "evidence": {"rule": "r", "numbers": {"x": 1.0}, "report": f"#{c.id}"}}
                        for i, c in enumerate(claims[(s % 20):(s % 20) + 20])]
            store.put_check(f"class/sheet-{s:02d}.md", {"sheet": f"class/sheet-{s:02d}.md", "findings": findings,
                                                        "score": 0.5})
    template.unlink()
    return path


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None, help="also time a real store")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")

    from dlclaims.core.catalogue import claims_by_id
    from dlclaims.report import write_report

    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = make_store(root)
        n_claims = len(claims_by_id())
        first = timed(lambda: write_report(store, root / "out"), 1)[0]
        again = min(timed(lambda: write_report(store, root / "out"), args.repeats))
        fresh = min(timed(lambda: write_report(store, Path(tempfile.mkdtemp(dir=root))), args.repeats))
        env = {**os.environ, "MPLBACKEND": "Agg"}
        cli = min(timed(lambda: subprocess.run([sys.executable, "-m", "dlclaims", "report", "--store", str(store),
                                                "--out", str(root / "cli")], check=True, env=env,
                                               capture_output=True), args.repeats))
        n_figs = len(list((root / "out" / "figures").glob("*.png")))
        what = f"{n_claims} claims, {n_figs} figures, 30 sheets"
        rows += [("write_report, first call (templates compiled, figures copied)", what, first),
                 ("write_report, new folder (figures copied)", what, fresh),
                 ("write_report, same folder (figures unchanged)", what, again),
                 ("`dlclaims report` (new process, imports included)", what, cli)]
        if args.store:
            real = min(timed(lambda: write_report(args.store, root / "real"), args.repeats))
            rows.append(("write_report, real store", str(args.store), real))

    print(f"\n### bench_report ({platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')})\n")
    print("| what | data | seconds | budget |")
    print("|---|---|---|---|")
    for name, data, s in rows:
        print(f"| {name} | {data} | {s:.3f} | {'ok' if s <= BUDGET_S else 'OVER'} (<= {BUDGET_S:g} s) |")
    return 0 if all(s <= BUDGET_S for _, _, s in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
