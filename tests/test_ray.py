"""The Ray executor: same verdicts as the local executor; a unit that raises, kills its worker or hangs
is stored as failed and the run still ends."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import ray  # the dev extra installs it (pyproject.toml)

from dlclaims.core.ray_executor import RayExecutor
from dlclaims.core.registry import _REGISTRY, experiment
from dlclaims.core.runner import plans_for, run_plans
from dlclaims.core.store import Store

BOOM = "zz-ray-test-boom"  # a throwaway experiment: seed 0 raises, seed 1 kills its worker, seed 2 hangs
WORKER_FLAG = "DLCLAIMS_RAY_TEST_WORKER"


@dataclass(frozen=True)
class BoomConfig:
    hang_s: float = 600.0


def _boom_run(cfg: BoomConfig, ctx) -> dict:
    if ctx.seed == 0:
        raise RuntimeError("boom on purpose")
    if ctx.seed == 1:
        os._exit(3)  # the worker process dies: Ray retries, then gives up
    time.sleep(cfg.hang_s)
    return {}


def _boom_judge(runs, cfg):  # never reached: every unit fails
    raise AssertionError("judge must not run when a unit failed")


def _register_boom() -> None:
    experiment(BOOM, question="Q-scalar", claims=("scalar.error",), configs={"quick": BoomConfig(),
               "full": BoomConfig()}, run=_boom_run, judge=_boom_judge, unit="seed")


if os.environ.get(WORKER_FLAG) == "1":  # inside a Ray worker, which imports this module to unpickle BoomConfig
    _register_boom()


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray with 2 CPUs whose workers can import this module (for the throwaway experiment)."""
    here = str(Path(__file__).parent)
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=True,
             logging_level="ERROR", runtime_env={"env_vars": {"PYTHONPATH": path, WORKER_FLAG: "1"}})
    yield
    ray.shutdown()


def _verdicts(summary) -> dict:
    return {v.claim: v for vs in summary.verdicts.values() for v in vs}


@pytest.mark.slow
def test_ray_gives_the_verdicts_of_the_local_executor(local_ray, quick_store, tmp_path):
    # the local executor's verdicts: the session's shared quick-profile store (cheap experiments, default seeds)
    a = quick_store.verdicts("minmax", "scalar")
    plans = plans_for(["minmax", "scalar"], profile="quick", seeds=None, sets={}, device="cpu")
    with Store.open(tmp_path / "ray" / "s.sqlite") as store:
        remote = run_plans(plans, store, executor=RayExecutor(address=None))
        units = sum(len(p.tasks) for p in plans)
        assert len(store.results()) == units and all(r.status == "ok" for r in store.results())
    assert remote.failed == {} and len(remote.ran) == units  # Ray ran every unit itself
    b = _verdicts(remote)
    assert set(a) == set(b) == {"minmax.table", "minmax.no-convergence", "minmax.small-step", "minmax.equilibrium",
                                "scalar.error", "scalar.vjp", "scalar.cost"}
    for claim in set(a) - {"scalar.cost"}:  # scalar.cost is judged from timings, which differ from run to run
        assert a[claim].status == b[claim].status, claim
        assert a[claim].numbers == b[claim].numbers, claim
    assert a["scalar.cost"].numbers["m"] == b["scalar.cost"].numbers["m"]
    assert ray.is_initialized()  # the executor did not shut down a Ray it did not start


@pytest.mark.slow
def test_a_unit_that_raises_crashes_or_hangs_is_stored_as_failed(local_ray, tmp_path):
    _register_boom()
    try:
        plans = plans_for([BOOM], profile="quick", seeds=3, sets={}, device="cpu")
        t0 = time.perf_counter()
        with Store.open(tmp_path / "s.sqlite") as store:
            # 30 s: a fresh worker imports torch and every experiment before the unit starts, which takes
            # over 10 s on a loaded 2-core machine; the unit that hangs sleeps 600 s
            summary = run_plans(plans, store, executor=RayExecutor(address=None, task_timeout_s=30.0,
                                                                    max_retries=1, poll_s=0.2))
            rows = {r.seeds: r for r in store.results(BOOM)}
    finally:
        _REGISTRY.pop(BOOM, None)
    assert time.perf_counter() - t0 < 120
    assert set(rows) == {(0,), (1,), (2,)} and all(r.status == "failed" for r in rows.values())
    assert "RuntimeError: boom on purpose" in rows[(0,)].error
    assert "the Ray task failed after 1 retries" in rows[(1,)].error
    assert "TimeoutError" in rows[(2,)].error and "30 s" in rows[(2,)].error
    assert set(summary.failed) == {BOOM} and summary.verdicts == {}
    assert len(summary.ran) == 3


def test_the_executor_refuses_a_nonsense_timeout():
    from dlclaims.core.errors import BadInput

    with pytest.raises(BadInput):
        RayExecutor(address=None, task_timeout_s=0.0)
