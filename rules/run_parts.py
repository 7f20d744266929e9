"""A run's system in independent parts, protected one by one or in parallel, and the parts'
protections put back together as one.

Two counts are in one part when a relation joins them, directly or through others (each of a
relation's cells is in the relation's part): the parts are the connected components of the
run's system. No relation holds cells of two parts, so the tables a reader cannot tell from
the true one are every combination of each part's own such tables, and the attacker's interval
of a count depends on its own part's published figures alone. Protecting each part on its own
therefore protects the whole: a pattern that keeps every cell of a part in its room keeps it
in the run, and an audit of each part is an audit of the run. (``docs/disclosure.md``, "In
parts".)

A run's parts are its years (nothing relates one year's counts to another's: a rolling figure
is withheld with any year it sums, see :mod:`wres.rules.run_cells`) and, within a year, its
extracts' families of measures (the headcount and the staff events; applications; each survey
question; the board), across every organisation and cut. A run with ``--by`` cuts protects its
organisation level first: those cells are joined to the cells they are in the whole run, so a
part holds both.

Each part is protected by the same code as a whole run, and the same part gives the same
result however the parts are run: in this process, in a pool of processes (``--jobs``) or as
Spark tasks (``--engine spark``). The result does not depend on the order they finish in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from wres.rules.attacker_knowledge import Knowledge
from wres.rules.audit import Certificate
from wres.rules.policy import Policy
from wres.rules.run_cells import RunCells
from wres.rules.run_counts import COUNT_COLUMNS, BoolArray, IntArray
from wres.rules.secondary import Protection
from wres.rules.secondary_settings import ProtectSettings


@dataclass(frozen=True, eq=False)
class FirstLevel:
    """The organisation-level rows of a run with ``--by`` cuts (the rows the same run without
    them has), protected first and on their own: what the run without the cuts publishes there,
    the run with them publishes too."""

    #: the system of those rows alone (:func:`run_cells` of them, with the run's own rows'
    #: cut columns only)
    cells: RunCells
    #: each of those rows' position in the whole table
    rows: IntArray
    #: per count column: whether each of those rows shows its count after the primary rules
    shown: Mapping[str, BoolArray]


@dataclass(frozen=True, eq=False)
class PartTask:
    """One part of a run to protect: its cells, its organisation-level cells (when the run
    has that level first), and the counts both systems have (whole, first, shown: each row's
    cell in each, and whether the row shows the count after the primary rules)."""

    cells: RunCells
    first: RunCells | None
    links: tuple[IntArray, IntArray, BoolArray]
    policy: Policy
    settings: ProtectSettings


def first_links(cells: RunCells, first: FirstLevel | None) -> tuple[IntArray, IntArray, BoolArray]:
    """Every count the organisation level and the whole run both have: its cell in the whole
    run, in the organisation level, and whether that level's row shows it."""
    whole: list[IntArray] = [np.zeros(0, np.int64)]
    inner: list[IntArray] = [np.zeros(0, np.int64)]
    shown: list[BoolArray] = [np.zeros(0, np.bool_)]
    if first is not None:
        for column in COUNT_COLUMNS:
            mine = first.cells.cell_of[column]
            there = cells.cell_of[column][first.rows]
            both = (mine >= 0) & (there >= 0)
            whole.append(there[both])
            inner.append(mine[both])
            shown.append(first.shown[column][both])
    return np.concatenate(whole), np.concatenate(inner), np.concatenate(shown)


def part_tasks(
    cells: RunCells,
    first: FirstLevel | None,
    links: tuple[IntArray, IntArray, BoolArray],
    label: IntArray,
    how: tuple[Policy, ProtectSettings],
) -> tuple[list[PartTask], list[IntArray]]:
    """One task per part (each protected ``how``), and each part's cells in the whole run."""
    policy, settings = how
    n = cells.tables.n_cells
    count = int(label.max()) + 1 if len(label) else 0
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(count + 1))
    local = np.empty(len(label), np.int64)
    tasks, parts = [], []
    for k in range(count):
        at = order[bounds[k] : bounds[k + 1]]
        whole_at, first_at = at[at < n], at[at >= n] - n
        local[whole_at] = np.arange(len(whole_at))
        local[first_at + n] = np.arange(len(first_at))
        mine = label[links[0]] == k
        task_links = (local[links[0][mine]], local[links[1][mine] + n], links[2][mine])
        tasks.append(
            PartTask(
                part_of(cells, whole_at),
                part_of(first.cells, first_at) if first is not None and len(first_at) else None,
                task_links,
                policy,
                settings,
            )
        )
        parts.append(whole_at)
    return tasks, parts


