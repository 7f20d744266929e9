"""Pooled estimates across the strata (years, sites, bands) of many comparisons at once.

Each row is one stratum of one comparison: a events out of n1 in the focal group, c out of n2
in the reference group. ``strata_of`` maps each row to its comparison 0..K-1 (rows in any
order); without it all rows are one comparison. Results hold one element per comparison.

Conventions (checked against R's metafor 3.8, see tests/engine/test_stats_pooled.py):

- A stratum in which a group is empty (n1 = 0 or n2 = 0) says nothing about the comparison and
  is skipped everywhere. (metafor would give it a log ratio after adding 0.5 to its cells.)
- ``mantel_haenszel``: RR_MH = sum(a n2 / N) / sum(c n1 / N), no continuity correction, with
  the Greenland-Robins (1985) variance of log RR_MH; exactly ``rma.mh(measure="RR")``. Strata
  with no events in either group contribute nothing. RR_MH is NaN (with everything else) when
  sum(c n1 / N) = 0: no reference events, so there is no ratio. When the focal group has no
  events but the reference group has some, RR_MH is 0 and its interval and Q are NaN (the
  Greenland-Robins variance is infinite; metafor reports NA for all of these).
- Cochran's Q uses each stratum's log ratio and inverse Katz variance, with 0.5 added to all four
  cells of a stratum with a zero cell, and leaves out strata with no events in both groups or
  only events in both groups (metafor's defaults ``add=1/2, to="only0", drop00=TRUE`` for these
  terms). ``q_df`` is the number of such strata minus one. With fewer than two of them Q and its
  p-value are NaN (metafor reports QE = 0, p = 1; NaN keeps an untestable comparison out of the
  family that ``adjust`` counts).
- ``trend``: fixed-effect (inverse-variance, scale fixed at 1) regression of the yearly log ratio
  on the year, the z-test of the slope, as ``rma(yi, vi, mods = ~ x, method = "FE")`` with
  ``escalc(measure = "RR")`` defaults: every year with both groups non-empty is used, 0.5 added
  to all four cells of a year with a zero cell (a year without events in either group is kept).
  Fewer than two usable years, or all of them the same year: NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from wres.engine.errors import ConfigError
from wres.engine.stats._checks import checked_counts, found, normal_quantile, one_value_per_row
from wres.engine.stats._kernels import pooled as kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MH_METHOD = "mantel-haenszel, greenland-robins interval"
TREND_METHOD = "inverse-variance weighted regression of the log ratio, fixed effect"


@dataclass(frozen=True, slots=True)
class PooledRatio:
    """Mantel-Haenszel relative likelihood per comparison, with a homogeneity test."""

    #: RR_MH; NaN where the reference group has no events in any used stratum
    estimate: FloatArray
    #: Greenland-Robins ``level`` interval; NaN where the estimate is NaN or 0
    ci_low: FloatArray
    ci_high: FloatArray
    #: Cochran's Q of the stratum log ratios around log RR_MH; NaN with fewer than 2 Q strata
    q: FloatArray
    #: strata entering Q minus one (0 when fewer than two)
    q_df: IntArray
    #: chi-squared upper tail of ``q`` on ``q_df`` degrees of freedom
    q_p_value: FloatArray
    #: strata contributing to RR_MH: both groups non-empty, at least one event
    strata: IntArray
    level: float
    method: str = MH_METHOD


@dataclass(frozen=True, slots=True)
class Trend:
    """Per comparison: change in the log relative likelihood per unit of ``x`` (per year)."""

    slope: FloatArray
    se: FloatArray
    #: two-sided z-test of slope = 0
    p_value: FloatArray
    #: years used (both groups non-empty)
    years: IntArray
    method: str = TREND_METHOD


def _comparisons(
    strata_of: npt.ArrayLike | None, rows: int, n_comparisons: int | None
) -> tuple[IntArray, int]:
    """The row -> comparison map as int64 and the number of comparisons K."""
    if n_comparisons is not None and (
        isinstance(n_comparisons, bool) or not isinstance(n_comparisons, int | np.integer)
    ):
        msg = f"n_comparisons must be an integer, got {n_comparisons!r}"
        raise ConfigError(msg)
    if n_comparisons is not None and n_comparisons < 0:
        msg = f"n_comparisons is {n_comparisons}; pass the number of comparisons (0 or more)"
        raise ConfigError(msg)
    if strata_of is None:
        if n_comparisons not in (None, 1):
            msg = f"n_comparisons is {n_comparisons} but strata_of is None (one comparison)"
            raise ConfigError(msg)
        return np.zeros(rows, dtype=np.int64), 1
    array = one_value_per_row("strata_of", strata_of, rows)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        msg = (
            f"strata_of must hold integer comparison indices, got dtype {array.dtype}; "
            "use e.g. np.unique(keys, return_inverse=True)[1]"
        )
        raise ValueError(msg)
    index = np.ascontiguousarray(array, dtype=np.int64)
    negative = index < 0
    if negative.any():
        msg = (
            f"strata_of must not be negative, {found(index, negative, rows=True)}; "
            "comparison indices start at 0"
        )
        raise ValueError(msg)
    needed = int(index.max()) + 1 if index.size else 0
    if n_comparisons is None:
        return index, needed
    if n_comparisons < needed:
        outside = index >= n_comparisons
        msg = (
            f"strata_of must be below n_comparisons={n_comparisons}, "
            f"{found(index, outside, rows=True)}; raise n_comparisons or fix the index"
        )
        raise ValueError(msg)
    return index, int(n_comparisons)


def mantel_haenszel(
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    level: float = 0.95,
    strata_of: npt.ArrayLike | None = None,
    n_comparisons: int | None = None,
) -> PooledRatio:
    """Mantel-Haenszel pooled relative likelihood with its Greenland-Robins interval and Q.

    ``a, n1, c, n2`` hold one row per stratum; ``strata_of`` (integers) maps rows to comparisons
    0..K-1, with K = ``n_comparisons`` or max(strata_of) + 1. See the module docstring for the
    treatment of empty groups, strata without events and zero cells.
    """
    z = normal_quantile(level)
    (a_, n1_, c_, n2_), _ = checked_counts(a, n1, c, n2, one_dimensional=True)
    index, k = _comparisons(strata_of, a_.size, n_comparisons)
    estimate, log_se, q, strata, q_strata = kernels.mantel_haenszel(a_, n1_, c_, n2_, index, k)
    with np.errstate(divide="ignore"):
        log_estimate = np.log(estimate)
    q_df = np.maximum(q_strata - 1, 0)
    return PooledRatio(
        estimate=estimate,
        ci_low=np.exp(log_estimate - z * log_se),
        ci_high=np.exp(log_estimate + z * log_se),
        q=q,
        q_df=q_df,
        q_p_value=np.asarray(sps.chi2.sf(q, np.maximum(q_df, 1)), dtype=np.float64),
        strata=strata,
        level=float(level),
    )


def trend(
    x: npt.ArrayLike,
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    strata_of: npt.ArrayLike | None = None,
    n_comparisons: int | None = None,
) -> Trend:
    """Slope of the log relative likelihood on ``x`` (the year), its SE and two-sided p-value.

    One row per comparison and year; ``strata_of`` as for ``mantel_haenszel``.
    """
    (a_, n1_, c_, n2_), _ = checked_counts(a, n1, c, n2, one_dimensional=True)
    x_ = np.ascontiguousarray(one_value_per_row("x", x, a_.size), dtype=np.float64)
    missing = ~np.isfinite(x_)
    if missing.any():
        msg = (
            f"x must hold finite years, {found(x_, missing, rows=True)}; drop the rows "
            "without a year first"
        )
        raise ValueError(msg)
    index, k = _comparisons(strata_of, a_.size, n_comparisons)
    slope, se, years = kernels.trend(x_, a_, n1_, c_, n2_, index, k)
    p = 2.0 * sps.norm.sf(np.abs(slope / se))
    return Trend(slope=slope, se=se, p_value=np.asarray(p, dtype=np.float64), years=years)


__all__ = ["PooledRatio", "Trend", "mantel_haenszel", "trend"]
