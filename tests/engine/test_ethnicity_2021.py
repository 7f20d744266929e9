"""The ONS 2021 census categories (England and Wales), written out here independently of the TOML.

Each of the 19 categories must land in the national category (SPEC section 3) that docs/inputs.md
states, whether written as the census writes it ("Heading: Name"), with a dash, or as the bare name;
the five headings alone are groups; and the placements that differ between the classifications
(Chinese, Arab, Roma, Gypsy or Irish Traveller) are configuration.
"""

from __future__ import annotations

from importlib import resources

import pytest

from wres.engine.ethnicity import (
    BME,
    WHITE,
    EthnicityConfigError,
    EthnicityScheme,
    UnknownReason,
    default_scheme,
    scheme_from_toml,
)

WHITE_HEADING = "White"
MIXED_HEADING = "Mixed or Multiple ethnic groups"
ASIAN_HEADING = "Asian, Asian British or Asian Welsh"
BLACK_HEADING = "Black, Black British, Black Welsh, Caribbean or African"
OTHER_HEADING = "Other ethnic group"

#: (heading, name) -> national category code, as docs/inputs.md states the placements.
CENSUS_2021: dict[tuple[str, str], str] = {
    (WHITE_HEADING, "English, Welsh, Scottish, Northern Irish or British"): "A",
    (WHITE_HEADING, "Irish"): "B",
    (WHITE_HEADING, "Gypsy or Irish Traveller"): "C",
    (WHITE_HEADING, "Roma"): "C",
    (WHITE_HEADING, "Other White"): "C",
    (MIXED_HEADING, "White and Black Caribbean"): "D",
    (MIXED_HEADING, "White and Black African"): "E",
    (MIXED_HEADING, "White and Asian"): "F",
    (MIXED_HEADING, "Other Mixed or Multiple ethnic groups"): "G",
    (ASIAN_HEADING, "Indian"): "H",
    (ASIAN_HEADING, "Pakistani"): "J",
    (ASIAN_HEADING, "Bangladeshi"): "K",
    (ASIAN_HEADING, "Other Asian"): "L",
    (ASIAN_HEADING, "Chinese"): "R",
    (BLACK_HEADING, "Caribbean"): "M",
    (BLACK_HEADING, "African"): "N",
    (BLACK_HEADING, "Other Black"): "P",
    (OTHER_HEADING, "Arab"): "S",
    (OTHER_HEADING, "Any other ethnic group"): "S",
}  # 19 categories under 5 headings
WRES_OF: dict[str, str] = {code: WHITE if code in "ABC" else BME for code in "ABCDEFGHJKLMNPRS"}


@pytest.fixture(scope="module")
def scheme() -> EthnicityScheme:
    return default_scheme()


@pytest.mark.parametrize(("heading", "name", "code"), [(*k, v) for k, v in CENSUS_2021.items()])
def test_every_census_2021_category_in_every_spelling(
    scheme: EthnicityScheme, heading: str, name: str, code: str
) -> None:
    spellings = [
        f"{heading}: {name}",  # as the census and most HR systems write it
        f"{heading} - {name}",
        f"{heading}:{name}",
        f"  {heading.upper()} \u2013 {name.lower()} ",
        name,  # the bare short form: "Roma", "Arab", "Other Asian"
    ]
    for value in spellings:
        found = scheme.classify(value)
        assert (found.category, found.wres, found.unknown_reason) == (code, WRES_OF[code], None), (
            value
        )


@pytest.mark.parametrize(
    ("heading", "broad", "wres"),
    [
        (WHITE_HEADING, "White", WHITE),
        (MIXED_HEADING, "Mixed", BME),
        (ASIAN_HEADING, "Asian", BME),
        (BLACK_HEADING, "Black", BME),
        (OTHER_HEADING, "Other", BME),
    ],
)
def test_a_census_heading_alone_is_a_group(
    scheme: EthnicityScheme, heading: str, broad: str, wres: str
) -> None:
    found = scheme.classify(heading)
    assert (found.category, found.broad, found.wres) == (None, broad, wres)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Other Ethnic Groups - Chinese", "R"),
        ("Other Ethnic Groups: Any other ethnic group", "S"),
        ("Chinese or other ethnic group: Chinese", "R"),
        ("Chinese or other ethnic group: Any other ethnic group", "S"),
    ],
)
def test_nhs_data_dictionary_headings_with_their_labels(
    scheme: EthnicityScheme, value: str, code: str
) -> None:
    assert scheme.classify(value).category == code


