"""The moves of :mod:`wres.engine.protection.flows`: the largest move of a withheld cell up or
down by linear programme (one kept warm in HiGHS once cells are only published), and the best
move known per primary cell and direction, with the cells it goes through.
"""

from __future__ import annotations

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from wres.engine.protection.highs import milp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Moves smaller than this are no move.
EPSILON = 1e-7
#: Cost per unit moved in a largest-move programme: small beside the move itself, enough to
#: prefer moves through few cells.
SPARSITY_COST = 1e-4


class Moves:
    """The system and the current withheld set, with the best known move per primary and
    direction: ``room[q, 0]`` upward, ``room[q, 1]`` downward, and the cells each uses."""

    def __init__(self, matrix: sp.csr_array, slack: FloatArray, hidden: BoolArray) -> None:
        self.matrix = sp.csc_array(matrix)
        self.slack = slack
        self.hidden = hidden
        self.room: dict[int, FloatArray] = {}
        self.uses: dict[tuple[int, int], IntArray] = {}
        self.programmes = 0
        #: the withheld cells' programme kept warm (:meth:`warm`): the cleanup only publishes
        self.programme: Programme | None = None

    @property
    def work(self) -> float:
        """The warm programme's work: simplex iterations times rows
        (``wres.engine.protection.cleanup.CleanupLimits``); none before it is kept warm."""
        return 0.0 if self.programme is None else self.programme.work

    def warm(self) -> None:
        """From now on cells are only published: keep one programme over the withheld cells
        and solve it again from its last basis for each move (as :meth:`largest` does afresh)."""
        self.programme = Programme(self.matrix, self.slack, self.hidden)

    def publish(self, cell: int) -> None:
        self.hidden[cell] = False
        if self.programme is not None:
            self.programme.close(cell)

    def credit(self, cells: IntArray, move: FloatArray, primary: BoolArray) -> None:
        """Record a move as a proof for every primary cell it shifts."""
        for cell, amount in zip(cells, move, strict=True):
            if not primary[cell] or abs(amount) <= EPSILON:
                continue
            direction = 0 if amount > 0 else 1
            room = self.room.setdefault(int(cell), np.zeros(2))
            if abs(amount) > room[direction] + EPSILON:
                room[direction] = abs(amount)
                self.uses[(int(cell), direction)] = cells[np.abs(move) > EPSILON]

    def largest(
        self, jobs: list[tuple[int, int]], cap: float, excluded: int = -1
    ) -> list[tuple[float, IntArray, FloatArray]]:
        """The largest move of each (cell, direction), capped at ``cap``, with ``excluded``
        published. A small cost per unit moved makes the move use few cells, so that few
        proofs depend on any one cell."""
        if self.programme is not None:
            self.programmes += len(jobs)
            return [self.programme.largest(c, d, cap, excluded) for c, d in jobs]
        hidden = self.hidden.copy()
        if excluded >= 0:
            hidden[excluded] = False
        cols = np.flatnonzero(hidden)
        sub = sp.csr_array(self.matrix[:, cols])
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        sub = sp.csr_array(sub[rows])
        a_eq = sp.hstack([sub, -sub], format="csr")
        k, m = len(cols), len(rows)
        out = []
        for cell, direction in jobs:
            at = int(np.searchsorted(cols, cell))
            c = np.full(2 * k, SPARSITY_COST)
            upper = np.concatenate([np.full(k, np.inf), self.slack[cols]])
            if direction == 0:  # lift y_up of the cell; its y_down stays 0
                c[at] = -1.0
                upper[at] = cap
                upper[k + at] = 0.0
            else:
                c[k + at] = -1.0
                upper[k + at] = min(upper[k + at], cap)
                upper[at] = 0.0
            self.programmes += 1
            result = milp(
                c,
                bounds=Bounds(np.zeros(2 * k), upper),
                constraints=[LinearConstraint(a_eq, np.zeros(m), np.zeros(m))] if m else [],
            )
            if result.status != 0 or result.x is None:
                out.append((0.0, cols[:0], np.zeros(0)))
                continue
            x = np.asarray(result.x)
            move = x[:k] - x[k:]
            amount = move[at] if direction == 0 else -move[at]
            used = np.abs(move) > EPSILON
            out.append((float(amount), cols[used], move[used]))
        return out


