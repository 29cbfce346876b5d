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
def ran(tmp_path_factory, quick_store):
    """`dlclaims run` in a fresh folder, its units measured already in the session's quick store (copied
    there): the command reuses them, judges nothing again and prints the verdicts."""
    d = tmp_path_factory.mktemp("lab")
    quick_store.copy_to(d, "minmax", "scalar")
    r = dlclaims("run", "--only", "minmax", "scalar.vjp", "--quiet", cwd=d)
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
    assert scalar["seeds"] == [0, 1, 2] and scalar["profile"] == "quick"
    assert {v["evidence"] for v in vs} <= {"exact", "measured", "simulated"}


def test_rerun_reuses_every_stored_unit(ran):
    d, _ = ran
    r = dlclaims("run", "--only", "minmax", "scalar.vjp", "--quiet", cwd=d)
    assert r.returncode == 0
    assert "0 unit(s) run, 4 reused" in " ".join(r.stdout.split())
    assert "figures drawn for 0 experiment(s)" in " ".join(r.stdout.split())


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "--only", "Q-nope"], "unknown id 'Q-nope'"),
        (["run", "--only", "Q-minmax", "--set", "steps=ten"], "expected an integer"),
        (["run", "--only", "Q-minmax", "--set", "nosuchkey=1"], "no selected experiment has such a setting"),
        (["run", "--only", "Q-minmax", "--seeds", "0"], "--seeds must be at least 1"),
        (["run", "--only", "Q-minmax", "--set", "steps=2"], "steps must be at least 10"),
        (["run", "--only", "minmax", "--set", "steps=-1"], "--set steps=-1: not allowed for minmax"),
        (["sheets", "--remove", "never-recorded.md"], "not recorded: never-recorded.md"),
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
    exp = next(e for e in minmax["experiments"] if e["id"] == "minmax")
    assert exp["config"]["quick"]["steps"] > 0 and exp["config"]["full"]["steps"] >= exp["config"]["quick"]["steps"]


@pytest.mark.parametrize("width", [80, 200])
def test_verdicts_table_is_compact_and_never_breaks_a_word(ran, width):
    d, _ = ran
    r = dlclaims("verdicts", cwd=d, env={"COLUMNS": str(width)})
    assert r.returncode == 0, r.stderr
    words = {w for v in json.loads(dlclaims("verdicts", "--json", cwd=d).stdout)
             for w in (v["claim"], v["status"], v["evidence"])}
    text = r.stdout
    for w in words:  # every claim id, status and evidence kind appears whole
        assert w in text, (w, text)
    assert max(len(line) for line in text.splitlines()) <= width
    long = dlclaims("verdicts", "--long", cwd=d, env={"COLUMNS": str(width)}).stdout
    assert len(long.splitlines()) > len(text.splitlines())  # the rules come only with --long
    assert "solve grad f = 0" in " ".join(long.split()) and "solve grad f = 0" not in " ".join(text.split())


