"""Kernels for two-sided p-values of 2x2 tables: a events of n1 against c events of n2.

Every kernel takes 1-D contiguous float64 arrays of whole-number counts with 0 <= a <= n1,
0 <= c <= n2 and n1 + n2 <= 2**31 (checked by ``wres.engine.stats.pvalues``, not here) and fills a
preallocated float64 output array, one element per comparison; NaN where n1 or n2 is 0.
Compiled on first call and cached on disk.

The exact tests condition on the margins: the number of events X in group 1 is hypergeometric,
P(X = k) proportional to C(n1, k) C(n2, m - k) with m = a + c, on lo <= k <= hi. The pmf is
log-concave, so the tables more probable than the observed one form one run around the mode.
The kernels evaluate log P(X = k) only at a few points (tabulated log-factorials for small
tables, Loader's saddle-point form as in R's dhyper for large ones) and walk between neighbours
with the ratio P(X = k + 1) / P(X = k), summing each tail directly from its largest term
outwards: tiny p-values keep their relative precision, nothing underflows before the p-value
itself does, and the cost grows with the width of the tails, not with n.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
#: (n1, n2, m, log_norm) of one table, passed together to the search helpers.
Margins = tuple[float, float, float, float]

#: R's fisher.test counts a table as "no more probable" than the observed one when its
#: probability is at most this multiple of it (``relErr <- 1 + 10^(-7)``): exact ties (a margin
#: half the total) must land in the tail although rounding makes them differ by a few ulps.
REL_ERR = 1.0 + 1e-7
_LOG_REL_ERR = math.log1p(1e-7)
#: A tail sum stops once the terms left (bounded by a geometric series: the ratios keep falling)
#: are below this fraction of it.
_NEGLIGIBLE = 1e-17
#: The search for the far end of the tail walks with the pmf ratio once it is this close.
_WALK = 32.0
#: ... and the log-probability gap to cover is below this (so exp() cannot overflow).
_WALK_LOG_GAP = 300.0
_LN_2PI = math.log(2.0 * math.pi)
#: Tables with n1 + n2 up to this read log(k!) from a table: a log-probability costs four
#: lookups instead of two saddle-point binomials (3x faster). Each entry is within ~1 ulp, so
#: log P errs by at most ~15 ulps of log(N!), 5e-11 at N = 4096 (typically 1e-11).
_TABLE_MAX = 4096
_LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in range(_TABLE_MAX + 1)])

# log(k!) - log(sqrt(2 pi k) (k/e)^k) for k = 0 .. 15 (Loader 2000, as in R's stirlerr.c;
# k = 0 is a placeholder, never used). Larger k use the asymptotic series below.
_STIRLERR_SMALL = np.array(
    [
        0.0,
        0.0810614667953272582196702,
        0.0413406959554092940938221,
        0.02767792568499833914878929,
        0.02079067210376509311152277,
        0.01664469118982119216319487,
        0.01387612882307074799874573,
        0.01189670994589177009505572,
        0.010411265261972096497478567,
        0.009255462182712732917728637,
        0.008330563433362871256469318,
        0.007573675487951840794972024,
        0.006942840107209529865664152,
        0.006408994188004207068439631,
        0.005951370112758847735624416,
        0.005554733551962801371038690,
    ]
)
_S0 = 1.0 / 12.0
_S1 = 1.0 / 360.0
_S2 = 1.0 / 1260.0
_S3 = 1.0 / 1680.0
_S4 = 1.0 / 1188.0


@njit(cache=True, error_model="numpy")
def _stirlerr(n: float) -> float:
    """Stirling's error log(n!) - log(sqrt(2 pi n) (n/e)^n) for a whole number n >= 1."""
    if n <= 15.0:
        return float(_STIRLERR_SMALL[int(n)])
    nn = n * n
    if n > 500.0:
        return (_S0 - _S1 / nn) / n
    if n > 80.0:
        return (_S0 - (_S1 - _S2 / nn) / nn) / n
    if n > 35.0:
        return (_S0 - (_S1 - (_S2 - _S3 / nn) / nn) / nn) / n
    return (_S0 - (_S1 - (_S2 - (_S3 - _S4 / nn) / nn) / nn) / nn) / n


@njit(cache=True, error_model="numpy")
def _bd0(x: float, mu: float) -> float:
    """Deviance x log(x / mu) + mu - x; by its series where x is close to mu (no cancellation)."""
    if abs(x - mu) < 0.1 * (x + mu):
        v = (x - mu) / (x + mu)
        s = (x - mu) * v
        term = 2.0 * x * v
        v2 = v * v
        for j in range(1, 1000):
            term *= v2
            s_next = s + term / (2 * j + 1)
            if s_next == s:
                break
            s = s_next
        return s
    return x * math.log(x / mu) + mu - x


