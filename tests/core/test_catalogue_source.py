"""The catalogue the package ships must equal its source, ../shared/CLAIMS.md (when that folder is there)."""

from pathlib import Path

import pytest

import dlclaims
from dlclaims.core.catalogue import claims_by_id

SHIPPED = Path(dlclaims.__file__).parent / "catalogue" / "CLAIMS.md"
SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "CLAIMS.md"


@pytest.mark.skipif(not SOURCE.is_file(), reason="no ../shared/CLAIMS.md beside the repository")
def test_shipped_catalogue_equals_its_source():
    assert SHIPPED.read_text(encoding="utf-8") == SOURCE.read_text(encoding="utf-8"), (
        f"{SHIPPED} differs from {SOURCE}: copy the source over")


def test_shipped_catalogue_parses_into_47_claims():
    claims = claims_by_id()
    assert len(claims) == 47
    assert "locally connected control" in claims["bias.equivariance"].test
