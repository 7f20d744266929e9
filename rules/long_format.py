"""Count tables in long format for ``wres protect`` and ``wres audit``.

One row per cell: dimension columns (a row whose value is the total label is the total of its
siblings), and one count column. A dimension's nested groupings come from a ``child,parent``
file whose top parent is the total label; a dimension without one is flat (categories directly
under the total, in sorted order, so the result never depends on the order of the rows).

Every problem is reported with file, row and column, and never quotes a count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import BadInputError, ConfigError, Problem
from wres.rules.markers import CellKind, read_cell, read_count
from wres.rules.table import DEFAULT_TOTAL, Hierarchy, LinkedTables

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: A column of this name is never a dimension (``wres protect`` writes it).
STATUS_COLUMN = "status"
#: Problems of one kind listed before the rest are summarised.
LISTED = 20


@dataclass(frozen=True, eq=False)
class LongTable:
    """A long-format table read into cells; row numbers as an analyst sees them."""

    path: Path
    frame: pl.DataFrame
    count_column: str
    tables: LinkedTables
    #: per file record (0-based), its cell
    cell_of_record: IntArray
    #: per cell, its file row (header = 1), 0 for a cell with no row (absent)
    row_of_cell: IntArray
    #: published tables: which cells carry a marker, which are not published, and what the
    #: marker says (at most this; inf: nothing)
    withheld: BoolArray
    absent: BoolArray
    at_most: FloatArray


def read_hierarchy(path: Path, dimension: str, total: str) -> Hierarchy:
    """A ``child,parent`` CSV (header required) whose top parent is ``total``."""
    frame = _read_csv(path)
    missing = [c for c in ("child", "parent") if c not in frame.columns]
    if missing:
        message = (
            f"a hierarchy file needs the columns child,parent (missing: {', '.join(missing)}); "
            "each row names a category and the group above it"
        )
        raise BadInputError([Problem(path, None, None, message)])
    problems: list[Problem] = []
    parent_of: dict[str, tuple[str, int]] = {}
    for i, (child, parent) in enumerate(zip(frame["child"], frame["parent"], strict=True)):
        row = i + 2
        c, p = (child or "").strip(), (parent or "").strip()
        if not c or not p:
            problems.append(Problem(path, row, "child" if not c else "parent", "blank value"))
        elif c == p:
            problems.append(Problem(path, row, "parent", f"{c!r} cannot be its own parent"))
        elif c in parent_of and parent_of[c][0] != p:
            earlier, at = parent_of[c]
            message = f"{c!r} already has parent {earlier!r} (row {at})"
            problems.append(Problem(path, row, "parent", message))
        else:
            parent_of.setdefault(c, (p, row))
    if not problems and total not in {p for p, _ in parent_of.values()}:
        message = (
            f"no row has the total {total!r} as parent; the top parent must be the total "
            "label (see --total-label)"
        )
        problems.append(Problem(path, None, "parent", message))
    if not problems:
        try:
            pairs = [(c, p) for c, (p, _) in parent_of.items()]
            return Hierarchy.from_pairs(dimension, pairs, total)
        except ConfigError as err:
            problems.append(Problem(path, None, None, str(err)))
    raise BadInputError(problems)


@dataclass(frozen=True, slots=True)
class _Counts:
    counts: IntArray
    withheld: BoolArray
    absent: BoolArray
    at_most: FloatArray


def read_long_table(
    path: Path,
    count_column: str,
    *,
    hierarchies: Mapping[str, Path] | None = None,
    total: str = DEFAULT_TOTAL,
    dimensions: Sequence[str] | None = None,
    published: bool = False,
    marker: str = "[c]",
) -> LongTable:
    """Read a count table: true counts (``published=False``, for ``wres protect``: every
    combination of nodes must be present and every total must add up) or a published table
    (markers and blanks allowed; missing rows are cells nobody published)."""
    frame = _read_csv(path)
    dims = _dimensions(path, frame, count_column, dimensions, hierarchies or {})
    trees = _trees(path, frame, dims, hierarchies or {}, total)
    coords = np.empty((frame.height, len(dims)), np.int32)
    for j, (d, tree) in enumerate(zip(dims, trees, strict=True)):
        pos = tree.position
        coords[:, j] = [pos[v] for v in frame[d].fill_null("").str.strip_chars().to_list()]
    read = _counts(path, frame[count_column].to_list(), count_column, published, marker)
    shape = tuple(len(t.labels) for t in trees)
    codes: IntArray = np.asarray(
        np.ravel_multi_index(tuple(coords.T.astype(np.int64)), shape), dtype=np.int64
    )
    _check_duplicates(path, codes)
    missing = np.setdiff1d(np.arange(int(np.prod(shape))), codes)
    n = frame.height
    if published:  # cells nobody published (no row) are in the system as unknowns
        grid = np.stack(np.unravel_index(missing, shape), axis=1).astype(np.int32)
        values = np.where(read.withheld | read.absent, -1, read.counts)
        extra = len(missing)
        tables = LinkedTables(
            tuple(trees),
            np.concatenate([coords, grid]),
            np.concatenate([values, np.full(extra, -1, np.int64)]),
        )
        withheld = np.concatenate([read.withheld, np.zeros(extra, np.bool_)])
        absent = np.concatenate([read.absent, np.ones(extra, np.bool_)])
        at_most = np.concatenate([read.at_most, np.full(extra, math.inf)])
    else:
        _check_complete(path, trees, shape, missing)
        tables = LinkedTables(tuple(trees), coords, read.counts)
        _check_totals(path, count_column, tables)
        withheld, absent, at_most = read.withheld, read.absent, read.at_most
    row_of_cell = np.zeros(tables.n_cells, np.int64)
    row_of_cell[:n] = np.arange(n) + 2
    return LongTable(
        path=path,
        frame=frame,
        count_column=count_column,
        tables=tables,
        cell_of_record=np.arange(n, dtype=np.int64),
        row_of_cell=row_of_cell,
        withheld=withheld,
        absent=absent,
        at_most=at_most,
    )


def _dimensions(
    path: Path,
    frame: pl.DataFrame,
    count_column: str,
    chosen: Sequence[str] | None,
    hierarchies: Mapping[str, Path],
) -> list[str]:
    if count_column not in frame.columns:
        msg = (
            f"{path}: no column {count_column!r} (the counts); columns are "
            f"{', '.join(frame.columns)}; name the count column with --count-column"
        )
        raise ConfigError(msg)
    others = [c for c in frame.columns if c not in (count_column, STATUS_COLUMN)]
    dims = list(chosen) if chosen else others
    unknown = [d for d in dims if d not in frame.columns or d == count_column]
    if unknown or not dims:
        msg = (
            f"{path}: dimension column(s) {unknown or '(none)'} not found; columns are "
            f"{', '.join(frame.columns)}"
        )
        raise ConfigError(msg)
    extra = sorted(set(hierarchies) - set(dims))
    if extra:
        msg = (
            f"--hierarchy names {', '.join(map(repr, extra))}, not a dimension column of "
            f"{path}; dimensions are {', '.join(dims)}"
        )
        raise ConfigError(msg)
    return dims


def _trees(
    path: Path,
    frame: pl.DataFrame,
    dims: Sequence[str],
    hierarchies: Mapping[str, Path],
    total: str,
) -> list[Hierarchy]:
    """Each dimension's hierarchy: from its file, or flat over its sorted categories."""
    problems: list[Problem] = []
    trees: list[Hierarchy] = []
    for d in dims:
        values = frame[d].fill_null("").str.strip_chars().to_list()
        problems += [Problem(path, i + 2, d, "blank value") for i, v in enumerate(values) if not v]
        if d in hierarchies:
            tree = read_hierarchy(hierarchies[d], d, total)
            known = set(tree.labels)
            problems += [
                Problem(path, i + 2, d, f"{v!r} is not in the hierarchy file {hierarchies[d]}")
                for i, v in enumerate(values)
                if v and v not in known
            ]
        else:
            categories = sorted({v for v in values if v and v != total})
            if not categories:
                problems.append(Problem(path, None, d, f"no category besides the total {total!r}"))
                continue
            tree = Hierarchy.flat(d, categories, total)
        trees.append(tree)
    if problems:
        raise BadInputError(problems)
    return trees


