"""The ratio intervals of wres.engine.stats.intervals against independent references.

References, each independent of the kernel's code:
- R (hand-written Koopman / Miettinen-Nurminen by uniroot, epitools for Katz), values below with
  the R call that produced them;
- published values: PropCIs ``riskscoreci`` and Fagerland, Lydersen & Laake (2015) as quoted in
  statsmodels' own test suite (statsmodels/stats/tests/test_proportion.py), and the Koopman
  (1984) example worked by Nam (1995);
- statsmodels ``confint_proportions_2indep`` (score: ``correction=False``; Miettinen-Nurminen:
  ``correction=True``, statsmodels' default) and scipy ``relative_risk`` on random tables;
- a 60-digit decimal bisection on the textbook score statistic at the edges (x = 0, x = n, n of
  1 or 2, n up to 1e7), where statsmodels' closed form picks the wrong root;
- an exhaustive grid over every table with n1, n2 <= 5: the interval is exactly the set of
  ratios whose score statistic is below the chi-square quantile.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.special import ndtri
from scipy.stats import chi2, chi2_contingency, contingency
from statsmodels.stats.proportion import confint_proportions_2indep

from wres.engine.errors import ConfigError
from wres.engine.stats.intervals import CI_METHODS, RatioEstimate, relative_likelihood

RNG = np.random.default_rng(20261128)
Z95 = float(ndtri(0.975))


def _random_tables(k: int, high: int = 400) -> tuple[np.ndarray, ...]:
    n1 = RNG.integers(1, high, k)
    n2 = RNG.integers(1, high, k)
    return RNG.integers(0, n1 + 1), n1, RNG.integers(0, n2 + 1), n2


def _one(result: RatioEstimate) -> tuple[float, float, float]:
    return float(result.estimate), float(result.ci_low), float(result.ci_high)


# --- R -----------------------------------------------------------------------------------------
# Rscript, R 4.x base stats only; printed with sprintf("%.17g"):
#   zstat <- function(th, a, n1, c, n2) {
#     N <- n1 + n2; A <- N * th; B <- -(n1 * th + a + n2 + c * th); C <- a + c
#     p2 <- (-B - sqrt(B^2 - 4 * A * C)) / (2 * A); p1 <- th * p2
#     V <- p1 * (1 - p1) / n1 + th^2 * p2 * (1 - p2) / n2
#     (a / n1 - th * c / n2) / sqrt(V)
#   }
#   scoreci <- function(a, n1, c, n2, level = 0.95, mn = FALSE) {
#     z <- qnorm(0.5 + level / 2); N <- n1 + n2
#     s <- if (mn) sqrt((N - 1) / N) else 1
#     f <- function(x, t) s * zstat(exp(x), a, n1, c, n2) - t
#     est <- log(a * n2 / (n1 * c))
#     lo <- if (a == 0) 0 else exp(uniroot(f, c(-20, if (c == 0) 20 else est), t = z,
#                                          tol = 1e-15, maxiter = 10000)$root)
#     hi <- if (c == 0) Inf else exp(uniroot(f, c(if (a == 0) -20 else est, 20), t = -z,
#                                            tol = 1e-15, maxiter = 10000)$root)
#     c(lo, hi)
#   }
# R's textbook quadratic loses about seven digits at n = 1e7 (cancellation in -B - sqrt(...)),
# hence rel=1e-8 here; the decimal oracle below checks those tables to 1e-12.
R_SCORE = [
    # (a, n1, c, n2), method, scoreci(a, n1, c, n2, mn = FALSE) for "score", TRUE for "mn"
    ((7, 34, 1, 34), "score", (1.2208528535148124, 42.575717609760353)),
    ((7, 34, 1, 34), "mn", (1.2085679750900291, 43.032972238694789)),
    ((36, 40, 16, 80), "score", (2.9395691922149942, 7.1522234348660287)),
    ((36, 40, 16, 80), "mn", (2.9346464594877992, 7.1662982994603341)),
    ((0, 10, 5, 10), "score", (0.0, 0.61286057742576705)),
    ((0, 10, 5, 10), "mn", (0.0, 0.64117787296792417)),
    ((10, 10, 5, 10), "score", (1.2688593554931089, 4.2266661204414842)),
    ((10, 10, 5, 10), "mn", (1.2449066747425277, 4.3158770051760875)),
    ((5, 10, 10, 10), "score", (0.23659309051256402, 0.78810941155206171)),
    ((5, 10, 10, 10), "mn", (0.23170261775316742, 0.8032730647916424)),
    ((1, 1, 1, 2), "score", (0.32669355396140404, 10.578517350254103)),
    ((1, 1, 1, 2), "mn", (0.23033732238421134, 14.4500271698937)),
    ((0, 1, 1, 1), "score", (0.0, 1.9207294103470618)),
    ((0, 1, 1, 1), "mn", (0.0, 3.8414588206941218)),
    ((2, 3, 3, 3), "score", (0.20765960080204776, 1.7337385613039231)),
    ((2, 3, 3, 3), "mn", (0.18516799787292243, 1.9471529402313736)),
    ((123456, 1000000, 98765, 1000000), "score", (1.2401681494817101, 1.2599052972047058)),
    ((123456, 1000000, 98765, 1000000), "mn", (1.2401681470341528, 1.2599052996915177)),
    ((1, 10000000, 3, 10000000), "score", (0.04776472764719953, 2.3262165563309605)),
    ((1, 10000000, 3, 10000000), "mn", (0.047764725856737369, 2.3262166431310765)),
    ((0, 5000000, 1, 7000000), "score", (0.0, 5.3780414980587583)),
    ((0, 5000000, 1, 7000000), "mn", (0.0, 5.3780419392652759)),
    ((250, 400, 3, 7), "score", (0.82655695415190977, 3.959533342614177)),
    ((250, 400, 3, 7), "mn", (0.82623438702647678, 3.9644604216688211)),
    # c = 0: no upper limit (hi is Inf in scoreci)
    ((5, 10, 0, 10), "score", (1.6316924873849064, math.inf)),
    ((5, 10, 0, 10), "mn", (1.5596296163046586, math.inf)),
    ((1, 2, 0, 1), "score", (0.24365411357061373, math.inf)),
    ((1, 2, 0, 1), "mn", (0.16607155372121063, math.inf)),
]


@pytest.mark.parametrize(("table", "method", "expected"), R_SCORE)
def test_score_and_mn_match_r(
    table: tuple[int, ...], method: str, expected: tuple[float, float]
) -> None:
    _, low, high = _one(relative_likelihood(*table, ci=method))  # type: ignore[arg-type]
    assert (low, high) == pytest.approx(expected, rel=1e-8, abs=0.0)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # scoreci(7, 34, 1, 34, level = 0.9) and level = 0.99
        (0.9, (1.5344449802284006, 33.447661221033677)),
        (0.99, (0.82176555206995228, 64.659450195451868)),
    ],
)
def test_score_level_matches_r(level: float, expected: tuple[float, float]) -> None:
    _, low, high = _one(relative_likelihood(7, 34, 1, 34, level=level))
    assert (low, high) == pytest.approx(expected, rel=1e-9)


KATZ_R = [
    # suppressWarnings(epitools::riskratio.wald(matrix(c(n2 - c, c, n1 - a, a) + add, nrow = 2,
    #   byrow = TRUE), rev = "neither")$measure[2, ]); add = 0.5 where a cell is zero
    ((7, 34, 1, 34), False, (7.0, 0.90960551184207716, 53.869506464146411)),
    ((36, 40, 16, 80), False, (4.5, 2.8685501986034847, 7.0593151933887883)),
    (
        (123456, 1000000, 98765, 1000000),
        False,
        (1.2499974687389257, 1.2401678277685337, 1.2599050200045563),
    ),
    ((3, 5, 2, 9), False, (2.7000000000000002, 0.65500322796738786, 11.129716142960694)),
    ((0, 50, 5, 50), True, (0.0, 0.0051600021335394012, 1.6016394172008825)),
    ((5, 10, 0, 10), True, (math.nan, 0.6880371978272366, 175.86258472958696)),
    ((10, 10, 5, 10), True, (2.0, 1.0426537519342141, 3.4955306039156806)),
    ((1, 1, 1, 2), True, (2.0, 0.37514647988985977, 5.9976572368760683)),
]


@pytest.mark.parametrize(("table", "corrected", "expected"), KATZ_R)
def test_katz_matches_epitools(
    table: tuple[int, ...], corrected: bool, expected: tuple[float, float, float]
) -> None:
    result = relative_likelihood(*table, ci="katz")
    assert bool(result.corrected) is corrected
    assert _one(result) == pytest.approx(expected, rel=1e-12, nan_ok=True)
    assert result.method == "katz-log"


# --- published values ----------------------------------------------------------------------------


def test_published_values() -> None:
    # PropCIs::riskscoreci(7, 34, 1, 34, 0.95) = 1.220853, 42.575718 (statsmodels' test suite)
    _, low, high = _one(relative_likelihood(7, 34, 1, 34, ci="score"))
    assert low == pytest.approx(1.220853, abs=6e-7)
    assert high == pytest.approx(42.575718, abs=6e-7)
    # Koopman (1984) example, 36/40 vs 16/80, solved by Nam (1995): 2.940 to 7.152
    _, low, high = _one(relative_likelihood(36, 40, 16, 80))
    assert (low, high) == pytest.approx((2.940, 7.152), abs=5e-4)
    # Fagerland, Lydersen & Laake (2015), 7/34 vs 1/34: Katz log 0.91 to 54 (two digits)
    _, low, high = _one(relative_likelihood(7, 34, 1, 34, ci="katz"))
    assert (low, high) == pytest.approx((0.91, 54), rel=0.01)


# --- statsmodels and scipy on random tables ------------------------------------------------------


@pytest.mark.parametrize(("method", "correction"), [("score", False), ("mn", True)])
def test_score_matches_statsmodels_on_random_tables(method: str, correction: bool) -> None:
    a, n1, c, n2 = _random_tables(400)
    result = relative_likelihood(a, n1, c, n2, ci=method)  # type: ignore[arg-type]
    interior = (a > 0) & (c > 0) & (a < n1) & (c < n2)
    assert interior.sum() > 300
    for i in np.flatnonzero(interior):
        low, high = confint_proportions_2indep(
            int(a[i]), int(n1[i]), int(c[i]), int(n2[i]),
            method="score", compare="ratio", correction=correction,
        )  # fmt: skip
        # statsmodels solves Nam's cubic with np.roots: good to about 1e-8
        assert result.ci_low[i] == pytest.approx(low, rel=1e-7)
        assert result.ci_high[i] == pytest.approx(high, rel=1e-7)
        assert result.estimate[i] == pytest.approx((a[i] / n1[i]) / (c[i] / n2[i]), rel=1e-12)


@pytest.mark.parametrize(("method", "correction"), [("score", False), ("mn", True)])
def test_finite_bound_matches_statsmodels_when_one_group_has_no_events(
    method: str, correction: bool
) -> None:
    for a, n1, c, n2 in [(0, 10, 5, 10), (0, 100, 3, 50), (0, 7, 1, 300), (4, 9, 0, 12)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels divides by zero on the way
            low, high = confint_proportions_2indep(
                a, n1, c, n2, method="score", compare="ratio", correction=correction
            )
        _, ours_low, ours_high = _one(relative_likelihood(a, n1, c, n2, ci=method))  # type: ignore[arg-type]
        if a == 0:
            assert ours_low == 0.0
            assert ours_high == pytest.approx(high, rel=1e-7)
        else:
            assert ours_high == math.inf
            assert ours_low == pytest.approx(low, rel=1e-7)


def test_katz_matches_scipy_relative_risk_away_from_zero_cells() -> None:
    a, n1, c, n2 = _random_tables(300)
    result = relative_likelihood(a, n1, c, n2, ci="katz")
    zero_cell = (a == 0) | (c == 0) | (a == n1) | (c == n2)
    np.testing.assert_array_equal(result.corrected, zero_cell & ((a > 0) | (c > 0)))
    for i in np.flatnonzero(~zero_cell):
        ref = contingency.relative_risk(int(a[i]), int(n1[i]), int(c[i]), int(n2[i]))
        ci = ref.confidence_interval(confidence_level=0.95)
        assert result.estimate[i] == pytest.approx(ref.relative_risk, rel=1e-12)
        assert result.ci_low[i] == pytest.approx(ci.low, rel=1e-9)
        assert result.ci_high[i] == pytest.approx(ci.high, rel=1e-9)


def test_katz_adds_one_half_to_every_cell_at_a_zero_cell() -> None:
    for a, n1, c, n2 in [(0, 50, 5, 50), (5, 40, 0, 60), (30, 30, 7, 12), (2, 9, 12, 12)]:
        result = relative_likelihood(a, n1, c, n2, ci="katz", level=0.9)
        a_, b_, c_, d_ = a + 0.5, n1 - a + 0.5, c + 0.5, n2 - c + 0.5
        log_rr = math.log(a_ / (a_ + b_)) - math.log(c_ / (c_ + d_))
        se = math.sqrt(1 / a_ - 1 / (a_ + b_) + 1 / c_ - 1 / (c_ + d_))
        z90 = 1.6448536269514722  # qnorm(0.95)
        assert bool(result.corrected)
        assert float(result.ci_low) == pytest.approx(math.exp(log_rr - z90 * se), rel=1e-12)
        assert float(result.ci_high) == pytest.approx(math.exp(log_rr + z90 * se), rel=1e-12)


# --- a high-precision oracle at the edges --------------------------------------------------------


def _decimal_score_z(theta: Decimal, a: Decimal, n1: Decimal, c: Decimal, n2: Decimal) -> Decimal:
    """Textbook score statistic (Farrington-Manning quadratic), exact enough at 60 digits."""
    big_a = (n1 + n2) * theta
    big_b = -(n1 * theta + a + n2 + c * theta)
    big_c = a + c
    p2 = (-big_b - (big_b * big_b - 4 * big_a * big_c).sqrt()) / (2 * big_a)
    p1 = theta * p2
    var = p1 * (1 - p1) / n1 + theta * theta * p2 * (1 - p2) / n2
    return (a / n1 - theta * c / n2) / var.sqrt()


def _decimal_bound(table: tuple[int, ...], level: float, mn: bool, upper: bool) -> float:
    """A score bound by plain bisection on log(theta) over [inner, inner +- 60], 60 digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        a, n1, c, n2 = (Decimal(x) for x in table)
        z = Decimal(float(ndtri(0.5 + level / 2)))
        scale = ((n1 + n2 - 1) / (n1 + n2)).sqrt() if mn else Decimal(1)
        target = -z if upper else z

        def excess(x: Decimal) -> Decimal:
            return scale * _decimal_score_z(x.exp(), a, n1, c, n2) - target

        if a > 0 and c > 0:
            inner = (a * n2 / (n1 * c)).ln()
            inner_excess = -target  # Z = 0 at the estimate
        else:
            inner = Decimal(-40) if upper else Decimal(40)  # Z is ~0 that far out
            inner_excess = excess(inner)
        outer = inner + (Decimal(60) if upper else Decimal(-60))
        outer_excess = excess(outer)
        assert inner_excess * outer_excess < 0
        for _ in range(110):
            mid = (inner + outer) / 2
            if (excess(mid) > 0) == (outer_excess > 0):
                outer = mid
            else:
                inner = mid
        return float(((inner + outer) / 2).exp())


