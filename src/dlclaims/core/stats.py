"""Statistics helpers: intervals across seeds, log-log slopes fitted on medians, equivalence tests and
multiple-comparison corrections.

An interval decides something only when it was estimated: from one value, from values with zero
spread, or from a two-point fit it is undecided (``lo`` and ``hi`` are NaN, ``decided`` is False), and
every comparison on it is False. Values dropped as non-finite are counted in ``dropped``.
"""

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
    dropped: int = 0  # non-finite values left out

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def decided(self) -> bool:
        """Whether the interval was estimated (finite bounds from at least two values with spread)."""
        return math.isfinite(self.lo) and math.isfinite(self.hi)

    def above(self, x: float) -> bool:
        return self.decided and self.lo > x

    def below(self, x: float) -> bool:
        return self.decided and self.hi < x

    def contains(self, x: float) -> bool:
        return self.decided and self.lo <= x <= self.hi

    def compare(self, x: float) -> bool | None:
        """True if the whole interval is above x, False if below, None if it straddles x or is undecided."""
        if self.above(x):
            return True
        if self.below(x):
            return False
        return None


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean with a Student-t interval across seeds: mean +- t_{n-1} * s / sqrt(n).

    From one value or from values with zero spread the interval is undecided (NaN bounds): it decides
    nothing. Non-finite values are dropped and counted.
    """
    x = np.asarray(values, dtype=float).ravel()
    dropped = int((~np.isfinite(x)).sum())
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, dropped)
    m = float(x.mean())
    if n == 1 or float(x.std()) == 0.0:
        return Interval(m, math.nan, math.nan, n, dropped)
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(m, m - half, m + half, n, dropped)


def bootstrap_ci(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean with a percentile-bootstrap interval (scipy.stats.bootstrap), for skewed samples."""
    x = np.asarray(values, dtype=float).ravel()
    dropped = int((~np.isfinite(x)).sum())
    x = x[np.isfinite(x)]
    if x.size < 3 or float(x.std()) == 0.0:
        ci = mean_ci(x, confidence)
        return Interval(ci.mean, ci.lo, ci.hi, ci.n, dropped)
    res = sps.bootstrap((x,), np.mean, confidence_level=confidence, method="percentile",
                        rng=np.random.default_rng(seed))
    return Interval(float(x.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high),
                    int(x.size), dropped)


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

    The interval is b +- t_{k-2} * stderr(b) over the k points; a two-point fit has no interval (NaN).
    """
    xs = np.asarray(x, dtype=float)
    ys = np.array([float(np.median(v)) if np.ndim(v) else float(v) for v in y])
    keep = (xs > 0) & (ys > 0) & np.isfinite(ys)
    lx, ly = np.log(xs[keep]), np.log(ys[keep])
    k = int(keep.sum())
    if k < 2:
        return Slope(math.nan, math.nan, math.nan, math.nan, math.nan, k)
    fit = sps.linregress(lx, ly)
    half = float(sps.t.ppf(0.5 + confidence / 2, k - 2) * fit.stderr) if k > 2 else math.nan
    return Slope(float(fit.slope), float(fit.slope) - half, float(fit.slope) + half, float(fit.intercept),
                 float(fit.rvalue**2), k)


@dataclass(frozen=True)
class Equivalence:
    """Two one-sided t-tests (TOST) that the mean of paired differences lies within (-margin, +margin).

    ``equivalent`` is True when both one-sided tests reject at ``alpha`` (the (1 - 2 alpha) interval lies
    inside the margin), False when the (1 - 2 alpha) interval lies wholly outside it (a difference is
    shown), None otherwise or when the differences have no spread or fewer than two values.
    """

    mean: float
    lo: float  # (1 - 2 alpha) interval of the mean difference
    hi: float
    margin: float
    p_value: float  # max of the two one-sided p-values
    n: int
    equivalent: bool | None

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def equivalence_test(diffs: Sequence[float], margin: float, alpha: float = 0.05) -> Equivalence:
    """TOST on paired per-seed differences d_i: H0 |mean d| >= margin against H1 |mean d| < margin.

    p = max(P(T >= (m + margin) / se), P(T <= (m - margin) / se)) with T ~ t_{n-1}.
    """
    if margin <= 0:
        raise ValueError("equivalence margin must be positive")
    x = np.asarray(diffs, dtype=float).ravel()
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n < 2 or float(x.std()) == 0.0:
        m = float(x.mean()) if n else math.nan
        return Equivalence(m, math.nan, math.nan, margin, math.nan, n, None)
    m, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(n))
    p_lower = float(sps.t.sf((m + margin) / se, n - 1))  # H0: mean <= -margin
    p_upper = float(sps.t.cdf((m - margin) / se, n - 1))  # H0: mean >= +margin
    half = float(sps.t.ppf(1 - alpha, n - 1) * se)
    lo, hi = m - half, m + half
    p = max(p_lower, p_upper)
    if p < alpha:
        eq: bool | None = True
    elif lo >= margin or hi <= -margin:
        eq = False
    else:
        eq = None
    return Equivalence(m, lo, hi, margin, p, n, eq)


def holm(p_values: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Holm-Bonferroni step-down: which of the hypotheses are rejected at family-wise level alpha."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    rejected = [False] * len(p)
    for rank, i in enumerate(order):
        if not np.isfinite(p[i]) or p[i] > alpha / (len(p) - rank):
            break
        rejected[int(i)] = True
    return rejected


def mean_p_value(values: Sequence[float], threshold: float, alternative: str = "greater") -> float:
    """One-sample t-test p-value that the mean of ``values`` is above (``greater``) or below (``less``)
    ``threshold``; NaN when undecidable (fewer than two values or no spread)."""
    x = np.asarray(values, dtype=float).ravel()
    x = x[np.isfinite(x)]
    if x.size < 2 or float(x.std()) == 0.0:
        return math.nan
    return float(sps.ttest_1samp(x, threshold, alternative=alternative).pvalue)


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
