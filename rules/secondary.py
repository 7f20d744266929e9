"""Secondary suppression: withhold further cells until no small count can be narrowed down.

``protect(tables, policy)`` takes linked count tables (``wres.rules.table.LinkedTables``) and
returns which cells are withheld, why (rule id and reason per cell) and the audit's certificate.
The requirement is the audit's (``wres.rules.audit``): every withheld cell the attacker cannot place
above the withheld range keeps ``[secondary] min_attacker_interval`` possible values.

1. Primary cells: the counts the policy withholds on their own account (P1: 1..N; P3: zeros,
   when the policy says zeros are sensitive), or the cells a caller marks (P0).
2. Secondary cells (rule S1), smallest primary cells first, counting cells already withheld as
   free; published zeros are never withheld (the attacker knows a withheld cell is at least 1):
   - moves (``wres.engine.protection.flows``), for tables up to ``moves_limit`` primaries x cells:
     the cheapest joint move of withheld cells that lifts each cell far enough, by linear
     programme, then a cleanup that publishes again every cell no proof needs; close to the
     optimum;
   - patterns (``wres.engine.protection.patterns``), for larger ones: the cheapest product pattern
     per cell (a hypercube generalised to hierarchies), or a fan of several sharing out their
     room when that is cheaper or no single one will do, then patterns the others make
     unnecessary are dropped; fast at any size, and every pattern is a proof (witness tables).
     A table of up to ``cleanup_up_to`` cells then gets the moves method's cleanup: each
     secondary cell, most expensive first, is published again when every cell keeps its room
     (linear programmes over the withheld cells only, kept warm in HiGHS); the witnesses that
     went through a cell published again are dropped and the audit proves those cells.
3. The audit is the judge: it checks the witness tables against every relation and bound
   itself, and solves the exact interval of every cell they do not prove (relations beyond the
   hierarchies, ``extra_rows``, can break a pattern).
4. Repair: a failing cell gets the cheapest set of further cells that lets it move (a linear
   programme over the whole system, S1; for a run or a table of more than ``LOCAL_ABOVE`` cells
   (``local_witnesses``), over its neighbourhood,
   then its slab, then further out), then the audit runs again.
5. Fallback, so protection never fails (S2): a cell still failing after the repair rounds gets
   a ray, the cheapest product pattern through it that moves no cell down (mostly the totals
   above it), all withheld: it can then grow without limit, and the ray proves every cell on it.
   A cell with no ray has every cell of every relation through it withheld, repeatedly, until
   the audit passes. It ends: once all the totals above a cell are withheld it can grow
   without limit.

Cost (``[secondary] cost``): ``"cells"`` minimises the number of withheld cells and, among
equal numbers, the counts withheld (so small cells before totals); ``"values"`` minimises the
counts withheld. The result does not depend on the order of the input rows: cells are worked on
in the order of their keys, and every limit is a count, never a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from wres.engine.errors import ConfigError, InternalError
from wres.engine.progress import (
    CLEANING,
    REPAIRING,
    SEARCHING,
    SEARCHING_AGAIN,
    Progress,
    prefixed,
    silent,
)
from wres.engine.protection._kernels import INF
from wres.engine.protection.flows import CLEANUP_LIMITS, CleanupLimits, cleaned, protect_by_moves
from wres.engine.protection.intervals import EXACT_LIMIT
from wres.engine.protection.local import DEPTH, NEIGHBOURHOOD, Move, System, repair
from wres.engine.protection.patterns import (
    MAX_FAN,
    MAX_LINE_PATTERNS,
    SearchResult,
    Tree,
    search_patterns,
)
from wres.rules.audit import (
    LOCAL_LIMITS,
    Certificate,
    Knowledge,
    Witness,
    audit,
    knowledge,
    published_count,
    witness_ranges,
)
from wres.rules.policy import Policy
from wres.rules.table import CellState, LinkedTables

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class ProtectionRule(StrEnum):
    """Rule ids of withheld cells (primary ids as in ``wres.rules.suppression``)."""

    SMALL_COUNT = "P1"
    ZERO_COUNT = "P3"
    MARKED = "P0"
    SECONDARY = "S1"
    FALLBACK = "S2"


REASONS: dict[ProtectionRule, str] = {
    ProtectionRule.SMALL_COUNT: "count in the suppressed range",
    ProtectionRule.ZERO_COUNT: "zero count, sensitive under this policy",
    ProtectionRule.MARKED: "marked as primary by the caller",
    ProtectionRule.SECONDARY: (
        "withheld so that no withheld count can be narrowed below the policy's interval"
    ),
    ProtectionRule.FALLBACK: (
        "fallback: the totals above a cell the search and repairs could not protect (or every"
        " cell of each relation through it), so that it can grow without limit"
    ),
}


#: Patterns of tables up to this many cells are cleaned up (``ProtectSettings.cleanup_up_to``),
#: within the cleanup's limits (``ProtectSettings.cleanup``). Measured with 2 values
#: required (counts 1-4 withheld) on issue 19's shape, 19 categories in 5 groups x 9 bands x
#: sites: 1,750 cells (B), 318 secondary cells withheld by the patterns alone, 195 after the
#: cleanup (5-10 s); 3,500 cells, 474 and 311 (34 s); 7,000 cells, 1,023 and 612 (409 s on a
#: busy machine; 130 s on a quiet one). Table C (7,000 cells over three years and their total)
#: stops within seconds, its cleanup not paying (``CleanupLimits``).
CLEANUP_UP_TO = 10_000


@dataclass(frozen=True, slots=True)
class ProtectSettings:
    """How hard the protection works (the policy says what it must achieve)."""

    #: line patterns tried per node and dimension in the pattern search
    line_patterns: int = MAX_LINE_PATTERNS
    #: components up to this many withheld cells get their exact interval for every cell
    exact_limit: int = EXACT_LIMIT
    #: exact intervals for every withheld cell, whatever the component's size (slow)
    exhaustive_audit: bool = False
    #: repair rounds by linear programme before the fallback
    repair_rounds: int = 10
    #: "moves" (linear programmes per primary cell, then cleanup: close to the optimum, cost
    #: grows with primaries x cells), "patterns" (product patterns: fast at any size), or
    #: "auto": moves up to ``moves_limit`` primaries x cells, patterns above
    method: str = "auto"
    moves_limit: int = 50_000
    #: a pattern of a table of at most this many cells is cleaned up as the moves' is: each
    #: secondary cell no cell's room needs is published again (linear programmes over the
    #: withheld cells only); 0: never
    cleanup_up_to: int = CLEANUP_UP_TO
    #: when the cleanup stops: at a work limit, or once it stops paying (work counted, not
    #: timed: ``wres.engine.protection.flows.CleanupLimits``); the pattern is safe wherever it
    #: stops, and the protection's notes say how many cells it did not try and why
    cleanup: CleanupLimits = CLEANUP_LIMITS
    #: cost shapes the moves method tries (the best result is kept)
    moves_starts: int = 2
    #: a withheld cell the patterns do not prove gets a witness from a small problem around it
    #: before any problem of its whole component (large systems); None: for tables of more than
    #: ``LOCAL_ABOVE`` cells (smaller ones get the exact interval of every cell in a component
    #: of at most ``exact_limit`` withheld cells)
    local_witnesses: bool | None = None

    def __post_init__(self) -> None:
        if self.method not in ("auto", "moves", "patterns"):
            msg = f"method {self.method!r}: use 'auto', 'moves' or 'patterns'"
            raise ConfigError(msg)


@dataclass(frozen=True, eq=False)
class Protection:
    """Which cells are withheld, why, and the audit that proves it."""

    tables: LinkedTables
    primary: BoolArray
    secondary: BoolArray
    #: per cell: its rule id ("" for a published cell)
    rules: tuple[str, ...]
    certificate: Certificate
    #: the figure each published cell is published as (rounded when the policy rounds)
    figures: IntArray
    knowledge: Knowledge
    notes: tuple[str, ...] = field(default=())
    #: cells the protection withheld and then published, since a reader recovers them exactly
    #: from what is published (``wres.rules.run_protection.published_when_known``)
    recovered: int = 0

    def renumbered(self, order: IntArray, tables: LinkedTables) -> Protection:
        """This protection of ``tables.reordered(order)``, told in ``tables``' own order."""
        back = np.empty(len(order), np.int64)
        back[order] = np.arange(len(order))
        known = self.knowledge
        return Protection(
            tables=tables,
            primary=self.primary[back],
            secondary=self.secondary[back],
            rules=tuple(self.rules[i] for i in back),
            certificate=self.certificate.renumbered(order),
            figures=self.figures[back],
            knowledge=Knowledge(
                known.lower[back], known.upper[back], known.hidden[back], known.absent[back]
            ),
            notes=self.notes,
            recovered=self.recovered,
        )

    @property
    def hidden(self) -> BoolArray:
        return self.primary | self.secondary

    def states(self) -> list[CellState]:
        return [
            CellState.PRIMARY if p else CellState.SECONDARY if s else CellState.PUBLISHED
            for p, s in zip(self.primary, self.secondary, strict=True)
        ]

    def decisions(self) -> pl.DataFrame:
        """One row per withheld cell: key, state, rule, reason (never a value)."""
        cells = np.flatnonzero(self.hidden)
        rules = [self.rules[i] for i in cells]
        reasons = [REASONS[ProtectionRule(r)] for r in rules]
        states = [str(CellState.PRIMARY if self.primary[i] else CellState.SECONDARY) for i in cells]
        return pl.concat(
            [
                self.tables.keys_frame(cells),
                pl.DataFrame({"state": states, "rule": rules, "reason": reasons}),
            ],
            how="horizontal",
        )

    def certificate_frame(self) -> pl.DataFrame:
        """The certificate with each cell's state and rule beside it."""
        cert = self.certificate.frame(self.tables)
        cells = self.certificate.cells
        state = [str(CellState.PRIMARY if self.primary[i] else CellState.SECONDARY) for i in cells]
        extra = pl.DataFrame({"state": state, "rule": [self.rules[i] for i in cells]})
        k = len(self.tables.hierarchies)
        return pl.concat(
            [cert.select(cert.columns[:k]), extra, cert.select(cert.columns[k:])],
            how="horizontal",
        )


