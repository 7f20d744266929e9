"""Kernels for the interval of the ratio of two proportions, (a/n1)/(c/n2).

Every kernel takes 1-D contiguous float64 arrays of whole-number counts with 0 <= a <= n1 and
0 <= c <= n2 (checked by ``wres.engine.stats.intervals``, not here) and fills preallocated float64
output arrays, one element per comparison. Compiled on first call and cached on disk.

Conventions shared by all methods (the wrapper documents them for users):
- n1 = 0 or n2 = 0: estimate and both bounds NaN (no comparison).
- a = c = 0: estimate NaN, interval [0, inf]: the data reject no ratio.
- c = 0 < a: estimate NaN (the reference rate is zero); the score bound above is +inf.
- a = 0 < c: estimate 0; the score bound below is 0.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Newton stops after a step on log(ratio) this small; convergence is quadratic by then, so the
#: bound is good to far better than 1e-12 relative.
NEWTON_STEP_TOLERANCE = 1e-10
#: Evaluations before giving up (never reached in tests; typically 3 or 4 are needed).
MAX_ITERATIONS = 200
#: |log(ratio)| beyond which a bound is taken as 0 or inf; counts below 2**53 never get there.
LOG_LIMIT = 700.0


@njit(cache=True, error_model="numpy")
def _larger_root(quadratic: float, linear: float, constant: float, root_disc: float) -> float:
    """Larger root of quadratic u^2 + linear u + constant = 0, without cancellation."""
    if linear <= 0.0:
        return (root_disc - linear) / (2.0 * quadratic)
    return -2.0 * constant / (linear + root_disc)


@njit(cache=True, error_model="numpy")
def score_statistic(theta: float, a: float, n1: float, c: float, n2: float) -> tuple[float, float]:
    """Signed score statistic Z for H0: ratio = theta, and its slope dZ/d(log theta).

    Z = (a/n1 - theta c/n2) / sqrt(V), V = p1 q1/n1 + theta^2 p2 q2/n2, at the maximum
    likelihood proportions restricted to p1 = theta p2 (Farrington-Manning, Koopman): p2 is the
    smaller root of N theta p^2 - ((n1 + c) theta + a + n2) p + (a + c) = 0, N = n1 + n2.
    Written without cancellation, which matters when a proportion is near 1 and n is large:
    - the discriminant as s^2 + 4 theta b d, s = (n1 + c) theta - (a + n2), b = n1 - a,
      d = n2 - c (two non-negative terms), and p2 = 2 (a + c) / (-B + sqrt(disc));
    - q1 = 1 - p1 and q2 = 1 - p2 not by subtraction but as the larger roots of the same
      equation rewritten for them (same discriminant): N q1^2 + (s - 2b) q1 + b (1 - theta) = 0
      and N theta q2^2 - (s + 2 d theta) q2 + d (theta - 1) = 0.
    The slope uses dp2/dtheta = p2 (N p2 - n1 - c) / sqrt(disc) (implicit differentiation).
    Z decreases in theta. Needs a + c > 0.
    """
    b = n1 - a
    d = n2 - c
    n = n1 + n2
    s = (n1 + c) * theta - (a + n2)
    root_disc = math.sqrt(s * s + 4.0 * theta * b * d)
    p2 = 2.0 * (a + c) / ((n1 + c) * theta + a + n2 + root_disc)
    p1 = theta * p2
    q1 = _larger_root(n, s - 2.0 * b, b * (1.0 - theta), root_disc)
    q2 = _larger_root(n * theta, -(s + 2.0 * d * theta), d * (theta - 1.0), root_disc)
    var = p1 * q1 / n1 + theta * theta * p2 * q2 / n2
    diff = a / n1 - theta * c / n2
    if var <= 0.0:
        # only at theta = 1 with a = n1 and c = n2, which is the estimate itself (diff = 0)
        return 0.0, -math.inf
    sd = math.sqrt(var)
    z = diff / sd
    dp2 = p2 * (n * p2 - n1 - c) / root_disc
    dp1 = p2 + theta * dp2
    dvar = (q1 - p1) * dp1 / n1 + theta * (2.0 * p2 * q2 + theta * (q2 - p2) * dp2) / n2
    dz = (-c / n2 - 0.5 * z * dvar / sd) / sd
    return z, theta * dz


@njit(cache=True, error_model="numpy")
def _newton_start(
    a: float, n1: float, c: float, n2: float, half_width: float
) -> tuple[float, float, float]:
    """First point, inner end of the bracket and a step scale for ``_score_bound``.

    From the estimate (where Z = 0 and dZ/dlog(theta) = -1/Katz's standard error) one Newton
    step lands on Katz's bound, the first point. When the estimate is 0 or infinite, or Katz's
    standard error is 0 (all events in both groups), the first point is Katz's bound with 0.5
    in every cell, and the inner end is unknown (infinite) unless the estimate is finite.
    ``half_width`` is +-z / scale, the distance to the bound in standard errors: positive for the
    upper bound, negative for the lower.
    """
    if a > 0.0 and c > 0.0:
        x_in = math.log((a * n2) / (n1 * c))
        se = math.sqrt(1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2)
        if se > 0.0:
            return x_in + half_width * se, x_in, se
    else:
        x_in = -math.copysign(math.inf, half_width)
    se = math.sqrt(1.0 / (a + 0.5) - 1.0 / (n1 + 1.0) + 1.0 / (c + 0.5) - 1.0 / (n2 + 1.0))
    x_mid = math.log((a + 0.5) / (n1 + 1.0)) - math.log((c + 0.5) / (n2 + 1.0))
    return x_mid + half_width * se, x_in, se


@njit(cache=True, error_model="numpy")
def _score_bound(  # noqa: PLR0917 - numba kernels take positional arguments only
    a: float, n1: float, c: float, n2: float, z: float, scale: float, upper: bool
) -> float:
    """log of the lower or upper score bound: the x with scale * Z(exp(x)) = +z (lower), -z (upper).

    Needs a > 0 for the lower bound and c > 0 for the upper (otherwise it is 0 or inf).
    Safeguarded Newton on x = log(theta), starting from ``_newton_start``: every evaluation
    narrows a bracket [x_in, x_out] (x_in inside the interval, x_out outside) and a Newton step
    that leaves it is replaced by bisection, or by a doubling jump while one end is still
    infinite, or a Newton step not half the step before it is replaced by bisection (as
    Numerical Recipes' rtsafe does), so the bracket always shrinks. Stops after a Newton step
    below NEWTON_STEP_TOLERANCE (convergence is quadratic there); typically three or four
    evaluations.
    """
    target = -z if upper else z
    direction = 1.0 if upper else -1.0
    x, x_in, jump = _newton_start(a, n1, c, n2, direction * z / scale)
    x_out = direction * math.inf
    last_step = math.inf  # the step before the last one taken
    for _ in range(MAX_ITERATIONS):
        if abs(x) > LOG_LIMIT:
            return math.copysign(math.inf, x)
        z_x, slope = score_statistic(math.exp(x), a, n1, c, n2)
        excess = scale * z_x - target
        if excess == 0.0:
            return x
        if (excess > 0.0) == upper:
            x_in = x
        else:
            x_out = x
        step = -excess / (scale * slope)
        if slope < 0.0 and abs(step) <= NEWTON_STEP_TOLERANCE:
            return x + step
        x_next = x + step
        inside = slope < 0.0 and min(x_in, x_out) < x_next < max(x_in, x_out)
        # a Newton step not half the one before it is not converging (it can bounce between the
        # flat and the steep side of Z for ever, as for 0 of 1 against 1,192 of 2,078): bisect
        slow = abs(step) > 0.5 * last_step
        if not inside or (slow and not (math.isinf(x_in) or math.isinf(x_out))):
            if math.isinf(x_in) or math.isinf(x_out):
                jump *= 2.0
                x_next = x_out - direction * jump if math.isinf(x_in) else x_in + direction * jump
            elif abs(x_out - x_in) <= NEWTON_STEP_TOLERANCE:
                return 0.5 * (x_in + x_out)
            else:
                x_next = 0.5 * (x_in + x_out)
        last_step = abs(x_next - x)
        x = x_next
    return x


@njit(cache=True, error_model="numpy")
def _ratio(a: float, n1: float, c: float, n2: float) -> float:
    """The point estimate, NaN unless both groups have members and c > 0."""
    if n1 <= 0.0 or n2 <= 0.0 or c <= 0.0:
        return math.nan
    return (a / n1) / (c / n2)


@njit(cache=True, error_model="numpy")
def _settled(  # noqa: PLR0917 - numba kernels take positional arguments only
    i: int, a: float, n1: float, c: float, n2: float, low: np.ndarray, high: np.ndarray
) -> bool:
    """Write the bounds of table ``i`` where no method is needed, and say so: [NaN, NaN] with an
    empty group, [0, inf] with no events in either group."""
    if n1 <= 0.0 or n2 <= 0.0:
        low[i] = math.nan
        high[i] = math.nan
        return True
    if a == 0.0 and c == 0.0:
        low[i] = 0.0
        high[i] = math.inf
        return True
    return False


@njit(cache=True, error_model="numpy")
def score_intervals(  # noqa: PLR0917 - numba kernels take positional arguments only
    a: np.ndarray,
    n1: np.ndarray,
    c: np.ndarray,
    n2: np.ndarray,
    z: float,
    miettinen_nurminen: bool,
    estimate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> None:
    """Koopman's score interval (or Miettinen-Nurminen's, variance times N/(N-1)) per element.

    Bounds are the ratios theta with Z(theta)^2 = z^2; with Miettinen-Nurminen,
    Z(theta)^2 (N - 1) / N = z^2, N = n1 + n2.
    """
    for i in range(a.shape[0]):
        ai, n1i, ci, n2i = a[i], n1[i], c[i], n2[i]
        estimate[i] = _ratio(ai, n1i, ci, n2i)
        if _settled(i, ai, n1i, ci, n2i, low, high):
            continue
        n = n1i + n2i
        scale = math.sqrt((n - 1.0) / n) if miettinen_nurminen else 1.0
        low[i] = math.exp(_score_bound(ai, n1i, ci, n2i, z, scale, False)) if ai > 0.0 else 0.0
        high[i] = math.exp(_score_bound(ai, n1i, ci, n2i, z, scale, True)) if ci > 0.0 else math.inf


@njit(cache=True, error_model="numpy")
def katz_intervals(  # noqa: PLR0917 - numba kernels take positional arguments only
    a: np.ndarray,
    n1: np.ndarray,
    c: np.ndarray,
    n2: np.ndarray,
    z: float,
    estimate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    corrected: np.ndarray,
) -> None:
    """Katz's log interval, exp(log RR +- z sqrt(1/a - 1/n1 + 1/c - 1/n2)) per element.

    With 0.5 added to all four cells (a, n1 - a, c, n2 - c; so n1 and n2 gain 1) when one of
    them is zero, flagged in ``corrected``; except a = c = 0, which gets [0, inf] like the
    score methods, uncorrected.
    """
    for i in range(a.shape[0]):
        ai, n1i, ci, n2i = a[i], n1[i], c[i], n2[i]
        estimate[i] = _ratio(ai, n1i, ci, n2i)
        corrected[i] = False
        if _settled(i, ai, n1i, ci, n2i, low, high):
            continue
        if ai == 0.0 or ci == 0.0 or ai == n1i or ci == n2i:
            corrected[i] = True
            ai += 0.5
            ci += 0.5
            n1i += 1.0
            n2i += 1.0
        log_rr = math.log(ai / n1i) - math.log(ci / n2i)
        half = z * math.sqrt(1.0 / ai - 1.0 / n1i + 1.0 / ci - 1.0 / n2i)
        low[i] = math.exp(log_rr - half)
        high[i] = math.exp(log_rr + half)
