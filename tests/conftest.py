"""Shared test set-up: a headless matplotlib, no store leaking in from the environment."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_store(monkeypatch, tmp_path):
    """Tests never touch ./dlclaims-results: the default store points into the test's tmp folder."""
    monkeypatch.setenv("DLCLAIMS_STORE", str(tmp_path / "default-store" / "store.sqlite"))
