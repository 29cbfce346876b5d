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
