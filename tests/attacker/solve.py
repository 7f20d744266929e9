"""The reader's best inference about each withheld count: the least and greatest whole number it
can be, with HiGHS.

The published counts are fixed and substituted. From one whole-number solution of what is
left (the caller's, or one found by integer programming), the counts to judge are first pushed
together over their components, round after round while a round settles any (a whole-number
optimum is a solution, so every count reaches its value there). Each count still open is then
pushed down and up over the unknowns near it, every other unknown held where the solution has
it: a linear programme over the unknowns within a few relations of the count, then further
out. Its optimum, when in whole numbers, is a solution of the whole system (the unknowns held
keep every relation they are in), so the count surely reaches that value. A count shown to
reach the withheld range and to range over enough values, or shown to be above the range, is
settled. Every other count gets its exact least and greatest values over its whole component
(the unknowns linked to it by relations): by linear programme, kept in HiGHS and re-solved from
its last basis for each count; where the optimum is not in whole numbers, by integer programme
(``scipy.optimize.milp``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from tests.attacker.system import CAP, PackSystem, Policy

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
#: Neighbourhoods of the first pushes: (relations crossed, unknowns at most).
NEAR: tuple[tuple[int, int], ...] = ((3, 1_000), (5, 10_000))
#: HiGHS's simplex_strategy: dual simplex (its default) for the pushes, primal simplex for one
#: count's least or greatest value over its component (from one count to the next only the
#: objective changes, so the last basis stays feasible and primal simplex goes on from it).
DUAL, PRIMAL = 1, 4


@dataclass(frozen=True, eq=False)
class Inference:
    """Per variable: values it surely reaches (``low``, ``high``: inside the reader's exact
    interval) and bounds it surely keeps (``outer_low``, ``outer_high``: outside it, from the
    linear relaxation where solved). Where the two agree the end is exact."""

    low: FloatArray
    high: FloatArray
    outer_low: FloatArray
    outer_high: FloatArray

    def exact(self, i: int) -> bool:
        return bool(self.low[i] == self.outer_low[i] and self.high[i] == self.outer_high[i])


class InconsistentError(AssertionError):
    """The published figures cannot all hold under the reader's relations."""


