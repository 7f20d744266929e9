"""What the statistics benchmarks share: their seeded random 2x2 tables and a best-of timer.

Each benchmark times ours against its baseline in the same run with :func:`best_seconds`, so
that the ratio it prints and asserts comes from one machine at one moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

#: Tables as four columns (a, n1, c, n2): a events of n1 against c events of n2.
Tables = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def random_tables(seed: int, count: int) -> Tables:
    """``count`` seeded random 2x2 tables, every cell (a, n1 - a, c, n2 - c) in 0..500."""
    rng = np.random.default_rng(seed)
    a, b, c, d = rng.integers(0, 501, (4, count))
    return a, a + b, c, c + d


def tables_fixture(seed: int, count: int) -> Callable[[], Tables]:
    """A module-scoped ``tables`` fixture: :func:`random_tables` made once for the module."""

    @pytest.fixture(scope="module")
    def tables() -> Tables:
        return random_tables(seed, count)

    return tables


def best_seconds(run: Callable[[], object], repeats: int = 3, *, warm_up: bool = False) -> float:
    """The shortest of ``repeats`` timed calls of ``run``; with ``warm_up``, after one untimed
    call (numba compiles or loads its cache, polars builds its pools)."""
    if warm_up:
        run()
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return float(best)
