"""Pre-aggregated counts files (SPEC section 4): read, rolled up, every problem named."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from wres.engine.counts_file import read_counts
from wres.engine.errors import BadInputError, Problem
from wres.engine.ethnicity import default_scheme
from wres.engine.standards import load_standard

HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"


def counts_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "counts.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def read(path: Path) -> tuple[pl.DataFrame, list[str]]:
    table, dims, report = read_counts(path, load_standard("wres"), default_scheme())
    assert report.balances
    return table, dims


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(BadInputError) as err:
        read_counts(path, load_standard("wres"), default_scheme())
    assert all(p.file == path for p in err.value.problems)
    return err.value.problems


def test_a_valid_file_becomes_a_count_table_with_its_cut_columns(tmp_path: Path) -> None:
    path = counts_csv(
        tmp_path,
        "2,RXX,2024,White,1148,15853",
        "2,RXX,2024,Black,188,15515",
        "2,RXX,2024,Z,3,40",
    )
    table, dims = read(path)
    assert dims == ["organisation"]
    assert table.height == 3
    black = table.filter(pl.col("ethnic_broad") == "Black").row(0, named=True)
    assert (black["numerator"], black["denominator"]) == (188, 15515)
    assert black["ethnic_wres"] == "BME"
    assert black["variant"] == "standard"
    assert table.filter(pl.col("ethnic_wres") == "Unknown")["numerator"].to_list() == [3]


def test_headcount_rows_state_the_row_total_and_the_rest_becomes_unknown(tmp_path: Path) -> None:
    # Band 5 has 50 staff; 30 White and 15 BME are listed, so 5 are of unknown ethnicity.
    path = counts_csv(
        tmp_path,
        "1,RXX,2024,White,30,50",
        "1,RXX,2024,BME,15,50",
        header="indicator,organisation,year,ethnicity,numerator,denominator",
    )
    table, _ = read(path)
    by_group = dict(zip(table["ethnic_wres"], table["numerator"], strict=True))
    assert by_group == {"White": 30, "BME": 15, "Unknown": 50 - 30 - 15}
    # each headcount row carries its own count: the row total is the sum over groups
    assert (table["numerator"] == table["denominator"]).all()


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        ("2,RXX,2024,Black,20,10", "numerator", "larger than the denominator"),
        ("2,RXX,2024,Black,-1,10", "numerator", "negative count"),
        ("2,RXX,2024,Black,1,-10", "denominator", "negative count"),
        ("12,RXX,2024,Black,1,10", "indicator", "not an indicator of WRES"),
        ("2,RXX,2024,Black,ten,10", "numerator", "not a whole number"),
        ("2,RXX,2024,Black,1.5,10", "numerator", "not a whole number"),
        ("2,RXX,2024,Black,1,", "denominator", "not a whole number"),
        ("2,RXX,24/25,Black,1,10", "year", "not a year"),
    ],
)
def test_a_bad_value_is_reported_with_its_row_and_column(
    tmp_path: Path, row: str, column: str, fragment: str
) -> None:
    path = counts_csv(tmp_path, "2,RXX,2024,White,5,10", row)
    problems = problems_of(path)
    assert {p.row for p in problems} == {3}
    named = [p for p in problems if p.column == column]
    assert named, problems
    assert fragment in named[0].message


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path) -> None:
    path = counts_csv(
        tmp_path, "2,RXX,2024,White,20,10", "2,RXX,2024,Black,x,10", "12,RXX,2024,Black,1,10"
    )
    where = {(p.row, p.column) for p in problems_of(path)}
    assert where == {(2, "numerator"), (3, "numerator"), (4, "indicator")}


def test_a_missing_required_column_is_named_with_the_columns_found(tmp_path: Path) -> None:
    path = counts_csv(
        tmp_path, "2,RXX,2024,White,5", header="indicator,organisation,year,ethnicity,numerator"
    )
    [problem] = problems_of(path)
    assert problem.column == "denominator"
    assert problem.row is None
    assert "missing required column" in problem.message
    assert "numerator" in problem.message  # the columns the file does have


def test_an_exact_duplicate_key_is_rejected(tmp_path: Path) -> None:
    path = counts_csv(tmp_path, "2,RXX,2024,White,5,10", "2,RXX,2024,White,5,10")
    problems = problems_of(path)
    assert {(p.row, p.column) for p in problems} == {(2, "ethnicity"), (3, "ethnicity")}
    assert all("duplicate" in p.message for p in problems)


def test_one_group_spelt_two_ways_is_a_duplicate_not_a_sum(tmp_path: Path) -> None:
    # "A" and "White - British" are the same category: summing them would count people twice.
    path = counts_csv(tmp_path, "2,RXX,2024,A,10,100", "2,RXX,2024,White - British,10,100")
    problems = problems_of(path)
    assert {(p.row, p.column) for p in problems} == {(2, "ethnicity"), (3, "ethnicity")}


def test_unknown_rows_of_different_reasons_are_summed(tmp_path: Path) -> None:
    path = counts_csv(
        tmp_path,
        "2,RXX,2024,White,10,100",
        "2,RXX,2024,Z,1,4",
        "2,RXX,2024,99,2,6",
        "2,RXX,2024,Martian,0,3",
    )
    table, _ = read(path)
    unknown = table.filter(pl.col("ethnic_wres") == "Unknown")
    assert (unknown["numerator"].sum(), unknown["denominator"].sum()) == (3, 13)


def test_a_group_beside_one_of_its_parts_is_rejected(tmp_path: Path) -> None:
    path = counts_csv(tmp_path, "2,RXX,2024,BME,10,100", "2,RXX,2024,Black,5,50")
    problems = problems_of(path)
    assert {p.column for p in problems} == {"ethnicity"}
    assert "count people twice" in problems[0].message


def test_same_group_in_different_organisations_is_not_a_duplicate(tmp_path: Path) -> None:
    table, _ = read(counts_csv(tmp_path, "2,RXX,2024,White,5,10", "2,RYY,2024,White,5,10"))
    assert table.height == 2


def test_a_latin1_counts_file_names_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    content = f"{HEADER}\n2,RXX,2024,White,1148,15853\n2,R\xe9X,2024,Black,188,15515\n"
    path.write_bytes(content.encode("latin-1"))
    [problem] = problems_of(path)
    assert (problem.row, problem.column) == (3, "organisation")
    assert "the file is not UTF-8 text: byte 0xE9" in problem.message


def test_a_semicolon_counts_file_reads_like_the_comma_file(tmp_path: Path) -> None:
    rows = ["2,RXX,2024,White,1148,15853", "2,RXX,2024,Black,188,15515"]
    comma, _ = read(counts_csv(tmp_path, *rows))
    semicolon = counts_csv(
        tmp_path, *(r.replace(",", ";") for r in rows), header=HEADER.replace(",", ";")
    )
    assert read(semicolon)[0].equals(comma)
