"""publish/wres.xlsx read back with openpyxl, as an analyst's spreadsheet program would."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from tests.engine.publication_fixtures import (
    FORMULA_SITE,
    HOSTILE_SITE,
    WITHHELD_COUNT,
    published_numbers,
    published_tables,
)
from wres.cli.publication import workbook, write_publication
from wres.cli.publication.context import context_from_manifest
from wres.cli.publication.status import natural_key
from wres.cli.publication.tables import published

NOT_CALCULABLE = "[x]"
DATA_SHEETS_EXCLUDED = {"Contents", "Notes"}


@pytest.fixture(scope="module")
def pack(shared_pack: Path) -> Path:
    return shared_pack


_LOADED: dict[Path, openpyxl.Workbook] = {}


def withheld_marker(pack: Path) -> str:
    """The policy's marker of a withheld cell, as the manifest records it."""
    return context_from_manifest(published_tables(pack)[2]).withheld_marker


def load(pack: Path) -> openpyxl.Workbook:
    """The pack's workbook, read once per test module (the tests only read it)."""
    path = pack / "publish" / "wres.xlsx"
    if path not in _LOADED:
        _LOADED[path] = openpyxl.load_workbook(path)
    return _LOADED[path]


def cells(book: openpyxl.Workbook) -> Iterator[tuple[Worksheet, Cell]]:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield sheet, cell


def header(sheet: Worksheet) -> list[Any]:
    return [c.value for c in sheet[4]]


def table(sheet: Worksheet) -> list[dict[str, Any]]:
    """A sheet's table (header on row 4) as dicts; each value with its cell."""
    names = header(sheet)
    return [
        {name: cell for name, cell in zip(names, row, strict=False) if name is not None}
        for row in sheet.iter_rows(min_row=5)
    ]


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- structure ----------------------------------------------------------------------------------


def test_every_sheet_is_there_and_the_contents_link_to_them(pack: Path) -> None:
    book = load(pack)
    indicators = [f"Indicator {i}" for i in range(1, 10)]
    expected = ["Contents", "Notes", *indicators, "All results", "Pooled over years"]
    assert book.sheetnames == expected
    links = [c.hyperlink.location for _, c in cells(book) if c.hyperlink is not None]
    assert links == [f"'{name}'!A1" for name in expected[1:]]


def test_table_sheets_have_frozen_headers_and_filters(pack: Path) -> None:
    book = load(pack)
    for sheet in book.worksheets[2:]:
        assert sheet.freeze_panes in ("A5", "D5"), sheet.title
        assert sheet.auto_filter.ref, sheet.title
        assert sheet.auto_filter.ref.startswith("A4:")


def test_indicator_1_is_laid_out_like_the_annual_return(pack: Path) -> None:
    rows = table(load(pack)["Indicator 1"])
    assert header(load(pack)["Indicator 1"])[:7] == [
        "Year", "Staff group", "Band or grade",
        "White: headcount", "BME: headcount", "Unknown: headcount", "Total headcount",
    ]  # fmt: skip
    latest = [r for r in rows if r["Year"].value == 2024]
    lines = [(r["Staff group"].value, r["Band or grade"].value) for r in latest]
    non_clinical = [band for group, band in lines if group == "Non-clinical"]
    assert non_clinical[-1] == "Total"
    bands = [b for b in non_clinical if b != "Total"]
    order = ["Under Band 1", *(f"Band {n}" for n in range(1, 8)), "Band 8a", "Band 8b",
             "Band 8c", "Band 8d", "Band 9", "VSM"]  # fmt: skip
    assert bands == [b for b in order if b in bands]
    assert [g for g, _ in lines].index("Medical") > [g for g, _ in lines].index("Clinical")
    assert lines[-1] == ("All staff", "Total")
    published = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    total = published.filter(
        (pl.col("indicator") == 1) & (pl.col("year") == 2024) & (pl.col("site") == "All")
        & (pl.col("band") == "All") & (pl.col("staff_group") == "All")
        & (pl.col("group") == "BME")
    ).row(0, named=True)  # fmt: skip
    if total["numerator"] is None:  # withheld by secondary suppression: the marker, no value
        assert latest[-1]["BME: headcount"].value == "[c]"
    else:
        assert latest[-1]["BME: headcount"].value == total["numerator"]
        assert latest[-1]["BME: % of row"].value == pytest.approx(total["rate"], rel=1e-12)
        assert latest[-1]["BME: % of row"].number_format == "0.0%"


def test_ratio_sheets_carry_counts_rates_ratio_interval_and_significance(pack: Path) -> None:
    sheet = load(pack)["Indicator 2"]
    names = header(sheet)
    wanted = ("Group: shortlisted", "Group: appointed", "White: rate", "Relative likelihood",
              "95% CI low", "95% CI high", "p-value", "Adjusted p-value",
              "Significant after adjustment", "Non-adverse range 0.80-1.25", "Status")  # fmt: skip
    for name in wanted:
        assert name in names
    row = next(r for r in table(sheet) if r["Group"].value == "BME" and r["Year"].value == 2024)
    assert row["Relative likelihood"].number_format == "0.00"
    assert row["p-value"].number_format == "[<0.001]0.00E+00;0.000"
    assert row["Significant after adjustment"].value in ("yes", "no", withheld_marker(pack))
    assert "likely to be appointed" in str(sheet["A2"].value)