@njit(cache=True, error_model="numpy")
def _log_binom_pmf(x: float, n: float, p: float, q: float) -> float:
    """log of the binomial pmf C(n, x) p^x q^(n - x), q = 1 - p, 0 < p < 1 (Loader 2000)."""
    if x == 0.0:
        if n == 0.0:
            return 0.0
        return -_bd0(n, n * q) - n * p if p < 0.1 else n * math.log(q)
    if x == n:
        return -_bd0(n, n * p) - n * q if q < 0.1 else n * math.log(p)
    lc = _stirlerr(n) - _stirlerr(x) - _stirlerr(n - x) - _bd0(x, n * p) - _bd0(n - x, n * q)
    return lc - 0.5 * (_LN_2PI + math.log(x) + math.log1p(-x / n))


@njit(cache=True, error_model="numpy")
def _log_norm(n1: float, n2: float, m: float) -> float:
    """The part of ``_log_pmf`` that does not depend on k (one value per table)."""
    big_n = n1 + n2
    if big_n <= _TABLE_MAX:
        lf = _LOG_FACTORIAL
        return float(lf[int(n1)] + lf[int(n2)] + lf[int(m)] + lf[int(big_n - m)] - lf[int(big_n)])
    return _log_binom_pmf(n1, big_n, n1 / big_n, n2 / big_n)


@njit(cache=True, error_model="numpy")
def _log_pmf(k: float, n1: float, n2: float, m: float, log_norm: float) -> float:
    """log P(X = k): k of the m events in group 1 (hypergeometric, as R's dhyper(k, m, N - m, n1)).

    Small tables sum tabulated log-factorials (absolute error below 1e-11). Larger ones use
    Loader's ratio of binomial pmfs at p = n1 / N, each accurate to a few ulps, so the error
    stays small however large N is and however far below the smallest double P is.
    """
    big_n = n1 + n2
    if big_n <= _TABLE_MAX:
        lf = _LOG_FACTORIAL
        return float(log_norm - lf[int(k)] - lf[int(n1 - k)] - lf[int(m - k)] - lf[int(n2 - m + k)])
    p = n1 / big_n
    q = n2 / big_n
    return _log_binom_pmf(k, m, p, q) + _log_binom_pmf(n1 - k, big_n - m, p, q) - log_norm


@njit(cache=True, error_model="numpy")
def _ratio_up(k: float, n1: float, n2: float, m: float) -> float:
    """P(X = k + 1) / P(X = k) for lo <= k < hi."""
    return ((n1 - k) * (m - k)) / ((k + 1.0) * (n2 - m + k + 1.0))


@njit(cache=True, error_model="numpy")
def _ratio_down(k: float, n1: float, n2: float, m: float) -> float:
    """P(X = k - 1) / P(X = k) for lo < k <= hi."""
    return (k * (n2 - m + k)) / ((n1 - k + 1.0) * (m - k + 1.0))


@njit(cache=True, error_model="numpy")
def _tail_below(x: float, lo: float, n1: float, n2: float, m: float) -> float:
    """Sum of P(X = k) / P(X = x) over lo <= k <= x, for x at or below the mode."""
    total = 1.0
    term = 1.0
    k = x
    while k > lo:
        ratio = _ratio_down(k, n1, n2, m)
        term *= ratio
        total += term
        if term * ratio <= (1.0 - ratio) * total * _NEGLIGIBLE:
            break
        k -= 1.0
    return total


@njit(cache=True, error_model="numpy")
def _tail_above(j: float, hi: float, n1: float, n2: float, m: float) -> float:
    """Sum of P(X = k) / P(X = j) over j <= k <= hi, for j at or above the mode."""
    total = 1.0
    term = 1.0
    k = j
    while k < hi:
        ratio = _ratio_up(k, n1, n2, m)
        term *= ratio
        total += term
        if term * ratio <= (1.0 - ratio) * total * _NEGLIGIBLE:
            break
        k += 1.0
    return total


@njit(cache=True, error_model="numpy")
def _walk_up(
    threshold: float, k: float, log_k: float, hi: float, margins: Margins
) -> tuple[float, float]:
    """From k above the threshold, step up to the first j <= hi at or below it.

    Returns j and log P(X = j), or (hi + 1, -inf) when every table up to hi is above it.
    """
    n1, n2, m, _ = margins
    relative = 1.0  # P(X = j) / P(X = k)
    target = math.exp(threshold - log_k)
    j = k
    while j < hi:
        relative *= _ratio_up(j, n1, n2, m)
        j += 1.0
        if relative <= target:
            return j, log_k + math.log(relative)
    return hi + 1.0, -math.inf


