"""Statistics helpers: intervals across seeds and log-log slopes fitted on medians."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class Interval:
    """A mean (or estimate) with a 95% interval [lo, hi] from n samples."""

    mean: float
    lo: float
    hi: float
    n: int

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def above(self, x: float) -> bool:
        return self.lo > x

    def below(self, x: float) -> bool:
        return self.hi < x

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean with a Student-t interval across seeds: mean +- t_{n-1} * s / sqrt(n).

    With one value the interval is the point itself (n=1 tells the reader).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if n == 1 or float(x.std()) == 0.0:
        return Interval(m, m, m, n)
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(m, m - half, m + half, n)


def bootstrap_ci(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean with a percentile-bootstrap interval (scipy.stats.bootstrap), for skewed samples."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 3 or float(x.std()) == 0.0:
        return mean_ci(x, confidence)
    res = sps.bootstrap((x,), np.mean, confidence_level=confidence, method="percentile",
                        rng=np.random.default_rng(seed))
    return Interval(float(x.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high),
                    int(x.size))


@dataclass(frozen=True)
class Slope:
    """A log-log slope with its 95% interval, fitted on the medians of repeats."""

    slope: float
    lo: float
    hi: float
    intercept: float
    r2: float
    n_points: int

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def loglog_slope(x: Sequence[float], y: Sequence[float] | Sequence[Sequence[float]],
                 confidence: float = 0.95) -> Slope:
    """Fit log y = a + b log x by least squares; y may hold repeats per x (their median is used).

    The interval is b +- t_{k-2} * stderr(b) over the k points.
    """
    xs = np.asarray(x, dtype=float)
    ys = np.array([float(np.median(v)) if np.ndim(v) else float(v) for v in y])
    keep = (xs > 0) & (ys > 0) & np.isfinite(ys)
    lx, ly = np.log(xs[keep]), np.log(ys[keep])
    k = int(keep.sum())
    if k < 2:
        return Slope(math.nan, math.nan, math.nan, math.nan, math.nan, k)
    fit = sps.linregress(lx, ly)
    if k > 2:
        half = float(sps.t.ppf(0.5 + confidence / 2, k - 2) * fit.stderr)
    else:
        half = 0.0
    return Slope(float(fit.slope), float(fit.slope) - half, float(fit.slope) + half, float(fit.intercept),
                 float(fit.rvalue**2), k)


def median_time(fn, *, repeats: int = 5, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs (perf_counter)."""
    import time

    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out