def primary_cells(tables: LinkedTables, policy: Policy) -> BoolArray:
    """The cells the policy withholds on their own account."""
    v = tables.values
    small = (v >= 1) & (v <= policy.primary.suppress_if_count_at_most)
    if policy.primary.suppress_zero_counts:
        small |= v == 0
    return small


def cell_costs(values: IntArray, cost: str) -> IntArray:
    """Cost of withholding each cell, lexicographic in integers."""
    if cost == "cells":  # count first; among equal counts, fewer people withheld
        return int(values.sum()) + 1 + values
    if cost == "values":  # people withheld first; among equal, fewer cells
        return values * (len(values) + 1) + 1
    msg = f"unknown cost {cost!r}; use 'cells' or 'values'"
    raise ConfigError(msg)


@dataclass(frozen=True, eq=False)
class _Task:
    """One protection problem: the tables, the policy's numbers, what may be withheld."""

    tables: LinkedTables
    policy: Policy
    settings: ProtectSettings
    primary: BoolArray
    hideable: BoolArray
    cost: IntArray
    figures: IntArray
    absent: BoolArray
    balance: BoolArray
    #: cells to keep published: a pattern through one pays ``KEEP_TOLL`` cells for it
    keep: BoolArray
    #: cells withheld from the start (free to every pattern)
    withheld: BoolArray | None = None
    #: told how far the search, the audit and the repairs have got
    progress: Progress = silent

    @property
    def values(self) -> IntArray:
        return self.tables.values

    @property
    def need(self) -> int:
        return self.policy.secondary.min_attacker_interval

    @property
    def lowest(self) -> int:
        """The least value of a withheld cell (1 when zeros are published)."""
        return 0 if self.policy.primary.suppress_zero_counts else 1