def test_the_nhs_data_dictionary_other_heading_alone_is_bme_only(scheme: EthnicityScheme) -> None:
    # "Other Ethnic Groups" holds Chinese (R) and any other (S), two broad groups by default
    found = scheme.classify("Other Ethnic Groups")
    assert (found.category, found.broad, found.wres) == (None, None, BME)


def test_chinese_takes_the_broad_group_category_r_has(scheme: EthnicityScheme) -> None:
    assert scheme.classify(f"{ASIAN_HEADING}: Chinese").broad == "Chinese"
    text = _shipped_toml().replace(
        'R = { label = "Other - Chinese", broad = "Chinese" }',
        'R = { label = "Other - Chinese", broad = "Asian" }',
    )
    assert scheme_from_toml(text, "custom").classify(f"{ASIAN_HEADING}: Chinese").broad == "Asian"


def _shipped_toml() -> str:
    return (
        resources.files("wres.engine.data").joinpath("ethnicity.toml").read_text(encoding="utf-8")
    )


def test_roma_and_arab_placements_are_configuration() -> None:
    text = (
        _shipped_toml()
        .replace('"White: Roma" = "C"', '"White: Roma" = "S"')
        .replace('"Other ethnic group: Arab" = "S"', '"Other ethnic group: Arab" = "Other"')
    )
    custom = scheme_from_toml(text, "custom")
    for value in ("White: Roma", "Roma", "White - Roma"):
        assert (custom.classify(value).category, custom.classify(value).wres) == ("S", BME)
    for value in ("Other ethnic group: Arab", "Arab"):
        found = custom.classify(value)
        assert (found.category, found.broad) == (None, "Other")
    assert custom.classify("White: Other White").category == "C"  # the rest is unchanged


def test_gypsy_or_irish_traveller_placement_is_configuration() -> None:
    text = _shipped_toml().replace(
        '"White: Gypsy or Irish Traveller" = "C"', '"White: Gypsy or Irish Traveller" = "S"'
    )
    custom = scheme_from_toml(text, "custom")
    assert custom.classify("Gypsy or Irish Traveller").category == "S"
    assert custom.classify("White: Gypsy or Irish Traveller").category == "S"


def test_a_bare_name_that_contradicts_another_spelling_is_refused() -> None:
    # moving the census's Chinese alone would leave the bare "Chinese" meaning two things
    text = _shipped_toml().replace(
        f'"{ASIAN_HEADING}: Chinese" = "R"', f'"{ASIAN_HEADING}: Chinese" = "L"'
    )
    with pytest.raises(EthnicityConfigError, match=r"my\.toml.*census_2021.*Chinese.*'chinese'"):
        scheme_from_toml(text, "my.toml")


def test_a_census_entry_to_nothing_is_refused() -> None:
    text = _shipped_toml().replace('"White: Roma" = "C"', '"White: Roma" = "Q"')
    with pytest.raises(EthnicityConfigError, match=r"my\.toml: \[census_2021\] 'White: Roma'"):
        scheme_from_toml(text, "my.toml")


def test_a_config_without_the_census_section_still_loads() -> None:
    text = _shipped_toml()
    start = text.index("[census_2021]")
    end = text.index("\n[", start + 1)
    custom = scheme_from_toml(text[:start] + text[end + 1 :], "old.toml")
    assert custom.classify("Roma").unknown_reason is UnknownReason.UNRECOGNISED
    assert custom.classify("A").category == "A"


@pytest.mark.parametrize(
    ("near_miss", "recognised"),
    [
        ("Romanian-ish", "Roma"),
        ("Arabian", "Arab"),
        ("White: Martian", "White: Roma"),
        ("Other: Roma x", "Other ethnic group: Arab"),
    ],
)
def test_near_misses_of_census_spellings_stay_unrecognised(
    scheme: EthnicityScheme, near_miss: str, recognised: str
) -> None:
    assert scheme.classify(recognised).unknown_reason is None
    assert scheme.classify(near_miss).unknown_reason is UnknownReason.UNRECOGNISED
