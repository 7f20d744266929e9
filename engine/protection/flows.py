"""Protection by moves: linear programmes that find how withheld cells can shift together.

A *move* ``y`` changes cells without changing any relation (``A y = 0``), only withheld cells
(``y_j = 0`` for published ones), and keeps every withheld cell at least its least value
(``y_j >= -slack_j``). The attacker cannot tell the true table from the moved one, so the
largest upward and downward moves of a primary cell are the attacker's interval around it (for
an attacker who treats counts as continuous; the audit then checks the integer attacker).

1. Each primary cell in turn, smallest first: if the moves known so far (from earlier
   programmes) do not give it ``need`` room, its largest moves are computed; if still short,
   the cheapest move that lifts it by what is missing is found over all withheld *and
   withholdable* cells (Fischetti and Salazar's protection programme: cost per unit moved,
   nothing for cells already withheld), and every cell that move touches is withheld.
2. Cleanup: each withheld non-primary cell, most expensive first, is published again when every
   primary cell keeps its room. Every primary keeps the moves that proved its room; only the
   primaries whose moves use the cell are solved again (packed into one problem), so a cell that
   no proof uses goes for free. This is what brings the pattern close to the optimum.

Cost grows with (primaries x cells), so ``wres.rules.secondary`` uses this for tables of modest size
and the product-pattern search (``wres.engine.protection.patterns``) above that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from wres.engine.progress import CLEANING, MOVING, Progress, silent

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Moves smaller than this are no move.
EPSILON = 1e-7
#: Cost per unit moved of a cell already withheld, relative to the cheapest new cell.
WITHHELD_COST = 1e-3
#: Cost per unit moved in a largest-move programme: small beside the move itself, enough to
#: prefer moves through few cells.
SPARSITY_COST = 1e-4


@dataclass(frozen=True, slots=True)
class CleanupLimits:
    """When the cleanup stops; the pattern is safe wherever it stops. Its work is counted, not
    timed, so the result is the same on any machine: each linear programme counts its simplex
    iterations times its rows, 2-5e-8 s each on this machine. Measured with 2 values required
    (counts 1-4 withheld), cleaning up wholly: B (1,750 cells) 5.3e7 in all, 4e5 per cell
    published; 3,500 cells of the same shape 3.8e8, 2.3e6 per cell; 7,000 cells (B27) 5.1e9,
    1.2e7 per cell (never above 1.3e7 once past 1e8). C (7,000 cells over three years and their
    total) had published nothing at 3e8 and 26 cells at 2.6e9, 1e8 per cell: its moves go
    through four dimensions, each programme costs ten times B27's, and publishing one cell
    breaks many proofs."""

    #: the most work in all (B27 needs a quarter of it; about 10 minutes here)
    work: float = 2e10
    #: once past ``judged_after``, the cleanup stops when its work per cell published so far
    #: passes this (about a second per cell here): it has stopped paying
    per_cell: float = 4e7
    judged_after: float = 1e8

    def why_stop(self, work: float, published: int) -> str:
        """Why a cleanup that has done ``work`` and published ``published`` cells stops now
        ("" to go on)."""
        if work > self.work:
            return "at its work limit"
        if work > self.judged_after and work > self.per_cell * published:
            return (
                f"where it stopped paying ({published} cell(s) published for {work:.2g} work,"
                f" above {self.per_cell:.2g} a cell)"
            )
        return ""


#: ``wres protect``'s cleanup of a pattern
CLEANUP_LIMITS = CleanupLimits()
#: the moves method's own cleanup runs to the end
UNLIMITED = CleanupLimits(work=np.inf, per_cell=np.inf)


@dataclass(frozen=True, slots=True)
class Cleanup:
    """What the cleanup did: the withheld cells after it, the secondary cells it did not try
    and why it stopped before them ("" when it tried them all)."""

    hidden: BoolArray
    untried: int
    stopped: str


@dataclass(frozen=True, slots=True)
class FlowResult:
    hidden: BoolArray
    #: programmes solved (for the benchmark's record)
    programmes: int


class _Moves:
    """The system and the current withheld set, with the best known move per primary and
    direction: ``room[q, 0]`` upward, ``room[q, 1]`` downward, and the cells each uses."""

    def __init__(self, matrix: sp.csr_array, slack: FloatArray, hidden: BoolArray) -> None:
        self.matrix = sp.csc_array(matrix)
        self.slack = slack
        self.hidden = hidden
        self.room: dict[int, FloatArray] = {}
        self.uses: dict[tuple[int, int], IntArray] = {}
        self.programmes = 0
        #: the warm programme's work: simplex iterations times rows (see :class:`CleanupLimits`)
        self.work = 0.0
        #: the withheld cells' programme kept warm (:meth:`warm`): the cleanup only publishes
        self.programme: _Programme | None = None

    def warm(self) -> None:
        """From now on cells are only published: keep one programme over the withheld cells
        and solve it again from its last basis for each move (as :meth:`largest` does afresh)."""
        self.programme = _Programme(self.matrix, self.slack, self.hidden)

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
            found = [self.programme.largest(c, d, cap, excluded) for c, d in jobs]
            self.work = self.programme.work
            return found
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


class _Programme:
    """The largest-move programme of :meth:`_Moves.largest` over a fixed set of withheld cells,
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


