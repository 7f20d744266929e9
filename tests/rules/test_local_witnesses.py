"""Witnesses from small problems around a cell (``wres.engine.protection.local``): each is a
table the attacker cannot tell from the true one, and it goes as far as the exact interval
allows."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from tests.synthetic_tables import full_table
from wres.engine.protection import local
from wres.engine.protection.local import System, prove, prove_together, repair
from wres.rules.attacker_knowledge import Knowledge, Witness, knowledge, witness_ranges
from wres.rules.audit import Certificate, audit
from wres.rules.local_witnesses import LocalLimits
from wres.rules.policy import policy_from_toml
from wres.rules.table import Hierarchy, LinkedTables

POLICY = policy_from_toml(
    "[primary]\nsuppress_if_count_at_most = 4\n[secondary]\nmin_attacker_interval = 5\n", "test"
)


def random_table(seed: int) -> tuple[LinkedTables, np.ndarray]:
    """A 3-dimensional table with its totals, about a third of its cells withheld."""
    rng = np.random.default_rng(seed)
    dims = [Hierarchy.flat(name, [f"{name}{i}" for i in range(n)]) for name, n in
            (("a", 4), ("b", 3), ("c", 3))]  # fmt: skip
    tables = full_table(dims, rng.integers(1, 12, size=(4, 3, 3)))
    hidden = rng.random(tables.n_cells) < 0.35
    return tables, hidden


def exact_up(tables: LinkedTables, lower: np.ndarray, upper: np.ndarray, cell: int) -> float:
    """The attacker's largest value of ``cell`` by an integer programme over the whole table."""
    matrix = tables.constraints.matrix
    objective = np.zeros(tables.n_cells)
    objective[cell] = -1.0
    zero = np.zeros(matrix.shape[0])
    found = milp(
        objective,
        bounds=Bounds(lower, upper),
        constraints=[LinearConstraint(matrix, zero, zero)],
        integrality=np.ones(tables.n_cells),
    )
    assert found.status == 0
    return float(-found.fun)


@pytest.mark.parametrize("seed", range(12))
def test_a_local_move_is_a_witness_and_reaches_the_exact_bound(seed: int) -> None:
    tables, hidden = random_table(seed)
    known = knowledge(POLICY, tables.values, hidden)
    truth = tables.values
    # an upper limit so that the exact programme is bounded: the known totals bound every cell
    upper = np.minimum(known.upper, truth.sum())
    targets = np.flatnonzero(hidden)
    wanted = np.full(len(targets), 1000, np.int64)
    low, high = known.lower - truth, upper - truth
    moves = prove(
        System.of(tables.constraints.matrix), low, high, targets,
        direction=np.ones(len(targets), np.int64), wanted=wanted, depth=10, size=10_000,
    )  # fmt: skip
    by_target = {m.target: m for m in moves}
    witnesses = [Witness(m.cells, m.deltas) for m in moves]
    up, _down, rejected = witness_ranges(tables.constraints.matrix, known, truth, witnesses)
    assert rejected == 0
    for cell in targets:
        best = exact_up(tables, known.lower, upper, int(cell)) - truth[cell]
        assert (by_target[cell].amount if cell in by_target else 0) == best
        assert up[cell] == best


def test_the_audit_with_local_witnesses_agrees_with_the_exact_audit() -> None:
    for seed in range(6):
        tables, hidden = random_table(seed)
        known = knowledge(POLICY, tables.values, hidden)
        exact = audit(tables, known, POLICY)
        local = audit(
            tables, known, POLICY, truth=tables.values, exhaustive=False, exact_limit=0, local=True
        )
        assert np.array_equal(exact.passed, local.passed), seed


def square(leaves: list[list[int]]) -> LinkedTables:
    rows = Hierarchy.flat("row", [f"r{i + 1}" for i in range(len(leaves))])
    cols = Hierarchy.flat("col", [f"c{j + 1}" for j in range(len(leaves[0]))])
    return full_table([rows, cols], np.array(leaves))


def rectangle(tables: LinkedTables) -> list[int]:
    return [int(tables.cells_of({"row": r, "col": c})[0])
            for r, c in (("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"))]  # fmt: skip


def withheld_rectangle() -> tuple[LinkedTables, list[int], Knowledge]:
    """[[3, 20], [15, 25]] with its totals, the four inner cells withheld."""
    tables = square([[3, 20], [15, 25]])
    corners = rectangle(tables)
    hidden = np.zeros(tables.n_cells, np.bool_)
    hidden[corners] = True
    return tables, corners, knowledge(POLICY, tables.values, hidden)


def test_cells_left_in_too_large_a_component_fail_rather_than_pass_unproved() -> None:
    """A withheld rectangle: the exact audit finds room for each corner, but local problems of
    one relation (kept that small here) cannot see the opposite corner. Below the component
    limit the cells are solved over the component and pass; above it they fail, never pass
    on outer bounds."""
    tables, corners, known = withheld_rectangle()
    exact = audit(tables, known, POLICY)

    def local(limit: int) -> Certificate:
        # local problems of one relation (kept that small here)
        limits = LocalLimits(levels=((1, 4),), whole_limit=limit)
        return audit(
            tables, known, POLICY, truth=tables.values, exhaustive=False, exact_limit=0,
            local=True, local_limits=limits,
        )  # fmt: skip

    corner = corners[0]  # the 3: the others are far above the withheld range
    assert exact.ok
    assert local(10**6).ok
    limited = local(0)
    assert not limited.exact.any()
    assert limited.failures.tolist() == [corner]


