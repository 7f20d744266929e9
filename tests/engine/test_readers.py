"""Reading extracts: every format gives the same normalised rows and the same reconciliation."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from wres.engine.errors import BadInputError, ConfigError
from wres.engine.ethnicity import scheme_from_toml
from wres.engine.readers import FORMATS, LoadedExtract, read_extract
from wres.engine.reconciliation import Reconciliation

# year, ethnicity, band, staff_group, disciplinary, training, bank, disability, site
STAFF_COLUMNS = [
    "year",
    "ethnicity",
    "band",
    "staff_group",
    "disciplinary",
    "training",
    "bank",
    "disability",
    "site",
]
STAFF_ROWS = [
    ("2024", "A", "Band 5", "Clinical", "no", "yes", "", "Yes", "Site A"),
    ("2024", "CP White - Polish", "AfC Band 8A", "Non-clinical", "N", "Y", "no", "No", "Site B"),
    ("2024", "H", "VSM", "Medical", "0", "1", "", "", " Site A "),
    ("2024", "Z", "Consultant", "medical", "false", "true", "", "Not declared", "Site B"),
    ("2023", "99", "Band 9", "Clinical", "F", "T", "", "Yes", "Site A"),
    ("2023", "", "Band 3", "Clinical", "no", "no", "", "No", "Site A"),
    ("2023", "Martian", "Band 42", "Astronaut", "no", "no", "", "No", "Site A"),
    ("2024", "N", "Band 2", "Clinical", "yes", "yes", "yes", "No", "Site B"),  # bank: excluded
]


def staff_table(rows: list[tuple[str, ...]] = STAFF_ROWS) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=STAFF_COLUMNS, orient="row")


def write(frame: pl.DataFrame, path: Path) -> Path:
    """Write ``frame`` in the format of ``path``'s suffix."""
    if path.suffix == ".csv":
        frame.write_csv(path)
    elif path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_excel(path, autofit=False)
    return path


