"""Pooled and trend results over years, against statsmodels and metafor-style hand formulas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import StratifiedTable
from typer.testing import CliRunner

from tests.precision import as_printed
from wres.cli.app import app

HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"


def _run(tmp_path: Path, rows: list[str], policy: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    counts = tmp_path / "counts.csv"
    counts.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(policy, encoding="utf-8")
    out = tmp_path / "pack"
    result = CliRunner().invoke(
        app, ["run", "--counts", str(counts), "--policy", str(policy_file), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    publish = out / "publish"
    return (
        pl.read_csv(publish / "indicators.csv", infer_schema_length=None),
        pl.read_csv(publish / "pooled.csv", infer_schema_length=None),
    )


# Indicator 3 puts BME on top, indicator 4 White: (year, BME events, BME n, White events, White n)
YEARS = [(2022, 30, 900, 40, 2100), (2023, 25, 950, 51, 2150), (2024, 38, 1000, 45, 2200)]


def _rows(indicator: int, years: list[tuple[int, int, int, int, int]]) -> list[str]:
    out = []
    for year, a, n1, c, n2 in years:
        out += [f"{indicator},RXX,{year},BME,{a},{n1}", f"{indicator},RXX,{year},White,{c},{n2}"]
    return out


def _mh(tables: list[tuple[int, int, int, int]]) -> float:
    """statsmodels' pooled risk ratio of (events, n) on top over (events, n) below."""
    arrays = [np.array([[a, n1 - a], [c, n2 - c]]) for a, n1, c, n2 in tables]
    return float(StratifiedTable(arrays).riskratio_pooled)


def _trend(tables: list[tuple[int, int, int, int]], years: list[int]) -> tuple[float, float]:
    """Fixed-effect WLS of the yearly log ratio on year, scale fixed at 1 (metafor's FE)."""
    y = [np.log((a / n1) / (c / n2)) for a, n1, c, n2 in tables]
    v = [1 / a - 1 / n1 + 1 / c - 1 / n2 for a, n1, c, n2 in tables]
    fit = sm.WLS(y, sm.add_constant(np.array(years, float)), weights=1 / np.array(v)).fit(
        cov_type="fixed scale"
    )
    return float(fit.params[1]), float(fit.bse[1])


@pytest.mark.parametrize("indicator", [3, 4])
def test_pooled_ratio_and_trend_follow_the_indicator_direction(
    tmp_path: Path, indicator: int
) -> None:
    _, pooled = _run(
        tmp_path, _rows(indicator, YEARS), "[primary]\nsuppress_if_count_at_most = 0\n"
    )
    row = pooled.filter(pl.col("indicator") == indicator, pl.col("group") == "BME").row(
        0, named=True
    )
    bme_on_top = indicator == 3
    tables = [(a, n1, c, n2) if bme_on_top else (c, n2, a, n1) for _, a, n1, c, n2 in YEARS]
    # published figures are rounded (docs/outputs.md#precision); the kernels are checked at
    # full precision in tests/engine/test_stats_pooled.py
    assert row["pooled_relative_likelihood"] == as_printed(
        _mh(tables), "pooled_relative_likelihood"
    )
    slope, se = _trend(tables, [y for y, *_ in YEARS])
    assert row["trend_slope"] == as_printed(slope, "trend_slope")
    assert row["trend_se"] == as_printed(se, "trend_se")
    assert row["trend_ratio_per_year"] == as_printed(np.exp(slope), "trend_ratio_per_year")
    assert (row["first_year"], row["last_year"], row["years_used"]) == (2022, 2024, 3)
    assert row["years_withheld"] == 0
    assert row["heterogeneity_df"] == 2
    assert row["ci_low"] < row["pooled_relative_likelihood"] < row["ci_high"]


def test_a_year_with_a_withheld_count_is_left_out_of_the_pool(tmp_path: Path) -> None:
    years = [(2022, 3, 900, 40, 2100), *YEARS[1:]]  # 3 BME events in 2022: withheld at 1-7
    indicators, pooled = _run(
        tmp_path, _rows(3, years), "[primary]\nsuppress_if_count_at_most = 7\n"
    )
    assert (
        indicators.filter(pl.col("year") == 2022, pl.col("group") == "BME")["numerator"]
        .is_null()
        .all()
    )
    row = pooled.filter(pl.col("group") == "BME").row(0, named=True)
    assert row["years_withheld"] == 1
    assert row["years_used"] == 2
    published = [(a, n1, c, n2) for _, a, n1, c, n2 in years[1:]]
    assert row["pooled_relative_likelihood"] == as_printed(
        _mh(published), "pooled_relative_likelihood"
    )


def test_a_single_year_run_publishes_no_pooled_rows(tmp_path: Path) -> None:
    _, pooled = _run(tmp_path, _rows(3, YEARS[:1]), "[primary]\nsuppress_if_count_at_most = 0\n")
    assert pooled.height == 0
    assert "pooled_relative_likelihood" in pooled.columns