def protect(
    tables: LinkedTables,
    policy: Policy,
    *,
    primary: BoolArray | None = None,
    settings: ProtectSettings | None = None,
    absent: BoolArray | None = None,
    fixed: BoolArray | None = None,
    balance: BoolArray | None = None,
    keep: BoolArray | None = None,
    withheld: BoolArray | None = None,
    reserve: BoolArray | None = None,
    coarseness: IntArray | None = None,
    progress: Progress = silent,
) -> Protection:
    """Withhold the primary cells and enough others that every withheld cell the attacker
    cannot place above the withheld range keeps at least ``[secondary] min_attacker_interval``
    possible values (``wres.rules.audit``); return the pattern, the decisions and the certificate.

    ``primary`` marks the cells withheld on their own account (default: the policy's counts,
    P1 and P3); a run passes its own primary cells here. The cells are worked on in a canonical
    order (by key), so the result does not depend on the order they come in.

    ``absent`` marks cells that are not published at all (unknown to the attacker, never
    withheld, no requirement): a run's sums that nobody publishes, kept for their relations.
    ``fixed`` marks published cells that may never be withheld (a run's known zeros).
    ``keep`` marks cells to publish if at all possible (a run's organisation-wide figures): one
    the pattern search withholds is published again and the cells that relied on it are
    repaired with others; only the fallback withholds it again.
    ``balance`` marks the cells a pattern's witness moves first to keep an extra relation
    (a run's remainders, ``at risk - events``).
    ``withheld`` marks cells withheld before (a run's organisation-level cells its first stage
    withheld): withheld from the start (rule S1), free to every pattern, audited like any.
    ``reserve`` marks published cells withheld only when the fallback can withhold nothing
    else (a run's organisation-level figures its first stage published).
    ``coarseness`` is each cell's number of cut columns at their total: withholding a cell costs
    ``[secondary] coarser_level_cost`` to that power times its cost, so finer cells go first.

    ``progress`` is told each stage (``wres.engine.progress``): the search, each audit round and its
    repairs. It only watches: the result is the same with or without it."""
    canonical = np.argsort(tables.codes, kind="stable")
    if not np.array_equal(canonical, np.arange(tables.n_cells)):
        marked = None if primary is None else primary[canonical]
        gone = None if absent is None else absent[canonical]
        first = None if balance is None else balance[canonical]
        kept = None if fixed is None else fixed[canonical]
        wanted = None if keep is None else keep[canonical]
        before = None if withheld is None else withheld[canonical]
        spare = None if reserve is None else reserve[canonical]
        coarse = None if coarseness is None else coarseness[canonical]
        done = protect(
            tables.reordered(canonical),
            policy,
            primary=marked,
            settings=settings,
            absent=gone,
            fixed=kept,
            balance=first,
            keep=wanted,
            withheld=before,
            reserve=spare,
            coarseness=coarse,
            progress=progress,
        )
        return done.renumbered(canonical, tables)
    absent = np.zeros(tables.n_cells, np.bool_) if absent is None else absent.astype(np.bool_)
    values = tables.values
    if (values < 0).any():
        msg = "protect() needs every true count (no unknown cells)"
        raise InternalError(msg)
    rules = np.array([""] * tables.n_cells, dtype=object)
    if primary is None:
        primary = primary_cells(tables, policy)
        rules[primary & (values == 0)] = ProtectionRule.ZERO_COUNT
        rules[primary & (values > 0)] = ProtectionRule.SMALL_COUNT
    else:
        primary = primary.astype(np.bool_) & ~absent
        rules[primary] = ProtectionRule.MARKED
    lowest = 0 if policy.primary.suppress_zero_counts else 1
    figures = values.copy()
    if policy.rounding.round_counts_to_nearest > 1:
        figures = np.array([published_count(policy, int(v)) for v in values], dtype=np.int64)
    settings = settings or ProtectSettings()
    if settings.local_witnesses is None:
        settings = replace(settings, local_witnesses=tables.n_cells > LOCAL_ABOVE)
    if not settings.local_witnesses:
        keep = None  # only the local repairs publish a kept cell again
    before = _mask(withheld, tables.n_cells) & ~primary & ~absent
    spare = _mask(reserve, tables.n_cells) & ~before & ~primary & ~absent
    hideable = (values >= lowest) & ~primary & ~absent & ~_mask(fixed, tables.n_cells)
    cost = cell_costs(values, policy.secondary.cost)
    if coarseness is not None:
        cost = cost * np.int64(policy.secondary.coarser_level_cost) ** coarseness.astype(np.int64)
    task = _Task(
        tables=tables,
        policy=policy,
        settings=settings,
        primary=primary,
        hideable=hideable & ~spare & ~before,
        cost=cost,
        figures=figures,
        absent=absent,
        balance=np.zeros(tables.n_cells, np.bool_) if balance is None else balance,
        keep=_mask(keep, tables.n_cells) & ~primary & ~before & ~spare,
        withheld=before,
        progress=progress,
    )
    hidden, witnesses, first_notes = _first_pattern(task)
    hidden |= before
    last_resort = task.hideable
    if keep is not None:
        hidden &= ~task.keep
        task = replace(task, hideable=task.hideable & ~task.keep)
    rules[hidden & ~primary] = ProtectionRule.SECONDARY
    known, cert, notes = _audit_and_repair(
        task, hidden, witnesses, rules, last_resort, reserve=spare & hideable
    )
    return Protection(
        tables=tables,
        primary=primary,
        secondary=hidden & ~primary,
        rules=tuple(str(r) for r in rules),
        certificate=cert,
        figures=figures,
        knowledge=known,
        notes=tuple(first_notes + notes),
    )


