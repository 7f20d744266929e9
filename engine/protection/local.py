"""Local problems: move a withheld cell by moving only the cells near it.

A large system (a whole run) falls apart into few components, each of hundreds of thousands of
cells, and the attacker's exact interval of one cell is a linear programme of its whole
component. But a cell is *proved* to keep its room by any table that agrees with everything
published and differs from the true one in that cell by enough (a witness, ``wres.rules.audit``).
Such a table usually differs only near the cell: moving the withheld and unknown cells within a
couple of relations of it, every other cell held at its true value. That is a small linear
programme per cell, and many of them are packed into one problem (they share nothing).

Two uses: :func:`prove` finds how far each target can move (up to what it needs), and
:func:`repair` finds the cheapest further cells to withhold so that a target can move far
enough. Both return the moves themselves, which are witnesses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from wres.engine.protection._local_kernels import block_entries, neighbourhoods
from wres.engine.protection.highs import milp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Relations crossed outwards from the target to gather its neighbourhood.
DEPTH = 3
#: Cells per neighbourhood at most (the nearest first).
NEIGHBOURHOOD = 2000
#: Variables per packed problem.
BATCH_VARIABLES = 8000
#: Values within this of an integer are that integer.
TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class System:
    """The relations both ways round: each relation's cells, and each cell's relations."""

    row_ptr: IntArray
    row_cells: IntArray
    row_coef: FloatArray
    cell_ptr: IntArray
    cell_rows: IntArray

    @classmethod
    def of(cls, matrix: sp.csr_array | sp.csc_array) -> System:
        csr = sp.csr_array(matrix)
        csc = sp.csc_array(matrix)
        return cls(
            csr.indptr.astype(np.int64),
            csr.indices.astype(np.int64),
            csr.data.astype(np.float64),
            csc.indptr.astype(np.int64),
            csc.indices.astype(np.int64),
        )

    def neighbourhoods(
        self, movable: BoolArray, targets: IntArray, depth: int, size: int
    ) -> tuple[IntArray, IntArray]:
        """Each target's movable cells within ``depth`` relations, at most ``size`` (CSR)."""
        return neighbourhoods(
            self.row_ptr,
            self.row_cells,
            self.cell_ptr,
            self.cell_rows,
            movable,
            targets.astype(np.int64),
            depth,
            size,
        )

    def blocks(
        self, ptr: IntArray, cells: IntArray, first: int, last: int
    ) -> tuple[sp.csr_array, IntArray]:
        """The block-diagonal relations of neighbourhoods ``first..last-1`` and each block's
        first row."""
        rows, cols, data, row_start = block_entries(
            ptr,
            cells,
            first,
            last,
            self.row_ptr,
            self.row_cells,
            self.row_coef,
            self.cell_ptr,
            self.cell_rows,
        )
        shape = (int(row_start[-1]), int(ptr[last] - ptr[first]))
        return sp.csr_array((data, (rows, cols)), shape=shape), row_start


@dataclass(frozen=True, slots=True)
class Move:
    """A move of ``cells`` by ``deltas`` that keeps every relation and bound; ``amount`` is how
    far it moves the target (in the direction asked)."""

    target: int
    cells: IntArray
    deltas: IntArray
    amount: int


