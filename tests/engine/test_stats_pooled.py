"""Pooled estimates across strata against R's metafor, statsmodels and textbook formulas.

R reference values come from R 4 with metafor 3.8-1; each case quotes the exact call. The R
helpers used were

    mh <- function(ai, n1i, ci, n2i, level = 95)
        rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, measure = "RR", level = level)
    # reported: exp(beta), exp(ci.lb), exp(ci.ub), QE, QEp, k.yi
    tr <- function(x, ai, n1i, ci, n2i) {
        d <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i)
        rma(yi, vi, mods = ~ x, data = d, method = "FE")
    }
    # reported: beta[2], se[2], pval[2]

with every number printed by sprintf("%.17g", .).
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from scipy.stats import contingency
from statsmodels.stats.contingency_tables import StratifiedTable

from wres.engine.errors import ConfigError
from wres.engine.stats import relative_likelihood
from wres.engine.stats.pooled import PooledRatio, mantel_haenszel, trend

RTOL = 1e-9
RNG = np.random.default_rng(20261204)

# ---------------------------------------------------------------------------------------------
# References


def _stratum_log_ratio(a: float, n1: float, c: float, n2: float) -> tuple[float, float]:
    """escalc(measure="RR") with add=1/2, to="only0": log ratio and Katz variance."""
    if min(a, n1 - a, c, n2 - c) == 0:
        a, c, n1, n2 = a + 0.5, c + 0.5, n1 + 1, n2 + 1
    return math.log(a / n1) - math.log(c / n2), 1 / a - 1 / n1 + 1 / c - 1 / n2


def _reference_mh(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, level: float = 0.95
) -> dict[str, float]:
    """One comparison, the published formulas written out in plain Python floats."""
    rows = [
        (float(ai), float(n1i), float(ci), float(n2i))
        for ai, n1i, ci, n2i in zip(a, n1, c, n2, strict=True)
        if n1i > 0 and n2i > 0
    ]
    r = sum(ai * n2i / (n1i + n2i) for ai, n1i, ci, n2i in rows)
    s = sum(ci * n1i / (n1i + n2i) for ai, n1i, ci, n2i in rows)
    # Greenland & Robins (1985): Var(log RR_MH) = sum((n1 n2 (a + c) - a c N) / N^2) / (R S)
    p = sum(
        (n1i * n2i * (ai + ci) - ai * ci * (n1i + n2i)) / (n1i + n2i) ** 2
        for ai, n1i, ci, n2i in rows
    )
    estimate = r / s
    z = sps.norm.ppf(0.5 + level / 2)
    se = math.sqrt(p / (r * s))
    q_terms = [
        _stratum_log_ratio(ai, n1i, ci, n2i)
        for ai, n1i, ci, n2i in rows
        if not (ai == 0 and ci == 0) and not (ai == n1i and ci == n2i)
    ]
    q = sum((y - math.log(estimate)) ** 2 / v for y, v in q_terms)
    return {
        "estimate": estimate,
        "ci_low": math.exp(math.log(estimate) - z * se),
        "ci_high": math.exp(math.log(estimate) + z * se),
        "q": q if len(q_terms) >= 2 else math.nan,
        "q_df": max(len(q_terms) - 1, 0),
        "strata": sum(1 for ai, _, ci, _ in rows if ai + ci > 0),
    }


def _random_strata(rows: int, *, small: bool) -> tuple[np.ndarray, ...]:
    """Integer counts; ``small`` gives many zero cells, empty and all-event strata."""
    high = 6 if small else 300
    n1 = RNG.integers(0 if small else 1, high, rows)
    n2 = RNG.integers(0 if small else 1, high, rows)
    return RNG.binomial(n1, 0.3), n1, RNG.binomial(n2, 0.2), n2


def _assert_close(actual: float, expected: float) -> None:
    if math.isnan(expected):
        assert math.isnan(actual)
    else:
        assert actual == pytest.approx(expected, rel=RTOL, abs=1e-300)


# ---------------------------------------------------------------------------------------------
# Mantel-Haenszel and Cochran's Q: R's metafor

# name: (ai, n1i, ci, n2i, level), then metafor's exp(beta), exp(ci.lb), exp(ci.ub), QE, QEp, k.yi
METAFOR_MH = {
    # mh(c(12,7,20,4), c(40,25,60,15), c(30,18,41,10), c(150,90,200,60))
    "no zero cells": (
        ([12, 7, 20, 4], [40, 25, 60, 15], [30, 18, 41, 10], [150, 90, 200, 60], 0.95),
        (1.5461496636179932, 1.139609403419785, 2.097717669872055),
        (0.13024550971481486, 0.98797578471617742, 4),
    ),
    # mh(c(12,7,20,4), c(40,25,60,15), c(30,18,41,10), c(150,90,200,60), level = 90)
    "level 0.90": (
        ([12, 7, 20, 4], [40, 25, 60, 15], [30, 18, 41, 10], [150, 90, 200, 60], 0.90),
        (1.5461496636179932, 1.1968998053203361, 1.9973090242639178),
        (0.13024550971481486, 0.98797578471617742, 4),
    ),
    # mh(c(5,0,0,9), c(30,12,8,45), c(11,0,6,14), c(80,40,25,100)): a stratum without events
    # (dropped from Q by drop00) and one with a zero cell (0.5 added for its Q term)
    "no events and a zero cell": (
        ([5, 0, 0, 9], [30, 12, 8, 45], [11, 0, 6, 14], [80, 40, 25, 100], 0.95),
        (1.1186319914499465, 0.62054285552682587, 2.0165207304383803),
        (1.7274444200477146, 0.4215899119625382, 3),
    ),
    # mh(c(3,4,6,10), c(3,20,30,50), c(5,0,9,12), c(5,15,60,70)): an all-events stratum (in
    # RR_MH, dropped from Q) and a stratum without reference events
    "all events and no reference events": (
        ([3, 4, 6, 10], [3, 20, 30, 50], [5, 0, 9, 12], [5, 15, 60, 70], 0.95),
        (1.3592525617842073, 0.83829735500444547, 2.2039524706685167),
        (1.3982741120168991, 0.49701401404547341, 3),
    ),
    # mh(c(1,0,1,1,0,1,1), c(1,1,1,2,1,1,1), c(0,1,1,0,0,1,1), c(1,1,2,1,1,1,3))
    "strata of size one": (
        (
            [1, 0, 1, 1, 0, 1, 1],
            [1, 1, 1, 2, 1, 1, 1],
            [0, 1, 1, 0, 0, 1, 1],
            [1, 1, 2, 1, 1, 1, 3],
            0.95,
        ),
        (1.736842105263158, 0.69250769581355232, 4.3560822743941614),
        (1.9020355702904839, 0.75377104748681001, 5),
    ),
    # mh(c(120,340,95), c(900,2100,800), c(400,1500,380), c(5000,12000,4100))
    "large counts": (
        ([120, 340, 95], [900, 2100, 800], [400, 1500, 380], [5000, 12000, 4100], 0.95),
        (1.3581471706946735, 1.2462639148817101, 1.4800747379747607),
        (5.4297715842446568, 0.066212514566034095, 3),
    ),
}


@pytest.mark.parametrize("case", METAFOR_MH.values(), ids=METAFOR_MH.keys())
def test_mantel_haenszel_and_q_match_metafor_rma_mh(case: tuple[Any, ...]) -> None:
    (a, n1, c, n2, level), (estimate, low, high), (q, q_p, k_yi) = case
    result = mantel_haenszel(a, n1, c, n2, level=level)
    for ours, theirs in [
        (result.estimate, estimate),
        (result.ci_low, low),
        (result.ci_high, high),
        (result.q, q),
        (result.q_p_value, q_p),
    ]:
        assert ours.shape == (1,)
        _assert_close(float(ours[0]), theirs)
    assert result.q_df[0] == k_yi - 1
    assert result.level == level


def test_single_stratum_matches_metafor_except_q_which_is_not_tested() -> None:
    # mh(7, 30, 12, 80): exp(beta) 1.5555555555555556, exp(ci.lb) 0.67669537101764188,
    # exp(ci.ub) 3.5758380950365165, QE 0, QEp 1, k.yi 1. We report Q as NaN (no test).
    result = mantel_haenszel([7], [30], [12], [80])
    _assert_close(result.estimate[0], 1.5555555555555556)
    _assert_close(result.ci_low[0], 0.67669537101764188)
    _assert_close(result.ci_high[0], 3.5758380950365165)
    assert np.isnan(result.q[0])
    assert np.isnan(result.q_p_value[0])
    assert result.q_df[0] == 0
    assert result.strata[0] == 1


def test_strata_with_an_empty_group_are_skipped() -> None:
    # metafor would give such a stratum a log ratio from its 0.5-corrected cells; it says
    # nothing about the comparison, so we leave it out: same result as without the rows.
    a, n1, c, n2, _ = METAFOR_MH["no events and a zero cell"][0]
    with_empty = mantel_haenszel([*a, 0, 4, 0], [*n1, 0, 9, 0], [*c, 3, 0, 0], [*n2, 10, 0, 0])
    without = mantel_haenszel(a, n1, c, n2)
    for field in ("estimate", "ci_low", "ci_high", "q", "q_df", "q_p_value", "strata"):
        np.testing.assert_array_equal(getattr(with_empty, field), getattr(without, field))


# ---------------------------------------------------------------------------------------------
# Mantel-Haenszel: statsmodels and the textbook formulas on random data


def _statsmodels_rr(a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray) -> float:
    # StratifiedTable rows are the groups, columns event / no event: [[a, n1 - a], [c, n2 - c]]
    tables = np.array([[a, n1 - a], [c, n2 - c]], dtype=np.float64)
    return float(StratifiedTable(tables).riskratio_pooled)


@pytest.mark.parametrize("small", [False, True], ids=["moderate counts", "tiny strata"])
def test_batched_mantel_haenszel_matches_statsmodels_and_the_formulas(small: bool) -> None:
    comparisons, rows = 400, 4000
    a, n1, c, n2 = _random_strata(rows, small=small)
    strata_of = RNG.integers(0, comparisons, rows)
    result = mantel_haenszel(a, n1, c, n2, strata_of=strata_of, n_comparisons=comparisons)
    checked = 0
    for k in range(comparisons):
        rows_k = (strata_of == k) & (n1 > 0) & (n2 > 0)
        ak, n1k, ck, n2k = a[rows_k], n1[rows_k], c[rows_k], n2[rows_k]
        if (ak.sum() == 0) or (ck.sum() == 0):
            continue
        checked += 1
        _assert_close(result.estimate[k], _statsmodels_rr(ak, n1k, ck, n2k))
        expected = _reference_mh(ak, n1k, ck, n2k)
        for field in ("estimate", "ci_low", "ci_high", "q"):
            _assert_close(float(getattr(result, field)[k]), expected[field])
        assert result.q_df[k] == expected["q_df"]
        assert result.strata[k] == expected["strata"]
        if expected["q_df"] > 0:
            p = sps.chi2.sf(expected["q"], expected["q_df"])
            _assert_close(result.q_p_value[k], p)
    assert checked > comparisons * 0.8


@given(
    a=st.integers(0, 500),
    b=st.integers(0, 500),
    c=st.integers(1, 500),
    d=st.integers(0, 500),
)
@settings(max_examples=80, deadline=None)
def test_mantel_haenszel_of_one_stratum_is_that_stratums_ratio(
    a: int, b: int, c: int, d: int
) -> None:
    result = mantel_haenszel([a], [a + b], [c], [c + d])
    ratio = relative_likelihood([a], [a + b], [c], [c + d]).estimate
    np.testing.assert_allclose(result.estimate, ratio, rtol=1e-12, equal_nan=True)
    assert result.strata[0] == (1 if a + b > 0 else 0)
    assert np.isnan(result.q[0])


def test_one_stratum_without_zero_cells_has_the_katz_interval() -> None:
    # Greenland-Robins reduces to 1/a - 1/n1 + 1/c - 1/n2 for one stratum: scipy's interval
    a, n1, c, n2 = 17, 90, 25, 300
    ref = contingency.relative_risk(a, n1, c, n2).confidence_interval(confidence_level=0.9)
    result = mantel_haenszel([a], [n1], [c], [n2], level=0.9)
    _assert_close(result.ci_low[0], ref.low)
    _assert_close(result.ci_high[0], ref.high)


def test_no_reference_events_is_not_calculable() -> None:
    result = mantel_haenszel([3, 0], [10, 5], [0, 0], [10, 8])
    for field in ("estimate", "ci_low", "ci_high", "q", "q_p_value"):
        assert np.isnan(getattr(result, field)[0]), field
    assert result.strata[0] == 1


def test_no_events_at_all_is_not_calculable() -> None:
    result = mantel_haenszel([0, 0], [10, 5], [0, 0], [10, 8])
    assert np.isnan(result.estimate[0])
    assert result.strata[0] == 0
    assert result.q_df[0] == 0


def test_no_focal_events_gives_ratio_zero_without_interval_or_q() -> None:
    result = mantel_haenszel([0, 0, 0], [10, 5, 7], [2, 0, 4], [10, 8, 9])
    assert result.estimate[0] == 0.0
    assert np.isnan(result.ci_low[0])
    assert np.isnan(result.ci_high[0])
    assert np.isnan(result.q[0])
    assert np.isnan(result.q_p_value[0])
    assert result.strata[0] == 2
    assert result.q_df[0] == 1


def test_all_events_in_both_groups_gives_a_point_interval_at_one() -> None:
    # One all-events stratum: RR = 1 with Greenland-Robins variance 0 (as metafor reports).
    result = mantel_haenszel([4], [4], [6], [6])
    assert result.estimate[0] == 1.0
    assert result.ci_low[0] == result.ci_high[0] == 1.0
    assert result.strata[0] == 1
    assert result.q_df[0] == 0


def test_comparisons_without_rows_are_not_calculable() -> None:
    a, n1, c, n2 = [3, 4], [10, 10], [2, 5], [10, 12]
    result = mantel_haenszel(a, n1, c, n2, strata_of=[1, 1], n_comparisons=3)
    assert np.isnan(result.estimate[[0, 2]]).all()
    np.testing.assert_array_equal(result.strata, [0, 2, 0])
    # the middle comparison is the two strata pooled, as statsmodels pools them
    expected = _statsmodels_rr(*(np.array(x) for x in (a, n1, c, n2)))
    assert abs(expected - 1.0) > 0.1  # not a case any pooling gets right by symmetry
    _assert_close(result.estimate[1], expected)
    empty = mantel_haenszel([], [], [], [])
    assert empty.estimate.shape == (1,)
    assert np.isnan(empty.estimate[0])
    assert mantel_haenszel([], [], [], [], strata_of=[]).estimate.shape == (0,)


def test_result_is_frozen() -> None:
    result = mantel_haenszel([1], [2], [1], [2])
    assert isinstance(result, PooledRatio)
    with pytest.raises(AttributeError):
        result.level = 0.5  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Trend: R's metafor and statsmodels WLS

# name: (x, ai, n1i, ci, n2i), then metafor's beta[2], se[2], pval[2]
METAFOR_TREND = {
    # tr(2019:2024, c(10,12,15,14,18,20), c(100,110,120,115,130,140), c(40,42,45,44,43,41),
    #    c(800,810,820,830,840,850))
    "six years": (
        (
            [2019, 2020, 2021, 2022, 2023, 2024],
            [10, 12, 15, 14, 18, 20],
            [100, 110, 120, 115, 130, 140],
            [40, 42, 45, 44, 43, 41],
            [800, 810, 820, 830, 840, 850],
        ),
        (0.080171054040901843, 0.069881557878988435, 0.25128164236666439),
    ),
    # tr(c(2018,2019,2020,2021,2022), c(0,3,0,5,7), c(20,25,22,30,35), c(4,6,0,9,8),
    #    c(60,70,65,80,90)): a zero cell and a year without events (kept, 0.5 added)
    "zero cells": (
        (
            [2018, 2019, 2020, 2021, 2022],
            [0, 3, 0, 5, 7],
            [20, 25, 22, 30, 35],
            [4, 6, 0, 9, 8],
            [60, 70, 65, 80, 90],
        ),
        (0.24102423291727212, 0.23900643009568764, 0.31324209663148),
    ),
    # tr(c(1,2,3,4), c(5,2,6,8), c(5,10,20,25), c(7,0,10,11), c(7,30,40,45)): all events in a year
    "all events": (
        ([1, 2, 3, 4], [5, 2, 6, 8], [5, 10, 20, 25], [7, 0, 10, 11], [7, 30, 40, 45]),
        (0.10646828952135146, 0.12599380416037126, 0.39809521846812651),
    ),
    # tr(c(2020,2023), c(4,9), c(50,60), c(10,12), c(200,210))
    "two years": (
        ([2020, 2023], [4, 9], [50, 60], [10, 12], [200, 210]),
        (0.16502575559913962, 0.23523413230604909, 0.48296713527248036),
    ),
    # tr(c(2022,2019,2024,2020,2021), c(30,18,41,22,25), c(300,250,310,270,260),
    #    c(90,95,80,99,85), c(1500,1400,1600,1450,1420))
    "unsorted years": (
        (
            [2022, 2019, 2024, 2020, 2021],
            [30, 18, 41, 22, 25],
            [300, 250, 310, 270, 260],
            [90, 95, 80, 99, 85],
            [1500, 1400, 1600, 1450, 1420],
        ),
        (0.18375403589325229, 0.053761838267262843, 0.00063100040298309887),
    ),
}


@pytest.mark.parametrize("case", METAFOR_TREND.values(), ids=METAFOR_TREND.keys())
def test_trend_matches_metafor_fixed_effect_meta_regression(case: tuple[Any, ...]) -> None:
    data, expected = case
    result = trend(*data)
    for ours, theirs in zip((result.slope, result.se, result.p_value), expected, strict=True):
        assert ours.shape == (1,)
        _assert_close(float(ours[0]), theirs)
    assert result.years[0] == len(data[0])


def _statsmodels_trend(*data: np.ndarray) -> tuple[float, float, float]:
    x, a, n1, c, n2 = data
    y, v = zip(
        *(_stratum_log_ratio(*map(float, row)) for row in zip(a, n1, c, n2, strict=True)),
        strict=True,
    )
    fit = sm.WLS(np.array(y), sm.add_constant(np.asarray(x, dtype=float)), weights=1 / np.array(v))
    result = fit.fit(cov_type="fixed scale")
    return float(result.params[1]), float(result.bse[1]), float(result.pvalues[1])


def test_batched_trend_matches_statsmodels_wls_with_fixed_scale() -> None:
    comparisons, years = 300, 7
    rows = comparisons * years
    a, n1, c, n2 = _random_strata(rows, small=False)
    x = np.tile(np.arange(2018, 2018 + years), comparisons)
    strata_of = np.repeat(np.arange(comparisons), years)
    order = RNG.permutation(rows)
    result = trend(x[order], a[order], n1[order], c[order], n2[order], strata_of=strata_of[order])
    for k in range(comparisons):
        rows_k = strata_of == k
        expected = _statsmodels_trend(x[rows_k], a[rows_k], n1[rows_k], c[rows_k], n2[rows_k])
        for ours, theirs in zip((result.slope, result.se, result.p_value), expected, strict=True):
            _assert_close(float(ours[k]), theirs)
        assert result.years[k] == years


def test_trend_skips_years_with_an_empty_group() -> None:
    data, expected = METAFOR_TREND["zero cells"]
    x, a, n1, c, n2 = (list(column) for column in data)
    result = trend([*x, 2023, 2024], [*a, 0, 3], [*n1, 0, 5], [*c, 2, 0], [*n2, 9, 0])
    _assert_close(result.slope[0], expected[0])
    assert result.years[0] == 5


def test_trend_needs_two_distinct_usable_years() -> None:
    result = trend(
        [2020, 2021, 2020, 2020, 2021, 2022],
        [3, 0, 3, 5, 3, 1],
        [10, 0, 10, 12, 10, 10],
        [2, 2, 2, 2, 0, 2],
        [10, 10, 10, 10, 0, 10],
        strata_of=[0, 0, 1, 1, 2, 3],
        n_comparisons=5,
    )
    assert np.isnan(result.slope).all()
    assert np.isnan(result.se).all()
    assert np.isnan(result.p_value).all()
    np.testing.assert_array_equal(result.years, [1, 2, 0, 1, 0])


# ---------------------------------------------------------------------------------------------
# Batched equals one at a time, whatever the row order

batch = st.integers(1, 60).flatmap(
    lambda rows: st.tuples(
        st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=rows, max_size=rows),
        st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=rows, max_size=rows),
        st.lists(st.integers(0, 5), min_size=rows, max_size=rows),
        st.lists(st.integers(2015, 2024), min_size=rows, max_size=rows),
        st.randoms(use_true_random=False),
    )
)


@given(batch)
@settings(max_examples=60, deadline=None)
def test_batched_results_equal_one_comparison_at_a_time(data: tuple[Any, ...]) -> None:
    focal, reference, strata_of, x, random = data
    a = np.array([min(e, n) for e, n in focal])
    n1 = np.array([n for _, n in focal])
    c = np.array([min(e, n) for e, n in reference])
    n2 = np.array([n for _, n in reference])
    index, years = np.array(strata_of), np.array(x)
    order = np.array(random.sample(range(len(a)), len(a)))
    k = int(index.max()) + 1
    pooled = mantel_haenszel(a[order], n1[order], c[order], n2[order], strata_of=index[order])
    trends = trend(years[order], a[order], n1[order], c[order], n2[order], strata_of=index[order])
    assert pooled.estimate.shape == trends.slope.shape == (k,)
    for j in range(k):
        rows = index == j
        one = mantel_haenszel(a[rows], n1[rows], c[rows], n2[rows])
        for field in ("estimate", "ci_low", "ci_high", "q", "q_p_value"):
            np.testing.assert_allclose(
                getattr(pooled, field)[j], getattr(one, field)[0], 1e-11, 1e-12
            )
        assert pooled.strata[j] == one.strata[0]
        assert pooled.q_df[j] == one.q_df[0]
        alone = trend(years[rows], a[rows], n1[rows], c[rows], n2[rows])
        for field in ("slope", "se", "p_value"):
            np.testing.assert_allclose(
                getattr(trends, field)[j], getattr(alone, field)[0], 1e-9, 1e-12
            )
        assert trends.years[j] == alone.years[0]


# ---------------------------------------------------------------------------------------------
# Input validation: every error names the problem, where, and the fix

GOOD = ([1, 2], [5, 5], [1, 2], [5, 5])


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        (([[1, 2]], [5, 5], [1, 2], [5, 5]), r"a must be one-dimensional .* shape \(1, 2\)"),
        (([1, 2], [5, 5, 5], [1, 2], [5, 5]), r"n1 has 3 rows but a has 2"),
        (([1, 2], [5, 5], [1, 2], 5), r"n2 must be one-dimensional .* shape \(\)"),
        (
            ([1, -2], [5, 5], [1, 2], [5, 5]),
            r"a must not be negative, found -2 at row 1; counts of people",
        ),
        (
            ([1, 2], [5, 5], [1.5, 2], [5, 5]),
            r"c must hold whole numbers, found 1.5 at row 0; pass counts",
        ),
        (
            ([1, 2], [5, np.nan], [1, 2], [5, 5]),
            r"n1 must hold finite counts, found nan at row 1; drop the rows",
        ),
        (([1, 2], [5, 5], [1, 2], [5, np.inf]), r"n2 must hold finite counts, found inf at row 1"),
        (
            ([1, 6], [5, 5], [1, 2], [5, 5]),
            r"a exceeds n1 \(more events than people in the group\) at row 1;",
        ),
        (
            ([1, 2], [5, 5], [9, 9], [5, 5]),
            r"c exceeds n2 \(more events .*\) at row 0 \(first of 2\)",
        ),
        (
            (["1", "2"], [5, 5], [1, 2], [5, 5]),
            r"a must hold numbers, got dtype <U1; convert it first",
        ),
        (([True, False], [5, 5], [1, 2], [5, 5]), r"a must hold numbers, got dtype bool"),
    ],
)
def test_bad_counts_are_rejected(counts: tuple[Any, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mantel_haenszel(*counts)
    with pytest.raises(ValueError, match=match):
        trend([2020, 2021], *counts)


def test_a_count_error_does_not_reveal_the_counts() -> None:
    with pytest.raises(ValueError, match=r"a exceeds n1 .* at row 1;") as error:
        mantel_haenszel([1, 17], [5, 13], [1, 2], [5, 5])
    assert "17" not in str(error.value)
    assert "13" not in str(error.value)


@pytest.mark.parametrize(
    ("strata_of", "n_comparisons", "error", "match"),
    [
        ([0, 1, 2], None, ValueError, r"strata_of has 3 rows but a has 2"),
        ([[0, 1]], None, ValueError, r"strata_of must be one-dimensional"),
        (
            [0, -1],
            None,
            ValueError,
            r"strata_of must not be negative, found -1 at row 1; comparison",
        ),
        (
            [0, 3],
            2,
            ValueError,
            r"strata_of must be below n_comparisons=2, found 3 at row 1; raise",
        ),
        ([0.0, 1.0], None, ValueError, r"strata_of must hold integer .*got dtype float64"),
        ([0, 1], 1.5, ConfigError, r"n_comparisons must be an integer, got 1.5"),
        ([0, 1], True, ConfigError, r"n_comparisons must be an integer, got True"),
        (None, 2, ConfigError, r"n_comparisons is 2 but strata_of is None"),
        ([0, 1], -1, ConfigError, r"n_comparisons is -1; pass the number of comparisons"),
    ],
)
def test_bad_strata_of_is_rejected(
    strata_of: list[Any] | None, n_comparisons: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        mantel_haenszel(*GOOD, strata_of=strata_of, n_comparisons=n_comparisons)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        trend([1, 2], *GOOD, strata_of=strata_of, n_comparisons=n_comparisons)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, 95, -0.1, True, float("nan"), "0.95"])
def test_level_outside_zero_one_is_a_config_error(level: object) -> None:
    with pytest.raises(
        ConfigError, match=r"level must be .* strictly between 0 and 1, got .*; use e\.g\."
    ):
        mantel_haenszel(*GOOD, level=level)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x", "match"),
    [
        ([2020], r"x has 1 rows but a has 2"),
        ([2020, np.nan], r"x must hold finite years, found nan at row 1; drop the rows"),
        (["2020", "2021"], r"x must hold numbers"),
    ],
)
def test_bad_years_are_rejected(x: list[Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        trend(x, *GOOD)


def test_importing_compiles_no_kernel() -> None:
    code = (
        "from wres.engine.stats._kernels import pooled as k; "
        "import wres.engine.stats.pooled; "
        "assert not k.mantel_haenszel.signatures and not k.trend.signatures"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_warnings_on_degenerate_input() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mantel_haenszel([0, 0, 5], [0, 4, 5], [0, 0, 5], [0, 4, 5], strata_of=[0, 1, 2])
        trend([1, 1, 2], [0, 0, 5], [0, 4, 5], [0, 0, 5], [0, 4, 5], strata_of=[0, 1, 1])
