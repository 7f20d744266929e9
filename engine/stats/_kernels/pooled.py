"""Pooled estimates over the strata of many comparisons: one pass over the rows.

Accepted input (the caller, ``wres.engine.stats.pooled``, guarantees it):
- ``a``, ``n1``, ``c``, ``n2``: float64, C-contiguous, one row per stratum, whole numbers with
  0 <= a <= n1 and 0 <= c <= n2;
- ``x``: float64, C-contiguous, finite (the year of each row);
- ``strata_of``: int64, C-contiguous, each value in [0, n_comparisons).

Rows need not be grouped or sorted: every sum is accumulated per comparison, and the weighted
means and sums of squares use West's incremental update so that no second pass (and no
cancellation between large raw sums) is needed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@njit(cache=True, error_model="numpy")
def log_ratio_and_weight(a: float, n1: float, c: float, n2: float) -> tuple[float, float]:
    """Log of (a/n1)/(c/n2) and its inverse Katz variance 1/(1/a - 1/n1 + 1/c - 1/n2).

    0.5 is added to all four cells when any cell is zero (metafor's ``to="only0"``). Needs
    n1 > 0 and n2 > 0, and not "all events in both groups" (b = d = 0): that table has variance 0.
    """
    if a == 0.0 or c == 0.0 or a == n1 or c == n2:
        a += 0.5
        c += 0.5
        n1 += 1.0
        n2 += 1.0
    log_ratio = np.log(a / n1) - np.log(c / n2)
    variance = 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2
    return log_ratio, 1.0 / variance


@njit(cache=True, error_model="numpy")
def mantel_haenszel(  # noqa: PLR0917 - numba kernels take positional arrays only
    a: FloatArray,
    n1: FloatArray,
    c: FloatArray,
    n2: FloatArray,
    strata_of: IntArray,
    n_comparisons: int,
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray, IntArray]:
    """Per comparison: RR_MH, the Greenland-Robins SE of log RR_MH, Cochran's Q and two counts.

    Returns ``(estimate, log_se, q, strata, q_strata)``. ``strata`` counts the strata that enter
    RR_MH (both groups non-empty, at least one event); ``q_strata`` those that enter Q (also
    not every member an event in both groups, metafor's ``drop00``). ``estimate`` is NaN where
    sum(c n1 / N) = 0, and 0 (with NaN SE) where sum(a n2 / N) = 0. ``q`` is NaN with fewer than
    two Q strata or without a positive estimate.
    """
    # long: one numba kernel, one pass over its arrays (calls between parts cost more)
    numerator = np.zeros(n_comparisons)  # R = sum a n2 / N
    denominator = np.zeros(n_comparisons)  # S = sum c n1 / N
    gr_sum = np.zeros(
        n_comparisons
    )  # sum (a d n1 + c b n2) / N^2 = sum (n1 n2 (a+c) - a c N) / N^2
    strata = np.zeros(n_comparisons, dtype=np.int64)
    q_strata = np.zeros(n_comparisons, dtype=np.int64)
    weight = np.zeros(n_comparisons)  # running sum of the stratum weights
    mean = np.zeros(n_comparisons)  # running weighted mean of the stratum log ratios
    spread = np.zeros(n_comparisons)  # running sum w (y - mean)^2
    for i in range(a.size):
        k = strata_of[i]
        ai, n1i, ci, n2i = a[i], n1[i], c[i], n2[i]
        if n1i == 0.0 or n2i == 0.0 or (ai == 0.0 and ci == 0.0):
            continue
        total = n1i + n2i
        bi = n1i - ai
        di = n2i - ci
        numerator[k] += ai * n2i / total
        denominator[k] += ci * n1i / total
        gr_sum[k] += (ai * di * n1i + ci * bi * n2i) / (total * total)
        strata[k] += 1
        if bi == 0.0 and di == 0.0:
            continue
        y, w = log_ratio_and_weight(ai, n1i, ci, n2i)
        q_strata[k] += 1
        if q_strata[k] == 1:
            weight[k] = w
            mean[k] = y
        else:
            weight[k] += w
            delta = y - mean[k]
            mean[k] += delta * w / weight[k]
            spread[k] += w * delta * (y - mean[k])
    estimate = np.full(n_comparisons, np.nan)
    log_se = np.full(n_comparisons, np.nan)
    q = np.full(n_comparisons, np.nan)
    for k in range(n_comparisons):
        if denominator[k] == 0.0:
            continue
        if numerator[k] == 0.0:
            estimate[k] = 0.0
            continue
        estimate[k] = numerator[k] / denominator[k]
        log_se[k] = np.sqrt(gr_sum[k] / (numerator[k] * denominator[k]))
        if q_strata[k] >= 2:
            offset = mean[k] - np.log(estimate[k])
            q[k] = max(0.0, spread[k] + weight[k] * offset * offset)
    return estimate, log_se, q, strata, q_strata


@njit(cache=True, error_model="numpy")
def trend(  # noqa: PLR0917 - numba kernels take positional arrays only
    x: FloatArray,
    a: FloatArray,
    n1: FloatArray,
    c: FloatArray,
    n2: FloatArray,
    strata_of: IntArray,
    n_comparisons: int,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Per comparison: the fixed-effect weighted regression slope of the log ratio on ``x``.

    Returns ``(slope, se, years)``: slope = Sxy / Sxx and se = 1 / sqrt(Sxx) with the weighted,
    centred sums over the rows whose groups are both non-empty (``years`` counts them). NaN
    where fewer than two rows are usable or all their ``x`` are equal.
    """
    weight = np.zeros(n_comparisons)
    mean_x = np.zeros(n_comparisons)
    mean_y = np.zeros(n_comparisons)
    sxx = np.zeros(n_comparisons)
    sxy = np.zeros(n_comparisons)
    years = np.zeros(n_comparisons, dtype=np.int64)
    for i in range(a.size):
        k = strata_of[i]
        if n1[i] == 0.0 or n2[i] == 0.0:
            continue
        y, w = log_ratio_and_weight(a[i], n1[i], c[i], n2[i])
        xi = x[i]
        years[k] += 1
        if years[k] == 1:
            weight[k] = w
            mean_x[k] = xi
            mean_y[k] = y
        else:
            weight[k] += w
            dx = xi - mean_x[k]
            mean_x[k] += dx * w / weight[k]
            mean_y[k] += (y - mean_y[k]) * w / weight[k]
            sxx[k] += w * dx * (xi - mean_x[k])
            sxy[k] += w * dx * (y - mean_y[k])
    slope = np.full(n_comparisons, np.nan)
    se = np.full(n_comparisons, np.nan)
    for k in range(n_comparisons):
        if years[k] >= 2 and sxx[k] > 0.0:
            slope[k] = sxy[k] / sxx[k]
            se[k] = 1.0 / np.sqrt(sxx[k])
    return slope, se, years
