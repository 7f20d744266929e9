"""Pooled and trend results over the years of a multi-year run, per comparison and cut.

For each ratio comparison (indicator, variant, cut cell, group against its reference) the yearly
tables are pooled with the Mantel-Haenszel relative likelihood (Greenland-Robins interval,
Cochran's Q for homogeneity across years) and the yearly log ratios are regressed on the year
(inverse-variance weights, fixed scale). Only years whose four counts are published enter, so
every pooled figure is computable from published counts and withholds nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl

from wres.engine.ethnicity import UNKNOWN
from wres.engine.families import adjust_within, family_codes
from wres.engine.standards import RatioOrder, Standard
from wres.engine.stats import mantel_haenszel, trend

COUNTS = ("numerator", "denominator", "reference_numerator", "reference_denominator")

POOLED_COLUMNS: tuple[str, ...] = (
    "first_year",
    "last_year",
    "years_used",
    "years_withheld",
    "pooled_relative_likelihood",
    "ci_low",
    "ci_high",
    "ci_method",
    "heterogeneity_q",
    "heterogeneity_df",
    "heterogeneity_p",
    "trend_ratio_per_year",
    "trend_slope",
    "trend_se",
    "trend_p",
    "trend_p_adjusted",
    "trend_method",
    "status",
    "direction",
)


def _ratio_rows(
    evaluated: pl.DataFrame, published: pl.DataFrame, standard: Standard
) -> pl.DataFrame:
    """Yearly ratio comparisons (no rolling figures: they overlap years), with true counts and
    whether all four counts of the year are published."""
    ratio_ids = [i.id for i in standard.indicators if i.kind.relative_likelihood]
    shown = pl.all_horizontal([published[c].is_not_null() for c in COUNTS])
    rows = evaluated.with_columns(_published=shown)
    return rows.filter(
        pl.col("indicator").is_in(ratio_ids),
        ~pl.col("variant").str.ends_with("rolling"),
        pl.col("group") != UNKNOWN,
        pl.col("reference_group").is_not_null(),
    )


def pooled_over_years(
    evaluated: pl.DataFrame,
    published: pl.DataFrame,
    standard: Standard,
    dims: Sequence[str],
    *,
    confidence: float,
    adjust_method: Literal["bh", "holm"],
) -> pl.DataFrame:
    """One row per comparison and cut over the run's years; empty for a one-year run.

    ``evaluated`` holds the true counts, ``published`` the same rows after disclosure control.
    """
    rows = _ratio_rows(evaluated, published, standard)
    keys = ["indicator", "variant", *dims, "board", "group", "reference_group"]
    if rows.height == 0 or rows["year"].n_unique() < 2:
        return pl.DataFrame(schema=[*keys, *POOLED_COLUMNS])
    comparisons = _comparisons(rows, keys)
    index = comparisons.select(keys).with_row_index("_comparison")
    used = rows.filter("_published").sort([*keys, "year"], nulls_last=False)
    used = used.join(index, on=keys, how="left", nulls_equal=True)
    values, methods = _pooled_statistics(used, standard, comparisons.height, confidence=confidence)
    # one family per indicator and cut (wres.engine.families): a trend's adjusted p-value does not
    # depend on the other cuts of the run
    families = family_codes(comparisons, dims, ("indicator",))
    values["trend_p_adjusted"] = adjust_within(values["trend_p"], families, method=adjust_method)
    out = comparisons.with_columns(
        *[_series(name, v) for name, v in values.items()],
        ci_method=pl.lit(methods[0]),
        trend_method=pl.lit(methods[1]),
    )
    return out.with_columns(
        heterogeneity_df=pl.when(pl.col("heterogeneity_q").is_not_null()).then("heterogeneity_df"),
        ci_method=pl.when(pl.col("ci_low").is_not_null()).then("ci_method"),
        trend_method=pl.when(pl.col("trend_slope").is_not_null()).then("trend_method"),
        status=pl.when(pl.col("pooled_relative_likelihood").is_null())
        .then(pl.lit("not calculable"))
        .otherwise(pl.lit("published")),
    ).select([*keys, *POOLED_COLUMNS])


def _comparisons(rows: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """One row per comparison and cut: its years and how many of them are withheld."""
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(
            first_year=pl.col("year").min(),
            last_year=pl.col("year").max(),
            years_withheld=(~pl.col("_published")).sum().cast(pl.Int64),
            direction=pl.col("direction").first(),
        )
        .sort(keys, nulls_last=False)
    )


def _pooled_statistics(
    used: pl.DataFrame, standard: Standard, k: int, *, confidence: float
) -> tuple[dict[str, np.ndarray], tuple[str, str]]:
    """Mantel-Haenszel pooling and the trend over the published years of each of ``k``
    comparisons (``_comparison``), and the names of their methods."""
    top, bottom = _oriented(used, standard)
    strata_of = used["_comparison"].to_numpy().astype(np.int64)
    mh = mantel_haenszel(*top, *bottom, level=confidence, strata_of=strata_of, n_comparisons=k)
    years = used["year"].to_numpy().astype(np.float64)
    slope = trend(years, *top, *bottom, strata_of=strata_of, n_comparisons=k)
    values = {
        "years_used": mh.strata,
        "pooled_relative_likelihood": mh.estimate,
        "ci_low": mh.ci_low,
        "ci_high": mh.ci_high,
        "heterogeneity_q": mh.q,
        "heterogeneity_df": mh.q_df,
        "heterogeneity_p": mh.q_p_value,
        "trend_ratio_per_year": np.exp(slope.slope),
        "trend_slope": slope.slope,
        "trend_se": slope.se,
        "trend_p": slope.p_value,
    }
    return values, (mh.method, slope.method)


def _series(name: str, values: np.ndarray) -> pl.Series:
    if values.dtype.kind in "iu":
        return pl.Series(name, values, dtype=pl.Int64)
    return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)


def _oriented(
    rows: pl.DataFrame, standard: Standard
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Counts with the ratio's top rate first: (a, n1), (c, n2) per row, as each indicator says."""
    group_on_top = [i.id for i in standard.indicators if i.ratio is RatioOrder.GROUP_OVER_REFERENCE]
    on_top = rows["indicator"].is_in(group_on_top).to_numpy()
    a, n1, c, n2 = (rows[name].to_numpy().astype(np.float64) for name in COUNTS)
    top = (np.where(on_top, a, c), np.where(on_top, n1, n2))
    bottom = (np.where(on_top, c, a), np.where(on_top, n2, n1))
    return top, bottom
