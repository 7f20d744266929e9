"""Comparisons of two proportions, a/n1 against c/n2, one element per comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from engine.errors import ConfigError

FloatArray = npt.NDArray[np.float64]
CiMethod = Literal["katz"]
TestName = Literal["fisher"]
CI_METHODS: tuple[str, ...] = ("katz",)
TESTS: tuple[str, ...] = ("fisher",)


@dataclass(frozen=True, slots=True)
class RatioEstimate:
    """The relative likelihood (a/n1)/(c/n2) with its interval; NaN where not calculable."""

    estimate: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    method: str
    #: True where 0.5 was added to every cell to bound the interval (a zero cell)
    corrected: npt.NDArray[np.bool_]


def _counts(
    a: npt.ArrayLike, n1: npt.ArrayLike, c: npt.ArrayLike, n2: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    arrays = [np.asarray(x, dtype=np.float64) for x in (a, n1, c, n2)]
    shape = np.broadcast_shapes(*(x.shape for x in arrays))
    a_, n1_, c_, n2_ = (np.broadcast_to(x, shape) for x in arrays)
    if np.any((a_ < 0) | (c_ < 0) | (a_ > n1_) | (c_ > n2_)):
        msg = "counts must satisfy 0 <= a <= n1 and 0 <= c <= n2"
        raise ValueError(msg)
    return a_, n1_, c_, n2_


def _z(level: float) -> float:
    if not 0 < level < 1:
        msg = f"confidence level {level} must lie strictly between 0 and 1 (e.g. 0.95)"
        raise ConfigError(msg)
    return float(sps.norm.ppf(0.5 + level / 2))


def relative_likelihood(
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    ci: CiMethod = "katz",
    level: float = 0.95,
) -> RatioEstimate:
    """Ratio of the rates a/n1 and c/n2 with a ``level`` confidence interval.

    ``katz``: Katz's log interval, log(RR) +- z * sqrt(1/a - 1/n1 + 1/c - 1/n2), with 0.5 added to
    all four cells only when a cell is zero (``corrected`` flags those). The ratio is NaN ("not
    calculable") when c = 0 or either group is empty.
    """
    if ci not in CI_METHODS:
        msg = f"unknown interval method {ci!r}; available: {', '.join(CI_METHODS)}"
        raise ConfigError(msg)
    z = _z(level)
    a_, n1_, c_, n2_ = _counts(a, n1, c, n2)
    calculable = (c_ > 0) & (n1_ > 0) & (n2_ > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(calculable, (a_ / n1_) / (c_ / n2_), np.nan)
        zero_cell = (a_ == 0) | (c_ == 0) | (a_ == n1_) | (c_ == n2_)
        shift = np.where(zero_cell, 0.5, 0.0)
        a_s, c_s, n1_s, n2_s = a_ + shift, c_ + shift, n1_ + 2 * shift, n2_ + 2 * shift
        log_rr = np.log((a_s / n1_s) / (c_s / n2_s))
        se = np.sqrt(1 / a_s - 1 / n1_s + 1 / c_s - 1 / n2_s)
        low = np.where(calculable, np.exp(log_rr - z * se), np.nan)
        high = np.where(calculable, np.exp(log_rr + z * se), np.nan)
    return RatioEstimate(estimate, low, high, "katz-log", zero_cell & calculable)


def p_value(
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    test: TestName = "fisher",
) -> FloatArray:
    """Two-sided p-value for equal rates: Fisher's exact test (scipy's definition).

    NaN where either group is empty. Distinct tables are computed once.
    """
    if test not in TESTS:
        msg = f"unknown test {test!r}; available: {', '.join(TESTS)}"
        raise ConfigError(msg)
    a_, n1_, c_, n2_ = _counts(a, n1, c, n2)
    tables = np.stack([a_, n1_ - a_, c_, n2_ - c_], axis=-1).reshape(-1, 4).astype(np.int64)
    unique, inverse = np.unique(tables, axis=0, return_inverse=True)
    out = np.full(len(unique), np.nan)
    for i, (x, y, u, v) in enumerate(unique):
        if x + y > 0 and u + v > 0:
            out[i] = sps.fisher_exact([[x, y], [u, v]]).pvalue
    return out[inverse.ravel()].reshape(a_.shape)
