"""The attacker's audit: what can be inferred about every withheld cell, and is it enough?

The attacker model (docs/disclosure.md states it for readers):

- sees every published figure of the tables and knows the policy;
- knows the relations between them: each total is the sum of its children along every
  dimension and hierarchy, across every linked table;
- knows counts are non-negative integers; when zeros are published (the policy does not
  withhold them) a withheld cell is at least 1, since a zero would have been shown;
- knows a rounded count lies within its rounding interval (and is not in the withheld range);
- cannot tell a small count withheld on its own account from a cell withheld to protect
  another: the marker is the same, so a withheld cell has no upper bound but the relations.
  A marker that does say more (``<5`` in a table someone else published) is taken at its word:
  the cell is at most 4.

For each withheld cell the audit finds the smallest and the largest value consistent with all
of that (``wres.engine.protection.intervals``: HiGHS, with integrality where a component is small
enough), and the number of integer values left. A cell that carries a requirement passes when
that number is at least the requirement. The proof is either the exact interval, or *witness
tables*: integer tables that agree with everything published yet differ in the cell by the
required amount (the protection supplies them, and the audit checks them independently against
every relation and bound). Nothing here returns or records a true value of a withheld cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import polars as pl
import scipy.sparse as sp

from wres.engine.progress import CHECKING, Progress, silent
from wres.engine.protection.intervals import (
    EXACT_LIMIT,
    Intervals,
    attacker_intervals,
    components,
    propagate_bounds,
)
from wres.rules.attacker_knowledge import (
    BoolArray,
    FloatArray,
    IntArray,
    Knowledge,
    Witness,
    witness_ranges,
)
from wres.rules.local_witnesses import LOCAL_LIMITS, LocalLimits, local_witnesses
from wres.rules.policy import Policy
from wres.rules.table import LinkedTables

UNBOUNDED = "unbounded"


class Proof(StrEnum):
    """How a withheld cell's result is established."""

    #: the attacker's exact interval (HiGHS, integer optimum)
    EXACT = "exact interval"
    #: integer tables consistent with everything published, far enough apart in the cell
    WITNESS = "witness tables"
    #: the count is far enough above the withheld range: an interval reaching down into the
    #: range holds at least the required number of values up to the count itself
    ABOVE_RANGE = "far above the range"
    #: neither: the cell is treated as failing
    NONE = "not proved"


@dataclass(frozen=True, eq=False)
class Certificate:
    """The audit's result for every withheld cell (in cell order). Never a true value."""

    cells: IntArray
    #: the attacker's interval when ``exact``; otherwise bounds that contain it
    lower: FloatArray
    upper: FloatArray
    exact: BoolArray
    #: integer values the attacker cannot rule out: proved at least this many (inf: no limit;
    #: NaN: not proved, for a cell without a requirement whose interval was not solved)
    possible: FloatArray
    #: the number the policy requires (0: no requirement)
    required: IntArray
    passed: BoolArray
    proof: tuple[Proof, ...]
    #: the witnesses the audit found itself (local problems): still witnesses after more cells
    #: are withheld, so a repair's next audit starts from them
    found: tuple[Witness, ...] = ()

    def rows(self, picked: IntArray | BoolArray) -> Certificate:
        """The certificate of the withheld cells ``picked`` (positions or a mask), in that order."""
        positions = np.arange(len(self.cells))[picked]
        return replace(
            self,
            cells=self.cells[positions],
            lower=self.lower[positions],
            upper=self.upper[positions],
            exact=self.exact[positions],
            possible=self.possible[positions],
            required=self.required[positions],
            passed=self.passed[positions],
            proof=tuple(self.proof[i] for i in positions),
        )

    def renumbered(self, new_index: IntArray) -> Certificate:
        """The same certificate for cells renumbered ``i -> new_index[i]`` (in the new order)."""
        cells = new_index[self.cells]
        order = np.argsort(cells, kind="stable")
        # the witnesses found name cells by their old numbers, so they are dropped
        return replace(self.rows(order), cells=cells[order], found=())

    @property
    def ok(self) -> bool:
        return bool(self.passed.all())

    @property
    def failures(self) -> IntArray:
        return self.cells[~self.passed]

    @property
    def exact_disclosures(self) -> IntArray:
        """Withheld cells the attacker recovers exactly."""
        pinned: BoolArray = self.exact & (self.lower == self.upper)
        return self.cells[pinned]

    def frame(self, tables: LinkedTables) -> pl.DataFrame:
        """One row per withheld cell: its key and the audit's columns (no true value)."""
        upper = [UNBOUNDED if np.isinf(u) else str(int(u)) for u in self.upper]
        possible = [
            "" if np.isnan(p) else UNBOUNDED if np.isinf(p) else str(int(p)) for p in self.possible
        ]
        return pl.concat(
            [
                tables.keys_frame(self.cells),
                pl.DataFrame(
                    {
                        "attacker_lower": self.lower.astype(np.int64),
                        "attacker_upper": upper,
                        "interval": ["exact" if e else "outer bound" for e in self.exact],
                        "possible_values": possible,
                        "required": self.required,
                        "result": ["pass" if p else "FAIL" for p in self.passed],
                        "proof": [str(p) for p in self.proof],
                    }
                ),
            ],
            how="horizontal",
        )


