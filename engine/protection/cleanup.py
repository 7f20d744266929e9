"""The cleanup of a withheld pattern (step 2 of :mod:`wres.engine.protection.flows`): each
withheld non-primary cell, most expensive first, is published again when every primary cell
keeps its room without it, until the cleanup's limits stop it (:class:`CleanupLimits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from wres.engine.progress import CLEANING, Progress, silent
from wres.engine.protection.moves import EPSILON, BoolArray, FloatArray, IntArray, Moves


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
    moves = Moves(matrix, (values - lower).astype(np.float64), hidden.copy())
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
    untried, why = clean_up(moves, protected, need_of, cost, limits=limits, progress=progress)
    return Cleanup(hidden=moves.hidden, untried=untried, stopped=why)


def _holds(moves: Moves, cells: IntArray, move: FloatArray) -> bool:
    """Is moving ``cells`` by ``move`` a move: every relation kept, only withheld cells moved,
    none below its least value?"""
    if not len(cells) or not moves.hidden[cells].all() or (move < -moves.slack[cells]).any():
        return False
    residual = moves.matrix[:, cells] @ move
    return bool((np.abs(residual) <= EPSILON).all())


def clean_up(
    moves: Moves,
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
    moves: Moves,
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
    moves: Moves,
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
    moves: Moves, need_of: dict[int, float], cell: int
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
