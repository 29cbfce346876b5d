from dataclasses import dataclass
from typing import Literal

import pytest

from dlclaims.core.config import apply_overrides, config_hash, parse_sets, require
from dlclaims.core.errors import BadInput, ConfigError


@dataclass(frozen=True)
class Cfg:
    width: int = 8
    lr: float = 0.1
    kind: Literal["linear", "cosine"] = "linear"
    sizes: tuple[int, ...] = (1, 2)
    flag: bool = False
    note: str | None = None

    def __post_init__(self):
        require(self.width >= 1, f"width must be at least 1, got {self.width}")


def test_overrides_are_parsed_by_field_type():
    cfg, used = apply_overrides(Cfg(), parse_sets(["width=4", "lr=1e-3", "kind=cosine", "sizes=3,4,5",
                                                   "flag=true", "note=hi"]))
    assert cfg == Cfg(4, 1e-3, "cosine", (3, 4, 5), True, "hi")
    assert used == {"width", "lr", "kind", "sizes", "flag", "note"}


def test_scoped_overrides_apply_only_to_their_experiment():
    sets = parse_sets(["exp.width=3"])
    assert apply_overrides(Cfg(), sets, scope="other")[0].width == 8
    assert apply_overrides(Cfg(), sets, scope="exp")[0].width == 3


@pytest.mark.parametrize("item", ["width=abc", "lr=x", "kind=square", "flag=maybe", "sizes=1,b", "lr=nan"])
def test_wrong_types_are_bad_input(item):
    with pytest.raises(BadInput):
        apply_overrides(Cfg(), parse_sets([item]))


def test_domain_errors_become_config_errors():
    with pytest.raises(ConfigError, match="width must be at least 1"):
        apply_overrides(Cfg(), parse_sets(["width=0"]))


@pytest.mark.parametrize("item", ["novalue", "=3", "a b=1"])
def test_malformed_sets(item):
    with pytest.raises(BadInput):
        parse_sets([item])


def test_config_hash_changes_with_values():
    assert config_hash(Cfg()) == config_hash(Cfg())
    assert config_hash(Cfg()) != config_hash(Cfg(width=9))
