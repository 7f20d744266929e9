"""The parts of the synthetic data model, checked without writing files."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest

from wres.engine.errors import ConfigError
from wres.engine.ethnicity import BME, UNKNOWN, WHITE, UnknownReason, default_scheme
from wres.engine.schema import BANDS, REGIONS, STAFF_GROUPS, normalise_band, normalise_staff_group
from wres.engine.schema import parse_bool as schema_parse_bool
from wres.engine.synth import Drift, SynthConfig, generate_trust, parse_years
from wres.engine.synth.disability import engagement_share_at_least
from wres.engine.synth.ethnic_mix import (
    UNKNOWN_CODES,
    UNRECOGNISED_VALUES,
    VOCABULARY,
    written_values,
)
from wres.engine.synth.organisations import (
    MAX_TRUSTS,
    REGION_TRUST_COUNTS,
    build_trust,
    region_sequence,
    trust_code,
)
from wres.engine.synth.spellings import (
    CSV_BOOLEAN_SPELLINGS,
    STAFF_GROUP_SPELLINGS,
    BandStyle,
    EthnicityStyle,
    band_spellings,
)

# -- organisations ---------------------------------------------------------------------------------


def test_210_trusts_fall_into_regions_exactly_as_the_trust_counts() -> None:
    assert sum(count for _, count in REGION_TRUST_COUNTS) == 210
    assert set(dict(REGION_TRUST_COUNTS)) == set(REGIONS)
    assert Counter(region_sequence(210)) == Counter(dict(REGION_TRUST_COUNTS))


def test_every_prefix_of_trusts_is_allocated_proportionally() -> None:
    weights = dict(REGION_TRUST_COUNTS)
    sequence = region_sequence(210)
    assert sequence[0] == "Midlands"
    for n in range(1, 211):
        counts = Counter(sequence[:n])
        for region, weight in weights.items():
            assert abs(counts[region] - n * weight / 210) < 1.5, (n, region)


def test_trust_codes_are_unique_and_look_like_nhs_codes() -> None:
    codes = [trust_code(i) for i in range(MAX_TRUSTS)]
    assert len(set(codes)) == MAX_TRUSTS
    assert all(re.fullmatch(r"R[A-HJ-NP-Z][A-HJ-NP-Z0-9]", code) for code in codes)
    with pytest.raises(ValueError, match="outside"):
        trust_code(MAX_TRUSTS)


def test_national_trust_sizes_and_bme_targets() -> None:
    config = SynthConfig()
    trusts = [build_trust(1, i, config) for i in range(210)]
    sizes = np.array([t.headcount(2024) for t in trusts])
    assert sizes.min() >= config.trust_size_min
    assert sizes.max() <= config.trust_size_max
    assert 1_300_000 <= sizes.sum() <= 1_550_000  # ~1.4 million staff a year
    assert sum(t.headcount(2015) for t in trusts) < sizes.sum()  # growth
    for year, expected in ((2024, 0.26), (2015, 0.26 - 9 * 0.007)):
        weighted = sum(t.bme_share(config, year) * t.headcount(year) for t in trusts)
        assert abs(weighted / sum(t.headcount(year) for t in trusts) - expected) < 0.015
    for trust in trusts:
        assert 5 <= len(trust.sites) <= 50
        assert all(re.fullmatch(re.escape(trust.code) + r"\d\d", s) for s in trust.sites)
        assert 1 <= len(trust.hotspots) <= len(trust.sites)
        assert set(trust.hotspots) <= set(trust.sites)
        assert math.isclose(sum(trust.site_weights), 1.0)
    hotspot_share = sum(len(t.hotspots) for t in trusts) / sum(len(t.sites) for t in trusts)
    assert 0.12 <= hotspot_share <= 0.18


def test_a_trust_does_not_depend_on_the_other_trusts() -> None:
    config = SynthConfig()
    assert build_trust(5, 3, config) == build_trust(5, 3, config)
    assert build_trust(5, 3, config).code == trust_code(3)
    assert build_trust(5, 3, config).size_2024 != build_trust(6, 3, config).size_2024


# -- spellings -------------------------------------------------------------------------------------

_EXPECTED_UNKNOWN = {"Z": UnknownReason.NOT_STATED, "99": UnknownReason.NOT_KNOWN,
                     "": UnknownReason.BLANK}  # fmt: skip


@pytest.mark.parametrize("style", list(EthnicityStyle))
@pytest.mark.parametrize("collapse", [False, True])
def test_every_written_ethnicity_classifies_as_its_category(
    style: EthnicityStyle, collapse: bool
) -> None:
    scheme = default_scheme()
    written = written_values(style, collapse_subcodes=collapse).to_list()
    for code, value in zip(VOCABULARY, written, strict=True):
        found = scheme.classify(value)
        if code in UNRECOGNISED_VALUES:
            assert found.unknown_reason is UnknownReason.UNRECOGNISED, value
        elif code in UNKNOWN_CODES:
            assert (found.wres, found.unknown_reason) == (UNKNOWN, _EXPECTED_UNKNOWN[code])
        else:
            assert found.category == code[0], (code, value)
            assert found.wres == (WHITE if code[0] in "ABC" else BME)


def test_styles_write_what_real_systems_write() -> None:
    position = VOCABULARY.index("CP")
    assert written_values(EthnicityStyle.CODES)[position] == "CP"
    assert written_values(EthnicityStyle.ESR_LABELS)[position] == "CP White - Polish"
    assert written_values(EthnicityStyle.LABELS)[position] == "White - Polish"
    collapsed = written_values(EthnicityStyle.LABELS, collapse_subcodes=True)
    assert collapsed[position] == "White - Any other White background"


@pytest.mark.parametrize("style", list(BandStyle))
def test_band_spellings_normalise_back(style: BandStyle) -> None:
    spellings = band_spellings(style)
    assert tuple(normalise_band(s) for s in spellings) == BANDS


def test_band_styles_differ_where_readers_must_work() -> None:
    position = BANDS.index("Band 8a")
    assert {band_spellings(s)[position] for s in BandStyle} == {
        "Band 8a",
        "AfC Band 8A",
        "Band 8 - Range A",
        "8A",
    }


@pytest.mark.parametrize("style", list(STAFF_GROUP_SPELLINGS))
def test_staff_group_spellings_normalise_back(style: str) -> None:
    spellings = STAFF_GROUP_SPELLINGS[style]
    assert tuple(normalise_staff_group(s) for s in spellings) == STAFF_GROUPS


@pytest.mark.parametrize(("true", "false"), CSV_BOOLEAN_SPELLINGS)
def test_csv_boolean_spellings_parse(true: str, false: str) -> None:
    assert schema_parse_bool(true) is True
    assert schema_parse_bool(false) is False


# -- configuration ---------------------------------------------------------------------------------


def test_drift_is_linear_between_2015_and_2024_and_flat_outside() -> None:
    drift = Drift(1.70, 1.55)
    assert drift.at(2015) == 1.70
    assert drift.at(2024) == pytest.approx(1.55)
    assert drift.at(2018) == pytest.approx(1.70 - 3 * 0.15 / 9)
    assert drift.at(2000) == drift.at(2015)
    assert drift.at(2030) == drift.at(2024)


@pytest.mark.parametrize("indicator", [2, 3, 4])
@pytest.mark.parametrize("hotspot", [False, True])
def test_rates_give_the_ratio_exactly(indicator: int, hotspot: bool) -> None:
    config = SynthConfig()
    for year in range(2015, 2025):
        white, bme = config.indicator_rates(indicator, year, hotspot=hotspot)
        ratio = bme / white if indicator == 3 else white / bme
        assert ratio == pytest.approx(config.indicator_ratio(indicator, year, hotspot=hotspot))
    assert (
        config.indicator_rates(indicator, 2020, hotspot=hotspot)[0]
        == (config.indicator_rates(indicator, 2015, hotspot=False)[0])
    )


def test_defaults_are_the_national_picture() -> None:
    config = SynthConfig()
    assert config.indicator_ratio(2, 2015, hotspot=False) == pytest.approx(1.70)
    assert config.indicator_ratio(3, 2024, hotspot=False) == pytest.approx(1.15)
    assert config.indicator_ratio(3, 2024, hotspot=True) == pytest.approx(2.30)
    assert config.region_bme_share("London", 2024) == 0.50
    assert config.region_bme_share("London", 2015) == pytest.approx(0.50 * (1 - 9 * 0.027))


def test_a_ratio_that_breaks_a_probability_is_refused() -> None:
    with pytest.raises(ConfigError, match="indicator 3 settings give a rate of"):
        SynthConfig(disciplinary_rate_white=0.4, indicator3_ratio=Drift(2.0, 2.0))
    with pytest.raises(ConfigError, match="indicator 2 settings"):
        SynthConfig(indicator2_ratio=Drift(0.1, 1.0))


def test_bad_settings_are_refused_with_their_name() -> None:
    with pytest.raises(ConfigError, match="bank_share must be a probability"):
        SynthConfig(bank_share=1.5)
    with pytest.raises(ConfigError, match="one share for each region"):
        SynthConfig(bme_share_2024=(("London", 0.5),))
    with pytest.raises(ConfigError, match="board_size"):
        SynthConfig(board_size=(12, 10))
    with pytest.raises(ConfigError, match="indicator4_ratio must be ratios above 0"):
        SynthConfig(indicator4_ratio=Drift(0.0, 1.0))


# -- years -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years"),
    [("2024", (2024,)), ("2024-2024", (2024,)), ("2015-2024", tuple(range(2015, 2025))),
     (" 2020 - 2022 ", (2020, 2021, 2022))],
)  # fmt: skip
def test_years_are_parsed(text: str, years: tuple[int, ...]) -> None:
    assert parse_years(text) == years


@pytest.mark.parametrize(
    ("text", "message"),
    [("2024-2015", "run backwards"), ("abc", "not a year or a range"), ("", "not a year"),
     ("2015-", "not a year"), ("1800", "between 1990 and 2100"), ("2015,2016", "not a year")],
)  # fmt: skip
def test_bad_years_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_years(text)


# -- WDES ------------------------------------------------------------------------------------------


def test_wdes_settings_are_checked_with_their_name() -> None:
    with pytest.raises(ConfigError, match="applicant_\\*_share must be shares summing"):
        SynthConfig(applicant_disabled_share=0.6, applicant_not_declared_share=0.5)
    with pytest.raises(ConfigError, match="survey_pressure_rates must be two probabilities"):
        SynthConfig(survey_pressure_rates=(0.2, 1.2))
    with pytest.raises(ConfigError, match="survey_disabled_share must be shares between 0 and 1"):
        SynthConfig(survey_disabled_share=Drift(0.0, 0.2))
    with pytest.raises(ConfigError, match="WDES metric 2 settings give a rate of"):
        SynthConfig(wdes_metric2_ratio=Drift(0.2, 0.2))
    with pytest.raises(ConfigError, match="WDES survey disability settings give a rate of"):
        SynthConfig(survey_disabled_share=Drift(0.6, 0.6), survey_disabled_ratio_q6=3.0)


def test_wdes_settings_do_not_move_the_wres_columns() -> None:
    """Disability and the WDES questions come from their own random streams, drawn after the
    rest: changing every WDES setting leaves every other column as it was."""
    changed = SynthConfig(
        wdes_metric2_ratio=Drift(1.5, 1.5),
        applicant_disabled_share=0.2,
        survey_disabled_share=Drift(0.3, 0.3),
        survey_disabled_ratio_q5=2.0,
        survey_pressure_rates=(0.5, 0.6),
        survey_engagement_means=(5.0, 4.0),
        board_disabled_share=0.3,
    )
    before = generate_trust(4, 0, (2023, 2024), SynthConfig()).frames
    after = generate_trust(4, 0, (2023, 2024), changed).frames
    wdes_columns = {"disability", "reported", "pressure", "valued", "adjustments", "engagement"}
    for name, frame in before.items():
        kept = [c for c in frame.columns if c not in wdes_columns or name == "staff"]
        assert frame.select(kept).equals(after[name].select(kept)), name
        assert frame.columns == after[name].columns
    assert not before["survey"]["disability"].equals(after["survey"]["disability"])


def test_rates_by_disability_mix_back_to_the_overall_rate() -> None:
    config = SynthConfig()
    rate = np.array([0.1, 0.26, 0.6])
    not_disabled, disabled = config.survey_rates_by_disability(rate, 1.3, 0.24)
    assert np.allclose(0.24 * disabled + 0.76 * not_disabled, rate)
    assert np.allclose(disabled / not_disabled, 1.3)


def test_engagement_share_counts_the_steps_that_reach_the_threshold() -> None:
    rng = np.random.default_rng(3)
    latent = rng.normal(6.5, 1.9, 400_000)
    steps = np.rint(np.clip(latent, 0, 10) * 3.6)
    scores = np.round(steps / 3.6, 2)
    for threshold in (7.0, 7.22, 7.5, 2.0):
        simulated = float((scores >= threshold).mean())
        assert engagement_share_at_least(threshold, 6.5, 1.9) == pytest.approx(simulated, abs=0.004)
