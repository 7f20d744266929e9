"""The nine indicators from hand-computed counts, from records and from a counts file.

Every expected figure below is arithmetic written out in the test (or scipy's), never a value
read back from wres. The same small trust is given twice, as record-level extracts and as a
counts file, and both must give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import confint_proportions_2indep
from typer.testing import CliRunner

from tests.precision import as_printed
from wres.cli.app import app
from wres.cli.pipeline import run
from wres.cli.request import RunRequest
from wres.engine.ethnicity import Level, default_scheme
from wres.engine.indicators import Settings
from wres.engine.standards import load_standard
from wres.rules.policy import policy_from_toml

OFF = policy_from_toml("[primary]\nsuppress_if_count_at_most = 0\n", "off.toml")

# --- the trust, as record-level extracts ----------------------------------------------------------

# (year, ethnicity, band, staff_group, disciplinary, training, bank) x how many
STAFF: list[tuple[tuple[str, ...], int]] = [
    # 2024 White: 40 staff, 4 disciplinary, 30 training (band 5: 30, band 7: 10)
    (("2024", "A White - British", "Band 5", "Clinical", "yes", "yes", "no"), 2),
    (("2024", "A White - British", "Band 5", "Clinical", "yes", "no", "no"), 2),
    (("2024", "A White - British", "Band 5", "Clinical", "no", "yes", ""), 20),
    (("2024", "A White - British", "Band 5", "Clinical", "no", "no", "no"), 6),
    (("2024", "A White - British", "Band 7", "Clinical", "no", "yes", "no"), 8),
    (("2024", "A White - British", "Band 7", "Clinical", "no", "no", "no"), 2),
    # 2024 BME: 20 staff (10 Black, 10 Asian), 5 disciplinary, 10 training
    (("2024", "N", "Band 5", "Clinical", "yes", "yes", "no"), 3),
    (("2024", "H", "Band 5", "Clinical", "yes", "no", "no"), 2),
    (("2024", "N", "Band 5", "Clinical", "no", "yes", "no"), 5),
    (("2024", "H", "Band 5", "Clinical", "no", "no", "no"), 5),
    (("2024", "N", "Band 2", "Non-clinical", "no", "yes", "no"), 2),
    (("2024", "H", "Band 2", "Non-clinical", "no", "no", "no"), 3),
    # 2024 Unknown: 5 staff, 1 disciplinary, 3 training
    (("2024", "Z", "Band 5", "Clinical", "yes", "yes", "no"), 1),
    (("2024", "Z", "Band 5", "Clinical", "no", "yes", "no"), 2),
    (("2024", "", "Band 5", "Clinical", "no", "no", "no"), 2),
    # bank staff: excluded from every count, though all disciplined and trained
    (("2024", "N", "Band 2", "Non-clinical", "yes", "yes", "yes"), 10),
    (("2024", "A", "Band 5", "Clinical", "yes", "yes", "yes"), 3),
    # 2023: White 40 with 2 disciplinary, BME 20 with 1
    (("2023", "A", "Band 5", "Clinical", "yes", "no", "no"), 2),
    (("2023", "A", "Band 5", "Clinical", "no", "no", "no"), 38),
    (("2023", "N", "Band 5", "Clinical", "yes", "no", "no"), 1),
    (("2023", "N", "Band 5", "Clinical", "no", "no", "no"), 19),
]
STAFF_HEADER = "year,ethnicity,band,staff_group,disciplinary,training,bank"

# (year, ethnicity, shortlisted, appointed, international) x how many
APPLICATIONS: list[tuple[tuple[str, ...], int]] = [
    (("2024", "A", "yes", "yes", ""), 30),
    (("2024", "A", "yes", "no", "no"), 70),
    (("2024", "A", "no", "no", "no"), 50),
    (("2024", "N", "yes", "yes", "no"), 6),
    (("2024", "N", "yes", "no", "no"), 54),
    (("2024", "N", "yes", "yes", "yes"), 16),
    (("2024", "N", "yes", "no", "yes"), 4),
    (("2024", "N", "no", "no", "no"), 70),
    (("2024", "Z", "yes", "yes", "no"), 2),
    (("2024", "Z", "yes", "no", "no"), 8),
]
APPLICATIONS_HEADER = "year,ethnicity,shortlisted,appointed,international"

# (year, ethnicity, q5, q6, q7, q8) x how many; a blank answer is left out of that question
SURVEY: list[tuple[tuple[str, ...], int]] = [
    (("2024", "A", "yes", "yes", "yes", "yes"), 10),
    (("2024", "A", "no", "no", "yes", "no"), 30),
    (("2024", "A", "no", "no", "no", "no"), 10),
    (("2024", "A", "", "no", "no", "no"), 1),
    (("2024", "N", "yes", "yes", "yes", "yes"), 6),
    (("2024", "N", "yes", "no", "no", "yes"), 9),
    (("2024", "N", "no", "no", "yes", "no"), 15),
]
SURVEY_HEADER = "year,ethnicity,q5,q6,q7,q8"

# (year, ethnicity, voting, executive) x how many: no BME executive member
BOARD: list[tuple[tuple[str, ...], int]] = [
    (("2024", "A", "yes", "yes"), 3),
    (("2024", "A", "yes", "no"), 5),
    (("2024", "A", "no", "yes"), 1),
    (("2024", "N", "yes", "no"), 2),
    (("2024", "N", "no", "no"), 1),
]
BOARD_HEADER = "year,ethnicity,voting,executive"

# --- the same trust as a counts file --------------------------------------------------------------

COUNTS = """\
indicator,year,ethnicity,numerator,denominator,staff_group,band,board
1,2024,White,30,50,Clinical,Band 5,
1,2024,BME,15,50,Clinical,Band 5,
1,2024,Z,5,50,Clinical,Band 5,
1,2024,White,10,10,Clinical,Band 7,
1,2024,BME,5,5,Non-clinical,Band 2,
2,2024,White,30,100,,,
2,2024,BME,22,80,,,
2,2024,Z,2,10,,,
3,2024,White,4,40,,,
3,2024,BME,5,20,,,
3,2024,Z,1,5,,,
3,2023,White,2,40,,,
3,2023,BME,1,20,,,
4,2024,White,30,40,,,
4,2024,BME,10,20,,,
4,2024,Z,3,5,,,
5,2024,White,10,50,,,
5,2024,BME,15,30,,,
6,2024,White,10,51,,,
6,2024,BME,6,30,,,
7,2024,White,40,51,,,
7,2024,BME,21,30,,,
8,2024,White,10,51,,,
8,2024,BME,15,30,,,
9,2024,White,8,10,,,voting
9,2024,BME,2,10,,,voting
9,2024,White,4,4,,,executive
9,2024,White,5,8,,,non-executive
9,2024,BME,3,8,,,non-executive
9,2024,White,40,65,,,workforce
9,2024,BME,20,65,,,workforce
"""


def write_records(path: Path, header: str, blocks: Iterable[tuple[tuple[str, ...], int]]) -> Path:
    lines = [header]
    for values, times in blocks:
        lines.extend([",".join(values)] * times)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def extracts(folder: Path) -> dict[str, Path]:
    return {
        "staff": write_records(folder / "staff.csv", STAFF_HEADER, STAFF),
        "applications": write_records(
            folder / "applications.csv", APPLICATIONS_HEADER, APPLICATIONS
        ),
        "survey": write_records(folder / "survey.csv", SURVEY_HEADER, SURVEY),
        "board": write_records(folder / "board.csv", BOARD_HEADER, BOARD),
    }


def evaluate(
    tmp_path: Path,
    *,
    source: str = "records",
    counts: str = COUNTS,
    level: Level = Level.WRES,
    by: tuple[tuple[str, ...], ...] = (),
) -> pl.DataFrame:
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=OFF,
        settings=Settings(level=level),
        by=by,
    )
    if source == "records":
        request = RunRequest(**{**request.__dict__, "extracts": extracts(tmp_path)})
    else:
        path = tmp_path / "counts.csv"
        path.write_text(counts, encoding="utf-8")
        request = RunRequest(**{**request.__dict__, "counts": path})
    return run(request).indicators


def row(
    frame: pl.DataFrame,
    indicator: int,
    group: str,
    *,
    year: int = 2024,
    variant: str = "standard",
    board: str | None = None,
    **cuts: str,
) -> dict[str, object]:
    """The one row of ``indicator`` for ``group``; cut columns not named are ``All``."""
    dims = [c for c in ("site", "organisation", "staff_group", "band") if c in frame.columns]
    where = [pl.col(d) == cuts.get(d, "All") for d in dims]
    if board is not None:
        where.append(pl.col("board") == board)
    found = frame.filter(
        pl.col("indicator") == indicator,
        pl.col("group") == group,
        pl.col("year") == year,
        pl.col("variant") == variant,
        *where,
    )
    assert found.height == 1, found
    return found.row(0, named=True)


def row_counts(r: dict[str, object]) -> tuple[tuple[object, object], tuple[object, object]]:
    """A row's group counts and its reference group's, each (numerator, denominator)."""
    group = (r["numerator"], r["denominator"])
    reference = (r["reference_numerator"], r["reference_denominator"])
    return group, reference


@pytest.fixture(params=["records", "counts"])
def trust(request: pytest.FixtureRequest, tmp_path: Path) -> pl.DataFrame:
    return evaluate(tmp_path, source=request.param)


# --- indicators 2-4: ratios, the right way round --------------------------------------------------


def test_indicator_2_is_white_rate_over_bme_rate(trust: pl.DataFrame) -> None:
    r = row(trust, 2, "BME")
    assert row_counts(r) == ((6 + 16, 60 + 20), (30, 100))
    assert r["reference_group"] == "White"
    assert r["relative_likelihood"] == pytest.approx((30 / 100) / (22 / 80))
    assert r["rate"] == pytest.approx(22 / 80)
    assert r["difference_pp"] == pytest.approx(100 * (22 / 80 - 30 / 100))
    assert r["non_adverse_range"] == "inside"
    assert "White shortlisted applicants more likely" in str(r["direction"])


def test_indicator_3_is_bme_rate_over_white_rate(trust: pl.DataFrame) -> None:
    r = row(trust, 3, "BME")
    assert row_counts(r) == ((5, 20), (4, 40))
    assert r["relative_likelihood"] == pytest.approx((5 / 20) / (4 / 40))  # 2.5
    assert r["non_adverse_range"] == "above"
    assert "BME staff more likely to enter" in str(r["direction"])
    previous = row(trust, 3, "BME", year=2023)
    assert previous["relative_likelihood"] == pytest.approx((1 / 20) / (2 / 40))


def test_indicator_3_two_year_rolling_pools_the_year_and_the_one_before(
    trust: pl.DataFrame,
) -> None:
    r = row(trust, 3, "BME", variant="2-year rolling")
    assert row_counts(r) == ((5 + 1, 20 + 20), (4 + 2, 40 + 40))
    assert r["relative_likelihood"] == pytest.approx((6 / 40) / (6 / 80))
    # the first year has no year before it, so no rolling figure
    rolling = trust.filter(pl.col("indicator") == 3, pl.col("variant") == "2-year rolling")
    assert set(rolling["year"].to_list()) == {2024}


def test_indicator_4_is_white_rate_over_bme_rate(trust: pl.DataFrame) -> None:
    r = row(trust, 4, "BME")
    assert row_counts(r) == ((10, 20), (30, 40))
    assert r["relative_likelihood"] == pytest.approx((30 / 40) / (10 / 20))  # 1.5
    assert r["non_adverse_range"] == "above"


def _score_interval(a: int, n1: int, c: int, n2: int) -> tuple[float, float]:
    """Koopman's score interval for (a/n1)/(c/n2): statsmodels without the MN correction."""
    low, high = confint_proportions_2indep(
        a, n1, c, n2, method="score", compare="ratio", correction=False
    )
    return float(low), float(high)


