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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from wres.engine.errors import InternalError
from wres.engine.progress import SETTLING, SOLVING, Progress, silent

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Components up to this many variables are solved exactly for every target.
EXACT_LIMIT = 400
#: Variables per packed problem: large enough to share HiGHS's per-call cost, small enough to
#: keep presolve quick.
BATCH_VARIABLES = 6000
#: Branch-and-bound nodes per integer problem before the linear bound is used instead
#: (deterministic, unlike a time limit).
NODE_LIMIT = 2000
#: Values within this of an integer are that integer.
TOLERANCE = 1e-6
#: Rounds of bound propagation for the outer bounds.
PROPAGATION_ROUNDS = 20


class InconsistentSystemError(ValueError):
    """The published figures contradict each other; ``rows`` are relations that fail."""

    def __init__(self, rows: IntArray) -> None:
        self.rows = rows
        super().__init__(f"{len(rows)} relation(s) of the published table cannot hold")


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


@dataclass(frozen=True, slots=True)
class _Component:
    variables: IntArray  # positions among the variables
    rows: IntArray  # rows of the system
    coo: tuple[IntArray, IntArray, FloatArray]  # local row, local column, coefficient
    integral: bool


@dataclass(frozen=True, slots=True)
class _Job:
    component: int
    columns: IntArray  # local columns of the objective
    coefficients: FloatArray


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
    comps = _build_components(reduced, cell_comp[var_index], row_comp, wanted, exact_limit)
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
        comps: Sequence[_Component],
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
        self.packer = _Packer(comps, self.var_lo, self.var_hi, rhs)
        self.local = [np.flatnonzero(targets[var_index[c.variables]]) for c in comps]
        self.state = state
        self.progress = progress

    def cell_of(self, ci: int, col: int) -> int:
        return int(self.var_index[self.comps[ci].variables[col]])

    def settle_unbounded(self) -> None:
        unbounded = _unbounded_above(self.comps, self.local, self.var_hi)
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
                jobs.append(_Job(ci, np.array(todo, np.int64), np.ones(len(todo))))
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
                    jobs.append(_Job(ci, np.array([col]), np.array([direction])))
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

    def _record(self, job: _Job, value: float, direction: float, *, exact: bool) -> None:
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


def _build_components(
    reduced: sp.csr_array,
    var_comp: IntArray,
    row_comp: IntArray,
    wanted: IntArray,
    exact_limit: int,
) -> list[_Component]:
    coo = reduced.tocoo()
    entry_comp = row_comp[coo.row]
    var_order = np.argsort(var_comp, kind="stable")
    var_bounds = np.searchsorted(var_comp[var_order], [wanted, wanted + 1])
    row_order = np.argsort(row_comp, kind="stable")
    row_bounds = np.searchsorted(row_comp[row_order], [wanted, wanted + 1])
    entry_order = np.argsort(entry_comp, kind="stable")
    entry_bounds = np.searchsorted(entry_comp[entry_order], [wanted, wanted + 1])
    local_col = np.empty(len(var_comp), np.int64)
    local_row = np.empty(len(row_comp), np.int64)
    out = []
    for i in range(len(wanted)):
        vs = var_order[var_bounds[0, i] : var_bounds[1, i]]
        rs = row_order[row_bounds[0, i] : row_bounds[1, i]]
        es = entry_order[entry_bounds[0, i] : entry_bounds[1, i]]
        local_col[vs] = np.arange(len(vs))
        local_row[rs] = np.arange(len(rs))
        out.append(
            _Component(
                variables=vs,
                rows=rs,
                coo=(local_row[coo.row[es]], local_col[coo.col[es]], coo.data[es]),
                integral=len(vs) <= exact_limit,
            )
        )
    return out


