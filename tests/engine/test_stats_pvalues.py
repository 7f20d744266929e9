"""wres.engine.stats.pvalues against independent references: R, scipy and statsmodels.

R reference values were produced with R 4.2.2 (base stats) and epitools 0.5.10.1 by
``Rscript -e 'options(digits = 17); ...'`` with the call written beside each value, printed with
``sprintf("%.17g")``. A table is written (a, n1, c, n2): a events of n1 against c events of n2,
i.e. ``matrix(c(a, n1 - a, c, n2 - c), 2, byrow = TRUE)`` in R.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact, hypergeom
from statsmodels.stats import proportion

from wres.engine.errors import ConfigError
from wres.engine.stats._kernels import exact
from wres.engine.stats.pvalues import MAX_GROUP_SIZE, TESTS, p_value

Table = tuple[int, int, int, int]
Arrays = tuple[npt.NDArray[np.int64], ...]

# --- reference values from R ------------------------------------------------------------------

#: p-values from R, each group under the R call that gave it: (table, test, p).
R_P_VALUES: list[tuple[Table, str, float]] = [
    # fisher.test(matrix(c(a, n1 - a, c, n2 - c), 2, byrow = TRUE))$p.value
    # a margin half the total: the mirror table ties exactly with the observed one
    ((3, 10, 7, 10), "fisher", 0.1788954079975755),
    ((2, 8, 10, 16), "fisher", 0.19302732534661468),
    ((0, 1, 1, 1), "fisher", 1.0),
    ((5, 10, 0, 10), "fisher", 0.032507739938080538),
    ((1, 4, 3, 4), "fisher", 0.48571428571428582),
    ((6, 9, 3, 9), "fisher", 0.34693541752365314),
    ((0, 7, 7, 7), "fisher", 0.00058275058275058362),
    ((13, 20, 7, 20), "fisher", 0.11283377548309592),
    ((1, 3, 2, 3), "fisher", 1.0),
    ((30, 60, 10, 20), "fisher", 1.0),
    # N around two million: log-space saddle-point pmf, tails summed over thousands of tables
    ((500000, 1000000, 499000, 1000000), "fisher", 0.15771450478811258),
    ((10000, 1000000, 3100, 300000), "fisher", 0.11082933720193607),
    ((150, 300000, 600, 1000000), "fisher", 0.046116344316800721),
    ((1234, 999999, 1300, 1000001), "fisher", 0.19632379695823909),
    ((499000, 1000000, 501000, 1000000), "fisher", 0.004698431264457765),
    ((10000, 1000000, 2500, 300000), "fisher", 8.4861750154569547e-17),
    ((50, 1000000, 200, 1000000), "fisher", 1.9668997348397505e-22),
    # chisq.test(matrix(c(a, n1 - a, c, n2 - c), 2, byrow = TRUE), correct = FALSE)$p.value
    ((45, 300, 2, 3000), "chi2", 3.2696507982173545e-96),  # far in the tail
    ((17, 20, 7, 12), "chi2", 0.09169028154942882),
    ((3, 7, 1, 25), "chi2", 0.0060030467234475681),
    ((0, 50, 10, 50), "chi2", 0.00085812066639367449),
    ((12, 40, 5, 60), "chi2", 0.0047169603503018536),
    ((1, 1, 0, 1), "chi2", 0.15729920705028447),
    ((250, 1000, 180, 1000), "chi2", 0.00013894702800839565),
    ((3, 12, 9, 12), "chi2", 0.014305878435429647),
    ((20, 2000, 40, 3000), "chi2", 0.2889287372071116),
    ((0, 1, 5, 7), "chi2", 0.16754627748861725),
    # epitools::ormidp.test(a, n1 - a, c, n2 - c)$two.sided, which equals epitools::tab2by2.test(
    #     matrix(c(n2 - c, c, n1 - a, a), 2, byrow = TRUE))$p.value[2, "midp.exact"]
    ((17, 20, 7, 12), "midp", 0.1223268018596162),
    ((3, 7, 1, 25), "midp", 0.026279199110122331),
    ((0, 10, 0, 15), "midp", 1.0),
    ((5, 5, 5, 5), "midp", 1.0),
    ((0, 50, 10, 50), "midp", 0.00059341967258585981),
    ((12, 40, 5, 60), "midp", 0.006614408453149867),
    ((1, 1, 0, 1), "midp", 0.5),
    ((250, 1000, 180, 1000), "midp", 0.00013856944984746988),
    ((3, 12, 9, 12), "midp", 0.021227325642455552),
    ((20, 2000, 40, 3000), "midp", 0.2926189172179261),
    ((0, 1, 5, 7), "midp", 0.37500000000000011),
    ((14, 15, 6, 9), "midp", 0.14229249011857714),
]
R_FISHER, R_MIDP, R_CHI2 = (
    [(table, p) for table, of, p in R_P_VALUES if of == test] for test in ("fisher", "midp", "chi2")
)

# dhyper(a, a + c, n1 + n2 - a - c, n1, log = TRUE)
R_LOG_PMF: list[tuple[Table, float]] = [
    ((3, 10, 7, 10), -2.5518078290383599),
    ((0, 50, 10, 50), -7.4296086983385266),
    ((489, 1631, 462, 1824), -8.1580991885455205),
    ((500000, 1000000, 499000, 1000000), -7.7869730830130415),
    ((10000, 1000000, 2500, 300000), -39.493595775485268),
    ((0, 1000000, 400000, 1000000), -327793.03622612829),
    ((123456, 400000, 7, 5000), -1786.3396367471491),
]


# --- helpers ----------------------------------------------------------------------------------


def _columns(tables: list[Table]) -> Arrays:
    return tuple(np.array(column, dtype=np.int64) for column in zip(*tables, strict=True))


def _random_tables(rng: np.random.Generator, k: int, low: int, high: int) -> Arrays:
    """Tables whose two rates are close or far apart, so p-values span 1 down to underflow."""
    n1 = rng.integers(low, high, k)
    n2 = rng.integers(low, high, k)
    rate = rng.uniform(0, 1, k)
    shift = rng.choice([0.0, 0.02, 0.1, 0.5], k) * rng.choice([-1, 1], k)
    a = rng.binomial(n1, rate)
    c = rng.binomial(n2, np.clip(rate + shift, 0, 1))
    return a, n1, c, n2


def _edge_tables() -> list[Table]:
    """Zero and full cells, one-person groups, equal groups (ties) and everything in between."""
    tables = []
    for n1, n2 in [(1, 1), (1, 2), (1, 7), (2, 9), (5, 5), (10, 10), (12, 30), (40, 40), (3, 300)]:
        for a in sorted({0, 1, n1 // 2, n1 - 1, n1}):
            tables.extend((a, n1, c, n2) for c in sorted({0, 1, n2 // 2, n2 - 1, n2}))
    # a + c exactly half of n1 + n2: the other margin splits evenly, ties again
    for n1, n2 in [(8, 16), (3, 5), (30, 50), (101, 99)]:
        half = (n1 + n2) // 2
        tables.extend((a, n1, half - a, n2) for a in range(max(0, half - n2), min(n1, half) + 1))
    return tables


def _scipy_fisher(*table: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """scipy's two-sided Fisher p-value, one table at a time."""
    columns = [np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in table]
    return np.array(
        [fisher_exact([[x, n - x], [y, m - y]]).pvalue for x, n, y, m in zip(*columns, strict=True)]
    )


