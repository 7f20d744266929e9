"""Two-sided p-values for equal proportions, a/n1 against c/n2, one element per comparison.

The checked face of the numba kernels in ``wres.engine.stats._kernels.exact``: this module validates
and converts the counts; the kernels assume clean input. Tests (SPEC section 6):

- ``chi2``: Pearson's chi-square test without continuity correction (1 df), the score test of
  equal proportions: the pooled two-sample z statistic squared. The large-sample test.
- ``fisher``: Fisher's exact test, the sum of the probabilities of all tables with the observed
  margins that are no more probable than the observed one, ties within a relative 1e-7 included
  as R's ``fisher.test`` does. scipy's ``fisher_exact`` allows 1e-14, so it leaves out the rare
  table within 1e-7 but not 1e-14 of the observed probability; otherwise the two agree.
- ``midp``: the exact mid-p test as R's epitools computes it (``ormidp.test``, ``tab2by2.test``):
  twice the smaller one-sided mid-p, P(X < a) + P(X = a)/2 or P(X > a) + P(X = a)/2. It can exceed
  ``fisher``'s value when the margins are unequal, since Fisher's two-sided tail is not a doubling.

The p-value is NaN where a group is empty (n1 = 0 or n2 = 0) and 1 where both groups have the
same all-or-nothing rate (no events at all, or only events), where there is nothing to test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from wres.engine.errors import ConfigError
from wres.engine.stats._checks import checked_counts
from wres.engine.stats._kernels import exact

FloatArray = npt.NDArray[np.float64]
TestName = Literal["chi2", "midp", "fisher"]
TESTS: tuple[str, ...] = ("chi2", "midp", "fisher")
#: The largest group size accepted, so that every intermediate of the kernels is exact in int64.
MAX_GROUP_SIZE: Final = 2**30

_Kernel = Callable[[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray], None]
_KERNELS: Final[dict[str, _Kernel]] = {
    "chi2": exact.chi2_two_sided,
    "midp": exact.midp_two_sided,
    "fisher": exact.fisher_two_sided,
}


def p_value(
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    test: TestName = "chi2",
) -> FloatArray:
    """Two-sided p-value for equal rates a/n1 and c/n2, one per comparison.

    ``a`` events among ``n1`` people in the focal group, ``c`` among ``n2`` in the reference
    group: arrays (or scalars) that broadcast to one shape, holding whole numbers as integers or
    floats. Returns float64 p-values of that shape; NaN where n1 = 0 or n2 = 0. ``test`` is one
    of ``TESTS``: ``chi2`` (Pearson/score, default), ``fisher`` (exact), ``midp`` (exact mid-p).

    Raises ``ConfigError`` for an unknown test and ``ValueError`` for counts that are not
    non-negative whole numbers with a <= n1 and c <= n2, that do not broadcast together, or with
    a group size above ``MAX_GROUP_SIZE``.
    """
    kernel = _KERNELS.get(test) if isinstance(test, str) else None
    if kernel is None:
        msg = (
            f"unknown test {test!r} for p_value; available: {', '.join(TESTS)}. "
            "Use chi2 for the large-sample test, fisher or midp for an exact one."
        )
        raise ConfigError(msg)
    (a_, n1_, c_, n2_), shape = checked_counts(a, n1, c, n2, max_group_size=MAX_GROUP_SIZE)
    out = np.empty(a_.size, dtype=np.float64)
    kernel(a_, n1_, c_, n2_, out)
    return out.reshape(shape)
