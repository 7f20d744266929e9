"""What a run's protection costs: the share of its counts published and the information lost.

A count is one of a row's ``numerator``, ``denominator``, ``reference_numerator`` and
``reference_denominator`` wherever the run computed one (zeros included: a reference group with
nobody in a cell is a count of 0); it is withheld when the published table leaves it blank.
The information lost is the withheld counts' sum over the sum of all counts. Both are taken
per table (indicator, measure, variant) and per level (how many cut columns a row has not at
``All``), from the table before withholding and the same rows after it, so no second run with
nothing withheld is needed (docs/disclosure.md#what-the-protection-costs).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from wres.engine.errors import InternalError
from wres.engine.indicators import ALL

COUNT_COLUMNS = ("numerator", "denominator", "reference_numerator", "reference_denominator")
#: What names a table of the run: the indicator, its measure and the variant.
TABLE_COLUMNS = ("indicator", "measure", "variant")
#: The value of a name or level column in a row that sums over it.
EVERY = "all"
#: The columns of restricted/utility.csv, in order.
UTILITY_SCHEMA = {
    "indicator": pl.String,
    "measure": pl.String,
    "variant": pl.String,
    "level": pl.String,
    "counts": pl.Int64,
    "published": pl.Int64,
    "withheld": pl.Int64,
    "share_published": pl.Float64,
    "information_lost": pl.Float64,
}


def count_cells(before: pl.DataFrame, after: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """One row per count of the run: its table, level, value and whether it is withheld.

    ``before`` is the run's table before anything is withheld, ``after`` the same rows, in
    the same order, as published (a withheld count is null there). A count null in
    ``before`` (a column that does not apply to the row) is not a count.
    """
    if before.height != after.height:
        msg = (
            f"the table before withholding has {before.height} rows and after it "
            f"{after.height}: they must be the same rows (a bug in wres)"
        )
        raise InternalError(msg)
    not_all = [pl.col(d).cast(pl.String).fill_null(ALL) != ALL for d in dims]
    level = pl.sum_horizontal(not_all).cast(pl.Int64) if not_all else pl.lit(0, pl.Int64)
    frames = [
        before.select(
            *TABLE_COLUMNS,
            level.alias("level"),
            pl.col(column).cast(pl.Int64).alias("value"),
            after[column].is_null().alias("withheld"),
        )
        for column in COUNT_COLUMNS
    ]
    return pl.concat(frames).filter(pl.col("value").is_not_null())


def _summed(cells: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    withheld_sum = pl.col("value").filter(pl.col("withheld")).sum()
    total_sum = pl.col("value").sum()
    aggregates = [
        pl.len().cast(pl.Int64).alias("counts"),
        (~pl.col("withheld")).sum().cast(pl.Int64).alias("published"),
        pl.col("withheld").sum().cast(pl.Int64).alias("withheld"),
        pl.when(total_sum > 0).then(withheld_sum / total_sum).alias("information_lost"),
    ]
    return cells.group_by(by).agg(aggregates) if by else cells.select(aggregates)


def utility_table(cells: pl.DataFrame) -> pl.DataFrame:
    """restricted/utility.csv from :func:`count_cells`: one row per table and level, an
    ``all`` level of each table, then the same over every table (``indicator`` ``all``)."""
    named = [*TABLE_COLUMNS, "level"]
    cells = cells.with_columns(pl.col("indicator").cast(pl.Int64))
    rows = pl.concat(
        [
            _summed(cells, named),
            _summed(cells, TABLE_COLUMNS),
            _summed(cells, ["level"]),
            _summed(cells, []),
        ],
        how="diagonal_relaxed",
    )
    # tables in the run's order (indicator as a number), each level in turn, its all last
    rows = rows.sort(named, nulls_last=True).with_columns(
        pl.col(named).cast(pl.String).fill_null(EVERY),
        share_published=pl.when(pl.col("counts") > 0).then(pl.col("published") / pl.col("counts")),
    )
    return rows.select(pl.col(c).cast(t) for c, t in UTILITY_SCHEMA.items())


def utility(before: pl.DataFrame, after: pl.DataFrame, dims: Sequence[str]) -> pl.DataFrame:
    """restricted/utility.csv of a run (see :func:`count_cells` and :func:`utility_table`)."""
    return utility_table(count_cells(before, after, dims))
