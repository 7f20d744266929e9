"""Published figures are rounded as docs/outputs.md#precision says; the run keeps full precision."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from tests.precision import DECIMALS, SIGNIFICANT, as_printed
from wres.cli.pack import Pack, write_pack
from wres.cli.pipeline import run
from wres.cli.request import RunRequest
from wres.engine.ethnicity import Level, default_scheme
from wres.engine.indicators import Settings
from wres.engine.precision import as_published
from wres.engine.standards import load_standard
from wres.rules.policy import load_policy

FIGURES = (*DECIMALS, *SIGNIFICANT)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pack, Path]:
    """Indicators 3 and 4 for three trusts over three years, counts with long fractions; one
    trust's BME disciplinary count is small, so wres-default withholds it and what it touches."""
    rng = np.random.default_rng(11)
    lines = ["indicator,organisation,year,ethnicity,numerator,denominator"]
    for org in ("RXA", "RXB", "RXC"):
        for year in (2022, 2023, 2024):
            for indicator in (3, 4):
                for group in ("White", "Asian", "Black"):
                    n = int(rng.integers(301, 997))
                    events = int(rng.integers(9, n // 3))
                    if (org, year, indicator, group) == ("RXB", 2023, 3, "Black"):
                        events = 3
                    lines.append(f"{indicator},{org},{year},{group},{events},{n}")
    folder = tmp_path_factory.mktemp("precision")
    (folder / "counts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=load_policy("wres-default"),
        settings=Settings(level=Level.BROAD),
        counts=folder / "counts.csv",
        by=(("organisation",),),
    )
    pack = run(request)
    write_pack(folder / "out", pack)
    return pack, folder / "out" / "publish"


def _decimals(text: str) -> int:
    return len(text.partition(".")[2])


def _significant(text: str) -> int:
    mantissa = text.lower().partition("e")[0].replace("-", "").replace(".", "")
    return len(mantissa.lstrip("0"))


@pytest.mark.parametrize("name", ["indicators.csv", "pooled.csv"])
def test_every_published_figure_has_its_documented_precision(
    written: tuple[Pack, Path], name: str
) -> None:
    _, publish = written
    table = pl.read_csv(publish / name, infer_schema=False)
    checked = 0
    for column in (c for c in FIGURES if c in table.columns):
        for text in table[column].drop_nulls():
            if column in DECIMALS:
                assert "e" not in text.lower(), (column, text)
                assert _decimals(text) <= DECIMALS[column], (column, text)
            else:
                assert _significant(text) <= SIGNIFICANT[column], (column, text)
            checked += 1
    assert checked > 50


def test_the_run_keeps_full_precision_and_publishes_it_rounded(
    written: tuple[Pack, Path],
) -> None:
    pack, publish = written
    published = pl.read_csv(publish / "indicators.csv", infer_schema_length=None)
    full = pack.indicators
    assert published.height == full.height
    differs = 0
    for column in (c for c in FIGURES if c in full.columns):
        for mine, shown in zip(full[column], published[column], strict=True):
            # a withheld value stays withheld, and nothing withheld is shown
            assert (mine is None) == (shown is None), column
            if mine is not None:
                assert shown == pytest.approx(as_printed(mine, column), rel=1e-12, abs=1e-15)
                differs += shown != mine
    assert differs > 0  # the Pack is at full precision: rounding happens on the way out
    assert published["status"].str.starts_with("suppressed").any()
    parquet = pl.read_parquet(publish / "indicators.parquet")
    assert parquet.select(FIGURES[:6]).equals(published.select(FIGURES[:6]))


def test_the_workbook_stores_the_rounded_figures(written: tuple[Pack, Path]) -> None:
    _, publish = written
    book = openpyxl.load_workbook(publish / "wres.xlsx", read_only=True)
    floats = [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, float) and not value.is_integer()
    ]
    assert len(floats) > 50
    long = [v for v in floats if float(f"{v:.4f}") != v and float(f"{v:.3g}") != v]
    assert long == []


def test_rounding_keeps_empty_values_and_leaves_other_columns_alone() -> None:
    frame = pl.DataFrame(
        {
            "rate": [0.123456, None, 0.0005],
            "relative_likelihood": [1.2504999, 2.0, None],
            "p_value": [1.23456e-10, 0.049966, None],
            "numerator": [7, None, 12],
            "ratio_text": ["1.23456", None, "x"],
        }
    )
    out = as_published(frame)
    assert out["rate"].to_list() == [0.123, None, 0.001]  # a half rounds away from zero
    assert out["relative_likelihood"].to_list() == [1.25, 2.0, None]
    assert out["p_value"].to_list() == [1.23e-10, 0.05, None]
    tiny = pl.DataFrame({"trend_p": [7.92e-31 * (1 + 1e-15), 3.4199999999e-64, 5e-324]})
    assert as_published(tiny)["trend_p"].to_list() == [7.92e-31, 3.42e-64, 5e-324]
    assert out.select("numerator", "ratio_text").equals(frame.select("numerator", "ratio_text"))
    # an empty table whose columns have no type yet (no pooled rows in a one-year run)
    empty = pl.DataFrame(schema=["ci_low", "p_value"])
    assert as_published(empty).equals(empty)
    assert math.isnan(as_published(pl.DataFrame({"ci_high": [math.nan]}))["ci_high"][0])
