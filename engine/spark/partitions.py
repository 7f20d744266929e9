"""What runs on Spark's executors: each partition of an extract checked and counted like a chunk.

A task is handed its partition's records as Arrow record batches (``DataFrame.mapInArrow``),
gathers them into chunks of ``chunk_rows`` records and runs on each chunk the two steps of the
local engine: :func:`wres.engine.validation.validate_chunk` (the same checks, the same normalised
values, the same reconciliation) and :func:`wres.engine.counts.count_chunk` (the same encoding and
the same numba kernel) into a cube whose dictionaries are the partition's own. The driver
(:mod:`wres.engine.spark.driver`) maps each partition's labels into the run's dictionaries, as the
local engine maps each chunk's, and adds the cells up.

A task returns one Arrow row (:data:`OUTPUT_DDL`): its partition and the pickled
:class:`PartitionResult` (the cells of its cube that hold rows with their labels, its problems,
its reconciliation and, for an extract with staff ids, a 64-bit hash of each used record's staff
key: counts and hashes, never records). The one check that spans partitions, a staff member
repeated in a year, is made on the driver from the hashes; the few rows whose hash repeats are
read again by :func:`key_rows` and compared exactly, as the local reader does with a file.
Nothing here imports pyspark at module level.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from wres.engine.counts import CountPlan, ExtractPlan, count_chunk
from wres.engine.cube import CountCube, Dictionary, Encoded, IntArray, Label
from wres.engine.errors import InternalError
from wres.engine.ethnicity import EthnicityScheme
from wres.engine.problem_log import ProblemLog
from wres.engine.reconciliation import Reconciliation
from wres.engine.schema import EXTRACTS, Kind
from wres.engine.validation import StaffKeys, validate_chunk

#: The rows every task returns: its partition and its pickled :class:`PartitionResult`, in
#: pieces of at most PIECE_BYTES (Spark moves and keeps rows of a few megabytes well).
OUTPUT_DDL = "partition int, piece int, payload binary"
PIECE_BYTES = 4 << 20
#: ``piece`` of the row holding the distinct values of the task's ``hints`` columns as the
#: checks will give them (pickled {column: set}), which the driver numbers before any cube.
HINTS = -1
#: The rows the check of repeated staff reads again: their staff keys (organisation null when
#: the extract has none), by partition and row.
KEYS_DDL = "partition int, row long, organisation string, year int, staff_id string"
_KEY_COLUMNS = ("year", "organisation", "staff_id", "bank")


@dataclass(frozen=True)
class PartitionTask:
    """Everything a task needs, shipped with it to the executors (pickled with the function).

    ``source`` names the input in messages (the file, or the DataFrame); ``labels`` maps each
    canonical column to its name in the source. ``scheme`` is the ethnicity scheme as plain
    dictionaries (:func:`portable_scheme`). ``count`` is false when the driver already knows the
    input has problems: its records are then only checked, to list every problem.
    """

    extract: str
    source: Path
    labels: Mapping[str, str]
    column_order: tuple[str, ...]
    scheme: Mapping[str, Any]
    plan: ExtractPlan
    characteristic: str
    chunk_rows: int
    count: bool
    staff_keys: bool
    #: the text axes whose distinct values the task reports (:data:`HINTS`)
    hints: tuple[str, ...] = ()
    #: for :func:`key_rows`: the staff key hashes of the records to read again
    candidates: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SparseCube:
    """The cells of a cube that hold rows: per axis the labels and each cell's code into them,
    and the cells' counts [cells, channels]."""

    labels: tuple[tuple[Label, ...], ...]
    codes: tuple[npt.NDArray[np.unsignedinteger[Any]], ...]
    counts: IntArray

    @staticmethod
    def of(cube: CountCube) -> SparseCube:
        occupied = np.nonzero(cube.counts[..., 0])
        codes = tuple(_narrow(c, len(ls)) for c, ls in zip(occupied, cube.labels, strict=True))
        return SparseCube(cube.labels, codes, np.ascontiguousarray(cube.counts[occupied]))

    def keys(self) -> list[Encoded]:
        """Each axis as a cube builder takes it (every label numbered, used or not)."""
        return [
            Encoded(codes, labels) for codes, labels in zip(self.codes, self.labels, strict=True)
        ]


