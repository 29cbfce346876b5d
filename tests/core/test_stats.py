import math

import numpy as np
import pytest
from scipy import stats as sps

from dlclaims.core.stats import bootstrap_ci, equivalence_test, holm, loglog_slope, mean_ci


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


@pytest.mark.parametrize("values", [[0.7], [0.5, 0.5, 0.5]])
def test_an_interval_from_one_value_or_no_spread_decides_nothing(values):
    ci = mean_ci(values)
    assert ci.mean == pytest.approx(values[0]) and not ci.decided
    assert not ci.above(0.0) and not ci.below(1.0) and not ci.contains(values[0])
    assert ci.compare(0.0) is None


def test_mean_ci_counts_dropped_non_finite_values():
    ci = mean_ci([1.9, float("nan"), 2.0, float("inf"), 2.1])
    assert ci.n == 3 and ci.dropped == 2 and ci.decided
    assert ci.compare(1.0) is True and ci.compare(3.0) is False and ci.compare(2.0) is None


def test_a_two_point_fit_has_no_interval():
    s = loglog_slope([1, 2], [1, 4])
    assert s.slope == pytest.approx(2.0) and math.isnan(s.lo) and math.isnan(s.hi)


def test_equivalence_test_reaches_each_outcome():
    rng = np.random.default_rng(0)
    same = equivalence_test(rng.normal(0.0, 0.01, 10), margin=0.05)
    assert same.equivalent is True and same.p_value < 0.05
    apart = equivalence_test(rng.normal(0.2, 0.01, 10), margin=0.05)
    assert apart.equivalent is False
    noisy = equivalence_test([0.0, 0.3, -0.3], margin=0.05)
    assert noisy.equivalent is None
    assert equivalence_test([0.01, 0.01], margin=0.05).equivalent is None  # no spread
    with pytest.raises(ValueError):
        equivalence_test([0.1, 0.2], margin=0.0)


def test_holm_is_step_down():
    assert holm([0.01, 0.06], alpha=0.05) == [True, False]  # 0.01 <= 0.05/2, then 0.06 > 0.05/1
    assert holm([0.04, 0.01], alpha=0.05) == [True, True]  # 0.01 <= 0.05/2, then 0.04 <= 0.05/1
    assert holm([0.03, 0.03], alpha=0.05) == [False, False]


def test_bootstrap_interval_contains_the_mean():
    ci = bootstrap_ci(list(np.random.default_rng(1).exponential(size=30)))
    assert ci.lo < ci.mean < ci.hi
