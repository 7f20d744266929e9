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

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint

from wres.engine.progress import MOVING, Progress, silent
from wres.engine.protection.cleanup import clean_up
from wres.engine.protection.highs import milp
from wres.engine.protection.moves import EPSILON, BoolArray, FloatArray, IntArray, Moves

#: Cost per unit moved of a cell already withheld, relative to the cheapest new cell.
WITHHELD_COST = 1e-3


@dataclass(frozen=True, slots=True)
class FlowResult:
    hidden: BoolArray
    #: programmes solved (for the benchmark's record)
    programmes: int


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
    moves = Moves(matrix, slack, hidden)
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
        clean_up(moves, primary, need_of, cost if cleanup_cost is None else cleanup_cost)
    return FlowResult(hidden=hidden.copy(), programmes=moves.programmes)