# --- numbers as numbers, nothing withheld -------------------------------------------------------


def test_numeric_cells_are_numbers_and_strings_are_never_numbers(pack: Path) -> None:
    book = load(pack)
    withheld = withheld_marker(pack)
    numeric_columns = {"numerator", "denominator", "rate", "relative_likelihood", "ci_low",
                       "ci_high", "p_value", "p_adjusted", "year", "difference_pp"}  # fmt: skip
    for sheet in (book["All results"], book["Pooled over years"]):
        for row in table(sheet):
            for name, cell in row.items():
                if cell.value is None:
                    continue
                if name in numeric_columns:
                    markers = (withheld, NOT_CALCULABLE)
                    assert is_number(cell.value) or cell.value in markers, (sheet.title, name)
    for sheet, cell in cells(book):
        if isinstance(cell.value, str) and sheet.title not in DATA_SHEETS_EXCLUDED:
            with pytest.raises(ValueError, match="could not convert"):
                float(cell.value)


def _published_value(value: float, published: list[float]) -> bool:
    """``value`` is one of ``published`` (sorted), up to the 16 digits Excel stores."""
    i = bisect.bisect_left(published, value)
    near = published[max(i - 1, 0) : i + 1]
    return any(math.isclose(p, value, rel_tol=1e-13, abs_tol=0.0) for p in near)


@pytest.mark.parametrize("which", ["pack", "small_pack"])
def test_every_number_in_the_workbook_is_a_published_number(
    which: str, request: pytest.FixtureRequest
) -> None:
    folder: Path = request.getfixturevalue(which)
    published = published_numbers(folder)
    book = load(folder)
    checked = 0
    for sheet, cell in cells(book):
        if is_number(cell.value) and sheet.title not in DATA_SHEETS_EXCLUDED:
            assert _published_value(float(cell.value), published), (sheet.title, cell.coordinate)
            checked += 1
    assert checked > 50


def test_a_withheld_count_appears_nowhere_and_its_cells_carry_the_marker_and_rule(
    small_pack: Path,
) -> None:
    true_rate = WITHHELD_COUNT / 418
    true_ratio = (50 / 317) / true_rate
    book = load(small_pack)
    for sheet, cell in cells(book):
        if is_number(cell.value):
            value = float(cell.value)
            assert value != WITHHELD_COUNT, (sheet.title, cell.coordinate)
            assert not math.isclose(value, true_rate, rel_tol=1e-9), (sheet.title, cell.coordinate)
            assert not math.isclose(value, true_ratio, rel_tol=1e-9), (sheet.title, cell.coordinate)
    row = next(
        r for r in table(book["All results"])
        if r["site"].value == "North" and r["year"].value == 2024 and r["group"].value == "BME"
    )  # fmt: skip
    assert str(row["status"].value) == "suppressed: C"
    for name in ("numerator", "rate", "relative_likelihood", "ci_low", "ci_high", "p_value"):
        assert row[name].value == withheld_marker(small_pack), name
    assert is_number(row["denominator"].value)  # 418 is not small: published


def test_withheld_cells_of_the_indicator_sheets_explain_the_rule_in_a_comment(
    pack: Path,
) -> None:
    book = load(pack)
    withheld = withheld_marker(pack)
    commented = 0
    for sheet in book.worksheets[2:11]:
        for row in sheet.iter_rows(min_row=5):
            for cell in row:
                if cell.value == withheld:
                    assert cell.comment is not None, (sheet.title, cell.coordinate)
                    assert "Withheld by the wres-default disclosure policy" in cell.comment.text
                    assert "C:" in cell.comment.text or "D1" in cell.comment.text
                    commented += 1
    assert commented > 0


def test_data_strings_stay_text_never_formulas(small_pack: Path) -> None:
    book = load(small_pack)
    sites = {
        (cell.value, cell.data_type)
        for sheet, cell in cells(book)
        if sheet.title == "All results" and cell.value in (HOSTILE_SITE, FORMULA_SITE)
    }
    assert sites == {(HOSTILE_SITE, "s"), (FORMULA_SITE, "s")}


# --- notes --------------------------------------------------------------------------------------


def _notes(book: openpyxl.Workbook) -> dict[str, Any]:
    sheet = book["Notes"]
    return {str(r[0].value): r[1].value for r in sheet.iter_rows() if r[0].value is not None}


