"""The vocabularies of the extracts: every spelling seen in real extracts maps to one value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wres.engine.schema import (
    AFC_BANDS,
    BANDS,
    EXTRACTS,
    MEDICAL_GRADES,
    UNKNOWN,
    YEAR_RANGE,
    Kind,
    normalise_band,
    normalise_disability,
    normalise_staff_group,
    parse_bool,
)


@pytest.mark.parametrize(
    ("spelling", "band"),
    [
        ("5", "Band 5"),
        ("05", "Band 5"),
        ("Band 5", "Band 5"),
        ("band 5", "Band 5"),
        ("BAND5", "Band 5"),
        (" Band  5 ", "Band 5"),
        ("AfC Band 5", "Band 5"),
        ("Pay Band 7", "Band 7"),
        ("1", "Band 1"),
        ("Band 9", "Band 9"),
        ("8a", "Band 8a"),
        ("8A", "Band 8a"),
        ("Band 8A", "Band 8a"),
        ("AfC Band 8A", "Band 8a"),
        ("Band 8 - Range A", "Band 8a"),
        ("Band 8 - Range B", "Band 8b"),
        ("Band 8 - range c", "Band 8c"),
        ("Band 8d", "Band 8d"),
        ("Under Band 1", "Under Band 1"),
        ("under 1", "Under Band 1"),
        ("VSM", "VSM"),
        ("vsm", "VSM"),
        ("Very Senior Manager", "VSM"),
        ("Very Senior Managers", "VSM"),
        ("Consultant", "Consultant"),
        ("Consultants", "Consultant"),
        ("Non-consultant career grade", "Non-consultant career grade"),
        ("NCCG", "Non-consultant career grade"),
        ("Specialty Doctor", "Non-consultant career grade"),
        ("Trainee grade", "Trainee grade"),
        ("Doctor in training", "Trainee grade"),
        ("Other medical", "Other medical"),
    ],
)
def test_band_spellings(spelling: str, band: str) -> None:
    assert normalise_band(spelling) == band


@pytest.mark.parametrize(
    "spelling", [None, "", "  ", "8", "Band 8", "Band 10", "5a", "Band 42", "Grade 5", "Nurse"]
)
def test_unrecognised_or_blank_bands_are_unknown(spelling: str | None) -> None:
    assert normalise_band(spelling) == UNKNOWN


def test_every_canonical_band_reads_back_as_itself() -> None:
    assert len(BANDS) == len(set(BANDS)) == len(AFC_BANDS) + len(MEDICAL_GRADES)
    for band in BANDS:
        assert normalise_band(band) == band


@pytest.mark.parametrize(
    ("spelling", "group"),
    [
        ("Clinical", "Clinical"),
        ("clinical staff", "Clinical"),
        ("Non-clinical", "Non-clinical"),
        ("Non clinical", "Non-clinical"),
        ("NON-CLINICAL", "Non-clinical"),
        ("nonclinical", "Non-clinical"),
        ("Medical", "Medical"),
        ("Medical and Dental", "Medical"),
        ("Medical & Dental", "Medical"),
        (" medical  staff ", "Medical"),
        ("Astronaut", UNKNOWN),
    ],
)
def test_staff_group_spellings(spelling: str, group: str) -> None:
    assert normalise_staff_group(spelling) == group


@pytest.mark.parametrize(
    ("spelling", "status"),
    [
        ("Yes", "Disabled"),
        ("Y", "Disabled"),
        ("disabled", "Disabled"),
        ("No", "Not disabled"),
        ("n", "Not disabled"),
        ("Not disabled", "Not disabled"),
        ("Non-disabled", "Not disabled"),
        ("Not declared", UNKNOWN),
        ("Prefer not to say", UNKNOWN),
    ],
)
def test_disability_spellings(spelling: str, status: str) -> None:
    assert normalise_disability(spelling) == status


@pytest.mark.parametrize("normalise", [normalise_band, normalise_staff_group, normalise_disability])
@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_blank_is_unknown_in_every_vocabulary(
    normalise: Callable[[str | None], str], blank: str | None
) -> None:
    assert normalise(blank) == UNKNOWN


@pytest.mark.parametrize(
    "spelling",
    ["yes", "Yes", "YES", "y", "Y", "true", "True", "TRUE", "t", "T", "1", "1.0", " yes "],
)
def test_true_spellings(spelling: str) -> None:
    assert parse_bool(spelling) is True


@pytest.mark.parametrize(
    "spelling", ["no", "No", "NO", "n", "N", "false", "False", "FALSE", "f", "F", "0", "0.0", " n"]
)
def test_false_spellings(spelling: str) -> None:
    assert parse_bool(spelling) is False


@pytest.mark.parametrize("spelling", [None, "", "   "])
def test_blank_booleans_are_none(spelling: str | None) -> None:
    assert parse_bool(spelling) is None


@pytest.mark.parametrize("spelling", ["maybe", "2", "-1", "yess", "ja", "0.5", "on"])
def test_bad_booleans_raise_naming_the_value(spelling: str) -> None:
    with pytest.raises(ValueError, match="cannot read") as err:
        parse_bool(spelling)
    assert repr(spelling) in str(err.value)


def test_extracts_have_the_spec_required_columns() -> None:
    required = {name: set(extract.required) for name, extract in EXTRACTS.items()}
    assert required == {
        "staff": {"year", "ethnicity", "band", "staff_group", "disciplinary", "training"},
        "applications": {"year", "ethnicity", "shortlisted", "appointed"},
        "survey": {"year", "ethnicity", "q5", "q6", "q7", "q8"},
        "board": {"year", "ethnicity", "voting", "executive"},
    }
    assert EXTRACTS["staff"].column("bank").kind is Kind.OPTIONAL_BOOL
    assert EXTRACTS["survey"].column("q5").kind is Kind.OPTIONAL_BOOL
    with pytest.raises(KeyError, match="no column"):
        EXTRACTS["board"].column("band")


@pytest.mark.parametrize("year", [2015, 2024])
def test_year_range_holds_the_reporting_years(year: int) -> None:
    low, high = YEAR_RANGE
    assert low <= year <= high
