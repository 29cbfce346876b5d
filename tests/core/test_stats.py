import math

import numpy as np
import pytest
from scipy import stats as sps

from dlclaims.core.stats import bootstrap_ci, loglog_slope, mean_ci


def test_loglog_slope_recovers_a_power_law_with_noise():
    rng = np.random.default_rng(0)
    x = np.array([8, 16, 32, 64, 128, 256])
    reps = [[3.0 * xi**1.7 * math.exp(rng.normal(0, 0.05)) for _ in range(7)] for xi in x]
    s = loglog_slope(x, reps)
    assert s.lo < 1.7 < s.hi
    assert s.hi - s.lo < 0.3
    assert s.n_points == 6


def test_loglog_slope_uses_medians_so_one_outlier_does_not_move_it():
    x = [1, 2, 4, 8]
    clean = loglog_slope(x, [[xi**2] * 5 for xi in x])
    dirty = loglog_slope(x, [[xi**2] * 4 + [1e6] for xi in x])
    assert dirty.slope == pytest.approx(clean.slope)


def test_mean_ci_matches_the_t_interval():
    v = [1.0, 2.0, 4.0, 3.5]
    ci = mean_ci(v)
    lo, hi = sps.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=sps.sem(v))
    assert (ci.lo, ci.hi) == pytest.approx((lo, hi))
    assert ci.contains(np.mean(v)) and not ci.above(ci.mean)


def test_mean_ci_of_one_value_is_a_point():
    ci = mean_ci([0.7])
    assert ci.lo == ci.hi == ci.mean == 0.7 and ci.n == 1


def test_bootstrap_interval_contains_the_mean():
    ci = bootstrap_ci(list(np.random.default_rng(1).exponential(size=30)))
    assert ci.lo < ci.mean < ci.hi