EDGE_TABLES = [
    # all events in one or both groups
    (10, 10, 5, 10), (5, 10, 10, 10), (10, 10, 10, 10), (1, 1, 1, 1), (2, 2, 1, 1), (3, 3, 1, 4),
    (10_000_000, 10_000_000, 9_999_990, 10_000_000), (10_000_000, 10_000_000, 1, 1),
    (1_000_000, 1_000_000, 1, 1_000_000), (1, 1_000_000, 1_000_000, 1_000_000),
    (1, 1, 10_000_000, 10_000_000), (2, 2, 1_000_000, 1_000_000), (9_999_999, 10_000_000, 3, 3),
    # no events in one group
    (0, 10, 5, 10), (5, 10, 0, 10), (0, 1, 1, 1), (1, 1, 0, 1), (0, 2, 2, 2), (2, 2, 0, 2),
    (0, 5_000_000, 1, 7_000_000), (3, 10_000_000, 0, 1_000_000), (0, 1, 10_000_000, 10_000_000),
    # tiny and huge groups
    (1, 2, 1, 2), (1, 1, 1, 2), (1, 2, 1, 1), (1, 10_000_000, 3, 10_000_000),
    (123_456, 1_000_000, 98_765, 1_000_000), (4_999_999, 9_999_999, 5_000_000, 10_000_000),
    (1, 10_000_000, 1, 1), (1, 1, 1, 10_000_000),
]  # fmt: skip


