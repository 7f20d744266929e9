"""`wres validate`: exit codes, messages naming file/row/column, the report and its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from tests.unreadable_files import UNREADABLE, unreadable_file
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

STAFF_HEADER = "year,ethnicity,band,staff_group,disciplinary,training,bank,staff_id,site"
STAFF_ROWS = [
    "2024,A White - British,Band 5,Clinical,no,yes,,1,Ward 1",
    "2024,LB Asian - Punjabi,8a,Non-clinical,no,no,,2,Ward 2",
    "2024,Z,VSM,Medical,yes,no,,3,Ward 1",
    "2024,,Band 3,Clinical,no,yes,,4,Ward 1",
    "2024,N,Band 2,Clinical,no,yes,yes,5,Ward 2",
]


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["validate", *map(str, args)])


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def staff(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "staff.csv", STAFF_HEADER, STAFF_ROWS)


def bad_staff(tmp_path: Path, *changes: tuple[int, str, str]) -> Path:
    """The staff file with row ``i`` (0-based record) having ``old`` replaced by ``new``."""
    rows = list(STAFF_ROWS)
    for i, old, new in changes:
        assert old in rows[i]
        rows[i] = rows[i].replace(old, new, 1)
    return write_csv(tmp_path / "bad.csv", STAFF_HEADER, rows)


def assert_bad_input(result: Result, *fragments: str) -> None:
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# --- valid input --------------------------------------------------------------------------------


def test_a_valid_file_exits_0_and_prints_the_equation(staff: Path) -> None:
    result = run("--staff", staff)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "rows read = rows used + rows excluded: 5 = 4 + 1" in out
    assert "bank staff" in out
    for label in ("White", "BME", "Unknown", "not stated", "not known", "blank", "unrecognised"):
        assert label in out
    assert result.stderr == ""


def test_the_report_never_prints_a_record(staff: Path) -> None:
    out = run("--staff", staff).stdout
    for value in ("Punjabi", "Ward 1", "Ward 2", "British"):
        assert value not in out


def test_json_output_parses_and_has_the_counts(staff: Path) -> None:
    result = run("--staff", staff, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["valid"] is True
    report = document["extracts"]["staff"]
    assert report["rows_read"] == 5
    assert report["rows_used"] == 4
    assert report["rows_excluded"] == {"bank staff": 1}
    assert report["balances"] is True
    assert report["ethnicity"] == {"White": 1, "BME": 1, "Unknown": 2}
    assert report["ethnicity_unknown"] == {
        "not stated": 1,
        "not known": 0,
        "blank": 1,
        "unrecognised": 0,
    }
    assert report["rows_by_year"] == {"2024": 4}
    assert report["files"] == [str(staff)]


def test_all_four_extracts_in_one_run(tmp_path: Path, staff: Path) -> None:
    applications = write_csv(
        tmp_path / "apps.csv", "year,ethnicity,shortlisted,appointed", ["2024,A,yes,no"]
    )
    survey = tmp_path / "survey.parquet"
    pl.DataFrame(
        {
            "year": [2024],
            "ethnicity": ["H"],
            "q5": [True],
            "q6": [None],
            "q7": [False],
            "q8": [True],
        },
        schema_overrides={"q6": pl.Boolean},
    ).write_parquet(survey)
    board = tmp_path / "board.xlsx"
    pl.DataFrame(
        {
            "year": [2024, 2024],
            "ethnicity": ["A", "M"],
            "voting": ["yes", "yes"],
            "executive": ["no", "yes"],
        }
    ).write_excel(board)
    result = run(
        "--staff",
        staff,
        "--applications",
        applications,
        "--survey",
        survey,
        "--board",
        board,
        "--json",
    )
    assert result.exit_code == 0, result.output
    extracts = json.loads(result.stdout)["extracts"]
    assert {name: r["rows_read"] for name, r in extracts.items()} == {
        "staff": 5,
        "applications": 1,
        "survey": 1,
        "board": 2,
    }
    assert extracts["survey"]["unknown_values"]["q6"] == 1


def test_map_reads_a_trusts_own_column_names(tmp_path: Path) -> None:
    header = STAFF_HEADER.replace("year", "Reporting Year").replace("ethnicity", "Ethnic Origin")
    path = write_csv(tmp_path / "own.csv", header, STAFF_ROWS)
    result = run(
        "--staff", path, "--map", "year=Reporting Year", "--map", "ethnicity=Ethnic Origin"
    )
    assert result.exit_code == 0, result.output
    assert "5 = 4 + 1" in result.stdout


def test_a_custom_ethnicity_config_changes_the_counts(tmp_path: Path, staff: Path) -> None:
    shipped = Path(__file__).parents[2] / "engine" / "data" / "ethnicity.toml"
    config = tmp_path / "eth.toml"
    # Count "Z" as an ordinary category code of the Other group: no longer Unknown.
    text = shipped.read_text(encoding="utf-8").replace('Z = "not stated"\n', "")
    text = text.replace("[categories]\n", '[categories]\nZ = { label = "Zed", broad = "Other" }\n')
    config.write_text(text, encoding="utf-8")
    report = json.loads(run("--staff", staff, "--ethnicity-config", config, "--json").stdout)
    assert report["extracts"]["staff"]["ethnicity"] == {"White": 1, "BME": 2, "Unknown": 1}


# --- usage and configuration errors: exit 2 -----------------------------------------------------


def test_no_extract_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert "--staff" in result.stderr


@pytest.mark.parametrize(
    ("option", "fragment"),
    [("year", "KEY=SOURCE"), ("=Year", "KEY=SOURCE"), ("yaer=Year", "'yaer'")],
)
def test_bad_map_options_are_usage_errors(staff: Path, option: str, fragment: str) -> None:
    result = run("--staff", staff, "--map", option)
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert fragment in result.stderr


def test_an_invalid_ethnicity_config_is_a_config_error(tmp_path: Path, staff: Path) -> None:
    config = write_csv(tmp_path / "eth.toml", "[broad]", ['Mixed = "Brown"'])
    result = run("--staff", staff, "--ethnicity-config", config)
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert str(config) in result.stderr
    missing = run("--staff", staff, "--ethnicity-config", tmp_path / "none.toml")
    assert missing.exit_code == ExitCode.USAGE_OR_CONFIG


# --- bad input: exit 3, every problem named by file, row and column -----------------------------


def test_a_bad_boolean_names_file_row_and_column_but_not_its_neighbours(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (1, ",no,no,", ",maybe,no,"))
    result = run("--staff", path)
    assert_bad_input(result, f"{path}, row 3, column 'disciplinary': cannot read 'maybe'")
    assert "Punjabi" not in result.output
    assert "Ward 2" not in result.output


def test_two_bad_cells_in_different_rows_are_both_reported(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (0, ",no,yes,", ",no,sometimes,"), (3, ",no,yes,", ",?,yes,"))
    result = run("--staff", path)
    assert_bad_input(
        result,
        f"{path}, row 2, column 'training': cannot read 'sometimes'",
        f"{path}, row 5, column 'disciplinary': cannot read '?'",
    )


def test_a_blank_required_boolean(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (2, ",yes,no,", ",,no,"))
    assert_bad_input(run("--staff", path), f"{path}, row 4, column 'disciplinary': blank")


@pytest.mark.parametrize("year", ["24", "2024.5", "twenty", "3024"])
def test_a_year_that_cannot_be_read(tmp_path: Path, year: str) -> None:
    path = bad_staff(tmp_path, (4, "2024,", f"{year},"))
    assert_bad_input(run("--staff", path), f"{path}, row 6, column 'year': cannot read {year!r}")


def test_duplicate_staff_rows(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (3, ",4,", ",2,"))
    result = run("--staff", path)
    assert_bad_input(result, f"{path}, row 3, column 'staff_id'", "row(s) 5")


def test_appointed_without_being_shortlisted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "apps.csv",
        "year,ethnicity,shortlisted,appointed",
        ["2024,A,yes,yes", "2024,H,no,no", "2024,H,no,yes"],
    )
    assert_bad_input(run("--applications", path), f"{path}, row 4, column 'appointed'")


def test_a_missing_required_column(tmp_path: Path) -> None:
    header = STAFF_HEADER.replace("ethnicity", "Ethnic Origin")
    path = write_csv(tmp_path / "s.csv", header, STAFF_ROWS)
    result = run("--staff", path)
    assert_bad_input(result, f"{path}, column 'ethnicity'", "'Ethnic Origin'", "--map")


def test_a_mapping_to_a_column_not_in_the_file(staff: Path) -> None:
    result = run("--staff", staff, "--map", "ethnicity=Ethnic Origin")
    assert_bad_input(result, f"{staff}, column 'Ethnic Origin'", "not in the file")


@pytest.mark.parametrize(("name", "content", "fragment"), UNREADABLE)
def test_files_that_cannot_be_read(
    tmp_path: Path, name: str, content: str | None, fragment: str
) -> None:
    path = unreadable_file(tmp_path, name, content)
    assert_bad_input(run("--staff", path), f"{path}: ", fragment)


def test_every_file_is_checked_and_valid_ones_still_reported(tmp_path: Path, staff: Path) -> None:
    board = write_csv(tmp_path / "board.csv", "year,ethnicity,voting,executive", ["2024,A,y,q"])
    survey = tmp_path / "nowhere.parquet"
    result = run("--staff", staff, "--board", board, "--survey", survey)
    assert_bad_input(result, f"{board}, row 2, column 'executive'", f"{survey}: file not found")
    assert "5 = 4 + 1" in result.stdout


def test_many_problems_are_all_listed_per_column(tmp_path: Path) -> None:
    rows = [f"2024,A,5,Clinical,x{i},y{i},,{i},W" for i in range(30)]
    path = write_csv(tmp_path / "many.csv", STAFF_HEADER, rows)
    result = run("--staff", path)
    # Five rows per column, then a count: the second column is not hidden behind the first.
    assert_bad_input(
        result,
        "row 6, column 'disciplinary'",
        "and 25 more rows that cannot be read as yes/no",
        "row 6, column 'training'",
    )
    assert "row 7," not in result.stderr


def test_bad_input_with_json_puts_the_problems_on_stdout(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (1, ",no,no,", ",maybe,no,"))
    result = run("--staff", path, "--json")
    assert result.exit_code == ExitCode.BAD_INPUT
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert document["problems"] == [
        {
            "file": str(path),
            "row": 3,
            "column": "disciplinary",
            "message": "cannot read 'maybe' as yes/no (accepted: yes/no, y/n, true/false, 1/0)",
        }
    ]


def test_notes_for_an_unused_map_and_a_staff_extract_without_bank(tmp_path: Path) -> None:
    header = "year,ethnicity,band,staff_group,disciplinary,training"
    rows = [
        "2024,A,5,Clinical,no,no",
        "2024,,5,Clinical,no,no",
        "2024,H,6,Medical,no,yes",
        "2023,Z,7,Clinical,yes,no",
    ]
    path = write_csv(tmp_path / "nobank.csv", header, rows)
    result = run("--staff", path, "--map", "q5=Question 5")
    assert result.exit_code == 0, result.output
    assert "--map q5='Question 5' is not used" in result.stderr
    assert "no bank column" in result.stdout
    assert "4 = 4 + 0" in result.stdout


def test_quiet_prints_no_report_and_no_notes(tmp_path: Path, staff: Path) -> None:
    result = run("--staff", staff, "--map", "q5=Question 5", "-q")
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("", "")


def test_quiet_still_lists_every_problem_and_exits_3(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (1, "no,no", "maybe,no"))
    result = run("--staff", path, "--quiet")
    assert_bad_input(result, f"{path}, row 3, column 'disciplinary'")
    assert result.stdout == ""


# --- CSV files in another delimiter or encoding, and files that are not CSV ---------------------


def test_a_semicolon_file_is_read_like_the_comma_file(tmp_path: Path, staff: Path) -> None:
    rows = [row.replace(",", ";") for row in STAFF_ROWS]
    semicolon = write_csv(tmp_path / "semicolon.csv", STAFF_HEADER.replace(",", ";"), rows)
    comma = json.loads(run("--staff", staff, "--json").stdout)["extracts"]["staff"]
    result = run("--staff", semicolon, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["extracts"]["staff"]
    assert report.pop("files") == [str(semicolon)]
    comma.pop("files")
    assert report == comma


def test_a_latin1_file_names_the_row_column_and_byte(tmp_path: Path) -> None:
    path = bad_staff(tmp_path, (1, "Ward 2", "Ward 2"))
    content = path.read_bytes().replace(b"Ward 2", "Caf\xe9".encode("latin-1"))
    path.write_bytes(content)
    offset = content.index(b"\xe9")
    assert_bad_input(
        run("--staff", path),
        f"{path}, row 3, column 'site': the file is not UTF-8 text: byte 0xE9 at offset "
        f"{offset} (line 3) is not UTF-8; it looks like Windows-1252",
        "save it again as 'CSV UTF-8 (comma delimited)'",
    )


def test_a_png_renamed_csv_is_not_a_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    result = run("--staff", path, "--json")
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["file"] == str(path)
    assert problem["message"].startswith("not a CSV file: it starts like a PNG image")
    assert "required column" not in result.stdout
