"""Over-dispersion of many funnels at once: one pass over each funnel's units.

Accepted input (the caller, ``wres.engine.stats.funnel``, guarantees it):
- ``z``: float64, C-contiguous, finite, each unit's z-score against its funnel's target;
- ``weight``: float64, C-contiguous, finite and positive (1 / standard error squared);
- ``start``: int64, the first unit of each funnel, units grouped by funnel (``start[-1]`` is the
  number of units);
- ``winsorise``: the share of units set to the quantile at each end, in [0, 0.5).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@njit(cache=True)
def quantile_sorted(values: FloatArray, p: float) -> float:
    """The ``p`` quantile of sorted ``values`` by linear interpolation between order statistics
    (R's type 7, numpy's default)."""
    h = (len(values) - 1) * p
    low = int(np.floor(h))
    if low + 1 >= len(values):
        return float(values[len(values) - 1])
    return float(values[low] + (h - low) * (values[low + 1] - values[low]))


@njit(cache=True)
def dispersion(
    z: FloatArray, weight: FloatArray, start: IntArray, winsorise: float
) -> tuple[FloatArray, FloatArray]:
    """Per funnel: phi, the mean squared winsorised z-score, and the additive random effect's
    variance tau^2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w), at least 0 (Spiegelhalter
    2005, "Handling over-dispersion of performance indicators"; with no winsorisation and the
    target at the inverse-variance weighted mean, DerSimonian and Laird's estimate)."""
    n_funnels = len(start) - 1
    phi = np.full(n_funnels, np.nan)
    tau2 = np.full(n_funnels, np.nan)
    for f in range(n_funnels):
        first, last = start[f], start[f + 1]
        k = last - first
        if k < 2:
            continue
        ordered = np.sort(z[first:last])
        low = quantile_sorted(ordered, winsorise)
        high = quantile_sorted(ordered, 1.0 - winsorise)
        squares = 0.0
        w_sum = 0.0
        w_squares = 0.0
        for i in range(first, last):
            clipped = min(max(z[i], low), high)
            squares += clipped * clipped
            w_sum += weight[i]
            w_squares += weight[i] * weight[i]
        phi[f] = squares / k
        excess = squares - (k - 1)
        tau2[f] = max(0.0, excess / (w_sum - w_squares / w_sum))
    return phi, tau2