def read(path: Path, extract: str = "staff", **kwargs: object) -> LoadedExtract:
    return read_extract(path, extract, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def csv_staff(tmp_path_factory: pytest.TempPathFactory) -> LoadedExtract:
    return read(write(staff_table(), tmp_path_factory.mktemp("csv") / "staff.csv"))


def test_the_normalised_schema(csv_staff: LoadedExtract) -> None:
    assert csv_staff.data.schema == pl.Schema(
        {
            "year": pl.Int16,
            "ethnic_category": pl.String,
            "ethnic_broad": pl.String,
            "ethnic_wres": pl.String,
            "ethnic_unknown_reason": pl.String,
            "band": pl.String,
            "staff_group": pl.String,
            "disciplinary": pl.Boolean,
            "training": pl.Boolean,
            "site": pl.String,
            "disability": pl.String,
            "bank": pl.Boolean,
        }
    )


def test_the_normalised_values(csv_staff: LoadedExtract) -> None:
    data = csv_staff.data
    assert data["year"].to_list() == [2024, 2024, 2024, 2024, 2023, 2023, 2023]
    assert data["ethnic_category"].to_list() == ["A", "C", "H", None, None, None, None]
    assert data["ethnic_wres"].to_list() == ["White", "White", "BME"] + ["Unknown"] * 4
    assert data["ethnic_unknown_reason"].to_list() == [
        None,
        None,
        None,
        "not stated",
        "not known",
        "blank",
        "unrecognised",
    ]
    assert data["band"].to_list() == [
        "Band 5",
        "Band 8a",
        "VSM",
        "Consultant",
        "Band 9",
        "Band 3",
        "Unknown",
    ]
    assert data["staff_group"].to_list()[2:4] == ["Medical", "Medical"]
    assert data["staff_group"][6] == "Unknown"
    assert data["disciplinary"].to_list() == [False] * 7
    assert data["training"].to_list() == [True, True, True, True, True, False, False]
    assert data["bank"].to_list() == [None, False, None, None, None, None, None]
    assert data["disability"].to_list() == [
        "Disabled",
        "Not disabled",
        "Unknown",
        "Unknown",
        "Disabled",
        "Not disabled",
        "Not disabled",
    ]
    assert data["site"].to_list()[:3] == ["Site A", "Site B", "Site A"]  # spaces stripped


def test_the_reconciliation(csv_staff: LoadedExtract) -> None:
    report = csv_staff.report
    assert report.rows_read == 8
    assert report.rows_used == 7
    assert dict(report.rows_excluded) == {"bank staff": 1}
    assert report.rows_read == report.rows_used + report.rows_excluded_total
    assert dict(report.ethnicity) == {"White": 2, "BME": 1, "Unknown": 4}
    assert dict(report.ethnicity_unknown) == {
        "not stated": 1,
        "not known": 1,
        "blank": 1,
        "unrecognised": 1,
    }
    assert dict(report.unknown_values) == {
        "band": 1,
        "staff_group": 1,
        "disability": 2,
        "bank": 6,
    }
    assert dict(report.rows_by_year) == {2023: 3, 2024: 4}
    report.check()


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_every_format_gives_the_same_frame_and_report(
    tmp_path: Path, csv_staff: LoadedExtract, suffix: str
) -> None:
    loaded = read(write(staff_table(), tmp_path / f"staff{suffix}"))
    assert_frame_equal(loaded.data, csv_staff.data)
    assert _unfiled(loaded.report) == _unfiled(csv_staff.report)


def _unfiled(report: Reconciliation) -> dict[str, object]:
    """A report without the paths of its files (the same rows in another file)."""
    document = report.to_dict() | {"files": []}
    document["unrecognised_ethnicity"] = [
        s | {"file": None} for s in document["unrecognised_ethnicity"]
    ]
    return document


def _native(frame: pl.DataFrame) -> pl.DataFrame:
    """The staff table with the types Parquet and Excel keep natively: integers and booleans."""
    flag = {"yes": True, "y": True, "1": True, "true": True, "t": True}
    return frame.with_columns(
        pl.col("year").cast(pl.Int32),
        *(
            pl.col(c)
            .str.to_lowercase()
            .replace_strict(flag, default=False, return_dtype=pl.Boolean)
            for c in ("disciplinary", "training")
        ),
        pl.when(pl.col("bank") == "").then(None).otherwise(pl.col("bank") == "yes").alias("bank"),
    )


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_native_years_and_booleans_read_the_same(
    tmp_path: Path, csv_staff: LoadedExtract, suffix: str
) -> None:
    loaded = read(write(_native(staff_table()), tmp_path / f"native{suffix}"))
    assert_frame_equal(loaded.data, csv_staff.data)


def test_parquet_integer_flags_and_float_years(tmp_path: Path) -> None:
    frame = _native(staff_table()).with_columns(
        pl.col("year").cast(pl.Float64), pl.col("disciplinary").cast(pl.Int8)
    )
    loaded = read(write(frame, tmp_path / "ints.parquet"))
    assert loaded.data["year"].dtype == pl.Int16
    assert loaded.data["disciplinary"].to_list() == [False] * 7


def test_a_mapping_reads_a_trusts_own_column_names(
    tmp_path: Path, csv_staff: LoadedExtract
) -> None:
    renamed = staff_table().rename({"year": "Reporting Year", "ethnicity": "Ethnic Origin"})
    path = write(renamed, tmp_path / "own.csv")
    mapping = {"year": "Reporting Year", "ethnicity": "Ethnic Origin", "q5": "ignored here"}
    loaded = read(path, mapping=mapping)
    assert_frame_equal(loaded.data, csv_staff.data)


def test_a_mapping_wins_over_a_column_with_the_canonical_name(tmp_path: Path) -> None:
    frame = staff_table().with_columns(grade=pl.lit("Band 6"), band=pl.lit("nonsense"))
    loaded = read(write(frame, tmp_path / "grade.csv"), mapping={"band": "grade"})
    assert set(loaded.data["band"]) == {"Band 6"}
    assert "grade" not in loaded.data.columns


def test_headers_match_regardless_of_case_and_spacing(
    tmp_path: Path, csv_staff: LoadedExtract
) -> None:
    renamed = staff_table().rename({"year": "Year", "staff_group": "Staff Group", "band": " BAND"})
    loaded = read(write(renamed, tmp_path / "case.csv"))
    assert_frame_equal(loaded.data, csv_staff.data)


def test_optional_columns_appear_only_when_present(tmp_path: Path) -> None:
    frame = staff_table().drop("bank", "disability", "site")
    loaded = read(write(frame, tmp_path / "lean.csv"))
    assert loaded.data.columns == [
        "year",
        "ethnic_category",
        "ethnic_broad",
        "ethnic_wres",
        "ethnic_unknown_reason",
        "band",
        "staff_group",
        "disciplinary",
        "training",
    ]
    # Without a bank column nothing is excluded, and the report still lists the reason.
    assert loaded.report.rows_used == 8
    assert dict(loaded.report.rows_excluded) == {"bank staff": 0}
    assert "bank" not in loaded.report.unknown_values


def test_columns_not_in_the_extract_are_not_read(tmp_path: Path) -> None:
    frame = staff_table().with_columns(nhs_number=pl.lit("not needed"))
    loaded = read(write(frame, tmp_path / "extra.parquet"))
    assert "nhs_number" not in loaded.data.columns


def test_empty_lines_are_counted_as_excluded_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    write(staff_table(), path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], "", *lines[3:], ",,,,,,,,", ""]) + "\n")
    loaded = read(path)
    assert loaded.report.rows_read == 11
    assert dict(loaded.report.rows_excluded) == {"bank staff": 1, "empty row": 3}
    assert loaded.report.rows_used == 7


