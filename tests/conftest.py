"""Shared test set-up: a headless matplotlib, no store leaking in from the environment, and one quick-profile
store for the whole session.

``quick_store`` (session-scoped) is how end-to-end tests get real measurements without training again:
``quick_store("Q-minmax", "scalar")`` runs the quick profile (default seeds, CPU) of what those ids name
into one store shared by every test of the session, skipping what an earlier test already measured, and
returns its path. Treat that store as read-only; ``quick_store.verdicts(*ids)`` gives the verdicts of the
claims those ids measure, and ``quick_store.copy_to(folder, *ids)`` a private copy (store and figures, laid
out as ``folder/dlclaims-results/``) for a test that writes to it. A family's end-to-end test written as
``vs = quick_store.verdicts("Q-minmax")`` trains nothing that another test (or the figure-overlap test, which
measures the whole quick profile) already trained.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_store(monkeypatch, tmp_path):
    """Tests never touch ./dlclaims-results: the default store points into the test's tmp folder."""
    monkeypatch.setenv("DLCLAIMS_STORE", str(tmp_path / "default-store" / "store.sqlite"))


class QuickStore:
    """One quick-profile store per test session, filled on demand."""

    def __init__(self, root: Path) -> None:
        self.path = root / "dlclaims-results" / "store.sqlite"
        self.measured: set[str] = set()

    def __call__(self, *ids: str) -> Path:
        """Measure (once per session) the quick profile of these ids (all experiments if none); the store path."""
        from dlclaims.core.runner import plans_for, run_plans
        from dlclaims.core.store import Store

        key = tuple(sorted(ids)) or ("*",)
        if "*" not in self.measured and not set(key) <= self.measured:  # all measured covers any ids
            with Store.open(self.path) as store:
                summary = run_plans(plans_for(list(ids) or None, profile="quick", seeds=None, sets={},
                                              device="cpu"), store)
            assert not summary.failed, summary.failed
            self.measured |= set(key)
        return self.path

    def verdicts(self, *ids: str) -> dict:
        """claim -> StoredVerdict of the claims these ids measure (after measuring them), for family tests."""
        from dlclaims.core.registry import select
        from dlclaims.core.store import Store

        claims = {c for e in select(list(ids) or None) for c in e.claims}
        with Store.open(self(*ids), create=False, readonly=True) as store:
            return {v.claim: v for v in store.latest_verdicts() if v.claim in claims}

    def copy_to(self, folder: Path, *ids: str) -> Path:
        """A private copy of the store (after measuring ``ids``) and its figures; the copy's store path."""
        src = self(*ids)
        dst = Path(folder) / "dlclaims-results" / "store.sqlite"
        dst.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)  # a consistent copy, WAL included
        if (src.parent / "figures").exists():
            shutil.copytree(src.parent / "figures", dst.parent / "figures", dirs_exist_ok=True)
        return dst


@pytest.fixture(scope="session")
def quick_store(tmp_path_factory) -> QuickStore:
    return QuickStore(tmp_path_factory.mktemp("quick-store"))
