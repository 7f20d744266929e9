"""Multiplicity families: one indicator, one year, one cut; checked against statsmodels."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.multitest import multipletests

from wres.engine.families import adjust_within, family_codes
from wres.engine.indicators import with_adjusted_p

RNG = np.random.default_rng(20260214)
DIMS = ["site", "band"]


def _rows(indicator: int, year: int, site: list[str], band: list[str]) -> pl.DataFrame:
    n = len(site)
    p = RNG.uniform(0, 0.3, n) ** 2
    p[RNG.random(n) < 0.2] = np.nan  # withheld or untested: in no family
    return pl.DataFrame(
        {
            "indicator": pl.Series([indicator] * n, dtype=pl.Int16),
            "year": pl.Series([year] * n, dtype=pl.Int32),
            "site": site,
            "band": band,
            "p_value": pl.Series(p).fill_nan(None),
        }
    )


def _table(*, with_band_cut: bool) -> pl.DataFrame:
    """Two indicators, two years: the total, a site table and (optionally) a band table."""
    parts = []
    for indicator in (3, 4):
        for year in (2023, 2024):
            parts.append(_rows(indicator, year, ["All"] * 4, ["All"] * 4))  # 4 groups
            sites = [f"S{k}" for k in range(6) for _ in range(4)]
            parts.append(_rows(indicator, year, sites, ["All"] * len(sites)))
            if with_band_cut:
                bands = [f"Band {k}" for k in range(2, 9) for _ in range(4)]
                parts.append(_rows(indicator, year, ["All"] * len(bands), bands))
    return pl.concat(parts)


def _cut(frame: pl.DataFrame) -> pl.Expr:
    return pl.concat_str([(pl.col(d) != "All").cast(pl.String) for d in DIMS])


@pytest.mark.parametrize(("ours", "theirs"), [("bh", "fdr_bh"), ("holm", "holm")])
def test_each_family_is_one_indicator_year_and_cut(ours: str, theirs: str) -> None:
    table = _table(with_band_cut=True)
    out = with_adjusted_p(table, DIMS, method=ours, alpha=0.05)  # type: ignore[arg-type]
    families = out.with_columns(_cut=_cut(out)).partition_by(
        ["indicator", "year", "_cut"], maintain_order=True
    )
    assert len(families) == 2 * 2 * 3
    for family in families:
        tested = family.filter(pl.col("p_value").is_not_null())
        expected = multipletests(tested["p_value"].to_numpy(), method=theirs)[1]
        np.testing.assert_allclose(tested["p_adjusted"].to_numpy(), expected, rtol=1e-12)
        assert family.filter(pl.col("p_value").is_null())["p_adjusted"].null_count() == (
            family["p_value"].null_count()
        )
        assert (tested["significant"] == (tested["p_adjusted"] < 0.05)).all()


def test_adding_a_cut_leaves_the_other_families_unchanged() -> None:
    with_band = _table(with_band_cut=True)
    without = with_band.filter(pl.col("band") == "All")
    kept = with_adjusted_p(with_band, DIMS).filter(pl.col("band") == "All")
    assert kept["p_adjusted"].equals(with_adjusted_p(without, DIMS)["p_adjusted"])


def test_a_missing_cut_column_and_an_empty_table_are_handled() -> None:
    table = _rows(2, 2024, ["All", "All", "S1"], ["All"] * 3)
    codes = family_codes(table, ["site", "organisation"], ("indicator", "year"))
    assert codes[0] == codes[1] != codes[2]
    assert len(family_codes(table.head(0), DIMS, ("indicator", "year"))) == 0
    assert np.isnan(adjust_within(np.array([np.nan]), np.array([0]), method="bh")).all()
