"""Run the (experiment, seed) units as Ray tasks: ``dlclaims run --executor ray [--ray-address A]``.

Each :class:`~dlclaims.core.runner.Task` becomes one Ray task whose body is
:func:`dlclaims.core.runner.execute_task`; the driver collects the results with
``ray.wait`` and alone calls ``on_done`` (which writes the store), so workers
never touch the SQLite file and a cluster needs no shared disk.

Robustness:

- a worker that dies (segfault, OOM kill, a lost node) is retried by Ray
  (``max_retries``, default 2); a task that still fails -- an exception that
  escapes ``execute_task``, a worker that keeps dying, a result that cannot be
  deserialised -- becomes ``TaskResult("failed", ...)`` with the reason;
- at most one task per free slot (CPU, or GPU for ``--device cuda``) is in
  flight, so a task's clock starts when it is handed to Ray; a task running
  longer than ``task_timeout_s`` is cancelled (its worker killed) and stored
  as failed: the run never hangs;
- Ray is started locally (``num_cpus`` = ``os.cpu_count()``, no dashboard,
  quiet) unless it is already running in this process or ``address`` names an
  existing cluster; it is shut down afterwards only if we started it.

On a remote cluster every node needs ``dlclaims`` importable (installed in the
same version): the workers import it fresh.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from .errors import BadInput
from .runner import Task, TaskResult, execute_task

DEFAULT_TASK_TIMEOUT_S = 3 * 3600.0
TIMEOUT_ENV = "DLCLAIMS_TASK_TIMEOUT_S"


def _task_timeout_from_env() -> float:
    text = os.environ.get(TIMEOUT_ENV)
    if not text:
        return DEFAULT_TASK_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{TIMEOUT_ENV} must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise BadInput(f"{TIMEOUT_ENV} must be positive, got {text!r}")
    return value


def _probe(address: str, timeout_s: float = 10.0) -> None:
    """Fail fast (BadInput) when ``host:port`` or ``ray://host:port`` does not answer: Ray itself would retry
    for minutes. ``auto`` and other forms are left to Ray."""
    import socket

    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise BadInput(f"no Ray cluster answers at {address} ({e.strerror or e}); start one with "
                       "`ray start --head` or drop --ray-address") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[-1] if text else ''}"


class RayExecutor:
    """An :class:`~dlclaims.core.runner.Executor` on Ray.

    ``address``: an existing cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``),
    or ``None`` to start Ray on this machine. ``task_timeout_s`` (default: the
    ``DLCLAIMS_TASK_TIMEOUT_S`` environment variable, else three hours) bounds
    the wall time of one unit; ``max_retries`` is how often Ray re-runs a unit
    whose worker died.
    """

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None,
                 task_timeout_s: float | None = None, max_retries: int = 2, poll_s: float = 1.0) -> None:
        if task_timeout_s is not None and not task_timeout_s > 0:
            raise BadInput(f"the task timeout must be positive, got {task_timeout_s}")
        if max_retries < 0:
            raise BadInput(f"max_retries must be at least 0, got {max_retries}")
        self.address = address
        self.num_cpus = num_cpus
        self.task_timeout_s = task_timeout_s if task_timeout_s is not None else _task_timeout_from_env()
        self.max_retries = max_retries
        self.poll_s = poll_s

    # -- Ray's life cycle ------------------------------------------------------------
    def _start(self) -> bool:
        """Connect to or start Ray; True when this call started it (so we shut it down)."""
        import ray

        if ray.is_initialized():
            return False
        common: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR,
                                  "configure_logging": True}
        if self.address:
            _probe(self.address)
        try:
            if self.address:
                ray.init(address=self.address, **common)
            else:
                ray.init(num_cpus=self.num_cpus or os.cpu_count() or 1, include_dashboard=False, **common)
        except Exception as e:  # noqa: BLE001 -- a bad address, no cluster there, a port in use...
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
            raise BadInput(f"cannot start {where}: {_first_line(e)}") from None
        return True

    @staticmethod
    def _slots(resource: str) -> int:
        import ray

        return max(1, int(ray.cluster_resources().get(resource, 0)))

    # -- the Executor protocol -----------------------------------------------------------
    def run(self, tasks: list[Task], on_done: Callable[[Task, TaskResult], None],
            on_start: Callable[[Task], None]) -> None:
        if not tasks:
            return
        import ray

        started = self._start()
        try:
            self._run(ray, tasks, on_done, on_start)
        finally:
            if started:
                ray.shutdown()

    def _run(self, ray: Any, tasks: list[Task], on_done: Callable[[Task, TaskResult], None],
             on_start: Callable[[Task], None]) -> None:
        cuda = any(t.device.startswith("cuda") for t in tasks)
        remote = ray.remote(execute_task).options(
            num_cpus=1, num_gpus=1 if cuda else 0, max_retries=self.max_retries, retry_exceptions=False)
        slots = self._slots("GPU" if cuda else "CPU")
        queue = list(tasks)
        in_flight: dict[Any, tuple[Task, float]] = {}  # ObjectRef -> (task, when it was handed to Ray)

        def fail(task: Task, since: float, why: str) -> None:
            on_done(task, TaskResult("failed", None, why, time.perf_counter() - since))

        while queue or in_flight:
            while queue and len(in_flight) < slots:
                task = queue.pop(0)
                on_start(task)
                in_flight[remote.remote(task)] = (task, time.perf_counter())
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=self.poll_s)
            for ref in ready:
                task, since = in_flight.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as e:  # noqa: BLE001 -- RayTaskError, WorkerCrashedError, cancelled...
                    fail(task, since, f"the Ray task failed after {self.max_retries} retries: {_first_line(e)}")
                    continue
                if not isinstance(result, TaskResult):
                    fail(task, since, f"the Ray task returned {type(result).__name__}, not a TaskResult")
                    continue
                on_done(task, result)
            now = time.perf_counter()
            for ref, (task, since) in list(in_flight.items()):
                if now - since > self.task_timeout_s:
                    del in_flight[ref]
                    with contextlib.suppress(Exception):  # already finished or gone: nothing more to stop
                        ray.cancel(ref, force=True)
                    fail(task, since, f"TimeoutError: the unit ran longer than {self.task_timeout_s:g} s "
                                      f"(set {TIMEOUT_ENV} to allow more) and was cancelled")