# --- the audit --------------------------------------------------------------------------------


def audit(
    tables: LinkedTables,
    known: Knowledge,
    policy: Policy,
    *,
    truth: IntArray | None = None,
    witnesses: Sequence[Witness] = (),
    exhaustive: bool = True,
    exact_limit: int = EXACT_LIMIT,
    local: bool = False,
    local_limits: LocalLimits = LOCAL_LIMITS,
    progress: Progress = silent,
) -> Certificate:
    """Audit every withheld cell of ``tables`` against the attacker of ``known``.

    The requirement: a withheld cell that the attacker cannot place above the policy's withheld
    range (its attacker lower bound is at most ``[primary] suppress_if_count_at_most``) must
    keep ``[secondary] min_attacker_interval`` possible values, or as many as its own marker
    allows (``<5`` allows 4). Every small count withheld is such a cell; so is any other cell
    the attacker cannot tell from one, since the marker is the same.

    ``truth`` and ``witnesses`` (from the protection) prove cells without solving for them;
    without ``exhaustive`` the exact interval of a cell so proved in a large component is not
    computed (its bounds are then outer bounds, and its lower bound decides the requirement).
    With ``local`` (and ``truth``), a cell the witnesses do not prove gets a witness of its own
    from a small problem around it (``wres.engine.protection.local``) before any problem of its
    whole component, and only the cells still unproved are solved there (in components of at most
    ``local_limits.whole_limit`` unknown cells; in larger ones they fail). ``progress`` is told
    the cells proved and the attacker's problems solved (``wres.engine.progress``).
    """
    matrix = tables.constraints.matrix
    reported = np.flatnonzero(known.hidden)
    up, down = _checked(matrix, known, truth, witnesses, progress)
    requirement = _requirement(tables, known, policy, truth, up=up, down=down)
    found: list[Witness] = []
    if local and truth is not None and not exhaustive:
        intervals, found, up, down = _with_local_witnesses(
            matrix,
            known,
            truth,
            witnesses,
            requirement,
            exact_limit=exact_limit,
            limits=local_limits,
            progress=progress,
        )
    else:
        intervals = attacker_intervals(
            matrix,
            known.lower,
            known.upper,
            known.hidden,
            needed=None if exhaustive else requirement.needed,
            witness=requirement.truth,
            exact_limit=exact_limit,
            progress=progress,
        )
    return _certificate(intervals, reported, requirement, up=up, down=down, found=found)


