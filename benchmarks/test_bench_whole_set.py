"""The whole set of statistics for 1,000,000 comparisons: time and peak memory.

Run with ``python -m pytest benchmarks/test_bench_whole_set.py --benchmark-enable -s``.
For each of a million seeded random tables (every cell 0..500): the relative likelihood with its
score interval, the chi-square and mid-p p-values, and Benjamini-Hochberg adjustment of each.
Two baselines are measured in the same run: the per-table Python loop over statsmodels and
scipy that the set replaces (on a subset), which it must beat at least 100-fold per comparison,
and the memory-traffic floor, one numpy pass computing the two rates and their ratio, reported
as the number of such passes the set costs.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from pytest_benchmark.fixture import BenchmarkFixture
from scipy.stats import chi2_contingency, hypergeom
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from benchmarks.timing import Tables, best_seconds, tables_fixture
from wres.engine.stats import adjust, p_value, relative_likelihood

N = 1_000_000
N_BASELINE = 200
MIN_SPEEDUP = 100.0


tables = tables_fixture(20261127, N)


def whole_set(t: Tables) -> dict[str, np.ndarray]:
    rr = relative_likelihood(*t, ci="score")
    chi2 = p_value(*t, test="chi2")
    midp = p_value(*t, test="midp")
    return {
        "estimate": rr.estimate,
        "ci_low": rr.ci_low,
        "ci_high": rr.ci_high,
        "chi2": chi2,
        "chi2_bh": adjust(chi2),
        "midp": midp,
        "midp_bh": adjust(midp),
    }


def library_loop(t: Tables) -> None:
    """The same set one table at a time with statsmodels and scipy."""
    chi2, midp = [], []
    for a, n1, c, n2 in zip(*(x.tolist() for x in t), strict=True):
        confint_proportions_2indep(a, n1, c, n2, method="score", compare="ratio", correction=False)
        table = [[a, n1 - a], [c, n2 - c]]
        chi2.append(chi2_contingency(table, correction=False).pvalue)
        dist = hypergeom(n1 + n2, a + c, n1)
        half = 0.5 * dist.pmf(a)
        midp.append(min(1.0, 2 * min(dist.cdf(a - 1) + half, dist.sf(a) + half)))
    multipletests(chi2, method="fdr_bh")
    multipletests(midp, method="fdr_bh")


def memory_pass(t: Tables) -> np.ndarray:
    a, n1, c, n2 = t
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a / n1) / (c / n2)


def test_whole_set_for_a_million_comparisons(benchmark: BenchmarkFixture, tables: Tables) -> None:
    whole_set(tuple(x[:1000] for x in tables))  # type: ignore[arg-type]  # compile the kernels
    tracemalloc.start()
    whole_set(tables)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ours = best_seconds(lambda: whole_set(tables))
    floor = best_seconds(lambda: memory_pass(tables))
    subset = tuple(x[:N_BASELINE] for x in tables)
    loop = best_seconds(lambda: library_loop(subset), repeats=1) / N_BASELINE  # type: ignore[arg-type]
    benchmark.pedantic(whole_set, args=(tables,), rounds=1, iterations=1)
    speedup = loop / (ours / N)
    print(
        f"\nwhole set, {N:,} comparisons: {ours:.2f} s ({1e9 * ours / N:.0f} ns each), "
        f"peak traced memory {peak / 2**20:.0f} MiB (inputs {4 * N * 8 / 2**20:.0f} MiB); "
        f"statsmodels/scipy loop {1e6 * loop:.0f} us per table, so {speedup:.0f}x; "
        f"memory pass {floor * 1e3:.1f} ms, so the set costs {ours / floor:.0f} passes"
    )
    assert speedup >= MIN_SPEEDUP
