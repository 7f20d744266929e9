"""The synthetic data carry what the truth file says, recomputed independently with plain polars.

One data set of 40 trusts over 2021-2024 (about 1 million staff rows) is generated per module.
Tolerances on ratios are 4 standard errors of the log ratio, computed from the observed counts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from wres.engine.ethnicity import UNKNOWN, default_scheme
from wres.engine.schema import BANDS, STAFF_GROUPS, normalise_band, normalise_staff_group
from wres.engine.synth import OutputFormat, write_synthetic

TRUSTS = 40
YEARS = (2021, 2022, 2023, 2024)
Z = 4.0  # standard errors allowed between an observed and a true ratio


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("synth")
    write_synthetic(out, trusts=TRUSTS, years=YEARS, seed=7, output_format=OutputFormat.PARQUET)
    tables: dict[str, Any] = {"truth": json.loads((out / "synth_truth.json").read_text())}
    for name in ("staff", "applications", "survey", "board"):
        frame = pl.read_parquet(out / f"{name}.parquet")
        classes = default_scheme().classify_series(frame["ethnicity"])
        tables[name] = frame.with_columns(
            group=classes["ethnic_wres"], reason=classes["ethnic_unknown_reason"]
        )
    return tables


def _rates(frame: pl.DataFrame, event: str) -> dict[tuple[int, str], tuple[int, int]]:
    """(year, group) -> (events, people)."""
    counts = frame.group_by("year", "group").agg(pl.col(event).sum(), pl.len())
    return {(r["year"], r["group"]): (r[event], r["len"]) for r in counts.iter_rows(named=True)}


def _log_ratio_and_se(top: tuple[int, int], bottom: tuple[int, int]) -> tuple[float, float]:
    """log(rate top / rate bottom) and its standard error (delta method)."""
    (x1, n1), (x2, n2) = top, bottom
    p1, p2 = x1 / n1, x2 / n2
    return math.log(p1 / p2), math.sqrt((1 - p1) / x1 + (1 - p2) / x2)


# (indicator, extract, event column, group on top of the ratio)
INDICATORS = [(2, "applications", "appointed", "White"), (3, "staff", "disciplinary", "BME"),
              (4, "staff", "training", "White")]  # fmt: skip


def _at_risk(data: dict[str, Any], indicator: int, extract: str) -> pl.DataFrame:
    frame: pl.DataFrame = data[extract]
    if indicator == 2:
        return frame.filter(pl.col("shortlisted"), ~pl.col("international"))
    return frame.filter(~pl.col("bank"))


def _check_ratio(observed: tuple[float, float], truth: float, what: str) -> None:
    log_ratio, se = observed
    assert abs(log_ratio - math.log(truth)) <= Z * se, (
        f"{what}: observed {math.exp(log_ratio):.3f}, true {truth:.3f}, SE(log) {se:.3f}"
    )


@pytest.mark.parametrize(("indicator", "extract", "event", "top"), INDICATORS)
def test_indicator_ratios_at_ordinary_sites_match_the_truth(
    data: dict[str, Any], indicator: int, extract: str, event: str, top: str
) -> None:
    truth = data["truth"]["indicators"][str(indicator)]
    frame = _at_risk(data, indicator, extract).filter(
        ~pl.col("site").is_in(data["truth"]["hotspot_sites"])
    )
    rates = _rates(frame, event)
    bottom = "White" if top == "BME" else "BME"
    for year in YEARS:
        observed = _log_ratio_and_se(rates[year, top], rates[year, bottom])
        _check_ratio(
            observed, truth["by_year"][str(year)]["ratio"], f"indicator {indicator} {year}"
        )


@pytest.mark.parametrize(("indicator", "extract", "event", "top"), INDICATORS)
def test_hotspot_sites_carry_the_multiplied_ratio(
    data: dict[str, Any], indicator: int, extract: str, event: str, top: str
) -> None:
    truth = data["truth"]["indicators"][str(indicator)]
    hot = pl.col("site").is_in(data["truth"]["hotspot_sites"])
    frame = _at_risk(data, indicator, extract)
    bottom = "White" if top == "BME" else "BME"
    hot_rates, cold_rates = _rates(frame.filter(hot), event), _rates(frame.filter(~hot), event)
    for year in YEARS:
        observed = _log_ratio_and_se(hot_rates[year, top], hot_rates[year, bottom])
        expected = truth["by_year"][str(year)]["hotspot_ratio"]
        _check_ratio(observed, expected, f"indicator {indicator} {year} at hotspots")
        if truth["hotspot_factor"] >= 1.5:
            cold = _log_ratio_and_se(cold_rates[year, top], cold_rates[year, bottom])
            assert observed[0] - cold[0] > Z * math.hypot(observed[1], cold[1])


def test_international_applications_are_mostly_bme_shortlisted_and_lower_indicator_2(
    data: dict[str, Any],
) -> None:
    apps: pl.DataFrame = data["applications"]
    campaigns = apps.filter("international")
    assert campaigns.height > 0
    known = campaigns.filter(pl.col("group") != UNKNOWN)
    assert (known["group"] == "BME").mean() > 0.8
    assert campaigns["shortlisted"].mean() > 0.9
    assert campaigns.filter("shortlisted")["appointed"].mean() > 0.6
    latest = apps.filter(pl.col("year") == YEARS[-1], "shortlisted")
    with_all = _rates(latest, "appointed")
    without = _rates(latest.filter(~pl.col("international")), "appointed")
    year = YEARS[-1]
    assert (
        _log_ratio_and_se(with_all[year, "White"], with_all[year, "BME"])[0]
        < (_log_ratio_and_se(without[year, "White"], without[year, "BME"])[0])
    )


def test_appointed_only_if_shortlisted(data: dict[str, Any]) -> None:
    apps: pl.DataFrame = data["applications"]
    assert apps.filter(pl.col("appointed") & ~pl.col("shortlisted")).height == 0
    assert 0.40 <= apps.filter(~pl.col("international"))["shortlisted"].mean() <= 0.50


def test_applicants_are_more_often_bme_than_staff(data: dict[str, Any]) -> None:
    apps = data["applications"].filter(~pl.col("international"))
    assert (apps["group"] == "BME").mean() > (data["staff"]["group"] == "BME").mean() + 0.05


@pytest.fixture(scope="module")
def nation_2024(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """All 210 trusts, 2024 only: the national picture (about 1.4 million staff rows)."""
    out = tmp_path_factory.mktemp("nation")
    write_synthetic(out, trusts=210, years=(2024,), seed=1)
    staff = pl.read_parquet(out / "staff.parquet", columns=["ethnicity", "region"])
    return staff.with_columns(
        group=default_scheme().classify_series(staff["ethnicity"])["ethnic_wres"]
    )


def test_national_bme_share_is_about_26_percent_with_regional_order(
    nation_2024: pl.DataFrame,
) -> None:
    assert 1_300_000 <= nation_2024.height <= 1_550_000
    assert 0.25 <= (nation_2024["group"] == "BME").mean() <= 0.28
    regions = nation_2024.group_by("region").agg((pl.col("group") == "BME").mean()).sort("group")
    assert regions.height == 7
    assert regions["region"][-1] == "London"
    assert regions["region"][0] == "South West"
    assert 0.45 <= regions["group"][-1] <= 0.55
    assert 0.09 <= regions["group"][0] <= 0.13


def test_each_trusts_bme_share_meets_its_target_every_year(data: dict[str, Any]) -> None:
    staff: pl.DataFrame = data["staff"]
    shares = staff.group_by("organisation", "year").agg(
        (pl.col("group") == "BME").mean().alias("share"), pl.len()
    )
    targets = {
        (org["code"], int(year)): target
        for org in data["truth"]["organisations"]
        for year, target in org["bme_share_target"].items()
    }
    for row in shares.iter_rows(named=True):
        target = targets[row["organisation"], row["year"]]
        # Typos hide a few BME people, hence the 0.5 point margin beside sampling error.
        margin = Z * math.sqrt(target * (1 - target) / row["len"]) + 0.005
        assert abs(row["share"] - target) <= margin, row
    by_year = staff.group_by("year").agg((pl.col("group") == "BME").mean()).sort("year")
    assert by_year["group"].to_list() == sorted(by_year["group"].to_list())  # rising


def test_bme_staff_over_represented_at_bands_5_6_and_under_at_8a_up(data: dict[str, Any]) -> None:
    staff = data["staff"].filter(~pl.col("bank"), pl.col("year") == YEARS[-1])
    staff = staff.with_columns(
        canonical=pl.col("band").map_elements(normalise_band, return_dtype=pl.String),
        sg=pl.col("staff_group").map_elements(normalise_staff_group, return_dtype=pl.String),
    )
    afc = staff.filter(pl.col("sg") != "Medical")
    overall = (afc["group"] == "BME").mean()

    def share(bands: list[str]) -> float:
        return float((afc.filter(pl.col("canonical").is_in(bands))["group"] == "BME").mean())

    assert share(["Band 5", "Band 6"]) > overall + 0.03
    senior = ["Band 8a", "Band 8b", "Band 8c", "Band 8d", "Band 9", "VSM"]
    assert share(senior) < overall - 0.03
    medical = staff.filter(pl.col("sg") == "Medical")
    assert 0.38 <= (medical["group"] == "BME").mean() <= 0.52


def test_unknown_ethnicity_share_and_spellings(data: dict[str, Any]) -> None:
    staff: pl.DataFrame = data["staff"]
    unknown = staff.filter(pl.col("group") == UNKNOWN, pl.col("reason") != "unrecognised")
    assert 0.02 <= unknown.height / staff.height <= 0.04
    assert set(unknown["reason"].unique()) == {"not stated", "not known", "blank"}


def test_every_written_value_is_understood(data: dict[str, Any]) -> None:
    truth = data["truth"]["unrecognised_ethnicity"]
    for name in ("staff", "applications", "survey", "board"):
        frame: pl.DataFrame = data[name]
        unrecognised = frame.filter(pl.col("reason") == "unrecognised")
        assert set(unrecognised["ethnicity"].unique()) <= set(truth["values"])
        assert unrecognised.height == truth["rows"][name]
        assert data["truth"]["rows"][name] == frame.height
        if name == "board":
            continue
        for column, normalise, known in (
            ("band", normalise_band, BANDS),
            ("staff_group", normalise_staff_group, STAFF_GROUPS),
        ):
            spellings = frame[column].unique().to_list()
            assert {normalise(value) for value in spellings} <= set(known), column
    assert truth["rows"]["staff"] > 0  # the injection is exercised


def test_bank_share_and_survey_sample(data: dict[str, Any]) -> None:
    staff: pl.DataFrame = data["staff"]
    assert 0.045 <= staff["bank"].mean() <= 0.055
    eligible = staff.filter(~pl.col("bank")).group_by("year").len()
    respondents = data["survey"].group_by("year").len()
    joined = eligible.join(respondents, on="year", suffix="_survey")
    for row in joined.iter_rows(named=True):
        assert 0.40 <= row["len_survey"] / row["len"] <= 0.50


def test_survey_answers_near_the_national_staff_survey(data: dict[str, Any]) -> None:
    survey: pl.DataFrame = data["survey"]
    config = data["truth"]["config"]
    for question in ("q5", "q6", "q7", "q8"):
        white, bme = config[f"survey_{question}_rates"]
        assert 0.01 <= survey[question].null_count() / survey.height <= 0.03
        for group, expected in (("White", white), ("BME", bme)):
            observed = survey.filter(pl.col("group") == group)[question].mean()
            assert isinstance(observed, float)
            assert abs(observed - expected) < 0.02, (question, group, observed)


def test_boards_have_10_to_16_members_and_fewer_bme(data: dict[str, Any]) -> None:
    board: pl.DataFrame = data["board"]
    sizes = board.group_by("organisation", "year").len()["len"]
    assert sizes.len() == TRUSTS * len(YEARS)
    assert sizes.min() == 10
    assert sizes.max() == 16
    staff_share = (data["staff"]["group"] == "BME").mean()
    assert (board["group"] == "BME").mean() < 0.75 * staff_share


def test_staff_are_a_panel(data: dict[str, Any]) -> None:
    staff: pl.DataFrame = data["staff"]
    keys = staff.select("organisation", "year", "staff_id")
    assert keys.is_unique().all()
    per_person = staff.group_by("organisation", "staff_id").agg(pl.col("ethnicity").n_unique())
    assert per_person["ethnicity"].max() == 1
    first, second = (staff.filter(pl.col("year") == y) for y in YEARS[:2])
    stayed = first.join(second, on=["organisation", "staff_id"], how="semi").height
    assert 0.87 <= stayed / first.height <= 0.93


def test_disability_declaration_and_capability(data: dict[str, Any]) -> None:
    staff: pl.DataFrame = data["staff"]
    assert set(staff["disability"].unique().to_list()) == {"Yes", "No", "Not declared", None}
    assert 0.03 <= (staff["disability"] == "Yes").mean() <= 0.05
    undeclared = staff["disability"].is_null().sum() + (staff["disability"] == "Not declared").sum()
    assert 0.25 <= undeclared / staff.height <= 0.30
    disabled = staff.filter(pl.col("disability") == "Yes")
    others = staff.filter(pl.col("disability") != "Yes")
    observed = _log_ratio_and_se(
        (disabled["capability"].sum(), disabled.height), (others["capability"].sum(), others.height)
    )
    _check_ratio(observed, data["truth"]["config"]["capability_ratio_disabled"], "capability")


def test_rows_keep_trust_then_year_order(data: dict[str, Any]) -> None:
    truth_order = [org["code"] for org in data["truth"]["organisations"]]
    for name in ("staff", "applications", "survey", "board"):
        frame: pl.DataFrame = data[name]
        assert frame["organisation"].unique(maintain_order=True).to_list() == truth_order
        runs = frame.select("organisation", "year").unique(maintain_order=True)
        assert runs.height == TRUSTS * len(YEARS)  # each trust-year is one contiguous block


def test_output_files_are_where_expected(tmp_path: Path) -> None:
    result = write_synthetic(tmp_path, trusts=1, years=(2024,), seed=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "applications.parquet",
        "board.parquet",
        "staff.parquet",
        "survey.parquet",
        "synth_truth.json",
    ]
    assert result.rows["staff"] == pl.read_parquet(tmp_path / "staff.parquet").height


# --- WDES: disability in applications, the survey and the board ---------------------------------

#: How the synthetic extracts write disability, normalised here without wres.
_DISABILITY = {"Yes": "Disabled", "No": "Not disabled"}


def _disability(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        dis=pl.col("disability").replace_strict(
            _DISABILITY, default="Unknown", return_dtype=pl.String
        )
    )


def _share_within(observed: tuple[int, int], truth: float, what: str) -> None:
    """``observed`` (events, people) is within Z binomial standard errors of ``truth``."""
    events, people = observed
    se = math.sqrt(truth * (1 - truth) / people)
    assert abs(events / people - truth) <= Z * se, (
        f"{what}: observed {events / people:.4f} of {people}, true {truth:.4f}"
    )


def test_wdes_metric_2_ratio_matches_the_truth(data: dict[str, Any]) -> None:
    truth = data["truth"]["wdes"]["2"]
    apps = _disability(data["applications"]).filter(pl.col("shortlisted"))
    counts = apps.group_by("year", "dis").agg(pl.col("appointed").sum(), pl.len())
    rates = {
        (r["year"], r["dis"]): (r["appointed"], r["len"]) for r in counts.iter_rows(named=True)
    }
    for year in YEARS:
        observed = _log_ratio_and_se(rates[year, "Not disabled"], rates[year, "Disabled"])
        _check_ratio(observed, truth["by_year"][str(year)]["ratio"], f"WDES metric 2 {year}")
    # Unknown disability has the Not disabled rate
    for year in YEARS:
        observed = _log_ratio_and_se(rates[year, "Unknown"], rates[year, "Not disabled"])
        _check_ratio(observed, 1.0, f"WDES metric 2 {year}, Unknown")


def test_applicants_declare_disability_more_often_than_esr_records(data: dict[str, Any]) -> None:
    config = data["truth"]["config"]
    apps = _disability(data["applications"])
    declared = (int((apps["dis"] == "Disabled").sum()), apps.height)
    _share_within(declared, config["applicant_disabled_share"], "applicants Disabled")
    unknown = config["applicant_not_declared_share"] + config["applicant_disability_blank_share"]
    _share_within(
        (int((apps["dis"] == "Unknown").sum()), apps.height), unknown, "applicants Unknown"
    )
    assert set(apps["disability"].unique().to_list()) == {"Yes", "No", "Prefer not to say", None}


def test_survey_disability_is_asked_afresh(data: dict[str, Any]) -> None:
    config = data["truth"]["config"]
    survey = _disability(data["survey"])
    first, last = config["survey_disabled_share"]["first"], config["survey_disabled_share"]["last"]
    for year in YEARS:
        rows = survey.filter(pl.col("year") == year)
        share = first + (last - first) * (year - 2015) / 9
        expected = share * (1 - config["survey_disability_unanswered"])
        _share_within((int((rows["dis"] == "Disabled").sum()), rows.height), expected, str(year))
    staff_share = (data["staff"]["disability"] == "Yes").mean()
    assert isinstance(staff_share, float)
    assert (survey["dis"] == "Disabled").mean() > 4 * staff_share  # far above ESR's


@pytest.mark.parametrize("metric", ["4", "41", "5"])
def test_wres_questions_differ_by_disability_as_injected(data: dict[str, Any], metric: str) -> None:
    truth = data["truth"]["wdes"][metric]
    column = truth["column"]
    survey = _disability(data["survey"]).filter(pl.col(column).is_not_null())
    counts = survey.group_by("year", "dis").agg(pl.col(column).sum(), pl.len())
    rates = {(r["year"], r["dis"]): (r[column], r["len"]) for r in counts.iter_rows(named=True)}
    for year in YEARS:
        observed = _log_ratio_and_se(rates[year, "Disabled"], rates[year, "Not disabled"])
        _check_ratio(observed, truth["ratio"], f"WDES {metric} ({column}) {year}")


def _wdes_events(survey: pl.DataFrame, metric: str, truth: dict[str, Any]) -> pl.Expr:
    """The yes answers of a WDES question, read here without wres."""
    column = truth["column"]
    if metric == "7":
        return pl.col(column).is_in(["Satisfied", "Very satisfied"])
    if metric == "8":
        return pl.col(column) == "Yes"
    if metric == "9":
        return pl.col(column) >= truth["threshold"]
    return pl.col(column)


def _asked(metric: str, truth: dict[str, Any]) -> pl.Expr:
    column = truth["column"]
    if metric == "8":
        return pl.col(column).is_in(["Yes", "No"])
    return pl.col(column).is_not_null()


@pytest.mark.parametrize("metric", ["42", "6", "7", "8", "9"])
def test_wdes_questions_carry_the_injected_rates(data: dict[str, Any], metric: str) -> None:
    truth = data["truth"]["wdes"][metric]
    survey = _disability(data["survey"])
    asked = survey.filter(_asked(metric, truth)).with_columns(
        event=_wdes_events(survey, metric, truth)
    )
    for group, key in (("Disabled", "disabled_rate"), ("Not disabled", "not_disabled_rate")):
        if key not in truth:
            assert asked.filter(pl.col("dis") == group).height == 0  # metric 8: not asked
            continue
        rows = asked.filter(pl.col("dis") == group)
        _share_within((int(rows["event"].sum()), rows.height), truth[key], f"{metric} {group}")


def test_wdes_questions_are_asked_of_the_right_people(data: dict[str, Any]) -> None:
    config = data["truth"]["config"]
    survey = _disability(data["survey"])
    harassed = survey["q5"].fill_null(value=False) | survey["q6"].fill_null(value=False)
    assert survey.filter(~harassed)["reported"].null_count() == survey.filter(~harassed).height
    assert survey.filter(pl.col("dis") != "Disabled")["adjustments"].null_count() == (
        survey.filter(pl.col("dis") != "Disabled").height
    )
    disabled = survey.filter(pl.col("dis") == "Disabled", pl.col("adjustments").is_not_null())
    needed = (int(disabled["adjustments"].is_in(["Yes", "No"]).sum()), disabled.height)
    _share_within(needed, config["survey_adjustments_needed"], "adjustments needed")
    not_disabled = survey.filter(pl.col("dis") == "Not disabled")
    asked = (not_disabled["pressure"].is_not_null().sum(), not_disabled.height)
    unwell = config["survey_unwell_at_work_rates"][0] * (1 - config["survey_item_nonresponse"])
    _share_within((int(asked[0]), asked[1]), unwell, "came to work unwell")
    scores = survey["engagement"].drop_nulls()
    assert scores.min() >= 0.0
    assert scores.max() <= 10.0
    steps = (scores * 3.6).round(0) / 3.6
    assert ((scores - steps).abs() <= 0.006).all()  # in steps of 10/36, to 2 decimals
    valued = survey["valued"].drop_nulls().unique().to_list()
    assert set(valued) == {
        "Very satisfied",
        "Satisfied",
        "Neither satisfied nor dissatisfied",
        "Dissatisfied",
        "Very dissatisfied",
    }


def test_boards_carry_disability(data: dict[str, Any]) -> None:
    truth = data["truth"]["wdes"]["10"]
    board = _disability(data["board"])
    disabled = (int((board["dis"] == "Disabled").sum()), board.height)
    _share_within(disabled, truth["board_disabled_share"], "board Disabled")
    unknown = (int((board["dis"] == "Unknown").sum()), board.height)
    _share_within(unknown, truth["board_not_declared_share"], "board Unknown")