@njit(cache=True, error_model="numpy")
def _walk_down(
    threshold: float, k: float, log_k: float, lower: float, margins: Margins
) -> tuple[float, float]:
    """From k at or below the threshold, step down while the next table (> lower) is too.

    Returns the last such j and log P(X = j).
    """
    n1, n2, m, _ = margins
    relative = 1.0  # P(X = j) / P(X = k)
    target = math.exp(threshold - log_k)
    j = k
    while j - 1.0 > lower:
        previous = relative * _ratio_down(j, n1, n2, m)
        if previous > target:
            break
        relative = previous
        j -= 1.0
    return j, log_k + math.log(relative)


@njit(cache=True, error_model="numpy")
def _first_at_most(
    threshold: float, start: float, guess: float, hi: float, margins: Margins
) -> tuple[float, float]:
    """Smallest j in (start, hi] with log P(X = j) <= threshold, and that log-probability.

    Needs log P(X = start) > threshold and P non-increasing on [start, hi] (start >= the mode).
    Returns (hi + 1, -inf) when no such j exists. Brackets the crossing between ``lower`` (above
    the threshold) and ``upper`` (at or below it), probing first at ``guess``. The log-pmf is
    concave, so the tangent at a probe lies above it: followed to the threshold, it lands at or
    beyond the crossing from either side (Newton's method, safeguarded by bisection). A close
    crossing is reached by the ratio recurrence, one table at a time, without new evaluations.
    """
    n1, n2, m, log_norm = margins
    lower = start
    upper = hi + 1.0
    log_upper = -math.inf
    k = min(max(guess, lower + 1.0), hi)
    while upper - lower > 1.0:
        log_k = _log_pmf(k, n1, n2, m, log_norm)
        if log_k > threshold:
            lower = k
            if upper - lower <= 1.0:
                break
            gap = log_k - threshold
            ratio = _ratio_up(k, n1, n2, m)
            steps = gap / -math.log(ratio) if ratio < 1.0 else math.inf
            if steps <= _WALK and gap < _WALK_LOG_GAP:
                return _walk_up(threshold, k, log_k, hi, margins)
            if steps < upper - lower - 1.0:
                k = lower + float(math.ceil(steps))
            else:
                k = float(math.floor(0.5 * (lower + upper)))
        else:
            upper = k
            log_upper = log_k
            gap = threshold - log_k
            if upper - lower <= _WALK and gap < _WALK_LOG_GAP:
                return _walk_down(threshold, k, log_k, lower, margins)
            # the tangent from this side: every table from k - back on is at or below it too
            slope = math.log(_ratio_down(k, n1, n2, m))
            back = np.floor(gap / slope) if slope > 0.0 else math.inf
            if back < 1.0:
                break  # the table below k is above the threshold: k is the crossing
            if back < upper - lower - 1.0:
                k = upper - back
            else:
                k = float(math.floor(0.5 * (lower + upper)))
    return upper, log_upper


@njit(cache=True, error_model="numpy")
def _fisher_rising(x: float, n1: float, n2: float, m: float, mode: float) -> float:
    """Two-sided Fisher p-value when P(X = x + 1) > P(X = x) (x below the mode)."""
    lo = max(0.0, m - n2)
    hi = min(n1, m)
    log_norm = _log_norm(n1, n2, m)
    log_x = _log_pmf(x, n1, n2, m, log_norm)
    # every table below x is less probable than x; so are the ones just above that tie with it
    relative_sum = _tail_below(x, lo, n1, n2, m)
    k = x
    relative = 1.0
    while True:
        ratio = _ratio_up(k, n1, n2, m)
        if ratio <= 1.0:
            return 1.0  # reached the mode within REL_ERR of P(X = x): every table is in the tail
        if relative * ratio > REL_ERR:
            break
        relative *= ratio
        k += 1.0
        relative_sum += relative
    threshold = log_x + _LOG_REL_ERR
    margins = (n1, n2, m, log_norm)
    j, log_j = _first_at_most(threshold, mode, 2.0 * mode - x, hi, margins)
    p = math.exp(log_x) * relative_sum
    if j <= hi:
        p += math.exp(log_j) * _tail_above(j, hi, n1, n2, m)
    return min(p, 1.0)


