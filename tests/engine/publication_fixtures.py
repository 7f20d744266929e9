"""Packs for the workbook, report and browser tests, made through `wres run` as an analyst would.

``synthetic_pack``: one synthetic trust over three years, cut by site and by band.
``small_count_pack``: a counts file whose BME appointed count is 3 (withheld under
wres-default, counts 1-7), with numbers chosen so that 3, its rate and its ratio appear nowhere
else, and a site whose name is markup and a formula, to check escaping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from typer.testing import CliRunner

from wres.cli.app import app
from wres.engine.synth import write_synthetic

WITHHELD_COUNT = 3
HOSTILE_SITE = '<script>alert("x")</script>'
FORMULA_SITE = "=HYPERLINK(1)"

#: indicator 2 in one organisation, 2024: BME 3 appointed of 418 shortlisted is withheld (P1).
SMALL_COUNTS = """indicator,year,site,ethnicity,numerator,denominator
2,2023,North,White,61,322
2,2023,North,BME,29,405
2,2024,North,White,50,317
2,2024,North,BME,3,418
2,2023,{hostile},White,44,289
2,2023,{hostile},BME,38,276
2,2024,{hostile},White,47,291
2,2024,{hostile},BME,35,262
2,2024,{formula},White,52,301
2,2024,{formula},BME,41,297
"""


def run_cli(*args: str | Path) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def synthetic_pack(folder: Path) -> Path:
    data = folder / "data"
    write_synthetic(data, trusts=1, years=(2022, 2023, 2024), seed=11)
    out = folder / "pack"
    extracts = [a for name in ("staff", "applications", "survey", "board")
                for a in (f"--{name}", data / f"{name}.parquet")]  # fmt: skip
    run_cli("run", *extracts, "--by", "site", "--by", "band", "--out", out, "-q")
    return out


def small_count_pack(folder: Path) -> Path:
    counts = folder / "counts.csv"
    text = SMALL_COUNTS.format(hostile=f'"{HOSTILE_SITE.replace(chr(34), chr(34) * 2)}"',
                               formula=FORMULA_SITE)  # fmt: skip
    counts.write_text(text, encoding="utf-8")
    out = folder / "pack"
    run_cli("run", "--counts", counts, "--by", "site", "--out", out, "-q")
    return out


def published_tables(pack: Path) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    indicators = pl.read_parquet(pack / "publish" / "indicators.parquet")
    pooled = pl.read_parquet(pack / "publish" / "pooled.parquet")
    manifest = json.loads((pack / "restricted" / "manifest.json").read_text(encoding="utf-8"))
    return indicators, pooled, manifest


def published_numbers(pack: Path) -> list[float]:
    """Every number of indicators.csv and pooled.csv, sorted."""
    values: set[float] = set()
    for name in ("indicators.csv", "pooled.csv"):
        frame = pl.read_csv(pack / "publish" / name, infer_schema_length=None)
        for column, dtype in frame.schema.items():
            if dtype.is_numeric():
                values.update(float(v) for v in frame[column].drop_nulls().to_list())
    return sorted(values)
