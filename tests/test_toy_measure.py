"""A measure is one declaration: a toy indicator added to the WRES in this test (one
``[[indicators]]`` entry, nothing else) is counted, compared, protected and written to every file
of the pack.

The toy is indicator 4 (access to non-mandatory training) with its ratio turned round (BME over
White), so each of its figures has an independent check: its relative likelihood is the
reciprocal of indicator 4's, from the same counts, and since its counts are the same numbers,
the protection withholds them where it withholds indicator 4's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.attacker.inputs import synthetic
from wres.cli.pack import write_pack
from wres.cli.pipeline import run
from wres.cli.request import RunRequest, parse_by
from wres.engine.ethnicity import default_scheme
from wres.engine.schema import EXTRACTS
from wres.engine.standards import standard_from_toml
from wres.rules.policy import load_policy

TOY_TITLE = "Toy: relative likelihood of BME staff accessing non-mandatory training"
TOY = f"""
[[indicators]]
id = 10
title = "{TOY_TITLE}"
extract = "staff"
measure = "ratio"
event = "training"
ratio = "group/reference"
reading = "{{group}} staff were {{value}} times as likely to access training as {{reference}} staff"
direction = "above 1.00: {{group}} staff more likely to access training than {{reference}} staff"
short_title = "Toy training ratio"
event_words = "toy-trained"
"""
KEYS = ["year", "site", "group"]


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("toy")
    data = synthetic(tmp / "data", trusts=1, years=[2023, 2024], seed=5)
    text = resources.files("wres.engine.data.standards").joinpath("wres.toml").read_text("utf-8")
    request = RunRequest(
        standard=standard_from_toml(text + TOY, "wres.toml with a toy indicator"),
        scheme=default_scheme(),
        policy=load_policy("wres-default"),
        extracts={name: data / f"{name}.parquet" for name in EXTRACTS},
        by=parse_by(["site"]),
    )
    write_pack(tmp / "out", run(request))
    return tmp / "out" / "publish"


def _rows(table: pl.DataFrame, indicator: int) -> pl.DataFrame:
    return table.filter(pl.col("indicator") == indicator, pl.col("variant") == "standard").select(
        *KEYS, "numerator", "denominator", "relative_likelihood", "status"
    )


def test_the_toy_is_computed_from_the_same_counts_as_indicator_4_turned_round(
    pack: Path,
) -> None:
    table = pl.read_csv(pack / "indicators.csv", infer_schema_length=None)
    joined = _rows(table, 10).join(
        _rows(table, 4), on=KEYS, how="full", suffix="_4", nulls_equal=True
    )
    assert joined.height == _rows(table, 4).height == _rows(table, 10).height > 0
    for column in ("numerator", "denominator", "status"):
        same = joined[column].eq_missing(joined[f"{column}_4"])
        assert same.all(), column  # published and withheld together
    both = joined.filter(
        pl.col("relative_likelihood").is_not_null(), pl.col("relative_likelihood_4").is_not_null()
    )
    assert both.height > 0
    # publish/ rounds a relative likelihood to 3 decimals: each within half a unit of the true
    # ratio, so the reciprocal of indicator 4's within half a unit over its square besides
    four = both["relative_likelihood_4"]
    gap = (both["relative_likelihood"] - 1.0 / four).abs()
    assert (gap <= 0.0005 * (1.0 + 1.0 / four**2) + 1e-12).all()
    assert (gap <= (both["relative_likelihood"] - four).abs()).all()  # not the same ratio


def test_the_toy_shows_in_the_report_and_the_workbook(pack: Path) -> None:
    report = (pack / "report.html").read_text(encoding="utf-8")
    assert 'id="indicator-10"' in report
    assert "Toy training ratio" in report  # its declared short title, in the navigation
    book = openpyxl.load_workbook(pack / "wres.xlsx", read_only=True)
    assert "Indicator 10" in book.sheetnames
    sheet = book["Indicator 10"]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert TOY_TITLE in " ".join(cells)
    assert any("toy-trained" in c for c in cells)  # its declared event words, in a heading
