"""The batches of :mod:`wres.engine.protection.intervals`: the components of the attacker's
system, packed into programmes of at most ``BATCH_VARIABLES`` variables (one objective over
many components at once), and the check that a component is unbounded above.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from wres.engine.errors import InternalError
from wres.engine.protection.highs import milp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
#: Variables per packed problem: large enough to share HiGHS's per-call cost, small enough to
#: keep presolve quick.
BATCH_VARIABLES = 6000
#: Branch-and-bound nodes per integer problem before the linear bound is used instead
#: (deterministic, unlike a time limit).
NODE_LIMIT = 2000
#: Values within this of an integer are that integer.
TOLERANCE = 1e-6


class InconsistentSystemError(ValueError):
    """The published figures contradict each other; ``rows`` are relations that fail."""

    def __init__(self, rows: IntArray) -> None:
        self.rows = rows
        super().__init__(f"{len(rows)} relation(s) of the published table cannot hold")


@dataclass(frozen=True, slots=True)
class Component:
    variables: IntArray  # positions among the variables
    rows: IntArray  # rows of the system
    coo: tuple[IntArray, IntArray, FloatArray]  # local row, local column, coefficient
    integral: bool


@dataclass(frozen=True, slots=True)
class Job:
    component: int
    columns: IntArray  # local columns of the objective
    coefficients: FloatArray


def build_components(
    reduced: sp.csr_array,
    var_comp: IntArray,
    row_comp: IntArray,
    wanted: IntArray,
    exact_limit: int,
) -> list[Component]:
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
            Component(
                variables=vs,
                rows=rs,
                coo=(local_row[coo.row[es]], local_col[coo.col[es]], coo.data[es]),
                integral=len(vs) <= exact_limit,
            )
        )
    return out


class Packer:
    """Solves jobs in packed block-diagonal problems."""

    def __init__(
        self, comps: Sequence[Component], lo: FloatArray, hi: FloatArray, rhs: FloatArray
    ) -> None:
        self.comps = comps
        self.lo = lo
        self.hi = hi
        self.rhs = rhs

    def solve(
        self, jobs: Sequence[Job], *, integral: bool = False
    ) -> Iterator[tuple[Job, FloatArray, float, bool]]:
        """Yield (job, local solution, objective value, proved exact) for every job;
        ``integral`` forces integrality (one job per problem) whatever the size."""
        if integral:
            for job in jobs:
                yield from self._solve_batch([job], relax=False, force=True)
            return
        batch: list[Job] = []
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

    def _stacked(
        self, batch: Sequence[Job], *, relax: bool, force: bool
    ) -> tuple[sp.csr_array, FloatArray, Bounds, FloatArray, npt.NDArray[np.int8], list[int]]:
        """The batch's problems side by side in one programme: its constraint matrix (block
        diagonal), right-hand side, bounds, objective, integrality and each job's first column."""
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
        bounds = Bounds(np.concatenate(lo), np.concatenate(hi))
        return (
            matrix,
            np.concatenate(rhs),
            bounds,
            np.concatenate(cost),
            np.concatenate(integrality),
            col_start,
        )

    def _solve_batch(
        self, batch: Sequence[Job], *, relax: bool, force: bool = False
    ) -> Iterator[tuple[Job, FloatArray, float, bool]]:
        matrix, b, bounds, cost, ints, col_start = self._stacked(batch, relax=relax, force=force)
        n_rows = matrix.shape[0]
        result = milp(
            cost,
            integrality=ints,
            bounds=bounds,
            constraints=[LinearConstraint(matrix, b, b)] if n_rows else [],
            options={"mip_rel_gap": 0.0, "node_limit": NODE_LIMIT, "presolve": True},
        )
        if result.status == 0 and result.x is not None:
            x = np.asarray(result.x)
            for i, job in enumerate(batch):
                nv = len(self.comps[job.component].variables)
                part = x[col_start[i] : col_start[i] + nv]
                value = float(part[job.columns] @ job.coefficients)
                proved = bool(ints[col_start[i]]) or is_integral(part)
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


def is_integral(x: FloatArray) -> bool:
    return bool((np.abs(x - np.round(x)) <= TOLERANCE).all())


def unbounded_above(
    comps: Sequence[Component], local: Sequence[IntArray], hi: FloatArray
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