def _narrow(codes: npt.NDArray[Any], size: int) -> npt.NDArray[np.unsignedinteger[Any]]:
    """Codes into ``size`` labels in the smallest unsigned type that holds them."""
    dtype = np.uint8 if size <= 1 << 8 else np.uint16 if size <= 1 << 16 else np.uint32
    return codes.astype(dtype)


@dataclass(frozen=True)
class PartitionResult:
    """What one partition returns: how many records it read, its reconciliation (None without
    records), its problems (rows numbered from the partition's first record), its cube (None
    when not counted) and, for an extract with staff ids, the hashes of their keys."""

    partition: int
    rows_read: int
    report: Reconciliation | None
    log: ProblemLog
    cube: SparseCube | None
    #: the staff key hash of each used record (:meth:`wres.engine.validation.StaffKeys.hashes`)
    keys: npt.NDArray[np.uint64] | None


def portable_scheme(scheme: EthnicityScheme) -> dict[str, Any]:
    """An ethnicity scheme as plain values (its read-only mappings do not pickle)."""
    out: dict[str, Any] = {}
    for f in fields(scheme):
        if f.name.startswith("_"):
            continue
        value = getattr(scheme, f.name)
        out[f.name] = dict(value) if isinstance(value, MappingProxyType) else value
    return out


def scheme_of(state: Mapping[str, Any]) -> EthnicityScheme:
    """The scheme back from :func:`portable_scheme`."""
    values: dict[str, Any] = {
        k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in state.items()
    }
    return EthnicityScheme(**values)


def make_task(
    plan: CountPlan,
    name: str,
    *,
    source: Path,
    labels: Mapping[str, str],
    scheme: EthnicityScheme,
    chunk_rows: int,
    count: bool,
    hints: bool,
) -> PartitionTask:
    """The task of extract ``name`` of a run planned as ``plan``; with ``hints``, it reports
    the distinct values of the cube's text axes (as the local reader of Parquet finds them)."""
    extract = plan.extracts[name]
    text = [a for a in extract.axes if a in labels and EXTRACTS[name].column(a).kind is Kind.TEXT]
    return PartitionTask(
        extract=name,
        source=source,
        labels=dict(labels),
        column_order=tuple(labels.values()),
        scheme=portable_scheme(scheme),
        plan=extract,
        characteristic=plan.standard.characteristic,
        chunk_rows=chunk_rows,
        count=count and extract.counted,
        staff_keys={"staff_id", "year"} <= set(labels),
        hints=tuple(text) if hints and extract.counted else (),
    )


def _partition_id() -> int:
    from pyspark import TaskContext  # noqa: PLC0415  # executors always have pyspark

    context = TaskContext.get()
    return 0 if context is None else int(context.partitionId())