@pytest.mark.parametrize("table", EDGE_TABLES)
@pytest.mark.parametrize("method", ["score", "mn"])
def test_edges_match_a_60_digit_bisection(table: tuple[int, ...], method: str) -> None:
    a, _, c, _ = table
    level = 0.95
    _, low, high = _one(relative_likelihood(*table, ci=method, level=level))  # type: ignore[arg-type]
    mn = method == "mn"
    if a == 0:
        assert low == 0.0
    else:
        assert low == pytest.approx(_decimal_bound(table, level, mn, upper=False), rel=1e-12)
    if c == 0:
        assert high == math.inf
    else:
        assert high == pytest.approx(_decimal_bound(table, level, mn, upper=True), rel=1e-12)


@pytest.mark.parametrize("level", [0.875, 0.95, 0.999])
def test_a_bound_whose_newton_steps_bounced_matches_the_bisection(level: float) -> None:
    # found by hypothesis: from the flat side of Z the Newton step lands on the steep side and
    # back, never converging; rtsafe's rule (bisect when a step is not half the one before)
    table = (0, 1, 1192, 2078)
    _, _, high = _one(relative_likelihood(*table, ci="score", level=level))
    assert high == pytest.approx(_decimal_bound(table, level, False, upper=True), rel=1e-12)


