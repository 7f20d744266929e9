"""Indicators cut from the cube equal plain polars group-bys of the records, for random cut sets.

Random staff records with several cut columns (blanks included) are run through ``wres run``'s
engine in tiny chunks, with random ``--by`` roll-ups or a lattice; every published count of the
disciplinary ratio (indicator 3) and of the band shares (indicator 1) must be the group-by of the
normalised records at that cut, and any other row a group with nobody in a present cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from wres.cli.pipeline import run
from wres.cli.request import RunRequest, plan_cuts
from wres.engine.ethnicity import default_scheme
from wres.engine.indicators import Settings
from wres.engine.readers import read_extract
from wres.engine.standards import load_standard
from wres.rules.policy import policy_from_toml

OFF = policy_from_toml("[primary]\nsuppress_if_count_at_most = 0\n", "off.toml")
DIMS = ("site", "directorate", "organisation", "band")


def _staff(n: int, rng: np.random.Generator) -> pl.DataFrame:
    def pick(values: Sequence[str | None]) -> pl.Series:
        return pl.Series([values[i] for i in rng.integers(0, len(values), n)], dtype=pl.String)

    return pl.DataFrame(
        {
            "year": pick(["2022", "2023", "2024"]),
            "ethnicity": pick(["A", "B", "H", "N", "Z", None, "Asian", "BME"]),
            "band": pick(["Band 2", "Band 5", "Band 8a", "VSM", "Consultant", None]),
            "staff_group": pick(["Clinical", "Non-clinical", "Medical"]),
            "disciplinary": pick(["yes", "no", "no", "no"]),
            "training": pick(["yes", "no"]),
            "bank": pick([None, "no", "no", "yes"]),
            "site": pick(["North", "South", "East", None]),
            "directorate": pick(["Surgery", "Medicine"]),
            "organisation": pick(["RAA", "RBB"]),
        }
    )


def _expected(records: pl.DataFrame, cut: Sequence[str]) -> pl.DataFrame:
    """Indicator 3 by plain group-by: each WRES group's cases and staff, White's beside."""
    keys = ["year", *cut]
    counts = records.group_by([*keys, "ethnic_wres"]).agg(
        numerator=pl.col("disciplinary").sum().cast(pl.Int64), denominator=pl.len().cast(pl.Int64)
    )
    white = counts.filter(pl.col("ethnic_wres") == "White").select(
        *keys, reference_numerator="numerator", reference_denominator="denominator"
    )
    rows = counts.filter(pl.col("ethnic_wres") != "White").join(
        white, on=keys, how="left", nulls_equal=True
    )
    unknown = pl.col("group") == "Unknown"
    # a cell with no White staff: the reference counts are 0 (compared groups only)
    return rows.rename({"ethnic_wres": "group"}).with_columns(
        pl.when(~unknown).then(pl.col(c).fill_null(0)).alias(c)
        for c in ("reference_numerator", "reference_denominator")
    )


def _shares(records: pl.DataFrame, cut: Sequence[str]) -> pl.DataFrame:
    keys = ["year", *cut]
    counts = records.group_by([*keys, "ethnic_wres"]).agg(numerator=pl.len().cast(pl.Int64))
    totals = counts.group_by(keys).agg(denominator=pl.col("numerator").sum())
    return counts.join(totals, on=keys, nulls_equal=True).rename({"ethnic_wres": "group"})


def _check(published: pl.DataFrame, expected: pl.DataFrame, cut: Sequence[str]) -> None:
    dims = [d for d in DIMS if d in published.columns]
    mine = published.filter(*[pl.col(d) == "All" for d in dims if d not in cut])
    for d in cut:
        mine = mine.filter(pl.col(d).ne_missing("All"))  # a blank site is a cell of its own
    keys = ["year", *cut, "group"]
    counts = [c for c in expected.columns if c not in keys]
    joined = expected.join(mine, on=keys, how="left", nulls_equal=True, suffix="_wres")
    assert joined["status"].null_count() == 0, (cut, joined.filter(pl.col("status").is_null()))
    for column in counts:
        same = joined[column].eq_missing(joined[f"{column}_wres"])
        assert same.all(), (cut, column, joined.filter(~same))
    extra = mine.join(expected, on=keys, how="anti", nulls_equal=True)
    assert (extra["numerator"] == 0).all(), (cut, extra)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_cut_equals_a_group_by_of_the_records(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    path = tmp_path / "staff.csv"
    _staff(int(rng.integers(200, 900)), rng).write_csv(path)
    chosen = [str(d) for d in rng.permutation(DIMS)[: int(rng.integers(1, 4))]]
    lattice = bool(rng.integers(0, 2))
    by = [chosen] if lattice else [chosen[: int(rng.integers(1, len(chosen) + 1))], chosen[::-1]]
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=OFF,
        settings=Settings(),
        extracts={"staff": path},
        by=by,
        lattice=lattice,
        chunk_rows=int(rng.integers(5, 60)),
    )
    published = run(request).indicators
    records = read_extract(path, "staff").data
    for cut in plan_cuts(by, lattice=lattice):
        ratio = published.filter(pl.col("indicator") == 3, pl.col("variant") == "standard")
        _check(ratio.filter(pl.col("staff_group") == "All"), _expected(records, cut), cut)
        shares = published.filter(pl.col("indicator") == 1, pl.col("staff_group") == "All")
        if "band" not in cut:
            shares = shares.filter(pl.col("band") == "All")
        _check(shares, _shares(records, cut), cut)


def test_a_counts_file_without_rows_gives_an_empty_pack(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("indicator,year,ethnicity,numerator,denominator\n", encoding="utf-8")
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=OFF,
        counts=counts,
    )
    pack = run(request)
    assert pack.indicators.height == 0
    assert pack.indicators.schema["numerator"] == pl.Int64
    assert pack.not_computed["indicator"].to_list() == list(range(1, 10))


def test_a_board_indicator_with_the_workforce_alone_is_reported_not_computed(
    tmp_path: Path,
) -> None:
    """Indicator 9 compares board memberships with the workforce: a counts file with only the
    workforce's rows publishes none of it and says why (it once said nothing)."""
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "indicator,organisation,year,ethnicity,numerator,denominator,board\n"
        "2,R1,2024,A,3,10,\n2,R1,2024,H,1,6,\n9,R1,2024,A,40,52,workforce\n"
        "9,R1,2024,H,12,52,workforce\n",
        encoding="utf-8",
    )
    request = RunRequest(
        standard=load_standard("wres"), scheme=default_scheme(), policy=OFF, counts=counts
    )
    pack = run(request)
    assert 9 not in pack.indicators["indicator"].to_list()
    assert 2 in pack.indicators["indicator"].to_list()
    reasons = dict(pack.not_computed.select("indicator", "reason").iter_rows())
    assert "no board memberships" in reasons[9]


def test_a_cut_asked_twice_in_another_order_is_published_once(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    _staff(400, np.random.default_rng(11)).write_csv(path)
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=OFF,
        extracts={"staff": path},
        by=[["band", "site"], ["site", "band"]],  # band x site twice; indicator 1 adds band too
    )
    pack = run(request)
    keys = ["indicator", "variant", "year", "band", "site", "staff_group", "board", "group"]
    assert not pack.indicators.select(keys).is_duplicated().any()
    # a comparison's years enter its pooled estimate once each
    assert (pack.pooled["years_used"] <= pack.indicators["year"].n_unique()).all()
