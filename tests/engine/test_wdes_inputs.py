"""The WDES columns of the extracts: survey answers on the survey's own scales, the engagement
score, and disability on the board; read, checked and reconciled like every other column."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from wres.engine.errors import BadInputError
from wres.engine.readers import LoadedExtract, read_extract
from wres.engine.schema import EXTRACTS, Kind, parse_answer

SURVEY_HEADER = (
    "year,ethnicity,q5,q6,q7,q8,disability,reported,pressure,valued,adjustments,engagement"
)


def write(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def read_survey(folder: Path, *rows: str) -> LoadedExtract:
    """A survey extract of ``rows`` (under SURVEY_HEADER), written and read back."""
    return read_extract(write(folder / "survey.csv", SURVEY_HEADER, *rows), "survey")


def test_the_wdes_columns_are_optional_columns_of_their_extracts() -> None:
    survey = EXTRACTS["survey"]
    kinds = {name: survey.column(name).kind for name in survey.optional}
    assert kinds["reported"] is Kind.ANSWER
    assert kinds["pressure"] is Kind.ANSWER
    assert kinds["valued"] is Kind.ANSWER
    assert kinds["adjustments"] is Kind.ANSWER
    assert kinds["engagement"] is Kind.SCORE
    assert EXTRACTS["board"].column("disability").kind is Kind.DISABILITY
    assert "disability" in EXTRACTS["applications"].optional
    assert "disability" not in EXTRACTS["board"].required


@pytest.mark.parametrize(
    ("spelling", "answer"),
    [
        ("Yes", True),
        ("n", False),
        ("1", True),
        ("Very satisfied", True),
        ("satisfied", True),
        ("Neither satisfied nor dissatisfied", False),
        (" Very  dissatisfied ", False),
        ("Strongly agree", True),
        ("Disagree", False),
        ("No adjustment required", None),
        ("Not applicable", None),
        ("N/A", None),
        ("Don\u2019t know", None),
        ("", None),
        (None, None),
    ],
)
def test_survey_answer_spellings(spelling: str | None, answer: bool | None) -> None:
    assert parse_answer(spelling) is answer


def test_an_answer_that_cannot_be_read_names_the_value() -> None:
    with pytest.raises(ValueError, match="cannot read 'sometimes' as an answer"):
        parse_answer("sometimes")


def test_survey_answers_and_scores_are_read_and_blanks_counted(tmp_path: Path) -> None:
    loaded = read_survey(
        tmp_path,
        "2024,A,yes,no,yes,no,Yes,Yes,,Very satisfied,No adjustment required,7.22",
        "2024,A,no,no,yes,no,No,,no,Dissatisfied,,6.94",
        "2024,A,no,yes,yes,no,No,no,yes,satisfied,,10",
        "2024,A,no,no,yes,no,Yes,,,,Yes,",
    )
    data = loaded.data
    assert data["reported"].to_list() == [True, None, False, None]
    assert data["pressure"].to_list() == [None, False, True, None]
    assert data["valued"].to_list() == [True, False, True, None]
    assert data["adjustments"].to_list() == [None, None, None, True]
    assert data["engagement"].to_list() == [7.22, 6.94, 10.0, None]
    unknown = loaded.report.unknown_values
    assert (unknown["reported"], unknown["pressure"], unknown["engagement"]) == (2, 2, 1)


def test_bad_answers_and_scores_name_file_row_and_column(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as err:
        read_survey(
            tmp_path,
            "2024,A,yes,no,yes,no,Yes,maybe,,Satisfied,,7",
            "2024,A,yes,no,yes,no,Yes,,,Satisfied,,11",
            '2024,A,yes,no,yes,no,Yes,,,Satisfied,,"7,5"',  # a decimal comma
            "2024,A,yes,no,yes,no,Yes,,,Satisfied,,seven",
        )
    found = [(p.row, p.column, p.message) for p in err.value.problems]
    rows = [(row, column) for row, column, _ in found if column != "ethnicity"]
    assert (2, "reported") in rows
    assert (3, "engagement") in rows
    assert (4, "engagement") in rows
    assert (5, "engagement") in rows
    messages = " ".join(m for _, _, m in found)
    assert "cannot read 'maybe' as an answer" in messages
    assert "as a score (a number from 0 to 10" in messages


def test_parquet_scores_and_answers_keep_their_types(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "year": [2024, 2024, 2024],
            "ethnicity": ["A", "B", "C"],
            **{q: [True, False, None] for q in ("q5", "q6", "q7", "q8")},
            "pressure": [True, None, False],
            "engagement": [7.5, None, 10.5],
        }
    )
    path = tmp_path / "survey.parquet"
    frame.write_parquet(path)
    with pytest.raises(BadInputError) as err:
        read_extract(path, "survey")
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "engagement")]
    frame.with_columns(engagement=pl.Series([7.5, None, 10.0])).write_parquet(path)
    data = read_extract(path, "survey").data
    assert data["engagement"].to_list() == [7.5, None, 10.0]
    assert data["pressure"].to_list() == [True, None, False]


def test_board_disability_is_read_like_staff_disability(tmp_path: Path) -> None:
    path = write(
        tmp_path / "board.csv",
        "year,ethnicity,voting,executive,disability",
        "2024,A,yes,yes,Yes",
        "2024,A,yes,no,No",
        "2024,A,no,no,Not declared",
        "2024,A,yes,no,",
    )
    loaded = read_extract(path, "board")
    assert loaded.data["disability"].to_list() == [
        "Disabled",
        "Not disabled",
        "Unknown",
        "Unknown",
    ]
    assert loaded.report.unknown_values["disability"] == 2