def _grid_statistic(theta: np.ndarray, a: int, n1: int, c: int, n2: int) -> np.ndarray:
    """Squared score statistic on a grid, straight from the textbook formula in numpy."""
    big_a = (n1 + n2) * theta
    big_b = -(n1 * theta + a + n2 + c * theta)
    p2 = (-big_b - np.sqrt(big_b**2 - 4 * big_a * (a + c))) / (2 * big_a)
    p1 = theta * p2
    var = p1 * (1 - p1) / n1 + theta**2 * p2 * (1 - p2) / n2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((a / n1 - theta * c / n2) ** 2 / var)


@pytest.mark.parametrize("method", ["score", "mn"])
def test_interval_is_exactly_the_accepted_ratios_for_every_small_table(method: str) -> None:
    tables = [
        (a, n1, c, n2)
        for n1 in range(1, 6)
        for n2 in range(1, 6)
        for a in range(n1 + 1)
        for c in range(n2 + 1)
        if a + c > 0
    ]
    a, n1, c, n2 = (np.array(x) for x in zip(*tables, strict=True))
    result = relative_likelihood(a, n1, c, n2, ci=method)  # type: ignore[arg-type]
    theta = np.geomspace(1e-3, 1e3, 600)
    for i, (ai, n1i, ci, n2i) in enumerate(tables):
        statistic = _grid_statistic(theta, ai, n1i, ci, n2i)
        if method == "mn":
            statistic *= (n1i + n2i - 1) / (n1i + n2i)
        # 0/0 only at the estimate when every member of both groups had the event
        accepted = np.where(np.isnan(statistic), True, statistic <= Z95**2)
        inside = (theta >= result.ci_low[i]) & (theta <= result.ci_high[i])
        near_bound = np.isclose(theta, result.ci_low[i], rtol=1e-7, atol=0) | np.isclose(
            theta, result.ci_high[i], rtol=1e-7, atol=0
        )
        mismatch = (accepted != inside) & ~near_bound
        assert not mismatch.any(), (tables[i], theta[mismatch])