def test_the_ethnicity_scheme_is_used(tmp_path: Path) -> None:
    toml = """
[categories]
A = { label = "White - British", broad = "White" }
H = { label = "Asian or Asian British - Indian", broad = "Asian" }
[broad]
White = "White"
Asian = "BME"
[unknown_codes]
Z = "not stated"
"99" = "not known"
"""
    loaded = read(write(staff_table(), tmp_path / "s.csv"), scheme=scheme_from_toml(toml, "tiny"))
    # CP, 99 and Martian: C is not a category of this scheme, so CP is unrecognised.
    assert dict(loaded.report.ethnicity) == {"White": 1, "BME": 1, "Unknown": 5}
    assert loaded.report.ethnicity_unknown["unrecognised"] == 2


SURVEY = pl.DataFrame(
    {
        "year": ["2024", "2024", "2024", "2024"],
        "ethnicity": ["A", "M", "Z", "Asian"],
        "q5": ["yes", "", "no", "Y"],
        "q6": ["no", "no", "", ""],
        "q7": ["yes", "yes", "yes", "yes"],
        "q8": ["", "", "", ""],
        "band": ["5", "", "Band 6", "7"],
    }
)


def test_survey_answers_may_be_blank_and_are_counted(tmp_path: Path) -> None:
    loaded = read(write(SURVEY, tmp_path / "survey.csv"), "survey")
    assert loaded.data["q5"].to_list() == [True, None, False, True]
    assert dict(loaded.report.unknown_values) == {"q5": 1, "q6": 2, "q7": 0, "q8": 4, "band": 1}
    assert dict(loaded.report.ethnicity) == {"White": 1, "BME": 2, "Unknown": 1}
    assert loaded.report.rows_excluded == {}


def test_applications_and_board(tmp_path: Path) -> None:
    applications = pl.DataFrame(
        {
            "year": ["2024", "2024", "2024"],
            "ethnicity": ["A", "N", "N"],
            "shortlisted": ["yes", "yes", "no"],
            "appointed": ["yes", "no", "no"],
            "international": ["", "yes", "no"],
        }
    )
    loaded = read(write(applications, tmp_path / "apps.parquet"), "applications")
    assert loaded.data["international"].to_list() == [None, True, False]
    assert dict(loaded.report.unknown_values) == {"international": 1}
    board = pl.DataFrame(
        {
            "year": [2024, 2024],
            "ethnicity": ["A", "H"],
            "voting": [True, True],
            "executive": [True, False],
            "organisation": ["RXX", "RXX"],
        }
    )
    loaded = read(write(board, tmp_path / "board.xlsx"), "board")
    assert loaded.data["executive"].to_list() == [True, False]
    assert dict(loaded.report.ethnicity) == {"White": 1, "BME": 1, "Unknown": 0}


def test_formats_accepted() -> None:
    assert set(FORMATS) == {".csv", ".parquet", ".xlsx", ".xls"}


def test_unknown_extract_and_bad_mapping_keys_are_config_errors(tmp_path: Path) -> None:
    path = write(staff_table(), tmp_path / "s.csv")
    with pytest.raises(ConfigError, match="no extract called 'workforce'"):
        read(path, "workforce")
    with pytest.raises(ConfigError, match="'yaer'"):
        read(path, mapping={"yaer": "Reporting Year"})


def test_uppercase_suffixes_are_accepted(tmp_path: Path) -> None:
    assert read(write(staff_table(), tmp_path / "S.csv").rename(tmp_path / "S.CSV")).report


def test_an_excel_file_with_an_xls_suffix_goes_to_the_excel_reader(tmp_path: Path) -> None:
    path = tmp_path / "s.xls"
    path.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(BadInputError, match="as Excel"):
        read(path)
