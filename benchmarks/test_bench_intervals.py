"""Speed of the ratio intervals: our numba kernels against statsmodels, one table at a time.

Run with ``python -m pytest benchmarks/test_bench_intervals.py --benchmark-enable``. Tables are
seeded random 2x2 tables with every cell (a, n1 - a, c, n2 - c) in 0..500. The baseline is what
a user would otherwise write: ``confint_proportions_2indep(..., method="score",
compare="ratio")`` per table in a Python loop (``correction=False`` is Koopman's interval, ours
"score"; ``correction=True``, statsmodels' default, is Miettinen-Nurminen, ours "mn"). It runs
on a subset without zero cells (statsmodels warns on those, and picks a wrong root when a
proportion is 1). The JIT is warmed up before anything is timed.
"""

from __future__ import annotations

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from statsmodels.stats.proportion import confint_proportions_2indep

from benchmarks.timing import Tables, best_seconds, tables_fixture
from wres.engine.stats.intervals import relative_likelihood

N_TABLES = 200_000
N_BASELINE = 500
MIN_SPEEDUP = 100.0


tables = tables_fixture(20261128, N_TABLES)


@pytest.fixture(scope="module")
def baseline_tables(tables: Tables) -> Tables:
    a, n1, c, n2 = tables
    interior = (a > 0) & (a < n1) & (c > 0) & (c < n2)
    return (
        a[interior][:N_BASELINE],
        n1[interior][:N_BASELINE],
        c[interior][:N_BASELINE],
        n2[interior][:N_BASELINE],
    )


def _statsmodels_loop(tables: Tables, correction: bool) -> list[tuple[float, float]]:
    return [
        confint_proportions_2indep(
            int(x), int(m), int(y), int(k), method="score", compare="ratio", correction=correction
        )
        for x, m, y, k in zip(*tables, strict=True)
    ]


@pytest.mark.parametrize(("method", "correction"), [("score", False), ("mn", True)])
def test_score_is_100x_faster_than_statsmodels_per_table(
    benchmark: BenchmarkFixture,
    tables: Tables,
    baseline_tables: Tables,
    method: str,
    correction: bool,
) -> None:
    relative_likelihood(*(x[:100] for x in tables), ci=method)
    result = benchmark(relative_likelihood, *tables, ci=method)
    ours = best_seconds(lambda: relative_likelihood(*tables, ci=method), 5) / N_TABLES
    theirs = best_seconds(lambda: _statsmodels_loop(baseline_tables, correction), 2) / N_BASELINE
    # same answers on the subset, so the speed is not bought with accuracy
    subset = relative_likelihood(*baseline_tables, ci=method)
    reference = np.array(_statsmodels_loop(baseline_tables, correction))
    np.testing.assert_allclose(subset.ci_low, reference[:, 0], rtol=1e-7)
    np.testing.assert_allclose(subset.ci_high, reference[:, 1], rtol=1e-7)
    assert result.estimate.shape == (N_TABLES,)
    speedup = theirs / ours
    benchmark.extra_info.update(
        ours_ns_per_table=ours * 1e9,
        statsmodels_us_per_table=theirs * 1e6,
        speedup=speedup,
    )
    print(  # shown with -s
        f"\n{method}: ours {ours * 1e9:.0f} ns/table, statsmodels {theirs * 1e6:.1f} us/table, "
        f"{speedup:.0f}x"
    )
    assert speedup >= MIN_SPEEDUP


def test_katz(benchmark: BenchmarkFixture, tables: Tables) -> None:
    relative_likelihood(*(x[:100] for x in tables), ci="katz")
    result = benchmark(relative_likelihood, *tables, ci="katz")
    assert result.corrected.any()


def test_statsmodels_score_baseline(benchmark: BenchmarkFixture, baseline_tables: Tables) -> None:
    out = benchmark.pedantic(
        _statsmodels_loop, args=(baseline_tables, False), rounds=2, iterations=1
    )
    assert len(out) == N_BASELINE