def prove(
    system: System,
    low: FloatArray,
    high: FloatArray,
    targets: IntArray,
    *,
    direction: IntArray,
    wanted: IntArray,
    depth: int = DEPTH,
    size: int = NEIGHBOURHOOD,
    around: tuple[IntArray, IntArray] | None = None,
    sparse: bool = True,
) -> list[Move]:
    """For each target, a move of its neighbourhood taking it as far as ``wanted`` in its
    ``direction`` (+1 up, -1 down), or as far as it goes there.

    ``low``/``high`` bound each cell's move (``known lower - true``, ``known upper - true``:
    both 0 for a published cell, which then never moves). Moves of 0 are not returned.
    ``around`` as in :func:`repair`. ``sparse``: where the programme's optimum is fractional,
    the integral move moves as few cells as it can (fast); otherwise it is the integer
    programme's, which moves many (slow, but it may prove other cells as it goes)."""
    ptr, cells = around or system.neighbourhoods(low < high, targets, depth, size)
    out: list[Move] = []
    for first, last, matrix, row_start in _batches(system, ptr, cells):
        columns = cells[ptr[first] : ptr[last]]
        lo, hi = low[columns].copy(), high[columns].copy()
        cost = np.zeros(len(columns))
        own = ptr[first:last] - ptr[first]
        sign = direction[first:last].astype(np.float64)
        # the target moves at most as far as asked, which keeps the programme bounded
        hi[own] = np.where(sign > 0, np.minimum(hi[own], wanted[first:last]), hi[own])
        lo[own] = np.where(sign < 0, np.maximum(lo[own], -wanted[first:last]), lo[own])
        cost[own] = -sign
        packed = _Packed(matrix, row_start, ptr[first : last + 1] - ptr[first], lo, hi, cost)
        for k, x in _solve(packed, sparse=sparse):
            target = first + k
            amount = round(float(direction[target]) * x[0])
            moved = np.abs(x) > TOLERANCE
            if amount > 0:
                part = cells[ptr[target] : ptr[target + 1]]
                out.append(
                    Move(
                        int(targets[target]),
                        part[moved],
                        np.round(x[moved]).astype(np.int64),
                        amount,
                    )
                )
    return out


def repair(
    system: System,
    low: FloatArray,
    high: FloatArray,
    targets: IntArray,
    *,
    wanted: IntArray,
    cost: FloatArray,
    depth: int = DEPTH,
    size: int = NEIGHBOURHOOD,
    around: tuple[IntArray, IntArray] | None = None,
) -> list[Move]:
    """For each target, the cheapest move of its neighbourhood that takes it up by at least
    ``wanted``: ``cost`` per unit each cell moves, in either direction.

    ``low``/``high`` bound each cell's move as in :func:`prove`; a caller gives the cells it may
    withhold the bounds they would have once withheld, and withholds those the move uses.
    ``around``: the neighbourhoods (CSR, each target first) instead of its cells within
    ``depth`` relations."""
    ptr, cells = around or system.neighbourhoods(low < high, targets, depth, size)
    out: list[Move] = []
    for first, last, matrix, row_start in _batches(system, ptr, cells):
        columns = cells[ptr[first] : ptr[last]]
        col_start = ptr[first : last + 1] - ptr[first]
        # each block's columns twice: the rise p >= 0, then the fall q >= 0 (a move is p - q)
        coo = matrix.tocoo()
        block = np.searchsorted(col_start, coo.col, side="right") - 1
        width = np.diff(col_start)
        rise_at = coo.col + col_start[block]
        doubled = sp.csr_array(
            (
                np.concatenate([coo.data, -coo.data]),
                (
                    np.concatenate([coo.row, coo.row]),
                    np.concatenate([rise_at, rise_at + width[block]]),
                ),
            ),
            shape=(matrix.shape[0], 2 * len(columns)),
        )
        of_column = np.searchsorted(col_start, np.arange(len(columns)), side="right") - 1
        rise = np.arange(len(columns)) + col_start[of_column]
        fall = rise + width[of_column]
        lo, hi, price = (
            np.zeros(2 * len(columns)),
            np.zeros(2 * len(columns)),
            np.zeros(2 * len(columns)),
        )
        hi[rise], hi[fall] = high[columns], -low[columns]
        price[rise] = price[fall] = cost[columns]
        own = rise[col_start[:-1]]
        lo[own] = wanted[first:last]
        hi[own + width] = 0.0
        packed = _Packed(doubled, row_start, 2 * col_start, lo, hi, price)
        for k, x in _solve(packed, sparse=False):
            target = first + k
            y = x[: width[k]] - x[width[k] :]
            moved = np.abs(y) > TOLERANCE
            part = cells[ptr[target] : ptr[target + 1]]
            amount = round(float(y[0]))
            out.append(
                Move(int(targets[target]), part[moved], np.round(y[moved]).astype(np.int64), amount)
            )
    return out


