"""Faults users meet: two `dlclaims run` on one store at once; a store file that is truncated, corrupt or
foreign. The real command runs in subprocesses, on a snapshot of the package (so that edits made to the
source tree meanwhile cannot change the code version halfway)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import dlclaims
from dlclaims.core.store import Store

CHEAP = ["--only", "scalar", "--set", "scalar.repeats=1", "--set", "scalar.width=32", "--set", "scalar.outputs=2,4,8",
         "--quiet"]


def snapshot_env(tmp: Path) -> dict[str, str]:
    """An environment whose `python -m dlclaims` imports a frozen copy of the package."""
    snap = tmp / "snapshot"
    if not snap.exists():
        shutil.copytree(Path(dlclaims.__file__).parent, snap / "dlclaims",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(snap)}
    env.pop("DLCLAIMS_STORE", None)
    return env


def start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dlclaims", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(p: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


@pytest.mark.slow
def test_two_runs_on_one_store_at_once_lose_nothing_and_corrupt_nothing(tmp_path):
    env = snapshot_env(tmp_path)
    store = tmp_path / "shared" / "store.sqlite"  # not there yet: both processes race to create it
    a = start(["run", *CHEAP, "--seeds", "4", "--store", str(store)], tmp_path, env)
    b = start(["run", *CHEAP, "--seeds", "6", "--store", str(store)], tmp_path, env)
    (ra, _, ea), (rb, _, eb) = finish(a), finish(b)
    assert ra == 0, ea
    assert rb == 0, eb
    with sqlite3.connect(store) as c:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = c.execute("SELECT experiment, seeds, status, code_version FROM results").fetchall()
        judged = c.execute("SELECT DISTINCT experiment, seeds_json FROM verdicts").fetchall()
    units = sorted((e, s) for e, s, _, _ in rows)
    expected = [("scalar", json.dumps([i])) for i in range(6)]
    assert units == expected  # every unit of both runs, each exactly once
    assert {st for _, _, st, _ in rows} == {"ok"} and len({v for *_, v in rows}) == 1
    assert ("scalar", json.dumps(list(range(4)))) in judged and ("scalar", json.dumps(list(range(6)))) in judged
    with Store.open(store, create=False) as s:
        assert {v.claim for v in s.latest_verdicts()} == {"scalar.error", "scalar.vjp", "scalar.cost"}
    assert not list(store.parent.glob("figures/*.tmp.png"))


def _valid_store(path: Path) -> bytes:
    with Store.open(path) as s:
        for i in range(60):
            s.put_result(experiment="minmax", config_hash="h", seeds=(i,), profile="quick", device="cpu",
                         config={}, status="ok", measurements={"x": list(range(300))}, error=None, duration_s=0.1)
    with sqlite3.connect(path) as c:  # fold the WAL into the main file
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    return path.read_bytes()


def _bad_stores(tmp: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the error line must say)."""
    data = _valid_store(tmp / "good.sqlite")
    page = int.from_bytes(data[16:18], "big")
    n_pages = len(data) // page
    rng = random.Random(7)
    corrupt = bytearray(data)
    for i in rng.sample(range(2, n_pages - 1), 3):  # whole pages of random bytes in the middle of the file
        corrupt[i * page:(i + 1) * page] = rng.randbytes(page)
    foreign = tmp / "foreign.sqlite"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE users (name TEXT)")
        c.execute("INSERT INTO users VALUES ('ada')")
    files = {
        "truncated mid-page": (data[: len(data) // 2 + 100], "truncated or corrupt"),
        "truncated at a page boundary": (data[: page * (n_pages // 2)], "not a usable dlclaims store"),
        "corrupt": (bytes(corrupt), "not a usable dlclaims store"),
    }
    out = {}
    for name, (blob, message) in files.items():
        p = tmp / f"{name.replace(' ', '-')}.sqlite"
        p.write_bytes(blob)
        out[name] = (p, message)
    out["foreign"] = (foreign, "is an SQLite file but not a dlclaims store")
    return out


def test_a_truncated_corrupt_or_foreign_store_is_exit_2_one_line_and_left_unchanged(tmp_path, capsys):
    from dlclaims.cli import main

    bad = _bad_stores(tmp_path)
    for name, (path, message) in bad.items():
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        rc = main(["run", "--only", "minmax", "--quiet", "--store", str(path)])
        err = capsys.readouterr().err
        assert rc == 2, (name, rc, err)
        assert message in err and str(path) in err, (name, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (name, err)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before, name
    assert not (tmp_path / "figures").exists()
