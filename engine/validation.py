"""Check and normalise the records of one extract, a chunk at a time.

Row numbers are those an analyst sees in a spreadsheet: the header is row 1 and the first record
row 2, for every file format. A chunk carries ``row_offset``, the number of records of the file
before it, so that a later chunk names the right rows; the reports of chunks add up
(:class:`wres.engine.reconciliation.Reconciliation`), so a large file can be validated in pieces.
The one check that needs the whole file, repeated staff ids, is :func:`find_duplicate_staff`, with
:class:`StaffKeys` keeping what it needs of each chunk.

Messages never carry a record's values beyond the offending cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from wres.engine.column_checks import VOCABULARIES, Cells, boolean, empty_rows, normalise
from wres.engine.ethnicity import UNKNOWN, EthnicityScheme
from wres.engine.problem_log import ProblemLog
from wres.engine.reconciliation import (
    ETHNICITY_STATUSES,
    EXCLUDED_BANK,
    EXCLUDED_EMPTY,
    UNKNOWN_REASONS,
    UNRECOGNISED,
    Reconciliation,
    UnrecognisedSpelling,
)
from wres.engine.schema import Extract, Kind

#: The spreadsheet row of the first record (the header is row 1).
FIRST_RECORD_ROW = 2
#: Kinds whose blanks are allowed and counted in the reconciliation (a survey question not
#: answered, a flag not recorded).
BLANK_ALLOWED = frozenset((Kind.OPTIONAL_BOOL, Kind.ANSWER, Kind.SCORE))


@dataclass(frozen=True)
class ChunkResult:
    """The rows of a chunk that are used, normalised; their spreadsheet rows; the reconciliation."""

    data: pl.DataFrame
    rows: pl.Series
    report: Reconciliation


def validate_chunk(
    chunk: pl.DataFrame,
    extract: Extract,
    *,
    file: Path,
    row_offset: int,
    scheme: EthnicityScheme,
    log: ProblemLog,
    labels: Mapping[str, str] | None = None,
) -> ChunkResult:
    """Check and normalise ``chunk``, whose columns carry the extract's (canonical) names.

    ``row_offset`` is the number of records of the file before this chunk; ``labels`` gives the
    column names as the file spells them, for messages. Problems go to ``log``; the caller raises
    once the whole file is read. Columns of the extract missing from the chunk are skipped (the
    caller reports a missing required column).
    """
    first_row = row_offset + FIRST_RECORD_ROW
    rows = pl.int_range(first_row, first_row + chunk.height, eager=True).alias("row")
    empty = empty_rows(chunk)
    names = labels or {}

    def cells(name: str, keep: pl.Series | None = None) -> Cells:
        return Cells(names.get(name, name), ~empty, rows, log, keep)

    # The bank flag decides which rows are used, so it is read before the other columns.
    bank = None
    if extract.name == "staff" and "bank" in chunk.columns:
        bank = boolean(chunk["bank"], cells("bank"), blank_allowed=True)
    drop, excluded = _exclusions(bank, empty, extract)
    keep = ~drop if drop.any() else None

    out: list[pl.Series] = []
    for column in extract.columns:
        if column.name == "bank" and bank is not None:
            out.append(bank if keep is None else bank.filter(keep))
        elif column.name in chunk.columns:
            series = chunk[column.name]
            out.extend(normalise(series, column.kind, cells(column.name, keep), scheme))
    rows = rows if keep is None else rows.filter(keep)
    # With none of the extract's columns present, a frame of no columns keeps the row count.
    data = pl.DataFrame(out) if out else chunk.drop(chunk.columns).head(rows.len())
    if {"appointed", "shortlisted"} <= set(data.columns):
        every = pl.repeat(value=True, n=data.height, eager=True)  # kept rows are never empty
        kept = Cells(names.get("appointed", "appointed"), every, rows, log)
        _check_appointed(data, kept, names.get("shortlisted", "shortlisted"))
    report = _reconcile(data, extract, file, chunk.height, excluded)
    if report.unrecognised_rows:
        raw = chunk["ethnicity"] if keep is None else chunk["ethnicity"].filter(keep)
        label = names.get("ethnicity", "ethnicity")
        spellings = unrecognised_spellings(raw, data["ethnic_unknown_reason"], rows, file, label)
        report = replace(report, unrecognised_ethnicity=spellings)
    return ChunkResult(data, rows, report)


def unrecognised_spellings(
    raw: pl.Series, reasons: pl.Series, rows: pl.Series, file: Path, column: str
) -> dict[str, UnrecognisedSpelling]:
    """Each ethnicity spelling of ``raw`` that is not recognised (``reasons`` is the
    ``ethnic_unknown_reason`` and ``rows`` the spreadsheet row of the same rows), with how many
    rows hold it and the first of them."""
    hit = (reasons == UNRECOGNISED).fill_null(value=False)
    text = raw if raw.dtype == pl.String else raw.cast(pl.String)
    found = (
        pl.DataFrame({"spelling": text.filter(hit).str.strip_chars(), "row": rows.filter(hit)})
        .group_by("spelling")
        .agg(rows=pl.len(), first=pl.col("row").min())
        .sort("first")
    )
    return {
        str(spelling): UnrecognisedSpelling(int(n), file, int(first), column)
        for spelling, n, first in found.iter_rows()
    }


def _exclusions(
    bank: pl.Series | None, empty: pl.Series, extract: Extract
) -> tuple[pl.Series, dict[str, int]]:
    """The rows not used, and how many for each reason (SPEC: bank staff are not counted)."""
    excluded: dict[str, int] = {}
    drop = empty
    if extract.name == "staff":
        # Always listed for staff, so a report shows "0 bank staff" rather than nothing.
        excluded[EXCLUDED_BANK] = 0
        if bank is not None:
            is_bank = bank.fill_null(value=False) & ~empty
            excluded[EXCLUDED_BANK] = int(is_bank.sum())
            drop = drop | is_bank
    if empty.any():
        excluded[EXCLUDED_EMPTY] = int(empty.sum())
    return drop, excluded


def _check_appointed(data: pl.DataFrame, cells: Cells, shortlisted: str) -> None:
    bad = data["appointed"].fill_null(value=False) & ~data["shortlisted"].fill_null(value=True)
    cells.report(
        "rows appointed without being shortlisted",
        bad,
        lambda _: (
            f"appointed is yes but {shortlisted!r} is no in this row; "
            "an applicant is appointed only after being shortlisted"
        ),
    )


def _reconcile(
    data: pl.DataFrame, extract: Extract, file: Path, rows_read: int, excluded: dict[str, int]
) -> Reconciliation:
    def counts(column: str) -> dict[str, int]:
        frame = data.group_by(column).len()
        return {str(k): int(n) for k, n in frame.iter_rows() if k is not None}

    ethnicity = counts("ethnic_wres") if "ethnic_wres" in data.columns else {}
    reasons = counts("ethnic_unknown_reason") if "ethnic_unknown_reason" in data.columns else {}
    unknown_values: dict[str, int] = {}
    for column in extract.columns:
        if column.name not in data.columns:
            continue
        if column.kind in VOCABULARIES:
            unknown_values[column.name] = int((data[column.name] == UNKNOWN).sum())
        elif column.kind in BLANK_ALLOWED:
            unknown_values[column.name] = data[column.name].null_count()
    by_year: dict[int, int] = {}
    if "year" in data.columns:
        years = data.group_by("year").len().sort("year")
        by_year = {int(y): int(n) for y, n in years.iter_rows() if y is not None}
    return Reconciliation(
        extract=extract.name,
        files=(file,),
        rows_read=rows_read,
        rows_used=data.height,
        rows_excluded=excluded,
        ethnicity={status: ethnicity.get(status, 0) for status in ETHNICITY_STATUSES},
        ethnicity_unknown={reason: reasons.get(reason, 0) for reason in UNKNOWN_REASONS},
        unknown_values=unknown_values,
        rows_by_year=by_year,
        organisations=organisation_codes(data),
    )


def organisation_codes(data: pl.DataFrame) -> tuple[str, ...]:
    """The distinct codes in ``data``'s organisation column, sorted (none without one)."""
    if "organisation" not in data.columns:
        return ()
    return tuple(sorted(str(v) for v in data["organisation"].drop_nulls().unique()))