# --- edge-case conventions -----------------------------------------------------------------------


@pytest.mark.parametrize("method", CI_METHODS)
def test_empty_group_gives_nothing(method: str) -> None:
    result = relative_likelihood([0, 0, 3], [0, 5, 5], [2, 0, 0], [4, 0, 0], ci=method)  # type: ignore[arg-type]
    assert np.isnan(result.estimate).all()
    assert np.isnan(result.ci_low).all()
    assert np.isnan(result.ci_high).all()
    assert not result.corrected.any()


@pytest.mark.parametrize("method", CI_METHODS)
def test_no_events_in_either_group_rejects_no_ratio(method: str) -> None:
    result = relative_likelihood([0, 0], [1, 1_000_000], [0, 0], [3, 7], ci=method)  # type: ignore[arg-type]
    assert np.isnan(result.estimate).all()
    assert (result.ci_low == 0.0).all()
    assert (result.ci_high == np.inf).all()
    assert not result.corrected.any()


@pytest.mark.parametrize("method", ["score", "mn"])
def test_score_bounds_at_zero_events(method: str) -> None:
    result = relative_likelihood([0, 6], [20, 20], [6, 0], [20, 20], ci=method)  # type: ignore[arg-type]
    assert result.estimate[0] == 0.0
    assert result.ci_low[0] == 0.0
    assert 0 < result.ci_high[0] < 1
    assert np.isnan(result.estimate[1])
    assert 1 < result.ci_low[1] < np.inf
    assert result.ci_high[1] == np.inf
    assert not result.corrected.any()
    # the two are mirror images
    assert result.ci_low[1] == pytest.approx(1 / result.ci_high[0], rel=1e-12)


