"""The first pattern of a secondary suppression (:mod:`wres.rules.secondary`): product patterns
found by the engine's search, or the moves method's linear programmes on small tables, then
cleaned up (every secondary cell no cell's room needs published again).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from wres.engine.progress import (
    CLEANING,
    SEARCHING,
    SEARCHING_AGAIN,
    prefixed,
)
from wres.engine.protection._kernels import INF
from wres.engine.protection.cleanup import cleaned
from wres.engine.protection.flows import protect_by_moves
from wres.engine.protection.patterns import (
    MAX_FAN,
    SearchResult,
    Tree,
    search_patterns,
)
from wres.rules.attacker_knowledge import Witness, knowledge, witness_ranges
from wres.rules.secondary_settings import (
    BoolArray,
    IntArray,
    Task,
    mask,
)
from wres.rules.table import LinkedTables

#: What a pattern pays for each cell to keep published on it, withheld or not, in cells (a
#: cell of median cost each): a keep cell the search withholds is published again and every
#: pattern through it lost. Measured with fans at one cell (below), secondary cells on the
#: demo / 20 trusts: toll 0: 3,760 / 3,414; 1: 3,783 / 3,596; 2: 3,784 / 3,581 (100 withheld
#: 18% and 34% more before). A national year's patterns leave 13.1k withheld cells unproved
#: at 0 and 9.7k at 1 (the local problems take about 50 s per 1,000), so the toll trades
#: cells at a trust's scale for time at the nation's; 0 keeps the fewest cells withheld.
KEEP_TOLL = 0
#: A fan (``wres.engine.protection.patterns``) is tried for a cell whose cheapest single pattern
#: withholds at least this many new cells (of median cost). Measured: at 1, tables B and C
#: withhold 495 and 2,416 secondary cells instead of 524 and 2,449 (fans only where no single
#: pattern exists), the demo 3,760 instead of 4,155.
FAN_ABOVE = 1


def first_pattern(task: Task) -> tuple[BoolArray, list[Witness], list[str]]:
    """The pattern search or the moves (see the module), smallest primary cells first; with
    what the cleanup says of itself (where it stopped)."""
    tables, values = task.tables, task.values
    # the cells withheld before need proofs in this system as much as the primary cells
    prim_idx = np.flatnonzero(task.primary | mask(task.withheld, tables.n_cells))
    if not len(prim_idx) or task.need <= 1:
        return task.primary | mask(task.withheld, tables.n_cells), [], []
    order = prim_idx[np.lexsort((tables.codes[prim_idx], values[prim_idx]))]
    # A withheld cell of at least N - 1 above the withheld range keeps N values whenever the
    # attacker cannot place it above the range (its interval reaches down into the range and up
    # to its true value): it needs no room of its own (a run's cells withheld for another rule).
    at_most = task.policy.primary.suppress_if_count_at_most
    large = values[order] >= at_most + task.need - 1
    need = np.where(large, 0, task.need - 1).astype(np.int64)
    lowest = np.full(tables.n_cells, task.lowest, np.int64)
    method = task.settings.method
    if method == "auto":
        small = len(prim_idx) * tables.n_cells <= task.settings.moves_limit
        method = "moves" if small else "patterns"
    if method == "moves":
        return _best_of_moves(task, order, need, lowest), [], []
    toll = KEEP_TOLL * int(np.median(task.cost))
    task.progress(SEARCHING, 0, None)
    free = task.absent | mask(task.withheld, tables.n_cells)
    hidden, witnesses = find_patterns(
        task, order, need, hidden=free, toll=np.where(task.keep, toll, 0)
    )
    task.progress(SEARCHING, len(order), len(order))
    if task.keep.any():
        # The kept figures the search withheld are published again, and the patterns through
        # them lost. The cells those proved get patterns again, through withheld cells only:
        # one that would withhold more is left to the audit's local problems and the repairs,
        # which find moves no product pattern makes (measured on the demo and 20 trusts: a
        # second search free to withhold withholds 3% and 7% more cells).
        hidden &= ~task.keep
        again = _unproved(task, hidden, witnesses)
        if len(again):
            again = again[np.lexsort((tables.codes[again], values[again]))]
            task.progress(SEARCHING_AGAIN, 0, None)
            _, found = find_patterns(
                replace(task, hideable=np.zeros(tables.n_cells, np.bool_)),
                again,
                np.full(len(again), task.need - 1, np.int64),
                hidden=hidden | task.absent,
                toll=np.zeros(tables.n_cells, np.int64),
            )
            task.progress(SEARCHING_AGAIN, len(again), len(again))
            witnesses += found
    if tables.n_cells <= task.settings.cleanup_up_to:
        return _cleaned(task, hidden, witnesses, order, need)
    return hidden, witnesses, []


def _cleaned(
    task: Task, hidden: BoolArray, witnesses: list[Witness], order: IntArray, need: IntArray
) -> tuple[BoolArray, list[Witness], list[str]]:
    """The pattern with every secondary cell that no cell's room needs published again
    (``wres.engine.protection.cleanup.cleaned``), the witnesses that still hold, and a note when the
    cleanup stopped before trying every cell."""
    tables = task.tables
    task.progress(CLEANING, 0, None)
    room = np.zeros(tables.n_cells, np.float64)
    room[order] = need
    before = mask(task.withheld, tables.n_cells)
    done = cleaned(
        tables.constraints.matrix,
        values=task.values,
        lower=np.full(tables.n_cells, task.lowest, np.int64),
        hidden=hidden | task.absent | before,
        fixed=task.primary | task.absent | before,
        need=room,
        cost=task.cost,
        proofs=[_as_move(w, int(room.max())) for w in witnesses],
        limits=task.settings.cleanup,
        progress=task.progress,
    )
    stopped = f"cleanup stopped {done.stopped}: {done.untried} secondary cell(s) not tried again"
    out = done.hidden & ~task.absent
    free = out | task.absent
    return out, [w for w in witnesses if free[w.cells].all()], [stopped] if done.untried else []


def _as_move(witness: Witness, reach: int) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """A witness as a move of the cleanup; a ray (it may go on for ever) taken ``reach`` far."""
    scale = max(reach, 1) if witness.ray else 1
    cells, at = np.unique(witness.cells.astype(np.int64), return_inverse=True)
    deltas = np.bincount(at, weights=witness.deltas.astype(np.float64), minlength=len(cells))
    moved = np.asarray(deltas * scale, dtype=np.float64)
    return cells, moved


def find_patterns(
    task: Task,
    order: IntArray,
    need: IntArray,
    *,
    hidden: BoolArray,
    toll: IntArray,
    max_fan: int = MAX_FAN,
) -> tuple[BoolArray, list[Witness]]:
    """The pattern search for the cells ``order`` (each needing ``need``), withheld cells
    ``hidden`` free: what it withholds and its witnesses."""
    tables, values = task.tables, task.values
    found = search_patterns(
        trees=relation_trees(tables, task.balance),
        coords=tables.coords,
        strides=tables.strides,
        primaries=order,
        need=need,
        value=values,
        lower=np.full(tables.n_cells, task.lowest, np.int64),
        cost=task.cost,
        eligible=task.hideable,
        hidden=hidden,
        max_per_node=task.settings.line_patterns,
        toll=toll,
        fan_above=FAN_ABOVE * int(np.median(task.cost)),
        max_fan=max_fan,
    )
    witnesses = pattern_witnesses(found)
    if tables.extra_rows:
        free = found.hidden | task.absent
        witnesses = complete_pattern(
            tables, witnesses, free, task.balance, task.values - task.lowest
        )
    return found.hidden & ~task.absent, witnesses + fan_witnesses(found)


def _unproved(task: Task, hidden: BoolArray, witnesses: list[Witness]) -> IntArray:
    """The withheld cells the witnesses leave short of the requirement (as the audit counts
    them, before it solves anything), in cell order."""
    known = knowledge(task.policy, task.figures, hidden & ~task.absent, task.absent)
    up, down, _ = witness_ranges(task.tables.constraints.matrix, known, task.values, witnesses)
    far = task.values >= task.policy.primary.suppress_if_count_at_most + task.need - 1
    short = hidden & ~task.absent & ~far & (up + down + 1 < task.need)
    return np.flatnonzero(short).astype(np.int64)


#: Costs per unit moved tried by the moves method, best result kept (the linear costs are a
#: heuristic; each favours different shapes, and the cleanup is greedy).
_MOVE_COSTS = ("sqrt", "flat")


def _best_of_moves(task: Task, order: IntArray, need: IntArray, lowest: IntArray) -> BoolArray:
    """The moves method from ``settings.moves_starts`` cost shapes; the fewest cells withheld
    (then the least cost) wins, the first on a tie."""
    values = task.values
    shapes = ("values",) if task.policy.secondary.cost == "values" else _MOVE_COSTS
    results: list[tuple[tuple[int, int], int, BoolArray]] = []
    tried = shapes[: max(1, task.settings.moves_starts)]
    for shape in tried:
        told = task.progress
        if len(tried) > 1:
            told = prefixed(told, f"cost shape {len(results) + 1} of {len(tried)}, ")
        per_unit = {"values": values + 1.0, "sqrt": np.sqrt(values) + 1.0}.get(
            shape, np.ones(len(values))
        )
        hidden = protect_by_moves(
            task.tables.constraints.matrix,
            values=values,
            lower=lowest,
            primaries=order,
            need=need,
            hideable=task.hideable,
            cost=(per_unit * 1000).astype(np.int64),
            cleanup_cost=task.cost,
            progress=told,
        ).hidden
        results.append(((int(hidden.sum()), int(task.cost[hidden].sum())), len(results), hidden))
    return min(results, key=lambda item: item[:2])[2]


def relation_trees(tables: LinkedTables, balance: BoolArray | None = None) -> list[Tree]:
    """Each dimension's parents, and the weight of each node: its cell with every other
    dimension at its total (or, when that cell is absent, its largest cell). A node holding
    ``balance`` cells (a run's remainders) is where a pattern balances an extra relation
    first: it gets a weight above every other node's."""
    within = _relations_within(tables)
    trees = []
    for d, h in enumerate(tables.hierarchies):
        weights = np.zeros(len(h.labels))
        np.maximum.at(weights, tables.coords[:, d].astype(np.int64), tables.values.astype(float))
        if balance is not None and within[d]:
            first = np.zeros(len(h.labels), np.bool_)
            first[tables.coords[balance, d]] = True
            weights = np.where(first, weights + weights.max(initial=0.0) + 1.0, weights)
        free = not (~h.is_leaf[tables.coords[:, d]]).any()
        trees.append(
            Tree(h.parents, tuple(float(w) for w in weights), free=free, relations=within[d])
        )
    return trees


def _relations_within(
    tables: LinkedTables,
) -> list[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]]:
    """Per dimension, the extra relations among its nodes: an extra row whose cells differ in
    that dimension only (a run's ``at risk = events + rest`` beside the hierarchy's split), as
    nodes and coefficients, each once."""
    found: list[dict[tuple[tuple[int, ...], tuple[int, ...]], None]] = [
        {} for _ in tables.hierarchies
    ]
    for cells, coefficients in tables.extra_rows:
        at = tables.coords[np.asarray(cells)]
        differ = np.flatnonzero((at != at[0]).any(axis=0))
        if len(differ) == 1:
            d = int(differ[0])
            pairs = sorted(zip(at[:, d].tolist(), np.asarray(coefficients).tolist(), strict=True))
            nodes, coefs = zip(*pairs, strict=True)
            found[d][(tuple(nodes), tuple(coefs))] = None
    return [tuple(relations) for relations in found]


