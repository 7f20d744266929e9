"""The audit of a pattern and its repairs (:mod:`wres.rules.secondary`): a failing cell gets the
cheapest further cells that let it move (S1), after enough rounds a ray (S2), until the
attacker's audit passes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from wres.engine.errors import InternalError
from wres.engine.progress import (
    REPAIRING,
    prefixed,
)
from wres.engine.protection._kernels import INF
from wres.engine.protection.local import DEPTH, NEIGHBOURHOOD, Move, System, repair
from wres.rules.attacker_knowledge import Knowledge, Witness, knowledge
from wres.rules.audit import Certificate, audit
from wres.rules.local_witnesses import LOCAL_LIMITS, LocalLimits
from wres.rules.secondary_patterns import find_patterns
from wres.rules.secondary_settings import (
    BoolArray,
    IntArray,
    ProtectionRule,
    ProtectSettings,
    Task,
)
from wres.rules.table import LinkedTables

#: Neighbourhoods of a repair (relations crossed, cells at most), nearest first: as the
#: audit's local proofs, the nearest a little larger, and after it (None) the target's slab.
REPAIR_LEVELS: tuple[tuple[int, int] | None, ...] = (
    (DEPTH, NEIGHBOURHOOD),
    None,
    *LOCAL_LIMITS.levels[1:],
)
#: A slab (see :func:`slabs`) of more cells than this is not solved over.
SLAB_LIMIT = 6_000


def audit_and_repair(
    task: Task,
    hidden: BoolArray,
    witnesses: list[Witness],
    rules: npt.NDArray[np.object_],
    last_resort: BoolArray,
    *,
    reserve: BoolArray,
) -> tuple[Knowledge, Certificate, list[str]]:
    """Audit; while a cell fails, repair it (S1), after the repair rounds fall back (S2), which
    may withhold any of ``last_resort``, and when that holds nothing more, of ``reserve``."""
    notes: list[str] = []
    rounds = 0
    known, cert = _audited(task, hidden, witnesses, rounds)
    while not cert.ok:
        failing = cert.failures[np.argsort(task.tables.codes[cert.failures], kind="stable")]
        repairing = f"round {rounds + 1}, {REPAIRING}"
        task.progress(repairing, 0, len(failing))
        witnesses += cert.found
        added, moves, rule, said = _round_of_repairs(
            task, hidden, failing, rounds=rounds, last_resort=last_resort, reserve=reserve
        )
        witnesses += moves
        notes += said
        task.progress(repairing, len(failing), len(failing))
        if not len(added) and not moves:
            if rounds >= task.settings.repair_rounds:
                msg = "the fallback could not withhold more cells (a bug in wres)"
                raise InternalError(msg)
            rounds = task.settings.repair_rounds
            continue
        hidden[added] = True
        rules[added] = rule
        rounds += 1
        known, cert = _audited(task, hidden, witnesses, rounds)
    return known, cert, notes


def _limits(settings: ProtectSettings) -> LocalLimits:
    """The audit's local limits, with the settings' whole-component limit when they have one."""
    if settings.whole_limit is None:
        return LOCAL_LIMITS
    return replace(LOCAL_LIMITS, whole_limit=settings.whole_limit)


def _audited(
    task: Task, hidden: BoolArray, witnesses: list[Witness], rounds: int
) -> tuple[Knowledge, Certificate]:
    """The attacker's knowledge with the cells ``hidden`` withheld, and the audit of it (told
    as round ``rounds + 1`` after the first)."""
    told = task.progress if not rounds else prefixed(task.progress, f"round {rounds + 1}, ")
    known = knowledge(task.policy, task.figures, hidden & ~task.absent, task.absent)
    cert = audit(
        task.tables,
        known,
        task.policy,
        truth=task.values,
        witnesses=witnesses,
        exhaustive=task.settings.exhaustive_audit,
        exact_limit=task.settings.exact_limit,
        local=bool(task.settings.local_witnesses),
        local_limits=_limits(task.settings),
        progress=told,
    )
    return known, cert


def _round_of_repairs(
    task: Task,
    hidden: BoolArray,
    failing: IntArray,
    *,
    rounds: int,
    last_resort: BoolArray,
    reserve: BoolArray,
) -> tuple[IntArray, list[Witness], ProtectionRule, list[str]]:
    """The cells one round withholds for the ``failing`` cells, the moves that prove them, their
    rule and the notes it makes: a repair (S1) while ``rounds`` are left, the fallback (S2)
    after."""
    if rounds < task.settings.repair_rounds and task.settings.local_witnesses:
        added, moves = _repair_locally(task, hidden, failing)
        return added, moves, ProtectionRule.SECONDARY, []
    if rounds < task.settings.repair_rounds:
        return _repair(task, hidden, int(failing[0])), [], ProtectionRule.SECONDARY, []
    added, moves = _rays(task, hidden, failing, last_resort)
    notes: list[str] = []
    if not len(added):  # no ray withholds more: whole relations, so each round adds
        added = _fallback(task.tables, hidden, last_resort, failing)
    if not len(added) and reserve.any():
        added = _fallback(task.tables, hidden, last_resort | reserve, failing)
        notes.append(f"fallback S2 withheld {len(added)} reserved cell(s)")
    notes.append(f"fallback S2 for {len(failing)} cell(s)")
    return added, moves, ProtectionRule.FALLBACK, notes


def _repair(task: Task, hidden: BoolArray, cell: int) -> IntArray:
    """The cheapest further cells that let ``cell`` move up by the whole requirement: a linear
    programme over moves ``y = y_up - y_down`` of the withheld and withholdable cells with
    ``A y = 0`` (columns in a canonical order, so the answer does not depend on the rows' order).
    """
    tables, values = task.tables, task.values
    matrix = sp.csr_array(tables.constraints.matrix)
    movable = hidden | task.hideable | task.absent
    order = np.argsort(tables.codes, kind="stable")
    cols = order[movable[order]]
    k = len(cols)
    sub = sp.csr_array(matrix[:, cols])
    slack_down = (values[cols] - task.lowest).astype(np.float64)
    target = int(np.flatnonzero(cols == cell)[0])
    scale = float(task.cost.max())
    weight = np.where(hidden[cols], 1.0, task.cost[cols].astype(np.float64) / scale * 1e3)
    a_eq = sp.hstack([sub, -sub], format="csr")
    pin = sp.csr_array(
        (np.array([1.0, -1.0]), (np.array([0, 0]), np.array([target, k + target]))),
        shape=(1, 2 * k),
    )
    result = milp(
        np.concatenate([weight, weight]),
        bounds=Bounds(np.zeros(2 * k), np.concatenate([np.full(k, np.inf), slack_down])),
        constraints=[
            LinearConstraint(a_eq, np.zeros(a_eq.shape[0]), np.zeros(a_eq.shape[0])),
            LinearConstraint(pin, float(task.need - 1), np.inf),
        ],
    )
    if result.status != 0 or result.x is None:
        return np.zeros(0, np.int64)
    x = np.asarray(result.x)
    moved = (np.abs(x[:k]) > 1e-9) | (np.abs(x[k:]) > 1e-9)
    chosen = cols[moved]
    return np.sort(chosen[~hidden[chosen]])


def _repair_locally(
    task: Task, hidden: BoolArray, failing: IntArray
) -> tuple[IntArray, list[Witness]]:
    """Every failing cell at once, each by a small problem around it
    (``wres.engine.protection.local``): the cheapest further cells that let it move up by the
    whole requirement, and the move itself (a witness once they are withheld). A cell no small
    problem repairs is left to the next round, and then to the fallback."""
    values = task.values
    movable = hidden | task.hideable | task.absent
    low = np.where(movable, task.lowest - values, 0).astype(np.float64)
    high = np.where(movable, np.inf, 0.0)
    scale = float(task.cost.max())
    weight = np.where(hidden | task.absent, 1.0, task.cost / scale * 1e3)
    system = System.of(task.tables.constraints.matrix)
    moves: list[Move] = []
    todo = failing.astype(np.int64)
    # nearest first; then the cells of the target's own organisation (say) and their totals;
    # then further out by distance
    for level in REPAIR_LEVELS:
        if not len(todo):
            break
        depth, size = level or (0, 0)
        found = repair(
            system,
            low,
            high,
            todo,
            wanted=np.full(len(todo), task.need - 1, np.int64),
            cost=weight,
            depth=depth,
            size=size,
            around=None if level else slabs(task.tables, movable, todo),
        )
        moves += found
        todo = np.setdiff1d(todo, [move.target for move in found])
    added = np.zeros(task.tables.n_cells, np.bool_)
    for move in moves:
        added[move.cells] = True
    added &= ~hidden & ~task.absent
    return np.flatnonzero(added), [Witness(m.cells, m.deltas) for m in moves]


def slabs(tables: LinkedTables, movable: BoolArray, targets: IntArray) -> tuple[IntArray, IntArray]:
    """Each target's *slab* (CSR, the target first): the movable cells at its node of the
    dimension with the most nodes (a run's organisations), and those at that node's groups and
    total that sum them (the same node in every other dimension). A move that the nearest
    relations cannot make often stays within the organisation's own tables and its region's;
    relations fan out so fast at national scale that a neighbourhood by distance fills up
    before it gets there."""
    d = int(np.argmax([len(h.labels) for h in tables.hierarchies]))
    parents = tables.hierarchies[d].parents
    node = tables.coords[:, d].astype(np.int64)
    rest = tables.codes - node * int(tables.strides[d])
    candidates = np.flatnonzero(movable)
    by_node = candidates[np.argsort(node[candidates], kind="stable")]
    bounds = np.searchsorted(node[by_node], np.arange(len(parents) + 1))
    slab_of: dict[int, IntArray] = {}
    ptr, cells = [0], [np.zeros(0, np.int64)]
    for target in targets.tolist():
        at = int(node[target])
        if at not in slab_of:
            own = by_node[bounds[at] : bounds[at + 1]]
            parts = [own]
            up = parents[at]
            while up >= 0:
                theirs = by_node[bounds[up] : bounds[up + 1]]
                parts.append(theirs[np.isin(rest[theirs], rest[own])])
                up = parents[up]
            slab_of[at] = np.concatenate(parts)
        slab = slab_of[at]
        if len(slab) > SLAB_LIMIT:  # not an organisation's tables: too large to solve per cell
            slab = slab[:0]
        cells.append(np.concatenate([[target], slab[slab != target]]))
        ptr.append(ptr[-1] + len(cells[-1]))
    return np.asarray(ptr, np.int64), np.concatenate(cells).astype(np.int64)


def _rays(
    task: Task, hidden: BoolArray, failing: IntArray, last_resort: BoolArray
) -> tuple[IntArray, list[Witness]]:
    """The fallback's first try: for each failing cell, the cheapest *ray*, a product pattern
    that moves no cell down (mostly the totals above the cell, along every dimension), with
    every cell on it withheld. The cell can then grow without limit, and so can every cell on
    the ray: its one witness proves them all, so the cells it withholds need no proofs of their
    own, where withholding whole relations withholds small cells that do. A cell with no ray
    (the totals above it include a known zero) is left to :func:`_fallback`."""
    order = failing[np.lexsort((task.tables.codes[failing], task.values[failing]))]
    found, rays = find_patterns(
        replace(task, hideable=last_resort),
        order,
        np.full(len(order), INF, np.int64),
        hidden=hidden | task.absent,
        toll=np.zeros(task.tables.n_cells, np.int64),
        max_fan=0,
    )
    return np.flatnonzero(found & ~hidden), rays


def _fallback(
    tables: LinkedTables, hidden: BoolArray, hideable: BoolArray, failing: IntArray
) -> IntArray:
    """Every withholdable cell of every relation through a failing cell; when those are all
    withheld already, of every relation through those cells, and so on outwards."""
    by_cell = sp.csc_array(tables.constraints.matrix)
    by_row = sp.csr_array(by_cell)
    seen = np.zeros(tables.n_cells, np.bool_)
    frontier = np.unique(failing)
    while len(frontier):
        seen[frontier] = True
        rows = np.unique(_gather(by_cell, frontier))
        cells = np.unique(_gather(by_row, rows))
        new = cells[hideable[cells] & ~hidden[cells]]
        if len(new):
            return new.astype(np.int64)
        frontier = cells[~seen[cells]]
    return np.zeros(0, np.int64)


def _gather(matrix: sp.csc_array | sp.csr_array, index: IntArray) -> IntArray:
    """The indices stored under each of ``index`` (columns of a CSC, rows of a CSR)."""
    starts, ends = matrix.indptr[index], matrix.indptr[index + 1]
    if not len(index):
        return np.zeros(0, np.int64)
    return np.concatenate([matrix.indices[a:b] for a, b in zip(starts, ends, strict=True)]).astype(
        np.int64
    )
