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

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import ConfigError, InternalError
from wres.engine.progress import (
    Progress,
    silent,
)
from wres.rules.attacker_knowledge import Knowledge, published_count
from wres.rules.audit import Certificate
from wres.rules.policy import Policy
from wres.rules.secondary_patterns import first_pattern
from wres.rules.secondary_repairs import audit_and_repair
from wres.rules.secondary_settings import (
    REASONS,
    BoolArray,
    IntArray,
    ProtectionRule,
    ProtectSettings,
    Task,
    mask,
)
from wres.rules.table import CellState, LinkedTables


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
    #: the independent parts of the system protected one by one (``wres.rules.run_parts``)
    parts: int = 1

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
        done = protect(
            tables.reordered(canonical),
            policy,
            primary=None if primary is None else primary[canonical],
            settings=settings,
            absent=None if absent is None else absent[canonical],
            fixed=None if fixed is None else fixed[canonical],
            balance=None if balance is None else balance[canonical],
            keep=None if keep is None else keep[canonical],
            withheld=None if withheld is None else withheld[canonical],
            reserve=None if reserve is None else reserve[canonical],
            coarseness=None if coarseness is None else coarseness[canonical],
            progress=progress,
        )
        return done.renumbered(canonical, tables)
    return _protect_in_order(
        tables,
        policy,
        primary=primary,
        settings=settings,
        absent=absent,
        fixed=fixed,
        balance=balance,
        keep=keep,
        withheld=withheld,
        reserve=reserve,
        coarseness=coarseness,
        progress=progress,
    )


def _protect_in_order(
    tables: LinkedTables,
    policy: Policy,
    *,
    primary: BoolArray | None,
    settings: ProtectSettings | None,
    absent: BoolArray | None,
    fixed: BoolArray | None,
    balance: BoolArray | None,
    keep: BoolArray | None,
    withheld: BoolArray | None,
    reserve: BoolArray | None,
    coarseness: IntArray | None,
    progress: Progress,
) -> Protection:
    """:func:`protect` of tables whose cells are in canonical order (by key)."""
    absent = np.zeros(tables.n_cells, np.bool_) if absent is None else absent.astype(np.bool_)
    values = tables.values
    if (values < 0).any():
        msg = "protect() needs every true count (no unknown cells)"
        raise InternalError(msg)
    primary, rules = _primary_and_rules(tables, policy, primary, absent)
    lowest = 0 if policy.primary.suppress_zero_counts else 1
    figures = _published_figures(policy, values)
    settings = settings or ProtectSettings()
    if settings.local_witnesses is None:
        settings = replace(settings, local_witnesses=tables.n_cells > LOCAL_ABOVE)
    if not settings.local_witnesses:
        keep = None  # only the local repairs publish a kept cell again
    before = mask(withheld, tables.n_cells) & ~primary & ~absent
    spare = mask(reserve, tables.n_cells) & ~before & ~primary & ~absent
    hideable = (values >= lowest) & ~primary & ~absent & ~mask(fixed, tables.n_cells)
    task = Task(
        tables=tables,
        policy=policy,
        settings=settings,
        primary=primary,
        hideable=hideable & ~spare & ~before,
        cost=_costs(policy, values, coarseness),
        figures=figures,
        absent=absent,
        balance=np.zeros(tables.n_cells, np.bool_) if balance is None else balance,
        keep=mask(keep, tables.n_cells) & ~primary & ~before & ~spare,
        withheld=before,
        progress=progress,
    )
    return _withheld_and_audited(
        task, rules, before=before, keeps=keep is not None, reserve=spare & hideable
    )


def _primary_and_rules(
    tables: LinkedTables, policy: Policy, primary: BoolArray | None, absent: BoolArray
) -> tuple[BoolArray, npt.NDArray[np.object_]]:
    """The primary cells (the policy's, P1 and P3, unless a caller marks them, P0) and each
    cell's rule so far ("" for the rest)."""
    values = tables.values
    rules = np.array([""] * tables.n_cells, dtype=object)
    if primary is None:
        primary = primary_cells(tables, policy)
        rules[primary & (values == 0)] = ProtectionRule.ZERO_COUNT
        rules[primary & (values > 0)] = ProtectionRule.SMALL_COUNT
    else:
        primary = primary.astype(np.bool_) & ~absent
        rules[primary] = ProtectionRule.MARKED
    return primary, rules


def _published_figures(policy: Policy, values: IntArray) -> IntArray:
    """The figure each count is published as: rounded when the policy rounds."""
    if policy.rounding.round_counts_to_nearest > 1:
        return np.array([published_count(policy, int(v)) for v in values], dtype=np.int64)
    return values.copy()


def _costs(policy: Policy, values: IntArray, coarseness: IntArray | None) -> IntArray:
    """Each cell's cost of withholding (:func:`cell_costs`), times ``[secondary]
    coarser_level_cost`` to the power of its ``coarseness``."""
    cost = cell_costs(values, policy.secondary.cost)
    if coarseness is not None:
        cost = cost * np.int64(policy.secondary.coarser_level_cost) ** coarseness.astype(np.int64)
    return cost


def _withheld_and_audited(
    task: Task,
    rules: npt.NDArray[np.object_],
    *,
    before: BoolArray,
    keeps: bool,
    reserve: BoolArray,
) -> Protection:
    """The first pattern (with the cells withheld ``before``, and the kept cells published
    again when the protection ``keeps`` them), then the audit and its repairs, as a protection;
    ``rules`` gets the rule of each cell withheld."""
    primary = task.primary
    hidden, witnesses, first_notes = first_pattern(task)
    hidden |= before
    last_resort = task.hideable
    if keeps:
        hidden &= ~task.keep
        task = replace(task, hideable=task.hideable & ~task.keep)
    rules[hidden & ~primary] = ProtectionRule.SECONDARY
    known, cert, notes = audit_and_repair(
        task, hidden, witnesses, rules, last_resort, reserve=reserve
    )
    return Protection(
        tables=task.tables,
        primary=primary,
        secondary=hidden & ~primary,
        rules=tuple(str(r) for r in rules),
        certificate=cert,
        figures=task.figures,
        knowledge=known,
        notes=tuple(first_notes + notes),
    )


#: Tables of more cells than this get local witnesses by default (``ProtectSettings``). Issue
#: 6's shape N (143,880 cells) is one component; audited over it, each cell the patterns leave
#: unproved is a programme of minutes, and locally the whole protection takes 18 s. Table C
#: (7,000) is audited exactly where its components are small, in 0.4 s.
LOCAL_ABOVE = 20_000