def _staff_keys(columns: Sequence[str]) -> list[str] | None:
    """The columns that identify a staff member in a year, or None without a staff_id."""
    if not {"staff_id", "year"} <= set(columns):
        return None
    return [c for c in ("organisation", "year", "staff_id") if c in columns]


class StaffKeys:
    """The keys of :func:`find_duplicate_staff` over a file read in chunks, as 64-bit hashes.

    The keys of a national file would take more memory than a chunk of it; a hash and a row
    number per record are enough to find the few rows that may repeat a key (equal keys have
    equal hashes), whose keys are then compared exactly by :func:`find_duplicate_staff`.
    """

    def __init__(self) -> None:
        self._parts: list[pl.DataFrame] = []

    def add(self, data: pl.DataFrame, rows: pl.Series) -> None:
        """Keep the key hashes of the used rows of one chunk."""
        keys = _staff_keys(data.columns)
        if keys is None:
            return
        frame = data.select(keys).with_columns(rows.alias("_row"))
        frame = frame.filter(pl.col("staff_id").is_not_null() & pl.col("year").is_not_null())
        self._parts.append(frame.select(_hash=_key_hash(keys), _row=pl.col("_row")))

    def hashes(self) -> pl.DataFrame:
        """The key hashes kept and their rows (``_hash``, ``_row``): what a part of a file
        checked elsewhere (a Spark partition) hands over to find the repeats."""
        if not self._parts:
            return pl.DataFrame(schema={"_hash": pl.UInt64, "_row": pl.Int64})
        return pl.concat(self._parts)

    def candidate_rows(self) -> pl.Series:
        """The rows whose key hash is another row's too: every repeated key is among them."""
        if not self._parts:
            return pl.Series("_row", [], dtype=pl.Int64)
        frame = pl.concat(self._parts)
        return frame["_row"].filter(frame["_hash"].is_duplicated())