def _cheapest_lift(
    matrix: sp.csr_array,
    *,
    slack: FloatArray,
    hidden: BoolArray,
    hideable: BoolArray,
    cost: FloatArray,
    cell: int,
    lift: float,
) -> tuple[IntArray, FloatArray] | None:
    """The cheapest move lifting ``cell`` by ``lift`` over withheld and withholdable cells."""
    cols = np.flatnonzero(hidden | hideable)
    k = len(cols)
    sub = sp.csr_array(matrix[:, cols])
    weight = np.where(hidden[cols], WITHHELD_COST, cost[cols])
    at = int(np.searchsorted(cols, cell))
    a_eq = sp.hstack([sub, -sub], format="csr")
    pin = sp.csr_array(
        (np.array([1.0, -1.0]), (np.array([0, 0]), np.array([at, k + at]))), shape=(1, 2 * k)
    )
    result = milp(
        np.concatenate([weight, weight]),
        bounds=Bounds(np.zeros(2 * k), np.concatenate([np.full(k, np.inf), slack[cols]])),
        constraints=[
            LinearConstraint(a_eq, np.zeros(a_eq.shape[0]), np.zeros(a_eq.shape[0])),
            LinearConstraint(pin, lift, lift),
        ],
    )
    if result.status != 0 or result.x is None:
        return None
    x = np.asarray(result.x)
    move = x[:k] - x[k:]
    used = np.abs(move) > EPSILON
    return cols[used], move[used]


def protect_by_moves(
    matrix: sp.csr_array,
    *,
    values: IntArray,
    lower: IntArray,
    primaries: IntArray,
    need: IntArray,
    hideable: BoolArray,
    cost: IntArray,
    cleanup: bool = True,
    cleanup_cost: IntArray | None = None,
    progress: Progress = silent,
) -> FlowResult:
    """Withhold cells until each primary (in the given order) has ``need`` room up plus down.

    ``cost`` weighs each unit moved through a cell in the lifting programmes; the cleanup tries
    the cells in decreasing ``cleanup_cost`` (default ``cost``). ``progress`` is told the
    primary cells done (stage :data:`wres.engine.progress.MOVING`)."""
    n = matrix.shape[1]
    primary = np.zeros(n, np.bool_)
    primary[primaries] = True
    slack = (values - lower).astype(np.float64)
    hidden = primary.copy()
    unit = cost.astype(np.float64) / float(cost[hideable].min() if hideable.any() else 1)
    moves = _Moves(matrix, slack, hidden)
    need_of = dict(zip(primaries.tolist(), need.astype(np.float64).tolist(), strict=True))

    def room(q: int) -> float:
        r = moves.room.get(q)
        return 0.0 if r is None else float(r.sum())

    for done, (p, required) in enumerate(zip(primaries.tolist(), need.tolist(), strict=True)):
        progress(MOVING, done, len(primaries))
        if room(p) >= required - EPSILON:
            continue
        for amount, cells, move in moves.largest([(p, 0), (p, 1)], cap=float(required)):
            if amount > EPSILON:
                moves.credit(cells, move, primary)
        if room(p) >= required - EPSILON:
            continue
        down = float(moves.room.get(p, np.zeros(2))[1])
        found = _cheapest_lift(
            matrix,
            slack=slack,
            hidden=hidden,
            hideable=hideable,
            cost=unit,
            cell=p,
            lift=required - down,
        )
        moves.programmes += 1
        if found is None:
            continue
        cells, move = found
        hidden[cells] = True
        moves.credit(cells, move, primary)
    progress(MOVING, len(primaries), len(primaries))
    if cleanup:
        _cleanup(moves, primary, need_of, cost if cleanup_cost is None else cleanup_cost)
    return FlowResult(hidden=hidden.copy(), programmes=moves.programmes)


