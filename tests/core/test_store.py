import sqlite3

import pytest

from dlclaims.core.errors import StoreError
from dlclaims.core.store import Store
from dlclaims.core.types import verdict


def _put(store, seeds=(0,), status="ok", m=None):
    store.put_result(experiment="e", config_hash="h", seeds=seeds, profile="quick", device="cpu", config={"a": 1},
                     status=status, measurements=m if m is not None else {"x": [1.0, float("inf")]}, error=None,
                     duration_s=0.1)


def test_results_round_trip_and_ok_results_are_never_overwritten(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as s:
        _put(s, m={"x": 1})
        _put(s, m={"x": 2})  # a re-run of a finished unit does not replace it
        r = s.get_result("e", "h", (0,))
        assert r.status == "ok" and r.measurements == {"x": 1}
        assert s.get_result("e", "h", (1,)) is None


def test_a_failed_result_is_replaced_by_a_later_success(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as s:
        _put(s, status="failed", m={})
        _put(s, m={"x": 3})
        assert s.get_result("e", "h", (0,)).measurements == {"x": 3}


def test_latest_verdict_per_claim(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as s:
        for holds in (True, False):
            s.put_verdicts("minmax", [verdict("minmax.table", holds=holds, rule="r", numbers={"n": 1})],
                           questions={"minmax.table": "Q-minmax"}, profile="quick", seeds=[0], device="cpu",
                           config_hash="h", figure_files={})
        (v,) = s.latest_verdicts()
        assert v.status == "refuted" and v.question == "Q-minmax"


def test_reopening_keeps_data(tmp_path):
    p = tmp_path / "s.sqlite"
    with Store.open(p) as s:
        _put(s)
    with Store.open(p, create=False) as s:
        assert len(s.results()) == 1


def test_missing_store_is_not_created_when_create_is_false(tmp_path):
    with pytest.raises(StoreError):
        Store.open(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()


def test_foreign_sqlite_file_is_refused_and_left_alone(tmp_path):
    p = tmp_path / "other.sqlite"
    c = sqlite3.connect(p)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    before = p.read_bytes()
    with pytest.raises(StoreError, match="not a dlclaims store"):
        Store.open(p)
    assert p.read_bytes() == before


def test_text_file_is_refused(tmp_path):
    p = tmp_path / "notes.sqlite"
    p.write_text("hello")
    with pytest.raises(StoreError):
        Store.open(p)
    assert p.read_text() == "hello"


def test_truncated_store_is_refused(tmp_path):
    p = tmp_path / "s.sqlite"
    with Store.open(p) as s:
        for i in range(50):
            _put(s, seeds=(i,), m={"x": list(range(200))})
    with sqlite3.connect(p) as c:  # fold the WAL into the main file
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2 + 100])
    with pytest.raises(StoreError):
        Store.open(p)


# -- figures, read-only opens, recorded sheets, durations ------------------------------------------
def _fig(name: str, data: bytes = b"png-bytes") -> "StoredFigure":
    import hashlib

    from dlclaims.core.store import StoredFigure

    return StoredFigure(name, f"exp-{name}.png", f"caption of {name}", hashlib.sha256(data).hexdigest(), data,
                        ["x tick '3' / x tick '4'"] if name == "b" else [])


def test_drawings_are_keyed_like_results_and_older_code_versions_are_dropped(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as s:
        assert s.get_drawing("exp", "h", (0, 1)) is None  # never drawn
        s.put_drawing("exp", "h", (0, 1), [_fig("a"), _fig("b")], version="v1")
        s.put_drawing("exp", "h", (0, 1, 2), [], version="v1")  # drawn, no figures
        got = s.get_drawing("exp", "h", (0, 1), version="v1")
        assert [(f.name, f.file, f.caption, f.png) for f in got] == [
            ("a", "exp-a.png", "caption of a", b"png-bytes"), ("b", "exp-b.png", "caption of b", b"png-bytes")]
        assert s.get_drawing("exp", "h", (0, 1, 2), version="v1") == []
        assert s.get_drawing("exp", "h", (0, 1), version="v2") is None and s.get_drawing("exp", "h2", (0, 1),
                                                                                          version="v1") is None
        assert s.figure_overlaps() == {"exp-a.png": [], "exp-b.png": ["x tick '3' / x tick '4'"]}
        s.put_drawing("exp", "h", (0, 1), [_fig("a", b"new")], version="v2")
        assert s.get_drawing("exp", "h", (0, 1), version="v1") is None  # the old version's blobs are gone
        assert s.get_drawing("exp", "h", (0, 1), version="v2")[0].png == b"new"
        assert s.figure_captions() == {("exp", "h", "[0, 1]", "v2"): {"exp-a.png": "caption of a"}}


def test_current_verdicts_only_when_judged_from_exactly_this_key_and_measured_at_is_kept(tmp_path):
    from dlclaims.core.store import code_version

    q = {"minmax.table": "Q-minmax", "minmax.small-step": "Q-minmax"}
    vs = [verdict("minmax.table", holds=True, rule="r"), verdict("minmax.small-step", holds=False, rule="r")]
    with Store.open(tmp_path / "s.sqlite") as s:
        s.put_verdicts("minmax", vs, questions=q, profile="quick", seeds=[0], device="cpu", config_hash="h",
                       figure_files={}, measured_at=1000.0)
        claims = ("minmax.table", "minmax.small-step")
        cur = s.current_verdicts("minmax", claims, "h", [0])
        assert cur is not None and [v.claim for v in cur] == list(claims)
        assert all(v.measured == 1000.0 and v.created_at > 1000.0 for v in cur)
        assert s.current_verdicts("minmax", claims, "other", [0]) is None
        assert s.current_verdicts("minmax", claims, "h", [0, 1]) is None
        assert s.current_verdicts("minmax", claims, "h", [0], version=code_version() + "x") is None
        assert s.current_verdicts("minmax", (*claims, "minmax.equilibrium"), "h", [0]) is None


def test_read_only_open_reads_and_never_writes(tmp_path):
    import sqlite3 as sq

    p = tmp_path / "s.sqlite"
    with Store.open(p) as s:
        s.put_check("a.md", {"sheet": "a.md"})
    with sq.connect(p) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = p.read_bytes()
    with Store.open(p, create=False, readonly=True) as s:
        assert s.latest_checks() == [{"sheet": "a.md"}]
        with pytest.raises(sq.OperationalError):
            s.put_check("b.md", {"sheet": "b.md"})
    assert p.read_bytes() == before
    with pytest.raises(StoreError, match="no store at .*--store PATH or DLCLAIMS_STORE"):
        Store.open(tmp_path / "none.sqlite", readonly=True)


def test_recorded_sheets_can_be_listed_and_forgotten(tmp_path):
    with Store.open(tmp_path / "s.sqlite") as s:
        for name in ("a.md", "b.md", "a.md", "c.md"):
            s.put_check(name, {"sheet": name})
        assert [n for n, _ in s.recorded_sheets()] == ["a.md", "b.md", "c.md"]
        assert s.remove_checks(["a.md", "nope.md"]) == 1
        assert [c["sheet"] for c in s.latest_checks()] == ["b.md", "c.md"]
        assert s.remove_checks(None) == 2 and s.latest_checks() == []


def test_time_left_is_estimated_from_the_stored_durations_of_earlier_runs():
    from dlclaims.core.runner import Task, estimate_durations

    history = [("a", "h", (0,), "quick", 5.0), ("a", "h", (0,), "quick", 7.0),  # the latest of a unit wins
               ("a", "h", (1,), "quick", 3.0), ("b", "h", (0, 1, 2), "quick", 12.0)]
    tasks = [Task("a", None, "h", (0,), "quick", "cpu"), Task("a", None, "h2", (2,), "quick", "cpu"),
             Task("b", None, "other", (0, 1), "quick", "cpu"), Task("c", None, "h", (0,), "quick", "cpu"),
             Task("a", None, "hf", (0,), "full", "cpu")]
    got = [t.expected_s for t in estimate_durations(tasks, history)]
    assert got == [7.0, 5.0, 8.0, None, None]  # same unit; median per seed; per seed x 2; never run; other profile
