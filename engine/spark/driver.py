"""The driver side of the Spark engine: open each extract, run its tasks, add the partial cubes up.

Each extract becomes a Spark DataFrame of the extract's columns under their canonical names (a
file read by Spark, or a DataFrame given by a notebook). Its columns are found and checked as the
local reader finds them (:func:`wres.engine.readers.find_columns`), the run is planned from them
(:func:`wres.engine.counts.plan_counts`), and :func:`wres.engine.spark.partitions.count_partition`
runs on every partition. The driver then takes the partitions' results in partition order: it
numbers their labels in the run's dictionaries (text values first, like the local reader of a
Parquet file), adds their cells to the extract's cube, adds up their reconciliations and their
problems
(rows renumbered as if the partitions were one file) and looks for staff repeated across
partitions. The cubes go to :func:`wres.engine.counts.blocks_of`, as the local engine's do.
"""

from __future__ import annotations

import os
import pickle
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.counts import Block, NotComputed, add_hints, blocks_of, plan_counts
from wres.engine.csv_sniff import sniff_csv
from wres.engine.cube import CubeBuilder, Dictionary
from wres.engine.errors import BadInputError, ConfigError, InternalError, Problem
from wres.engine.ethnicity import EthnicityScheme
from wres.engine.problem_log import ProblemLog
from wres.engine.progress import Progress
from wres.engine.readers import FORMATS, check_mapping, extract_named, find_columns
from wres.engine.reconciliation import Reconciliation
from wres.engine.spark.partitions import (
    HINTS,
    KEYS_DDL,
    OUTPUT_DDL,
    PartitionResult,
    PartitionTask,
    count_partition,
    key_rows,
    make_task,
    payloads,
)
from wres.engine.spark.session import quiet_pyspark
from wres.engine.standards import Standard
from wres.engine.validation import find_duplicate_staff

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The most bytes of partitions' results the driver fetches at once (one partition's at least).
RESULT_BYTES = 256 << 20
#: Counts, what cannot be computed, and the reconciliation of each extract: what the local
#: engine's count stage returns (wres.cli.pipeline).
Counted = tuple[dict[int, tuple[Block, ...]], list[NotComputed], list[Reconciliation]]


@dataclass(frozen=True)
class SparkSource:
    """One extract as Spark reads it.

    ``frame`` holds the extract's columns found, under their canonical names; ``columns`` maps
    each to its name in the source; ``log`` holds the problems of the header. ``hints``: number
    the text values before counting, as the local reader does for Parquet (files read whole).
    """

    name: str
    where: Path
    frame: DataFrame
    columns: dict[str, str]
    log: ProblemLog
    hints: bool


def _quoted(name: str) -> str:
    """A column name as Spark SQL reads it verbatim (dots and spaces included)."""
    return "`" + name.replace("`", "``") + "`"


def open_frame(
    frame: DataFrame, name: str, mapping: Mapping[str, str], where: Path | None = None
) -> SparkSource:
    """Extract ``name`` from a Spark DataFrame: its columns found by name, ``mapping`` or a loose
    match, as in a file; columns of types that hold no single value (lists, maps, structs,
    bytes) are reported, as the local reader reports them."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415
    from pyspark.sql.types import AtomicType, BinaryType, NullType  # noqa: PLC0415

    spec = extract_named(name)
    check_mapping(mapping)
    where = where or Path(f"<Spark DataFrame for the {name} extract>")
    header = list(frame.columns)
    columns, problems = find_columns(where, header, spec, mapping)
    types = {f.name: f.dataType for f in frame.schema.fields}
    for canonical, source in list(columns.items()):
        dtype = types[source]
        if isinstance(dtype, BinaryType) or not isinstance(dtype, AtomicType | NullType):
            message = (
                f"holds {dtype.simpleString()} values, which cannot be read as {canonical}; "
                "write it as text"
            )
            problems.append(Problem(where, None, source, message))
            del columns[canonical]
    log = ProblemLog(where, column_order=list(columns.values()))
    for problem in problems:
        log.add(problem.column, problem.message)
    selected = frame.select([F.col(_quoted(s)).alias(c) for c, s in columns.items()])
    return SparkSource(name, where, selected, columns, log, hints=True)


def open_file(
    session: SparkSession, path: Path, name: str, mapping: Mapping[str, str]
) -> SparkSource:
    """Extract ``name`` from a Parquet or CSV file that Spark reads (the driver checks that it
    exists: give a path that the driver and every executor see)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        message = (
            f"cannot tell the file type from {path.suffix or 'no suffix'!r}; accepted suffixes: "
            f"{', '.join(FORMATS)}"
        )
        raise BadInputError([Problem(path, None, None, message)])
    if kind == "Excel":
        msg = (
            f"{path}: --engine spark reads Parquet and CSV extracts, not Excel; save the sheet "
            "as CSV or Parquet, or run with --engine local"
        )
        raise ConfigError(msg)
    if not path.exists():
        raise BadInputError([Problem(path, None, None, "file not found")])
    if path.is_dir():
        raise BadInputError([Problem(path, None, None, "is a folder, not a file")])
    if kind == "CSV":
        # the local reader's look at the first bytes: the delimiter, or why it is not a CSV file
        try:
            delimiter = sniff_csv(path)
        except OSError as err:
            message = f"cannot open the file ({err.strerror or type(err).__name__})"
            raise BadInputError([Problem(path, None, None, message)]) from None
    reader = session.read
    try:
        with quiet_pyspark():
            if kind == "Parquet":
                frame = reader.parquet(str(path))
            else:
                # every column as text, "" quoted as in Excel's CSV, as the local reader reads it
                options = {"header": "true", "inferSchema": "false", "escape": '"'}
                frame = reader.options(sep=delimiter, **options).csv(str(path))
    except Exception:
        hint = "write the Parquet file again" if kind == "Parquet" else "save it again as CSV"
        message = f"Spark cannot read the file as {kind}: it is damaged or is not a {kind} file"
        raise BadInputError([Problem(path, None, None, f"{message}; {hint}")]) from None
    source = open_frame(frame, name, mapping, where=path)
    return SparkSource(name, path, source.frame, source.columns, source.log, kind == "Parquet")


