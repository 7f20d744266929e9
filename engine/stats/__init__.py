"""The statistical API (SPEC section 10): ``relative_likelihood``, ``p_value``,
``mantel_haenszel``, ``trend`` and ``adjust``.

Arrays in, arrays out: every function takes one element per comparison (or per stratum), so a
run with millions of comparisons makes one call. The work is done by numba kernels in
``engine/stats/_kernels``, compiled on first use and cached; these wrappers check the input.
"""

from wres.engine.stats.intervals import CI_METHODS, RatioEstimate, relative_likelihood
from wres.engine.stats.multiplicity import ADJUST_METHODS, adjust
from wres.engine.stats.pooled import PooledRatio, Trend, mantel_haenszel, trend
from wres.engine.stats.pvalues import TESTS, p_value

__all__ = [
    "ADJUST_METHODS",
    "CI_METHODS",
    "TESTS",
    "PooledRatio",
    "RatioEstimate",
    "Trend",
    "adjust",
    "mantel_haenszel",
    "p_value",
    "relative_likelihood",
    "trend",
]
