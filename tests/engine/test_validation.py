"""Validation: every problem of a file is reported with file, row and column; reports add up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.unreadable_files import UNREADABLE, unreadable_file
from wres.engine.errors import BadInputError, InternalError, Problem
from wres.engine.ethnicity import default_scheme
from wres.engine.problem_log import ProblemLog
from wres.engine.readers import read_extract
from wres.engine.reconciliation import Reconciliation
from wres.engine.schema import EXTRACTS
from wres.engine.validation import find_duplicate_staff, validate_chunk

HEADER = "year,ethnicity,band,staff_group,disciplinary,training,bank,staff_id,site"


def staff_csv(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "staff.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path, extract: str = "staff", **kwargs: object) -> list[Problem]:
    with pytest.raises(BadInputError) as err:
        read_extract(path, extract, **kwargs)  # type: ignore[arg-type]
    problems = err.value.problems
    assert all(p.file == path for p in problems)
    return problems


GOOD = "2024,A,Band 5,Clinical,no,yes,,1,Ward 1"


def test_two_bad_cells_in_different_rows_and_columns_are_all_reported(tmp_path: Path) -> None:
    path = staff_csv(
        tmp_path,
        GOOD,
        "2024,LB Asian - Punjabi,Band 5,Clinical,maybe,yes,,2,Ward 1",
        GOOD.replace(",1,", ",3,"),
        "2024,A,Band 5,Clinical,no,perhaps,,4,Ward 1",
    )
    problems = problems_of(path)
    where = [(p.row, p.column) for p in problems]
    assert where == [(3, "disciplinary"), (5, "training")]
    assert "'maybe'" in problems[0].message
    assert "Punjabi" not in str(problems[0])  # the neighbouring ethnicity is never shown
    assert str(problems[0]).startswith(f"{path}, row 3, column 'disciplinary': cannot read")


def test_blank_required_boolean_is_an_error_but_blank_bank_is_not(tmp_path: Path) -> None:
    path = staff_csv(tmp_path, GOOD, "2024,A,Band 5,Clinical,,yes,,2,Ward 1")
    [problem] = problems_of(path)
    assert (problem.row, problem.column) == (3, "disciplinary")
    assert "blank" in problem.message


@pytest.mark.parametrize(
    ("year", "fragment"),
    [
        ("20x4", "'20x4'"),
        ("2024.5", "'2024.5'"),
        ("1899", "'1899'"),
        ("2101", "'2101'"),
        ("2023/24", "'2023/24'"),
        ("", "blank"),
    ],
)
def test_years_that_cannot_be_read(tmp_path: Path, year: str, fragment: str) -> None:
    path = staff_csv(tmp_path, GOOD, f"{year},A,Band 5,Clinical,no,yes,,2,Ward 1")
    [problem] = problems_of(path)
    assert (problem.row, problem.column) == (3, "year")
    assert fragment in problem.message


def test_spreadsheet_style_whole_years_are_accepted(tmp_path: Path) -> None:
    path = staff_csv(tmp_path, GOOD, "2024.0,A,Band 5,Clinical,no,yes,,2,Ward 1")
    assert read_extract(path, "staff").data["year"].to_list() == [2024, 2024]


def test_parquet_native_types_are_checked_with_spreadsheet_rows(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "year": [2024, 3024, 2024, 2024],
            "ethnicity": ["A", "B", "C", "D"],
            "band": ["5"] * 4,
            "staff_group": ["Clinical"] * 4,
            "disciplinary": [True, False, None, False],
            "training": [1, 0, 1, 2],
        }
    )
    path = tmp_path / "native.parquet"
    frame.write_parquet(path)
    where = [(p.row, p.column) for p in problems_of(path)]
    assert where == [(3, "year"), (4, "disciplinary"), (5, "training")]


def test_duplicate_staff_ids_name_every_row_but_not_the_id(tmp_path: Path) -> None:
    path = staff_csv(
        tmp_path,
        "2024,A,5,Clinical,no,no,,ID-98765,Ward 1",
        "2024,A,5,Clinical,no,no,,ID-11111,Ward 1",
        "2024,A,5,Clinical,no,no,,ID-98765,Ward 2",
        "2023,A,5,Clinical,no,no,,ID-98765,Ward 1",  # another year: not a duplicate
        "2024,A,5,Clinical,no,no,,ID-98765,Ward 3",
        "2024,A,5,Clinical,no,no,yes,ID-11111,Ward 1",  # bank row: excluded, not counted twice
    )
    [problem] = problems_of(path)
    assert (problem.row, problem.column) == (2, "staff_id")
    assert "row(s) 4, 6" in problem.message
    assert "98765" not in str(problem)


def test_duplicates_are_per_organisation_when_there_is_one(tmp_path: Path) -> None:
    header = HEADER + ",organisation"
    rows = ["2024,A,5,Clinical,no,no,,7,W,RAA", "2024,A,5,Clinical,no,no,,7,W,RBB"]
    assert read_extract(staff_csv(tmp_path, *rows, header=header), "staff").report.rows_used == 2
    rows.append("2024,A,5,Clinical,no,no,,7,W,RBB")
    [problem] = problems_of(staff_csv(tmp_path, *rows, header=header, name="dup.csv"))
    assert problem.row == 3
    assert "organisation" in problem.message


def test_appointed_without_being_shortlisted(tmp_path: Path) -> None:
    path = tmp_path / "apps.csv"
    path.write_text(
        "year,ethnicity,shortlisted,appointed\n2024,A,yes,yes\n2024,A,no,yes\n2024,A,no,no\n"
    )
    [problem] = problems_of(path, "applications")
    assert (problem.row, problem.column) == (3, "appointed")


def test_missing_required_columns_are_named_with_the_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Year,Ethnic Origin,band,staff_group,disciplinary\n2024,A,5,Clinical,no\n")
    problems = problems_of(path)
    assert [(p.row, p.column) for p in problems] == [(None, "ethnicity"), (None, "training")]
    assert "'Ethnic Origin'" in problems[0].message
    assert "--map ethnicity=" in problems[0].message


def test_missing_columns_and_bad_cells_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("year,band,staff_group,disciplinary,training\n2024,5,Clinical,maybe,yes\n")
    where = [(p.row, p.column) for p in problems_of(path)]
    assert where == [(None, "ethnicity"), (2, "disciplinary")]


def test_a_mapping_to_a_column_not_in_the_file(tmp_path: Path) -> None:
    path = staff_csv(tmp_path, GOOD)
    [problem] = problems_of(path, mapping={"ethnicity": "Ethnic Origin"})
    assert problem.column == "Ethnic Origin"
    assert "not in the file" in problem.message


def test_messages_use_the_files_own_column_names(tmp_path: Path) -> None:
    path = staff_csv(
        tmp_path,
        "2024,A,5,Clinical,maybe,no,,1,W",
        header=HEADER.replace("disciplinary", "Disciplinary Case"),
    )
    [problem] = problems_of(path, mapping={"disciplinary": "Disciplinary Case"})
    assert problem.column == "Disciplinary Case"


@pytest.mark.parametrize(("name", "content", "fragment"), UNREADABLE)
def test_files_that_cannot_be_read(
    tmp_path: Path, name: str, content: str | None, fragment: str
) -> None:
    [problem] = problems_of(unreadable_file(tmp_path, name, content))
    assert fragment in problem.message


def test_a_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n" + GOOD.replace("Ward 1", "Caf\xe9") + "\n").encode("latin-1"))
    [problem] = problems_of(path)
    assert "UTF-8" in problem.message


def test_a_damaged_csv_does_not_leak_its_content(tmp_path: Path) -> None:
    path = staff_csv(tmp_path, GOOD, '2024,"SecretWard\n')
    [problem] = problems_of(path)
    assert "SecretWard" not in str(problem)


def test_many_bad_rows_list_the_first_five_then_a_count(tmp_path: Path) -> None:
    rows = [GOOD.replace(",no,", ",maybe,").replace(",1,", f",{i},") for i in range(12)]
    problems = problems_of(staff_csv(tmp_path, *rows))
    assert [p.row for p in problems] == [2, 3, 4, 5, 6, None]
    assert problems[-1].column == "disciplinary"
    assert problems[-1].message == "and 7 more rows that cannot be read as yes/no"


# --- chunks and reports -------------------------------------------------------------------------


def _chunked(frame: pl.DataFrame, sizes: list[int], log: ProblemLog) -> Reconciliation:
    spec, scheme = EXTRACTS["staff"], default_scheme()
    total: Reconciliation | None = None
    offset = 0
    for size in sizes:
        chunk = frame.slice(offset, size)
        result = validate_chunk(
            chunk, spec, file=log.file, row_offset=offset, scheme=scheme, log=log
        )
        total = result.report if total is None else total + result.report
        offset += size
    assert total is not None
    return total


def _frame(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "year": rng.choice(["2023", "2024", " 2024 "], n),
            "ethnicity": rng.choice(["A", "CP", "H", "Z", "99", "", "Martian", "Asian"], n),
            "band": rng.choice(["5", "Band 8 - Range A", "VSM", "??"], n),
            "staff_group": rng.choice(["Clinical", "Non-clinical", "Medical", "x"], n),
            "disciplinary": rng.choice(["yes", "no", "N"], n),
            "training": rng.choice(["1", "0"], n),
            "bank": rng.choice(["", "yes", "no"], n),
            "site": rng.choice(["A", "B "], n),
        }
    )


def test_chunked_reports_add_up_to_the_whole(tmp_path: Path) -> None:
    frame = _frame(1000)
    whole = _chunked(frame, [1000], ProblemLog(tmp_path / "f.csv"))
    parts = _chunked(frame, [1, 300, 299, 400], ProblemLog(tmp_path / "f.csv"))
    assert parts == whole
    whole.check()
    assert whole.rows_read == 1000
    assert whole.rows_used + whole.rows_excluded["bank staff"] == 1000


def test_a_later_chunk_names_the_rows_of_the_file(tmp_path: Path) -> None:
    frame = _frame(100).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([10, 75]))
        .then(pl.lit("maybe"))
        .otherwise(pl.col("training"))
        .alias("training")
    )
    log = ProblemLog(tmp_path / "f.csv")
    _chunked(frame, [50, 50], log)
    assert [(p.row, p.column) for p in log.problems()] == [(12, "training"), (77, "training")]


def test_duplicates_across_chunks_are_found_over_the_whole_file(tmp_path: Path) -> None:
    spec, scheme = EXTRACTS["staff"], default_scheme()
    frame = _frame(10).with_columns(
        staff_id=pl.Series(["a", "b", "c", "d", "e"] * 2), year=pl.lit("2024"), bank=pl.lit("no")
    )
    log = ProblemLog(tmp_path / "f.csv")
    parts = [
        validate_chunk(frame.slice(o, 5), spec, file=log.file, row_offset=o, scheme=scheme, log=log)
        for o in (0, 5)
    ]
    find_duplicate_staff(
        pl.concat([p.data for p in parts]), pl.concat([p.rows for p in parts]), log=log
    )
    assert [p.row for p in log.problems()] == [2, 3, 4, 5, 6]
    assert "row(s) 7" in log.problems()[0].message


def test_reconciliations_of_different_extracts_do_not_add(tmp_path: Path) -> None:
    a = Reconciliation("staff", (tmp_path,), 0, 0)
    b = Reconciliation("survey", (tmp_path,), 0, 0)
    with pytest.raises(InternalError, match="bug"):
        _ = a + b


def test_a_report_that_does_not_balance_is_an_internal_error(tmp_path: Path) -> None:
    bad = Reconciliation(
        "staff",
        (tmp_path / "f.csv",),
        rows_read=10,
        rows_used=8,
        rows_excluded={"bank staff": 1},
        ethnicity={"White": 8, "BME": 0, "Unknown": 0},
    )
    with pytest.raises(InternalError, match=r"rows read 10 != rows used 8 \+ rows excluded 1"):
        bad.check()
    assert not bad.balances


def test_problem_log_caps_each_issue_across_chunks(tmp_path: Path) -> None:
    log = ProblemLog(tmp_path / "f.csv", rows_listed=2)
    log.add_rows("q5", "rows that cannot be read as yes/no", [(2, "a"), (3, "b")], 4)
    log.add_rows("q5", "rows that cannot be read as yes/no", [(9, "c")], 3)
    log.add(None, "whole file")
    rows = [(p.row, p.message) for p in log.problems()]
    assert rows == [
        (None, "whole file"),
        (2, "a"),
        (3, "b"),
        (None, "and 5 more rows that cannot be read as yes/no"),
    ]


def test_a_million_rows_are_all_accounted_for(tmp_path: Path) -> None:
    # Speed is measured in benchmarks/, not asserted here; this checks the large-input path.
    n = 1_000_000
    rng = np.random.default_rng(7)
    frame = pl.DataFrame(
        {
            "year": rng.integers(2015, 2025, n).astype(np.int32),
            "ethnicity": rng.choice(["A", "CP White - Polish", "H", "Z", "99", "N"], n),
            "band": rng.choice(["Band 5", "Band 8a", "Consultant", "VSM"], n),
            "staff_group": rng.choice(["Clinical", "Non-clinical", "Medical"], n),
            "disciplinary": rng.random(n) < 0.01,
            "training": rng.random(n) < 0.5,
            "bank": rng.random(n) < 0.05,
            "organisation": rng.choice(["RAA", "RBB"], n),
            "staff_id": np.arange(n),
        }
    )
    path = tmp_path / "big.parquet"
    frame.write_parquet(path)
    loaded = read_extract(path, "staff")
    assert loaded.report.rows_read == n
    assert loaded.report.rows_excluded["bank staff"] == int(frame["bank"].sum())


def test_parquet_columns_of_nested_types_are_reported_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "nested.parquet"
    pl.DataFrame(
        {
            "year": [2024],
            "ethnicity": [["A"]],
            "band": [b"5"],
            "staff_group": ["Clinical"],
            "disciplinary": [False],
            "training": [{"a": True}],
        }
    ).write_parquet(path)
    problems = problems_of(path)
    assert [p.column for p in problems] == ["ethnicity", "band", "training"]
    assert all(p.row is None and "write it as text" in p.message for p in problems)