def cleaned(
    matrix: sp.csr_array,
    *,
    values: IntArray,
    lower: IntArray,
    hidden: BoolArray,
    fixed: BoolArray,
    need: FloatArray,
    cost: IntArray,
    proofs: Sequence[tuple[IntArray, FloatArray]] = (),
    limits: CleanupLimits = UNLIMITED,
    progress: Progress = silent,
) -> Cleanup:
    """A withheld set (another method's: the product patterns) with every cell published again
    that no cell needs: the cleanup of :func:`protect_by_moves` from a pattern instead of from
    the lifting programmes. ``fixed``: withheld cells never published again (the primaries, the
    cells withheld before, those no one publishes); ``need``: the room (up plus down) each cell
    must keep, 0 for none. ``proofs``: moves already known (the pattern's own, as cells and
    how far each moves), each checked here and kept when it holds. Each cell that needs room
    and has not enough from them gets its largest moves up and down within ``hidden``; a cell
    that has not that room even so keeps whatever it has, and the cells its moves go through
    stay withheld (the audit and its repairs judge it). ``limits``: when the cleanup stops
    (:class:`CleanupLimits`), every cell it has published still safe; it says how many cells it
    did not try and why. ``progress`` is told the cells tried (stage
    :data:`wres.engine.progress.CLEANING`)."""
    moves = _Moves(matrix, (values - lower).astype(np.float64), hidden.copy())
    for cells, move in proofs:
        if _holds(moves, cells, move):
            moves.credit(cells, move, need > 0)
    moves.warm()
    needing = np.flatnonzero(hidden & (need > 0))
    for q in needing.tolist():
        for d in (0, 1):  # up first; down only while short (another cell's move may do)
            if moves.room.get(q, np.zeros(2)).sum() >= need[q] - EPSILON:
                break
            for amount, cells, move in moves.largest([(q, d)], cap=float(need[q])):
                if amount > EPSILON:
                    moves.credit(cells, move, need > 0)
    short = [
        q for q in needing.tolist() if moves.room.get(q, np.zeros(2)).sum() < need[q] - EPSILON
    ]
    keep = fixed.copy()
    for q in short:  # their moves may need every cell they go through
        for d in (0, 1):
            keep[moves.uses.get((q, d), np.zeros(0, np.int64))] = True
    need_of = {int(q): float(need[q]) for q in np.flatnonzero(hidden & keep)}
    need_of.update({int(q): float(need[q]) for q in needing.tolist()})
    for q in short:
        need_of[q] = 0.0  # judged by the audit, not here
    protected = np.zeros(len(values), np.bool_)
    protected[list(need_of)] = True
    untried, why = _cleanup(moves, protected, need_of, cost, limits=limits, progress=progress)
    return Cleanup(hidden=moves.hidden, untried=untried, stopped=why)


def _holds(moves: _Moves, cells: IntArray, move: FloatArray) -> bool:
    """Is moving ``cells`` by ``move`` a move: every relation kept, only withheld cells moved,
    none below its least value?"""
    if not len(cells) or not moves.hidden[cells].all() or (move < -moves.slack[cells]).any():
        return False
    residual = moves.matrix[:, cells] @ move
    return bool((np.abs(residual) <= EPSILON).all())


def _cleanup(
    moves: _Moves,
    primary: BoolArray,
    need_of: dict[int, float],
    cost: IntArray,
    *,
    limits: CleanupLimits = UNLIMITED,
    progress: Progress = silent,
) -> tuple[int, str]:
    """Publish again each withheld non-primary cell that no primary needs (see the module),
    until ``limits`` stop it; the cells not tried (0 when all were) and why it stopped."""
    hidden = moves.hidden
    moves.warm()
    by_row = sp.csr_array(moves.matrix)
    candidates = np.flatnonzero(hidden & ~primary)
    order = candidates[np.lexsort((candidates, -cost[candidates]))]
    published = 0
    for tried, j in enumerate(order.tolist()):
        progress(CLEANING, tried, len(order))
        if why := limits.why_stop(moves.work, published):
            progress(CLEANING, len(order), len(order))
            return len(order) - tried, why
        if _a_relation_falls_short(moves, by_row, primary, need_of, j):
            continue
        broken, short = _proofs_broken_by(moves, need_of, j)
        found = _new_proofs(moves, need_of, short, j, limits=limits, published=published)
        if found is None:
            if why := limits.why_stop(moves.work, published):  # stopped within the cell
                progress(CLEANING, len(order), len(order))
                return len(order) - tried, why
            continue
        moves.publish(j)
        published += 1
        for q, dirs in broken.items():
            for d in sorted(set(dirs) | set(short.get(q, []))):
                amount, cells = found.get((q, d), (0.0, np.zeros(0, np.int64)))
                moves.room[q][d] = amount
                if amount > EPSILON:
                    moves.uses[(q, d)] = cells
                else:
                    moves.uses.pop((q, d), None)
    progress(CLEANING, len(order), len(order))
    return 0, ""


