"""Unrecognised ethnicity values: each spelling listed with its rows and first row, kept apart from
not stated, too many of them stop the run with every spelling named, and the report and the
workbook say so in words."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from wres.cli.publication.unrecognised import UnknownEthnicity
from wres.engine.errors import BadInputError, InternalError, UnrecognisedEthnicityError
from wres.engine.readers import read_extract
from wres.engine.reconciliation import (
    Reconciliation,
    UnrecognisedSpelling,
    check_unrecognised,
)


def staff_csv(
    path: Path,
    ethnicities: list[str],
    bank: frozenset[int] = frozenset(),
    column: str = "ethnicity",
) -> Path:
    n = len(ethnicities)
    pl.DataFrame(
        {
            "year": ["2024"] * n,
            column: ethnicities,
            "band": ["5"] * n,
            "staff_group": ["Clinical"] * n,
            "disciplinary": ["no"] * n,
            "training": ["yes"] * n,
            "bank": ["yes" if i in bank else "no" for i in range(n)],
        }
    ).write_csv(path)
    return path


def test_each_unrecognised_spelling_with_its_rows_and_first_row_across_chunks(
    tmp_path: Path,
) -> None:
    values = ["A", "Whte British", "Z", "Martian", "  Whte British ", "Roma", "Martian", "Brit"]
    # spreadsheet rows:  2      3         4      5             6           7       8       9
    # the last, "Brit", is bank staff: not used, so not listed
    path = staff_csv(tmp_path / "staff.csv", values, bank=frozenset({7}), column="Ethnic Origin")
    loaded = read_extract(
        path, "staff", mapping={"ethnicity": "Ethnic Origin"}, chunk_rows=3
    )  # three chunks, so the counts and first rows are added across them
    report = loaded.report
    assert report.ethnicity_unknown["unrecognised"] == 4
    assert report.ethnicity_unknown["not stated"] == 1  # Z, and only Z
    assert report.unrecognised_spellings() == [
        ("Whte British", UnrecognisedSpelling(2, path, 3, "Ethnic Origin")),
        ("Martian", UnrecognisedSpelling(2, path, 5, "Ethnic Origin")),
    ]
    listed = report.to_dict()["unrecognised_ethnicity"]
    assert listed[0] == {
        "spelling": "Whte British",
        "rows": 2,
        "file": str(path),
        "row": 3,
        "column": "Ethnic Origin",
    }


def test_the_part_read_first_keeps_its_first_row(tmp_path: Path) -> None:
    f = tmp_path / "f.csv"
    early = Reconciliation(
        "staff", (f,), 1, 1, ethnicity={"Unknown": 1}, ethnicity_unknown={"unrecognised": 1},
        unrecognised_ethnicity={"x": UnrecognisedSpelling(1, f, 9, "ethnicity")},
    )  # fmt: skip
    late = Reconciliation(
        "staff", (f,), 1, 1, ethnicity={"Unknown": 1}, ethnicity_unknown={"unrecognised": 1},
        unrecognised_ethnicity={"x": UnrecognisedSpelling(1, f, 2, "ethnicity")},
    )  # fmt: skip
    assert (early + late.shifted(1000)).unrecognised_ethnicity["x"] == UnrecognisedSpelling(
        2, f, 9, "ethnicity"
    )
    assert late.shifted(1000).unrecognised_ethnicity["x"].row == 1002


def test_spellings_that_do_not_sum_to_the_unrecognised_rows_are_a_bug(tmp_path: Path) -> None:
    f = tmp_path / "f.csv"
    bad = Reconciliation(
        "staff", (f,), 2, 2, ethnicity={"White": 0, "BME": 0, "Unknown": 2},
        ethnicity_unknown={"unrecognised": 2},
        unrecognised_ethnicity={"x": UnrecognisedSpelling(1, f, 2, "ethnicity")},
    )  # fmt: skip
    with pytest.raises(InternalError, match="spellings do not sum"):
        bad.check()


def _report(tmp_path: Path, values: list[str]) -> Reconciliation:
    return read_extract(staff_csv(tmp_path / "staff.csv", values), "staff").report


@pytest.mark.parametrize(("unrecognised", "stops"), [(1, False), (2, True)])
def test_the_threshold_is_a_share_of_the_rows_used_on_both_sides(
    tmp_path: Path, unrecognised: int, stops: bool
) -> None:
    report = _report(tmp_path, ["Martian"] * unrecognised + ["A"] * (100 - unrecognised))
    if not stops:  # 1 in 100 is 1%: not above the 1% allowed
        check_unrecognised([report], at_most_percent=1.0)
        return
    with pytest.raises(UnrecognisedEthnicityError, match=r"2 of the 100 rows used \(2\.0%\)"):
        check_unrecognised([report], at_most_percent=1.0)


def test_the_error_names_every_spelling_with_file_first_row_and_column(tmp_path: Path) -> None:
    census = "Asian, Asian British or Asian Welsh: Indian"  # recognised: not listed
    values = ["A", "Whte British", census, "Martian", "Whte British", "Z"]
    report = _report(tmp_path, values)
    with pytest.raises(UnrecognisedEthnicityError) as caught:
        check_unrecognised([report], at_most_percent=1.0)
    err = caught.value
    assert isinstance(err, BadInputError)  # so every command exits 3 for it
    path = tmp_path / "staff.csv"
    assert [(p.file, p.row, p.column) for p in err.problems] == [
        (path, None, "ethnicity"),
        (path, 3, "ethnicity"),
        (path, 5, "ethnicity"),
    ]
    text = err.render()
    assert "3 of the 6 rows used (50.0%)" in text
    assert "more than the 1% allowed" in text
    assert "--accept-unrecognised" in text
    assert "'Whte British' is not a recognised ethnicity: 2 rows" in text
    assert "'Martian' is not a recognised ethnicity: 1 row" in text
    assert census not in text


def test_every_spelling_is_rendered_not_only_the_first_twenty(tmp_path: Path) -> None:
    values = [f"Spelling {i}" for i in range(30)]
    with pytest.raises(UnrecognisedEthnicityError) as caught:
        check_unrecognised([_report(tmp_path, values)], at_most_percent=1.0)
    text = caught.value.render()
    assert all(f"'Spelling {i}'" in text for i in range(30))
    assert "more problem" not in text


# --- what the report and the workbook say ---------------------------------------------------------


def _manifest(order: list[str], *, at_most: float = 1.0) -> dict[str, object]:
    counts = {
        "staff": {"rows_used": 1000, "not stated": 30, "unrecognised": 20},
        "applications": {"rows_used": 500, "not stated": 9, "unrecognised": 1},
        "survey": {"rows_used": 300, "not stated": 4, "unrecognised": 0},
    }
    return {
        "settings": {"unrecognised_ethnicity_at_most_percent": at_most},
        "ethnicity_unknown": {name: counts[name] for name in order},
    }


def test_the_words_name_the_extracts_in_their_order_whatever_the_manifest_order() -> None:
    ours = UnknownEthnicity.of(_manifest(["staff", "applications", "survey"]))
    sorted_json = UnknownEthnicity.of(_manifest(["applications", "staff", "survey"]))
    assert ours.lines() == sorted_json.lines()
    assert ours.lines()[0][1].startswith("some values in the staff and applications extracts")
    assert ours.summary() == sorted_json.summary()


@pytest.mark.parametrize(("at_most", "accepted"), [(2.0, False), (1.9, True)])
def test_accepted_means_above_the_limit_of_the_run(at_most: float, accepted: bool) -> None:
    found = UnknownEthnicity.of(_manifest(["staff"], at_most=at_most))  # 20 of 1000: 2%
    assert found.accepted is accepted
    assert any(label == "Accepted" for label, _ in found.lines()) is accepted


def test_no_count_or_share_is_in_the_words() -> None:
    found = UnknownEthnicity.of(_manifest(["staff", "applications", "survey"], at_most=0.1))
    text = " ".join(t for line in found.lines() for t in line) + found.summary()
    assert found.accepted
    assert set(re.findall(r"\d+", text)) == {"2021"}  # the census, never a count or a limit
