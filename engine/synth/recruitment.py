"""The applications extract: ordinary recruitment plus bulk international campaigns.

Ordinary applications carry the indicator 2 disparity exactly (White appointment rate fixed, BME
rate = White / ratio, doubled gap at hotspot sites). Campaign applications (``international``
True) are almost all shortlisted, mostly BME and mostly appointed, so including them pulls the
indicator 2 ratio down: SPEC section 2 asks for the figure with and without them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from wres.engine.schema import BANDS
from wres.engine.synth.config import SynthConfig
from wres.engine.synth.disability import applicant_column, applicant_disability
from wres.engine.synth.ethnic_mix import BME, draw_groups, inject_unrecognised
from wres.engine.synth.ethnic_mix import written_values as ethnic_spellings
from wres.engine.synth.organisations import Trust
from wres.engine.synth.spellings import STAFF_GROUP_SPELLINGS, band_spellings
from wres.engine.synth.workforce import CLINICAL, MEDICAL, draw_bands, draw_staff_groups

Columns = dict[str, np.ndarray]

#: Campaigns recruit nurses at band 5 (some 4 and 6) and some doctors (specialty and trainee).
_CAMPAIGN_CLINICAL_BANDS = {"Band 4": 0.10, "Band 5": 0.85, "Band 6": 0.05}
_CAMPAIGN_MEDICAL_GRADES = {"Non-consultant career grade": 0.5, "Trainee grade": 0.5}
_CAMPAIGN_MEDICAL_SHARE = 0.10


def applicant_bme_share(trust: Trust, config: SynthConfig, year: int) -> float:
    """BME share of ordinary applicants: the workforce's known-ethnicity odds times the OR."""
    known = 1.0 - trust.unknown_share
    staff = min(trust.bme_share(config, year) / known, 0.999)
    odds = staff / (1.0 - staff) * config.applicant_bme_odds_ratio
    return odds / (1.0 + odds) * known


def _ordinary(rng: np.random.Generator, trust: Trust, config: SynthConfig, year: int) -> Columns:
    n = int(rng.poisson(config.applications_per_head * trust.headcount(year)))
    groups = draw_groups(rng, n, applicant_bme_share(trust, config, year), trust.unknown_share)
    staff_groups = draw_staff_groups(rng, groups)
    site = rng.choice(len(trust.sites), size=n, p=np.asarray(trust.site_weights))
    middle = (config.shortlist_rate_white + config.shortlist_rate_bme) / 2
    shortlist_rate = np.array([config.shortlist_rate_white, config.shortlist_rate_bme, middle])
    shortlisted = rng.random(n) < shortlist_rate[groups]
    rates = np.zeros((2, 3))
    for hotspot in (False, True):
        white, bme = config.indicator_rates(2, year, hotspot=hotspot)
        rates[int(hotspot)] = (white, bme, white)
    hot = trust.hotspot_mask[site]
    chance = rates[hot.astype(np.intp), groups]
    appointed = shortlisted & (rng.random(n) < chance)
    return {
        "year": np.full(n, year, dtype=np.int32),
        "ethnic": trust.mix.draw(rng, groups),
        "shortlisted": shortlisted,
        "appointed": appointed,
        "site": site,
        "band": draw_bands(rng, staff_groups, groups),
        "staff_group": staff_groups,
        "international": np.zeros(n, dtype=bool),
        "appointment_chance": chance,
    }


def campaign_chance(config: SynthConfig, year: int) -> float:
    """Chance of a bulk international campaign in a trust-year; they took off after 2019."""
    if year <= 2019:
        return config.international_campaign_chance_to_2019
    return config.international_campaign_chance_from_2020


def _pick_bands(rng: np.random.Generator, chances: dict[str, float], size: int) -> np.ndarray:
    positions = np.array([BANDS.index(band) for band in chances])
    return positions[rng.choice(len(positions), size=size, p=np.array(list(chances.values())))]


def _campaign(rng: np.random.Generator, trust: Trust, config: SynthConfig, year: int) -> Columns:
    low, high = config.international_applications_per_head
    n = round(trust.headcount(year) * rng.uniform(low, high))
    white_share = (1.0 - config.international_bme_share) * (1.0 - trust.unknown_share)
    groups = draw_groups(rng, n, 1.0 - white_share - trust.unknown_share, trust.unknown_share)
    ethnic = trust.mix.draw(rng, groups)
    is_bme = np.flatnonzero(groups == BME)
    ethnic[is_bme] = trust.mix.international_bme.draw(rng, len(is_bme))
    medical = rng.random(n) < _CAMPAIGN_MEDICAL_SHARE
    band = np.where(
        medical,
        _pick_bands(rng, _CAMPAIGN_MEDICAL_GRADES, n),
        _pick_bands(rng, _CAMPAIGN_CLINICAL_BANDS, n),
    )
    shortlisted = rng.random(n) < config.international_shortlist_rate
    return {
        "year": np.full(n, year, dtype=np.int32),
        "ethnic": ethnic,
        "shortlisted": shortlisted,
        "appointed": shortlisted & (rng.random(n) < config.international_appointment_rate),
        "site": rng.choice(len(trust.sites), size=n, p=np.asarray(trust.site_weights)),
        "band": band,
        "staff_group": np.where(medical, MEDICAL, CLINICAL),
        "international": np.ones(n, dtype=bool),
        "appointment_chance": np.full(n, config.international_appointment_rate),
    }


def applications_frame(
    rng: np.random.Generator,
    trust: Trust,
    config: SynthConfig,
    years: tuple[int, ...],
    disability_rng: np.random.Generator,
) -> pl.DataFrame:
    """All applications of one trust, year by year, each year's campaign (if any) last.

    Disability comes from its own stream (``disability_rng``), after everything else.
    """
    parts: list[Columns] = []
    for year in years:
        parts.append(_ordinary(rng, trust, config, year))
        if rng.random() < campaign_chance(config, year):
            parts.append(_campaign(rng, trust, config, year))
    cols = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    ethnic = inject_unrecognised(rng, cols["ethnic"], config.unrecognised_ethnicity_rate)
    style = trust.style
    return pl.DataFrame(
        {
            "year": cols["year"],
            "ethnicity": ethnic_spellings(style.applications_ethnicity).gather(ethnic),
            "shortlisted": cols["shortlisted"],
            "appointed": cols["appointed"],
            "band": pl.Series(band_spellings(style.band)).gather(cols["band"]),
            "site": pl.Series(trust.sites).gather(cols["site"]),
            "staff_group": pl.Series(STAFF_GROUP_SPELLINGS[style.staff_group]).gather(
                cols["staff_group"]
            ),
            "international": cols["international"],
            "disability": applicant_column(
                applicant_disability(
                    disability_rng,
                    config,
                    years=cols["year"],
                    shortlisted=cols["shortlisted"],
                    appointed=cols["appointed"],
                    appointment_chance=cols["appointment_chance"],
                )
            ),
        }
    )