def _doubled_one_sided(a: int, n1: int, c: int, n2: int) -> float:
    """min(1, 2 min(P(X <= a), P(X >= a))): the exact test the mid-p halves the ties of."""
    dist = hypergeom(n1 + n2, a + c, n1)
    return float(min(1.0, 2 * min(dist.cdf(a), dist.sf(a - 1))))


def _midp_oracle(*table: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The epitools mid-p from scipy's hypergeometric distribution, each tail summed directly."""
    x, n1, c, n2 = (np.asarray(v, dtype=np.int64) for v in table)
    dist = hypergeom(n1 + n2, x + c, n1)
    half = 0.5 * dist.pmf(x)
    lower = dist.cdf(x - 1) + half
    upper = dist.sf(x) + half
    return np.minimum(1.0, 2 * np.minimum(lower, upper))


def _assert_close(ours: npt.ArrayLike, ref: npt.ArrayLike, rel: float) -> None:
    """Relative agreement; where the reference underflows (< 1e-290), ours must too."""
    ours_ = np.atleast_1d(np.asarray(ours, dtype=np.float64))
    ref_ = np.atleast_1d(np.asarray(ref, dtype=np.float64))
    tiny = ref_ < 1e-290
    np.testing.assert_allclose(ours_[~tiny], ref_[~tiny], rtol=rel, atol=0)
    np.testing.assert_array_less(ours_[tiny], 1e-280)


# --- Fisher -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "seed"), [(1, 8, 1), (1, 60, 2), (50, 600, 3), (500, 5000, 4)]
)
def test_fisher_matches_scipy_on_random_tables(low: int, high: int, seed: int) -> None:
    a, n1, c, n2 = _random_tables(np.random.default_rng(seed), 400, low, high)
    _assert_close(p_value(a, n1, c, n2, test="fisher"), _scipy_fisher(a, n1, c, n2), 1e-9)


