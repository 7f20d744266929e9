"""Record-level extracts -> the count table every indicator is evaluated from.

The count table is SPEC section 4's pre-aggregated format at the finest level of a run: one row
per indicator, variant, year, cut cell and ethnic group, with ``numerator`` and ``denominator``.
For ratio and percentage indicators they are events and people at risk; for headcount indicators
(1: band shares, 9: board against workforce) the numerator is the group's headcount and the
denominator is the same number, since the row total is the sum over groups.

Every indicator of a run is a sum over this table, so cuts and roll-ups never re-read the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from engine.standards import Indicator, Measure, Standard

ETHNIC_COLUMNS: tuple[str, ...] = ("ethnic_category", "ethnic_broad", "ethnic_wres")
#: ``variant`` of the standard figure; others name what changed ("excluding international").
STANDARD_VARIANT = "standard"
#: The ``board`` column of indicator 9: memberships compared with the workforce.
WORKFORCE = "workforce"


@dataclass(frozen=True, slots=True)
class NotComputed:
    """An indicator (or a cut of it) that a run could not compute, and why."""

    indicator: int
    reason: str


def count_schema(dims: Sequence[str]) -> dict[str, pl.DataType]:
    """Column types of a count table with cut dimensions ``dims``."""
    return {
        "indicator": pl.Int16(),
        "variant": pl.String(),
        "year": pl.Int32(),
        "board": pl.String(),
        **{d: pl.String() for d in dims},
        **{c: pl.String() for c in ETHNIC_COLUMNS},
        "numerator": pl.Int64(),
        "denominator": pl.Int64(),
    }


def indicator_dims(indicator: Indicator, dims: Sequence[str]) -> list[str]:
    """The cut dimensions of a run plus the rows an indicator always has (1: staff group, band)."""
    return list(dict.fromkeys([*dims, *indicator.rows]))


def _group(frame: pl.LazyFrame, dims: Sequence[str], events: str | None) -> pl.LazyFrame:
    """Rows per cell; ``events`` names the boolean column counted as the numerator, and None
    makes the numerator the headcount itself."""
    keys = ["year", *dims, *ETHNIC_COLUMNS]
    headcount = pl.len().cast(pl.Int64)
    numerator = headcount if events is None else pl.col(events).sum().cast(pl.Int64)
    return frame.group_by(keys).agg(numerator=numerator, denominator=headcount)


def _finish(
    frame: pl.LazyFrame, indicator: int, variant: str, board: str | None, dims: Sequence[str]
) -> pl.LazyFrame:
    schema = count_schema(dims)
    present = frame.collect_schema().names()
    missing = [pl.lit(None, dtype=schema[d]).alias(d) for d in dims if d not in present]
    return frame.with_columns(
        *missing,
        indicator=pl.lit(indicator, dtype=pl.Int16),
        variant=pl.lit(variant),
        board=pl.lit(board, dtype=pl.String),
        year=pl.col("year").cast(pl.Int32),
    ).select(list(schema))


def _count_one(
    ind: Indicator, data: pl.DataFrame, dims: Sequence[str], table_dims: Sequence[str]
) -> tuple[list[pl.LazyFrame], list[NotComputed]]:
    present = [d for d in indicator_dims(ind, dims) if d in data.columns]
    skipped = [
        NotComputed(ind.id, f"the {ind.extract} extract has no {d!r} column; cut not computed")
        for d in dims
        if d not in data.columns
    ]
    lazy = data.lazy()
    parts: list[pl.LazyFrame] = []
    if ind.measure is Measure.SHARE:
        parts.append(_finish(_group(lazy, present, None), ind.id, "", None, table_dims))
    elif ind.measure in (Measure.RATIO, Measure.PERCENTAGE):
        assert ind.event is not None  # checked when the standard was loaded
        rows = lazy if ind.at_risk is None else lazy.filter(pl.col(ind.at_risk))
        rows = rows.filter(pl.col(ind.event).is_not_null())  # unanswered survey questions
        parts.append(_finish(_group(rows, present, ind.event), ind.id, "", None, table_dims))
        if ind.variant_without and ind.variant_without in data.columns:
            kept = rows.filter(~pl.col(ind.variant_without).fill_null(value=False))
            variant = f"excluding {ind.variant_without}"
            counted = _group(kept, present, ind.event)
            parts.append(_finish(counted, ind.id, variant, None, table_dims))
    return parts, skipped


_MEMBERSHIP: Mapping[str, pl.Expr] = {
    "voting": pl.col("voting"),
    "executive": pl.col("executive"),
    "non-executive": ~pl.col("executive"),
}


def _count_board(
    ind: Indicator,
    board: pl.DataFrame,
    staff: pl.DataFrame,
    dims: Sequence[str],
    table_dims: Sequence[str],
) -> list[pl.LazyFrame]:
    # Board and workforce are compared within the same organisation and year, so indicator 9 is
    # cut only by dimensions both extracts carry.
    shared = [d for d in dims if d in board.columns and d in staff.columns]
    parts = []
    for member in ind.members:
        rows = board.lazy().filter(_MEMBERSHIP[member])
        counted = _group(rows, shared, None)
        parts.append(_finish(counted, ind.id, "", member, table_dims))
    workforce = _group(staff.lazy(), shared, None)
    parts.append(_finish(workforce, ind.id, "", WORKFORCE, table_dims))
    return parts


def count_records(
    extracts: Mapping[str, pl.DataFrame], standard: Standard, dims: Sequence[str]
) -> tuple[pl.DataFrame, list[NotComputed]]:
    """The count table of every indicator whose extract is given, and what was not computed.

    Its columns are the cut dimensions ``dims`` and the rows every indicator always has (1: staff
    group and band), so that indicator 1 has its band rows without ``--by band``.
    """
    table_dims = list(dict.fromkeys([*dims, *(d for ind in standard.indicators for d in ind.rows)]))
    parts: list[pl.LazyFrame] = []
    missing: list[NotComputed] = []
    for ind in standard.indicators:
        if ind.extract not in extracts:
            missing.append(NotComputed(ind.id, f"no {ind.extract} extract was given"))
            continue
        if ind.measure is Measure.BOARD_GAP:
            if "staff" not in extracts:
                missing.append(
                    NotComputed(ind.id, "the workforce comparison needs the staff extract")
                )
                continue
            parts.extend(_count_board(ind, extracts["board"], extracts["staff"], dims, table_dims))
            board, staff = extracts["board"].columns, extracts["staff"].columns
            missing.extend(
                NotComputed(
                    ind.id, f"the board and staff extracts do not both have {d!r}; cut not computed"
                )
                for d in dims
                if d not in board or d not in staff
            )
            continue
        counted, skipped = _count_one(ind, extracts[ind.extract], dims, table_dims)
        parts.extend(counted)
        missing.extend(skipped)
    if not parts:
        return pl.DataFrame(schema=count_schema(table_dims)), missing
    table = pl.concat(pl.collect_all(parts))
    table = table.with_columns(
        variant=pl.when(pl.col("variant") == "").then(pl.lit(STANDARD_VARIANT)).otherwise("variant")
    )
    return table, missing
