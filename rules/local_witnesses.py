"""Witnesses from small problems around a cell (``wres.engine.protection.local``), for the audit
of a large system (:mod:`wres.rules.audit`): each is a table the attacker cannot tell from the
true one, found over the cell's neighbourhood instead of its whole component.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from wres.engine.progress import PROVING, Progress, silent
from wres.engine.protection.local import Move, System, prove, prove_together
from wres.rules.attacker_knowledge import BoolArray, FloatArray, IntArray, Knowledge, Witness

#: Cells whose local problems are solved before the next group is chosen.
LOCAL_GROUP = 64


@dataclass(frozen=True, slots=True)
class LocalLimits:
    """How far an audit with local witnesses looks around a cell, and how large a component it
    still solves whole."""

    #: neighbourhoods tried for a cell the witnesses do not prove: (relations crossed, cells at
    #: most), the small one first
    levels: tuple[tuple[int, int], ...] = ((3, 500), (5, 5000), (7, 12000))
    #: a cell the local witnesses leave unproved in a component of more unknown cells than this
    #: is not solved over its component (each programme would take minutes): it fails, and a
    #: protection repairs it (or falls back)
    whole_limit: int = 100_000


LOCAL_LIMITS = LocalLimits()
#: Up to this many cells to prove, the local problems' moves are sparse (``wres.engine.protection.
#: local``): a table's few unproved cells each get a move found fast (issue 6's N: 86 cells,
#: 145 s of integer programmes down to 11 s). Above it, dense: among many unproved cells close
#: together, a move that shifts many proves several at once (a national year: 13.1k cells;
#: sparse, 28,350 secondary cells in 864 s against 26,401 in 718 s dense).
SPARSE_UP_TO = 1_000


def local_witnesses(
    matrix: sp.csr_array,
    known: Knowledge,
    truth: IntArray,
    cells: BoolArray,
    *,
    up: FloatArray,
    down: FloatArray,
    required: FloatArray,
    levels: Sequence[tuple[int, int]] = LOCAL_LIMITS.levels,
    progress: Progress = silent,
) -> list[Witness]:
    """Witnesses for ``cells`` from small problems around each (``wres.engine.protection.local``):
    up as far as the requirement asks beyond what is proved down, then down for the rest.
    Cells go in groups of neighbours (in cell order); a witness found for one proves every cell
    it moves, so later groups skip the cells already proved. ``progress`` is told how many of
    ``cells`` are proved (:data:`wres.engine.progress.PROVING`)."""
    todo = np.flatnonzero(cells)
    if not len(todo):
        return []
    asked = todo
    sparse = len(todo) <= SPARSE_UP_TO
    system = System.of(matrix)
    t = truth.astype(np.float64)
    search = _Search(system, known.lower - t, known.upper - t, sparse, up.copy(), down.copy())

    def tell() -> None:
        proved = search.rise[asked] + search.fall[asked] + 1 >= required[asked]
        progress(PROVING, int(proved.sum()), len(asked))

    for depth, size in levels:
        for sign in (1, -1):
            for start in range(0, len(todo), LOCAL_GROUP):
                tell()
                group = todo[start : start + LOCAL_GROUP]
                short, amount = _still_short(
                    group, sign, search.rise, search.fall, required, t, known.lower
                )
                if len(short):
                    search.prove_short(short, amount, sign=sign, depth=depth, size=size)
        todo = todo[search.rise[todo] + search.fall[todo] + 1 < required[todo]]
        if not len(todo):
            break
    tell()
    return search.witnesses


@dataclass(eq=False)
class _Search:
    """The state of one search for local witnesses: the system and how far each cell may move
    down (``low``) and up (``high``) from its true count, how far the witnesses found so far
    move each cell up (``rise``) and down (``fall``), and those witnesses."""

    system: System
    low: FloatArray
    high: FloatArray
    sparse: bool
    rise: FloatArray
    fall: FloatArray
    witnesses: list[Witness] = field(default_factory=list)

    def record(self, move: Move) -> None:
        """Keep the witness; it proves every cell it moves by as much as it moves it."""
        self.witnesses.append(Witness(move.cells, move.deltas))
        np.maximum.at(self.rise, move.cells, np.maximum(move.deltas, 0))
        np.maximum.at(self.fall, move.cells, np.maximum(-move.deltas, 0))

    def prove_short(
        self, short: IntArray, amount: IntArray, *, sign: int, depth: int, size: int
    ) -> None:
        """Witnesses moving the cells ``short`` by ``amount`` in direction ``sign`` within
        neighbourhoods of ``depth`` relations and ``size`` cells: one move of them all together
        (over a quarter of ``size``) when there is one, then one of its own for each cell it
        leaves short."""
        together = prove_together(
            self.system,
            self.low,
            self.high,
            short,
            direction=sign,
            wanted=amount,
            depth=depth,
            size=max(1, size // 4),
            sparse=self.sparse,
        )
        if together is not None:
            self.record(together)
            gone = self.rise if sign > 0 else self.fall
            ahead = gone[short] < amount
            short, amount = short[ahead], amount[ahead]
            if not len(short):
                return
        moves = prove(
            self.system,
            self.low,
            self.high,
            short,
            direction=np.full(len(short), sign, np.int64),
            wanted=amount,
            depth=depth,
            size=size,
            sparse=self.sparse,
        )
        for move in moves:
            self.record(move)


def _still_short(  # noqa: PLR0917 - the arrays of one search
    cells: IntArray,
    sign: int,
    rise: FloatArray,
    fall: FloatArray,
    required: FloatArray,
    truth: FloatArray,
    lowest: FloatArray,
) -> tuple[IntArray, IntArray]:
    """The cells not yet proved, and how far each should move in direction ``sign``: up as far
    as the requirement asks beyond what is proved down; down for the rest, no further than the
    lower bound allows. Cells already proved that far are left out."""
    short = cells[rise[cells] + fall[cells] + 1 < required[cells]]
    if sign > 0:
        reach = required[short] - 1 - fall[short]
    else:
        reach = np.minimum(required[short] - 1 - rise[short], truth[short] - lowest[short])
    ahead = reach > (rise if sign > 0 else fall)[short]
    return short[ahead], reach[ahead].astype(np.int64)
