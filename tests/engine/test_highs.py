"""wres's ``milp`` solves what ``scipy.optimize.milp`` solves, to the bit: the same status, the
same solution and the same objective, on linear and integer programmes, feasible or not, within
or beyond a node limit. scipy's own ``milp`` is the reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult
from scipy.optimize import milp as scipy_milp

from wres.engine.protection import highs
from wres.engine.protection.highs import milp


def _programme(seed: int) -> dict[str, object]:
    """A programme like the attacker's: whole-number equalities over bounded counts; every third
    one integral, every fifth one infeasible (a right-hand side off by a half)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 50)), int(rng.integers(1, 25))
    a = np.round(sp.random(m, n, density=0.3, random_state=seed).toarray() * 10)
    b = a @ rng.integers(0, 10, n).astype(float) + (0.5 if seed % 5 == 4 else 0.0)
    return {
        "c": rng.normal(size=n),
        "integrality": rng.integers(0, 2, n) if seed % 3 == 0 else None,
        "bounds": Bounds(np.zeros(n), np.full(n, 20.0)),
        "constraints": [LinearConstraint(sp.csr_array(a), b, b)],
        "options": {"node_limit": 50},  # a new dict each time: scipy's milp empties it
    }


def _args(seed: int) -> tuple[object, dict[str, object]]:
    programme = _programme(seed)
    return programme.pop("c"), programme


def _same(ours: OptimizeResult, theirs: OptimizeResult) -> bool:
    if ours.status != theirs.status or ours.fun != theirs.fun:
        return False
    if ours.x is None or theirs.x is None:
        return ours.x is None and theirs.x is None
    return bool(np.array_equal(ours.x, theirs.x))


def test_the_fast_path_is_taken_on_this_scipy() -> None:
    assert highs.FAST


@pytest.mark.parametrize("seed", range(60))
def test_the_same_solution_as_scipys_milp(seed: int) -> None:
    c, kwargs = _args(seed)
    ours = milp(c, **kwargs)  # type: ignore[arg-type]
    c, kwargs = _args(seed)
    theirs = scipy_milp(c, **kwargs)  # type: ignore[arg-type]
    assert _same(ours, theirs), (ours.status, theirs.status)


def test_statuses_cover_optimal_infeasible_and_a_node_limit() -> None:
    statuses = set()
    for seed in range(60):
        c, kwargs = _args(seed)
        statuses.add(milp(c, **kwargs).status)  # type: ignore[arg-type]
    assert {0, 2} <= statuses  # optimal and infeasible seen; the node limit is 4 or 0


def test_the_options_given_are_left_as_they_were() -> None:
    c, kwargs = _args(3)
    options = kwargs["options"]
    milp(c, **kwargs)  # type: ignore[arg-type]
    assert options == {"node_limit": 50}


def test_without_the_fast_path_it_is_scipys_milp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highs, "FAST", False)
    calls: list[object] = []

    def spy(*args: object, **kwargs: object) -> OptimizeResult:
        calls.append(args)
        return scipy_milp(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(highs, "scipy_milp", spy)
    c, kwargs = _args(1)
    ours = milp(c, **kwargs)  # type: ignore[arg-type]
    c, kwargs = _args(1)
    assert _same(ours, scipy_milp(c, **kwargs))  # type: ignore[arg-type]
    assert len(calls) == 1