@dataclass(frozen=True, eq=False)
class _Requirement:
    """What the audit asks of each withheld cell, and what the protection's witnesses prove of
    it before anything is solved."""

    hidden: BoolArray
    #: the top of the withheld range (``[primary] suppress_if_count_at_most``)
    at_most: int
    #: the values a cell keeps when the attacker cannot place it above the range
    if_small: FloatArray
    truth: FloatArray | None
    #: cells far enough above the range to pass whatever their interval
    far: BoolArray
    #: how far the protection's witnesses move each cell up and down
    up: FloatArray
    down: FloatArray

    def needed(self, found: Intervals) -> BoolArray:
        """Withheld cells that could be small and are not yet proved to keep enough values."""
        could_be_small = found.lower <= self.at_most
        if self.truth is None:
            return self.hidden & could_be_small
        lo = np.where(found.exact_lower, found.lower, self.truth - self.down)
        hi = np.where(found.exact_upper, found.upper, self.truth + self.up)
        return self.hidden & could_be_small & (hi - lo + 1 < self.if_small) & ~self.far


def _requirement(
    tables: LinkedTables,
    known: Knowledge,
    policy: Policy,
    truth: IntArray | None,
    *,
    up: FloatArray,
    down: FloatArray,
) -> _Requirement:
    """The policy's requirement of each withheld cell of ``known``, with the witnesses' ``up``
    and ``down`` around the ``truth``."""
    at_most = policy.primary.suppress_if_count_at_most
    if_small = np.minimum(
        float(policy.secondary.min_attacker_interval), known.upper - known.lower + 1
    )
    t_all = None if truth is None else truth.astype(np.float64)
    # The attacker's interval holds the true count: if it reaches down to the range (at most
    # ``at_most``) it holds every value from there up to the count, so a count of at least
    # ``at_most + required - 1`` passes whatever the interval; if it does not, nothing is required.
    far = np.zeros(tables.n_cells, np.bool_) if t_all is None else t_all >= at_most + if_small - 1
    return _Requirement(known.hidden, at_most, if_small, t_all, far, up, down)


def _with_local_witnesses(
    matrix: sp.csr_array,
    known: Knowledge,
    truth: IntArray,
    witnesses: Sequence[Witness],
    requirement: _Requirement,
    *,
    exact_limit: int,
    limits: LocalLimits,
    progress: Progress,
) -> tuple[Intervals, list[Witness], FloatArray, FloatArray]:
    """The audit's intervals with local witnesses (see :func:`audit`): the witnesses found, and
    how far all of them move each cell up and down."""
    hidden = known.hidden
    t_all = truth.astype(np.float64)
    if_small, far = requirement.if_small, requirement.far
    todo = hidden & ~far & (requirement.up + requirement.down + 1 < if_small)
    found = local_witnesses(
        matrix,
        known,
        truth,
        todo,
        up=requirement.up,
        down=requirement.down,
        required=if_small,
        levels=limits.levels,
        progress=progress,
    )
    up, down, _rejected = witness_ranges(matrix, known, truth, [*witnesses, *found])
    remaining = hidden & ~far & (up + down + 1 < if_small)
    remaining, parts = _in_small_components(matrix, known, remaining, limits.whole_limit)
    outer = propagate_bounds(matrix, known.lower, known.upper)
    intervals = _outer_intervals(outer, hidden)
    if remaining.any():
        solved = attacker_intervals(
            matrix,
            known.lower,
            known.upper,
            remaining,
            needed=requirement.needed,
            witness=t_all,
            exact_limit=exact_limit,
            outer=outer,
            parts=parts,
            progress=progress,
        )
        intervals = _merged(intervals, solved, remaining)
    return intervals, found, up, down