#: Neighbourhoods of a repair (relations crossed, cells at most), nearest first: as the
#: audit's local proofs, the nearest a little larger, and after it (None) the target's slab.
REPAIR_LEVELS: tuple[tuple[int, int] | None, ...] = (
    (DEPTH, NEIGHBOURHOOD),
    None,
    *LOCAL_LIMITS.levels[1:],
)

#: What a pattern pays for each cell to keep published on it, withheld or not, in cells (a
#: cell of median cost each): a keep cell the search withholds is published again and every
#: pattern through it lost. Measured with fans at one cell (below), secondary cells on the
#: demo / 20 trusts: toll 0: 3,760 / 3,414; 1: 3,783 / 3,596; 2: 3,784 / 3,581 (100 withheld
#: 18% and 34% more before). A national year's patterns leave 13.1k withheld cells unproved
#: at 0 and 9.7k at 1 (the local problems take about 50 s per 1,000), so the toll trades
#: cells at a trust's scale for time at the nation's; 0 keeps the fewest cells withheld.
KEEP_TOLL = 0
#: A fan (``wres.engine.protection.patterns``) is tried for a cell whose cheapest single pattern
#: withholds at least this many new cells (of median cost). Measured: at 1, tables B and C
#: withhold 495 and 2,416 secondary cells instead of 524 and 2,449 (fans only where no single
#: pattern exists), the demo 3,760 instead of 4,155.
FAN_ABOVE = 1
#: Tables of more cells than this get local witnesses by default (``ProtectSettings``). Issue
#: 6's shape N (143,880 cells) is one component; audited over it, each cell the patterns leave
#: unproved is a programme of minutes, and locally the whole protection takes 18 s. Table C
#: (7,000) is audited exactly where its components are small, in 0.4 s.
LOCAL_ABOVE = 20_000
#: A slab (see :func:`slabs`) of more cells than this is not solved over.
SLAB_LIMIT = 6_000