def _key_hash(keys: Sequence[str]) -> pl.Expr:
    # organisation and staff_id are text columns (String, not codes that differ between
    # chunks) and year an integer, so equal keys hash alike in every chunk.
    return pl.struct(keys).hash()


def find_duplicate_staff(
    data: pl.DataFrame,
    rows: pl.Series,
    *,
    log: ProblemLog,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Log staff members who appear more than once in a year (when a staff_id column is given).

    The key is (organisation if present, year, staff_id). Run it once over the used rows of the
    whole file: duplicates can straddle chunks, and the key columns are small enough to keep.
    Messages name the rows, never the id.
    """
    keys = _staff_keys(data.columns)
    if keys is None:
        return
    frame = data.select(keys).with_columns(rows.alias("_row"))
    frame = frame.filter(pl.col("staff_id").is_not_null() & pl.col("year").is_not_null())
    # Exact duplicate detection on millions of string keys is slow; equal keys have equal
    # hashes, so sorting the hashes finds the few candidate rows, which are then compared exactly.
    hashes = frame.select(_key_hash(keys)).to_series()
    ordered = hashes.sort()
    clashes = ordered.filter(ordered == ordered.shift(1))
    if clashes.len() == 0:
        return
    candidates = frame.filter(hashes.is_in(clashes.unique().implode()))
    repeated = candidates.filter(candidates.select(keys).is_duplicated())
    if repeated.height == 0:
        return
    groups = (
        repeated.group_by(keys).agg(pl.col("_row").sort()).sort(pl.col("_row").list.first())["_row"]
    )
    label = (labels or {}).get("staff_id", "staff_id")
    what = " and ".join(
        ["staff_id, year", "organisation"] if "organisation" in keys else ["staff_id", "year"]
    )
    found: list[tuple[int, str]] = []
    for group in groups.head(log.rows_listed).to_list():
        others = _row_list(group[1:])
        found.append(
            (
                group[0],
                f"same {what} as row(s) {others}; "
                "a staff member appears once per year (remove the repeated rows)",
            )
        )
    log.add_rows(label, "groups of rows with a repeated staff_id", found, groups.len())


def _row_list(rows: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown if len(rows) <= limit else f"{shown} and {len(rows) - limit} more"