def _batches(
    system: System, ptr: IntArray, cells: IntArray
) -> Iterator[tuple[int, int, sp.csr_array, IntArray]]:
    """Consecutive neighbourhoods packed up to ``BATCH_VARIABLES`` columns, with their
    block-diagonal relations."""
    n = len(ptr) - 1
    first = 0
    while first < n:
        last = first + 1
        while last < n and ptr[last + 1] - ptr[first] <= BATCH_VARIABLES:
            last += 1
        yield first, last, *system.blocks(ptr, cells, first, last)
        first = last


@dataclass(frozen=True, slots=True)
class _Packed:
    """Block-diagonal problems in one: block ``k`` has rows ``row_start[k]:row_start[k + 1]``
    and columns ``col_start[k]:col_start[k + 1]``; every relation is ``matrix @ x = 0``."""

    matrix: sp.csr_array
    row_start: IntArray
    col_start: IntArray
    lo: FloatArray
    hi: FloatArray
    cost: FloatArray


def _solve(problem: _Packed, *, sparse: bool) -> Iterator[tuple[int, FloatArray]]:
    """Solve the packed problem; yield each block's integral solution (a block whose optimum is
    fractional gets one by :func:`_integral`, or without ``sparse`` by a MILP of the block, as
    a repair's cheapest move needs; a block that fails is left out)."""
    zero = np.zeros(problem.matrix.shape[0])
    result = milp(
        problem.cost,
        bounds=Bounds(problem.lo, problem.hi),
        constraints=[LinearConstraint(problem.matrix, zero, zero)] if len(zero) else [],
    )
    blocks = range(len(problem.col_start) - 1)
    if result.status != 0 or result.x is None:
        for k in blocks if len(blocks) > 1 else []:  # one block spoils the batch: each alone
            yield from _solve_block(problem, k, sparse=sparse)
        return
    x = np.asarray(result.x)
    for k in blocks:
        part = x[problem.col_start[k] : problem.col_start[k + 1]]
        found = part if _is_integral(part) else _integral(_block(problem, k), part, sparse=sparse)
        if found is not None:
            yield k, found


@dataclass(frozen=True, slots=True)
class _Block:
    """One problem: ``matrix @ x = 0``, ``lo <= x <= hi``, minimise ``cost @ x``."""

    matrix: sp.csr_array
    lo: FloatArray
    hi: FloatArray
    cost: FloatArray


def _block(problem: _Packed, k: int) -> _Block:
    cs = slice(int(problem.col_start[k]), int(problem.col_start[k + 1]))
    rs = slice(int(problem.row_start[k]), int(problem.row_start[k + 1]))
    sub = sp.csr_array(problem.matrix[rs, cs])
    return _Block(sub, problem.lo[cs], problem.hi[cs], problem.cost[cs])


def _is_integral(x: FloatArray) -> bool:
    return bool((np.abs(x - np.round(x)) <= TOLERANCE).all())


def _solve_block(problem: _Packed, k: int, *, sparse: bool) -> Iterator[tuple[int, FloatArray]]:
    block = _block(problem, k)
    result = _milp(block, integral=False)
    if result is not None and not _is_integral(result):
        result = _integral(block, result, sparse=sparse)
    if result is not None:
        yield k, result


def _milp(block: _Block, *, integral: bool) -> FloatArray | None:
    zero = np.zeros(block.matrix.shape[0])
    result = milp(
        block.cost,
        integrality=np.full(block.matrix.shape[1], 1 if integral else 0, np.int8),
        bounds=Bounds(block.lo, block.hi),
        constraints=[LinearConstraint(block.matrix, zero, zero)] if len(zero) else [],
        options={"node_limit": 500},
    )
    return np.asarray(result.x) if result.status == 0 and result.x is not None else None