def _mask(cells: BoolArray | None, n: int) -> BoolArray:
    return np.zeros(n, np.bool_) if cells is None else cells.astype(np.bool_)


def _first_pattern(task: _Task) -> tuple[BoolArray, list[Witness], list[str]]:
    """The pattern search or the moves (see the module), smallest primary cells first; with
    what the cleanup says of itself (where it stopped)."""
    tables, values = task.tables, task.values
    # the cells withheld before need proofs in this system as much as the primary cells
    prim_idx = np.flatnonzero(task.primary | _mask(task.withheld, tables.n_cells))
    if not len(prim_idx) or task.need <= 1:
        return task.primary | _mask(task.withheld, tables.n_cells), [], []
    order = prim_idx[np.lexsort((tables.codes[prim_idx], values[prim_idx]))]
    # A withheld cell of at least N - 1 above the withheld range keeps N values whenever the
    # attacker cannot place it above the range (its interval reaches down into the range and up
    # to its true value): it needs no room of its own (a run's cells withheld for another rule).
    at_most = task.policy.primary.suppress_if_count_at_most
    large = values[order] >= at_most + task.need - 1
    need = np.where(large, 0, task.need - 1).astype(np.int64)
    lowest = np.full(tables.n_cells, task.lowest, np.int64)
    method = task.settings.method
    if method == "auto":
        small = len(prim_idx) * tables.n_cells <= task.settings.moves_limit
        method = "moves" if small else "patterns"
    if method == "moves":
        return _best_of_moves(task, order, need, lowest), [], []
    toll = KEEP_TOLL * int(np.median(task.cost))
    task.progress(SEARCHING, 0, None)
    free = task.absent | _mask(task.withheld, tables.n_cells)
    hidden, witnesses = _patterns(task, order, need, hidden=free, toll=np.where(task.keep, toll, 0))
    task.progress(SEARCHING, len(order), len(order))
    if task.keep.any():
        # The kept figures the search withheld are published again, and the patterns through
        # them lost. The cells those proved get patterns again, through withheld cells only:
        # one that would withhold more is left to the audit's local problems and the repairs,
        # which find moves no product pattern makes (measured on the demo and 20 trusts: a
        # second search free to withhold withholds 3% and 7% more cells).
        hidden &= ~task.keep
        again = _unproved(task, hidden, witnesses)
        if len(again):
            again = again[np.lexsort((tables.codes[again], values[again]))]
            task.progress(SEARCHING_AGAIN, 0, None)
            _, found = _patterns(
                replace(task, hideable=np.zeros(tables.n_cells, np.bool_)),
                again,
                np.full(len(again), task.need - 1, np.int64),
                hidden=hidden | task.absent,
                toll=np.zeros(tables.n_cells, np.int64),
            )
            task.progress(SEARCHING_AGAIN, len(again), len(again))
            witnesses += found
    if tables.n_cells <= task.settings.cleanup_up_to:
        return _cleaned(task, hidden, witnesses, order, need)
    return hidden, witnesses, []


def _cleaned(
    task: _Task, hidden: BoolArray, witnesses: list[Witness], order: IntArray, need: IntArray
) -> tuple[BoolArray, list[Witness], list[str]]:
    """The pattern with every secondary cell that no cell's room needs published again
    (``wres.engine.protection.flows.cleaned``), the witnesses that still hold, and a note when the
    cleanup stopped before trying every cell."""
    tables = task.tables
    task.progress(CLEANING, 0, None)
    room = np.zeros(tables.n_cells, np.float64)
    room[order] = need
    before = _mask(task.withheld, tables.n_cells)
    done = cleaned(
        tables.constraints.matrix,
        values=task.values,
        lower=np.full(tables.n_cells, task.lowest, np.int64),
        hidden=hidden | task.absent | before,
        fixed=task.primary | task.absent | before,
        need=room,
        cost=task.cost,
        proofs=[_as_move(w, int(room.max())) for w in witnesses],
        limits=task.settings.cleanup,
        progress=task.progress,
    )
    stopped = f"cleanup stopped {done.stopped}: {done.untried} secondary cell(s) not tried again"
    out = done.hidden & ~task.absent
    free = out | task.absent
    return out, [w for w in witnesses if free[w.cells].all()], [stopped] if done.untried else []


