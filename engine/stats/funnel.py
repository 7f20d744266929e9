"""Funnel plots for comparing organisations: each organisation's figure against its precision,
with control limits around a target that widen for small organisations, plain and inflated for
the variation between organisations that any real system has (over-dispersion).

Methods (Spiegelhalter, "Funnel plots for comparing institutional performance", Stat Med
2005; 24:1185-1202, and "Handling over-dispersion of performance indicators", Qual Saf Health
Care 2005; 14:347-351), for a funnel of k organisations with figures y_i, standard errors s_i
and target t:

- z_i = (y_i - t) / s_i;
- winsorised: the z-scores below the ``winsorise`` quantile (above the 1 - ``winsorise``
  quantile) are set to it (R's and numpy's default quantile, linear between order statistics);
- phi = mean of the squared winsorised z-scores;
- additive (the default): tau^2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w), w_i = 1/s_i^2,
  0 when negative: a random effect between organisations (with no winsorisation and the target
  at the inverse-variance weighted mean this is DerSimonian and Laird's estimate, as R's
  ``metafor::rma(method = "DL")`` reports); the limits are t +/- z_p sqrt(s^2 + tau^2);
- multiplicative: the limits are t +/- z_p s sqrt(phi), phi taken as 1 when below 1;
- adjusted z-score: (y_i - t) / sqrt(s_i^2 + tau^2), or / (s_i sqrt(phi));
- with fewer than ``min_units`` organisations the over-dispersion is not estimated: the adjusted
  limits are the plain ones.

A flag per organisation and level: 1 above the upper limit, -1 below the lower, 0 within.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wres.engine.errors import ConfigError
from wres.engine.stats._checks import normal_quantile, one_value_per_row
from wres.engine.stats._kernels import funnel as kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The two levels of the limits: about 1 in 20 and 1 in 500 organisations fall outside each by
#: chance alone (the NHS convention of "warning" and "alarm" limits, 2 and 3 standard errors).
LEVELS: tuple[float, float] = (0.95, 0.998)
#: Over-dispersion methods.
METHODS: tuple[str, ...] = ("additive", "multiplicative")
#: Winsorisation by default: 10% at each end (Spiegelhalter 2005).
WINSORISE = 0.1
#: Fewer organisations than this in a funnel: the over-dispersion is not estimated.
MIN_UNITS = 10


@dataclass(frozen=True, slots=True)
class Funnels:
    """Per unit (organisation): its z-scores, limits and flags; per funnel: its over-dispersion.

    ``lower``/``upper`` and ``flag`` have one row per level of :data:`LEVELS` (or the levels
    asked for), ``plain_*`` without the over-dispersion, the others with it."""

    z: FloatArray
    z_adjusted: FloatArray
    plain_lower: FloatArray
    plain_upper: FloatArray
    lower: FloatArray
    upper: FloatArray
    plain_flag: npt.NDArray[np.int8]
    flag: npt.NDArray[np.int8]
    #: per funnel: organisations, phi (the winsorised mean squared z), tau^2 (additive)
    units: IntArray
    phi: FloatArray
    tau2: FloatArray
    #: per funnel: whether the over-dispersion was estimated (at least ``min_units`` units)
    estimated: npt.NDArray[np.bool_]
    levels: tuple[float, ...]
    method: str


def funnel_limits(
    target: npt.ArrayLike,
    se: npt.ArrayLike,
    *,
    level: float,
    tau2: npt.ArrayLike = 0.0,
    phi: npt.ArrayLike = 1.0,
    method: str = "additive",
) -> tuple[FloatArray, FloatArray]:
    """The ``level`` control limits around ``target`` at standard error ``se`` (broadcast):
    additive, ``target +/- z sqrt(se^2 + tau2)``; multiplicative, ``target +/- z se sqrt(phi)``
    (``phi`` below 1 taken as 1). The curves of a plot and each organisation's limits."""
    z = normal_quantile(level)
    t, s = np.asarray(target, np.float64), np.asarray(se, np.float64)
    if method == "additive":
        half = z * np.sqrt(s * s + np.asarray(tau2, np.float64))
    elif method == "multiplicative":
        half = z * s * np.sqrt(np.maximum(np.asarray(phi, np.float64), 1.0))
    else:
        msg = f"unknown over-dispersion method {method!r}; use one of: {', '.join(METHODS)}"
        raise ConfigError(msg)
    return t - half, t + half