def _pearson_p(a: int, n1: int, c: int, n2: int) -> float:
    table = [[a, n1 - a], [c, n2 - c]]
    return float(chi2_contingency(table, correction=False).pvalue)


def test_ratio_score_interval_and_chi2_p_value_by_default(trust: pl.DataFrame) -> None:
    r = row(trust, 3, "BME")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(_score_interval(5, 20, 4, 40), rel=1e-6)
    assert r["ci_method"] == "score (Koopman)"
    assert r["p_value"] == pytest.approx(_pearson_p(5, 20, 4, 40), rel=1e-9)
    assert r["test"] == "chi2"
    # indicator 2 has White on top: the interval is that of White against BME
    r2 = row(trust, 2, "BME")
    assert (r2["ci_low"], r2["ci_high"]) == pytest.approx(
        _score_interval(30, 100, 22, 80), rel=1e-6
    )


def test_unknown_ethnicity_is_its_own_row_compared_with_nobody(trust: pl.DataFrame) -> None:
    r = row(trust, 3, "Unknown")
    assert (r["numerator"], r["denominator"]) == (1, 5)
    assert r["rate"] == pytest.approx(1 / 5)
    for column in ("reference_group", "relative_likelihood", "p_value", "reference_numerator"):
        assert r[column] is None
    assert r["status"] == "not compared: unknown ethnicity"
    assert r["direction"] is None  # no "than  staff" with a blank where White should be
    # and Unknown is never counted as White or BME
    assert row(trust, 3, "BME")["denominator"] == 20
    assert row(trust, 3, "BME")["reference_denominator"] == 40


