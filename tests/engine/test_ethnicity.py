"""Ethnicity classification against SPEC section 3, written out here independently of the TOML."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from wres.engine.ethnicity import (
    BME,
    UNKNOWN,
    WHITE,
    EthnicityConfigError,
    EthnicityScheme,
    UnknownReason,
    default_scheme,
    load_scheme,
    scheme_from_toml,
)

# SPEC section 3: national code -> (broad group, WRES group).
SPEC_TABLE: dict[str, tuple[str, str]] = {
    "A": ("White", WHITE),
    "B": ("White", WHITE),
    "C": ("White", WHITE),
    "D": ("Mixed", BME),
    "E": ("Mixed", BME),
    "F": ("Mixed", BME),
    "G": ("Mixed", BME),
    "H": ("Asian", BME),
    "J": ("Asian", BME),
    "K": ("Asian", BME),
    "L": ("Asian", BME),
    "M": ("Black", BME),
    "N": ("Black", BME),
    "P": ("Black", BME),
    "R": ("Chinese", BME),
    "S": ("Other", BME),
}
SPEC_LABELS: dict[str, str] = {
    "A": "White - British",
    "B": "White - Irish",
    "C": "White - Any other White background",
    "D": "Mixed - White and Black Caribbean",
    "E": "Mixed - White and Black African",
    "F": "Mixed - White and Asian",
    "G": "Mixed - Any other mixed background",
    "H": "Asian or Asian British - Indian",
    "J": "Asian or Asian British - Pakistani",
    "K": "Asian or Asian British - Bangladeshi",
    "L": "Asian or Asian British - Any other Asian background",
    "M": "Black or Black British - Caribbean",
    "N": "Black or Black British - African",
    "P": "Black or Black British - Any other Black background",
    "R": "Other - Chinese",
    "S": "Other - Any other ethnic group",
}


def _shipped_toml() -> str:
    return (
        resources.files("wres.engine.data").joinpath("ethnicity.toml").read_text(encoding="utf-8")
    )


def _shipped_subcodes() -> dict[str, str]:
    data = tomllib.loads(_shipped_toml())
    return {code: entry["label"] for code, entry in data["subcodes"].items()}


@pytest.fixture(scope="module")
def scheme() -> EthnicityScheme:
    return default_scheme()


def test_the_scheme_has_exactly_the_spec_categories(scheme: EthnicityScheme) -> None:
    assert set(scheme.categories) == set(SPEC_TABLE)


@pytest.mark.parametrize(("code", "expected"), sorted(SPEC_TABLE.items()))
def test_every_national_code_maps_to_its_spec_group(
    scheme: EthnicityScheme, code: str, expected: tuple[str, str]
) -> None:
    found = scheme.classify(code)
    assert (found.category, found.broad, found.wres) == (code, *expected)
    assert found.unknown_reason is None
    assert scheme.classify(code.lower()).category == code


@pytest.mark.parametrize(("code", "label"), sorted(SPEC_LABELS.items()))
def test_esr_labels_and_bare_labels_of_every_category(
    scheme: EthnicityScheme, code: str, label: str
) -> None:
    assert scheme.classify(f"{code} {label}").category == code
    assert scheme.classify(label).category == code
    assert scheme.classify(label.upper()).category == code
    en_dash = label.replace(" - ", " \u2013 ")
    assert scheme.classify(f"  {en_dash} ").category == code


@pytest.mark.parametrize(("sub", "label"), sorted(_shipped_subcodes().items()))
def test_every_shipped_subcode_groups_with_its_first_character(
    scheme: EthnicityScheme, sub: str, label: str
) -> None:
    expected = sub[0]
    assert scheme.classify(sub).category == expected
    assert scheme.classify(f"{sub} {label}").category == expected
    assert scheme.classify(label).category == expected
    assert scheme.classify(sub).wres == SPEC_TABLE[expected][1]


@pytest.mark.parametrize(
    ("value", "category"),
    [
        ("A White - British", "A"),
        ("CP White - Polish", "C"),
        ("LB Asian - Punjabi", "L"),
        ("CN White - Gypsy/Romany", "C"),
        ("A: White - British", "A"),
        ("A\u00a0White - British", "A"),  # no-break space, as Excel exports write it
        ("CP\tWhite - Polish", "C"),
        ("C3", "C"),
        ("PZ", "P"),  # an unlisted local sub-code still groups with its first character
        ("white british", "A"),
        ("Indian", "H"),
        ("Black African", "N"),
    ],
)
def test_esr_style_values(scheme: EthnicityScheme, value: str, category: str) -> None:
    found = scheme.classify(value)
    assert (found.category, found.wres) == (category, SPEC_TABLE[category][1])


@pytest.mark.parametrize(
    ("value", "broad", "wres"),
    [
        ("White", "White", WHITE),
        ("WHITE", "White", WHITE),
        ("Mixed", "Mixed", BME),
        ("Asian", "Asian", BME),
        ("Asian or Asian British", "Asian", BME),
        ("Black", "Black", BME),
        ("Black or Black British", "Black", BME),
        ("Other", "Other", BME),
        ("BME", None, BME),
        ("BAME", None, BME),
        ("Black and minority ethnic", None, BME),
    ],
)
def test_group_names_at_each_level(
    scheme: EthnicityScheme, value: str, broad: str | None, wres: str
) -> None:
    found = scheme.classify(value)
    assert found.category is None
    assert (found.broad, found.wres) == (broad, wres)


#: Values that are no ethnic category, by the reason they are unknown.
UNKNOWN_VALUES: dict[UnknownReason, tuple[str | None, ...]] = {
    UnknownReason.NOT_STATED: ("Z", "z", "Z Not Stated", "Not stated", "Prefer not to say"),
    UnknownReason.NOT_KNOWN: ("99", "99 Not Known", "X", "Unknown", "NA", "n/a"),
    UnknownReason.BLANK: ("", "   ", None),
    UnknownReason.UNRECOGNISED: (
        "Martian",
        "Whte British",
        "No",  # a yes/no answer, not code N (Black African)
        "no",
        "Yes",
        "I",  # not a national code
        "ZZ",
        "9",
    ),
}


@pytest.mark.parametrize(
    ("value", "reason"),
    [(value, reason) for reason, values in UNKNOWN_VALUES.items() for value in values],
)
def test_unknown_values_and_their_reason(
    scheme: EthnicityScheme, value: str | None, reason: UnknownReason
) -> None:
    found = scheme.classify(value)
    assert (found.category, found.broad, found.wres) == (None, None, UNKNOWN)
    assert found.unknown_reason is reason


def test_classify_series_matches_classify_row_by_row(scheme: EthnicityScheme) -> None:
    values = ["A", None, "LB Asian - Punjabi", "Z", "A", "Martian", "", "Asian", "BME"]
    table = scheme.classify_series(pl.Series("ethnicity", values))
    assert table.columns == [
        "ethnic_category",
        "ethnic_broad",
        "ethnic_wres",
        "ethnic_unknown_reason",
    ]
    for value, row in zip(values, table.iter_rows(), strict=True):
        found = scheme.classify(value)
        reason = None if found.unknown_reason is None else str(found.unknown_reason)
        assert row == (found.category, found.broad, found.wres, reason)


def test_a_custom_config_moves_chinese_under_asian() -> None:
    text = _shipped_toml().replace(
        'R = { label = "Other - Chinese", broad = "Chinese" }',
        'R = { label = "Other - Chinese", broad = "Asian" }',
    )
    custom = scheme_from_toml(text, "custom")
    assert custom.classify("R").broad == "Asian"
    assert custom.classify("Chinese").broad == "Asian"
    assert custom.classify("R Other - Chinese").wres == BME
    assert default_scheme().classify("R").broad == "Chinese"  # the default is untouched


def test_a_custom_config_can_move_a_subcode_to_another_category() -> None:
    text = _shipped_toml().replace(
        'CN = { label = "White - Gypsy/Romany" }',
        'CN = { label = "White - Gypsy/Romany", category = "S" }',
    )
    custom = scheme_from_toml(text, "custom")
    assert (custom.classify("CN").category, custom.classify("CN").wres) == ("S", BME)
    assert custom.classify("CP").category == "C"


def test_load_scheme_reads_a_file_and_none_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "eth.toml"
    path.write_text(_shipped_toml().replace('"Chinese"', '"Asian"'), encoding="utf-8")
    assert load_scheme(path).classify("R").broad == "Asian"
    assert load_scheme(None) is default_scheme()


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('Mixed = "BME"', 'Mixed = "Brown"', "Mixed"),
        ('Chinese = "BME"\n', "", "'R'"),  # category R's broad group is no longer defined
        ('CP = { label = "White - Polish" }', 'QP = { label = "Q" }', "'QP'"),
        ('"indian" = "H"', '"indian" = "Q"', "'indian'"),
        ('Z = "not stated"', 'Z = "declined"', "[unknown_codes] Z"),
        ('"declined" = "not stated"', '"declined" = "refused"', "[unknown_words] declined"),
        (
            'A = { label = "White - British", broad = "White" }',
            'AB = { label = "x", broad = "White" }',
            "AB",
        ),
        ("[aliases]", "[aliasses]", "aliasses"),
    ],
)
def test_invalid_configs_raise_naming_the_key(old: str, new: str, named: str) -> None:
    text = _shipped_toml()
    assert old in text
    with pytest.raises(EthnicityConfigError) as err:
        scheme_from_toml(text.replace(old, new, 1), "my.toml")
    assert named in str(err.value)
    assert "my.toml" in str(err.value)


def test_not_toml_and_missing_file_raise_config_errors(tmp_path: Path) -> None:
    with pytest.raises(EthnicityConfigError, match="not valid TOML"):
        scheme_from_toml("[categories\nA = 1", "bad.toml")
    with pytest.raises(EthnicityConfigError, match="cannot read the ethnicity configuration"):
        load_scheme(tmp_path / "missing.toml")


@pytest.mark.parametrize("word", ["NO", "IN", "ON", "OR", "IS", "No", "no"])
def test_two_letter_words_in_capitals_are_not_read_as_local_codes(word: str) -> None:
    assert default_scheme().classify(word).unknown_reason is UnknownReason.UNRECOGNISED
