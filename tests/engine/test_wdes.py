"""The Workforce Disability Equality Standard: disability in place of ethnicity.

Disabled staff are compared with Not disabled staff; Unknown disability is reported on its own and
is in neither group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from tests.precision import as_printed
from wres.cli.app import app
from wres.engine.errors import ConfigError
from wres.engine.standards import Measure, load_standard, standard_from_toml

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
    # the WDES questions: reported, pressure, valued (on the survey's scale), adjustments (asked
    # of Disabled staff; "No adjustment required" is not an answer), engagement (0-10)
    survey = [
        "year,ethnicity,q5,q6,q7,q8,disability,reported,pressure,valued,adjustments,engagement",
        *["2024,A,yes,no,yes,no,Yes,yes,yes,Satisfied,Yes,7.0"] * 4,
        *["2024,A,no,no,yes,no,Yes,,no,Very dissatisfied,No,6.99"] * 4,
        # q5 unanswered: not a respondent of metric 4a; no adjustment needed: not of metric 8
        "2024,A,,no,yes,no,Yes,,,Dissatisfied,No adjustment required,",
        *["2024,H,yes,no,no,no,No,no,no,Very satisfied,,8.5"] * 5,
        *["2024,H,no,no,no,no,No,,,Neither satisfied nor dissatisfied,,5"] * 15,
        *["2024,A,yes,yes,no,no,Not declared,yes,yes,Satisfied,,9"] * 5,
    ]
    board = [
        "year,ethnicity,voting,executive,disability",
        *["2024,A,yes,yes,Yes"] * 2,  # 2 of 10 voting members Disabled
        *["2024,A,yes,no,No"] * 7,
        "2024,A,yes,no,",
        "2024,A,no,no,No",
    ]
    applications = [
        "year,ethnicity,shortlisted,appointed,disability",
        # Disabled: 20 shortlisted, 4 appointed; Not disabled: 40 shortlisted, 12 appointed
        *["2024,A,yes,yes,Yes"] * 4,
        *["2024,A,yes,no,Yes"] * 16,
        *["2024,A,no,no,Yes"] * 10,
        *["2024,A,yes,yes,No"] * 12,
        *["2024,A,yes,no,No"] * 28,
        *["2024,A,yes,no,Prefer not to say"] * 3,
    ]
    for name, lines in (
        ("staff", staff),
        ("survey", survey),
        ("board", board),
        ("applications", applications),
    ):
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "p.toml").write_text(NO_SUPPRESSION, encoding="utf-8")
    result = wres(
        "run", "--standard", "wdes", "--staff", tmp_path / "staff.csv",
        "--survey", tmp_path / "survey.csv", "--board", tmp_path / "board.csv",
        "--applications", tmp_path / "applications.csv", "--policy", tmp_path / "p.toml",
        "--out", tmp_path / "out", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    not_computed = pl.read_csv(tmp_path / "out" / "restricted" / "not_computed.csv")
    assert not_computed["indicator"].to_list() == [91]
    return pl.read_csv(tmp_path / "out" / "publish" / "indicators.csv", infer_schema_length=None)


def one(
    pack: pl.DataFrame, indicator: int, group: str = "Disabled", **where: str
) -> dict[str, Any]:
    rows = pack.filter(
        pl.col("indicator") == indicator,
        pl.col("variant") == "standard",
        pl.col("group") == group,
        *(pl.col(k) == v for k, v in where.items()),
    )
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_the_standard_declares_disability() -> None:
    wdes = load_standard("wdes")
    assert (wdes.characteristic, wdes.focal, wdes.reference) == (
        "disability",
        "Disabled",
        "Not disabled",
    )
    assert wdes.indicator(3).event == "capability"
    assert wdes.indicator(10).measure is Measure.BOARD_GAP
    # every metric of the WDES is declared; 9b is the organisation's own narrative answer
    numbers = [i.number for i in wdes.indicators]
    assert numbers == ["1", "2", "3", "4a(i)", "4a(ii-iii)", "4b", "5", "6", "7", "8", "9a", "10"]
    assert {i for i, _ in wdes.unsupported} == {91}
    assert wdes.indicator_noun == "Metric"
    assert not wdes.indicator(8).compared
    assert wdes.indicator(9).event_at_least == 7.0
    events = {i.id: i.event for i in wdes.indicators}
    assert (events[42], events[6], events[7], events[8], events[9]) == (
        "reported",
        "pressure",
        "valued",
        "adjustments",
        "engagement",
    )


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


def test_metric_2_compares_non_disabled_with_disabled_shortlisted_applicants(
    pack: pl.DataFrame,
) -> None:
    row = one(pack, 2)
    assert (row["numerator"], row["denominator"]) == (4, 20)
    assert (row["reference_numerator"], row["reference_denominator"]) == (12, 40)
    # Not disabled on top: above 1 means Disabled applicants less likely to be appointed
    assert row["relative_likelihood"] == pytest.approx((12 / 40) / (4 / 20))
    assert row["direction"] == (
        "above 1.00: Not disabled shortlisted applicants more likely to be appointed than "
        "Disabled shortlisted applicants"
    )
    assert one(pack, 2, "Unknown")["denominator"] == 3


def test_metric_4b_6_and_7_count_only_those_asked(pack: pl.DataFrame) -> None:
    reported = one(pack, 42)  # asked of those who experienced harassment (the blanks are not)
    assert (reported["numerator"], reported["denominator"]) == (4, 4)
    assert (reported["reference_numerator"], reported["reference_denominator"]) == (0, 5)
    pressure = one(pack, 6)
    assert (pressure["numerator"], pressure["denominator"]) == (4, 8)
    valued = one(pack, 7)  # satisfied or very satisfied, on the survey's five-point scale
    assert (valued["numerator"], valued["denominator"]) == (4, 9)
    assert (valued["reference_numerator"], valued["reference_denominator"]) == (5, 20)
    assert valued["difference_pp"] == as_printed(100 * (4 / 9 - 5 / 20), "difference_pp")


def test_metric_8_is_the_percentage_of_disabled_staff_with_nobody_to_compare(
    pack: pl.DataFrame,
) -> None:
    rows = pack.filter(pl.col("indicator") == 8)
    assert rows["group"].to_list() == ["Disabled"]  # only Disabled staff answered
    row = rows.row(0, named=True)
    assert (row["numerator"], row["denominator"]) == (4, 8)  # "No adjustment required" is out
    for column in ("reference_group", "reference_rate", "difference_pp", "p_value"):
        assert row[column] is None, column
    assert row["status"] == "published"
    assert "no comparison" in row["direction"]


def test_metric_9a_counts_engagement_scores_of_7_or_more(pack: pl.DataFrame) -> None:
    row = one(pack, 9)
    assert (row["numerator"], row["denominator"]) == (4, 8)  # 7.0 counts, 6.99 does not
    assert (row["reference_numerator"], row["reference_denominator"]) == (5, 20)
    assert row["reference_group"] == "Not disabled"
    assert "engagement score of 7.0 or more" in row["direction"]


def test_metric_10_is_the_disabled_share_of_the_board_against_the_workforce(
    pack: pl.DataFrame,
) -> None:
    voting = one(pack, 10, board="voting")
    assert (voting["numerator"], voting["denominator"]) == (2, 10)
    assert (voting["reference_numerator"], voting["reference_denominator"]) == (10, 60)
    assert voting["difference_pp"] == as_printed(100 * (2 / 10 - 10 / 60), "difference_pp")
    assert set(pack.filter(pl.col("indicator") == 10)["group"]) == {"Disabled"}


def test_a_survey_without_the_wdes_questions_lists_their_metrics_as_not_computed(
    tmp_path: Path,
) -> None:
    (tmp_path / "staff.csv").write_text(
        "year,ethnicity,band,staff_group,disciplinary,training,disability\n"
        "2024,A,Band 5,Clinical,no,no,Yes\n2024,A,Band 5,Clinical,no,no,No\n",
        encoding="utf-8",
    )
    (tmp_path / "survey.csv").write_text(
        "year,ethnicity,q5,q6,q7,q8,disability\n2024,A,yes,no,yes,no,Yes\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = wres(
        "run", "--standard", "wdes", "--staff", tmp_path / "staff.csv",
        "--survey", tmp_path / "survey.csv", "--out", out, "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    reasons = dict(pl.read_csv(out / "restricted" / "not_computed.csv").iter_rows())
    assert reasons[3] == "the staff extract has no 'capability' column"
    assert reasons[6] == "the survey extract has no 'pressure' column"
    assert reasons[9] == "the survey extract has no 'engagement' column"
    assert reasons[10] == "no board extract was given"
    assert {4, 41, 5} - set(reasons) == {4, 41, 5}  # computed from q5-q7


_HEAD = (
    'name = "x"\nshort_name = "X"\ncharacteristic = "disability"\nfocal = "Disabled"\n'
    'reference = "Not disabled"\nunknown = "Unknown"\n[[indicators]]\nid = 9\ntitle = "x"\n'
    'extract = "survey"\nmeasure = "percentage"\n'
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('event = "engagement"\n', "'engagement' is a score; give event_at_least"),
        ('event = "q5"\nevent_at_least = 7.0\n', "event_at_least applies to a score column"),
        ('event = "engagement"\nevent_at_least = 0\n', "event_at_least must be above 0"),
        ('event = "engagement"\nevent_at_least = 10.5\n', "at most 10"),
    ],
)
def test_a_score_is_an_event_only_with_a_threshold(body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        standard_from_toml(_HEAD + body, "t.toml")


def test_only_a_percentage_can_go_without_a_comparison() -> None:
    body = _HEAD.replace('"percentage"', '"ratio"') + 'event = "q5"\nratio = "group/reference"\n'
    with pytest.raises(ConfigError, match="only a percentage can be published without"):
        standard_from_toml(body + "compared = false\n", "t.toml")
    standard = standard_from_toml(_HEAD + 'event = "q5"\ncompared = false\nlabel = "9z"\n', "t")
    assert not standard.indicator(9).compared
    assert standard.indicator(9).number == "9z"
    assert standard.indicator_noun == "Indicator"  # the default


def test_a_threshold_written_as_a_whole_number_is_read_as_a_score() -> None:
    standard = standard_from_toml(_HEAD + 'event = "engagement"\nevent_at_least = 7\n', "t")
    assert standard.indicator(9).event_at_least == 7.0
    with pytest.raises(ConfigError, match="unknown key"):
        standard_from_toml("indicator_nouns = 1\n" + _HEAD, "t")
