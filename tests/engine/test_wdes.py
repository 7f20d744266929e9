"""The Workforce Disability Equality Standard: disability in place of ethnicity.

Disabled staff are compared with Not disabled staff; Unknown disability is reported on its own and
is in neither group.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from cli.app import app
from engine.standards import Measure, load_standard
from engine.synth import write_synthetic

NO_SUPPRESSION = "[primary]\nsuppress_if_count_at_most = 0\n"


def wres(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _staff_rows(disability: str, ethnicity: str, band: str, n: int, capable: int) -> list[str]:
    """``n`` Clinical staff in ``band``, the first ``capable`` of them entering capability."""
    return [
        f"2024,{ethnicity},{band},Clinical,no,no,{disability},{'yes' if i < capable else 'no'}"
        for i in range(n)
    ]


@pytest.fixture
def pack(tmp_path: Path) -> pl.DataFrame:
    staff = [
        "year,ethnicity,band,staff_group,disciplinary,training,disability,capability",
        # Disabled: 10 staff (6 in band 5, 4 in band 6), 3 enter capability
        *_staff_rows("Yes", "A", "Band 5", 6, 2),
        *_staff_rows("Disabled", "H", "Band 6", 4, 1),
        # Not disabled: 40 staff (30 in band 5, 10 in band 6), 4 enter capability
        *_staff_rows("No", "A", "Band 5", 30, 3),
        *_staff_rows("Not disabled", "H", "Band 6", 10, 1),
        # Unknown: 10 staff (4 in band 5, 6 in band 6), 5 enter capability
        *_staff_rows("Prefer not to say", "A", "Band 5", 4, 2),
        *_staff_rows("", "H", "Band 6", 6, 3),
    ]
    survey = [
        "year,ethnicity,q5,q6,q7,q8,disability",
        *["2024,A,yes,no,yes,no,Yes"] * 4,
        *["2024,A,no,no,yes,no,Yes"] * 4,
        "2024,A,,no,yes,no,Yes",  # q5 unanswered: not a respondent of metric 4a
        *["2024,H,yes,no,no,no,No"] * 5,
        *["2024,H,no,no,no,no,No"] * 15,
        *["2024,A,yes,yes,no,no,Not declared"] * 5,
    ]
    (tmp_path / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    (tmp_path / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    (tmp_path / "p.toml").write_text(NO_SUPPRESSION, encoding="utf-8")
    result = wres(
        "run", "--standard", "wdes", "--staff", tmp_path / "staff.csv",
        "--survey", tmp_path / "survey.csv", "--policy", tmp_path / "p.toml",
        "--out", tmp_path / "out", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return pl.read_csv(tmp_path / "out" / "publish" / "indicators.csv", infer_schema_length=None)


def test_the_standard_declares_disability() -> None:
    wdes = load_standard("wdes")
    assert (wdes.characteristic, wdes.focal, wdes.reference) == (
        "disability",
        "Disabled",
        "Not disabled",
    )
    assert wdes.indicator(3).event == "capability"
    assert wdes.indicator(10).measure is Measure.BOARD_GAP
    assert {i for i, _ in wdes.unsupported} == {6, 7, 8, 9}


def test_metric_3_is_the_capability_ratio_of_disabled_to_non_disabled_staff(
    pack: pl.DataFrame,
) -> None:
    row = pack.filter(
        pl.col("indicator") == 3, pl.col("variant") == "standard", pl.col("group") == "Disabled"
    ).row(0, named=True)
    assert row["reference_group"] == "Not disabled"
    # Unknown disability is in neither group: 3 of 10 against 4 of 40
    assert (row["numerator"], row["denominator"]) == (3, 10)
    assert (row["reference_numerator"], row["reference_denominator"]) == (4, 40)
    assert row["relative_likelihood"] == pytest.approx((3 / 10) / (4 / 40))
    groups = set(pack.filter(pl.col("indicator") == 3)["group"])
    assert groups == {"Disabled", "Unknown"}  # the reference is not compared with itself
    unknown = pack.filter(
        pl.col("indicator") == 3, pl.col("variant") == "standard", pl.col("group") == "Unknown"
    ).row(0, named=True)
    assert (unknown["numerator"], unknown["denominator"]) == (5, 10)
    assert unknown["reference_group"] is None
    assert unknown["relative_likelihood"] is None
    assert unknown["status"] == "not compared: unknown disability"


def test_metric_1_is_the_share_of_disabled_staff_in_each_band(pack: pl.DataFrame) -> None:
    shares = pack.filter(
        pl.col("indicator") == 1, pl.col("group") == "Disabled", pl.col("staff_group") == "Clinical"
    )
    by_band = {r["band"]: (r["numerator"], r["denominator"]) for r in shares.iter_rows(named=True)}
    assert by_band["Band 5"] == (6, 40)
    assert by_band["Band 6"] == (4, 20)
    band_5 = shares.filter(pl.col("band") == "Band 5").row(0, named=True)
    assert band_5["rate"] == pytest.approx(6 / 40)


def test_metric_4a_is_a_survey_percentage_against_non_disabled_respondents(
    pack: pl.DataFrame,
) -> None:
    row = pack.filter(pl.col("indicator") == 4, pl.col("group") == "Disabled").row(0, named=True)
    assert (row["numerator"], row["denominator"]) == (4, 8)
    assert (row["reference_numerator"], row["reference_denominator"]) == (5, 20)
    assert row["rate"] == pytest.approx(0.5)
    assert row["reference_rate"] == pytest.approx(0.25)


def test_ethnicity_options_are_rejected_for_wdes(tmp_path: Path) -> None:
    result = wres(
        "run", "--standard", "wdes", "--ethnicity-level", "broad", "--staff", tmp_path / "x.csv",
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "--ethnicity-level" in result.output


def test_wdes_on_synthetic_extracts(tmp_path: Path) -> None:
    files = write_synthetic(tmp_path / "data", trusts=1, years=(2023, 2024)).files
    out = tmp_path / "out"
    args = [f"--{name}={path}" for name, path in sorted(files.items())]
    result = wres("run", "--standard", "wdes", *args, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    compared = table.filter(pl.col("indicator").is_in([3, 4, 5]))
    assert "Disabled" in set(compared["group"])
    assert set(compared["reference_group"].drop_nulls()) == {"Not disabled"}
    assert "White" not in set(table["group"]) | set(table["reference_group"].drop_nulls())
    not_computed = pl.read_csv(out / "restricted" / "not_computed.csv")
    assert {6, 7, 8, 9} <= set(not_computed["indicator"])
