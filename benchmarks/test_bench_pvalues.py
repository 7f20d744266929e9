"""Speed of the p-values: our numba kernels against scipy, one table at a time.

Run with ``python -m pytest benchmarks/test_bench_pvalues.py --benchmark-enable``. Tables are
seeded random 2x2 tables with every cell (a, n1 - a, c, n2 - c) in 0..500. We time the public
``p_value`` (validation included) on all of them; the baseline is what a user would otherwise
write, a Python loop over a subset calling scipy per table:

- fisher: ``scipy.stats.fisher_exact(table).pvalue`` (target: 500x faster per table);
- midp: the epitools mid-p from ``scipy.stats.hypergeom`` (cdf, sf and pmf of one table);
- chi2: ``scipy.stats.chi2_contingency(table, correction=False).pvalue``.

The JIT is warmed up before anything is timed; each timing is the best of a few repeats.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from scipy.stats import chi2_contingency, fisher_exact, hypergeom

from benchmarks.timing import Tables, best_seconds, tables_fixture
from wres.engine.stats.pvalues import p_value

N_TABLES = 200_000
N_BASELINE = 300
#: The speed-ups asserted per table: Fisher's is the target; the others guard against regressions.
MIN_SPEEDUP = {"fisher": 500.0, "midp": 100.0, "chi2": 100.0}


tables = tables_fixture(20261129, N_TABLES)


def _scipy_fisher(a: int, n1: int, c: int, n2: int) -> float:
    return float(fisher_exact([[a, n1 - a], [c, n2 - c]]).pvalue)


def _scipy_midp(a: int, n1: int, c: int, n2: int) -> float:
    dist = hypergeom(n1 + n2, a + c, n1)
    half = 0.5 * dist.pmf(a)
    return float(min(1.0, 2 * min(dist.cdf(a - 1) + half, dist.sf(a) + half)))


def _scipy_chi2(a: int, n1: int, c: int, n2: int) -> float:
    if a + c in (0, n1 + n2):
        return 1.0  # scipy refuses a zero expected count; we define p = 1 there
    return float(chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=False).pvalue)


BASELINES: dict[str, Callable[[int, int, int, int], float]] = {
    "fisher": _scipy_fisher,
    "midp": _scipy_midp,
    "chi2": _scipy_chi2,
}


@pytest.mark.parametrize("test", ["fisher", "midp", "chi2"])
def test_p_values_beat_a_scipy_loop_per_table(
    benchmark: BenchmarkFixture, tables: Tables, test: str
) -> None:
    subset = [tuple(int(x[i]) for x in tables) for i in range(N_BASELINE)]
    baseline = BASELINES[test]

    p_value(*(x[:100] for x in tables), test=test)
    benchmark(p_value, *tables, test=test)
    ours = best_seconds(lambda: p_value(*tables, test=test), 5) / N_TABLES
    theirs = best_seconds(lambda: [baseline(*t) for t in subset], 2) / N_BASELINE

    # the same answers on the subset, so the speed is not bought with accuracy
    expected = np.array([baseline(*t) for t in subset])
    got = p_value(*(x[:N_BASELINE] for x in tables), test=test)
    shown = expected > 1e-290
    np.testing.assert_allclose(got[shown], expected[shown], rtol=1e-9)

    speedup = theirs / ours
    benchmark.extra_info.update(
        {"ours_ns_per_table": ours * 1e9, "scipy_us_per_table": theirs * 1e6, "speedup": speedup}
    )
    print(  # shown with -s: the figures to quote
        f"\n{test}: ours {ours * 1e9:.0f} ns/table, scipy {theirs * 1e6:.1f} us/table, "
        f"{speedup:.0f}x"
    )
    assert speedup >= MIN_SPEEDUP[test], f"{test}: only {speedup:.0f}x faster than scipy"
