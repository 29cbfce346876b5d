"""Property tests of `--set`: on any input, parsing and applying overrides to the real experiment configs
either succeeds (giving a valid config of the same class) or raises BadInput -- never another exception."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlclaims.core.config import apply_overrides, config_dict, config_hash, parse_sets
from dlclaims.core.errors import BadInput
from dlclaims.core.registry import load_all
from dlclaims.core.runner import make_plans

EXPERIMENTS = sorted(load_all().values(), key=lambda e: e.id)
FIELDS = sorted({f.name for e in EXPERIMENTS for cfg in e.configs.values() for f in dataclasses.fields(cfg)})
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

keys = st.one_of(
    st.sampled_from(FIELDS),
    st.builds(lambda e, f: f"{e.id}.{f}", st.sampled_from(EXPERIMENTS), st.sampled_from(FIELDS)),
    st.text(st.characters(codec="utf-8", exclude_characters="="), max_size=12),
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "1", "-1", "2", "1e400", "-1e400", "inf", "nan", "1e-320", "0x10", "1_000", "9" * 5000]),
)
values = st.one_of(
    numbers,
    st.lists(numbers, max_size=5).map(",".join),
    st.lists(numbers, max_size=4).map(lambda xs: "(" + ", ".join(xs) + ")"),
    st.sampled_from(["true", "false", "yes", "off", "none", "None", "null", "", " ", "()", "[]", "(,)", ",,"]),
    st.text(max_size=20),
)
items = st.one_of(st.builds(lambda k, v: f"{k}={v}", keys, values), st.text(max_size=20))


@SETTINGS
@given(st.lists(items, max_size=5))
def test_parse_sets_returns_a_dict_or_raises_bad_input(raw):
    try:
        sets = parse_sets(raw)
    except BadInput as e:
        assert str(e) and "\n" not in str(e)
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in sets.items())
    assert set(sets) <= {item.split("=", 1)[0].strip() for item in raw}


@SETTINGS
@given(st.lists(st.builds(lambda k, v: f"{k}={v}", keys, values), min_size=1, max_size=4))
def test_overrides_on_real_configs_succeed_or_are_bad_input(raw):
    try:
        sets = parse_sets(raw)
    except BadInput:
        return
    for exp in EXPERIMENTS:
        for profile, cfg in exp.configs.items():
            try:
                new, used = apply_overrides(cfg, sets, scope=exp.id)
            except BadInput as e:
                assert str(e), (exp.id, profile)
                continue
            assert type(new) is type(cfg) and used <= set(sets)
            assert len(config_hash(new)) == 16 and isinstance(config_dict(new), dict)
            for f in dataclasses.fields(new):  # a parsed float is never NaN
                v = getattr(new, f.name)
                assert not (isinstance(v, float) and math.isnan(v)), (exp.id, f.name)


@SETTINGS
@given(st.lists(st.builds(lambda k, v: f"{k}={v}", keys, values), max_size=3),
       st.sampled_from(["quick", "full"]), st.integers(min_value=-2, max_value=6))
def test_planning_a_run_succeeds_or_is_bad_input(raw, profile, seeds):
    """What `dlclaims run --set ...` does before running anything: every key must be used somewhere."""
    try:
        plans = make_plans(EXPERIMENTS, profile=profile, seeds=seeds, sets=parse_sets(raw), device="cpu")
    except BadInput:
        return
    assert seeds >= 1 and len(plans) == len(EXPERIMENTS)
    assert all(t.seeds and t.profile == profile for p in plans for t in p.tasks)