def _certificate(
    intervals: Intervals,
    reported: IntArray,
    requirement: _Requirement,
    *,
    up: FloatArray,
    down: FloatArray,
    found: Sequence[Witness],
) -> Certificate:
    """The certificate of the ``reported`` cells: each cell's interval, the values proved
    possible (exactly, by the witnesses' ``up`` and ``down`` around the truth, or by being far
    above the withheld range) against what the ``requirement`` asks."""
    truth, at_most = requirement.truth, requirement.at_most
    if_small, far = requirement.if_small, requirement.far
    lower = intervals.lower[reported]
    upper = intervals.upper[reported]
    exact = intervals.exact_lower[reported] & intervals.exact_upper[reported]
    if truth is not None:
        t = truth[reported]
        proved_lo = np.where(intervals.exact_lower[reported], lower, t - down[reported])
        proved_hi = np.where(intervals.exact_upper[reported], upper, t + up[reported])
    else:
        proved_lo = np.where(intervals.exact_lower[reported], lower, np.nan)
        proved_hi = np.where(intervals.exact_upper[reported], upper, np.nan)
    with np.errstate(invalid="ignore"):
        possible = proved_hi - proved_lo + 1
    req = np.where(lower <= at_most, if_small[reported], 0.0).astype(np.int64)
    # far above the range and not proved otherwise: at least the requirement (never the count)
    by_range = far[reported] & ~exact & (np.nan_to_num(possible, nan=0.0) < req)
    possible = np.where(by_range, req.astype(np.float64), possible)
    proved = ~np.isnan(possible)
    passed = (req == 0) | (proved & (np.nan_to_num(possible, nan=0.0) >= req))
    proof = tuple(
        Proof.EXACT if e else Proof.ABOVE_RANGE if b else (Proof.WITNESS if p else Proof.NONE)
        for e, b, p in zip(exact, by_range, proved, strict=True)
    )
    return Certificate(
        cells=reported,
        lower=lower,
        upper=upper,
        exact=exact,
        possible=np.where(proved, possible, np.nan),
        required=req,
        passed=passed,
        proof=proof,
        found=tuple(found),
    )


def _checked(
    matrix: sp.csr_array,
    known: Knowledge,
    truth: IntArray | None,
    witnesses: Sequence[Witness],
    progress: Progress,
) -> tuple[FloatArray, FloatArray]:
    """How far the ``witnesses`` move each cell up and down (none without ``truth``)."""
    if truth is None:
        none = np.zeros(matrix.shape[1])
        return none, none
    progress(CHECKING, 0, len(witnesses))
    up, down, _rejected = witness_ranges(matrix, known, truth, witnesses)
    progress(CHECKING, len(witnesses), len(witnesses))
    return up, down


def _in_small_components(
    matrix: sp.csr_array, known: Knowledge, cells: BoolArray, limit: int
) -> tuple[BoolArray, tuple[IntArray, IntArray] | None]:
    """The cells in components of at most ``limit`` unknown cells, and the components
    (per cell and per relation; None when there are no cells)."""
    if not cells.any():
        return cells, None
    parts = components(matrix, known.lower < known.upper)
    comp = parts[0]
    size = np.bincount(comp[comp >= 0])
    small: BoolArray = cells & (comp >= 0) & (size[np.maximum(comp, 0)] <= limit)
    return small, parts


def _outer_intervals(outer: tuple[FloatArray, FloatArray], hidden: BoolArray) -> Intervals:
    """Outer bounds of every withheld cell by propagation (none exact)."""
    lo, hi = outer
    n = len(hidden)
    return Intervals(
        np.where(hidden, lo, np.nan),
        np.where(hidden, hi, np.nan),
        np.zeros(n, np.bool_),
        np.zeros(n, np.bool_),
        np.full(n, -1, np.int64),
        np.zeros(0, np.int64),
    )


def _merged(outer: Intervals, solved: Intervals, cells: BoolArray) -> Intervals:
    """``solved``'s results for ``cells``, ``outer``'s for the rest."""
    return Intervals(
        np.where(cells, solved.lower, outer.lower),
        np.where(cells, solved.upper, outer.upper),
        np.where(cells, solved.exact_lower, outer.exact_lower),
        np.where(cells, solved.exact_upper, outer.exact_upper),
        solved.component,
        solved.component_size,
    )