def test_check_at_80_columns_keeps_words_whole_and_records_nothing_unless_asked(ran, tmp_path):
    d, _ = ran
    sheet = tmp_path / "s.md"
    sheet.write_text("## Question 4\nloss.backward() needs a scalar output, otherwise it raises. The cost of the "
                     "gradient of a scalar is one backward pass.\n")
    r = dlclaims("check", str(sheet), cwd=d, env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    findings = json.loads(dlclaims("check", str(sheet), "--json", cwd=d).stdout)[0]["findings"]
    assert findings
    for f in findings:  # every word of what the table shows appears whole, never split across lines
        for w in (f["claim"], *f["quote"].split()):
            assert w in r.stdout, (w, r.stdout)
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    assert dlclaims("sheets", cwd=d).stdout.startswith("no sheet is recorded")
    assert dlclaims("check", str(sheet), "--record", cwd=d).returncode == 0
    assert str(sheet) in dlclaims("sheets", cwd=d).stdout
    r = dlclaims("sheets", "--remove", str(sheet), cwd=d)
    assert r.returncode == 0 and "forgot 1" in r.stdout
    assert dlclaims("sheets", cwd=d).stdout.startswith("no sheet is recorded")


def test_check_to_an_unwritable_out_is_one_line_exit_2_and_leaves_nothing(ran, tmp_path):
    d, _ = ran
    sheet = tmp_path / "s.md"
    sheet.write_text("loss.backward() needs a scalar output.\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    r = dlclaims("check", str(sheet), "--out", str(blocker / "fb"), cwd=d)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert "cannot write the feedback" in r.stderr


def test_report_that_fails_leaves_no_empty_out_folder(tmp_path):
    bad = tmp_path / "store.sqlite"
    bad.write_bytes(b"not sqlite" * 20)
    r = dlclaims("report", "--store", str(bad), "--out", str(tmp_path / "new" / "report"), cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new").exists()


def test_check_from_another_folder_says_no_store_was_found_and_how_to_point_to_one(tmp_path):
    sheet = tmp_path / "s.md"
    sheet.write_text("loss.backward() needs a scalar output.\n")
    r = dlclaims("check", str(sheet), cwd=tmp_path)
    assert r.returncode == 0
    said = " ".join((r.stdout + r.stderr).split())
    assert f"no store found at {tmp_path / 'dlclaims-results' / 'store.sqlite'}" in said
    assert "--store" in said and "DLCLAIMS_STORE" in said
    assert not (tmp_path / "dlclaims-results").exists()


def test_a_store_in_a_read_only_folder_serves_the_commands_that_only_read(ran, tmp_path, monkeypatch, capsys):
    """A store whose folder cannot be written: SQLite cannot open it for writing ("unable to open database
    file"). As root, file permissions do not apply, so the writable open is made to fail that way; as any
    other user the folder is made read-only for real."""
    import os
    import shutil

    from dlclaims.cli import main
    from dlclaims.core.store import Store

    d, _ = ran
    ro = tmp_path / "ro"
    shutil.copytree(d / "dlclaims-results", ro)
    with sqlite3.connect(ro / "store.sqlite") as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in ("-wal", "-shm"):
        (ro / f"store.sqlite{extra}").unlink(missing_ok=True)
    before = digest(ro / "store.sqlite")
    if os.geteuid() == 0:
        def refuse(self):
            raise sqlite3.OperationalError("unable to open database file")

        monkeypatch.setattr(Store, "_init", refuse)
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if (
            mode & os.W_OK and str(path).startswith(str(ro))) else real_access(path, mode, **kw))
    ro.chmod(0o555)
    (ro / "store.sqlite").chmod(0o444)
    sheet = tmp_path / "s.md"
    sheet.write_text("## Question 4\nloss.backward() needs a scalar output, otherwise it raises.\n")
    store = str(ro / "store.sqlite")
    try:
        assert main(["verdicts", "--store", store]) == 0
        assert "minmax.table" in capsys.readouterr().out
        assert main(["check", str(sheet), "--store", store, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["findings"]
        assert main(["report", "--store", store, "--out", str(tmp_path / "report")]) == 0
        assert (tmp_path / "report" / "index.html").exists()
        capsys.readouterr()
        assert main(["check", str(sheet), "--store", store, "--out", str(tmp_path / "fb")]) == 0
        assert "not recorded" in capsys.readouterr().err and (tmp_path / "fb" / "s.html").exists()
        assert main(["run", "--only", "minmax", "--quiet", "--store", store]) == 2  # writing is refused: one line
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    finally:
        ro.chmod(0o755)
    assert digest(ro / "store.sqlite") == before


@pytest.mark.parametrize("width", [80, 150])
def test_list_wraps_between_words_at_any_width(tmp_path, width):
    from dlclaims.core.catalogue import claims_by_id

    r = dlclaims("list", cwd=tmp_path, env={"COLUMNS": str(width)})
    assert r.returncode == 0
    assert max(len(line) for line in r.stdout.splitlines()) <= width
    for c in claims_by_id().values():  # every claim id and every word of its statement appears whole
        assert c.id in r.stdout
        for w in (c.claim or c.test).split():
            assert w in r.stdout, (c.id, w)


def test_progress_names_the_running_unit_and_counts_down_the_time_left(monkeypatch):
    import io

    from rich.console import Console

    from dlclaims.cli import _RichProgress
    from dlclaims.core.runner import Task, TaskResult

    clock = [100.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    p = _RichProgress(Console(file=io.StringIO(), width=120))
    a = Task("elbo", None, "h", (0, 1, 2), "quick", "cpu", expected_s=30.0)
    b = Task("gan", None, "h", (1,), "quick", "cpu", expected_s=10.0)
    c = Task("new", None, "h", (0,), "quick", "cpu", expected_s=None)
    p.planned([a, b, c], skipped=2)
    try:
        assert p.time_left() == "about 40 s left + 1 unit(s) never timed"
        p.started(a)
        assert p.bar.tasks[0].description == "running elbo seeds 0–2"
        clock[0] += 12
        assert p.time_left() == "about 28 s left + 1 unit(s) never timed"
        p.finished(a, TaskResult("ok", {}, None, 12.0))
        assert p.bar.tasks[0].description == "judging elbo, drawing its figures"
        p.started(b)
        assert p.bar.tasks[0].description == "running gan seed 1"
        clock[0] += 70
        p.finished(b, TaskResult("ok", {}, None, 70.0))
        assert p.time_left() == "time left: not known yet"
    finally:
        p.stop()
