"""Read a record-level extract (CSV, Parquet or Excel), check it and normalise it.

``read_extract`` is the one entry point: it opens the file, finds the extract's columns (by
default name, the trust's own names via ``mapping``, or a case- and spacing-insensitive match),
validates every record (:mod:`engine.validation`) and returns the rows used with a
reconciliation of every row read. Bad input raises ``BadInputError`` carrying every problem of the
file, each naming the file, the row as a spreadsheet shows it and the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import polars as pl

from engine.errors import BadInputError, ConfigError, Problem
from engine.ethnicity import EthnicityScheme, default_scheme
from engine.problem_log import ProblemLog
from engine.reconciliation import Reconciliation
from engine.schema import EXTRACTS, Extract
from engine.validation import find_duplicate_staff, validate_chunk

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


@dataclass(frozen=True)
class LoadedExtract:
    """An extract after reading: the rows used, normalised, and where every row read went.

    ``data`` holds the extract's columns found in the file, in the order of
    ``engine.schema.EXTRACTS``, with ``ethnicity`` replaced by ``ethnic_category``,
    ``ethnic_broad``, ``ethnic_wres`` and ``ethnic_unknown_reason``. See docs/inputs.md.
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


def read_extract(
    path: Path,
    extract: str,
    *,
    mapping: Mapping[str, str] | None = None,
    scheme: EthnicityScheme | None = None,
) -> LoadedExtract:
    """Read, check and normalise one extract file.

    ``mapping`` is canonical column name -> column name in the file; keys naming columns of
    other extracts are ignored, so one mapping can serve every extract. Raises BadInputError
    with every problem of the file, or ConfigError for a bad extract name or mapping.
    """
    spec = extract_named(extract)
    mapping = dict(mapping or {})
    check_mapping(mapping)
    frame, header = _open(path)
    columns, header_problems = _find_columns(path, header, spec, mapping)
    header_problems += _unreadable_types(path, frame.collect_schema(), columns)
    data = _read_columns(path, frame, columns)
    log = ProblemLog(path, column_order=list(columns.values()))
    for problem in header_problems:
        log.add(problem.column, problem.message)
    if data.height == 0 and not header_problems:
        log.add(None, "no records below the header row")
    result = validate_chunk(
        data,
        spec,
        file=path,
        row_offset=0,
        scheme=scheme or default_scheme(),
        log=log,
        labels=columns,
    )
    if spec.name == "staff":
        find_duplicate_staff(result.data, result.rows, log=log, labels=columns)
    if log:
        raise BadInputError(log.problems())
    result.report.check()
    return LoadedExtract(spec.name, path, result.data, result.report)


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
            frame = pl.scan_csv(path, infer_schema=False)
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


def _read_columns(path: Path, frame: pl.LazyFrame, columns: Mapping[str, str]) -> pl.DataFrame:
    """Read only the columns found, under their canonical names."""
    with _reading(path, _format_of(path)):
        return frame.select(
            [pl.col(source).alias(name) for name, source in columns.items()]
        ).collect()


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


def _find_columns(
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
