"""The command line contract (DESIGN.md): exit codes, one-line errors, JSON shapes, store untouched."""

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import dlclaims


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    d = tmp_path_factory.mktemp("lab")
    r = dlclaims("run", "--only", "minmax", "scalar.vjp", "--seeds", "2", "--quiet", cwd=d)
    assert r.returncode == 0, r.stderr
    return d, r


def test_run_prints_verdicts_and_where_results_are(ran):
    d, r = ran
    assert "minmax.table" in r.stdout and "supported" in r.stdout
    assert "dlclaims-results/store.sqlite" in r.stdout
    assert (d / "dlclaims-results" / "figures" / "minmax-radius.png").exists()


def test_verdicts_json_follows_the_contract(ran):
    d, _ = ran
    r = dlclaims("verdicts", "--json", cwd=d)
    assert r.returncode == 0
    vs = json.loads(r.stdout)
    claims = {v["claim"] for v in vs}
    assert {"minmax.table", "minmax.small-step", "scalar.vjp", "scalar.cost"} <= claims
    for v in vs:
        assert {"claim", "question", "status", "rule", "numbers", "figures", "profile", "seeds"} <= set(v)
        assert v["status"] in ("supported", "refuted", "partial", "inconclusive")
    scalar = next(v for v in vs if v["claim"] == "scalar.vjp")
    assert scalar["seeds"] == [0, 1] and scalar["profile"] == "quick"


def test_rerun_reuses_every_stored_unit(ran):
    d, _ = ran
    r = dlclaims("run", "--only", "minmax", "scalar.vjp", "--seeds", "2", "--quiet", cwd=d)
    assert r.returncode == 0
    assert "0 unit(s) run, 3 reused" in " ".join(r.stdout.split())


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "--only", "Q-nope"], "unknown id 'Q-nope'"),
        (["run", "--only", "Q-minmax", "--set", "steps=ten"], "expected an integer"),
        (["run", "--only", "Q-minmax", "--set", "nosuchkey=1"], "no selected experiment has such a setting"),
        (["run", "--only", "Q-minmax", "--seeds", "0"], "--seeds must be at least 1"),
        (["run", "--only", "Q-minmax", "--set", "steps=2"], "steps must be at least 10"),
    ],
)
def test_bad_input_is_exit_2_one_line_and_the_store_untouched(ran, args, message):
    d, _ = ran
    store = d / "dlclaims-results" / "store.sqlite"
    with sqlite3.connect(store) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = digest(store)
    r = dlclaims(*args, cwd=d)
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert digest(store) == before


def test_a_foreign_store_is_refused(tmp_path):
    p = tmp_path / "mine.db"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 300)
    r = dlclaims("run", "--only", "Q-minmax", "--store", str(p), cwd=tmp_path)
    assert r.returncode == 2 and "not a dlclaims store" in r.stderr
    assert p.read_bytes().startswith(b"\x89PNG")


def test_cuda_without_cuda_is_bad_input(tmp_path):
    import torch

    r = dlclaims("run", "--only", "Q-minmax", "--device", "cuda", cwd=tmp_path)
    if torch.cuda.is_available():
        assert r.returncode == 0
    else:
        assert r.returncode == 2 and "CUDA" in r.stderr
        assert not (tmp_path / "dlclaims-results").exists()


def test_list_json_names_every_catalogue_claim(tmp_path):
    from dlclaims.core.catalogue import claims_by_id

    r = dlclaims("list", "--json", cwd=tmp_path)
    rows = json.loads(r.stdout)
    listed = {c["claim"] for q in rows for c in q["claims"]}
    assert listed == set(claims_by_id())
    minmax = next(q for q in rows if q["question"] == "Q-minmax")
    assert minmax["experiments"][0]["config"]["quick"]["steps"] > 0
