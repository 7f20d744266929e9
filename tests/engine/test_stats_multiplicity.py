"""Multiple-comparison adjustment against statsmodels' multipletests."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from wres.engine.errors import ConfigError
from wres.engine.stats import adjust

RNG = np.random.default_rng(20261127)


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


def test_unknown_adjustment_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="available: bh, holm"):
        adjust([0.1], method="bonferroni")  # type: ignore[arg-type]


def test_all_untested_gives_all_nan() -> None:
    assert np.isnan(adjust([np.nan, np.nan])).all()