def test_fisher_matches_scipy_on_tables_with_cells_up_to_500() -> None:
    # the benchmark's tables: four independent cells, so most p-values are tiny
    cells = np.random.default_rng(5).integers(0, 501, (600, 4))
    a, b, c, d = cells.T
    _assert_close(
        p_value(a, a + b, c, c + d, test="fisher"), _scipy_fisher(a, a + b, c, c + d), 1e-9
    )


def test_fisher_matches_scipy_at_the_edges() -> None:
    a, n1, c, n2 = _columns(_edge_tables())
    _assert_close(p_value(a, n1, c, n2, test="fisher"), _scipy_fisher(a, n1, c, n2), 1e-9)


@pytest.mark.parametrize(("table", "expected"), R_FISHER)
def test_fisher_matches_r(table: Table, expected: float) -> None:
    assert p_value(*table, test="fisher") == pytest.approx(expected, rel=1e-12)


def test_fisher_matches_scipy_on_huge_tables() -> None:
    # scipy's own error here is up to 5e-10 (R agrees with us to 1e-14, test above)
    tables = [table for table, _ in R_FISHER if table[1] >= 300000]
    a, n1, c, n2 = _columns(tables)
    _assert_close(p_value(a, n1, c, n2, test="fisher"), _scipy_fisher(a, n1, c, n2), 1e-9)


def test_fisher_counts_an_exact_tie_in_the_tail() -> None:
    # equal groups: X and m - X have one distribution, so P(X >= 7) = P(X <= 3) exactly
    tie_included = 2 * hypergeom(20, 10, 10).cdf(3)
    assert p_value(3, 10, 7, 10, test="fisher") == pytest.approx(tie_included, rel=1e-13)


@pytest.mark.parametrize(
    "table",
    [
        (500, 1000, 1000, 1000),  # a far below its mode with a long upper tail
        (2, 1000000, 300, 1000000),  # the mirror guess falls far from the crossing
        (30, 100000, 5, 10),  # tiny second group: the upper tail is empty
        (0, 1000000, 400000, 1000000),  # p underflows to 0
        (999990, 1000000, 3, 100),  # skewed: probes from above and below the threshold
        (1000, 4000, 1, 4000),  # just above the table of log-factorials' range
    ],
)
def test_fisher_matches_scipy_where_the_tail_search_must_recover(table: Table) -> None:
    _assert_close(p_value(*table, test="fisher"), _scipy_fisher(*table), 1e-9)