def _as_move(witness: Witness, reach: int) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """A witness as a move of the cleanup; a ray (it may go on for ever) taken ``reach`` far."""
    scale = max(reach, 1) if witness.ray else 1
    cells, at = np.unique(witness.cells.astype(np.int64), return_inverse=True)
    deltas = np.bincount(at, weights=witness.deltas.astype(np.float64), minlength=len(cells))
    moved = np.asarray(deltas * scale, dtype=np.float64)
    return cells, moved


def _patterns(
    task: _Task,
    order: IntArray,
    need: IntArray,
    *,
    hidden: BoolArray,
    toll: IntArray,
    max_fan: int = MAX_FAN,
) -> tuple[BoolArray, list[Witness]]:
    """The pattern search for the cells ``order`` (each needing ``need``), withheld cells
    ``hidden`` free: what it withholds and its witnesses."""
    tables, values = task.tables, task.values
    found = search_patterns(
        trees=_trees(tables, task.balance),
        coords=tables.coords,
        strides=tables.strides,
        primaries=order,
        need=need,
        value=values,
        lower=np.full(tables.n_cells, task.lowest, np.int64),
        cost=task.cost,
        eligible=task.hideable,
        hidden=hidden,
        max_per_node=task.settings.line_patterns,
        toll=toll,
        fan_above=FAN_ABOVE * int(np.median(task.cost)),
        max_fan=max_fan,
    )
    witnesses = _pattern_witnesses(found)
    if tables.extra_rows:
        free = found.hidden | task.absent
        witnesses = _complete(tables, witnesses, free, task.balance, task.values - task.lowest)
    return found.hidden & ~task.absent, witnesses + _fan_witnesses(found)


def _unproved(task: _Task, hidden: BoolArray, witnesses: list[Witness]) -> IntArray:
    """The withheld cells the witnesses leave short of the requirement (as the audit counts
    them, before it solves anything), in cell order."""
    known = knowledge(task.policy, task.figures, hidden & ~task.absent, task.absent)
    up, down, _ = witness_ranges(task.tables.constraints.matrix, known, task.values, witnesses)
    far = task.values >= task.policy.primary.suppress_if_count_at_most + task.need - 1
    short = hidden & ~task.absent & ~far & (up + down + 1 < task.need)
    return np.flatnonzero(short).astype(np.int64)


#: Costs per unit moved tried by the moves method, best result kept (the linear costs are a
#: heuristic; each favours different shapes, and the cleanup is greedy).
_MOVE_COSTS = ("sqrt", "flat")


def _best_of_moves(task: _Task, order: IntArray, need: IntArray, lowest: IntArray) -> BoolArray:
    """The moves method from ``settings.moves_starts`` cost shapes; the fewest cells withheld
    (then the least cost) wins, the first on a tie."""
    values = task.values
    shapes = ("values",) if task.policy.secondary.cost == "values" else _MOVE_COSTS
    results: list[tuple[tuple[int, int], int, BoolArray]] = []
    tried = shapes[: max(1, task.settings.moves_starts)]
    for shape in tried:
        told = task.progress
        if len(tried) > 1:
            told = prefixed(told, f"cost shape {len(results) + 1} of {len(tried)}, ")
        per_unit = {"values": values + 1.0, "sqrt": np.sqrt(values) + 1.0}.get(
            shape, np.ones(len(values))
        )
        hidden = protect_by_moves(
            task.tables.constraints.matrix,
            values=values,
            lower=lowest,
            primaries=order,
            need=need,
            hideable=task.hideable,
            cost=(per_unit * 1000).astype(np.int64),
            cleanup_cost=task.cost,
            progress=told,
        ).hidden
        results.append(((int(hidden.sum()), int(task.cost[hidden].sum())), len(results), hidden))
    return min(results, key=lambda item: item[:2])[2]


def _audit_and_repair(
    task: _Task,
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

    def run_audit() -> tuple[Knowledge, Certificate]:
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
            progress=told,
        )
        return known, cert

    known, cert = run_audit()
    while not cert.ok:
        failing = cert.failures[np.argsort(task.tables.codes[cert.failures], kind="stable")]
        repairing = f"round {rounds + 1}, {REPAIRING}"
        task.progress(repairing, 0, len(failing))
        witnesses += cert.found
        moves: list[Witness] = []
        if rounds < task.settings.repair_rounds and task.settings.local_witnesses:
            added, moves = _repair_locally(task, hidden, failing)
            witnesses += moves
            rule = ProtectionRule.SECONDARY
        elif rounds < task.settings.repair_rounds:
            added = _repair(task, hidden, int(failing[0]))
            rule = ProtectionRule.SECONDARY
        else:
            added, moves = _rays(task, hidden, failing, last_resort)
            witnesses += moves
            if not len(added):  # no ray withholds more: whole relations, so each round adds
                added = _fallback(task.tables, hidden, last_resort, failing)
            if not len(added) and reserve.any():
                added = _fallback(task.tables, hidden, last_resort | reserve, failing)
                notes.append(f"fallback S2 withheld {len(added)} reserved cell(s)")
            rule = ProtectionRule.FALLBACK
            notes.append(f"fallback S2 for {len(failing)} cell(s)")
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
        known, cert = run_audit()
    return known, cert, notes