def pattern_witnesses(found: SearchResult) -> list[Witness]:
    """Two tables per kept pattern: moved up by its upward range and down by its downward one
    (a pattern that can grow without limit is a ray)."""
    out = []
    for j in range(len(found.pattern_up)):
        cells = found.support_cells[found.support_ptr[j] : found.support_ptr[j + 1]]
        signs = found.support_signs[found.support_ptr[j] : found.support_ptr[j + 1]]
        present = cells >= 0
        cells, signs = cells[present], signs[present]
        up, down = int(found.pattern_up[j]), int(found.pattern_down[j])
        if up >= INF:
            out.append(Witness(cells, signs, ray=True))
        elif up > 0:
            out.append(Witness(cells, signs * up))
        if down > 0:
            out.append(Witness(cells, -signs * down))
    return out


def fan_witnesses(found: SearchResult) -> list[Witness]:
    """One table per whole fan: its patterns moved up together, each by its share (a cell on
    several moves by the sum). Relations beyond the hierarchies are left to the audit."""
    out = []
    fans = found.pattern_fan
    for fan in np.unique(fans[fans >= 0]):
        parts = np.flatnonzero(fans == fan)
        cells = np.concatenate(
            [found.support_cells[found.support_ptr[j] : found.support_ptr[j + 1]] for j in parts]
        )
        deltas = np.concatenate(
            [
                found.support_signs[found.support_ptr[j] : found.support_ptr[j + 1]]
                * found.pattern_up[j]
                for j in parts
            ]
        )
        present = cells >= 0
        moved, at = np.unique(cells[present], return_inverse=True)
        total = np.bincount(at, weights=deltas[present], minlength=len(moved)).astype(np.int64)
        out.append(Witness(moved[total != 0], total[total != 0]))
    return out