def test_fisher_follows_r_where_a_table_is_within_1e7_of_the_mode() -> None:
    # P(X = 2315) / P(X = 2314) = 1 + 9.4e-8: R's relErr counts the mode as no more probable,
    # so every table is in the tail. R: fisher.test(matrix(c(2314, 1891, 5651, 4615), 2,
    # byrow = TRUE))$p.value = 1; scipy (tolerance 1e-14) leaves the mode out: 0.98532.
    assert p_value(2314, 4205, 5651, 10266, test="fisher") == 1.0
    assert _scipy_fisher(2314, 4205, 5651, 10266)[0] == pytest.approx(0.98532, abs=1e-5)
    # one table further out both agree: fisher.test(matrix(c(2313, 1892, 5652, 4614), 2,
    # byrow = TRUE))$p.value = 0.95598031410536766
    assert p_value(2313, 4205, 5652, 10266, test="fisher") == pytest.approx(
        0.95598031410536766, rel=1e-12
    )


def test_fisher_puts_a_near_tie_above_the_observed_table_in_the_tail() -> None:
    # N = 3.4e8, too big for R: the next table up is within R's 1e-7 of the observed one and
    # joins the tail; the centre ("more probable") is decided here in exact rational arithmetic.
    x, n1, c, n2 = 80758835, 142351953, 112234487, 197833434
    m = x + c
    relative = {x: Fraction(1)}  # P(X = k) / P(X = x)
    for k in range(x, x + 40):
        relative[k + 1] = relative[k] * Fraction((n1 - k) * (m - k), (k + 1) * (n2 - m + k + 1))
    centre = [k for k, r in relative.items() if r > 1 + Fraction(1, 10**7)]
    assert centre == [x + 2, x + 3]
    expected = 1 - hypergeom(n1 + n2, m, n1).pmf(x) * sum(float(relative[k]) for k in centre)
    assert p_value(x, n1, c, n2, test="fisher") == pytest.approx(expected, abs=1e-10)


def _linear_scan(threshold: float, start: float, hi: float, margins: tuple) -> tuple:
    """The first table above ``start`` at or below the threshold, one evaluation at a time."""
    n1, n2, m, log_norm = margins
    for k in np.arange(start + 1, hi + 1):
        log_k = exact._log_pmf(k, n1, n2, m, log_norm)
        if log_k <= threshold:
            return k, log_k
    return hi + 1, -math.inf