class Programme:
    """The largest-move programme of :meth:`Moves.largest` over a fixed set of withheld cells,
    kept in HiGHS: each (cell, direction) changes a cost and two bounds and is solved from the
    last basis (a few simplex steps) instead of afresh; a published cell is fixed at 0."""

    def __init__(self, matrix: sp.csc_array, slack: FloatArray, hidden: BoolArray) -> None:
        self.cols = np.flatnonzero(hidden)
        k = len(self.cols)
        sub = sp.csr_array(matrix[:, self.cols])
        sub = sp.csr_array(sub[np.flatnonzero(np.diff(sub.indptr) > 0)])
        a = sp.csr_array(sp.hstack([sub, -sub], format="csr"))
        self.k = k
        self.rows = int(a.shape[0])
        #: simplex iterations times rows, over every solve
        self.work = 0.0
        self.upper = np.concatenate([np.full(k, np.inf), slack[self.cols]])
        self.open = np.ones(k, np.bool_)
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.setOptionValue("presolve", "off")  # presolve would start each solve afresh
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = 2 * k, a.shape[0]
        lp.col_cost_ = np.full(2 * k, SPARSITY_COST)
        lp.col_lower_, lp.col_upper_ = np.zeros(2 * k), self.upper.copy()
        lp.row_lower_ = lp.row_upper_ = np.zeros(a.shape[0])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(np.float64)
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = 2 * k, a.shape[0]
        highs.passModel(lp)
        self.highs = highs

    def _at(self, cell: int) -> int:
        at = int(np.searchsorted(self.cols, cell))
        if at >= self.k or self.cols[at] != cell:
            msg = f"cell {cell} is not in the programme (a bug in wres)"
            raise ValueError(msg)
        return at

    def _bounds(self, at: int, up: float, down: float) -> None:
        self.highs.changeColBounds(at, 0.0, up)
        self.highs.changeColBounds(self.k + at, 0.0, down)

    def close(self, cell: int) -> None:
        at = self._at(cell)
        self.open[at] = False
        self._bounds(at, 0.0, 0.0)

    def largest(
        self, cell: int, direction: int, cap: float, excluded: int
    ) -> tuple[float, IntArray, FloatArray]:
        at = self._at(cell)
        if not self.open[at]:
            return 0.0, self.cols[:0], np.zeros(0)
        out = -1
        if excluded >= 0 and self.open[ex := self._at(excluded)]:
            out = ex
            self._bounds(out, 0.0, 0.0)
        var = at if direction == 0 else self.k + at
        if direction == 0:  # lift y_up of the cell; its y_down stays 0
            self._bounds(at, cap, 0.0)
        else:
            self._bounds(at, 0.0, min(self.upper[self.k + at], cap))
        self.highs.changeColCost(var, -1.0)
        self.highs.run()
        self.work += float(self.highs.getInfo().simplex_iteration_count) * self.rows
        optimal = self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = np.asarray(self.highs.getSolution().col_value) if optimal else None
        self.highs.changeColCost(var, SPARSITY_COST)
        self._bounds(at, self.upper[at], self.upper[self.k + at])
        if out >= 0:
            self._bounds(out, self.upper[out], self.upper[self.k + out])
        if x is None:
            return 0.0, self.cols[:0], np.zeros(0)
        move = x[: self.k] - x[self.k :]
        amount = move[at] if direction == 0 else -move[at]
        used = np.abs(move) > EPSILON
        return float(amount), self.cols[used], move[used]
