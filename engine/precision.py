"""The precision of published figures: rounded as the annual return prints them.

Every figure is computed, tested, flagged and adjusted at full precision; only what is written to
``publish/`` is rounded (docs/outputs.md#precision). Rates are fractions, so three decimals is a
percentage to one decimal place (12.3%), as the return prints it. Relative likelihoods and their
intervals have three decimals (the workbook shows two; the third keeps a ratio just outside the
non-adverse range, 1.254, from reading as its edge, 1.25). p-values keep three significant
figures, so that a small one is still told apart from zero. Rounding a withheld (empty) value
leaves it empty: rounding never shows anything that was not shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import polars as pl

#: Figures rounded to a number of decimal places (the columns of indicators.csv and pooled.csv).
DECIMALS: Mapping[str, int] = {
    "rate": 3,
    "reference_rate": 3,
    "difference_pp": 1,
    "relative_likelihood": 3,
    "ci_low": 3,
    "ci_high": 3,
    "pooled_relative_likelihood": 3,
    "heterogeneity_q": 2,
    "trend_ratio_per_year": 3,
    "trend_slope": 4,
    "trend_se": 4,
}
#: Figures rounded to a number of significant figures.
SIGNIFICANT_FIGURES: Mapping[str, int] = {
    "p_value": 3,
    "p_adjusted": 3,
    "heterogeneity_p": 3,
    "trend_p": 3,
    "trend_p_adjusted": 3,
}


def as_published(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each figure it has rounded to its published precision; every other column
    (counts, flags, text, and a column of an empty table that has no type) as it is."""
    floats = {name for name, dtype in frame.schema.items() if dtype.is_float()}
    rounded = [
        pl.col(name).round(places, mode="half_away_from_zero")
        for name, places in DECIMALS.items()
        if name in floats
    ]
    rounded += [
        pl.col(name).map_batches(
            partial(significant, digits=digits), return_dtype=pl.Float64, is_elementwise=True
        )
        for name, digits in SIGNIFICANT_FIGURES.items()
        if name in floats
    ]
    return frame.with_columns(rounded) if rounded else frame


#: 10**k is exact in binary floating point up to here, so a whole number divided by it is the
#: float nearest the decimal (polars' round_sig_figs prints 7.92e-31 as 7.919999999999998e-31).
_EXACT_POWER = 22


def significant(series: pl.Series, digits: int) -> pl.Series:
    """``series`` rounded to ``digits`` significant figures, each the float nearest the
    rounded decimal, so that it prints with no more digits; nulls stay null."""
    x = series.cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
    shown = np.isfinite(x) & (x != 0)
    exponent = np.floor(np.log10(np.abs(x, where=shown, out=np.ones_like(x))))
    shift = (digits - 1 - exponent).astype(np.int64)
    exact = shown & (np.abs(shift) <= _EXACT_POWER)
    power = 10.0 ** np.abs(shift[exact])
    whole = np.where(shift[exact] >= 0, x[exact] * power, x[exact] / power)
    whole = np.sign(whole) * np.floor(np.abs(whole) + 0.5)  # halves away from zero
    x[exact] = np.where(shift[exact] >= 0, whole / power, whole * power)
    # beyond 1e-22 (rare: a p-value of 1e-40 from a large national table) via the decimal text
    for i in np.flatnonzero(shown & ~exact):
        x[i] = float(f"{x[i]:.{digits}g}")
    nulls = pl.repeat(None, len(series), dtype=pl.Float64, eager=True)
    return pl.Series(series.name, x, dtype=pl.Float64).zip_with(series.is_not_null(), nulls)