@pytest.mark.parametrize("margins", [(1000, 1000, 1500), (300, 5000, 800), (6000, 7000, 5000)])
@pytest.mark.parametrize("drop", [0.5, 5.0, 50.0, 400.0, 3000.0])
def test_the_tail_search_agrees_with_a_linear_scan_from_any_first_guess(
    margins: tuple[int, int, int], drop: float
) -> None:
    # bad first guesses force every branch: tangent jumps from both sides, bisection, walks
    n1, n2, m = (float(x) for x in margins)
    log_norm = exact._log_norm(n1, n2, m)
    mode, hi = exact._mode(n1, n2, m), min(n1, m)
    threshold = exact._log_pmf(mode, n1, n2, m, log_norm) - drop
    expected = _linear_scan(threshold, mode, hi, (n1, n2, m, log_norm))
    for guess in (mode + 1, mode + 3, (mode + hi) // 2, hi):
        j, log_j = exact._first_at_most(threshold, mode, guess, hi, (n1, n2, m, log_norm))
        assert j == expected[0]
        assert log_j == pytest.approx(expected[1], rel=1e-12, abs=1e-12)


def test_the_tail_search_reports_no_crossing_when_the_support_ends_first() -> None:
    n1, n2, m = 30.0, 10.0, 35.0  # support 25 .. 30
    margins = (n1, n2, m, exact._log_norm(n1, n2, m))
    log_k = exact._log_pmf(26.0, n1, n2, m, margins[3])
    assert exact._walk_up(log_k - 1e3, 26.0, log_k, 30.0, margins) == (31.0, -math.inf)


def test_log_pmf_matches_r_dhyper_on_both_evaluation_paths() -> None:
    for (a, n1, c, n2), expected in R_LOG_PMF:
        m = float(a + c)
        log_norm = exact._log_norm(float(n1), float(n2), m)
        ours = exact._log_pmf(float(a), float(n1), float(n2), m, log_norm)
        # tabulated log-factorials (N <= 4096) err by a few ulps of log(N!), Loader's by less
        assert ours == pytest.approx(expected, rel=1e-14, abs=1e-11), (a, n1, c, n2)


# --- mid-p ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "expected"), R_MIDP)
def test_midp_matches_r_epitools(table: Table, expected: float) -> None:
    assert p_value(*table, test="midp") == pytest.approx(expected, rel=1e-11)


def test_midp_stays_precise_where_epitools_rounds_to_zero() -> None:
    # epitools::ormidp.test(45, 255, 2, 2998)$two.sided is 0: it forms 1 - (1 - p). We sum the tail.
    expected = 2 * (hypergeom(3300, 47, 300).sf(45) + 0.5 * hypergeom(3300, 47, 300).pmf(45))
    assert p_value(45, 300, 2, 3000, test="midp") == pytest.approx(expected, rel=1e-9)
    assert 0 < expected < 1e-40


@pytest.mark.parametrize(("low", "high", "seed"), [(1, 10, 11), (1, 200, 12), (200, 4000, 13)])
def test_midp_matches_the_hypergeometric_oracle(low: int, high: int, seed: int) -> None:
    a, n1, c, n2 = _random_tables(np.random.default_rng(seed), 2000, low, high)
    _assert_close(p_value(a, n1, c, n2, test="midp"), _midp_oracle(a, n1, c, n2), 1e-9)


def test_midp_matches_the_oracle_at_the_edges() -> None:
    a, n1, c, n2 = _columns(_edge_tables())
    _assert_close(p_value(a, n1, c, n2, test="midp"), _midp_oracle(a, n1, c, n2), 1e-9)


def test_midp_can_exceed_fisher_when_the_groups_differ_in_size() -> None:
    # R: ormidp.test(17, 3, 7, 5)$two.sided = 0.1223 > fisher.test(...)$p.value = 0.1161.
    # Fisher's two-sided tail is not a doubling, so "midp <= fisher" is not a property.
    midp = p_value(17, 20, 7, 12, test="midp")
    fisher = p_value(17, 20, 7, 12, test="fisher")
    assert midp > fisher
    assert midp <= _doubled_one_sided(17, 20, 7, 12)


# --- chi-square -------------------------------------------------------------------------------


def test_chi2_matches_scipy_chi2_contingency() -> None:
    a, n1, c, n2 = _random_tables(np.random.default_rng(21), 500, 1, 3000)
    testable = (a + c > 0) & (a + c < n1 + n2)
    a, n1, c, n2 = a[testable], n1[testable], c[testable], n2[testable]
    expected = [
        chi2_contingency([[x, n - x], [y, m - y]], correction=False).pvalue
        for x, n, y, m in zip(a, n1, c, n2, strict=True)
    ]
    _assert_close(p_value(a, n1, c, n2, test="chi2"), expected, 1e-9)


@pytest.mark.parametrize(("table", "expected"), R_CHI2)
def test_chi2_matches_r_chisq_test(table: Table, expected: float) -> None:
    assert p_value(*table, test="chi2") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("table", [table for table, _ in R_CHI2])
def test_chi2_is_the_score_test_of_statsmodels(table: Table) -> None:
    a, n1, c, n2 = table
    ours = p_value(a, n1, c, n2, test="chi2")
    # statsmodels forms a/n1 / (c/n2) even for the difference: numpy warns when c = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for compare in ("diff", "ratio") if c > 0 else ("diff",):
            score = proportion.test_proportions_2indep(
                a, n1, c, n2, method="score", compare=compare, correction=False
            )
            assert ours == pytest.approx(score.pvalue, rel=1e-11)
    assert ours == pytest.approx(proportion.proportions_ztest([a, c], [n1, n2])[1], rel=1e-11)


@pytest.mark.parametrize("table", [(0, 10, 0, 15), (7, 7, 4, 4), (0, 1, 0, 1), (1, 1, 1, 1)])
def test_chi2_is_one_when_both_groups_share_an_all_or_nothing_rate(table: Table) -> None:
    a, n1, c, n2 = table
    # scipy refuses these (an expected count is zero; R returns NaN); the rates are equal
    with pytest.raises(ValueError, match="expected frequencies has a zero element"):
        chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=False)
    assert p_value(*table, test="chi2") == 1.0