def test_notes_hold_policy_methods_and_what_the_manifest_says_about_the_audit(
    pack: Path, tmp_path: Path
) -> None:
    notes = _notes(load(pack))
    assert notes["Policy"] == "wres-default"
    assert notes["[primary] suppress_if_count_at_most"] == 7
    assert notes["Confidence level"] == "95%"
    assert notes["Interval for the ratio"].startswith("asymptotic score interval")
    assert notes["Multiplicity adjustment"].startswith("Benjamini-Hochberg")
    protection = {k: v for k, v in notes.items() if k.startswith("Secondary protection")}
    assert "passed" in protection.values()
    assert notes["C"].startswith("a count from 1 to 7")
    indicators, pooled, manifest = published_tables(pack)
    manifest["secondary_protection"] = {"applied": True, "cells hidden": 12}
    manifest["disclosure_audit"] = {"result": "passed", "narrowest interval": 9}
    manifest["policy"]["rules"]["secondary"]["marker"] = "[c]"
    write_publication(tmp_path, indicators, pooled, manifest)
    rewritten = openpyxl.load_workbook(tmp_path / "wres.xlsx")
    notes = _notes(rewritten)
    assert notes["Secondary protection: applied"] == "yes"
    assert notes["Secondary protection: cells hidden"] == 12
    assert notes["Disclosure audit: result"] == "passed"
    assert notes["[c]"].startswith("withheld by disclosure control")
    assert "[c]" in {c.value for _, c in cells(rewritten) if c.comment is not None}
    audit = contents_tables(rewritten)["Disclosure audit"]
    assert audit["Disclosure audit: result"] == "passed"
    assert audit["Secondary protection: cells hidden"] == 12


def contents_tables(book: openpyxl.Workbook) -> dict[str, dict[str, Any]]:
    """The tables of the Contents sheet by their first column's heading: label -> value."""
    rows = [(r[0], r[1]) for r in book["Contents"].iter_rows(min_row=3)]
    tables: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for first, second in rows:
        if first.value is None:
            assert second.value is None, f"a value without a label: {second.value!r}"
            current = None
        elif first.font.bold and first.fill.fgColor.rgb.endswith("005EB8"):  # a heading row
            current = tables.setdefault(str(first.value), {"": second.value})
        else:
            assert current is not None, f"a row under no heading: {first.value!r}"
            current[str(first.value)] = second.value
    return tables


def test_the_title_names_the_organisation_and_the_years(pack: Path) -> None:
    staff = pl.read_parquet(pack.parent / "data" / "staff.parquet")
    (code,) = staff["organisation"].unique().to_list()
    book = load(pack)
    title = f"{code}: Workforce Race Equality Standard (WRES), 2022-2024"
    assert book["Contents"]["A1"].value == title
    assert book.properties.title == f"{title}: indicators"


def test_the_contents_sheet_has_a_heading_over_each_column(pack: Path) -> None:
    tables = contents_tables(load(pack))
    assert list(tables) == ["Sheet", "Disclosure audit"]
    sheets, audit = tables["Sheet"], tables["Disclosure audit"]
    assert sheets.pop("") == "What it holds"
    assert list(sheets) == load(pack).sheetnames[1:]
    assert audit.pop("") == "Result"
    assert audit["Secondary protection: attacker audit"] == "passed"
    assert audit["Secondary protection: applied"] == "yes"
    # every count says what it counts
    assert all(isinstance(audit[k], int) for k in audit if k.endswith(("cells", "audited")))


# --- determinism --------------------------------------------------------------------------------


def test_the_same_tables_give_the_same_bytes(pack: Path, tmp_path: Path) -> None:
    tables = published_tables(pack)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        write_publication(tmp_path / name, *tables)
    for name in ("wres.xlsx", "report.html"):
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes(), name
        assert first == (pack / "publish" / name).read_bytes(), name


def test_a_very_large_run_keeps_the_coarsest_rows_in_the_workbook(
    pack: Path, tmp_path: Path
) -> None:
    indicators, pooled, manifest = published_tables(pack)
    coarse = indicators.filter((pl.col("site") == "All") & (pl.col("band") == "All"))
    data = published(indicators, pooled, manifest)
    workbook.write_workbook(tmp_path / "wres.xlsx", data, max_result_rows=coarse.height)
    book = openpyxl.load_workbook(tmp_path / "wres.xlsx", read_only=True)
    rows = list(book["All results"].iter_rows(min_row=5, values_only=True))
    names = [c.value for c in next(book["All results"].iter_rows(min_row=4, max_row=4))]
    site, band = names.index("site"), names.index("band")
    assert len(rows) < indicators.unique().height
    assert all(r[site] == "All" or r[band] == "All" for r in rows)  # the finer cuts left out
    assert "every row is in indicators.csv" in str(book["All results"]["A2"].value)


def test_labels_of_any_spelling_sort_together() -> None:
    # a counts file keeps its own band spellings ("1", "8A", "Band 8 - Range A"): numbers and
    # words at the same place once made the sort raise TypeError
    labels = ["Band 8 - Range A", "1", "All", "8A", "Band 5", "RBH10", "RBH2", "Clinical"]
    assert sorted(labels, key=natural_key) == [
        "Clinical", "Band 5", "1", "8A", "Band 8 - Range A", "RBH2", "RBH10", "All",
    ]  # fmt: skip
