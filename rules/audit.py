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
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp

from wres.engine.errors import InternalError
from wres.engine.progress import CHECKING, PROVING, Progress, silent
from wres.engine.protection.intervals import (
    EXACT_LIMIT,
    Intervals,
    attacker_intervals,
    components,
    propagate_bounds,
)
from wres.engine.protection.local import Move, System, prove, prove_together
from wres.rules.policy import Policy
from wres.rules.table import LinkedTables

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

UNBOUNDED = "unbounded"
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
class Knowledge:
    """What the attacker knows of each cell: an interval (a point for a published count)."""

    lower: FloatArray
    upper: FloatArray
    #: withheld cells: the ones the audit reports on
    hidden: BoolArray
    #: cells not in the publication (unknown, never reported)
    absent: BoolArray


@dataclass(frozen=True, eq=False)
class Witness:
    """Another table the attacker cannot tell from the true one: the true counts plus
    ``deltas`` on ``cells``; with ``ray``, plus ``t * deltas`` for every ``t >= 0``."""

    cells: IntArray
    deltas: IntArray
    ray: bool = False


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

    def renumbered(self, new_index: IntArray) -> Certificate:
        """The same certificate for cells renumbered ``i -> new_index[i]`` (in the new order)."""
        cells = new_index[self.cells]
        order = np.argsort(cells, kind="stable")
        return Certificate(
            cells=cells[order],
            lower=self.lower[order],
            upper=self.upper[order],
            exact=self.exact[order],
            possible=self.possible[order],
            required=self.required[order],
            passed=self.passed[order],
            proof=tuple(self.proof[i] for i in order),
        )

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


# --- the attacker model -----------------------------------------------------------------------