@njit(cache=True, error_model="numpy")
def _mode(n1: float, n2: float, m: float) -> float:
    """The largest mode of X, floor((m + 1)(n1 + 1) / (N + 2)), in exact integer arithmetic."""
    return float(((int(m) + 1) * (int(n1) + 1)) // (int(n1) + int(n2) + 2))


@njit(cache=True, error_model="numpy")
def fisher_one(a: float, n1: float, c: float, n2: float) -> float:
    """Two-sided Fisher exact p-value of one table as R's fisher.test computes it; n1, n2 > 0."""
    m = a + c
    lo = max(0.0, m - n2)
    hi = min(n1, m)
    if lo == hi:
        return 1.0
    if a < hi and _ratio_up(a, n1, n2, m) > 1.0:
        return _fisher_rising(a, n1, n2, m, _mode(n1, n2, m))
    if a > lo and _ratio_down(a, n1, n2, m) > 1.0:
        # mirror the table (events <-> non-events): a above the mode becomes n1 - a below it
        m_mirror = n1 + n2 - m
        return _fisher_rising(n1 - a, n1, n2, m_mirror, _mode(n1, n2, m_mirror))
    return 1.0  # a is a mode: no table is more probable


@njit(cache=True, error_model="numpy")
def midp_one(a: float, n1: float, c: float, n2: float) -> float:
    """Two-sided mid-p of one table as epitools' ``ormidp.test``: 2 min(lower, upper), n1, n2 > 0.

    lower = P(X < a) + P(X = a) / 2 and upper = 1 - lower, each the one-sided mid-p. The smaller
    one is the tail on the far side of a from the mode, summed directly.
    """
    m = a + c
    lo = max(0.0, m - n2)
    hi = min(n1, m)
    if lo == hi:
        return 1.0
    if a > lo and _ratio_down(a, n1, n2, m) > 1.0:
        # above the mode: mirror (events <-> non-events), which swaps lower and upper
        a = n1 - a
        m = n1 + n2 - m
        lo = max(0.0, m - n2)
    log_norm = _log_norm(n1, n2, m)
    lower = math.exp(_log_pmf(a, n1, n2, m, log_norm)) * (_tail_below(a, lo, n1, n2, m) - 0.5)
    return max(0.0, min(2.0 * lower, 2.0 * (1.0 - lower), 1.0))


@njit(cache=True, error_model="numpy")
def chi2_one(a: float, n1: float, c: float, n2: float) -> float:
    """Pearson's chi-square p-value (1 df, no continuity correction) of one table; n1, n2 > 0.

    X^2 = N (ad - bc)^2 / (n1 n2 m (N - m)) is the squared pooled two-sample z statistic, the
    score test of equal proportions. With no events or no non-events at all (m = 0 or m = N)
    both rates are equal, X^2 is 0/0, and the p-value is 1.
    """
    big_n = n1 + n2
    m = a + c
    if m in (0.0, big_n):
        return 1.0
    # exact in int64 (counts below 2**31); float products would round above 2**53
    cross = float(int(a) * int(n2 - c) - int(n1 - a) * int(c))
    statistic = big_n * cross * cross / (n1 * n2 * m * (big_n - m))
    return math.erfc(math.sqrt(0.5 * statistic))


#: The tests ``_each_table`` computes, by number: numba caches no kernel that takes another
#: (``fisher_one`` and ``midp_one`` read large global tables) as an argument.
_CHI2, _MIDP, _FISHER = 0, 1, 2


@njit(cache=True, error_model="numpy")
def _each_table(  # noqa: PLR0917 - numba kernels take positional arguments only
    test: int, a: FloatArray, n1: FloatArray, c: FloatArray, n2: FloatArray, out: FloatArray
) -> None:
    """Fill ``out`` with the p-values of ``test`` (``_CHI2``, ``_MIDP`` or ``_FISHER``), one per
    table; NaN where a group is empty."""
    for i in range(a.size):
        if n1[i] == 0.0 or n2[i] == 0.0:
            out[i] = np.nan
        elif test == _FISHER:
            out[i] = fisher_one(a[i], n1[i], c[i], n2[i])
        elif test == _MIDP:
            out[i] = midp_one(a[i], n1[i], c[i], n2[i])
        else:
            out[i] = chi2_one(a[i], n1[i], c[i], n2[i])


@njit(cache=True, error_model="numpy")
def fisher_two_sided(
    a: FloatArray, n1: FloatArray, c: FloatArray, n2: FloatArray, out: FloatArray
) -> None:
    """Fill ``out`` with two-sided Fisher exact p-values; NaN where a group is empty."""
    _each_table(_FISHER, a, n1, c, n2, out)


@njit(cache=True, error_model="numpy")
def midp_two_sided(
    a: FloatArray, n1: FloatArray, c: FloatArray, n2: FloatArray, out: FloatArray
) -> None:
    """Fill ``out`` with two-sided mid-p values (epitools); NaN where a group is empty."""
    _each_table(_MIDP, a, n1, c, n2, out)


@njit(cache=True, error_model="numpy")
def chi2_two_sided(
    a: FloatArray, n1: FloatArray, c: FloatArray, n2: FloatArray, out: FloatArray
) -> None:
    """Fill ``out`` with Pearson chi-square p-values; NaN where a group is empty."""
    _each_table(_CHI2, a, n1, c, n2, out)