def test_the_white_group_is_the_reference_not_a_row_of_ratio_indicators(
    trust: pl.DataFrame,
) -> None:
    groups = set(trust.filter(pl.col("indicator") == 2)["group"].to_list())
    assert groups == {"BME", "Unknown"}


# --- indicator 1: shares of the band, Unknown included --------------------------------------------


def test_indicator_1_shares_of_each_band_sum_to_one_with_unknown(trust: pl.DataFrame) -> None:
    band5 = {
        g: row(trust, 1, g, staff_group="Clinical", band="Band 5")
        for g in ("White", "BME", "Unknown")
    }
    assert {g: r["numerator"] for g, r in band5.items()} == {"White": 30, "BME": 15, "Unknown": 5}
    assert {r["denominator"] for r in band5.values()} == {50}
    assert band5["White"]["rate"] == pytest.approx(30 / 50)
    assert band5["BME"]["rate"] == pytest.approx(15 / 50)
    assert band5["Unknown"]["rate"] == pytest.approx(5 / 50)
    assert sum(float(r["rate"]) for r in band5.values()) == pytest.approx(1.0)  # type: ignore[arg-type]


def test_indicator_1_whole_workforce_excludes_bank_staff(trust: pl.DataFrame) -> None:
    total = {g: row(trust, 1, g) for g in ("White", "BME", "Unknown")}
    # 40 White, 20 BME, 5 Unknown; the 13 bank staff are left out
    assert {g: r["numerator"] for g, r in total.items()} == {"White": 40, "BME": 20, "Unknown": 5}
    assert {r["denominator"] for r in total.values()} == {65}
    assert total["BME"]["rate"] == pytest.approx(20 / 65)
    clinical = row(trust, 1, "BME", staff_group="Clinical")
    assert (clinical["numerator"], clinical["denominator"]) == (15, 60)


