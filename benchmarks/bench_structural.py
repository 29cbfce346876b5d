"""Benchmark: what the structural extractors (tables, orders, formulas) find on the real-answer corpus.

Reads ../shared/checker-corpus at run time (skips when absent; no corpus text is copied anywhere): every
answer of every sheet goes through units() and the structural extractors of every family that has them
(complexity, sequences, formulas), without the family matcher, so precision here is a lower bound (an order
in a Q-linattn answer also reads as a Q-seq one). Each finding is graded against a store whose verdicts are
what theory says (tests/check/check_fixtures.py) and compared with the label's grade.

    python benchmarks/bench_structural.py [--record]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "checker-corpus"
sys.path.insert(0, str(ROOT / "tests" / "check"))

CLAIMS = ("minmax.table", "minmax.equilibrium", "linattn.cost", "elbo.decomposition", "elbo.bound", "lookup.average",
          "seq.time-train", "seq.time-infer", "seq.memory")
FAMILIES = ("Q-seq", "Q-linattn", "Q-elbo", "Q-minmax", "Q-lookup")
GRADE = {"right": "right", "wrong": "wrong", "partly": "partly"}


def labels(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cols = line.split("\t")
        if cols[0] in CLAIMS:
            out.setdefault(cols[0], cols[2])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", action="store_true", help="write the table to benchmarks/RESULTS.md")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: no corpus at {CORPUS}")
        return 0
    from check_fixtures import build_store

    from dlclaims.check import load_verdicts
    from dlclaims.check.complexity import complexity
    from dlclaims.check.formulas import formulas
    from dlclaims.check.grade import grade
    from dlclaims.check.segment import segment
    from dlclaims.check.series import sequences
    from dlclaims.check.units import units

    with tempfile.TemporaryDirectory() as tmp:
        verdicts = load_verdicts(build_store(Path(tmp) / "s.sqlite"))
    per: dict[str, Counter] = {c: Counter() for c in CLAIMS}
    cpu = 0.0
    sheets = sorted(CORPUS.glob("labels-dev-*.tsv"))
    for lab in sheets:
        want = labels(lab)
        text = (CORPUS / (lab.name[len("labels-"):-len(".tsv")] + ".md")).read_text(encoding="utf-8")
        t0 = time.process_time()
        found: dict[str, str] = {}
        for seg in segment(text):
            every = [u for p in seg.parts for u in units(p.text, p.label)]
            us = [u for u in every if not u.asks]
            for fam in FAMILIES:
                for a in complexity(fam, us) + sequences(fam, every) + formulas(fam, us):
                    if a.claim in CLAIMS and a.claim not in found:
                        found[a.claim] = grade(a, verdicts.get(a.claim))[0]
        cpu += time.process_time() - t0
        for c in CLAIMS:
            k = per[c]
            if c in want:
                k["labelled"] += 1
                k["found"] += c in found
                if c in found and want[c] in GRADE:
                    k["graded"] += 1
                    k["same grade"] += found[c] == want[c]
            elif c in found:
                k["extra"] += 1
    rows = []
    for c in CLAIMS:
        k = per[c]
        rows.append([c, k["labelled"], k["found"], k["extra"], f"{k['same grade']}/{k['graded']}"])
    tot = sum((per[c] for c in CLAIMS), Counter())
    rows.append(["total", tot["labelled"], tot["found"], tot["extra"], f"{tot['same grade']}/{tot['graded']}"])
    header = ["claim", "labelled", "found", "found, not labelled", "grade as labelled (firm labels)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    note = (f"{len(sheets)} sheets; every answer read for every family (no family gate); CPU time of the "
            f"extractors {cpu:.2f} s in all, {1000 * cpu / max(len(sheets), 1):.0f} ms per sheet.")
    print(note)
    if args.record:
        from _results import record

        record("Checker: structural extractors on the real-answer corpus", header, rows, note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