@contextmanager
def _failures(where: Path) -> Iterator[None]:
    """A Spark job that fails stops the run with a message, not Spark's traceback (which can
    quote records): a failure in wres's code on an executor is a bug; any other (a damaged
    file, an executor out of memory) is reported against the input."""
    from py4j.protocol import Py4JJavaError  # noqa: PLC0415
    from pyspark.errors import PySparkException, PythonException  # noqa: PLC0415

    try:
        yield
    except (Py4JJavaError, PySparkException) as err:
        if os.environ.get("WRES_DEBUG"):
            raise
        if isinstance(err, PythonException):
            msg = (
                f"a Spark task failed in wres's code while counting {where} (a bug in wres); "
                "rerun with WRES_DEBUG=1 for Spark's message"
            )
            raise InternalError(msg) from None
        message = (
            f"Spark could not read or count the records ({type(err).__name__}: a damaged file, "
            "or an executor out of memory); rerun with WRES_DEBUG=1 for Spark's message"
        )
        raise BadInputError([Problem(where, None, None, message)]) from None


@dataclass
class _Merged:
    """The partitions of one extract added up, in partition order."""

    log: ProblemLog
    rows_read: int = 0
    report: Reconciliation | None = None
    #: the staff key hashes of each partition
    keys: list[npt.NDArray[np.uint64]] = field(default_factory=list)
    #: the records before each partition
    offsets: dict[int, int] = field(default_factory=dict)


def _run_tasks(
    source: SparkSource,
    task: PartitionTask,
    builder: CubeBuilder | None,
    dictionaries: Mapping[str, Dictionary],
    progress: Progress | None,
) -> Reconciliation:
    """Run ``task`` on every partition of ``source``, add the results into ``builder`` and
    return the extract's reconciliation; BadInputError with every problem of the extract."""
    from pyspark import StorageLevel  # noqa: PLC0415

    merged = _Merged(source.log)
    if progress is not None:
        progress(source.name, 0, None)
    with quiet_pyspark(), _failures(source.where):
        out = source.frame.mapInArrow(partial(count_partition, task), OUTPUT_DDL)
        out = out.persist(StorageLevel.DISK_ONLY)  # the heap is for the results on their way
        try:
            out.count()  # every task, in parallel; then the results, a group at a time
            if task.hints:
                add_hints(dictionaries, _hints(out))
            for result in _results(out):
                _merge(merged, result, builder)
                if progress is not None:
                    progress(source.name, merged.rows_read, None)
            hashes = np.sort(np.concatenate([np.zeros(0, np.uint64), *merged.keys]))
            repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
            if len(repeated):
                _repeated_staff(source, task, merged, frozenset(int(h) for h in repeated))
        finally:
            out.unpersist()
    if merged.rows_read == 0 and not merged.log:
        merged.log.add(None, "no records below the header row")
    if merged.log:
        raise BadInputError(merged.log.problems())
    if merged.report is None:  # pragma: no cover - records were read, so reported
        msg = f"no reconciliation of {source.where} after reading its records (a bug in wres)"
        raise InternalError(msg)
    merged.report.check()
    return merged.report