def test_indicator_1_a_band_without_bme_staff_reports_zero(trust: pl.DataFrame) -> None:
    r = row(trust, 1, "BME", staff_group="Clinical", band="Band 7")
    assert (r["numerator"], r["denominator"], r["rate"]) == (0, 10, 0.0)
    white = row(trust, 1, "White", staff_group="Clinical", band="Band 7")
    assert white["rate"] == 1.0


def test_bank_staff_are_not_in_the_disciplinary_or_training_counts(tmp_path: Path) -> None:
    frame = evaluate(tmp_path)
    bank_free = row(frame, 4, "BME")
    assert bank_free["denominator"] == 20  # not 30: the 10 BME bank staff are excluded
    assert row(frame, 3, "BME")["numerator"] == 5


# --- indicators 5-8: percentages per group --------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "bme", "white"),
    [
        (5, (15, 30), (10, 50)),
        (6, (6, 30), (10, 51)),
        (7, (21, 30), (40, 51)),
        (8, (15, 30), (10, 51)),
    ],
)
def test_survey_percentages_per_group(
    trust: pl.DataFrame, indicator: int, bme: tuple[int, int], white: tuple[int, int]
) -> None:
    r = row(trust, indicator, "BME")
    assert row_counts(r) == (bme, white)
    assert r["rate"] == pytest.approx(bme[0] / bme[1])
    assert r["reference_rate"] == pytest.approx(white[0] / white[1])
    assert r["difference_pp"] == pytest.approx(100 * (bme[0] / bme[1] - white[0] / white[1]))
    assert r["relative_likelihood"] is None  # a percentage indicator publishes no ratio
    assert r["p_value"] == pytest.approx(_pearson_p(*bme, *white), rel=1e-9)


