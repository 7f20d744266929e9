"""`wres audit` on tables someone else published: disclosures found, exit codes, markers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from wres.cli.app import app
from wres.cli.exit_codes import ExitCode


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["audit", *map(str, args)])


def write(path: Path, rows: list[tuple[str, ...]], header: str = "ethnicity,count") -> Path:
    path.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return path


FIVE_SMALL = [("a", "<5"), ("b", "<5"), ("c", "<5"), ("d", "<5"), ("e", "<5"), ("f", "93"),
              ("Total", "100")]  # fmt: skip


def test_five_small_cells_summing_to_the_total_minus_the_rest(tmp_path: Path) -> None:
    result = run(write(tmp_path / "t.csv", FIVE_SMALL))
    assert result.exit_code == ExitCode.DISCLOSURE_AUDIT_FAILED
    assert "verdict: 5 withheld cell(s) narrowed below the requirement" in result.stdout
    assert (
        "ethnicity=a + ethnicity=b + ethnicity=c + ethnicity=d + ethnicity=e = 7" in result.stdout
    )
    assert "row 2: ethnicity=a: [1, 3] 3 values, 4 required: FAIL" in result.stdout


def test_json_report(tmp_path: Path) -> None:
    result = run(write(tmp_path / "t.csv", FIVE_SMALL), "--json")
    report = json.loads(result.stdout)
    assert report["disclosure"] is True
    assert report["revealed_sums"][0]["sum"] == 7
    assert report["revealed_sums"][0]["narrows_below_requirement"] is True
    cells = report["withheld_cells"]
    assert [c["upper"] for c in cells] == [3] * 5
    assert {c["result"] for c in cells} == {"FAIL"}


def test_a_lone_withheld_cell_in_a_row_is_an_exact_disclosure(tmp_path: Path) -> None:
    rows = [("r1", "c1", "*"), ("r1", "c2", "20"), ("r1", "Total", "23"),
            ("r2", "c1", "15"), ("r2", "c2", "25"), ("r2", "Total", "40"),
            ("Total", "c1", "18"), ("Total", "c2", "45"), ("Total", "Total", "63")]  # fmt: skip
    result = run(write(tmp_path / "t.csv", rows, "row,col,count"), "--json")
    assert result.exit_code == ExitCode.DISCLOSURE_AUDIT_FAILED
    report = json.loads(result.stdout)
    (exact,) = report["exact_disclosures"]
    assert exact["key"] == {"row": "r1", "col": "c1"}
    assert exact["lower"] == exact["upper"] == 3


def test_a_protected_table_passes(tmp_path: Path) -> None:
    rows = [("r1", "c1", "*"), ("r1", "c2", "*"), ("r1", "Total", "23"),
            ("r2", "c1", "c"), ("r2", "c2", "[c]"), ("r2", "Total", "40"),
            ("Total", "c1", "18"), ("Total", "c2", "45"), ("Total", "Total", "63")]  # fmt: skip
    result = run(write(tmp_path / "t.csv", rows, "row,col,count"), "--policy", "wres-default")
    assert result.exit_code == 0, result.output
    assert "verdict: no disclosure found" in result.stdout


def test_a_small_published_count_is_a_disclosure(tmp_path: Path) -> None:
    rows = [("a", "3"), ("b", "40"), ("Total", "43")]
    result = run(write(tmp_path / "t.csv", rows))
    assert result.exit_code == ExitCode.DISCLOSURE_AUDIT_FAILED
    assert "1 published count(s) in the withheld range" in result.stdout
    assert "row 2: ethnicity=a: 3" in result.stdout


def test_nested_groupings_reveal_through_the_group_total(tmp_path: Path) -> None:
    hierarchy = tmp_path / "groups.csv"
    hierarchy.write_text(
        "child,parent\nWhite,Total\nBME,Total\nBritish,White\nIrish,White\nAsian,BME\nBlack,BME\n",
        encoding="utf-8",
    )
    rows = [("British", ".."), ("Irish", "x"), ("White", "80"), ("Asian", "*"), ("Black", "12"),
            ("BME", "17"), ("Total", "97")]  # fmt: skip
    table = write(tmp_path / "t.csv", rows)
    result = run(table, "--hierarchy", f"ethnicity={hierarchy}", "--json")
    report = json.loads(result.stdout)
    asian = next(c for c in report["withheld_cells"] if c["key"]["ethnicity"] == "Asian")
    assert asian["lower"] == asian["upper"] == 5  # BME 17 minus Black 12
    assert result.exit_code == ExitCode.DISCLOSURE_AUDIT_FAILED
    # without the groupings White and BME read as categories beside their parts: the total
    # cannot hold, and the audit says so rather than guess
    flat = run(table)
    assert flat.exit_code == ExitCode.BAD_INPUT
    assert "the published figures cannot all hold" in flat.stderr


def test_blank_cells_are_not_published(tmp_path: Path) -> None:
    rows = [("a", "*"), ("b", ""), ("c", "40"), ("Total", "90")]
    result = run(write(tmp_path / "t.csv", rows), "--json")
    report = json.loads(result.stdout)
    assert report["not_published"] == 1
    (a,) = report["withheld_cells"]
    assert a["upper"] == 50
    assert a["lower"] == 1


def test_a_cell_that_is_neither_count_nor_marker(tmp_path: Path) -> None:
    rows = [("a", "about 5"), ("b", "40"), ("Total", "45")]
    result = run(write(tmp_path / "t.csv", rows))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "t.csv, row 2, column 'count': neither a whole number >= 0 nor a suppression marker" in (
        result.stderr
    )


def test_published_figures_that_cannot_all_hold(tmp_path: Path) -> None:
    rows = [("a", "30"), ("b", "40"), ("Total", "90")]
    result = run(write(tmp_path / "t.csv", rows))
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "t.csv, row 4, column 'count': the published figures cannot all hold" in result.stderr


@pytest.mark.parametrize("marker", ["*", "c", "x", "[c]", "..", "[x]", "<10", "<=9"])
def test_markers_are_read(tmp_path: Path, marker: str) -> None:
    rows = [("a", marker), ("b", marker), ("c", "400"), ("Total", "410")]
    result = run(write(tmp_path / "t.csv", rows), "--json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert report["withheld"] == 2