# --- all tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("test", TESTS)
def test_an_empty_group_has_no_p_value(test: str) -> None:
    out = p_value([0, 3, 0], [0, 5, 4], [2, 0, 0], [6, 0, 0], test=test)
    assert np.isnan(out).all()


@pytest.mark.parametrize("test", TESTS)
def test_identical_tables_have_p_value_one(test: str) -> None:
    assert p_value(3, 10, 3, 10, test=test) == pytest.approx(1.0)


def test_the_default_is_chi2_and_tests_are_listed() -> None:
    assert TESTS == ("chi2", "midp", "fisher")
    assert p_value(12, 40, 5, 60) == p_value(12, 40, 5, 60, test="chi2")


@pytest.mark.parametrize("test", TESTS)
def test_arrays_broadcast_and_keep_their_shape(test: str) -> None:
    a = np.array([[1, 2, 3], [4, 5, 6]])
    out = p_value(a, 10, np.array([0, 5, 9]), 12, test=test)
    assert out.shape == (2, 3)
    assert out.dtype == np.float64
    for index in np.ndindex(2, 3):
        single = p_value(a[index], 10, [0, 5, 9][index[1]], 12, test=test)
        assert single.shape == ()
        assert out[index] == single


def test_integer_and_whole_float_counts_give_the_same_p_values() -> None:
    a, n1, c, n2 = _random_tables(np.random.default_rng(31), 50, 1, 200)
    for test in TESTS:
        ints = p_value(a, n1, c, n2, test=test)
        floats = p_value(
            a.astype(float),
            n1.astype(np.float32),
            c.astype(np.uint16),
            n2.astype(float),
            test=test,
        )
        np.testing.assert_array_equal(ints, floats)


def test_no_comparisons_give_an_empty_result() -> None:
    out = p_value([], [], [], [], test="fisher")
    assert out.shape == (0,)


# --- properties -------------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn, max_size: int = 400) -> Table:
    n1 = draw(st.integers(1, max_size))
    n2 = draw(st.integers(1, max_size))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@settings(max_examples=300, deadline=None)
@given(tables())
def test_p_values_are_probabilities_symmetric_in_groups_and_in_events(table: Table) -> None:
    a, n1, c, n2 = table
    for test in TESTS:
        p = float(p_value(a, n1, c, n2, test=test))
        assert 0.0 <= p <= 1.0
        swapped_groups = float(p_value(c, n2, a, n1, test=test))
        swapped_events = float(p_value(n1 - a, n1, n2 - c, n2, test=test))
        # mirrored tables take other arithmetic paths: agreement to the kernels' accuracy
        assert swapped_groups == pytest.approx(p, rel=1e-10, abs=1e-300)
        assert swapped_events == pytest.approx(p, rel=1e-10, abs=1e-300)


@settings(max_examples=150, deadline=None)
@given(tables(max_size=150))
def test_midp_is_below_the_doubled_one_sided_exact_p(table: Table) -> None:
    assert p_value(*table, test="midp") <= _doubled_one_sided(*table) * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 300).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.integers(0, n), st.just(n))
    )
)
def test_midp_is_at_most_fisher_with_equal_groups(table: tuple[int, int, int]) -> None:
    # equal groups make the distribution symmetric: Fisher's tail is then the doubled one
    a, c, n = table
    assert p_value(a, n, c, n, test="midp") <= p_value(a, n, c, n, test="fisher") * (1 + 1e-12)


