"""The same seed on CPU gives bitwise-identical measurements: each cheap experiment's last quick unit is run
twice in this process (once into the session's shared quick-profile store, once here) and the two results
compared as JSON (floats written exactly, so equal JSON is equal bits), timings left out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dlclaims.core.runner import execute_task, plans_for
from dlclaims.core.store import Store

# Experiments whose quick unit costs at most ~2 s of CPU (measured; ema ~4 s and elbo ~5 s per unit are left out
# to keep the suite short).
CHEAP = ["lookup", "minmax", "scalar"]
# Measurements that are wall-clock timings, per experiment: they differ from run to run by nature.
TIMING_KEYS: dict[str, set[str]] = {"scalar": {"backward_s", "jacobian_rows_s", "jacrev_s"}}


def without(m: Any, keys: set[str]) -> Any:
    """``m`` with every dict entry named in ``keys`` removed, at any depth."""
    if isinstance(m, dict):
        return {k: without(v, keys) for k, v in m.items() if k not in keys}
    if isinstance(m, list):
        return [without(v, keys) for v in m]
    return m


def test_without_drops_keys_at_any_depth():
    m = {"a": 1, "t_s": 2, "b": [{"t_s": 3, "c": 4}], "d": {"e": {"t_s": 5}}}
    assert without(m, {"t_s"}) == {"a": 1, "b": [{"c": 4}], "d": {"e": {}}}


@pytest.mark.slow
@pytest.mark.parametrize("exp", CHEAP)
def test_the_same_seed_gives_bitwise_identical_measurements(exp, quick_store):
    """The first run is the one the session's shared quick-profile store holds; the second runs here."""
    (plan,) = plans_for([exp], profile="quick", seeds=None, sets={}, device="cpu")
    task = plan.tasks[-1]  # the last unit: a seed other than the one the process started with, for unit="seed"
    with Store.open(quick_store(exp), create=False, readonly=True) as store:
        first = store.get_result(task.experiment, task.config_hash, task.seeds)
    second = execute_task(task)
    assert first is not None and first.status == second.status == "ok", second.error
    keys = TIMING_KEYS.get(exp, set())
    a = json.dumps(without(first.measurements, keys), sort_keys=True)
    b = json.dumps(without(second.measurements, keys), sort_keys=True)
    assert a == b
    assert len(a) > 20  # something was measured