def test_katz_at_zero_events_is_corrected_and_finite() -> None:
    result = relative_likelihood([0, 6], [20, 20], [6, 0], [20, 20], ci="katz")
    assert result.estimate[0] == 0.0
    assert np.isnan(result.estimate[1])
    assert result.corrected.all()
    assert (result.ci_low > 0).all()
    assert np.isfinite(result.ci_high).all()


@pytest.mark.parametrize("method", CI_METHODS)
def test_all_events_in_both_groups(method: str) -> None:
    for n1, n2 in [(1, 1), (1, 2), (7, 3), (10_000_000, 10_000_000)]:
        estimate, low, high = _one(relative_likelihood(n1, n1, n2, n2, ci=method))  # type: ignore[arg-type]
        assert estimate == 1.0
        assert 0 < low < 1 < high < np.inf


def test_methods_are_named() -> None:
    names = {m: relative_likelihood(1, 2, 1, 2, ci=m).method for m in CI_METHODS}  # type: ignore[arg-type]
    assert names == {"score": "score (Koopman)", "mn": "Miettinen-Nurminen", "katz": "katz-log"}
    assert relative_likelihood(1, 2, 1, 2).method == "score (Koopman)"


def test_shapes_broadcast_and_dtypes_do_not_matter() -> None:
    result = relative_likelihood(5, 10, [[1, 2, 3], [4, 5, 6]], 10)
    assert result.estimate.shape == result.ci_low.shape == result.corrected.shape == (2, 3)
    scalar = relative_likelihood(5, 10, 3, 10)
    assert scalar.estimate.shape == ()
    assert float(scalar.ci_high) == pytest.approx(result.ci_high[0, 2], rel=0, abs=0)
    a, n1, c, n2 = _random_tables(50)
    base = relative_likelihood(a, n1, c, n2)
    for dtype in (np.int32, np.uint16, np.float64):
        other = relative_likelihood(*(x.astype(dtype) for x in (a, n1, c, n2)))
        np.testing.assert_array_equal(other.ci_low, base.ci_low)
    listed = relative_likelihood(a.tolist(), n1.tolist(), c.tolist(), n2.tolist())
    np.testing.assert_array_equal(listed.ci_high, base.ci_high)
    empty = relative_likelihood([], [], [], [])
    assert empty.estimate.shape == (0,)