@settings(max_examples=150, deadline=None)
@given(tables(max_size=150))
def test_fisher_includes_the_observed_table_and_is_one_at_the_mode(table: Table) -> None:
    a, n1, c, n2 = table
    dist = hypergeom(n1 + n2, a + c, n1)
    p = p_value(a, n1, c, n2, test="fisher")
    assert p >= dist.pmf(a) * (1 - 1e-12)
    lo, hi = dist.support()
    mode = int(np.arange(lo, hi + 1)[np.argmax(dist.pmf(np.arange(lo, hi + 1)))])
    assert p_value(mode, n1, a + c - mode, n2, test="fisher") == 1.0


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fischer", "Fisher", "", None, ["fisher"]])
def test_unknown_test_names_the_choices(name: object) -> None:
    with pytest.raises(ConfigError, match=r"unknown test .* available: chi2, midp, fisher\."):
        p_value(1, 10, 2, 10, test=name)


def test_shapes_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(
        ValueError, match=r"must broadcast to one shape, got a=\(3,\), n1=\(2,\), c=\(\)"
    ):
        p_value([1, 2, 3], [4, 5], 1, 6)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"a": [1, -1]}, r"a must not be negative, found -1 at position 1; counts of people"),
        ({"n2": -3}, r"n2 must not be negative, found -3 in the scalar given"),
        ({"c": [1, 2.5]}, r"c must hold whole numbers, found 2.5 at position 1; pass counts"),
        ({"n1": [10, np.nan]}, r"n1 must hold finite counts, found nan at position 1; drop"),
        ({"n2": np.inf}, r"n2 must hold finite counts, found inf"),
        ({"a": ["1"]}, r"a must hold numbers, got dtype <U1; convert it first"),
        ({"c": [True]}, r"c must hold numbers, got dtype bool"),
        ({"n1": [None]}, r"n1 must hold numbers, got dtype object"),
        ({"n1": 2**31}, r"n1 must be at most 1,073,741,824 people, found 2147483648.0 in the"),
        ({"n2": [[1], [2**31]]}, r"n2 must be at most .*, found 2147483648.0 at position \(1, 0\)"),
        ({"a": [[0, 1], [2, -4]]}, r"a must not be negative, found -4 at position \(1, 1\)"),
        (
            {"c": [np.nan, 1, np.nan]},
            r"c must hold finite counts, found nan at position 0 \(first of 2\)",
        ),
    ],
)
def test_bad_counts_are_named_with_the_value_and_the_fix(
    kwargs: dict[str, object], pattern: str
) -> None:
    counts: dict[str, object] = {"a": 1, "n1": 10, "c": 2, "n2": 10} | kwargs
    with pytest.raises(ValueError, match=pattern):
        p_value(**counts)


@pytest.mark.parametrize(
    ("counts", "pattern"),
    [
        ((1, [555, 555, 555], [3, 777, 3], 555), r"c exceeds n2 \(more events .* at position 1;"),
        (([3, 777], 555, 1, 10), r"a exceeds n1 \(more events .* at position 1;"),
        (
            ([[3, 777], [778, 1]], 555, 1, 10),
            r"a exceeds n1 .* at position \(0, 1\) \(first of 2\)",
        ),
    ],
)
def test_more_events_than_people_is_named_without_quoting_the_counts(
    counts: tuple[object, ...], pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern) as error:
        p_value(*counts)
    message = str(error.value)
    assert "0 <= a <= n1" in message
    assert "555" not in message
    assert "777" not in message
    assert "778" not in message


def test_the_group_size_limit_is_the_documented_one() -> None:
    assert p_value(0, MAX_GROUP_SIZE, 1, MAX_GROUP_SIZE, test="chi2") == pytest.approx(
        chi2_contingency([[0, MAX_GROUP_SIZE], [1, MAX_GROUP_SIZE - 1]], correction=False).pvalue,
        rel=1e-9,
    )
