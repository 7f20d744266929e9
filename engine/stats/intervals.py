"""The relative likelihood (a/n1)/(c/n2) with its confidence interval, one element per comparison.

The checked public layer over ``wres.engine.stats._kernels.intervals``: it validates the counts and
the settings, broadcasts, and hands clean float64 arrays to a numba kernel.

Interval methods (``ci``):

- ``"score"`` (default), Koopman (1984): every ratio theta whose score statistic, with the
  proportions estimated under the restriction p1 = theta p2 (Farrington and Manning's closed
  form), is at most the chi-square quantile. Recommended for small samples by Fagerland,
  Lydersen and Laake (2015). statsmodels' ``confint_proportions_2indep(..., method="score",
  compare="ratio", correction=False)``; note that statsmodels' default ``correction=True`` is
  Miettinen-Nurminen.
- ``"mn"``, Miettinen and Nurminen (1985): the same with the variance multiplied by N/(N-1),
  N = n1 + n2; slightly wider.
- ``"katz"``: Katz's log interval, exp(log RR +- z sqrt(1/a - 1/n1 + 1/c - 1/n2)), with 0.5 added
  to all four cells only when one of them (a, n1 - a, c, n2 - c) is zero, flagged in
  ``corrected``. Without a zero cell it is scipy's ``relative_risk(...).confidence_interval()``.

Edge cases (every method unless stated):

=====================  ==========  =====================================================
table                  estimate    interval
=====================  ==========  =====================================================
n1 = 0 or n2 = 0       NaN         [NaN, NaN]: no comparison
a = 0 and c = 0        NaN         [0, inf]: no events, the data reject no ratio
a = 0 < c              0           score/mn [0, U], U finite; katz corrected, 0 < low
c = 0 < a              NaN         score/mn [L, inf], L finite; katz corrected, finite
a = n1 or c = n2       finite      score/mn as usual; katz corrected (a failure cell is 0)
(a, c > 0)
=====================  ==========  =====================================================

The score and mn intervals always contain the estimate. The score interval excludes 1 exactly
when Pearson's chi-square test without continuity correction has p < 1 - level (the score
statistic at ratio 1 is Pearson's); mn, when (N-1)/N times Pearson's statistic exceeds the
chi-square quantile. A corrected Katz interval need not contain the estimate.

Score bounds are found by safeguarded Newton on log(theta) with an analytic slope, typically
three or four evaluations of the statistic per bound, and agree with a 60-digit bisection to
about 1e-14 relative, from n = 1 to n = 1e7 and at x = 0 and x = n.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from wres.engine.errors import ConfigError
from wres.engine.stats._checks import checked_counts, normal_quantile
from wres.engine.stats._kernels import intervals as kernels

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
CiMethod = Literal["score", "mn", "katz"]

#: Accepted values of ``ci``, the default first.
CI_METHODS: tuple[str, ...] = ("score", "mn", "katz")
#: How each method is named in outputs (the ``ci_method`` column).
METHOD_NAMES: dict[str, str] = {
    "score": "score (Koopman)",
    "mn": "Miettinen-Nurminen",
    "katz": "katz-log",
}


@dataclass(frozen=True, slots=True)
class RatioEstimate:
    """The relative likelihood (a/n1)/(c/n2) with its interval; NaN where not calculable.

    Arrays have the broadcast shape of the inputs. ``ci_low`` may be 0 and ``ci_high`` +inf
    (see the module docstring for when).
    """

    estimate: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    #: the interval method as named in outputs, e.g. "score (Koopman)"
    method: str
    #: True where 0.5 was added to every cell to bound the interval (Katz with a zero cell)
    corrected: BoolArray


def relative_likelihood(
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    ci: CiMethod = "score",
    level: float = 0.95,
) -> RatioEstimate:
    """Ratio of the rates a/n1 and c/n2 with a ``level`` confidence interval for it.

    ``a`` events among ``n1`` members of the focal group, ``c`` among ``n2`` of the reference;
    broadcastable arrays (or scalars) of whole numbers with 0 <= a <= n1 and 0 <= c <= n2.
    ``ci`` is "score" (Koopman, the default), "mn" (Miettinen-Nurminen) or "katz"; the module
    docstring gives each method and the value in every edge case. Raises ValueError for bad
    counts and ConfigError (a ValueError) for a bad ``ci`` or ``level``.
    """
    if not isinstance(ci, str) or ci not in CI_METHODS:
        msg = f"unknown interval method {ci!r}; use one of: {', '.join(CI_METHODS)}"
        raise ConfigError(msg)
    z = normal_quantile(level)
    (a_, n1_, c_, n2_), shape = checked_counts(a, n1, c, n2)
    size = a_.shape[0]
    estimate, low, high = np.empty(size), np.empty(size), np.empty(size)
    corrected = np.zeros(size, dtype=np.bool_)
    if ci == "katz":
        kernels.katz_intervals(a_, n1_, c_, n2_, z, estimate, low, high, corrected)
    else:
        kernels.score_intervals(a_, n1_, c_, n2_, z, ci == "mn", estimate, low, high)
    return RatioEstimate(
        estimate.reshape(shape),
        low.reshape(shape),
        high.reshape(shape),
        METHOD_NAMES[ci],
        corrected.reshape(shape),
    )
