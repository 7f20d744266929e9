"""`wres run --standard wdes` on the synthetic extracts: every WDES metric, checked against a plain
polars computation from the files, worded by disability, and nothing small published.

One synthetic trust over 2023-2024, run twice: with the default policy (wres-default, counts 1-7
withheld) for the disclosure scan and the wording, and without suppression, by site, to check
the figures against the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from tests.precision import as_printed
from wres.cli.app import app
from wres.engine.synth import write_synthetic

EVERY_METRIC = {1, 2, 3, 4, 41, 42, 5, 6, 7, 8, 9, 10}
COUNT_COLUMNS = ("numerator", "denominator", "reference_numerator", "reference_denominator")
YEAR = 2024
_DISABILITY = {"Yes": "Disabled", "No": "Not disabled"}


@dataclass(frozen=True)
class Run:
    data: dict[str, Path]
    default: Path  # wres-default, organisation total
    open: Path  # no suppression, by site


def _run(files: dict[str, Path], out: Path, *extra: str) -> Path:
    args = [f"--{name}={path}" for name, path in sorted(files.items())]
    result = CliRunner().invoke(
        app, ["run", "--standard", "wdes", *args, *extra, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("wdes")
    files = write_synthetic(base / "data", trusts=1, years=(2023, 2024), seed=1).files
    policy = base / "open.toml"
    policy.write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    return Run(
        files,
        _run(files, base / "default", "-q"),
        _run(files, base / "open", "--policy", str(policy), "--by", "site", "-q"),
    )


def indicators(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)


def total(table: pl.DataFrame, indicator: int, group: str = "Disabled") -> dict[str, Any]:
    rows = table.filter(
        pl.col("indicator") == indicator,
        pl.col("year") == YEAR,
        pl.col("variant") == "standard",
        pl.col("site") == "All",
        pl.col("group") == group,
        pl.col("board").is_null() | (pl.col("board") == "voting"),
        pl.col("staff_group") == "All",
        pl.col("band") == "All",
    )
    assert rows.height == 1, (indicator, rows)
    return rows.row(0, named=True)


# --- every metric ---------------------------------------------------------------------------------


def test_every_wdes_metric_is_computed_and_only_9b_is_not(run: Run) -> None:
    for out in (run.default, run.open):
        assert set(indicators(out)["indicator"]) == EVERY_METRIC
        not_computed = pl.read_csv(out / "restricted" / "not_computed.csv")
        # a board has no sites: metric 10 has no cut by site, a genuine reason
        whole = not_computed.filter(~pl.col("reason").str.ends_with("cut not computed"))
        assert whole["indicator"].to_list() == [91]
        assert "9b" in whole["reason"][0]
        cuts = not_computed.filter(pl.col("reason").str.ends_with("cut not computed"))
        assert cuts["indicator"].to_list() == ([10] if out == run.open else [])


def test_disabled_staff_are_compared_with_not_disabled_staff_only(run: Run) -> None:
    table = indicators(run.open)
    assert set(table["group"]) <= {"Disabled", "Not disabled", "Unknown"}
    references = set(table.filter(pl.col("indicator") != 10)["reference_group"].drop_nulls())
    assert references == {"Not disabled"}
    assert set(table.filter(pl.col("indicator") == 10)["reference_group"]) == {"workforce"}
    unknown = table.filter(pl.col("group") == "Unknown", pl.col("indicator").is_in([2, 3, 4, 9]))
    assert set(unknown["status"]) == {"not compared: unknown disability"}
    # metric 8 compares nobody: its rows have no reference group, difference or test
    eight = table.filter(pl.col("indicator") == 8)
    assert eight["reference_group"].null_count() == eight.height
    assert eight["p_value"].null_count() == eight.height


def test_directions_say_which_way_round_each_figure_is(run: Run) -> None:
    table = indicators(run.open)
    directions = dict(
        table.filter(pl.col("group") == "Disabled")
        .select("indicator", "direction")
        .unique()
        .iter_rows()
    )
    assert directions[2].startswith(
        "above 1.00: Not disabled shortlisted applicants more likely to be appointed than "
        "Disabled shortlisted applicants"
    )
    assert directions[3].startswith(
        "above 1.00: Disabled staff more likely to enter the formal capability process"
    )
    for metric in (4, 41, 42, 5, 6, 7, 9):
        assert "Disabled respondents" in directions[metric], metric
        assert "Not disabled respondents" in directions[metric], metric
    assert "Not disabled" not in directions[8]
    assert directions[10].startswith("difference_pp: Disabled % of board members minus Disabled %")
    text = " ".join(table["direction"].drop_nulls().unique().to_list())
    assert not re.search(r"\b(BME|White|ethnic)", text)


def test_cuts_by_site_reach_the_new_metrics(run: Run) -> None:
    table = indicators(run.open)
    for metric in (2, 42, 6, 7, 8, 9):
        sites = table.filter(pl.col("indicator") == metric, pl.col("site") != "All")["site"]
        assert sites.n_unique() > 5, metric


# --- the figures, recomputed from the files -------------------------------------------------------


def _read(run: Run, name: str) -> pl.DataFrame:
    frame = pl.read_parquet(run.data[name]).filter(pl.col("year") == YEAR)
    return frame.with_columns(
        dis=pl.col("disability").replace_strict(
            _DISABILITY, default="Unknown", return_dtype=pl.String
        )
    )


def _counts(frame: pl.DataFrame, event: pl.Expr, asked: pl.Expr) -> dict[str, tuple[int, int]]:
    rows = frame.filter(asked).group_by("dis").agg(event.sum().alias("events"), pl.len())
    return {r["dis"]: (int(r["events"]), int(r["len"])) for r in rows.iter_rows(named=True)}


def _check(
    row: dict[str, Any], counts: dict[str, tuple[int, int]], *, compared: bool = True
) -> None:
    assert (row["numerator"], row["denominator"]) == counts["Disabled"]
    if compared:
        assert (row["reference_numerator"], row["reference_denominator"]) == counts["Not disabled"]


def test_metric_2_matches_the_applications(run: Run) -> None:
    apps = _read(run, "applications")
    counts = _counts(apps, pl.col("appointed"), pl.col("shortlisted"))
    row = total(indicators(run.open), 2)
    _check(row, counts)
    (a, n1), (c, n2) = counts["Disabled"], counts["Not disabled"]
    assert row["relative_likelihood"] == as_printed((c / n2) / (a / n1), "relative_likelihood")


@pytest.mark.parametrize(
    ("metric", "event", "asked"),
    [
        (4, pl.col("q5"), pl.col("q5").is_not_null()),
        (41, pl.col("q6"), pl.col("q6").is_not_null()),
        (42, pl.col("reported"), pl.col("reported").is_not_null()),
        (5, pl.col("q7"), pl.col("q7").is_not_null()),
        (6, pl.col("pressure"), pl.col("pressure").is_not_null()),
        (
            7,
            pl.col("valued").is_in(["Satisfied", "Very satisfied"]),
            pl.col("valued").is_not_null(),
        ),
        (9, pl.col("engagement") >= 7.0, pl.col("engagement").is_not_null()),
    ],
)
def test_survey_metrics_match_the_survey(
    run: Run, metric: int, event: pl.Expr, asked: pl.Expr
) -> None:
    counts = _counts(_read(run, "survey"), event, asked)
    _check(total(indicators(run.open), metric), counts)


def test_metric_8_matches_the_survey(run: Run) -> None:
    survey = _read(run, "survey")
    counts = _counts(
        survey, pl.col("adjustments") == "Yes", pl.col("adjustments").is_in(["Yes", "No"])
    )
    assert set(counts) == {"Disabled"}  # asked of Disabled staff only
    _check(total(indicators(run.open), 8), counts, compared=False)


def test_metric_10_matches_the_board_and_the_workforce(run: Run) -> None:
    board = _read(run, "board").filter(pl.col("voting"))
    staff = _read(run, "staff").filter(~pl.col("bank"))
    row = total(indicators(run.open), 10)
    assert (row["numerator"], row["denominator"]) == (
        int((board["dis"] == "Disabled").sum()),
        board.height,
    )
    workforce = (int((staff["dis"] == "Disabled").sum()), staff.height)
    assert (row["reference_numerator"], row["reference_denominator"]) == workforce


# --- disclosure control and wording -----------------------------------------------------------


def test_the_report_does_not_call_a_wdes_board_public(run: Run) -> None:
    # wres-default treats a board as public, but only its members' ethnic group is: the WDES
    # board is protected like any other count, and the report's policy sentences say so
    report = (run.default / "publish" / "report.html").read_text(encoding="utf-8")
    assert "disability is not public" in report
    assert "public knowledge (the annual report names them)" not in report


def test_no_count_from_1_to_7_is_published_under_wres_default(run: Run) -> None:
    for table in (
        indicators(run.default),
        pl.read_parquet(run.default / "publish" / "indicators.parquet"),
    ):
        for column in COUNT_COLUMNS:
            small = table.filter(pl.col(column).is_between(1, 7))
            assert small.height == 0, (column, small.select("indicator", "group", column))
        withheld = table.filter(pl.col("status").str.starts_with("suppressed"))
        assert withheld.height > 0  # small cells exist in one trust's data and are withheld
    assert set(indicators(run.default)["indicator"]) == EVERY_METRIC


def test_the_workbook_names_its_sheets_by_wdes_metric(run: Run) -> None:
    book = openpyxl.load_workbook(run.default / "publish" / "wres.xlsx")
    metrics = [n for n in book.sheetnames if n.startswith("Metric")]
    assert metrics == [
        "Metric 1",
        "Metric 2",
        "Metric 3",
        "Metric 4a(i)",
        "Metric 4a(ii-iii)",
        "Metric 4b",
        "Metric 5",
        "Metric 6",
        "Metric 7",
        "Metric 8",
        "Metric 9a",
        "Metric 10",
    ]
    assert not [n for n in book.sheetnames if n.startswith("Indicator")]
    assert str(book["Metric 4b"]["A1"].value).startswith("Metric 4b: Percentage of staff saying")
    eight = [c.value for c in book["Metric 8"][4]]
    assert eight[:2] == ["Year", "Group"]
    assert not [h for h in eight if h and "Not disabled" in str(h)]
    headers = [str(c.value) for c in book["Metric 9a"][4] if c.value]
    assert "Group: engagement score 7.0 or more" in headers
    assert "Not disabled: respondents" in headers
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and re.search(r"\bethnic", value)), sheet.title


def test_the_report_speaks_of_disability_and_metrics(run: Run) -> None:
    html = (run.default / "publish" / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    assert not re.search(r"\b(ethnic|BME|White)", text)
    assert not re.search(r"\bIndicators? \d", text)
    for wanted in (
        "Staff by band and disability, 2024",
        "Staff survey metrics by disability, 2024",
        "Metric 4a(i)",
        "Metric 9a by year and disability",
        "Unknown: disability not declared or not known",
        "Metric 8 is asked of Disabled staff only",
    ):
        assert wanted in text, wanted
