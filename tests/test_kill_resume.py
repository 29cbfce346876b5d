"""SIGKILL a running `dlclaims run`, run it again: nothing finished is lost or recomputed,
and the verdicts equal those of an uninterrupted run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import dlclaims

ARGS = ["run", "--only", "scalar", "minmax", "--seeds", "5", "--set", "scalar.repeats=6", "--quiet"]


def finished_rows(store: Path) -> dict:
    if not store.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as c:
            rows = c.execute("SELECT experiment, seeds, id, finished_at FROM results WHERE status='ok'").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {(e, s): (i, t) for e, s, i, t in rows}


def verdict_map(cwd: Path) -> dict:
    import json

    r = dlclaims("verdicts", "--json", cwd=cwd)
    return {v["claim"]: v for v in json.loads(r.stdout)}


@pytest.mark.slow
def test_kill_and_resume(tmp_path):
    killed = tmp_path / "killed"
    killed.mkdir()
    store = killed / "dlclaims-results" / "store.sqlite"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("DLCLAIMS_STORE", None)
    proc = subprocess.Popen([sys.executable, "-m", "dlclaims", *ARGS], cwd=killed, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(finished_rows(store)) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = finished_rows(store)
    assert 2 <= len(before) < 6

    r = dlclaims(*ARGS, cwd=killed)
    assert r.returncode == 0, r.stderr
    after = finished_rows(store)
    assert len(after) == 6  # 5 scalar seeds + 1 minmax unit, each exactly once
    for key, row in before.items():
        assert after[key] == row  # not recomputed: same row, same finish time
    assert f"{6 - len(before)} unit(s) run, {len(before)} reused" in " ".join(r.stdout.split())

    clean = tmp_path / "clean"
    clean.mkdir()
    assert dlclaims(*ARGS, cwd=clean).returncode == 0
    a, b = verdict_map(killed), verdict_map(clean)
    assert set(a) == set(b)
    for claim in a:
        if claim == "scalar.cost":  # timed slopes differ between runs; the exact FLOP counts and status do not
            for key in ("flops_forward", "flops_backward", "flops_jacobian_rows", "flops_jacrev"):
                assert a[claim]["numbers"][key] == b[claim]["numbers"][key]
            assert a[claim]["status"] == b[claim]["status"]
            continue
        assert a[claim]["status"] == b[claim]["status"], claim
        assert a[claim]["numbers"] == b[claim]["numbers"], claim