# --- indicator 9: board minus workforce, in percentage points -------------------------------------


@pytest.mark.parametrize(
    ("board", "members", "bme"),
    [("voting", 10, 2), ("executive", 4, 0), ("non-executive", 8, 3)],
)
def test_indicator_9_is_bme_share_of_board_minus_share_of_workforce(
    trust: pl.DataFrame, board: str, members: int, bme: int
) -> None:
    r = row(trust, 9, "BME", board=board)
    assert row_counts(r) == ((bme, members), (20, 65))
    assert r["reference_group"] == "workforce"
    assert r["difference_pp"] == pytest.approx(100 * (bme / members - 20 / 65))
    assert r["status"] == "published"


# --- indicator 2 without international recruitment ------------------------------------------------


def test_indicator_2_excluding_international_applicants(tmp_path: Path) -> None:
    frame = evaluate(tmp_path)
    r = row(frame, 2, "BME", variant="excluding international")
    assert (r["numerator"], r["denominator"]) == (6, 60)
    # blank international flags count as not international
    assert (r["reference_numerator"], r["reference_denominator"]) == (30, 100)
    assert r["relative_likelihood"] == pytest.approx((30 / 100) / (6 / 60))  # 3.0
    assert r["non_adverse_range"] == "above"


def test_no_international_variant_without_the_flag(tmp_path: Path) -> None:
    frame = evaluate(tmp_path, source="counts")
    assert set(frame.filter(pl.col("indicator") == 2)["variant"].to_list()) == {"standard"}


# --- the broad level ------------------------------------------------------------------------------


def test_broad_groups_are_each_compared_with_white(tmp_path: Path) -> None:
    frame = evaluate(tmp_path, level=Level.BROAD)
    black, asian = row(frame, 3, "Black"), row(frame, 3, "Asian")
    assert (black["numerator"], black["denominator"]) == (3, 10)
    assert (asian["numerator"], asian["denominator"]) == (2, 10)
    assert black["relative_likelihood"] == pytest.approx((3 / 10) / (4 / 40))
    assert asian["relative_likelihood"] == pytest.approx((2 / 10) / (4 / 40))
    assert "White" not in set(frame.filter(pl.col("indicator") == 3)["group"].to_list())


# --- not calculable and the non-adverse range -----------------------------------------------------


def counts_of(
    tmp_path: Path, indicator: int, white: tuple[int, int], bme: tuple[int, int]
) -> dict[str, object]:
    text = (
        "indicator,year,ethnicity,numerator,denominator\n"
        f"{indicator},2024,White,{white[0]},{white[1]}\n"
        f"{indicator},2024,BME,{bme[0]},{bme[1]}\n"
    )
    return row(evaluate(tmp_path, source="counts", counts=text), indicator, "BME")