def infer(
    system: PackSystem,
    policy: Policy,
    cells: Sequence[int] | IntArray | None = None,
    *,
    start: FloatArray | None = None,
    exhaustive: bool = False,
) -> Inference:
    """Intervals of ``cells`` (default: every withheld count) good enough to judge the
    requirement; exact for every one with ``exhaustive``. ``start``: a whole-number solution of
    the system (every variable), if the caller has one."""
    targets = np.flatnonzero(system.withheld) if cells is None else np.asarray(cells, np.int64)
    problem = _Problem.of(system)
    x0 = problem.solution() if start is None else np.asarray(start, np.float64)
    problem.check(x0)
    state = _State(x0.copy(), x0.copy(), system.lower.copy(), system.upper.copy())
    judges = [
        _Judge(int(i), state, policy, exhaustive=exhaustive)
        for i in targets
        if not problem.fixed[i]
    ]
    if not exhaustive:
        _together(problem, judges, x0, policy, state)
        for judge in judges:
            _near(problem, judge, x0)
        _together(problem, judges, x0, policy, state)
    for judge in judges:
        whole = problem.component(judge.i) if not judge.decided() else None
        for integer in (False, True):
            for sign in (1.0, -1.0):
                if whole is None or judge.decided():
                    break
                whole.optimum(judge.i, sign, state, integer=integer)
    for end in (state.high, state.outer_high):
        end[end >= CAP // 2] = np.inf  # pushed against the cap: unbounded
    return Inference(state.low, state.high, state.outer_low, state.outer_high)


def _together(
    problem: _Problem, judges: Sequence[_Judge], x0: FloatArray, policy: Policy, state: _State
) -> None:
    """The counts not yet settled pushed together over their whole components: those that
    need to rise up, those that need to reach the range down, then the other way round (one
    programme settles many of them at once); again over the counts still open (another
    objective, another solution) while a round settles any."""
    open_ = [j for j in judges if not j.decided()]
    while open_:
        for comp in sorted({int(problem.label[j.i]) for j in open_}):
            mine = [j for j in open_ if problem.label[j.i] == comp]
            whole = problem.component(mine[0].i)
            for direction in (1.0, -1.0):
                weights = {
                    j.i: direction * (-1.0 if x0[j.i] <= policy.at_most else 1.0)
                    for j in mine
                    if not j.decided()
                }
                if weights:
                    whole.push(weights, state)
        still = [j for j in open_ if not j.decided()]
        if len(still) == len(open_):
            return
        open_ = still


def _near(problem: _Problem, judge: _Judge, x0: FloatArray) -> None:
    """Push the count over the unknowns near it, the others held at ``x0``: a small count
    first upwards (one push far enough settles it), a larger one first downwards (into the
    withheld range)."""
    i = judge.i
    for depth, most in NEAR:
        if judge.decided():
            return
        near = problem.around(i, depth, most)
        for sign in (-1.0, 1.0) if x0[i] <= judge.policy.at_most else (1.0, -1.0):
            if judge.decided():
                return
            x = problem.optimum(near, x0, int(np.searchsorted(near, i)), sign)
            judge.state.reached(near, x)


@dataclass(eq=False)
class _State:
    low: FloatArray
    high: FloatArray
    outer_low: FloatArray
    outer_high: FloatArray

    def reached(self, cells: IntArray, x: FloatArray) -> None:
        self.low[cells] = np.minimum(self.low[cells], x)
        self.high[cells] = np.maximum(self.high[cells], x)


@dataclass(frozen=True)
class _Judge:
    """Whether what is known of one count decides the requirement (or, ``exhaustive``, its
    exact interval)."""

    i: int
    state: _State
    policy: Policy
    exhaustive: bool

    def decided(self) -> bool:
        s, i, at_most, need = self.state, self.i, self.policy.at_most, self.policy.need
        if s.low[i] == s.outer_low[i] and s.high[i] == s.outer_high[i]:
            return True
        if self.exhaustive:
            return False
        if s.outer_low[i] > at_most:  # shown above the withheld range: nothing required
            return True
        if s.low[i] <= at_most and s.high[i] - s.low[i] + 1 >= need:  # shown to range widely
            return True
        # shown to reach the range and to range too little
        return bool(s.low[i] <= at_most and s.outer_high[i] - s.outer_low[i] + 1 < need)


@dataclass(eq=False)
class _Problem:
    """The system with its published counts fixed."""

    matrix: sp.csr_array
    by_column: sp.csc_array
    lower: FloatArray
    upper: FloatArray
    fixed: BoolArray
    label: IntArray
    components: dict[int, _Component]
    #: the matrix's non-zeros as ones
    pattern: sp.csr_array

    @classmethod
    def of(cls, system: PackSystem) -> _Problem:
        matrix = sp.csr_array(system.matrix)
        fixed = system.lower == system.upper
        rhs = matrix @ np.where(fixed, system.lower, 0.0)
        free_rows = np.diff(sp.csr_array(matrix[:, np.flatnonzero(~fixed)]).indptr) > 0
        if (np.abs(rhs[~free_rows]) > 0.5).any():
            raise InconsistentError("published counts break a relation with no unknown in it")
        unknown = sp.csr_array(matrix.multiply(~fixed[None, :]))
        unknown.eliminate_zeros()
        _, label = connected_components(unknown.T @ unknown, directed=False)
        return cls(
            matrix,
            sp.csc_array(matrix),
            system.lower,
            system.upper,
            fixed,
            label,
            {},
            sp.csr_array((np.ones(matrix.nnz), matrix.indices, matrix.indptr), matrix.shape),
        )

    def check(self, x: FloatArray) -> None:
        """``x`` is a whole-number solution."""
        bad = (
            np.abs(self.matrix @ x).max(initial=0) > 1e-6
            or (x < self.lower - 1e-9).any()
            or (x > self.upper + 1e-9).any()
            or np.abs(x - np.round(x)).max(initial=0) > 1e-9
        )
        if bad:
            raise InconsistentError("the starting point is not a whole-number solution")

    def solution(self) -> FloatArray:
        """A whole-number solution of the whole system."""
        result = milp(
            np.zeros(len(self.lower)),
            integrality=np.ones(len(self.lower)),
            bounds=Bounds(self.lower, self.upper),
            constraints=[LinearConstraint(self.matrix, 0, 0)],
        )
        if result.status != 0 or result.x is None:
            raise InconsistentError(f"no whole-number solution: {result.message}")
        return np.round(result.x)

    def around(self, cell: int, depth: int, most: int) -> IntArray:
        """The unknowns within ``depth`` relations of ``cell``, nearest first, at most
        ``most`` of them; sorted."""
        inside = np.zeros(self.matrix.shape[1], np.bool_)
        inside[cell] = True
        order = [np.array([cell])]
        reach = inside.astype(np.float64)
        for _ in range(depth):
            rows = (self.pattern @ reach) != 0
            cols = (self.pattern.T @ rows.astype(np.float64)) != 0
            new = np.flatnonzero(cols & ~inside & ~self.fixed)
            if not len(new):
                break
            room = most - int(inside.sum())
            if room <= 0:
                break
            new = new[:room]
            inside[new] = True
            order.append(new)
            reach = inside.astype(np.float64)
        return np.flatnonzero(inside)

    def optimum(self, near: IntArray, x0: FloatArray, j: int, sign: float) -> FloatArray:
        """``near``'s values at the least (``sign`` 1) or greatest value of ``near[j]``, every
        other variable held at ``x0``; ``x0``'s own values where that is not in whole
        numbers."""
        rows = np.unique(self.by_column[:, near].indices)
        a = sp.csr_array(self.matrix[rows])
        inside = np.zeros(self.matrix.shape[1], np.bool_)
        inside[near] = True
        outside = np.where(inside, 0.0, x0)
        b = -(a @ outside)
        local = sp.csr_array(a[:, near])
        lower = self.lower[near]
        upper = self.upper[near]
        x = _relaxation(local, b, lower, upper, j=j, sign=sign)
        if x is None or np.abs(x - np.round(x)).max(initial=0) > 1e-6:
            return x0[near]
        return np.round(x)

    def component(self, cell: int) -> _Component:
        comp = int(self.label[cell])
        if comp not in self.components:
            members = np.flatnonzero((self.label == comp) & ~self.fixed)
            rows = np.unique(self.by_column[:, members].indices)
            a = sp.csr_array(self.matrix[rows])
            b = -(a @ np.where(self.fixed, self.lower, 0.0))
            self.components[comp] = _Component(
                sp.csr_array(a[:, members]), b, self.lower[members], self.upper[members], members
            )
        return self.components[comp]


def _relaxation(
    a: sp.csr_array, b: FloatArray, lower: FloatArray, upper: FloatArray, *, j: int, sign: float
) -> FloatArray | None:
    highs = _highs(a, b, lower, upper)
    highs.changeColCost(j, sign)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(highs.getSolution().col_value)


def _highs(a: sp.csr_array, b: FloatArray, lower: FloatArray, upper: FloatArray) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # one thread: a thread pool for each small programme costs ten times its solve
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("presolve", "off")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.zeros(a.shape[1])
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.row_lower_, lp.row_upper_ = b, b
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = a.shape[1], a.shape[0]
    highs.passModel(lp)
    return highs


class _Component:
    """One component's relaxation, kept in HiGHS between objectives."""

    def __init__(
        self,
        a: sp.csr_array,
        b: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        members: IntArray,
    ) -> None:
        self.a, self.b, self.lower, self.upper, self.members = a, b, lower, upper, members
        self.highs = _highs(a, b, lower, upper)
        self.costed: int | None = None

    def push(self, weights: dict[int, float], state: _State) -> None:
        """Minimise ``sum(weight * count)`` over the relaxation; a whole-number solution
        counts as values reached."""
        at = np.searchsorted(self.members, np.array(list(weights), np.int64))
        if self.costed is not None:
            self.highs.changeColCost(self.costed, 0.0)
            self.costed = None
        cost = np.zeros(len(self.members))
        cost[at] = np.array(list(weights.values()))
        self.highs.changeColsCost(
            len(self.members), np.arange(len(self.members), dtype=np.int32), cost
        )
        self.highs.setOptionValue("simplex_strategy", DUAL)
        self.highs.run()
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(self.highs.getSolution().col_value)
            if np.abs(x - np.round(x)).max() < 1e-6:
                state.reached(self.members, np.round(x))
        self.highs.changeColsCost(
            len(self.members),
            np.arange(len(self.members), dtype=np.int32),
            np.zeros(len(self.members)),
        )

    def optimum(self, cell: int, sign: float, state: _State, *, integer: bool) -> None:
        """The count's least (``sign`` 1) or greatest (-1) value: over the relaxation (an outer
        bound, exact when its solution is in whole numbers) or, ``integer``, over whole
        numbers."""
        j = int(np.searchsorted(self.members, cell))
        if integer:
            objective = np.zeros(len(self.members))
            objective[j] = sign
            result = milp(
                objective,
                integrality=np.ones(len(self.members)),
                bounds=Bounds(self.lower, self.upper),
                constraints=[LinearConstraint(self.a, self.b, self.b)],
            )
            if result.status != 0 or result.x is None:
                raise InconsistentError(f"integer programme not solved: {result.message}")
            x = np.round(result.x)
            bound = x[j]
        else:
            if self.costed is not None:
                self.highs.changeColCost(self.costed, 0.0)
            self.highs.changeColCost(j, sign)
            self.costed = j
            self.highs.setOptionValue("simplex_strategy", PRIMAL)
            self.highs.run()
            status = self.highs.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                name = self.highs.modelStatusToString(status)
                raise InconsistentError(f"relaxation not solved: {name}")
            x = np.asarray(self.highs.getSolution().col_value)
            bound = np.ceil(x[j] - 1e-6) if sign > 0 else np.floor(x[j] + 1e-6)
        if sign > 0:
            state.outer_low[cell] = max(state.outer_low[cell], bound)
        else:
            state.outer_high[cell] = min(state.outer_high[cell], bound)
        if np.abs(x - np.round(x)).max() < 1e-6:
            state.reached(self.members, np.round(x))


def completed(system: PackSystem, known: FloatArray) -> FloatArray:
    """A whole-number solution agreeing with ``known`` where it is not NaN (the true counts:
    the classes nobody publishes are then solved for)."""
    given = ~np.isnan(known)
    lower = np.where(given, known, system.lower)
    upper = np.where(given, known, system.upper)
    result = milp(
        np.zeros(len(lower)),
        integrality=np.ones(len(lower)),
        bounds=Bounds(lower, upper),
        constraints=[LinearConstraint(sp.csr_array(system.matrix), 0, 0)],
    )
    if result.status != 0 or result.x is None:
        raise InconsistentError(f"the known counts break the reader's relations: {result.message}")
    return np.round(result.x)