def _trees(tables: LinkedTables, balance: BoolArray | None = None) -> list[Tree]:
    """Each dimension's parents, and the weight of each node: its cell with every other
    dimension at its total (or, when that cell is absent, its largest cell). A node holding
    ``balance`` cells (a run's remainders) is where a pattern balances an extra relation
    first: it gets a weight above every other node's."""
    within = _relations_within(tables)
    trees = []
    for d, h in enumerate(tables.hierarchies):
        weights = np.zeros(len(h.labels))
        np.maximum.at(weights, tables.coords[:, d].astype(np.int64), tables.values.astype(float))
        if balance is not None and within[d]:
            first = np.zeros(len(h.labels), np.bool_)
            first[tables.coords[balance, d]] = True
            weights = np.where(first, weights + weights.max(initial=0.0) + 1.0, weights)
        free = not (~h.is_leaf[tables.coords[:, d]]).any()
        trees.append(
            Tree(h.parents, tuple(float(w) for w in weights), free=free, relations=within[d])
        )
    return trees


def _relations_within(
    tables: LinkedTables,
) -> list[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]]:
    """Per dimension, the extra relations among its nodes: an extra row whose cells differ in
    that dimension only (a run's ``at risk = events + rest`` beside the hierarchy's split), as
    nodes and coefficients, each once."""
    found: list[dict[tuple[tuple[int, ...], tuple[int, ...]], None]] = [
        {} for _ in tables.hierarchies
    ]
    for cells, coefficients in tables.extra_rows:
        at = tables.coords[np.asarray(cells)]
        differ = np.flatnonzero((at != at[0]).any(axis=0))
        if len(differ) == 1:
            d = int(differ[0])
            pairs = sorted(zip(at[:, d].tolist(), np.asarray(coefficients).tolist(), strict=True))
            nodes, coefs = zip(*pairs, strict=True)
            found[d][(tuple(nodes), tuple(coefs))] = None
    return [tuple(relations) for relations in found]


def _pattern_witnesses(found: SearchResult) -> list[Witness]:
    """Two tables per kept pattern: moved up by its upward range and down by its downward one
    (a pattern that can grow without limit is a ray)."""
    out = []
    for j in range(len(found.pattern_up)):
        cells = found.support_cells[found.support_ptr[j] : found.support_ptr[j + 1]]
        signs = found.support_signs[found.support_ptr[j] : found.support_ptr[j + 1]]
        present = cells >= 0
        cells, signs = cells[present], signs[present]
        up, down = int(found.pattern_up[j]), int(found.pattern_down[j])
        if up >= INF:
            out.append(Witness(cells, signs, ray=True))
        elif up > 0:
            out.append(Witness(cells, signs * up))
        if down > 0:
            out.append(Witness(cells, -signs * down))
    return out


def _fan_witnesses(found: SearchResult) -> list[Witness]:
    """One table per whole fan: its patterns moved up together, each by its share (a cell on
    several moves by the sum). Relations beyond the hierarchies are left to the audit."""
    out = []
    fans = found.pattern_fan
    for fan in np.unique(fans[fans >= 0]):
        parts = np.flatnonzero(fans == fan)
        cells = np.concatenate(
            [found.support_cells[found.support_ptr[j] : found.support_ptr[j + 1]] for j in parts]
        )
        deltas = np.concatenate(
            [
                found.support_signs[found.support_ptr[j] : found.support_ptr[j + 1]]
                * found.pattern_up[j]
                for j in parts
            ]
        )
        present = cells >= 0
        moved, at = np.unique(cells[present], return_inverse=True)
        total = np.bincount(at, weights=deltas[present], minlength=len(moved)).astype(np.int64)
        out.append(Witness(moved[total != 0], total[total != 0]))
    return out