def test_zero_bme_appointments_make_indicator_2_not_calculable(tmp_path: Path) -> None:
    r = counts_of(tmp_path, 2, (50, 317), (0, 418))
    assert r["relative_likelihood"] is None
    assert r["ci_low"] is None
    assert r["non_adverse_range"] is None
    assert r["status"] == "not calculable"


def test_zero_white_cases_make_indicator_3_not_calculable(tmp_path: Path) -> None:
    r = counts_of(tmp_path, 3, (0, 300), (4, 100))
    assert r["relative_likelihood"] is None
    assert r["status"] == "not calculable"


def test_zero_bme_cases_give_indicator_3_ratio_zero(tmp_path: Path) -> None:
    r = counts_of(tmp_path, 3, (4, 300), (0, 100))
    assert r["relative_likelihood"] == 0.0
    assert r["non_adverse_range"] == "below"


@pytest.mark.parametrize(
    ("indicator", "white", "bme", "ratio_and_flag"),
    [
        # exactly 1.25 and 0.80 as fractions, though not in floating point
        (3, (2, 3), (5, 6), ((5 / 6) / (2 / 3), "inside")),  # 1.2500000000000002
        (3, (5, 12), (1, 3), ((1 / 3) / (5 / 12), "inside")),  # 0.7999999999999999
        (2, (5, 12), (1, 3), ((5 / 12) / (1 / 3), "inside")),
        (2, (1, 3), (5, 12), ((1 / 3) / (5 / 12), "inside")),
        (2, (25, 100), (20, 100), (1.25, "inside")),
        (2, (20, 100), (25, 100), (0.80, "inside")),
        (2, (2501, 10000), (2000, 10000), (1.2505, "above")),
        (2, (1999, 10000), (2500, 10000), (0.7996, "below")),
        (3, (1000, 1000), (1000, 1000), (1.0, "inside")),
    ],
)
def test_non_adverse_range_is_inclusive_on_both_sides(
    tmp_path: Path,
    indicator: int,
    white: tuple[int, int],
    bme: tuple[int, int],
    ratio_and_flag: tuple[float, str],
) -> None:
    ratio, flag = ratio_and_flag
    r = counts_of(tmp_path, indicator, white, bme)
    assert r["relative_likelihood"] == pytest.approx(ratio)
    assert r["non_adverse_range"] == flag


def test_percentages_and_shares_have_no_non_adverse_flag(trust: pl.DataFrame) -> None:
    other = trust.filter(pl.col("indicator").is_in([1, 5, 6, 7, 8, 9]))
    assert other["non_adverse_range"].null_count() == other.height
    assert math.isfinite(float(row(trust, 5, "BME")["rate"]))  # type: ignore[arg-type]


def test_white_british_reference_is_not_compared_with_the_white_group_containing_it(
    tmp_path: Path,
) -> None:
    rows = [
        "4,RXX,2024,A,400,800",  # White British: the reference
        "4,RXX,2024,C,90,200",  # other White
        "4,RXX,2024,H,100,250",  # Indian (BME)
    ]
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "indicator,organisation,year,ethnicity,numerator,denominator\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    policy = tmp_path / "p.toml"
    policy.write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    out = tmp_path / "pack"
    result = CliRunner().invoke(
        app,
        ["run", "--counts", str(counts), "--reference", "White British", "--policy", str(policy),
         "--out", str(out), "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    by_group = {r["group"]: r for r in table.filter(pl.col("indicator") == 4).iter_rows(named=True)}
    assert set(by_group) == {"White (excluding White British)", "BME"}
    other = by_group["White (excluding White British)"]
    assert (other["numerator"], other["denominator"]) == (90, 200)
    assert (other["reference_numerator"], other["reference_denominator"]) == (400, 800)
    # indicator 4 puts the reference on top: (400/800) / (90/200)
    assert other["relative_likelihood"] == as_printed(
        (400 / 800) / (90 / 200), "relative_likelihood"
    )