def _new_proofs(
    moves: _Moves,
    need_of: dict[int, float],
    short: dict[int, list[int]],
    excluded: int,
    *,
    limits: CleanupLimits,
    published: int,
) -> dict[tuple[int, int], tuple[float, IntArray]] | None:
    """New moves for the short primaries with ``excluded`` published, or None as soon as one
    falls short or ``limits`` stop the cleanup (``published`` cells so far). A move found for
    one primary is tried on the others before a programme."""
    jobs = sorted(  # the primaries with least to spare first: a needed cell shows soonest
        ((q, d) for q, dirs in short.items() for d in dirs),
        key=lambda qd: (moves.room[qd[0]].sum() - need_of[qd[0]], qd),
    )
    found: dict[tuple[int, int], tuple[float, IntArray]] = {}
    trial: list[tuple[IntArray, FloatArray]] = []
    for q, d in jobs:
        rest = 1 - d
        if (q, rest) in found and found[(q, rest)][0] >= need_of[q] - EPSILON:
            found[(q, d)] = (0.0, np.zeros(0, np.int64))  # one direction is room enough
            continue
        if rest not in short[q]:
            other = float(moves.room[q][rest])
        else:
            other = found[(q, rest)][0] if (q, rest) in found else 0.0
        reused = _best_reuse(trial, q, d)
        if reused is not None and reused[0] + other >= need_of[q] - EPSILON:
            found[(q, d)] = reused
            continue
        if limits.why_stop(moves.work, published):
            return None
        ((amount, cells, move),) = moves.largest([(q, d)], cap=need_of[q], excluded=excluded)
        trial.append((cells, move))
        found[(q, d)] = (max(amount, 0.0), cells)
        if rest in short[q] and (q, rest) not in found:
            continue  # judged once both directions are known
        if found[(q, d)][0] + other < need_of[q] - EPSILON:
            return None
    return found


def _best_reuse(
    trial: list[tuple[IntArray, FloatArray]], cell: int, direction: int
) -> tuple[float, IntArray] | None:
    """The largest move of ``cell`` in ``direction`` among moves already found in a trial."""
    best: tuple[float, IntArray] | None = None
    for cells, move in trial:
        at = np.flatnonzero(cells == cell)
        if not len(at):
            continue
        amount = float(move[at[0]]) * (1.0 if direction == 0 else -1.0)
        if amount > EPSILON and (best is None or amount > best[0]):
            best = (amount, cells)
    return best


def _a_relation_falls_short(
    moves: _Moves,
    by_row: sp.csr_array,
    primary: BoolArray,
    need_of: dict[int, float],
    cell: int,
) -> bool:
    """Would publishing ``cell`` leave a relation whose withheld cells all count the same way
    (so their sum is known) with too little room for a primary cell among them? Then the cell
    is needed, without a programme: the primary moves at most by the others' slack."""
    by_col = moves.matrix
    for r in by_col.indices[by_col.indptr[cell] : by_col.indptr[cell + 1]]:
        members = by_row.indices[by_row.indptr[r] : by_row.indptr[r + 1]]
        coefs = by_row.data[by_row.indptr[r] : by_row.indptr[r + 1]]
        keep = moves.hidden[members] & (members != cell)
        others, signs = members[keep], coefs[keep]
        if not len(others) or not primary[others].any():
            continue
        if (signs > 0).any() and (signs < 0).any():
            continue  # a total and its part both withheld: no limit from this relation
        room = float(moves.slack[others].sum())
        if any(room < need_of[int(q)] - EPSILON for q in others[primary[others]]):
            return True
    return False


def _proofs_broken_by(
    moves: _Moves, need_of: dict[int, float], cell: int
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The primaries whose proofs move ``cell`` (with those directions), and among them the
    ones left short by their other proofs (with both directions, to be solved again)."""
    broken: dict[int, list[int]] = {}
    for (q, d), cells in moves.uses.items():
        if cell in set(cells.tolist()):
            broken.setdefault(q, []).append(d)
    short = {}
    for q, dirs in broken.items():
        unproved = [d for d in (0, 1) if d in dirs or (q, d) not in moves.uses]
        if sum(moves.room[q][d] for d in (0, 1) if d not in unproved) < need_of[q] - EPSILON:
            # both directions again: the proof kept may move the cell less than it can go (a
            # pattern's), and the cell is judged by how far it can go, not by its old proof
            short[q] = [0, 1]
    return broken, short
