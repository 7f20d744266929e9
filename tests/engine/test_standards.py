"""The WRES declarations say what SPEC section 2 says, and bad declarations are refused."""

import pytest

from wres.engine.errors import ConfigError
from wres.engine.standards import (
    KINDS,
    Measure,
    RatioOrder,
    Shape,
    load_standard,
    standard_from_toml,
)


def test_wres_declares_nine_indicators_with_the_spec_directions() -> None:
    wres = load_standard("wres")
    assert [i.id for i in wres.indicators] == list(range(1, 10))
    assert (wres.focal, wres.reference) == ("BME", "White")
    # SPEC 2: White on top for 2 and 4, BME on top for 3.
    assert wres.indicator(2).ratio is RatioOrder.REFERENCE_OVER_GROUP
    assert wres.indicator(3).ratio is RatioOrder.GROUP_OVER_REFERENCE
    assert wres.indicator(4).ratio is RatioOrder.REFERENCE_OVER_GROUP
    assert (wres.indicator(2).at_risk, wres.indicator(2).event) == ("shortlisted", "appointed")
    assert wres.indicator(3).event == "disciplinary"
    assert wres.indicator(3).rolling_years == 2
    assert wres.indicator(2).variant_without == "international"
    assert wres.indicator(4).event == "training"
    assert [wres.indicator(i).event for i in (5, 6, 7, 8)] == ["q5", "q6", "q7", "q8"]
    assert {wres.indicator(i).measure for i in (5, 6, 7, 8)} == {Measure.PERCENTAGE}
    assert wres.indicator(1).measure is Measure.SHARE
    assert wres.indicator(9).members == ("voting", "executive", "non-executive")


def test_each_kind_of_measure_is_declared_once_with_what_spec_says_of_it() -> None:
    assert set(KINDS) == set(Measure)
    # SPEC 2: only 2, 3 and 4 publish a relative likelihood; survey percentages and ratios are
    # tested; a share is of the row's headcount; a board is compared with the workforce
    wres = load_standard("wres")
    assert [i.id for i in wres.indicators if i.kind.relative_likelihood] == [2, 3, 4]
    assert [i.id for i in wres.indicators if i.kind.tested] == [2, 3, 4, 5, 6, 7, 8]
    assert [i.id for i in wres.indicators if i.kind.headcount] == [1, 9]
    assert [i.id for i in wres.indicators if not i.kind.compares] == [1]
    assert wres.indicator(9).kind.shape is Shape.BOARD
    assert wres.indicator(9).kind.extracts == ("staff",)
    assert [m for m, k in KINDS.items() if k.may_stand_alone] == [Measure.PERCENTAGE]


def test_unknown_indicator_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"no indicator 10; its indicators are \[1, 2"):
        load_standard("wres").indicator(10)


def test_unknown_standard_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="shipped standards"):
        load_standard("xyz")


HEAD = (
    'name = "T"\nshort_name = "T"\ncharacteristic = "ethnicity"\n'
    'focal = "BME"\nreference = "White"\nunknown = "Unknown"\n'
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('id = 1\ntitle = "x"\nextract = "nope"\nmeasure = "share"\n', "extract 'nope'"),
        (
            'id = 1\ntitle = "x"\nextract = "staff"\nmeasure = "ratio"\nevent = "training"\n',
            "`ratio` is required",
        ),
        (
            'id = 1\ntitle = "x"\nextract = "staff"\nmeasure = "ratio"\nevent = "appointed"\n'
            'ratio = "group/reference"\n',
            "'appointed' is not a column of the staff extract",
        ),
        (
            'id = 1\ntitle = "x"\nextract = "staff"\nmeasure = "share"\ncolour = "red"\n',
            r"unknown indicator key\(s\) \['colour'\]",
        ),
        ('id = 1\ntitle = "x"\nextract = "staff"\nmeasure = "mean"\n', "not valid"),
    ],
)
def test_bad_declarations_are_refused(body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        standard_from_toml(HEAD + "[[indicators]]\n" + body, "t.toml")