def complete_pattern(
    tables: LinkedTables,
    witnesses: list[Witness],
    free: BoolArray,
    balance: BoolArray,
    slack: IntArray,
) -> list[Witness]:
    """Patterns keep the hierarchies' relations; an extra relation they move (a split
    ``at risk = events + rest``) is balanced on a free cell of it (withheld or absent, a
    ``balance`` cell first) that the pattern does not move, and the witness is shortened to the
    room that cell has. The audit checks the result like any witness."""
    extra = np.flatnonzero(tables.constraints.dimension < 0)
    matrix = sp.csr_array(tables.constraints.matrix[extra])
    if not matrix.shape[0] or not witnesses:
        return witnesses
    n_w = len(witnesses)
    lengths = np.array([len(w.cells) for w in witnesses])
    owner = np.repeat(np.arange(n_w), lengths)
    cells = np.concatenate([w.cells for w in witnesses]).astype(np.int64)
    deltas = np.concatenate([w.deltas for w in witnesses]).astype(np.int64)
    moves = sp.csc_array((deltas.astype(np.float64), (cells, owner)), shape=(tables.n_cells, n_w))
    residual = sp.coo_array(matrix @ moves)
    r, j, value = residual.row, residual.col, residual.data
    keep = np.abs(value) > 0.5
    r, j, value = r[keep], j[keep], value[keep]
    target, coef = _balancing_targets(
        _balancing_cells(matrix, free, balance), r, j, moved=np.sort(cells * n_w + owner), n_w=n_w
    )
    keep = target >= 0
    j, value, target, coef = j[keep], value[keep], target[keep], coef[keep]
    delta = -value / coef
    keep = np.abs(delta - np.round(delta)) < 1e-9
    all_cells = np.concatenate([cells, target[keep]])
    all_deltas = np.concatenate([deltas, np.round(delta[keep]).astype(np.int64)])
    all_owner = np.concatenate([owner, j[keep]])
    by_owner = np.argsort(all_owner, kind="stable")
    balanced = (all_cells[by_owner], all_deltas[by_owner], all_owner[by_owner])
    return _shortened(witnesses, owner, deltas, balanced, slack)