def connected_parts(matrices: Sequence[sp.csr_array], links: IntArray | None = None) -> IntArray:
    """Each cell's part: the connected components of the cells of ``matrices`` (relations x
    cells, one matrix per system; the systems' cells numbered one after another) joined by
    their relations, and by ``links`` (pairs of cells that are one count in two systems).
    Parts are numbered by their first cell."""
    sizes = [m.shape[1] for m in matrices]
    n = sum(sizes)
    blocks, offset = [], 0
    for m in matrices:
        coo = m.tocoo()
        blocks.append((coo.row.astype(np.int64), coo.col.astype(np.int64) + offset, m.shape[0]))
        offset += m.shape[1]
    # a bipartite graph: cells first, then the relations of every system
    rows, cols, start = [], [], n
    for relation, cell, count in blocks:
        rows.append(cell)
        cols.append(relation + start)
        start += count
    if links is not None and len(links):
        rows.append(links[:, 0])
        cols.append(links[:, 1])
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    graph = sp.csr_array((np.ones(len(r), np.int8), (r, c)), shape=(start, start))
    _, label = connected_components(graph, directed=False)
    label = label[:n]
    # renumber by first cell, so the numbering depends on the cells alone
    _, first = np.unique(label, return_index=True)
    rank = np.empty(label.max() + 1 if n else 0, np.int64)
    rank[label[np.sort(first)]] = np.arange(len(first))
    out: IntArray = rank[label] if n else label.astype(np.int64)
    return out


def part_of(cells: RunCells, at: IntArray) -> RunCells:
    """The run's cells ``at`` (ascending, closed under the relations) as a system of their own.
    Rows are not mapped (a part is protected, not written)."""
    return RunCells(
        cells.tables.subset(at),
        cells.primary[at],
        {},
        {},
        cells.absent[at],
        cells.fixed[at],
        cells.derived[at],
        cells.public[at],
        cells.visible[at],
        cells.about[at],
    )


def merged(cells: RunCells, parts: Sequence[IntArray], done: Sequence[Protection]) -> Protection:
    """The parts' protections (``done[k]`` of the cells ``parts[k]``) as the run's one."""
    tables = cells.tables
    n = tables.n_cells
    primary = np.zeros(n, np.bool_)
    secondary = np.zeros(n, np.bool_)
    rules = np.full(n, "", dtype=object)
    figures = tables.values.copy()
    lower = np.zeros(n)
    upper = np.zeros(n)
    hidden = np.zeros(n, np.bool_)
    absent = np.zeros(n, np.bool_)
    for at, p in zip(parts, done, strict=True):
        primary[at], secondary[at] = p.primary, p.secondary
        rules[at] = np.array(p.rules, dtype=object)
        figures[at] = p.figures
        k = p.knowledge
        lower[at], upper[at], hidden[at], absent[at] = k.lower, k.upper, k.hidden, k.absent
    notes = _summed([note for p in done for note in p.notes])
    return Protection(
        tables=tables,
        primary=primary,
        secondary=secondary,
        rules=tuple(str(r) for r in rules),
        certificate=_certificates(parts, [p.certificate for p in done]),
        figures=figures,
        knowledge=Knowledge(lower, upper, hidden, absent),
        notes=tuple(notes),
        recovered=sum(p.recovered for p in done),
        parts=len(done),
    )


def _summed(notes: Sequence[str]) -> list[str]:
    """The parts' notes, those that differ only in one count (``fallback S2 for 3 cell(s)``)
    as one with the counts added up, in the order each first appears."""
    totals: dict[str, int | None] = {}
    for note in notes:
        numbers = re.findall(r"\b\d+\b", note)
        shape = re.sub(r"\b\d+\b", "{}", note)
        if len(numbers) != 1:
            totals.setdefault(note, None)
            continue
        before = totals.get(shape)
        totals[shape] = int(numbers[0]) + (before or 0)
    return [shape if n is None else shape.replace("{}", str(n)) for shape, n in totals.items()]


def _certificates(parts: Sequence[IntArray], certs: Sequence[Certificate]) -> Certificate:
    """The parts' certificates as one, in the run's cell order."""
    cells = np.concatenate([at[c.cells] for at, c in zip(parts, certs, strict=True)])
    order = np.argsort(cells, kind="stable")

    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(c, name) for c in certs])[order]

    proofs = [proof for c in certs for proof in c.proof]
    return Certificate(
        cells=cells[order],
        lower=joined("lower"),
        upper=joined("upper"),
        exact=joined("exact"),
        possible=joined("possible"),
        required=joined("required"),
        passed=joined("passed"),
        proof=tuple(proofs[i] for i in order),
    )
