"""What the attacker of :mod:`wres.rules.audit` knows of each cell before solving anything: its
bounds from what is published (a count, a rounding interval, a marker, the withheld range),
the witness tables that prove how far a withheld cell can move, and the sums a reader can read
off a relation whose other cells are all published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from wres.engine.errors import InternalError
from wres.rules.policy import Policy
from wres.rules.table import LinkedTables

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
