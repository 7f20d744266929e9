"""Read a record-level extract (CSV, Parquet or Excel) in chunks, check it and normalise it.

:class:`ExtractReader` opens a file, finds the extract's columns (by default name, the trust's own
names via ``mapping``, or a case- and spacing-insensitive match) and yields the rows used of each
chunk, validated (:mod:`wres.engine.validation`), so that a file larger than memory streams
through in pieces: memory is bounded by one chunk. Problems are collected over the whole file
and raised after its last chunk as one ``BadInputError``, each naming the file, the row as a
spreadsheet shows it (counted across chunks) and the column. :func:`read_extract` reads a whole file
into one frame.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import polars as pl

from wres.engine.csv_sniff import not_utf8, sniff_csv
from wres.engine.errors import BadInputError, ConfigError, InternalError, Problem
from wres.engine.ethnicity import EthnicityScheme, default_scheme
from wres.engine.problem_log import ProblemLog
from wres.engine.progress import Progress
from wres.engine.reconciliation import Reconciliation
from wres.engine.schema import EXTRACTS, Extract, Kind
from wres.engine.validation import StaffKeys, find_duplicate_staff, validate_chunk

#: File suffixes read, and the format each means.
FORMATS: MappingProxyType[str, str] = MappingProxyType(
    {".csv": "CSV", ".parquet": "Parquet", ".xlsx": "Excel", ".xls": "Excel"}
)
_HINTS: Mapping[str, str] = {
    "CSV": "save it again as 'CSV UTF-8 (comma delimited)'",
    "Parquet": "write the Parquet file again",
    "Excel": "open and save it again in Excel, or export the sheet as CSV",
}
_LISTED_COLUMNS = 30
#: Records per chunk; ``WRES_CHUNK_ROWS`` overrides it (tests force tiny chunks with it).
DEFAULT_CHUNK_ROWS = 1_000_000


def chunk_rows_setting(value: int | None = None) -> int:
    """``value``, else ``WRES_CHUNK_ROWS``, else DEFAULT_CHUNK_ROWS; ConfigError unless positive."""
    text = os.environ.get("WRES_CHUNK_ROWS") if value is None else str(value)
    if text is None:
        return DEFAULT_CHUNK_ROWS
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows < 1:
        msg = f"chunk size {text!r} (WRES_CHUNK_ROWS): give a whole number of rows above 0"
        raise ConfigError(msg)
    return rows


@dataclass(frozen=True)
class LoadedExtract:
    """An extract after reading: the rows used, normalised, and where every row read went.

    ``data`` holds the extract's columns found in the file, in the order of
    ``wres.engine.schema.EXTRACTS``, with ``ethnicity`` replaced by ``ethnic_category``,
    ``ethnic_broad``, ``ethnic_wres`` and ``ethnic_unknown_reason``, all as text. See
    docs/inputs.md.
    """

    extract: str
    file: Path
    data: pl.DataFrame
    report: Reconciliation


def extract_named(name: str) -> Extract:
    """The extract called ``name``; ConfigError listing the valid names otherwise."""
    try:
        return EXTRACTS[name]
    except KeyError:
        msg = f"no extract called {name!r}; the extracts are {', '.join(EXTRACTS)}"
        raise ConfigError(msg) from None


def check_mapping(mapping: Mapping[str, str]) -> None:
    """ConfigError unless every key is a column of some extract and every source is named."""
    known = sorted({c.name for e in EXTRACTS.values() for c in e.columns})
    for key, source in mapping.items():
        if key not in known:
            msg = (
                f"the column mapping names {key!r}, which is not a column of any extract; "
                f"map one of: {', '.join(known)}"
            )
            raise ConfigError(msg)
        if not source.strip():
            msg = f"the column mapping for {key!r} gives no source column name"
            raise ConfigError(msg)


class ExtractReader:
    """One extract file, opened (its header read and its columns found), read chunk by chunk.

    ``mapping`` is canonical column name -> column name in the file; keys naming columns of other
    extracts are ignored, so one mapping can serve every extract. Iterate :meth:`chunks` once;
    :attr:`report` is the reconciliation of the whole file after it. Raises ConfigError for a bad
    extract name or mapping, BadInputError for a file that cannot be opened.
    """

    def __init__(
        self,
        path: Path,
        extract: str,
        *,
        mapping: Mapping[str, str] | None = None,
        scheme: EthnicityScheme | None = None,
        chunk_rows: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.spec = extract_named(extract)
        mapping = dict(mapping or {})
        check_mapping(mapping)
        self.file = path
        self.scheme = scheme or default_scheme()
        self.chunk_rows = chunk_rows_setting(chunk_rows)
        self._progress = progress
        self._frame, header = _open(path)
        self.columns, problems = find_columns(path, header, self.spec, mapping)
        problems += _unreadable_types(path, self._frame.collect_schema(), self.columns)
        self.log = ProblemLog(path, column_order=list(self.columns.values()))
        for problem in problems:
            self.log.add(problem.column, problem.message)
        self._report: Reconciliation | None = None

    @property
    def report(self) -> Reconciliation:
        """Where every row of the file went; available once :meth:`chunks` has been read."""
        if self._report is None:
            msg = "the reconciliation of a file is asked for before reading it (a bug in wres)"
            raise InternalError(msg)
        return self._report

    def text_values(self, names: Sequence[str]) -> dict[str, list[str | None]]:
        """The distinct values of the text columns among ``names`` as the checks will give them
        (spaces stripped, blank as None), when the format tells them cheaply (Parquet: a scan
        of each column; otherwise nothing). A hint for sizing a count cube's axes before the
        first chunk: the values of the rows used are among them."""
        if _format_of(self.file) != "Parquet":
            return {}
        text = {
            name: source
            for name, source in self.columns.items()
            if name in names and self.spec.column(name).kind is Kind.TEXT
        }
        if not text:
            return {}
        with _reading(self.file, "Parquet"):
            found = self._frame.select(
                pl.col(source).unique().implode().alias(name) for name, source in text.items()
            ).collect()
        return {
            name: list(dict.fromkeys(None if v is None else str(v).strip() or None for v in values))
            for name, values in found.row(0, named=True).items()
        }

    def chunks(self) -> Iterator[pl.DataFrame]:
        """The used rows of each chunk, checked and normalised (vocabulary and ethnicity
        columns as Enums). After the last chunk, raises BadInputError with every problem of the
        file; a caller can check :attr:`log` to stop using chunks of a file already in error."""
        total = _total_rows(self.file, self._frame)
        report: Reconciliation | None = None
        keys = StaffKeys()
        offset = 0
        for raw in self._batches(self.columns):
            result = validate_chunk(
                raw,
                self.spec,
                file=self.file,
                row_offset=offset,
                scheme=self.scheme,
                log=self.log,
                labels=self.columns,
            )
            offset += raw.height
            report = result.report if report is None else report + result.report
            keys.add(result.data, result.rows)
            if self._progress is not None:
                self._progress(self.spec.name, offset, total)
            yield result.data
        if offset == 0 and not self.log:
            self.log.add(None, "no records below the header row")
        candidates = keys.candidate_rows()
        if candidates.len():
            data, rows = self._rows_with_keys(candidates)
            find_duplicate_staff(data, rows, log=self.log, labels=self.columns)
        if self.log:
            raise BadInputError(self.log.problems())
        assert report is not None  # a file without records has a problem, raised above
        report.check()
        self._report = report

    def _batches(self, columns: Mapping[str, str]) -> Iterator[pl.DataFrame]:
        """The file's ``columns`` under their canonical names, ``chunk_rows`` records at a time."""
        kind = _format_of(self.file)
        query = self._frame.select([pl.col(source).alias(name) for name, source in columns.items()])
        with _reading(self.file, kind):
            batches = iter(query.collect_batches(chunk_size=self.chunk_rows))
        while True:
            with _reading(self.file, kind):
                batch = next(batches, None)
            if batch is None:
                return
            if batch.height:
                yield batch

    def _rows_with_keys(self, candidates: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
        """The staff keys of the ``candidates`` rows, read again from the file (only the key
        columns, and only when key hashes repeat: nearly always a real duplicate)."""
        wanted = ("year", "organisation", "staff_id", "bank")
        columns = {name: source for name, source in self.columns.items() if name in wanted}
        scratch = ProblemLog(self.file)  # the problems of these rows are already in self.log
        found, rows, offset = [], [], 0
        for raw in self._batches(columns):
            result = validate_chunk(
                raw, self.spec, file=self.file, row_offset=offset, scheme=self.scheme, log=scratch
            )
            offset += raw.height
            keep = result.rows.is_in(candidates.implode())
            found.append(result.data.filter(keep))
            rows.append(result.rows.filter(keep))
        return pl.concat(found), pl.concat(rows)


def read_extract(
    path: Path,
    extract: str,
    *,
    mapping: Mapping[str, str] | None = None,
    scheme: EthnicityScheme | None = None,
    chunk_rows: int | None = None,
) -> LoadedExtract:
    """Read, check and normalise one whole extract file (see :class:`ExtractReader`).

    Raises BadInputError with every problem of the file, or ConfigError for a bad extract name
    or mapping.
    """
    reader = ExtractReader(path, extract, mapping=mapping, scheme=scheme, chunk_rows=chunk_rows)
    parts = [_as_text(chunk) for chunk in reader.chunks()]
    return LoadedExtract(reader.spec.name, path, pl.concat(parts), reader.report)


def _as_text(chunk: pl.DataFrame) -> pl.DataFrame:
    enums = [name for name, dtype in chunk.schema.items() if isinstance(dtype, pl.Enum)]
    return chunk.with_columns(pl.col(enums).cast(pl.String)) if enums else chunk


def _total_rows(path: Path, frame: pl.LazyFrame) -> int | None:
    """The number of records, when the format says it without reading them (Parquet, Excel)."""
    if _format_of(path) == "CSV":
        return None
    with _reading(path, _format_of(path)):
        return int(frame.select(pl.len()).collect().item())


# --- opening the file ---------------------------------------------------------------------------


def _format_of(path: Path) -> str:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        accepted = ", ".join(FORMATS)
        found = path.suffix or "no suffix"
        message = f"cannot tell the file type from {found!r}; accepted suffixes: {accepted}"
        raise BadInputError([Problem(path, None, None, message)])
    return kind


@contextmanager
def _reading(path: Path, kind: str) -> Iterator[None]:
    """Turn a reader's failure into a problem of the file.

    The readers' own messages can quote a line of the file, which may hold another staff
    member's record, so only our own words are used.
    """
    try:
        yield
    except BadInputError:
        raise
    except OSError as err:
        message = f"cannot open the file ({err.strerror or type(err).__name__})"
        raise BadInputError([Problem(path, None, None, message)]) from None
    except pl.exceptions.NoDataError:
        raise BadInputError([Problem(path, None, None, "the file is empty")]) from None
    except Exception as err:  # polars and fastexcel raise many types; all mean "cannot read"
        text = str(err).lower()
        if "utf-8" in text or "utf8" in text:
            if kind == "CSV":
                raise BadInputError([not_utf8(path)]) from None
            why = "it is not UTF-8 text"
        else:
            why = f"it is damaged or is not a {kind} file"
        message = f"cannot read the file as {kind}: {why}; {_HINTS[kind]}"
        raise BadInputError([Problem(path, None, None, message)]) from None


def _open(path: Path) -> tuple[pl.LazyFrame, list[str]]:
    """The file as a lazy frame (nothing read beyond the header yet) and its column names."""
    kind = _format_of(path)
    if not path.exists():
        raise BadInputError([Problem(path, None, None, "file not found")])
    if path.is_dir():
        raise BadInputError([Problem(path, None, None, "is a folder, not a file")])
    with _reading(path, kind):
        if kind == "CSV":
            # Every column as text: validation must see what the analyst wrote, not a guess.
            frame = pl.scan_csv(path, infer_schema=False, separator=sniff_csv(path))
        elif kind == "Parquet":
            frame = pl.scan_parquet(path)
        else:
            # Text for every cell (numbers as "2024"), and empty rows kept so that row numbers
            # match the sheet; empty rows are then counted and excluded by the validation.
            frame = pl.read_excel(
                path, infer_schema_length=0, drop_empty_rows=False, raise_if_empty=False
            ).lazy()
        header = frame.collect_schema().names()
    if not header:
        raise BadInputError([Problem(path, None, None, "the file is empty (no header row)")])
    return frame, header


def _unreadable_types(path: Path, schema: pl.Schema, columns: dict[str, str]) -> list[Problem]:
    """Parquet can hold lists, structs or bytes in a column; none of them is a value we read.

    Such columns are reported and left out (removed from ``columns``).
    """
    problems: list[Problem] = []
    for name, source in list(columns.items()):
        dtype = schema[source]
        if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
            message = f"holds {dtype} values, which cannot be read as {name}; write it as text"
            problems.append(Problem(path, None, source, message))
            del columns[name]
    return problems


# --- finding the columns ------------------------------------------------------------------------


def _loose(name: str) -> str:
    """``"Staff Group "`` and ``"staff-group"`` both become ``"staff_group"``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _match(wanted: str, header: list[str]) -> str | None:
    if wanted in header:
        return wanted
    loose = [h for h in header if _loose(h) == _loose(wanted)]
    return loose[0] if len(loose) == 1 else None


def _listing(header: list[str]) -> str:
    shown = ", ".join(repr(h) for h in header[:_LISTED_COLUMNS])
    more = len(header) - _LISTED_COLUMNS
    return shown + (f" and {more} more" if more > 0 else "")


def find_columns(
    path: Path, header: list[str], spec: Extract, mapping: Mapping[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """Canonical name -> column in the file, for each column of the extract found, in order."""
    found: dict[str, str] = {}
    problems: list[Problem] = []
    for column in spec.columns:
        name = column.name
        source = _match(mapping.get(name, name), header)
        if name in mapping and source is None:
            problems.append(
                Problem(
                    path,
                    None,
                    mapping[name],
                    f"the column mapping {name}={mapping[name]!r} names a column that is not in "
                    f"the file; columns found: {_listing(header)}",
                )
            )
        elif source is None and column.required:
            problems.append(
                Problem(
                    path,
                    None,
                    name,
                    f"required column of the {spec.name} extract is missing; columns found: "
                    f"{_listing(header)}; if the file calls it something else, pass "
                    f"--map {name}=<column name>",
                )
            )
        elif source is not None:
            if f"{source}_duplicated_0" in header:
                problems.append(
                    Problem(path, None, source, "appears more than once in the header row")
                )
            found[name] = source
    return found, problems
