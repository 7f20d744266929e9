"""Secondary suppression and the attacker's audit on issue 6's synthetic staff tables.

Run with ``python -m pytest benchmarks/test_bench_protect.py --benchmark-enable -s``. Shapes:
A, 5 ethnic groups x 9 bands x 4 sites, 3,000 staff (300 cells); B, 19 categories in 5 groups x
9 bands x 6 sites, 20,000 staff (1,750 cells); C, B x 3 years with an all-years total, 40,000
staff (7,000 cells); N, the national ten years: 210 organisations in 7 regions in England x 5
groups x 9 bands x 10 years with an all-years total, 13 million staff-years (143,880 cells).
Every table has all its totals; counts 1-4 are withheld (primary), zeros are
published, and every withheld cell that could be small must keep 5 possible values.

Timed: ``protect`` from the table to the certificate (search, audit, repairs), best of three
after a warm-up that compiles the kernels (N: once). Targets: B under 60 s (under 2 s before its
pattern was cleaned up), C under 10 s, N under 2 minutes. Checked: the
certificate passes everywhere and, for A and B, an audit from scratch (every interval solved
exactly, no witness tables, as ``wres audit`` does) agrees. Optimality: on A, the number of
withheld cells against the optimum of the same problem, solved exactly with
``scipy.optimize.milp`` by Benders decomposition (Fischetti and Salazar's capacity cuts from
the attacker's linear programme, for an attacker who treats counts as continuous: its optimum is
a lower bound for ours, so the gap printed is an upper bound). Target: within 10%.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from tests.synthetic_tables import Shape, synthetic_table
from wres.rules.attacker_knowledge import knowledge
from wres.rules.audit import audit
from wres.rules.policy import Policy, policy_from_toml
from wres.rules.secondary import Protection, protect
from wres.rules.secondary_settings import ProtectSettings
from wres.rules.table import LinkedTables

SEED = 1
BENCH_POLICY = """
name = "bench-1-4"
[primary]
suppress_if_count_at_most = 4
[secondary]
min_attacker_interval = 5
"""


@pytest.fixture(scope="module")
def policy() -> Policy:
    rule = policy_from_toml(BENCH_POLICY, "benchmark")
    warm = synthetic_table(Shape("warm-up", detailed=True, sites=2, years=0, staff=2000), 3)
    protect(warm, rule, settings=ProtectSettings(method="patterns"))  # compile the kernels
    return rule


def _best_of(repeats: int, function: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def _report(name: str, tables: LinkedTables, seconds: float, result: Protection) -> None:
    cert = result.certificate
    primary = np.isin(cert.cells, np.flatnonzero(result.primary))
    print(
        f"\nshape {name}: {tables.n_cells} cells, {int(result.primary.sum())} primary, "
        f"{int(result.secondary.sum())} secondary ({int(result.hidden.sum())} withheld), "
        f"protected and audited in {seconds:.3f} s; primary cells below the requirement: "
        f"{int((~cert.passed[primary]).sum())}; exact intervals {int(cert.exact.sum())}, "
        f"proved by witness tables {int((~cert.exact & (cert.required > 0)).sum())}"
    )


# B is cleaned up since issue 19 (``benchmarks/test_bench_cleanup.py``: 1 s of patterns, then
# the cleanup that withholds 40% fewer secondary cells); N keeps its patterns (over 10,000
# cells). C is cleaned up too, by default: its cleanup stops within seconds, as it publishes
# too few cells for its work (``wres.engine.protection.cleanup.CleanupLimits``, docs/disclosure.md)


@pytest.mark.parametrize(("shape", "target"), [("A", None), ("B", 60.0), ("C", 10.0), ("N", 120.0)])
def test_protected_and_audited_in_time(
    benchmark: pytest.FixtureRequest, policy: Policy, shape: str, target: float | None
) -> None:
    tables = synthetic_table(shape, SEED)
    start = time.perf_counter()
    result = benchmark.pedantic(  # type: ignore[attr-defined]
        protect, args=(tables, policy), rounds=1, iterations=1
    )
    seconds = time.perf_counter() - start
    if shape != "N":  # best of three; N (18 s) once
        again = _best_of(2, lambda: protect(tables, policy))[0]
        seconds = min(seconds, again)
    assert isinstance(result, Protection)
    _report(shape, tables, seconds, result)
    assert result.certificate.ok
    if target is not None:
        assert seconds < target


@pytest.mark.parametrize("shape", ["A", "B"])
def test_an_audit_from_scratch_agrees(policy: Policy, shape: str) -> None:
    tables = synthetic_table(shape, SEED)
    result = protect(tables, policy)
    known = knowledge(policy, tables.values, result.hidden)
    start = time.perf_counter()
    cert = audit(tables, known, policy)  # no truth, no witnesses: every interval solved
    seconds = time.perf_counter() - start
    print(
        f"\nshape {shape}: audit from scratch of {len(cert.cells)} withheld cells in "
        f"{seconds:.1f} s: {int(cert.exact.sum())} exact, {len(cert.failures)} failing"
    )
    assert cert.ok


def test_shape_a_is_within_10_percent_of_the_optimum(policy: Policy) -> None:
    tables = synthetic_table("A", SEED)
    start = time.perf_counter()
    ours = protect(tables, policy)
    ours_seconds = time.perf_counter() - start
    fast = protect(tables, policy, settings=ProtectSettings(method="patterns"))
    start = time.perf_counter()
    optimum = optimal_suppression(tables, policy, time_limit=1200.0)
    exact_seconds = time.perf_counter() - start
    assert optimum is not None, "the exact problem did not finish in the time allowed"
    n_primary = int(ours.primary.sum())
    gap = (int(ours.hidden.sum()) - optimum) / optimum
    print(
        f"\nshape A: optimum {optimum} withheld ({optimum - n_primary} secondary), found by "
        f"Benders cuts in {exact_seconds:.0f} s; wres (moves) {int(ours.hidden.sum())} "
        f"({int(ours.secondary.sum())} secondary) in {ours_seconds:.2f} s: {100 * gap:.1f}% "
        f"above; the fast pattern search {int(fast.hidden.sum())} "
        f"({100 * (int(fast.hidden.sum()) - optimum) / optimum:.0f}% above)"
    )
    assert gap <= 0.10


# --- the exact problem ------------------------------------------------------------------------


def _largest_move(
    matrix: sp.csr_array, slack: np.ndarray, hidden: np.ndarray, cell: int, direction: float
) -> tuple[float, np.ndarray | None]:
    """The continuous attacker's largest move of ``cell`` (up: -1, down: +1 objective) and the
    reduced costs over all cells (None when unbounded)."""
    cols = np.flatnonzero(hidden)
    sub = sp.csr_array(matrix[:, cols])
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sp.csr_array(sub[rows])
    c = np.zeros(len(cols))
    c[np.searchsorted(cols, cell)] = direction
    res = linprog(
        c,
        A_eq=sub,
        b_eq=np.zeros(len(rows)),
        bounds=list(zip(-slack[cols], [None] * len(cols), strict=True)),
        method="highs",
    )
    if res.status == 3:
        return np.inf, None
    assert res.status == 0, res.message
    duals = np.zeros(matrix.shape[0])
    duals[rows] = res.eqlin.marginals
    full_c = np.zeros(matrix.shape[1])
    full_c[cell] = direction
    return -res.fun, full_c - matrix.T @ duals


def optimal_suppression(tables: LinkedTables, policy: Policy, time_limit: float) -> int | None:
    """The fewest withheld cells such that every primary cell can move up plus down by at least
    ``min_attacker_interval - 1`` (continuous attacker, zeros published and never withheld), or
    None when the time runs out first (see :func:`lower_bound`)."""
    bound, optimal = lower_bound(tables, policy, time_limit)
    return bound if optimal else None


def _capacity_cut(
    matrix: sp.csr_array, row: int, at: int, *, slack: np.ndarray, hideable: np.ndarray, need: float
) -> np.ndarray:
    """A cut of relation ``row`` for its ``at``-th cell p. Along the relation, p moves up only
    as far as the withheld cells on its side of it move down (each at most its slack) or any
    withheld cell on the other side moves up; it moves down at most its own slack. So when
    its slack s_p is below the room R it needs, its cells must let it move up R - s_p:
    ``sum_same min(s_j, R - s_p) / (R - s_p) z_j + sum_other z_j >= 1`` (with every
    coefficient 1, the cut "a primary cell is not alone withheld in a relation")."""
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    members, signs = matrix.indices[lo:hi], np.sign(matrix.data[lo:hi])
    p = int(members[at])
    up = need - float(slack[p])
    cut = np.zeros(matrix.shape[1])
    others = (members != p) & hideable[members]
    same = others & (signs == signs[at])
    cut[members[others]] = 1.0
    if up > 0:
        cut[members[same]] = np.minimum(slack[members[same]], up) / up
    return cut


def lower_bound(tables: LinkedTables, policy: Policy, seconds: float) -> tuple[int, bool]:
    """The fewest withheld cells of the last master problem solved in ``seconds`` (each is a
    lower bound of the optimum), and whether it was the optimum (no cut left to add).

    Master: minimise the number of withheld cells subject to cuts. For a candidate, each short
    primary's largest moves give, from the duals, a valid cut: for any withheld set z, the
    largest move up is at most sum_j z_j (slack_j max(d_j, 0) + R [d_j < 0]) (R where a cell
    with negative reduced cost would let it grow without limit), so
    cut_up(z) + cut_down(z) >= R is necessary. From the start: each relation's capacity cut
    for each primary cell in it (:func:`_capacity_cut`). Iterate until the candidate protects
    every primary cell.
    """
    matrix = sp.csr_array(tables.constraints.matrix)
    values = tables.values
    at_most = policy.primary.suppress_if_count_at_most
    need = float(policy.secondary.min_attacker_interval - 1)
    primary = (values >= 1) & (values <= at_most)
    hideable = values >= 1
    slack = (values - 1).astype(np.float64)
    n = tables.n_cells
    cuts: list[np.ndarray] = []
    for r in range(matrix.shape[0]):
        members = matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]]
        cuts.extend(
            _capacity_cut(matrix, r, at, slack=slack, hideable=hideable, need=need)
            for at in np.flatnonzero(primary[members]).tolist()
        )
    bounds = Bounds(np.where(primary, 1.0, 0.0), np.where(hideable, 1.0, 0.0))
    start = time.perf_counter()
    best = int(primary.sum())
    while (left := seconds - (time.perf_counter() - start)) > 0:
        master = milp(
            np.ones(n),
            integrality=np.ones(n),
            bounds=bounds,
            constraints=[LinearConstraint(sp.csr_array(np.array(cuts)), 1.0, np.inf)],
            options={"time_limit": left},
        )
        if master.status != 0 or master.x is None:
            break  # out of time inside the master: the last bound stands
        z = np.round(master.x).astype(bool)
        best = int(z.sum())
        added = 0
        for p in np.flatnonzero(primary):
            up, d_up = _largest_move(matrix, slack, z, int(p), -1.0)
            if np.isinf(up):
                continue
            down, d_down = _largest_move(matrix, slack, z, int(p), 1.0)
            if up + down >= need - 1e-7 or d_up is None or d_down is None:
                continue
            coef = slack * np.maximum(d_up, 0) + need * (d_up < -1e-7)
            coef += slack * np.maximum(d_down, 0) + need * (d_down < -1e-7)
            cuts.append(coef / need)
            added += 1
        if not added:
            return best, True
    return best, False
