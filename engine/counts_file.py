"""Read pre-aggregated counts (SPEC section 4, the national team's long format).

``indicator,year,ethnicity,numerator,denominator`` plus, for indicator 9, ``board``; any further
column is a cut dimension. Ethnicity may be given at any level of the hierarchy; rows are rolled
up, so a key may not carry both a group and a part of it (that would count people twice).
Every problem of the file is reported, each with its spreadsheet row and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from wres.engine.counts import STANDARD_VARIANT, count_schema
from wres.engine.errors import BadInputError
from wres.engine.ethnicity import EthnicityScheme
from wres.engine.problem_log import ProblemLog
from wres.engine.readers import _format_of, _open, _reading
from wres.engine.reconciliation import ETHNICITY_STATUSES, UNKNOWN_REASONS, Reconciliation
from wres.engine.schema import YEAR_RANGE
from wres.engine.standards import Shape, Standard
from wres.engine.validation import organisation_codes, unrecognised_spellings

REQUIRED: tuple[str, ...] = ("indicator", "year", "ethnicity", "numerator", "denominator")
BOARD_VALUES: tuple[str, ...] = ("voting", "executive", "non-executive", "workforce")
FIRST_ROW = 2


def _whole_numbers(frame: pl.DataFrame, column: str) -> pl.Series:
    """The column as Int64; null where the text is not a whole number."""
    text = frame[column].cast(pl.String).str.strip_chars()
    return text.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)


def _report(log: ProblemLog, rows: pl.Series, bad: pl.Series, column: str, message: str) -> None:
    """Log ``message`` for every row where ``bad`` holds (listing the first few)."""
    _report_rows(log, rows.filter(bad.fill_null(value=False)).to_list(), column, message)


def _report_rows(log: ProblemLog, rows: Sequence[int], column: str, message: str) -> None:
    if rows:
        found = [(row, message) for row in sorted(rows)[: log.rows_listed]]
        log.add_rows(column, f"rows: {message}", found, len(rows))


def _check_values(
    frame: pl.DataFrame, rows: pl.Series, standard: Standard, log: ProblemLog
) -> pl.DataFrame:
    ids = [i.id for i in standard.indicators]
    indicator = _whole_numbers(frame, "indicator")
    _report(
        log,
        rows,
        ~indicator.is_in(ids).fill_null(value=False),
        "indicator",
        f"not an indicator of {standard.short_name}; use one of {ids}",
    )
    year = _whole_numbers(frame, "year")
    low, high = YEAR_RANGE
    _report(
        log,
        rows,
        ~year.is_between(low, high).fill_null(value=False),
        "year",
        f"not a year between {low} and {high}",
    )
    numbers = {}
    for column in ("numerator", "denominator"):
        value = _whole_numbers(frame, column)
        _report(log, rows, value.is_null(), column, "not a whole number")
        _report(log, rows, (value < 0).fill_null(value=False), column, "negative count")
        numbers[column] = value
    over = (numbers["numerator"] > numbers["denominator"]).fill_null(value=False)
    _report(log, rows, over, "numerator", "numerator is larger than the denominator")
    board = (
        frame["board"]
        if "board" in frame.columns
        else pl.Series([None] * frame.height, dtype=pl.String)
    )
    is_board = indicator == next(
        (i.id for i in standard.indicators if i.kind.shape is Shape.BOARD), -1
    )
    bad_board = is_board.fill_null(value=False) & ~board.is_in(BOARD_VALUES).fill_null(value=False)
    _report(
        log, rows, bad_board, "board", f"indicator 9 rows need board = one of {list(BOARD_VALUES)}"
    )
    return frame.with_columns(
        indicator=indicator.cast(pl.Int16),
        year=year.cast(pl.Int32),
        numerator=numbers["numerator"],
        denominator=numbers["denominator"],
        board=pl.when(is_board).then(board),
    )


def _check_keys(frame: pl.DataFrame, keys: Sequence[str], log: ProblemLog) -> None:
    """Duplicate rows for one key, and a group given beside one of its parts."""
    dup = frame.select([*keys, "ethnicity"]).is_duplicated()
    # "A" and "White - British" are one group spelt twice; Unknown rows of different spellings
    # (not stated, not known, unrecognised) are parts of Unknown and are summed.
    group = ["ethnic_category", "ethnic_broad", "ethnic_wres"]
    known = frame["ethnic_wres"] != "Unknown"
    same_group = frame.select([*keys, *group]).is_duplicated() & known
    _report(
        log,
        frame["_row"],
        dup | same_group,
        "ethnicity",
        "duplicate row: the same key appears twice",
    )
    wres_rows = frame.filter(
        pl.col("ethnic_broad").is_null() & (pl.col("ethnic_wres") != "Unknown")
    )
    finer = frame.filter(pl.col("ethnic_broad").is_not_null())
    broad_rows = finer.filter(pl.col("ethnic_category").is_null())
    detailed = finer.filter(pl.col("ethnic_category").is_not_null())
    overlaps = [
        wres_rows.join(finer, on=[*keys, "ethnic_wres"], nulls_equal=True)["_row"],
        broad_rows.join(detailed, on=[*keys, "ethnic_broad"], nulls_equal=True)["_row"],
    ]
    message = (
        "a group given beside one of its parts for the same key would count people twice; "
        "give each key at one level of the ethnicity hierarchy"
    )
    rows = sorted({row for found in overlaps for row in found.to_list()})
    _report_rows(log, rows, "ethnicity", message)


def read_counts(
    path: Path, standard: Standard, scheme: EthnicityScheme
) -> tuple[pl.DataFrame, list[str], Reconciliation]:
    """The count table of a counts file, its cut dimensions, and its reconciliation."""
    frame, header = _open(path)
    log = ProblemLog(path, column_order=header)
    missing = [c for c in REQUIRED if c not in header]
    for column in missing:
        log.add(column, f"missing required column; the file has: {', '.join(header)}")
    if missing:
        raise BadInputError(log.problems())
    with _reading(path, _format_of(path)):
        data = frame.collect()
    dims = [c for c in header if c not in (*REQUIRED, "board")]
    rows = pl.int_range(FIRST_ROW, FIRST_ROW + data.height, eager=True)
    checked = _check_values(data, rows, standard, log)
    ethnic = scheme.classify_series(checked["ethnicity"])
    table = checked.with_columns(
        *ethnic.get_columns(), *[pl.col(d).cast(pl.String) for d in dims], _row=rows
    )
    keys = ["indicator", "year", "board", *dims]
    _check_keys(table, keys, log)
    if log:
        raise BadInputError(log.problems())
    headcounts = [i.id for i in standard.indicators if i.kind.headcount]
    is_headcount = pl.col("indicator").is_in(headcounts)
    remainder = _unlisted_headcount(table.filter(is_headcount), keys, log)
    if log:
        raise BadInputError(log.problems())
    out = pl.concat([table, remainder], how="diagonal_relaxed").with_columns(
        variant=pl.lit(STANDARD_VARIANT),
        # headcount rows: the row total is the sum over groups, so each row carries its own count
        denominator=pl.when(is_headcount).then("numerator").otherwise("denominator"),
    )
    report = _reconcile(path, table)
    return out.select(list(count_schema(dims))), dims, report


def _unlisted_headcount(table: pl.DataFrame, keys: Sequence[str], log: ProblemLog) -> pl.DataFrame:
    """Headcount rows (indicators 1 and 9) state the row total as the denominator; staff not
    covered by the listed groups become an Unknown row, so shares use the stated total."""
    units = table.group_by(keys).agg(
        total=pl.col("denominator").first(),
        totals=pl.col("denominator").n_unique(),
        listed=pl.col("numerator").sum(),
        first_row=pl.col("_row").min(),
    )
    _report_rows(
        log,
        units.filter(pl.col("totals") > 1)["first_row"].to_list(),
        "denominator",
        "rows of one band or board differ in their denominator (the row total); "
        "give the same total on each",
    )
    _report_rows(
        log,
        units.filter(pl.col("listed") > pl.col("total"))["first_row"].to_list(),
        "numerator",
        "the groups of this band or board add up to more than its denominator (the row total)",
    )
    gaps = units.filter(pl.col("listed") < pl.col("total"))
    return gaps.select(
        *keys,
        numerator=pl.col("total") - pl.col("listed"),
        denominator=pl.col("total"),
        ethnic_wres=pl.lit("Unknown"),
        ethnic_unknown_reason=pl.lit("not known"),
    )


def _reconcile(path: Path, table: pl.DataFrame) -> Reconciliation:
    status = dict(table.group_by("ethnic_wres").len().iter_rows())
    reasons = dict(table.group_by("ethnic_unknown_reason").len().drop_nulls().iter_rows())
    report = Reconciliation(
        extract="counts",
        files=(path,),
        rows_read=table.height,
        rows_used=table.height,
        ethnicity={s: int(status.get(s, 0)) for s in ETHNICITY_STATUSES},
        ethnicity_unknown={r: int(reasons.get(r, 0)) for r in UNKNOWN_REASONS},
        unrecognised_ethnicity=unrecognised_spellings(
            table["ethnicity"], table["ethnic_unknown_reason"], table["_row"], path, "ethnicity"
        ),
        organisations=organisation_codes(table),
    )
    report.check()
    return report
