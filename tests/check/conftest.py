from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_fixtures import build_store


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory) -> Path:
    """A store with one verdict per claim (statuses as the catalogue's tests expect)."""
    return build_store(tmp_path_factory.mktemp("store") / "s.sqlite")