def test_a_rectangle_moves_as_far_as_asked_within_its_bounds() -> None:
    tables, corners, known = withheld_rectangle()
    truth = tables.values
    low, high = known.lower - truth, known.upper - truth
    system = System.of(tables.constraints.matrix)
    one = np.array([corners[0]])
    (down,) = prove(
        system, low, high, one, direction=np.array([-1]), wanted=np.array([5]), depth=2, size=4
    )
    assert down.amount == 2  # 3 down to 1: zeros are published, so a withheld cell is >= 1
    (up,) = prove(
        system, low, high, one, direction=np.array([1]), wanted=np.array([4]), depth=2, size=4
    )
    assert up.amount == 4  # as far as asked, no further
    assert sorted(up.cells.tolist()) == sorted(corners)
    _up, _down, rejected = witness_ranges(
        tables.constraints.matrix, known, truth, [Witness(m.cells, m.deltas) for m in (down, up)]
    )
    assert rejected == 0
    assert not prove(
        system, low, high, one, direction=np.array([1]), wanted=np.array([4]), depth=1, size=4
    )


def test_a_cell_listed_twice_in_a_witness_moves_by_the_sum() -> None:
    tables, corners, known = withheld_rectangle()
    # each entry alone keeps r1/c1 at 1 or more; together they take it to -1
    twice = Witness(
        np.array([corners[0], corners[0], corners[1], corners[2], corners[3]]),
        np.array([-2, -2, 4, 4, -4]),
    )
    _up, down, rejected = witness_ranges(tables.constraints.matrix, known, tables.values, [twice])
    assert rejected == 1
    assert down[corners[0]] == 0


def test_a_lone_withheld_cell_is_repaired_by_the_cheapest_rectangle() -> None:
    tables = square([[3, 20, 9], [15, 25, 40], [12, 18, 22]])
    r1c1 = int(tables.cells_of({"row": "r1", "col": "c1"})[0])
    truth = tables.values
    # r1/c1 withheld, every other cell could be: moves down to 1 (zeros published), up freely
    low = (1 - truth).astype(np.float64)
    high = np.full(tables.n_cells, np.inf)
    cost = truth.astype(np.float64) + 1.0  # small cells are cheaper to withhold
    (move,) = repair(System.of(tables.constraints.matrix), low, high, np.array([r1c1]),
                     wanted=np.array([4]), cost=cost)  # fmt: skip
    assert move.amount >= 4
    chosen = {tables.key(int(c))[:2] for c in move.cells}
    # the cheapest rectangle through r1/c1: r1/c3 (9) and r3/c1 (12) and r3/c3 (22)
    assert chosen == {("r1", "c1"), ("r1", "c3"), ("r3", "c1"), ("r3", "c3")}
    hidden = np.zeros(tables.n_cells, np.bool_)
    hidden[move.cells] = True
    known = knowledge(POLICY, truth, hidden)
    up, _down, rejected = witness_ranges(
        tables.constraints.matrix, known, truth, [Witness(move.cells, move.deltas)]
    )
    assert rejected == 0
    assert up[r1c1] >= 4


@pytest.mark.parametrize("seed", range(6))
def test_one_move_for_a_group_is_a_witness_for_every_cell_it_moves(seed: int) -> None:
    # a two-way table: its linear programmes have whole-number optima
    rng = np.random.default_rng(seed)
    tables = square(rng.integers(1, 12, size=(5, 4)).tolist())
    hidden = rng.random(tables.n_cells) < 0.5
    known = knowledge(POLICY, tables.values, hidden)
    truth = tables.values
    upper = np.minimum(known.upper, truth.sum())
    targets = np.flatnonzero(hidden)
    together = prove_together(
        System.of(tables.constraints.matrix), known.lower - truth, upper - truth, targets,
        direction=1, wanted=np.full(len(targets), 3, np.int64), depth=10, size=10_000,
    )  # fmt: skip
    assert together is not None
    witness = Witness(together.cells, together.deltas)
    up, _down, rejected = witness_ranges(tables.constraints.matrix, known, truth, [witness])
    assert rejected == 0
    for cell in targets:  # no cell moves further than asked, none beyond its exact bound
        assert up[cell] <= min(3, exact_up(tables, known.lower, upper, int(cell)) - truth[cell])
    assert up[targets].max() == together.amount >= 1


def test_a_fractional_optimum_becomes_an_integral_move_as_good() -> None:
    """Half of each of two rectangles through the top-left cell of a 2 x 3 table (row and
    column totals kept) moves it up by 1 but moves four cells by a half: the integral move
    found instead is one whole rectangle, as far, and keeps every relation and bound."""
    dims = [Hierarchy.flat("r", ["r1", "r2"]), Hierarchy.flat("c", ["c1", "c2", "c3"])]
    tables = full_table(dims, np.ones((2, 3), np.int64))
    matrix = sp.csr_array(tables.constraints.matrix)
    inner = np.flatnonzero((tables.coords > 0).all(axis=1))  # the six cells, r1c1 first
    up_first = np.array([-1.0, 0, 0, 0, 0, 0])  # the programme maximises r1c1's move
    block = local._Block(sp.csr_array(matrix[:, inner]), np.full(6, -1.0), np.ones(6), up_first)
    half = np.array([1.0, -0.5, -0.5, -1.0, 0.5, 0.5])  # r1: c1 c2 c3, r2: c1 c2 c3
    assert np.allclose(block.matrix @ half, 0.0)
    found = local._integral(block, half, sparse=True)
    assert found is not None
    assert np.array_equal(found, np.round(found))
    assert np.allclose(block.matrix @ found, 0.0)
    assert (found >= block.lo).all()
    assert (found <= block.hi).all()
    assert found[0] == 1.0
    assert np.count_nonzero(found) == 4
