"""Multiplicity families through `wres run`: adding a cut leaves the other figures' adjusted
p-values as they were (docs/methods.md#multiplicity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

from wres.cli.app import app
from wres.engine.synth import write_synthetic

runner = CliRunner()
NO_SUPPRESSION = "[primary]\nsuppress_if_count_at_most = 0\n"
GROUPS = ("White", "Asian", "Black", "Mixed", "Other")
YEARS = (2022, 2023, 2024)


def _run(out: Path, *args: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    result = runner.invoke(app, ["run", *map(str, args), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    read = {"infer_schema_length": None}
    return (
        pl.read_csv(out / "publish" / "indicators.csv", **read),  # type: ignore[arg-type]
        pl.read_csv(out / "publish" / "pooled.csv", **read),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def counts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Indicator 3 for two organisations x two bands x three years, five groups each."""
    rng = np.random.default_rng(7)
    lines = ["indicator,organisation,band,year,ethnicity,numerator,denominator"]
    for org in ("RXA", "RXB"):
        for band in ("Band 5", "Band 6"):
            for year in YEARS:
                for k, group in enumerate(GROUPS):
                    n = int(rng.integers(300, 900))
                    events = int(rng.binomial(n, 0.02 + 0.012 * k))
                    lines.append(f"3,{org},{band},{year},{group},{events},{n}")
    folder = tmp_path_factory.mktemp("families")
    (folder / "counts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "off.toml").write_text(NO_SUPPRESSION, encoding="utf-8")
    return folder


def _not_by_band(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("band") == "All").sort(
        [c for c in ("indicator", "variant", "year", "organisation", "group") if c in frame.columns]
    )


def test_adding_a_cut_leaves_the_total_and_the_other_cut_unchanged(counts: Path) -> None:
    common = ("--counts", counts / "counts.csv", "--ethnicity-level", "broad")
    common += ("--policy", counts / "off.toml")
    one, pooled_one = _run(counts / "one", *common, "--by", "organisation")
    two, pooled_two = _run(counts / "two", *common, "--by", "organisation", "--by", "band")
    assert two.filter(pl.col("band") != "All", pl.col("p_value").is_not_null()).height > 0
    before, after = _not_by_band(one), _not_by_band(two)
    assert before.height == after.height
    assert before["p_adjusted"].null_count() < before.height
    assert before["p_adjusted"].to_list() == after["p_adjusted"].to_list()
    assert before["significant"].to_list() == after["significant"].to_list()
    trend_before, trend_after = _not_by_band(pooled_one), _not_by_band(pooled_two)
    assert trend_before["trend_p_adjusted"].null_count() < trend_before.height
    assert trend_before["trend_p_adjusted"].to_list() == trend_after["trend_p_adjusted"].to_list()


def test_the_headline_family_is_the_indicator_and_year_at_the_organisation_total(
    counts: Path,
) -> None:
    table, _ = _run(
        counts / "total",
        *("--counts", counts / "counts.csv", "--ethnicity-level", "broad"),
        *("--policy", counts / "off.toml", "--by", "organisation", "--by", "band"),
    )
    totals = table.filter(
        pl.col("organisation") == "All", pl.col("band") == "All", pl.col("group") != "Unknown"
    )
    for year in YEARS:
        family = totals.filter(pl.col("year") == year, pl.col("variant") == "standard")
        assert family.height == len(GROUPS) - 1
        # the p-values from the published counts (scipy), adjusted over this family alone
        p = [
            chi2_contingency([[a, n1 - a], [c, n2 - c]], correction=False).pvalue
            for a, n1, c, n2 in family.select(
                "numerator", "denominator", "reference_numerator", "reference_denominator"
            ).iter_rows()
        ]
        rolling = table.filter(
            pl.col("organisation") == "All",
            pl.col("band") == "All",
            pl.col("year") == year,
            pl.col("variant") != "standard",
            pl.col("p_value").is_not_null(),
        )
        # a variant of the indicator (the 2-year rolling figure) shares its year's family
        pooled_p = [*p, *rolling["p_value"].to_list()]
        expected = multipletests(pooled_p, method="fdr_bh")[1][: len(p)]
        np.testing.assert_allclose(family["p_adjusted"].to_numpy(), expected, rtol=5e-3)


def test_a_synthetic_trust_keeps_its_headline_when_a_band_cut_is_added(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_synthetic(data, trusts=1, years=(2023, 2024), seed=1)
    inputs = [
        arg for name in ("staff", "applications") for arg in (f"--{name}", data / f"{name}.parquet")
    ]
    one, _ = _run(tmp_path / "site", *inputs, "--by", "site")
    two, _ = _run(tmp_path / "site-band", *inputs, "--by", "site", "--by", "band")
    keys = ["indicator", "variant", "year", "site", "group"]

    def headline(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(
            pl.col("site") == "All",
            pl.col("band") == "All",
            pl.col("staff_group") == "All",
            pl.col("p_value").is_not_null(),
        ).sort(keys)

    before, after = headline(one), headline(two)
    assert before.height > 0
    assert before.select(*keys, "p_value", "p_adjusted").equals(
        after.select(*keys, "p_value", "p_adjusted")
    )
