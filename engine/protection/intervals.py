"""The attacker's intervals: for each withheld cell, the smallest and the largest value that is
consistent with everything published.

The attacker knows a linear system ``A x = 0`` over all cells (each total is the sum of its
children) and, for each cell, an interval ``[known_lower, known_upper]``: a single point for a
published count, the rounding interval for a rounded one, ``[1, inf)`` for a withheld cell when
zeros are published. Cells known exactly are constants; the others are variables. The system
falls apart into independent *components* (connected through shared relations), each solved on
its own: the minimum and the maximum of every target variable, by HiGHS through
``scipy.optimize.milp``.

Speed comes from batching: minimising ``x_j`` in one component and ``x_k`` in another is one
problem whose objective is their sum, because the components share nothing. Each (component,
target, direction) job is one copy of its component, and copies are packed into block-diagonal
problems of a bounded size. Two problems settle many jobs at once: one per component minimising
the sum of its targets (a target that reaches its known lower bound there has its minimum), and
one over all components finding every target that can grow without limit (exactly those with a
direction ``r >= 0``, ``A r = 0``, ``r_j > 0``).

Components with at most ``exact_limit`` variables are solved with integrality (the integer
attacker, exact) for every target. A larger component costs one problem of its whole size per
target and direction, so there a caller-supplied test picks the targets worth solving (those
whose requirement is not already proved another way); the others keep *outer* bounds, which
contain the attacker's interval: the settled minimum or the propagated bound below, infinity or
the propagated bound above. A linear programme's bound is exact when its optimum is an integer
point (always, for two-way tables); otherwise that target is solved again with integrality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from wres.engine.errors import InternalError
from wres.engine.progress import SETTLING, SOLVING, Progress, silent
from wres.engine.protection.batches import (
    TOLERANCE,
    BoolArray,
    Component,
    FloatArray,
    InconsistentSystemError,
    IntArray,
    Job,
    Packer,
    build_components,
    unbounded_above,
)

#: Components up to this many variables are solved exactly for every target.
EXACT_LIMIT = 400
#: Rounds of bound propagation for the outer bounds.
PROPAGATION_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class Intervals:
    """Per cell: the bounds found and whether each is the attacker's exact bound.

    Non-targets hold NaN. ``upper`` is ``inf`` for a cell without an upper bound (exact).
    A bound that is not exact is an outer bound: the attacker's interval lies within it.
    ``component`` numbers the independent components (-1 for cells known exactly).
    """

    lower: FloatArray
    upper: FloatArray
    exact_lower: BoolArray
    exact_upper: BoolArray
    component: IntArray
    #: per component (by id), its number of variables
    component_size: IntArray


def components(matrix: sp.csr_array, variables: BoolArray) -> tuple[IntArray, IntArray]:
    """Connected components of the variables through the rows that hold them.

    Returns per cell its component (-1 for non-variables) and per row its component (-1 for a
    row without variables). Components are numbered in the order of their first cell.
    """
    n_rows, n_cells = matrix.shape
    var_index = np.flatnonzero(variables)
    nv = len(var_index)
    cell_comp = np.full(n_cells, -1, np.int64)
    if nv == 0:
        return cell_comp, np.full(n_rows, -1, np.int64)
    reduced = sp.csr_array(matrix[:, var_index])
    reduced.eliminate_zeros()
    graph = sp.bmat([[None, reduced.T], [reduced, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    var_labels = labels[:nv]
    _, first = np.unique(var_labels, return_index=True)
    renumber = np.full(int(labels.max()) + 1, -1, np.int64)
    renumber[var_labels[np.sort(first)]] = np.arange(len(first))
    cell_comp[var_index] = renumber[var_labels]
    row_has_var = np.diff(reduced.indptr) > 0
    row_comp = np.where(row_has_var, renumber[labels[nv:]], -1)
    return cell_comp, row_comp


def propagate_bounds(
    matrix: sp.csr_array, lower: FloatArray, upper: FloatArray, rounds: int = PROPAGATION_ROUNDS
) -> tuple[FloatArray, FloatArray]:
    """Outer bounds by propagation through ``matrix @ x = 0`` (integer rounding inward)."""
    coo = matrix.tocoo()
    rows, cols, a = coo.row, coo.col, coo.data
    lo, hi = lower.astype(np.float64).copy(), upper.astype(np.float64).copy()
    n_rows = matrix.shape[0]
    for _ in range(rounds):
        # contribution of each entry to the row's minimum and maximum of sum(a x)
        c_min = np.where(a > 0, a * lo[cols], a * hi[cols])
        c_max = np.where(a > 0, a * hi[cols], a * lo[cols])
        inf_min = np.isinf(c_min)
        inf_max = np.isinf(c_max)
        row_min = np.bincount(rows, np.where(inf_min, 0.0, c_min), n_rows)
        row_max = np.bincount(rows, np.where(inf_max, 0.0, c_max), n_rows)
        n_inf_min = np.bincount(rows, inf_min, n_rows)
        n_inf_max = np.bincount(rows, inf_max, n_rows)
        # the others' minimum and maximum, per entry
        others_min = np.where(
            n_inf_min[rows] - inf_min > 0, -np.inf, row_min[rows] - np.where(inf_min, 0.0, c_min)
        )
        others_max = np.where(
            n_inf_max[rows] - inf_max > 0, np.inf, row_max[rows] - np.where(inf_max, 0.0, c_max)
        )
        # a x_k = -(others) in [-others_max, -others_min]
        with np.errstate(invalid="ignore"):
            cand_lo = np.where(a > 0, -others_max / a, -others_min / a)
            cand_hi = np.where(a > 0, -others_min / a, -others_max / a)
        new_lo = lo.copy()
        new_hi = hi.copy()
        np.maximum.at(new_lo, cols, np.ceil(cand_lo - TOLERANCE))
        np.minimum.at(new_hi, cols, np.floor(cand_hi + TOLERANCE))
        if np.array_equal(new_lo, lo) and np.array_equal(new_hi, hi):
            break
        lo, hi = new_lo, new_hi
    return lo, hi


def attacker_intervals(
    matrix: sp.csr_array,
    known_lower: FloatArray,
    known_upper: FloatArray,
    targets: BoolArray,
    *,
    needed: Callable[[Intervals], BoolArray] | None = None,
    witness: FloatArray | None = None,
    exact_limit: int = EXACT_LIMIT,
    outer: tuple[FloatArray, FloatArray] | None = None,
    parts: tuple[IntArray, IntArray] | None = None,
    progress: Progress = silent,
) -> Intervals:
    """The interval of every target cell under ``matrix @ x = 0`` and the known bounds.

    Targets in components of at most ``exact_limit`` variables are all solved exactly. In
    larger ones, ``needed`` decides which targets are worth a problem of their own: it gets the
    intervals found so far (exact where proved, outer elsewhere) and returns the targets still
    to solve; it is asked again after the minima. Without it, every target is solved.
    ``witness`` is any integer point satisfying everything (the true counts, when known): a
    target whose witness value is its known lower bound needs no minimisation. ``outer``: the
    propagated bounds, and ``parts`` the :func:`components` of the unknown cells, when the
    caller has them already. ``progress`` is told the components settled and the programmes
    solved (:data:`wres.engine.progress.SETTLING`, :data:`wres.engine.progress.SOLVING`).
    """
    variables = known_lower < known_upper
    if (targets & ~variables).any():
        msg = "a target cell is known exactly (this is a bug in wres)"
        raise InternalError(msg)
    fixed = ~variables
    rhs = -(matrix[:, fixed] @ known_lower[fixed])
    var_index = np.flatnonzero(variables)
    reduced = sp.csr_array(matrix[:, var_index])
    reduced.eliminate_zeros()
    empty_rows = np.diff(reduced.indptr) == 0
    broken = np.flatnonzero(empty_rows & (np.abs(rhs) > TOLERANCE))
    if len(broken):
        raise InconsistentSystemError(broken)

    cell_comp, row_comp = parts or components(matrix, variables)
    n_comp = int(cell_comp.max()) + 1 if len(var_index) else 0
    comp_size = np.bincount(cell_comp[cell_comp >= 0], minlength=n_comp).astype(np.int64)
    outer_lo, outer_hi = outer or propagate_bounds(matrix, known_lower, known_upper)
    state = _State(targets, outer_lo, outer_hi, cell_comp, comp_size)
    wanted = np.unique(cell_comp[targets])
    if not len(wanted):
        return state.intervals()
    comps = build_components(reduced, cell_comp[var_index], row_comp, wanted, exact_limit)
    solver = _Solver(
        comps,
        var_index,
        known_lower=known_lower,
        known_upper=known_upper,
        rhs=rhs,
        targets=targets,
        state=state,
        progress=progress,
    )
    solver.settle_unbounded()
    if witness is not None:
        at_lo = np.abs(witness - known_lower) <= TOLERANCE
        for cell in np.flatnonzero(targets & at_lo):
            state.set_lower(int(cell), float(known_lower[cell]), exact=True)
    solver.settle_minima_at_bounds()
    small = np.zeros(len(targets), np.bool_)
    for comp in comps:
        if len(comp.variables) <= exact_limit:
            small[var_index[comp.variables]] = True
    for direction in (1.0, -1.0):  # the minima, then the maxima
        chosen = targets & (small | (needed(state.intervals()) if needed else targets))
        solver.solve(chosen, direction)
    return state.intervals()


class _Solver:
    """Jobs over the components: the cheap settlements first, then one problem per target."""

    def __init__(
        self,
        comps: Sequence[Component],
        var_index: IntArray,
        *,
        known_lower: FloatArray,
        known_upper: FloatArray,
        rhs: FloatArray,
        targets: BoolArray,
        state: _State,
        progress: Progress,
    ) -> None:
        self.comps = comps
        self.var_index = var_index
        self.var_lo = known_lower[var_index]
        self.var_hi = known_upper[var_index]
        self.packer = Packer(comps, self.var_lo, self.var_hi, rhs)
        self.local = [np.flatnonzero(targets[var_index[c.variables]]) for c in comps]
        self.state = state
        self.progress = progress

    def cell_of(self, ci: int, col: int) -> int:
        return int(self.var_index[self.comps[ci].variables[col]])

    def settle_unbounded(self) -> None:
        unbounded = unbounded_above(self.comps, self.local, self.var_hi)
        for ci, cols in enumerate(self.local):
            for col in cols[unbounded[ci][cols]]:
                self.state.set_upper(self.cell_of(ci, int(col)), np.inf, exact=True)

    def settle_minima_at_bounds(self) -> None:
        """One problem per component minimising the sum of its unsettled targets: each target
        at its known lower bound there has that bound as its minimum."""
        jobs = []
        for ci, cols in enumerate(self.local):
            todo = [c for c in cols if not self.state.exact_lower[self.cell_of(ci, int(c))]]
            if len(todo) > 1:
                jobs.append(Job(ci, np.array(todo, np.int64), np.ones(len(todo))))
        self.progress(SETTLING, 0, len(jobs))
        for done, (job, solution, _value, proved) in enumerate(self.packer.solve(jobs), 1):
            self.progress(SETTLING, done, len(jobs))
            lo = self.var_lo[self.comps[job.component].variables]
            if proved:
                hits = job.columns[np.abs(solution[job.columns] - lo[job.columns]) <= TOLERANCE]
                for col in hits:
                    cell = self.cell_of(job.component, int(col))
                    self.state.set_lower(cell, float(lo[col]), exact=True)

    def solve(self, chosen: BoolArray, direction: float) -> None:
        """Minimise (``direction`` 1) or maximise (-1) every chosen target not yet exact; an
        optimum at a fractional point is solved again with integrality, on its own."""
        state = self.state
        jobs = []
        for ci, cols in enumerate(self.local):
            for col in cols:
                cell = self.cell_of(ci, int(col))
                done = state.exact_lower[cell] if direction > 0 else state.exact_upper[cell]
                if chosen[cell] and not done:
                    jobs.append(Job(ci, np.array([col]), np.array([direction])))
        fractional = []
        stage = f"{SOLVING} ({'least' if direction > 0 else 'greatest'} values)"
        self.progress(stage, 0, len(jobs))
        for done, (job, _solution, value, proved) in enumerate(self.packer.solve(jobs), 1):
            self.progress(stage, done, len(jobs))
            if not proved:
                fractional.append(job)
            self._record(job, value, direction, exact=proved)
        for job, _solution, value, proved in self.packer.solve(fractional, integral=True):
            if proved:
                self._record(job, value, direction, exact=True)

    def _record(self, job: Job, value: float, direction: float, *, exact: bool) -> None:
        cell = self.cell_of(job.component, int(job.columns[0]))
        if direction > 0:
            self.state.set_lower(cell, value, exact=exact)
        else:
            self.state.set_upper(cell, -value, exact=exact)


class _State:
    """Bounds found so far: outer bounds from propagation, replaced as problems are solved."""

    def __init__(
        self,
        targets: BoolArray,
        outer_lo: FloatArray,
        outer_hi: FloatArray,
        comp: IntArray,
        comp_size: IntArray,
    ) -> None:
        n = len(targets)
        self.lower = np.where(targets, outer_lo, np.nan)
        self.upper = np.where(targets, outer_hi, np.nan)
        self.exact_lower = np.zeros(n, np.bool_)
        self.exact_upper = np.zeros(n, np.bool_)
        self.comp = comp
        self.comp_size = comp_size

    def set_lower(self, cell: int, value: float, *, exact: bool) -> None:
        self.lower[cell] = np.ceil(value - TOLERANCE)
        self.exact_lower[cell] = exact

    def set_upper(self, cell: int, value: float, *, exact: bool) -> None:
        self.upper[cell] = value if np.isinf(value) else np.floor(value + TOLERANCE)
        self.exact_upper[cell] = exact

    def intervals(self) -> Intervals:
        return Intervals(
            self.lower.copy(),
            self.upper.copy(),
            self.exact_lower.copy(),
            self.exact_upper.copy(),
            self.comp,
            self.comp_size,
        )
