"""CSV files that are not plain UTF-8 comma-separated text: another delimiter, another encoding,
another kind of file. Each is read, or refused naming what was found and where."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from wres.engine.csv_sniff import sniff_csv
from wres.engine.errors import BadInputError, Problem
from wres.engine.readers import read_extract

HEADER = ["year", "ethnicity", "band", "staff_group", "disciplinary", "training", "site"]
ROWS = [
    ["2024", "A", "Band 5", "Clinical", "no", "yes", "Ward 1"],
    ["2024", "H", "Band 6", "Clinical", "yes", "no", "Ward 2"],
    ["2024", "Z", "Band 7", "Medical", "no", "no", "Ward 1"],
]


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    lines = [delimiter.join(row) for row in [HEADER, *rows]]
    return ("\n".join(lines) + "\n").encode(encoding)


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def problem_of(path: Path, **kwargs: object) -> Problem:
    with pytest.raises(BadInputError) as err:
        read_extract(path, "staff", **kwargs)  # type: ignore[arg-type]
    [problem] = err.value.problems
    assert problem.file == path
    return problem


# --- the delimiter -------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", "\t", "|"], ids=["semicolon", "tab", "bar"])
def test_another_delimiter_reads_like_the_comma_file(tmp_path: Path, delimiter: str) -> None:
    rows = [*ROWS, ["2024", '"A, White - British"', "Band 5", "Clinical", "no", "yes", "W"]]
    comma = read_extract(write(tmp_path / "comma.csv", csv_bytes(rows)), "staff")
    other = write(tmp_path / "other.csv", csv_bytes(rows, delimiter).replace(b"\n", b"\r\n"))
    loaded = read_extract(other, "staff")
    assert_frame_equal(loaded.data, comma.data)
    assert loaded.report.rows_read == comma.report.rows_read == 4
    assert sniff_csv(other) == delimiter


def test_the_most_frequent_delimiter_outside_quotes_wins(tmp_path: Path) -> None:
    # A semicolon file whose column names hold commas, quoted or not.
    header = b'year;"Ethnic group, as recorded";band, pay;staff_group\n2024;A;5;Clinical\n'
    assert sniff_csv(write(tmp_path / "s.csv", header)) == ";"
    assert sniff_csv(write(tmp_path / "one.csv", b"year\n2024\n")) == ","
    assert sniff_csv(write(tmp_path / "bom.csv", codecs.BOM_UTF8 + b"a|b|c\n1|2|3\n")) == "|"


def test_two_delimiters_equally_frequent_are_refused_naming_both(tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.csv", b"year;ethnicity,band;staff_group,training\n")
    problem = problem_of(path)
    assert problem.row == 1
    assert "has ',' (comma) and ';' (semicolon), 2 of each" in problem.message


# --- the encoding ---------------------------------------------------------------------------------


def test_a_latin1_byte_is_named_with_its_row_column_offset_and_likely_encoding(
    tmp_path: Path,
) -> None:
    rows = [*ROWS[:2], [*ROWS[2][:6], "Caf\xe9"]]
    content = csv_bytes(rows, encoding="latin-1")
    problem = problem_of(write(tmp_path / "latin1.csv", content))
    offset = content.index(b"\xe9")
    assert (problem.row, problem.column) == (4, "site")
    assert f"byte 0xE9 at offset {offset} (line 4) is not UTF-8" in problem.message
    assert "Windows-1252" in problem.message
    assert "'é'" in problem.message
    assert "save it again as 'CSV UTF-8 (comma delimited)'" in problem.message
    assert "Caf" not in problem.message
    assert "Ward" not in problem.message


def test_the_row_is_the_spreadsheet_row_when_a_value_spans_lines(tmp_path: Path) -> None:
    rows = [
        ROWS[0],
        [*ROWS[1][:6], '"Ward\n2"'],  # one row, two lines
        ["2024", "Asian \u2013 Indian", "Band 5", "Clinical", "no", "no", "W"],  # an en dash
    ]
    content = csv_bytes(rows, encoding="cp1252")
    offset = content.index(b"\x96")
    problem = problem_of(write(tmp_path / "quoted.csv", content))
    assert (problem.row, problem.column) == (4, "ethnicity")
    assert f"byte 0x96 at offset {offset} (line 5)" in problem.message
    assert "'\u2013'" in problem.message  # an en dash


def test_a_bad_byte_in_a_later_chunk_is_found_in_the_file(tmp_path: Path) -> None:
    rows = [*ROWS * 5, ["2024", "A", "Band 5", "Clinical", "no", "yes", "M\xfcnchen"]]
    content = csv_bytes(rows, encoding="latin-1")
    offset = content.index(b"\xfc")
    problem = problem_of(write(tmp_path / "late.csv", content), chunk_rows=2)
    assert (problem.row, problem.column) == (17, "site")
    assert f"at offset {offset} (line 17)" in problem.message


def test_a_latin1_header_is_row_1(tmp_path: Path) -> None:
    content = "year,ethnicity,band,staff_group,disciplinary,training,Sit\xe9\n".encode("latin-1")
    offset = len(codecs.BOM_UTF8) + content.index(b"\xe9")
    problem = problem_of(write(tmp_path / "header.csv", codecs.BOM_UTF8 + content))
    assert (problem.row, problem.column) == (1, None)
    assert f"byte 0xE9 at offset {offset} (line 1)" in problem.message


def test_a_file_cut_inside_a_character(tmp_path: Path) -> None:
    content = csv_bytes(ROWS)[:-1] + "é".encode()[:1]
    problem = problem_of(write(tmp_path / "cut.csv", content))
    assert (problem.row, problem.column) == (4, "site")
    assert f"byte 0xC3 at offset {len(content) - 1} (line 4)" in problem.message


def test_a_byte_that_is_not_windows_1252_names_no_encoding(tmp_path: Path) -> None:
    content = csv_bytes([[*ROWS[0][:6], "W\x81"]], encoding="latin-1")
    problem = problem_of(write(tmp_path / "odd.csv", content))
    assert "byte 0x81 at offset" in problem.message
    assert "Windows-1252" not in problem.message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_are_named(tmp_path: Path, codec: str) -> None:
    problem = problem_of(write(tmp_path / "wide.csv", csv_bytes(ROWS, "\t", codec)))
    expected = "UTF-32" if codec == "utf-32" else "UTF-16"
    assert f"the file is {expected} text" in problem.message
    assert "save it again as 'CSV UTF-8 (comma delimited)'" in problem.message


# --- not a CSV file -------------------------------------------------------------------------------


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"year": ["2024"]}).write_excel(buffer)
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("staff.csv", ",".join(HEADER))
    return buffer.getvalue()


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"year": ["2024"]}).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "looks_like", "fix"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image", "export the extract"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image", "export the extract"),
        (b"%PDF-1.7\n", "a PDF document", "export the extract"),
        (xlsx_bytes(), "an Excel workbook (.xlsx)", "give it the .xlsx suffix"),
        (zip_bytes(), "a ZIP archive", "extract the CSV file from it first"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(99), "an Excel 97-2003", ".xls suffix"),
        (parquet_bytes(), "a Parquet file", "give it the .parquet suffix"),
        (gzip.compress(csv_bytes(ROWS)), "a gzip-compressed file", "decompress it first"),
    ],
    ids=["png", "jpeg", "pdf", "xlsx", "zip", "xls", "parquet", "gzip"],
)
def test_another_kind_of_file_renamed_csv_is_not_a_csv_file(
    tmp_path: Path, content: bytes, looks_like: str, fix: str
) -> None:
    problem = problem_of(write(tmp_path / "staff.csv", content))
    assert (problem.row, problem.column) == (None, None)
    assert problem.message.startswith(f"not a CSV file: it starts like {looks_like}")
    assert fix in problem.message


def test_nul_bytes_are_binary_data(tmp_path: Path) -> None:
    content = csv_bytes(ROWS)[:40] + bytes(7) + b"\x01\x02garbage"
    problem = problem_of(write(tmp_path / "binary.csv", content))
    assert problem.message.startswith("not a CSV file: byte 40 is a NUL byte (0x00)")


def test_sniffing_reads_only_the_head_of_a_file(tmp_path: Path) -> None:
    # The head decides: a NUL byte beyond it is not looked for, and a bad byte beyond it is
    # left to the reader, which names its row.
    path = write(tmp_path / "big.csv", csv_bytes(ROWS * 4000, ";") + b"\x00")
    assert path.stat().st_size > 64 * 1024
    assert sniff_csv(path) == ";"
