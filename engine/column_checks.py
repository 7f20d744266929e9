"""Check and normalise one column of an extract, vectorised.

Free-text columns (ethnicity, band, yes/no written as text) hold few distinct values even in a
national extract of millions of rows, so each distinct value is parsed once in Python and the
result spread back over the rows with one gather. Parquet's native booleans and integer years are
checked as they are, without a round trip through text.

Every normaliser checks all rows of the chunk (``Cells.check``) but returns only the rows kept
(``Cells.keep``): building output strings only for the rows used is much cheaper than building
them for every row and filtering afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

import polars as pl

from wres.engine.ethnicity import BME, UNKNOWN, WHITE, EthnicityScheme, UnknownReason
from wres.engine.problem_log import ProblemLog, show
from wres.engine.schema import (
    BANDS,
    DISABILITY,
    SCORE_RANGE,
    STAFF_GROUPS,
    YEAR_RANGE,
    Kind,
    normalise_band,
    normalise_disability,
    normalise_staff_group,
    parse_answer,
    parse_bool,
)

#: The classification columns that replace ``ethnicity`` in the normalised frame.
ETHNIC_COLUMNS: tuple[str, ...] = (
    "ethnic_category",
    "ethnic_broad",
    "ethnic_wres",
    "ethnic_unknown_reason",
)
YES_NO = "yes/no, y/n, true/false, 1/0"
BLANK_YEAR = "blank; every row needs a year"
BLANK_BOOL = f"blank; this column needs yes or no in every row ({YES_NO})"
VOCABULARIES: Mapping[Kind, Callable[[str | None], str]] = {
    Kind.BAND: normalise_band,
    Kind.STAFF_GROUP: normalise_staff_group,
    Kind.DISABILITY: normalise_disability,
}
#: Every value a vocabulary column can hold after normalising. Normalised columns are Enums of
#: these (the same in every chunk of every file), so that counting reads small integer codes
#: instead of hashing text; ``wres.engine.readers.read_extract`` gives them back as text.
VOCABULARY_VALUES: Mapping[Kind, tuple[str, ...]] = {
    Kind.BAND: (*BANDS, UNKNOWN),
    Kind.STAFF_GROUP: (*STAFF_GROUPS, UNKNOWN),
    Kind.DISABILITY: DISABILITY,
}
#: A free-text cut column with at most this many distinct values is normalised per distinct value.
_FEW_DISTINCT = 100_000


@dataclass(frozen=True)
class Cells:
    """One column of a chunk as the checks see it.

    ``label`` is the column's name in the file (for messages), ``check`` the rows to check (not
    empty rows), ``rows`` their spreadsheet row numbers, ``keep`` the rows to return (None: all).
    """

    label: str
    check: pl.Series
    rows: pl.Series
    log: ProblemLog
    keep: pl.Series | None = None

    def report(self, issue: str, mask: pl.Series, message: Callable[[int], str]) -> None:
        """Log the checked rows where ``mask`` holds; ``message(i)`` describes cell ``i``."""
        where = (mask.fill_null(value=False) & self.check).arg_true()
        if where.len() == 0:
            return
        first = where.head(self.log.rows_listed).to_list()
        found = [(int(self.rows[i]), message(i)) for i in first]
        self.log.add_rows(self.label, issue, found, where.len())

    def kept(self, series: pl.Series) -> pl.Series:
        return series if self.keep is None else series.filter(self.keep)


@dataclass(frozen=True)
class _Distinct:
    """A column as its distinct non-blank texts and, per row, an index into them.

    Blank (null) rows get the index ``len(values)``, so a table of ``len(values) + 1`` outputs,
    the last for blank, maps every row with one gather.
    """

    values: list[str]
    codes: pl.Series

    @classmethod
    def of(cls, series: pl.Series) -> _Distinct:
        text = series if series.dtype == pl.String else series.cast(pl.String)
        values = text.drop_nulls().unique().to_list()
        # Casting to an Enum of the distinct values is one hash lookup per row, far cheaper than
        # joining or replacing strings on millions of rows.
        codes = text.cast(pl.Enum(values)).to_physical().cast(pl.UInt32)
        return cls(values, codes.fill_null(len(values)))

    def lookup(self, outputs: Sequence[object], dtype: pl.DataType, cells: Cells) -> pl.Series:
        """Spread ``outputs`` (one per distinct value, then one for blank) over the kept rows."""
        return pl.Series(values=outputs, dtype=dtype).gather(cells.kept(self.codes))

    def rows_with(self, indices: Sequence[int]) -> pl.Series:
        return self.codes.is_in(pl.Series(indices, dtype=pl.UInt32).implode())

    def value_at(self, row_index: int) -> str:
        return self.values[int(self.codes[row_index])]


class _Bad:
    """A value that cannot be parsed (as opposed to None, which is blank)."""


_BAD = _Bad()
_YEAR_TEXT = re.compile(r"^\+?\d+(?:\.0*)?$")  # "2024", and "2024.0" as spreadsheets write it
_N = TypeVar("_N", int, float)


def _parse_in_range(
    text: str, pattern: re.Pattern[str], number: Callable[[str], _N], bounds: tuple[_N, _N]
) -> _N | _Bad | None:
    """``number`` of the text when it matches ``pattern`` and lies in ``bounds``; None if blank."""
    stripped = text.strip()
    if not stripped:
        return None
    if not pattern.match(stripped):
        return _BAD
    value = number(stripped)
    return value if bounds[0] <= value <= bounds[1] else _BAD


def _parse_year(text: str) -> int | _Bad | None:
    return _parse_in_range(text, _YEAR_TEXT, lambda s: int(s.split(".")[0]), YEAR_RANGE)


def _or_bad(parse: Callable[[str], bool | None]) -> Callable[[str], bool | _Bad | None]:
    """``parse`` with its ``ValueError`` (a spelling it does not accept) returned as ``_BAD``."""

    def parse_or_bad(text: str) -> bool | _Bad | None:
        try:
            return parse(text)
        except ValueError:
            return _BAD

    return parse_or_bad


_parse_bool_text = _or_bad(parse_bool)
_parse_answer_text = _or_bad(parse_answer)


_SCORE_TEXT = re.compile(r"^[+]?(?:\d+(?:\.\d*)?|\.\d+)$")


def _parse_score(text: str) -> float | _Bad | None:
    return _parse_in_range(text, _SCORE_TEXT, float, SCORE_RANGE)


@dataclass(frozen=True)
class _Parsed:
    """A column parsed cell by cell: values of the kept rows; masks and cell text over all rows."""

    values: pl.Series  # kept rows only; null where blank or bad
    bad: pl.Series
    blank: pl.Series
    cell: Callable[[int], object]  # the text of cell i, for messages


def _parse_text(
    series: pl.Series, parse: Callable[[str], object], dtype: pl.DataType, cells: Cells
) -> _Parsed:
    """Parse a text column one distinct value at a time."""
    distinct = _Distinct.of(series)
    parsed = [parse(v) for v in distinct.values]
    bad = [i for i, p in enumerate(parsed) if isinstance(p, _Bad)]
    blank = [i for i, p in enumerate(parsed) if p is None] + [len(parsed)]
    outputs = [None if isinstance(p, _Bad) else p for p in (*parsed, None)]
    return _Parsed(
        distinct.lookup(outputs, dtype, cells),
        distinct.rows_with(bad),
        distinct.rows_with(blank),
        distinct.value_at,
    )


def _parse_number(series: pl.Series, bad: pl.Series, dtype: pl.DataType, cells: Cells) -> _Parsed:
    """A numeric column (Parquet) whose ``bad`` cells are known; blank is null."""
    bad = bad.fill_null(value=False)
    values = cells.kept(series.set(bad, None)).cast(dtype)
    return _Parsed(values, bad, series.is_null(), series.__getitem__)


def _is_number(dtype: pl.DataType) -> bool:
    return dtype.is_integer() or dtype.is_float()


def _report_unreadable(cells: Cells, parsed: _Parsed, what: str, accepted: str) -> None:
    """Report the cells that cannot be read as ``what``; ``accepted`` says what can be."""
    cells.report(
        f"rows that cannot be read as {what}",
        parsed.bad,
        lambda i: f"cannot read {show(parsed.cell(i))} as {what} ({accepted})",
    )


def year(series: pl.Series, cells: Cells) -> pl.Series:
    """Int16 years of the kept rows; non-integers, years outside YEAR_RANGE and blanks are
    problems."""
    low, high = YEAR_RANGE
    if _is_number(series.dtype):
        number = series.cast(pl.Float64)
        # NaN compares above every number in polars, so is_between rejects it too.
        bad = ~number.is_between(low, high) | (number != number.floor())
        parsed = _parse_number(series, bad, pl.Int16(), cells)
    else:
        parsed = _parse_text(series, _parse_year, pl.Int16(), cells)
    _report_unreadable(cells, parsed, "a year", f"a whole number from {low} to {high}, e.g. 2024")
    cells.report("rows with a blank year", parsed.blank, lambda _: BLANK_YEAR)
    return parsed.values.alias("year")


def boolean(series: pl.Series, cells: Cells, *, blank_allowed: bool) -> pl.Series:
    """Booleans of the kept rows (null for blank); unreadable values, and blanks where not
    allowed, are problems."""
    if series.dtype == pl.Boolean:
        never = pl.repeat(value=False, n=series.len(), eager=True)
        parsed = _Parsed(cells.kept(series), never, series.is_null(), str)
    elif _is_number(series.dtype):
        parsed = _parse_number(series, ~((series == 0) | (series == 1)), pl.Boolean(), cells)
    else:
        parsed = _parse_text(series, _parse_bool_text, pl.Boolean(), cells)
    _report_unreadable(cells, parsed, "yes/no", f"accepted: {YES_NO}")
    if not blank_allowed:
        cells.report("blank rows", parsed.blank, lambda _: BLANK_BOOL)
    return parsed.values.alias(series.name)


def answer(series: pl.Series, cells: Cells) -> pl.Series:
    """A survey answer of the kept rows as a boolean: yes/no spellings and the survey's scales
    (null where blank or not an answer); anything else is a problem."""
    if series.dtype == pl.Boolean or _is_number(series.dtype):
        return boolean(series, cells, blank_allowed=True)
    parsed = _parse_text(series, _parse_answer_text, pl.Boolean(), cells)
    _report_unreadable(
        cells,
        parsed,
        "an answer",
        f"accepted: {YES_NO}, the satisfaction or agreement scale, not applicable, "
        "no adjustment required",
    )
    return parsed.values.alias(series.name)


def score(series: pl.Series, cells: Cells) -> pl.Series:
    """Float64 scores of the kept rows (null where blank); anything that is not a number from
    SCORE_RANGE is a problem."""
    low, high = SCORE_RANGE
    if _is_number(series.dtype):
        number = series.cast(pl.Float64)
        parsed = _parse_number(series, ~number.is_between(low, high), pl.Float64(), cells)
    else:
        parsed = _parse_text(series, _parse_score, pl.Float64(), cells)
    _report_unreadable(cells, parsed, "a score", f"a number from {low:g} to {high:g}, e.g. 7.2")
    return parsed.values.alias(series.name)


def vocabulary(series: pl.Series, kind: Kind, cells: Cells) -> pl.Series:
    """Canonical band, staff group or disability of the kept rows (Unknown if unrecognised), as
    an Enum of VOCABULARY_VALUES."""
    normalise = VOCABULARIES[kind]
    distinct = _Distinct.of(series)
    outputs = [normalise(v) for v in (*distinct.values, None)]
    dtype = pl.Enum(VOCABULARY_VALUES[kind])
    return distinct.lookup(outputs, dtype, cells).alias(series.name)


def ethnic_values(scheme: EthnicityScheme) -> dict[str, tuple[str, ...]]:
    """Every value each of the ETHNIC_COLUMNS can hold under ``scheme``."""
    broad = dict.fromkeys((*scheme.broad_groups, *scheme.wres_of_broad))
    return {
        "ethnic_category": scheme.categories,
        "ethnic_broad": tuple(broad),
        "ethnic_wres": (WHITE, BME, UNKNOWN),
        "ethnic_unknown_reason": tuple(str(r) for r in UnknownReason),
    }


def ethnicity(series: pl.Series, scheme: EthnicityScheme, cells: Cells) -> list[pl.Series]:
    """The four ETHNIC_COLUMNS of the kept rows (Enums of ``ethnic_values``); every value is
    classified, none is a problem."""
    distinct = _Distinct.of(series)
    found = [scheme.classify(v) for v in (*distinct.values, None)]
    parts: dict[str, list[str | None]] = {
        "ethnic_category": [c.category for c in found],
        "ethnic_broad": [c.broad for c in found],
        "ethnic_wres": [c.wres for c in found],
        "ethnic_unknown_reason": [
            None if c.unknown_reason is None else str(c.unknown_reason) for c in found
        ],
    }
    values = ethnic_values(scheme)
    return [
        distinct.lookup(v, pl.Enum(values[name]), cells).alias(name) for name, v in parts.items()
    ]


def text(series: pl.Series, cells: Cells) -> pl.Series:
    """A cut column as text, without stray spaces (they would split one site into two groups);
    blank is null."""
    if series.dtype.is_integer():  # e.g. numeric staff ids in Parquet: no spaces to strip
        return cells.kept(series).cast(pl.String).alias(series.name)
    if cast(int, series.approx_n_unique()) <= _FEW_DISTINCT:
        distinct = _Distinct.of(series)
        outputs = [v.strip() or None for v in distinct.values]
        return distinct.lookup([*outputs, None], pl.String(), cells).alias(series.name)
    kept = cells.kept(series)
    out = kept if kept.dtype == pl.String else kept.cast(pl.String)
    if (out.str.starts_with(" ") | out.str.ends_with(" ")).any():
        out = out.str.strip_chars()
    return out.set(out == "", None).alias(series.name)


def _blank(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "")
    return pl.col(name).is_null()


def empty_rows(chunk: pl.DataFrame) -> pl.Series:
    """Rows with no value in any column read (blank lines, empty spreadsheet rows)."""
    if chunk.width == 0:
        return pl.repeat(value=True, n=chunk.height, eager=True)
    # Only a row without a year can be empty; checking the other columns on those rows alone
    # keeps this cheap on large extracts.
    first = "year" if "year" in chunk.columns else chunk.columns[0]
    candidates = chunk.select(_blank(first, chunk.schema[first])).to_series().arg_true()
    empty = pl.repeat(value=False, n=chunk.height, eager=True)
    if candidates.len() == 0:
        return empty
    subset = chunk[candidates]
    all_blank = subset.select(
        pl.all_horizontal(*(_blank(c, t) for c, t in subset.schema.items()))
    ).to_series()
    return empty.scatter(candidates.filter(all_blank), True)


def normalise(
    series: pl.Series, kind: Kind, cells: Cells, scheme: EthnicityScheme
) -> list[pl.Series]:
    """Check ``series`` as a column of ``kind`` and return its normalised column(s)."""
    if kind is Kind.YEAR:
        return [year(series, cells)]
    if kind is Kind.ETHNICITY:
        return ethnicity(series, scheme, cells)
    if kind in (Kind.BOOL, Kind.OPTIONAL_BOOL):
        return [boolean(series, cells, blank_allowed=kind is Kind.OPTIONAL_BOOL)]
    if kind is Kind.ANSWER:
        return [answer(series, cells)]
    if kind is Kind.SCORE:
        return [score(series, cells)]
    if kind in VOCABULARIES:
        return [vocabulary(series, kind, cells)]
    return [text(series, cells)]