def funnel(
    value: npt.ArrayLike,
    se: npt.ArrayLike,
    *,
    target: npt.ArrayLike,
    funnel_of: npt.ArrayLike | None = None,
    method: str = "additive",
    winsorise: float = WINSORISE,
    levels: tuple[float, ...] = LEVELS,
    min_units: int = MIN_UNITS,
) -> Funnels:
    """Funnel statistics of many funnels at once.

    ``value`` and ``se``: each organisation's figure (a log ratio, a share) and its standard
    error, finite, the error positive. ``funnel_of`` (integers from 0) says which funnel each
    belongs to (None: one funnel); ``target`` holds each funnel's target. ``method``:
    "additive" or "multiplicative" (see the module); ``winsorise``: the share set to the quantile
    at each end, in [0, 0.5). Raises ValueError (ConfigError for a setting) naming the problem."""
    y = np.ascontiguousarray(one_value_per_row("value", value, None), np.float64)
    s = np.ascontiguousarray(one_value_per_row("se", se, None), np.float64)
    if len(s) != len(y):
        msg = f"se has {len(s)} values for {len(y)} value(s); give one per organisation"
        raise ValueError(msg)
    of = _funnel_index(funnel_of, len(y))
    goals = np.atleast_1d(np.asarray(target, np.float64))
    n_funnels = max(len(goals), int(of.max()) + 1 if len(of) else 0)
    _check(y, s, goals, n_funnels, method, winsorise)
    order = np.argsort(of, kind="stable")
    start = np.searchsorted(of[order], np.arange(n_funnels + 1)).astype(np.int64)
    t = goals[of]
    z = (y - t) / s
    phi_sorted, tau2_sorted = kernels.dispersion(
        np.ascontiguousarray(z[order]), np.ascontiguousarray(1.0 / s[order] ** 2), start, winsorise
    )
    units = np.diff(start)
    estimated = units >= min_units
    phi = np.where(estimated, phi_sorted, np.nan)
    tau2 = np.where(estimated, tau2_sorted, np.nan)
    tau2_used = np.where(estimated, tau2, 0.0)[of]
    phi_used = np.where(estimated, np.maximum(np.nan_to_num(phi, nan=1.0), 1.0), 1.0)[of]
    spread = np.sqrt(s * s + tau2_used) if method == "additive" else s * np.sqrt(phi_used)
    bands = [funnel_limits(t, s, level=p) for p in levels]
    adjusted = [
        funnel_limits(t, s, level=p, tau2=tau2_used, phi=phi_used, method=method) for p in levels
    ]
    plain_lower, plain_upper = (np.array([b[i] for b in bands]) for i in (0, 1))
    lower, upper = (np.array([b[i] for b in adjusted]) for i in (0, 1))
    return Funnels(
        z=z,
        z_adjusted=(y - t) / spread,
        plain_lower=plain_lower,
        plain_upper=plain_upper,
        lower=lower,
        upper=upper,
        plain_flag=_flags(y, plain_lower, plain_upper),
        flag=_flags(y, lower, upper),
        units=units.astype(np.int64),
        phi=phi,
        tau2=tau2,
        estimated=estimated,
        levels=tuple(levels),
        method=method,
    )


def _flags(y: FloatArray, lower: FloatArray, upper: FloatArray) -> npt.NDArray[np.int8]:
    """1 above the upper limit, -1 below the lower one, 0 within (one row per level)."""
    return (np.where(y > upper, 1, 0) - np.where(y < lower, 1, 0)).astype(np.int8)


def _funnel_index(funnel_of: npt.ArrayLike | None, rows: int) -> IntArray:
    """The funnel of each row as int64 (all 0 without ``funnel_of``)."""
    if funnel_of is None:
        return np.zeros(rows, np.int64)
    index = one_value_per_row("funnel_of", funnel_of, rows)
    if index.size and not np.issubdtype(index.dtype, np.integer):
        msg = f"funnel_of must hold integer funnel indices, got dtype {index.dtype}"
        raise ValueError(msg)
    out = np.ascontiguousarray(index, np.int64)
    if (out < 0).any():
        msg = "funnel_of must not be negative; funnel indices start at 0"
        raise ValueError(msg)
    return out


def _check(  # noqa: PLR0917 - the inputs of one call
    y: FloatArray, s: FloatArray, goals: FloatArray, n_funnels: int, method: str, winsorise: float
) -> None:
    """Raise naming the first problem with the inputs of :func:`funnel`."""
    if method not in METHODS:
        msg = f"unknown over-dispersion method {method!r}; use one of: {', '.join(METHODS)}"
        raise ConfigError(msg)
    if not 0.0 <= winsorise < 0.5:
        msg = f"winsorise must be in [0, 0.5), got {winsorise!r}; use e.g. winsorise=0.1"
        raise ConfigError(msg)
    if len(goals) != n_funnels:
        msg = f"target has {len(goals)} value(s) for {n_funnels} funnel(s); give one per funnel"
        raise ValueError(msg)
    for name, values in (("value", y), ("target", goals)):
        bad = ~np.isfinite(values)
        if bad.any():
            msg = f"{name} must be finite, not at position {int(np.flatnonzero(bad)[0])}"
            raise ValueError(msg)
    bad = ~(np.isfinite(s) & (s > 0))
    if bad.any():
        msg = (
            f"se must be finite and positive, not at position {int(np.flatnonzero(bad)[0])};"
            " leave out an organisation without one"
        )
        raise ValueError(msg)