def _chunks(batches: Iterator[pa.RecordBatch], chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The records of ``batches`` as polars frames of ``chunk_rows`` records (the last fewer)."""
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        size += batch.num_rows
        while size >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield _frame(table.slice(0, chunk_rows))
            rest = table.slice(chunk_rows)
            pending, size = rest.to_batches(), rest.num_rows
    if size:
        yield _frame(pa.Table.from_batches(pending))


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table is always a frame
        msg = "an Arrow table did not become a polars frame (a bug in wres)"
        raise InternalError(msg)
    return frame


def count_partition(
    task: PartitionTask, batches: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Check and count one partition (the function ``mapInArrow`` runs, with ``task`` bound)."""
    partition = _partition_id()
    spec = EXTRACTS[task.extract]
    scheme = scheme_of(task.scheme)
    log = ProblemLog(task.source, column_order=task.column_order)
    # the partition's own dictionaries: the driver numbers its labels in the run's
    builder = task.plan.builder(defaultdict(Dictionary)) if task.count else None
    report: Reconciliation | None = None
    keys = StaffKeys()
    hints: dict[str, set[str | None]] = {name: set() for name in task.hints}
    offset = 0
    for chunk in _chunks(batches, task.chunk_rows):
        for name, found in hints.items():
            found.update(_text(chunk[name].unique().to_list()))
        result = validate_chunk(
            chunk,
            spec,
            file=task.source,
            row_offset=offset,
            scheme=scheme,
            log=log,
            labels=task.labels,
        )
        offset += chunk.height
        report = result.report if report is None else report + result.report
        if task.staff_keys:
            keys.add(result.data, result.rows)
        if builder is not None and not log:
            count_chunk(builder, result.data, task.plan, task.characteristic)
    cube = None if builder is None or log else SparseCube.of(builder.cube())
    hashes = keys.hashes()["_hash"].to_numpy() if task.staff_keys else None
    done = PartitionResult(partition, offset, report, log, cube, hashes)
    payload = pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL)
    pieces = [payload[i : i + PIECE_BYTES] for i in range(0, max(len(payload), 1), PIECE_BYTES)]
    yield pa.RecordBatch.from_pydict(
        {
            "partition": pa.array([partition] * (len(pieces) + 1), pa.int32()),
            "piece": pa.array([HINTS, *range(len(pieces))], pa.int32()),
            "payload": pa.array([pickle.dumps(hints), *pieces], pa.binary()),
        }
    )


def _text(values: Iterable[Any]) -> set[str | None]:
    """Values of a text column as the checks give them: spaces stripped, blank as None (as
    :meth:`wres.engine.readers.ExtractReader.text_values` reads them)."""
    return {None if v is None else str(v).strip() or None for v in values}


def payloads(rows: Iterable[Any]) -> Iterator[tuple[int, bytes]]:
    """The (partition, piece of payload) of the tasks' rows, in order (run on the executors by
    ``SparkContext.runJob``)."""
    for row in rows:
        yield int(row[0]), bytes(row[1])


def key_rows(task: PartitionTask, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The staff keys and rows of the used records whose key hash is among ``task.candidates``,
    checked again (only the key columns, as :class:`wres.engine.readers.ExtractReader` reads them
    again)."""
    partition = _partition_id()
    spec = EXTRACTS[task.extract]
    scheme = scheme_of(task.scheme)
    scratch = ProblemLog(task.source)  # these rows' problems are already known
    candidates = pl.Series(sorted(task.candidates), dtype=pl.UInt64).implode()
    offset = 0
    for chunk in _chunks(batches, task.chunk_rows):
        columns = [c for c in _KEY_COLUMNS if c in chunk.columns]
        result = validate_chunk(
            chunk.select(columns),
            spec,
            file=task.source,
            row_offset=offset,
            scheme=scheme,
            log=scratch,
        )
        offset += chunk.height
        keys = StaffKeys()
        keys.add(result.data, result.rows)
        hashes = keys.hashes()
        keep = result.rows.is_in(hashes["_row"].filter(hashes["_hash"].is_in(candidates)).implode())
        data = result.data.filter(keep)
        n = data.height
        if n == 0:
            continue
        organisation = (
            data["organisation"].cast(pl.String)
            if "organisation" in data.columns
            else pl.repeat(None, n, dtype=pl.String, eager=True)
        )
        frame = pl.DataFrame(
            {
                "partition": pl.repeat(partition, n, dtype=pl.Int32, eager=True),
                "row": result.rows.filter(keep).cast(pl.Int64),
                "organisation": organisation,
                "year": data["year"].cast(pl.Int32),
                "staff_id": data["staff_id"].cast(pl.String),
            }
        )
        yield pa.RecordBatch.from_arrays(
            [frame[c].to_arrow().cast(_KEYS_SCHEMA.field(c).type) for c in _KEYS_SCHEMA.names],
            schema=_KEYS_SCHEMA,
        )


_KEYS_SCHEMA = pa.schema(
    [
        ("partition", pa.int32()),
        ("row", pa.int64()),
        ("organisation", pa.string()),
        ("year", pa.int32()),
        ("staff_id", pa.string()),
    ]
)