class _Packer:
    """Solves jobs in packed block-diagonal problems."""

    def __init__(
        self, comps: Sequence[_Component], lo: FloatArray, hi: FloatArray, rhs: FloatArray
    ) -> None:
        self.comps = comps
        self.lo = lo
        self.hi = hi
        self.rhs = rhs

    def solve(
        self, jobs: Sequence[_Job], *, integral: bool = False
    ) -> Iterator[tuple[_Job, FloatArray, float, bool]]:
        """Yield (job, local solution, objective value, proved exact) for every job;
        ``integral`` forces integrality (one job per problem) whatever the size."""
        if integral:
            for job in jobs:
                yield from self._solve_batch([job], relax=False, force=True)
            return
        batch: list[_Job] = []
        size = 0
        for job in jobs:
            n = len(self.comps[job.component].variables)
            if batch and size + n > BATCH_VARIABLES:
                yield from self._solve_batch(batch, relax=False)
                batch, size = [], 0
            batch.append(job)
            size += n
        if batch:
            yield from self._solve_batch(batch, relax=False)

    def _solve_batch(
        self, batch: Sequence[_Job], *, relax: bool, force: bool = False
    ) -> Iterator[tuple[_Job, FloatArray, float, bool]]:
        rows, cols, data, lo, hi, rhs, integrality, cost = [], [], [], [], [], [], [], []
        col_start = []
        n_cols = n_rows = 0
        for job in batch:
            comp = self.comps[job.component]
            r, c, v = comp.coo
            rows.append(r + n_rows)
            cols.append(c + n_cols)
            data.append(v)
            lo.append(self.lo[comp.variables])
            hi.append(self.hi[comp.variables])
            rhs.append(self.rhs[comp.rows])
            nv = len(comp.variables)
            integral = force or comp.integral
            integrality.append(np.full(nv, 0 if relax or not integral else 1, np.int8))
            objective = np.zeros(nv)
            objective[job.columns] = job.coefficients
            cost.append(objective)
            col_start.append(n_cols)
            n_cols += nv
            n_rows += len(comp.rows)
        matrix = sp.csr_array(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, n_cols),
        )
        b = np.concatenate(rhs)
        ints = np.concatenate(integrality)
        result = milp(
            np.concatenate(cost),
            integrality=ints,
            bounds=Bounds(np.concatenate(lo), np.concatenate(hi)),
            constraints=[LinearConstraint(matrix, b, b)] if n_rows else [],
            options={"mip_rel_gap": 0.0, "node_limit": NODE_LIMIT, "presolve": True},
        )
        if result.status == 0 and result.x is not None:
            x = np.asarray(result.x)
            for i, job in enumerate(batch):
                nv = len(self.comps[job.component].variables)
                part = x[col_start[i] : col_start[i] + nv]
                value = float(part[job.columns] @ job.coefficients)
                proved = bool(ints[col_start[i]]) or _is_integral(part)
                yield job, part, value, proved
            return
        if result.status == 2:
            raise InconsistentSystemError(
                np.concatenate([self.comps[j.component].rows for j in batch])
            )
        if len(batch) > 1:  # one hard job spoils the batch: solve them one by one
            for job in batch:
                yield from self._solve_batch([job], relax=relax)
            return
        if not relax and ints.any():  # the integer problem did not finish: the linear bound
            if force:  # already the fallback of a fractional optimum: stays unproved
                yield batch[0], np.zeros(0), np.nan, False
                return
            yield from self._solve_batch(batch, relax=True)
            return
        msg = f"HiGHS could not solve an attacker problem (status {result.status}; a bug in wres)"
        raise InternalError(msg)


def _is_integral(x: FloatArray) -> bool:
    return bool((np.abs(x - np.round(x)) <= TOLERANCE).all())


def _unbounded_above(
    comps: Sequence[_Component], local: Sequence[IntArray], hi: FloatArray
) -> list[BoolArray]:
    """Per component, per local column: can the variable grow without limit?

    One linear programme over all components with such a target: maximise the sum of
    ``t_j <= min(1, r_j)`` over directions ``r`` with ``A r = 0``, ``r >= 0`` (``r_j = 0``
    where the variable has an upper bound). At the optimum ``t_j = 1`` exactly for every target
    that some direction increases (directions add up, and scale).
    """
    out = [np.zeros(len(comp.variables), dtype=np.bool_) for comp in comps]
    chosen = [ci for ci, cols in enumerate(local) if np.isinf(hi[comps[ci].variables[cols]]).any()]
    if not chosen:
        return out
    rows, cols, data, r_hi, t_of = [], [], [], [], []
    n_cols = n_rows = 0
    for ci in chosen:
        comp = comps[ci]
        r, c, v = comp.coo
        rows.append(r + n_rows)
        cols.append(c + n_cols)
        data.append(v)
        r_hi.append(np.where(np.isinf(hi[comp.variables]), np.inf, 0.0))
        t_of.append(local[ci] + n_cols)
        n_cols += len(comp.variables)
        n_rows += len(comp.rows)
    t_cols = np.concatenate(t_of)
    nt = len(t_cols)
    a_eq = sp.csr_array(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_cols + nt),
    )
    link = sp.csr_array(  # t_j - r_j <= 0
        (
            np.concatenate([np.ones(nt), -np.ones(nt)]),
            (np.tile(np.arange(nt), 2), np.concatenate([n_cols + np.arange(nt), t_cols])),
        ),
        shape=(nt, n_cols + nt),
    )
    result = milp(
        np.concatenate([np.zeros(n_cols), -np.ones(nt)]),
        bounds=Bounds(np.zeros(n_cols + nt), np.concatenate([*r_hi, np.ones(nt)])),
        constraints=[
            LinearConstraint(a_eq, np.zeros(n_rows), np.zeros(n_rows)),
            LinearConstraint(link, -np.inf, np.zeros(nt)),
        ],
    )
    if result.status != 0 or result.x is None:
        msg = f"HiGHS could not solve the direction problem (status {result.status}; a bug)"
        raise InternalError(msg)
    t = np.asarray(result.x)[n_cols:]
    at = 0
    for ci in chosen:
        k = len(local[ci])
        out[ci][local[ci]] = t[at : at + k] > 0.5
        at += k
    return out
