"""Benchmark: grade 200 answer sheets of about two pages each from a stored run (target: <= 10 s).

Sheets are built from the labelled sheets under tests/sheets (shuffled answers, renumbered, padded to
about two pages), graded with ``check_sheets`` against a store holding one verdict per claim, in one process and with --jobs.

    python benchmarks/bench_check.py [--sheets 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
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


def _cli(paths: list[Path], store: Path, jobs: int | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the child and its workers) of ``dlclaims check --json`` on the sheets,
    output discarded; ``jobs`` None: the command's default (the CPUs)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dlclaims", "check", "--json", "--store", str(store),
                    *([] if jobs is None else ["--jobs", str(jobs)]), *map(str, paths)],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cold_load(sheet: Path, cache: Path) -> float:
    """CPU seconds of imports + model load + one sheet in a fresh process with an empty reference cache (the
    first check after the knowledge base changed: the TF-IDF fits and example embeddings are computed)."""
    import subprocess

    code = ("import time; c = time.process_time(); from dlclaims.check import check_text; "
            f"check_text(open({str(sheet)!r}).read(), None); print(time.process_time() - c)")
    env = {**os.environ, "DLCLAIMS_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return float(out.stdout.split()[-1])


SPEED_NOTE = ("Round 13 of issue 16: no speed work beyond one memo (whether a text says any opposite word, per text and "
              "sheet; output identical); this stop's readers cost less than the noise: the start-of-stop checker and "
              "this stop's, interleaved on the same 200 bench sheets in one process, took 15.8-20.3 s and 16.4-18.4 s "
              "CPU (2 runs each). This stop's machine is slower than the last one's (the checker this stop started "
              "from took 9.2-9.3 s there), so the absolute figures below are not comparable with earlier rounds'. "
              "Round 12 of issue 16: no speed work; this stop's readers (crossed models, comparatives, phases, "
              "comparison tables in columns, reported views) cost about 1-2% (the start-of-stop checker 9.00-9.22 s, "
              "this stop's 9.23-9.30 s CPU on the same 200 bench sheets, least of 4 runs, interleaved); the bench "
              "sheets now draw on 411 labelled sheets, whose longer answers (tables, OCR, derivations) cost more per "
              "two pages: one process takes 9.7-10.5 s load + CPU for 200 of them in runs at different moments of this "
              "shared machine (at the 10 s target, sometimes over it), a fresh `check --json --jobs 1` 10.9-11.8 s CPU, "
              "the default jobs 6.5-6.7 s wall on 2 CPUs. "
              "Round 11 of issue 16: no speed work beyond keeping this stop's readers in budget (quotations, heading "
              "topics, OCR digits read in every window, more opposite words): the opposite-word test memoised per sheet"
              " and a pair absent from a text found absent in one search (output identical); the bench sheets now draw"
              " on 339 labelled sheets. "
              "Round 10 of issue 16 (check --json byte-identical before and after on the 200 bench sheets, "
              "tests/sheets and the corpus): WordLlama token ids read piece by piece (the tokenizer has no pre-"
              "tokenizer, so its batch encode re-ran BPE over every word of every window; no vocabulary token "
              "crosses the start of a \"▁word\" piece, so each piece is encoded once per process and kept: tested "
              "against the batch encode), the TF-IDF idf scaling done in place with the sparse product's row layout"
              " (bit for bit), windows that read the same scored once (a tenth of them), the (W, R) window scores "
              "summed in place, formulas of plain ASCII operands kept as written without pylatexenc (which returns "
              "them unchanged: tested), the JSON output converted in one pass: 200 bench sheets 10.07 -> 8.81 s CPU"
              " in one process (least of 4 runs, old and new interleaved at the same moment), a fresh `check --json"
              " --jobs 1` 12.2 -> 10.9 s CPU (least of 3, interleaved, at a busier moment of this shared machine). "
              "Tried, no gain: scoring several sheets' windows in one batch (the products cost the same per row; "
              "with 2 BLAS threads a tight loop of products only looked cheaper), more or fewer dense rows in the "
              "character product (150 examples is the best cut), a dense word product. The bench sheets now draw on 292 "
              "labelled sheets (longer answers): one process takes 9.6-10.0 s load + CPU for 200 of them (least of 3 "
              "runs), a fresh `check --json --jobs 1` 10.7-12.7 s CPU (the start-of-stop checker 13.3 s at the same "
              "moment), the default jobs 6.3-7.3 s wall on 2 CPUs. "
              "Round 9 of issue 16: no speed work; this stop's readers (code blocks, PDF text layers, more opposite "
              "words, step-size settings) cost within the noise (the start-of-stop checker took 10.37 s, the end "
              "10.34 s on the same bench sheets, least of 4 runs); the bench sheets now draw on 256 labelled sheets "
              "with longer answers, and one process takes 10.3-11.0 s load + CPU for 200 of them: over the 10 s "
              "target in one process; a fresh `check --json` with the default --jobs on 2 CPUs takes 7.3-7.8 s wall. "
              "Round 8 of issue 16 (output identical before and after each step on the 200 bench sheets, tests/sheets "
              "and the corpus): the ELBO formula reader skips sentences with neither 'kl' nor 'log' and the series "
              "reader those without a digit (every formula or series they read has one), a sentence's negation "
              "reading and content words are memoised per sheet (cleared between sheets: the bench repeats answers, "
              "real sheets do not), no stem set is built for a text without a negation, and the retraction markers "
              "are searched without their optional bracket: 9.10 -> 8.69 s CPU for the 200 bench sheets (least of 4 "
              "runs each, same machine, same moment); this round's readers (retractions, comparisons, role links "
              "through the reconstruction, line-item models) cost less than the noise. "
              "Round 7 of issue 16 (check --json identical before and after on the 200 bench sheets, tests/sheets and "
              "the corpus): the family scores take a dense (V, 14) transpose of the family documents (sparse-by-"
              "dense, the same floats in the same order), and the window-by-example character product holds the 150+"
              "-example n-grams dense (ngrams.SplitProduct: a third less time for that product; its sums in another "
              "order, differences ~1e-16): 10.7 -> 9.9 s load + CPU on the bench sheets of that time; this round's "
              "readers (missing headings, opposite words, pair runs, derivation chains) then added ~3%, one "
              "combined search for the opposite words took half of it back. The bench sheets again draw on longer "
              "answers (93 wild sheets, tables and derivations among them): the checker of this round's start takes 10.2 s on "
              "them, this round's end 10.1 s (one run each; the noise is about 0.3 s). "
              "Round 6 of issue 16: the bench's sheets now also draw on the 36 longer tests/sheets/wild_* "
              "answers (findings per sheet fell, sentences per sheet rose); on the same bench sheets (24 of them "
              "then) the checker of the round's start took 10.1 s (load + CPU), this round's readers (claim "
              "classifier, role links, step tables, orders, stance abstention) about 5% more, three shortcuts "
              "(no role word, all words known, a block's own family readers not run twice; output byte-identical) "
              "took back about 2%: one process is at 10.2-10.3 s, 2-3% over the 10 s target; a fresh `check "
              "--json` with the default --jobs on 2 CPUs takes 6.3-6.4 s wall. Tried, no gain: caching the "
              "stance's clause and negation helpers. "
              "Round 4 of issue 16 (check --json byte-identical before and after every step on the 200 bench sheets, "
              "tests/sheets and the corpus): the fitted reference matrices (TF-IDF of the knowledge base's examples "
              "and of the family documents, the examples' WordLlama embeddings) are cached on disk under the user "
              "cache dir, keyed by a SHA-256 of their input texts, settings and library versions (never stale), and "
              "the TF-IDF transforms run without scikit-learn (check/ngrams.py: word counts and l2 norm bit-identical "
              "to sklearn's), so a check imports no scikit-learn (0.7 s of imports, SciPy's statistics included): load "
              "~2.3 s -> ~1.1 s CPU; family terms searched only for the family a match reports; the alias regex as a "
              "trie (3x faster); token embedding sums position by position over all windows (same float32 bits, 2x "
              "faster); abbreviation patterns only where their key occurs (4x faster); the candidates' features "
              "for all claims at once (bit-identical, ~0.1 s). Tried, not kept (no gain): "
              "X @ diag(idf) as an in-place scaling (0.12 -> 0.12 s per 200 calls), the per-claim maxima by "
              "reduceat (2x slower), TOKENIZERS_PARALLELISM=false (within noise), char n-gram counts as a (text x word) "
              "by (word x n-gram) product (same speed), float32 or a dense block for the frequent n-grams in the "
              "window-by-example TF-IDF product (no gain, or 20% of it with other rounding), skipping the Markdown "
              "parse without a delimiter row (0.07 s). Not tried: caching work per "
              "text across sheets (the bench repeats answers, real sheets do not; ocr_lower's cache is per sheet "
              "for that reason). Where the grading CPU goes now (200 sheets, ~9 s): window scoring ~4 s (the "
              "window-by-example character TF-IDF product ~1 s, tokenizing ~0.5 s, n-gram counts and TF-IDF ~0.8 s), "
              "family matching ~1.5 s, sentence units and OCR clean-up ~1 s, structural extractors ~1.2 s, stance "
              "votes ~0.6 s. `--jobs N` (default: the CPUs) forks workers after the models are loaded: same "
              "output, same order; it shortens the wall time only where cores are free (not on this loaded machine). CPU time is the fair figure on this shared machine (about 7 jobs on 2 cores "
              "while measured; wall times are inflated).")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sheets", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2, help="processes for the parallel run (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="one-process runs; the least CPU is reported (default 3)")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    from check_fixtures import build_store

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store = build_store(tmp / "s.sqlite")
        paths = make_sheets(args.sheets, tmp)
        size = sum(p.stat().st_size for p in paths) / len(paths)
        cold = _cold_load(paths[0], tmp / "cache")  # also fills the cache read below
        os.environ["DLCLAIMS_CACHE_DIR"] = str(tmp / "cache")
        c0, t0 = time.process_time(), time.perf_counter()
        from dlclaims.check import check_sheets  # the imports count as load

        check_sheets([str(paths[0])], store)  # the models: WordLlama, the cached reference matrices, the decision
        load_cpu, load_wall = time.process_time() - c0, time.perf_counter() - t0
        runs = []  # the least disturbed of a few runs: other jobs on this shared machine only ever add time
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            out = check_sheets([str(p) for p in paths], store)
            runs.append((time.process_time() - c0, time.perf_counter() - t0))
        cpu, dt = min(runs)
        cpu_max = max(c for c, _ in runs)
        import resource

        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0, c0 = time.perf_counter(), time.process_time()
        outj = check_sheets([str(p) for p in paths], store, jobs=args.jobs)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        dt_j = time.perf_counter() - t0
        cpu_j = time.process_time() - c0 + (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        same = outj.results == out.results
        t0 = time.perf_counter()
        out2 = check_sheets([str(p) for p in paths], store, out_dir=tmp / "out")
        dt_out = time.perf_counter() - t0
        cli1 = _cli(paths, store, jobs=1)
        cli = _cli(paths, store)
    findings = sum(len(r["findings"]) for r in out.results)
    print(f"{args.sheets} sheets (~{size / 1000:.1f} kB each), {findings} findings")
    print(f"load (imports, WordLlama, cached reference matrices, first sheet): {load_cpu:.2f} s CPU ({load_wall:.2f} s "
          f"wall); with an empty cache (first run after a knowledge-base change): {cold:.2f} s CPU")
    print(f"grade {args.sheets} sheets, 1 process, least of {args.repeat} runs: {dt:.2f} s wall, {cpu:.2f} s CPU "
          f"(most: {cpu_max:.2f} s; {1000 * cpu / args.sheets:.1f} ms CPU/sheet); load + CPU: {load_cpu + cpu:.1f} s; "
          f"target <= 10 s: {'OK' if load_cpu + cpu <= 10 else 'OVER'}")
    print(f"--jobs {args.jobs}: {dt_j:.2f} s wall, {cpu_j:.2f} s CPU (all processes); results identical: {same}")
    print(f"with --out (pages, class CSV): {dt_out:.2f} s, {len(out2.written)} files")
    print(f"`dlclaims check --json` in a fresh process: --jobs 1 {cli1[0]:.1f} s wall / {cli1[1]:.1f} s CPU; default "
          f"jobs {cli[0]:.1f} s wall / {cli[1]:.1f} s CPU")
    if not same:
        raise SystemExit("--jobs changed the results")
    header = ["benchmark", "sheets", "kB/sheet", "findings", "load CPU s (warm cache)", "load CPU s (empty cache)",
              "grade CPU s (1 process, least / most of the runs)", "ms CPU/sheet", "load + CPU s (target <= 10)", "wall s (1 process)",
              f"--jobs {args.jobs}: wall s / CPU s", "with --out (wall s)",
              "dlclaims check --json, fresh process, --jobs 1 (wall s / CPU s)",
              "dlclaims check --json, fresh process, default jobs (wall s / CPU s)"]
    row = ["check", args.sheets, round(size / 1000, 1), findings, round(load_cpu, 2), round(cold, 2),
           f"{cpu:.2f} / {cpu_max:.2f}",
           round(1000 * cpu / args.sheets, 1), round(load_cpu + cpu, 1), round(dt, 1), f"{dt_j:.1f} / {cpu_j:.1f}",
           round(dt_out, 1), f"{cli1[0]:.1f} / {cli1[1]:.1f}", f"{cli[0]:.1f} / {cli[1]:.1f}"]
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n| " + " | ".join(map(str, row)) + " |")
    if not args.no_record:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from _results import record

        record("Checker speed: 200 two-page sheets", header, [row],
               "benchmarks/bench_check.py: sheets built from the answers of tests/sheets (about two pages each), graded "
               "against a fixture store; CPU time (time.process_time, plus the workers' for --jobs) is the fair figure "
               "on this shared, loaded 2-core machine (wall time is inflated by other jobs). " + SPEED_NOTE)


if __name__ == "__main__":
    main()