def _counts(
    path: Path, texts: Sequence[str | None], column: str, published: bool, marker: str
) -> _Counts:
    n = len(texts)
    out = _Counts(
        np.zeros(n, np.int64), np.zeros(n, np.bool_), np.zeros(n, np.bool_), np.full(n, math.inf)
    )
    problems = []
    for i, text in enumerate(texts):
        if published:
            cell = read_cell(text, marker)
            if cell.kind is CellKind.INVALID:
                message = "neither a whole number >= 0 nor a suppression marker (<5, *, c, x, ..)"
                problems.append(Problem(path, i + 2, column, message))
            out.counts[i] = cell.count
            out.withheld[i] = cell.kind is CellKind.WITHHELD
            out.absent[i] = cell.kind is CellKind.ABSENT
            out.at_most[i] = cell.at_most
        else:
            value = read_count(text)
            if value is None:
                problems.append(Problem(path, i + 2, column, "not a whole number >= 0"))
            else:
                out.counts[i] = value
    if problems:
        raise BadInputError(problems)
    return out


def _check_duplicates(path: Path, codes: IntArray) -> None:
    order = np.argsort(codes, kind="stable")
    dup = np.flatnonzero(codes[order][1:] == codes[order][:-1])
    problems = []
    for k in dup[:LISTED]:
        first, again = sorted((int(order[k]), int(order[k + 1])))
        problems.append(Problem(path, again + 2, None, f"the same cell as row {first + 2}"))
    if problems:
        raise BadInputError(problems)