def published_count(policy: Policy, count: int) -> int:
    """The figure a count is published as: rounded to the policy's base (halves up); a count
    that would round into the withheld range goes to the first multiple above it."""
    base = policy.rounding.round_counts_to_nearest
    if base <= 1:
        return count
    at_most = policy.primary.suppress_if_count_at_most
    rounded = ((count + base // 2) // base) * base
    lands = 1 <= rounded <= at_most or (
        rounded == 0 and count > 0 and policy.primary.suppress_zero_counts
    )
    return (at_most // base + 1) * base if lands else rounded


def rounding_interval(policy: Policy, figure: int) -> tuple[int, int]:
    """The publishable counts that are published as ``figure`` (the attacker's interval)."""
    base = policy.rounding.round_counts_to_nearest
    if base <= 1:
        return figure, figure
    start = max(0, figure - base - policy.primary.suppress_if_count_at_most - base)
    found = [
        t
        for t in range(start, figure + base + 1)
        if not policy.primary.withholds_count(t) and published_count(policy, t) == figure
    ]
    if not found:
        return figure, figure
    return found[0], found[-1]


def hidden_lower_bound(policy: Policy) -> int:
    """The least value of a withheld cell: 1 when zeros are published, else 0."""
    return 0 if policy.primary.suppress_zero_counts else 1


def knowledge(
    policy: Policy,
    figures: IntArray,
    hidden: BoolArray,
    absent: BoolArray | None = None,
    *,
    hidden_upper: FloatArray | None = None,
    rounded: bool = True,
) -> Knowledge:
    """The attacker's knowledge of each cell under ``policy``.

    ``figures`` are the published figures (already rounded when ``rounded``: each is then known
    only to lie in its rounding interval); ``hidden_upper`` what a marker says of a withheld
    cell (``<5``: at most 4; inf when it says nothing).
    """
    n = len(figures)
    absent = np.zeros(n, np.bool_) if absent is None else absent
    if (hidden & absent).any():
        msg = "a cell cannot be both withheld and absent (a bug in wres)"
        raise InternalError(msg)
    lower = figures.astype(np.float64).copy()
    upper = lower.copy()
    if rounded and policy.rounding.round_counts_to_nearest > 1:
        published = ~hidden & ~absent
        for value in np.unique(figures[published]):
            lo, hi = rounding_interval(policy, int(value))
            at = published & (figures == value)
            lower[at], upper[at] = lo, hi
    lower[hidden] = hidden_lower_bound(policy)
    upper[hidden] = np.inf if hidden_upper is None else hidden_upper[hidden]
    lower[absent], upper[absent] = 0.0, np.inf
    return Knowledge(lower, upper, hidden.copy(), absent.copy())


# --- witness tables ---------------------------------------------------------------------------


def witness_ranges(
    matrix: sp.csr_array, known: Knowledge, truth: IntArray, witnesses: Sequence[Witness]
) -> tuple[FloatArray, FloatArray, int]:
    """Check every witness against all relations and bounds; return how far each cell is
    proved to move up and down, and how many witnesses were rejected."""
    n = matrix.shape[1]
    up = np.zeros(n)
    down = np.zeros(n)
    if not witnesses:
        return up, down, 0
    lengths = np.array([len(w.cells) for w in witnesses])
    cells = np.concatenate([w.cells for w in witnesses]).astype(np.int64)
    deltas = np.concatenate([w.deltas for w in witnesses]).astype(np.int64)
    owner = np.repeat(np.arange(len(witnesses)), lengths)
    # a cell listed twice in one witness moves by the sum of its entries
    pair, at = np.unique(owner * n + cells, return_inverse=True)
    deltas = np.bincount(at, weights=deltas, minlength=len(pair)).round().astype(np.int64)
    owner, cells = pair // n, pair % n
    is_ray = np.array([w.ray for w in witnesses])[owner]
    moves = sp.csc_array((deltas.astype(np.float64), (cells, owner)), shape=(n, len(witnesses)))
    residual = sp.csc_array(matrix @ moves)
    residual.data[np.abs(residual.data) < 0.5] = 0.0
    residual.eliminate_zeros()
    broken = np.zeros(len(witnesses), np.bool_)
    broken[np.repeat(np.arange(len(witnesses)), np.diff(residual.indptr))] = True
    moved = deltas != 0
    fixed = known.lower[cells] == known.upper[cells]
    after = truth[cells] + deltas
    out_of_bounds = np.where(
        is_ray,
        (deltas < 0) | ((deltas > 0) & ~np.isinf(known.upper[cells])),
        (after < known.lower[cells]) | (after > known.upper[cells]),
    )
    bad_entry = (moved & fixed) | out_of_bounds
    broken[owner[bad_entry]] = True
    good = ~broken[owner]
    rise = np.where(is_ray & (deltas > 0), np.inf, np.maximum(deltas, 0).astype(np.float64))
    fall = np.where(is_ray, 0.0, np.maximum(-deltas, 0).astype(np.float64))
    np.maximum.at(up, cells[good], rise[good])
    np.maximum.at(down, cells[good], fall[good])
    return up, down, int(broken.sum())


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
    hidden = known.hidden
    reported = np.flatnonzero(hidden)
    up, down = _checked(matrix, known, truth, witnesses, progress)
    at_most = policy.primary.suppress_if_count_at_most
    if_small = np.minimum(
        float(policy.secondary.min_attacker_interval), known.upper - known.lower + 1
    )
    t_all = None if truth is None else truth.astype(np.float64)
    # The attacker's interval holds the true count: if it reaches down to the range (at most
    # ``at_most``) it holds every value from there up to the count, so a count of at least
    # ``at_most + required - 1`` passes whatever the interval; if it does not, nothing is required.
    far = np.zeros(tables.n_cells, np.bool_) if t_all is None else t_all >= at_most + if_small - 1

    def needed(found: Intervals) -> BoolArray:
        """Withheld cells that could be small and are not yet proved to keep enough values."""
        could_be_small = found.lower <= at_most
        if t_all is None:
            return hidden & could_be_small
        lo = np.where(found.exact_lower, found.lower, t_all - down)
        hi = np.where(found.exact_upper, found.upper, t_all + up)
        return hidden & could_be_small & (hi - lo + 1 < if_small) & ~far

    found: list[Witness] = []
    if local and truth is not None and not exhaustive:
        todo = hidden & ~far & (up + down + 1 < if_small)
        found = local_witnesses(
            matrix,
            known,
            truth,
            todo,
            up=up,
            down=down,
            required=if_small,
            levels=local_limits.levels,
            progress=progress,
        )
        up, down, _rejected = witness_ranges(matrix, known, truth, [*witnesses, *found])
        remaining = hidden & ~far & (up + down + 1 < if_small)
        remaining, parts = _in_small_components(matrix, known, remaining, local_limits.whole_limit)
        outer = propagate_bounds(matrix, known.lower, known.upper)
        intervals = _outer_intervals(outer, hidden)
        if remaining.any():
            solved = attacker_intervals(
                matrix,
                known.lower,
                known.upper,
                remaining,
                needed=needed,
                witness=t_all,
                exact_limit=exact_limit,
                outer=outer,
                parts=parts,
                progress=progress,
            )
            intervals = _merged(intervals, solved, remaining)
    else:
        intervals = attacker_intervals(
            matrix,
            known.lower,
            known.upper,
            hidden,
            needed=None if exhaustive else needed,
            witness=t_all,
            exact_limit=exact_limit,
            progress=progress,
        )
    lower = intervals.lower[reported]
    upper = intervals.upper[reported]
    exact = intervals.exact_lower[reported] & intervals.exact_upper[reported]
    if t_all is not None:
        t = t_all[reported]
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
    low, high = known.lower - t, known.upper - t
    rise, fall = up.copy(), down.copy()
    out: list[Witness] = []

    def record(move: Move) -> None:
        """Keep the witness; it proves every cell it moves by as much as it moves it."""
        out.append(Witness(move.cells, move.deltas))
        np.maximum.at(rise, move.cells, np.maximum(move.deltas, 0))
        np.maximum.at(fall, move.cells, np.maximum(-move.deltas, 0))

    def tell() -> None:
        proved = rise[asked] + fall[asked] + 1 >= required[asked]
        progress(PROVING, int(proved.sum()), len(asked))

    for depth, size in levels:
        for sign in (1, -1):
            for start in range(0, len(todo), LOCAL_GROUP):
                tell()
                group = todo[start : start + LOCAL_GROUP]
                short, amount = _still_short(group, sign, rise, fall, required, t, known.lower)
                if not len(short):
                    continue
                together = prove_together(
                    system,
                    low,
                    high,
                    short,
                    direction=sign,
                    wanted=amount,
                    depth=depth,
                    size=max(1, size // 4),
                    sparse=sparse,
                )
                if together is not None:
                    record(together)
                    gone = rise if sign > 0 else fall
                    ahead = gone[short] < amount
                    short, amount = short[ahead], amount[ahead]
                    if not len(short):
                        continue
                moves = prove(
                    system,
                    low,
                    high,
                    short,
                    direction=np.full(len(short), sign, np.int64),
                    wanted=amount,
                    depth=depth,
                    size=size,
                    sparse=sparse,
                )
                for move in moves:
                    record(move)
        todo = todo[rise[todo] + fall[todo] + 1 < required[todo]]
        if not len(todo):
            break
    tell()
    return out


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


@dataclass(frozen=True, eq=False)
class RevealedSum:
    """A relation whose withheld cells all count the same way and whose other cells are all
    published: the sum of those withheld cells is known exactly."""

    row: int
    cells: IntArray
    total: int
    #: the sum is small enough to narrow a possibly-small cell below the requirement
    disclosive: bool


def revealed_sums(tables: LinkedTables, known: Knowledge, policy: Policy) -> list[RevealedSum]:
    """Sums of withheld cells that the published totals give away (for published tables:
    the attacker can compute them, so they are reported as they are)."""
    matrix = tables.constraints.matrix
    variable = known.lower < known.upper
    csr = sp.csr_array(matrix)
    out = []
    lo_hidden = hidden_lower_bound(policy)
    need = policy.secondary.min_attacker_interval
    for r in range(csr.shape[0]):
        cols = csr.indices[csr.indptr[r] : csr.indptr[r + 1]]
        coef = csr.data[csr.indptr[r] : csr.indptr[r + 1]]
        vars_here = variable[cols]
        if vars_here.sum() < 2 or not known.hidden[cols[vars_here]].all():
            continue
        signs = coef[vars_here]
        if not (np.all(signs > 0) or np.all(signs < 0)):
            continue
        constant = float(coef[~vars_here] @ known.lower[cols[~vars_here]])
        total = round(-constant / signs[0])
        k = int(vars_here.sum())
        room = total - k * lo_hidden + 1  # values each cell can take from this relation alone
        out.append(RevealedSum(r, cols[vars_here], total, disclosive=room < need))
    return out