def _hints(out: DataFrame) -> dict[str, list[str | None]]:
    """The distinct values of the text axes, over every partition."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    found: defaultdict[str, set[str | None]] = defaultdict(set)
    for row in out.where(F.col("piece") == HINTS).select("payload").collect():
        for name, values in pickle.loads(row["payload"]).items():  # noqa: S301  # our tasks'
            found[name] |= values
    return {name: list(values) for name, values in found.items()}


def _results(out: DataFrame) -> Iterator[PartitionResult]:
    """The partitions' results in partition order, fetched a group of partitions at a time so
    that the driver holds at most about RESULT_BYTES of them (and one job fetches many)."""
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    out = out.where(F.col("piece") != HINTS)
    sizes = out.groupBy("partition").agg(F.sum(F.length("payload")).alias("bytes")).collect()
    partitions = sorted((int(r["partition"]), int(r["bytes"])) for r in sizes)
    rdd = out.select("partition", "payload").rdd  # the partitions of ``out``, pieces in order
    group: list[int] = []
    held = 0
    for index, (partition, size) in enumerate(partitions):
        group.append(partition)
        held += size
        last = index == len(partitions) - 1
        if last or held + partitions[index + 1][1] > RESULT_BYTES:
            pieces: dict[int, list[bytes]] = defaultdict(list)
            for owner, piece in out.sparkSession.sparkContext.runJob(rdd, payloads, group):
                pieces[owner].append(piece)
            for owner in group:
                yield pickle.loads(b"".join(pieces[owner]))  # noqa: S301  # our own tasks'
            group, held = [], 0


def _merge(merged: _Merged, result: PartitionResult, builder: CubeBuilder | None) -> None:
    merged.offsets[result.partition] = merged.rows_read
    merged.log.merge(result.log, row_offset=merged.rows_read)
    if result.keys is not None:
        merged.keys.append(result.keys)
    if result.report is not None:
        # a partition numbers its rows from its own first record
        report = result.report.shifted(merged.rows_read)
        merged.report = report if merged.report is None else merged.report + report
    merged.rows_read += result.rows_read
    if builder is not None and result.cube is not None and not merged.log:
        builder.add_counts(result.cube.keys(), result.cube.counts)


def _repeated_staff(
    source: SparkSource, task: PartitionTask, merged: _Merged, candidates: frozenset[int]
) -> None:
    """Log staff repeated in a year: the records whose key hash is among ``candidates`` (hashes
    that repeat: nearly always a real repeat) are read again, and their keys compared exactly
    by the local engine's check."""
    again = replace(task, candidates=candidates)
    found = source.frame.mapInArrow(partial(key_rows, again), KEYS_DDL).collect()
    columns = ["organisation", "year", "staff_id"]
    if "organisation" not in source.columns:
        columns.remove("organisation")
    data = pl.DataFrame(
        [[r[c] for c in columns] for r in found],
        schema={"organisation": pl.String, "year": pl.Int32, "staff_id": pl.String}
        if "organisation" in columns
        else {"year": pl.Int32, "staff_id": pl.String},
        orient="row",
    )
    rows = pl.Series("row", [r["row"] + merged.offsets[r["partition"]] for r in found], pl.Int64)
    find_duplicate_staff(data, rows, log=merged.log, labels=source.columns)


def count_sources(
    sources: Mapping[str, SparkSource],
    standard: Standard,
    dims: Sequence[str],
    *,
    scheme: EthnicityScheme,
    chunk_rows: int,
    progress: Progress | None = None,
) -> Counted:
    """Every source counted into its cube, as :func:`wres.engine.counts.count_records` counts files:
    the blocks of each indicator, what cannot be computed, and each extract's reconciliation.
    Raises BadInputError for an extract with problems (after checking all of it)."""
    plan = plan_counts({name: list(s.columns) for name, s in sources.items()}, standard, dims)
    dictionaries: defaultdict[str, Dictionary] = defaultdict(Dictionary)
    builders: dict[str, CubeBuilder] = {}
    reports: list[Reconciliation] = []
    for name, source in sources.items():
        extract = plan.extracts[name]
        task = make_task(
            plan,
            name,
            source=source.where,
            labels=source.columns,
            scheme=scheme,
            chunk_rows=chunk_rows,
            count=not source.log,
            hints=source.hints,
        )
        builder = extract.builder(dictionaries) if extract.counted else None
        reports.append(_run_tasks(source, task, builder, dictionaries, progress))
        if builder is not None:
            builders[name] = builder
    counts, missing = blocks_of(plan, {name: b.cube() for name, b in builders.items()})
    return counts, missing, reports