def _check_complete(
    path: Path, trees: Sequence[Hierarchy], shape: tuple[int, ...], missing: IntArray
) -> None:
    if not len(missing):
        return
    problems = []
    for key in np.stack(np.unravel_index(missing[:LISTED], shape), axis=1):
        text = ", ".join(f"{t.name}={t.labels[c]}" for t, c in zip(trees, key, strict=True))
        message = f"no row for {text}: every combination of categories, groups and totals is needed"
        problems.append(Problem(path, None, None, message))
    if len(missing) > LISTED:
        more = f"... {len(missing) - LISTED} more combinations have no row"
        problems.append(Problem(path, None, None, more))
    raise BadInputError(problems)


def _check_totals(path: Path, column: str, tables: LinkedTables) -> None:
    """Every total equals the sum of its parts (named by rows; no count is quoted)."""
    system = tables.constraints
    residual = system.matrix @ tables.values.astype(np.float64)
    bad = np.flatnonzero(np.abs(residual) > 0.5)
    if not len(bad):
        return
    csr = system.matrix
    problems = []
    for r in bad[:LISTED]:
        cells = csr.indices[csr.indptr[r] : csr.indptr[r + 1]]
        total_cell = int(system.total_cell[r])
        parts = sorted(int(c) + 2 for c in cells if c != total_cell)
        dim = tables.hierarchies[int(system.dimension[r])].name
        shown = ", ".join(map(str, parts[:8])) + (", ..." if len(parts) > 8 else "")
        message = (
            f"this total does not equal the sum of its {len(parts)} parts along {dim!r} "
            f"(rows {shown})"
        )
        problems.append(Problem(path, total_cell + 2, column, message))
    if len(bad) > LISTED:
        more = f"... {len(bad) - LISTED} more totals do not add up"
        problems.append(Problem(path, None, column, more))
    raise BadInputError(problems)


def _read_csv(path: Path) -> pl.DataFrame:
    if not path.is_file():
        msg = f"{path}: no such file"
        raise ConfigError(msg)
    try:
        return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as err:
        message = f"not a readable CSV file ({type(err).__name__})"
        raise BadInputError([Problem(path, None, None, message)]) from None