def test_each_element_is_computed_alone() -> None:
    a, n1, c, n2 = _random_tables(60, high=30)
    together = relative_likelihood(a, n1, c, n2, ci="mn")
    for i in range(len(a)):
        alone = relative_likelihood(a[i], n1[i], c[i], n2[i], ci="mn")
        assert _one(alone) == pytest.approx(
            (together.estimate[i], together.ci_low[i], together.ci_high[i]), rel=0, nan_ok=True
        )


# --- properties ----------------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn, max_n: int = 3000) -> tuple[int, int, int, int]:
    n1 = draw(st.integers(1, max_n) | st.sampled_from([1, 2, 10_000_000]))
    n2 = draw(st.integers(1, max_n) | st.sampled_from([1, 2, 10_000_000]))
    a = draw(st.integers(0, n1) | st.sampled_from([0, n1]))
    c = draw(st.integers(0, n2) | st.sampled_from([0, n2]))
    return a, n1, c, n2


levels = st.floats(0.5, 0.999)


@settings(max_examples=300, deadline=None)
@given(table=tables(), level=levels, method=st.sampled_from(CI_METHODS))
def test_interval_contains_the_estimate(
    table: tuple[int, int, int, int], level: float, method: str
) -> None:
    result = relative_likelihood(*table, ci=method, level=level)  # type: ignore[arg-type]
    estimate, low, high = _one(result)
    assert low <= high
    if method == "katz" and bool(result.corrected):
        return  # 0.5 in every cell moves the interval: it need not contain the raw ratio
    if not math.isnan(estimate):
        assert low <= estimate <= high


@settings(max_examples=400, deadline=None)
@given(table=tables(), level=levels, method=st.sampled_from(["score", "mn"]))
def test_score_interval_excludes_one_exactly_when_pearson_rejects(
    table: tuple[int, int, int, int], level: float, method: str
) -> None:
    a, n1, c, n2 = table
    if a + c == 0 or a + c == n1 + n2:
        return  # Pearson's statistic is 0/0
    statistic = chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=False).statistic
    if method == "mn":
        statistic *= (n1 + n2 - 1) / (n1 + n2)
    p = chi2.sf(statistic, 1)
    if abs(p - (1 - level)) < 1e-9:
        return  # on the boundary: 1 is a bound, to rounding
    _, low, high = _one(relative_likelihood(*table, ci=method, level=level))  # type: ignore[arg-type]
    assert (low > 1 or high < 1) == (p < 1 - level)