def _integral(block: _Block, x: FloatArray, *, sparse: bool) -> FloatArray | None:
    """An integral solution of ``block`` as good as its fractional optimum ``x`` allows.

    The optimum moves nearly every cell it may (nothing prices a move), and a MILP of the
    whole block spends seconds to minutes in its root cuts (measured: 2-107 s on issue 6's
    shape N). So first the least total movement among the solutions as good as ``x`` (rounded
    to the integer the cost allows): a sparse move, usually integral already (four of four
    single-cell problems there, in 0.2 s each); when it is not, a MILP over just the cells it
    moves (0.04 s for a group of 64); only then the MILP of the whole block. None when none
    is found. Without ``sparse``, the MILP of the whole block straight away."""
    if not sparse:
        return _whole_numbers(block)
    n = len(x)
    goal = float(block.cost @ x)
    whole = bool(np.all(block.cost == np.round(block.cost)))
    goal = np.ceil(goal - TOLERANCE) if whole else goal + max(TOLERANCE, 1e-9 * abs(goal))
    # y = rise - fall, both non-negative, each within the side of the bounds it lies on
    split = sp.csr_array(sp.hstack([block.matrix, -block.matrix]))
    value = np.concatenate([block.cost, -block.cost])
    low = np.concatenate([np.maximum(block.lo, 0.0), np.maximum(-block.hi, 0.0)])
    high = np.concatenate([np.maximum(block.hi, 0.0), np.maximum(-block.lo, 0.0)])
    zero = np.zeros(split.shape[0])
    least = milp(
        np.ones(2 * n),
        bounds=Bounds(low, high),
        constraints=[
            LinearConstraint(split, zero, zero),
            LinearConstraint(value.reshape(1, -1), -np.inf, goal),
        ],
    )
    if least.status == 0 and least.x is not None:
        y = np.asarray(least.x[:n] - least.x[n:])
        if _is_integral(y):
            return y
        moved = np.flatnonzero(np.abs(y) > TOLERANCE)
        part = sp.csr_array(block.matrix[:, moved])
        rows = np.flatnonzero(np.diff(part.indptr) > 0)
        sub = _Block(sp.csr_array(part[rows]), block.lo[moved], block.hi[moved], block.cost[moved])
        found = _whole_numbers(sub)
        if found is not None:
            out = np.zeros(n)
            out[moved] = found
            return out
    return _whole_numbers(block)


def _whole_numbers(block: _Block) -> FloatArray | None:
    """The MILP's solution of ``block`` (within its node limit), when it is integral."""
    found = _milp(block, integral=True)
    return found if found is not None and _is_integral(found) else None


def prove_together(
    system: System,
    low: FloatArray,
    high: FloatArray,
    targets: IntArray,
    *,
    direction: int,
    wanted: IntArray,
    depth: int = DEPTH,
    size: int = NEIGHBOURHOOD,
    sparse: bool = True,
) -> Move | None:
    """One move of the targets' neighbourhoods (together) taking each as far as it can towards
    ``wanted`` in ``direction``: one programme for a group of neighbouring cells, whose witness
    proves each by the amount it moves that cell. None when nothing moves. ``sparse`` as in
    :func:`prove`."""
    _, cells = system.neighbourhoods(low < high, targets, depth, size)
    union = np.unique(cells)
    whole = np.array([0, len(union)], np.int64)
    matrix, row_start = system.blocks(whole, union, 0, 1)
    lo, hi = low[union].copy(), high[union].copy()
    own = np.searchsorted(union, targets)
    if direction > 0:
        hi[own] = np.minimum(hi[own], wanted)
    else:
        lo[own] = np.maximum(lo[own], -wanted)
    cost = np.zeros(len(union))
    cost[own] = -float(direction)
    found = list(_solve(_Packed(matrix, row_start, whole, lo, hi, cost), sparse=sparse))
    if not found:
        return None
    x = found[0][1]
    moved = np.abs(x) > TOLERANCE
    if not moved.any():
        return None
    amounts = np.round(direction * x[own]).astype(np.int64)
    return Move(
        int(targets[0]), union[moved], np.round(x[moved]).astype(np.int64), int(amounts.max())
    )