def _balancing_targets(
    ranked: tuple[IntArray, npt.NDArray[np.float64]],
    r: IntArray,
    j: IntArray,
    *,
    moved: IntArray,
    n_w: int,
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """For each relation ``r`` that witness ``j`` breaks, the cell that balances it and the
    cell's coefficient there (-1: none): the first of the relation's ``ranked`` free cells that
    the witness does not move (``moved``: its cells as ``cell * n_w + witness``, sorted)."""
    ranked_cell, ranked_coef = ranked
    target = np.full(len(r), -1, np.int64)
    coef = np.ones(len(r))
    for k in range(ranked_cell.shape[1]):
        option = ranked_cell[r, k]
        key = np.maximum(option, 0) * n_w + j
        at = np.minimum(np.searchsorted(moved, key), len(moved) - 1)
        usable = (target < 0) & (option >= 0) & (moved[at] != key)
        target[usable] = option[usable]
        coef[usable] = ranked_coef[r[usable], k]
    return target, coef


def _shortened(
    witnesses: list[Witness],
    owner: IntArray,
    deltas: IntArray,
    balanced: tuple[IntArray, IntArray, IntArray],
    slack: IntArray,
) -> list[Witness]:
    """The ``witnesses`` with their balancing moves (``balanced``: cells, deltas and owners,
    by owner). A witness that moves a cell down is cut to as many steps of its unit move as
    every cell it lowers has room for (``slack``), no more than it had (a ray: any number), and
    dropped when that is none; the others are kept whole."""
    all_cells, all_deltas, all_owner = balanced
    n_w = len(witnesses)
    rays = np.array([w.ray for w in witnesses])
    amount = np.ones(n_w, np.int64)
    np.maximum.at(amount, owner, np.abs(deltas))
    amount[rays] = 1
    unit = all_deltas // amount[all_owner]
    room = np.where(rays, np.iinfo(np.int64).max, amount)
    falling = unit < 0
    np.minimum.at(room, all_owner[falling], slack[all_cells[falling]] // -unit[falling])
    bounds = np.searchsorted(all_owner, np.arange(n_w + 1))
    out = []
    for w in range(n_w):
        a, b = bounds[w], bounds[w + 1]
        if not falling[a:b].any():
            out.append(Witness(all_cells[a:b], all_deltas[a:b], bool(rays[w])))
        elif room[w] >= 1:
            out.append(Witness(all_cells[a:b], unit[a:b] * room[w]))
    return out


def _balancing_cells(
    matrix: sp.csr_array, free: BoolArray, balance: BoolArray
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Each relation's free cells, a ``balance`` cell first (-1 pads), and their
    coefficients: one row per relation."""
    counts = np.diff(matrix.indptr)
    row_of = np.repeat(np.arange(matrix.shape[0]), counts)
    rank = np.where(free[matrix.indices], np.where(balance[matrix.indices], 0, 1), 2)
    order = np.lexsort((matrix.indices, rank, row_of))
    width = int(counts.max(initial=1))
    position = np.arange(len(order)) - matrix.indptr[row_of[order]]
    cell = np.full((matrix.shape[0], width), -1, np.int64)
    coef = np.ones((matrix.shape[0], width))
    usable = rank[order] < 2
    rows, at = row_of[order][usable], position[usable]
    cell[rows, at] = matrix.indices[order][usable]
    coef[rows, at] = matrix.data[order][usable]
    return cell, coef
