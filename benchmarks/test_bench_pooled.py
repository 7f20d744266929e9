"""Pooled estimates: our batched kernels against a per-comparison statsmodels loop, one run.

Run with ``python -m pytest benchmarks/test_bench_pooled.py --benchmark-enable``. Both sides are
timed here (best of several runs, JIT warmed up first) so that the per-comparison ratio printed
and asserted comes from the same run; the benchmark table shows the same calls again.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.contingency_tables import StratifiedTable

from benchmarks.timing import best_seconds
from wres.engine.stats.pooled import mantel_haenszel, trend

COMPARISONS = 100_000
STRATA = 10
SUBSET = 300  # comparisons the Python baselines loop over

Data = tuple[np.ndarray, ...]


@pytest.fixture(scope="module")
def data() -> Data:
    """WRES-like strata: focal groups of 5..200 staff, reference groups of 20..1000."""
    rng = np.random.default_rng(20261127)
    rows = COMPARISONS * STRATA
    n1 = rng.integers(5, 200, rows)
    n2 = rng.integers(20, 1000, rows)
    a = rng.binomial(n1, rng.uniform(0.05, 0.4, rows))
    c = rng.binomial(n2, rng.uniform(0.05, 0.3, rows))
    strata_of = np.repeat(np.arange(COMPARISONS), STRATA)
    x = np.tile(np.arange(2015, 2015 + STRATA), COMPARISONS).astype(np.float64)
    order = rng.permutation(rows)  # rows in no particular order, as a count cube gives them
    return a[order], n1[order], c[order], n2[order], strata_of[order], x[order]


def _subset(data: Data) -> list[Data]:
    a, n1, c, n2, strata_of, x = data
    chosen = np.isin(strata_of, np.arange(SUBSET))
    a, n1, c, n2, strata_of, x = (v[chosen] for v in (a, n1, c, n2, strata_of, x))
    return [
        (a[rows], n1[rows], c[rows], n2[rows], x[rows])
        for rows in (strata_of == k for k in range(SUBSET))
    ]


def _statsmodels_mh_and_q(groups: list[Data]) -> list[tuple[float, ...]]:
    """RR_MH from StratifiedTable, plus the Greenland-Robins SE and Q one would add by hand."""
    out = []
    for a, n1, c, n2, _ in groups:
        rr = StratifiedTable(
            np.array([[a, n1 - a], [c, n2 - c]], dtype=np.float64)
        ).riskratio_pooled
        total = n1 + n2
        r, s = np.sum(a * n2 / total), np.sum(c * n1 / total)
        se = np.sqrt(np.sum((n1 * n2 * (a + c) - a * c * total) / total**2) / (r * s))
        keep = ~(((a == 0) & (c == 0)) | ((a == n1) & (c == n2)))
        shift = np.where((a == 0) | (c == 0) | (a == n1) | (c == n2), 0.5, 0.0)[keep]
        ak, ck, n1k, n2k = (
            a[keep] + shift,
            c[keep] + shift,
            n1[keep] + 2 * shift,
            n2[keep] + 2 * shift,
        )
        y = np.log(ak / n1k) - np.log(ck / n2k)
        w = 1 / (1 / ak - 1 / n1k + 1 / ck - 1 / n2k)
        q = float(np.sum(w * (y - np.log(rr)) ** 2))
        out.append((rr, se, q, sps.chi2.sf(q, keep.sum() - 1)))
    return out


def _statsmodels_trend(groups: list[Data]) -> list[tuple[float, ...]]:
    out = []
    for a, n1, c, n2, x in groups:
        shift = np.where((a == 0) | (c == 0) | (a == n1) | (c == n2), 0.5, 0.0)
        ak, ck, n1k, n2k = a + shift, c + shift, n1 + 2 * shift, n2 + 2 * shift
        y = np.log(ak / n1k) - np.log(ck / n2k)
        w = 1 / (1 / ak - 1 / n1k + 1 / ck - 1 / n2k)
        fit = sm.WLS(y, sm.add_constant(x), weights=w).fit(cov_type="fixed scale")
        out.append((fit.params[1], fit.bse[1], fit.pvalues[1]))
    return out


def _report(benchmark, name: str, ours: float, theirs: float) -> None:
    ours_each, theirs_each = ours / COMPARISONS, theirs / SUBSET
    speedup = theirs_each / ours_each
    benchmark.extra_info.update(
        {
            "ours_s_per_comparison": ours_each,
            "baseline_s_per_comparison": theirs_each,
            "speedup_per_comparison": speedup,
        }
    )
    print(
        f"\n{name}: ours {ours_each * 1e9:.0f} ns/comparison "
        f"({COMPARISONS:,} x {STRATA} strata in {ours:.3f} s), statsmodels loop "
        f"{theirs_each * 1e6:.1f} us/comparison: {speedup:,.0f}x faster"
    )
    assert ours_each < theirs_each


def test_mantel_haenszel_and_q_batched_vs_statsmodels_loop(benchmark, data: Data) -> None:
    a, n1, c, n2, strata_of, _ = data
    mantel_haenszel([1, 2], [5, 5], [1, 2], [5, 5], strata_of=[0, 0])  # compile first

    def ours() -> object:
        return mantel_haenszel(a, n1, c, n2, strata_of=strata_of, n_comparisons=COMPARISONS)

    groups = _subset(data)
    theirs = best_seconds(lambda: _statsmodels_mh_and_q(groups), 3)
    result = benchmark(ours)
    baseline = _statsmodels_mh_and_q(groups)
    np.testing.assert_allclose(result.estimate[:SUBSET], [b[0] for b in baseline], rtol=1e-9)
    np.testing.assert_allclose(result.q[:SUBSET], [b[2] for b in baseline], rtol=1e-9)
    _report(benchmark, "MH + Q", best_seconds(ours, 5), theirs)


def test_statsmodels_mh_loop_baseline(benchmark, data: Data) -> None:
    groups = _subset(data)
    benchmark(_statsmodels_mh_and_q, groups)


def test_trend_batched_vs_statsmodels_wls_loop(benchmark, data: Data) -> None:
    a, n1, c, n2, strata_of, x = data
    trend([1, 2], [1, 2], [5, 5], [1, 2], [5, 5])  # compile first

    def ours() -> object:
        return trend(x, a, n1, c, n2, strata_of=strata_of, n_comparisons=COMPARISONS)

    groups = _subset(data)
    theirs = best_seconds(lambda: _statsmodels_trend(groups), 3)
    result = benchmark(ours)
    baseline = _statsmodels_trend(groups)
    np.testing.assert_allclose(result.slope[:SUBSET], [b[0] for b in baseline], rtol=1e-8)
    _report(benchmark, "trend", best_seconds(ours, 5), theirs)
