"""SIGKILL `dlclaims run` at random moments, resume each time, and check that nothing is lost or redone.

    python benchmarks/stress_kill.py [--kills 20] [--seed 0] [--no-record]

An uninterrupted reference run goes first. Then the same command is started again and again in a fresh
store and killed (SIGKILL, the whole process group) at a random moment: after a random number (0-2) of
newly stored units plus a random part of one unit's time -- so kills land during start-up, inside a
unit, right after a commit, or while an experiment is judged and drawn. After the last kill one more run
finishes the job. Then:

- every unit is in the store exactly once, with status ok, and the same set of units as the reference;
- every unit stored before a kill is still the same row afterwards (never recomputed);
- PRAGMA integrity_check is ok;
- the latest verdicts equal the reference: every status, and every number of the claims that are not
  judged from timings (scalar.cost is: its status and numbers are printed side by side, not compared).

The commands run on a snapshot copy of the package, so that edits made to the source tree meanwhile
cannot change the code version (the store's key) halfway. Prints the figures and records a summary in
benchmarks/RESULTS.md. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dlclaims

TIMING_CLAIMS = {"scalar.cost"}  # judged from wall-clock timings: not reproducible from run to run
POLL_S = 0.01


def run_args(seeds: int) -> list[str]:
    """Cheap units, many of them: the Q-scalar family on `seeds` seeds plus the Q-minmax table (one unit)."""
    return ["run", "--only", "minmax", "scalar", "--seeds", str(seeds), "--set", "scalar.width=64",
            "--set", "scalar.outputs=4,16,64", "--set", "scalar.repeats=2", "--quiet"]


def snapshot_env(root: Path) -> dict[str, str]:
    snap = root / "snapshot"
    shutil.copytree(Path(dlclaims.__file__).parent, snap / "dlclaims",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(snap)}
    env.pop("DLCLAIMS_STORE", None)
    return env


def start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dlclaims", *args], cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def rows(store: Path) -> dict[tuple[str, str], tuple[int, float, str]]:
    """(experiment, seeds) -> (row id, finished_at, status), read-only; {} while the store is not there."""
    if not store.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as c:
            got = c.execute("SELECT experiment, seeds, id, finished_at, status FROM results").fetchall()
    except sqlite3.Error:
        return {}
    return {(e, s): (i, t, st) for e, s, i, t, st in got}


def all_rows(store: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as c:
        return c.execute("SELECT experiment, seeds FROM results").fetchall()


def latest_verdicts(store: Path) -> dict[str, dict]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as c:
        got = c.execute("SELECT claim, status, numbers_json FROM verdicts WHERE id IN "
                        "(SELECT MAX(id) FROM verdicts GROUP BY claim)").fetchall()
    return {claim: {"status": st, "numbers": json.loads(nums)} for claim, st, nums in got}


def kill_group(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--no-record", action="store_true", help="do not write benchmarks/RESULTS.md")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    seeds = max(6, 2 * a.kills)  # units: 1 minmax + `seeds` scalar; enough to outlast the kills
    args = run_args(seeds)
    work = Path(tempfile.mkdtemp(prefix="dlclaims-stress-"))
    env = snapshot_env(work)
    ok = True

    def check(cond: bool, what: str) -> None:
        nonlocal ok
        print(("  ok    " if cond else "  FAIL  ") + what)
        ok &= cond

    print(f"work folder {work}; command: dlclaims {' '.join(args)}")
    (work / "clean").mkdir()
    t0 = time.perf_counter()
    p = start(args, work / "clean", env)
    _, err = p.communicate()
    t_clean = time.perf_counter() - t0
    if p.returncode != 0:
        print(f"the uninterrupted run failed ({p.returncode}):\n{err}")
        return 1
    clean_store = work / "clean" / "dlclaims-results" / "store.sqlite"
    n_units = len(rows(clean_store))
    unit_s = sorted(_durations(clean_store))
    median_unit = unit_s[len(unit_s) // 2]
    print(f"uninterrupted: {n_units} units in {t_clean:.1f} s (median unit {median_unit:.2f} s)\n")

    killed_dir = work / "killed"
    killed_dir.mkdir()
    store = killed_dir / "dlclaims-results" / "store.sqlite"
    history: list[dict] = []
    seen: dict[tuple[str, str], tuple[int, float, str]] = {}
    t_all = time.perf_counter()
    print("kill | after (s) | units stored before the kill | new in this attempt | moment")
    for k in range(1, a.kills + 1):
        before = rows(store)
        extra_units = rng.choice([0, 1, 1, 2])
        extra_s = rng.uniform(0.0, median_unit)
        t_start = time.perf_counter()
        p = start(args, killed_dir, env)
        while p.poll() is None and len(rows(store)) < len(before) + extra_units:
            time.sleep(POLL_S)
        deadline = time.perf_counter() + extra_s
        while p.poll() is None and time.perf_counter() < deadline:
            time.sleep(POLL_S)
        if p.poll() is not None:
            print(f"attempt {k}: the run finished before it could be killed (rc {p.returncode}); stopping early")
            break
        kill_group(p)
        after = rows(store)
        moment = f"{extra_units} unit(s) + {extra_s:.2f} s"
        history.append({"kill": k, "after_s": time.perf_counter() - t_start, "stored": len(after),
                        "new": len(after) - len(before), "moment": moment})
        print(f"{k:4d} | {history[-1]['after_s']:9.2f} | {len(after):28d} | {len(after) - len(before):19d} | "
              f"{moment}")
        changed = [key for key, row in seen.items() if after.get(key) != row]
        if changed:
            check(False, f"kill {k}: units stored earlier changed or vanished: {changed}")
        for key, row in after.items():
            seen.setdefault(key, row)
    p = start(args, killed_dir, env)
    _, err = p.communicate()
    t_total = time.perf_counter() - t_all
    print(f"\nfinal resume: exit {p.returncode}; kills + resumes took {t_total:.1f} s "
          f"(uninterrupted: {t_clean:.1f} s)\n")
    check(p.returncode == 0, f"the last resume finished (exit {p.returncode})"
                             + ("" if p.returncode == 0 else f": {err.strip()[-300:]}"))
    final = rows(store)
    check(len(all_rows(store)) == len(final) == n_units, f"{len(final)} units stored, each exactly once "
                                                         f"(reference {n_units})")
    check(set(final) == set(rows(clean_store)), "the same units as the uninterrupted run")
    check(all(st == "ok" for *_, st in final.values()), "every unit ok")
    kept = sum(final.get(key) == row for key, row in seen.items())
    check(kept == len(seen), f"{kept}/{len(seen)} units stored before a kill were never recomputed")
    with sqlite3.connect(store) as c:
        check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "PRAGMA integrity_check ok")
    a_v, b_v = latest_verdicts(store), latest_verdicts(clean_store)
    check(set(a_v) == set(b_v), f"verdicts for the same {len(b_v)} claims")
    for claim in sorted(set(a_v) & set(b_v)):
        if claim in TIMING_CLAIMS:
            print(f"  info  {claim} (judged from timings): {a_v[claim]['status']} vs {b_v[claim]['status']} "
                  "uninterrupted")
            continue
        check(a_v[claim] == b_v[claim], f"{claim}: {a_v[claim]['status']}, numbers identical")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    if not a.no_record:
        sys.path.insert(0, str(Path(__file__).parent))
        from _results import record

        stored = [h["stored"] for h in history]
        record("Kill and resume (SIGKILL stress)",
               ["kills", "units", "units stored at each kill", "kills + resumes (s)", "uninterrupted (s)",
                "all checks"],
               [[len(history), n_units, " ".join(map(str, stored)), round(t_total, 1), round(t_clean, 1),
                 "pass" if ok else "FAIL"]],
               note=f"`python benchmarks/stress_kill.py --kills {a.kills} --seed {a.seed}`: `dlclaims "
                    f"{' '.join(args)}` killed with SIGKILL at random moments (after 0-2 new units plus a "
                    "random part of a unit) and resumed each time. Checks: every unit stored exactly once, none "
                    "recomputed, integrity_check ok, verdicts (statuses; numbers of non-timing claims) equal "
                    "to an uninterrupted run.")
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


def _durations(store: Path) -> list[float]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as c:
        return [d for (d,) in c.execute("SELECT duration_s FROM results")]


if __name__ == "__main__":
    sys.exit(main())