@settings(max_examples=300, deadline=None)
@given(table=tables(), level=levels, method=st.sampled_from(CI_METHODS))
def test_swapping_the_groups_inverts_ratio_and_interval(
    table: tuple[int, int, int, int], level: float, method: str
) -> None:
    a, n1, c, n2 = table
    forward = relative_likelihood(a, n1, c, n2, ci=method, level=level)  # type: ignore[arg-type]
    backward = relative_likelihood(c, n2, a, n1, ci=method, level=level)  # type: ignore[arg-type]
    with np.errstate(divide="ignore"):  # 1/0 = inf and 1/inf = 0 are meant
        assert float(backward.ci_low) == pytest.approx(float(1 / forward.ci_high), rel=1e-9)
        assert float(backward.ci_high) == pytest.approx(float(1 / forward.ci_low), rel=1e-9)
    assert bool(backward.corrected) == bool(forward.corrected)
    if a > 0 and c > 0:
        assert float(backward.estimate) == pytest.approx(1 / float(forward.estimate), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    table=tables(),
    levels_=st.tuples(levels, levels).map(sorted),
    method=st.sampled_from(CI_METHODS),
)
# found by hypothesis: the upper score bound's Newton steps bounced between the flat and the
# steep side of Z without converging and stopped at 1.12 (the bound at 99.9% is 1.60)
@example(table=(0, 1, 1192, 2078), levels_=[0.875, 0.999], method="score")
def test_intervals_widen_as_the_level_rises(
    table: tuple[int, int, int, int], levels_: list[float], method: str
) -> None:
    _, low1, high1 = _one(relative_likelihood(*table, ci=method, level=levels_[0]))  # type: ignore[arg-type]
    _, low2, high2 = _one(relative_likelihood(*table, ci=method, level=levels_[1]))  # type: ignore[arg-type]
    assert low2 <= low1 * (1 + 1e-12)
    assert high2 >= high1 * (1 - 1e-12)


@settings(max_examples=200, deadline=None)
@given(table=tables(max_n=200))
def test_miettinen_nurminen_contains_koopman(table: tuple[int, int, int, int]) -> None:
    _, low, high = _one(relative_likelihood(*table, ci="score"))
    _, mn_low, mn_high = _one(relative_likelihood(*table, ci="mn"))
    assert mn_low <= low * (1 + 1e-12)
    assert mn_high >= high * (1 - 1e-12)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ((-1, 10, 2, 10), r"a must not be negative, found -1 in the scalar given; counts of"),
        ((1, 2.5, 2, 10), r"n1 must hold whole numbers, found 2\.5 .*; pass counts of people"),
        ((1, 10, [2, np.nan], 10), r"c must hold finite counts, found nan at position 1; drop"),
        ((1, 10, 2, np.inf), r"n2 must hold finite counts, found inf"),
        ((["1"], 10, 2, 10), r"a must hold numbers, got dtype <U1; convert it first"),
        ((1, 10, [True], 10), r"c must hold numbers, got dtype bool"),
        (([1, 2, 3], [10, 10], 2, 10), r"must broadcast to one shape, got a=\(3,\), n1=\(2,\)"),
        (([3, 11, 12], 10, 2, 10), r"a exceeds n1 \(more events .*\) at position 1 \(first of 2\)"),
        ((3, 10, [[2], [12]], 10), r"c exceeds n2 \(more events than .*\) at position \(1, 0\);"),
    ],
)
def test_bad_counts_are_refused_with_the_fix(counts: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        relative_likelihood(*counts)  # type: ignore[arg-type]


def test_too_many_events_does_not_print_the_counts() -> None:
    with pytest.raises(ValueError, match="check the argument order") as info:
        relative_likelihood(987, 654, 2, 10)
    assert "987" not in str(info.value)
    assert "654" not in str(info.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ci": "wald"}, r"unknown interval method 'wald'; use one of: score, mn, katz"),
        ({"ci": None}, r"unknown interval method None"),
        ({"level": 1.0}, r"level must be .* strictly between 0 and 1, got 1\.0; use e\.g\."),
        ({"level": 0}, r"level must be .* strictly between 0 and 1, got 0;"),
        ({"level": 95}, r"level must be .* strictly between 0 and 1, got 95;"),
        ({"level": math.nan}, r"level must be .* strictly between 0 and 1, got nan;"),
        ({"level": "0.95"}, r"level must be .* strictly between 0 and 1, got '0\.95';"),
        ({"level": True}, r"level must be .* strictly between 0 and 1, got True;"),
    ],
)
def test_bad_settings_are_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        relative_likelihood(1, 10, 2, 10, **options)  # type: ignore[arg-type]


def test_import_compiles_nothing() -> None:
    code = (
        "import wres.engine.stats.intervals as m\n"
        "k = m.kernels\n"
        "print(sum(len(f.signatures) for f in (k.score_intervals, k.katz_intervals,"
        " k.score_statistic)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"
