"""Thread limits for small models.

Tiny kernels gain nothing from a second intra-op thread, and on a shared
2-core machine two threads that wait for each other at every op are far
slower and noisier than one. ``limit_threads(n)`` runs a block on ``n``
torch threads and ``n`` BLAS threads (NumPy, SciPy, scikit-learn through
threadpoolctl), then restores the previous settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def limit_threads(n: int = 1) -> Iterator[None]:
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(n):
            yield
    finally:
        torch.set_num_threads(before)