def _complete(
    tables: LinkedTables,
    witnesses: list[Witness],
    free: BoolArray,
    balance: BoolArray,
    slack: IntArray,
) -> list[Witness]:
    """Patterns keep the hierarchies' relations; an extra relation they move (a split
    ``at risk = events + rest``) is balanced on a free cell of it (withheld or absent, a
    ``balance`` cell first) that the pattern does not move, and the witness is shortened to the
    room that cell has. The audit checks the result like any witness."""
    extra = np.flatnonzero(tables.constraints.dimension < 0)
    matrix = sp.csr_array(tables.constraints.matrix[extra])
    if not matrix.shape[0] or not witnesses:
        return witnesses
    ranked_cell, ranked_coef = _balancing_cells(matrix, free, balance)
    n_w = len(witnesses)
    lengths = np.array([len(w.cells) for w in witnesses])
    owner = np.repeat(np.arange(n_w), lengths)
    cells = np.concatenate([w.cells for w in witnesses]).astype(np.int64)
    deltas = np.concatenate([w.deltas for w in witnesses]).astype(np.int64)
    moves = sp.csc_array((deltas.astype(np.float64), (cells, owner)), shape=(tables.n_cells, n_w))
    residual = sp.coo_array(matrix @ moves)
    r, j, value = residual.row, residual.col, residual.data
    keep = np.abs(value) > 0.5
    r, j, value = r[keep], j[keep], value[keep]
    # each relation's free cells in order of preference: the first the witness does not move
    moved = np.sort(cells * n_w + owner)
    target = np.full(len(r), -1, np.int64)
    coef = np.ones(len(r))
    for k in range(ranked_cell.shape[1]):
        option = ranked_cell[r, k]
        key = np.maximum(option, 0) * n_w + j
        at = np.minimum(np.searchsorted(moved, key), len(moved) - 1)
        usable = (target < 0) & (option >= 0) & (moved[at] != key)
        target[usable] = option[usable]
        coef[usable] = ranked_coef[r[usable], k]
    keep = target >= 0
    r, j, value, target, coef = r[keep], j[keep], value[keep], target[keep], coef[keep]
    delta = -value / coef
    keep = np.abs(delta - np.round(delta)) < 1e-9
    all_cells = np.concatenate([cells, target[keep]])
    all_deltas = np.concatenate([deltas, np.round(delta[keep]).astype(np.int64)])
    all_owner = np.concatenate([owner, j[keep]])
    by_owner = np.argsort(all_owner, kind="stable")
    all_cells, all_deltas, all_owner = (
        all_cells[by_owner],
        all_deltas[by_owner],
        all_owner[by_owner],
    )
    rays = np.array([w.ray for w in witnesses])
    amount = np.ones(n_w, np.int64)
    np.maximum.at(amount, owner, np.abs(deltas))
    amount[rays] = 1
    unit = all_deltas // amount[all_owner]
    room = np.where(rays, np.iinfo(np.int64).max, amount)
    falling = unit < 0
    np.minimum.at(room, all_owner[falling], slack[all_cells[falling]] // -unit[falling])
    bounds = np.searchsorted(all_owner, np.arange(n_w + 1))
    out = []
    for w in range(n_w):
        a, b = bounds[w], bounds[w + 1]
        if not falling[a:b].any():
            out.append(Witness(all_cells[a:b], all_deltas[a:b], bool(rays[w])))
        elif room[w] >= 1:
            out.append(Witness(all_cells[a:b], unit[a:b] * room[w]))
    return out


def _balancing_cells(
    matrix: sp.csr_array, free: BoolArray, balance: BoolArray
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Each relation's free cells, a ``balance`` cell first (-1 pads), and their
    coefficients: one row per relation."""
    counts = np.diff(matrix.indptr)
    row_of = np.repeat(np.arange(matrix.shape[0]), counts)
    rank = np.where(free[matrix.indices], np.where(balance[matrix.indices], 0, 1), 2)
    order = np.lexsort((matrix.indices, rank, row_of))
    width = int(counts.max(initial=1))
    position = np.arange(len(order)) - matrix.indptr[row_of[order]]
    cell = np.full((matrix.shape[0], width), -1, np.int64)
    coef = np.ones((matrix.shape[0], width))
    usable = rank[order] < 2
    rows, at = row_of[order][usable], position[usable]
    cell[rows, at] = matrix.indices[order][usable]
    coef[rows, at] = matrix.data[order][usable]
    return cell, coef


def _repair(task: _Task, hidden: BoolArray, cell: int) -> IntArray:
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
    task: _Task, hidden: BoolArray, failing: IntArray
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
    task: _Task, hidden: BoolArray, failing: IntArray, last_resort: BoolArray
) -> tuple[IntArray, list[Witness]]:
    """The fallback's first try: for each failing cell, the cheapest *ray*, a product pattern
    that moves no cell down (mostly the totals above the cell, along every dimension), with
    every cell on it withheld. The cell can then grow without limit, and so can every cell on
    the ray: its one witness proves them all, so the cells it withholds need no proofs of their
    own, where withholding whole relations withholds small cells that do. A cell with no ray
    (the totals above it include a known zero) is left to :func:`_fallback`."""
    order = failing[np.lexsort((task.tables.codes[failing], task.values[failing]))]
    found, rays = _patterns(
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
