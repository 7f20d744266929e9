"""The first statistics against independent references: scipy and statsmodels."""

import numpy as np
import pytest
from scipy.stats import contingency, fisher_exact
from statsmodels.stats.multitest import multipletests

from engine.stats import adjust, p_value, relative_likelihood

RNG = np.random.default_rng(20261127)


def _random_tables(k: int) -> tuple[np.ndarray, ...]:
    n1 = RNG.integers(1, 400, k)
    n2 = RNG.integers(1, 400, k)
    return RNG.integers(0, n1 + 1), n1, RNG.integers(0, n2 + 1), n2


def test_katz_interval_matches_scipy_relative_risk_away_from_zero_cells() -> None:
    a, n1, c, n2 = _random_tables(300)
    result = relative_likelihood(a, n1, c, n2, ci="katz")
    for i in range(len(a)):
        if min(a[i], c[i]) == 0 or a[i] == n1[i] or c[i] == n2[i]:
            continue
        ref = contingency.relative_risk(int(a[i]), int(n1[i]), int(c[i]), int(n2[i]))
        ci = ref.confidence_interval(confidence_level=0.95)
        assert result.estimate[i] == pytest.approx(ref.relative_risk, rel=1e-12)
        assert result.ci_low[i] == pytest.approx(ci.low, rel=1e-9)
        assert result.ci_high[i] == pytest.approx(ci.high, rel=1e-9)


def test_ratio_is_not_calculable_when_the_denominator_rate_is_zero() -> None:
    result = relative_likelihood([5, 0], [10, 10], [0, 0], [20, 20])
    assert np.isnan(result.estimate).all()
    assert np.isnan(result.ci_low).all()


def test_zero_numerator_gives_ratio_zero_with_a_corrected_interval() -> None:
    result = relative_likelihood([0], [50], [5], [50])
    assert result.estimate[0] == 0.0
    assert result.corrected[0]
    assert 0 < result.ci_low[0] < result.ci_high[0]


def test_fisher_matches_scipy() -> None:
    a, n1, c, n2 = _random_tables(200)
    ours = p_value(a, n1, c, n2, test="fisher")
    for i in range(len(a)):
        table = [[a[i], n1[i] - a[i]], [c[i], n2[i] - c[i]]]
        assert ours[i] == pytest.approx(fisher_exact(table).pvalue, rel=1e-12)


@pytest.mark.parametrize(("ours", "theirs"), [("bh", "fdr_bh"), ("holm", "holm")])
def test_adjustment_matches_statsmodels(ours: str, theirs: str) -> None:
    p = RNG.uniform(0, 0.2, 500) ** 2
    expected = multipletests(p, method=theirs)[1]
    np.testing.assert_allclose(adjust(p, method=ours), expected, rtol=1e-12)  # type: ignore[arg-type]


def test_adjustment_ignores_untested_comparisons() -> None:
    p = np.array([0.01, np.nan, 0.04])
    out = adjust(p)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], multipletests([0.01, 0.04], method="fdr_bh")[1])
