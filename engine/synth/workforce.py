"""The staff extract: a panel of people over the years, with bands, events and disability.

Each trust starts with its first year's headcount; every later year about ``leaver_rate`` of the
staff leave and joiners bring the headcount to the year's target. Ethnicity, staff group, band,
site, bank status and disability are fixed per person. The joiners' ethnic mix is set each year so
the trust's BME share meets that year's target, which is how the share drifts upwards.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from wres.engine.schema import AFC_BANDS, BANDS
from wres.engine.synth.config import SynthConfig
from wres.engine.synth.ethnic_mix import (
    BME,
    UNKNOWN,
    WHITE,
    draw_groups,
    inject_unrecognised,
    written_values,
)
from wres.engine.synth.organisations import Trust
from wres.engine.synth.spellings import (
    DISABILITY_SPELLINGS,
    DISABLED,
    STAFF_GROUP_SPELLINGS,
    band_spellings,
)

NON_CLINICAL, CLINICAL, MEDICAL = 0, 1, 2  # positions in schema.STAFF_GROUPS

#: P(Medical) and P(Clinical | not Medical) by WRES group (White, BME, Unknown). Doctors are
#: about 10% of NHS staff and about 45% of them BME nationally; BME staff are more often nurses.
_MEDICAL_SHARE = np.array([0.075, 0.17, 0.10])
_CLINICAL_SHARE_OF_REST = np.array([0.60, 0.68, 0.62])

#: Band mix of White staff, aligned with schema.AFC_BANDS (approximate national AfC profile).
_CLINICAL_BANDS = np.array(
    [0.0, 0.001, 0.12, 0.12, 0.06, 0.23, 0.24, 0.14, 0.05, 0.02, 0.008, 0.004, 0.0015, 0.0005]
)
_NON_CLINICAL_BANDS = np.array(
    [0.001, 0.01, 0.22, 0.20, 0.15, 0.11, 0.09, 0.08, 0.06, 0.035, 0.02, 0.012, 0.006, 0.006]
)
#: BME staff relative to White, band by band: over-represented at bands 5-6, under-represented
#: from 8a up, as in the national WRES indicator 1 data.
_BME_BAND_FACTOR = np.array(
    [1.0, 1.0, 1.0, 0.95, 0.9, 1.6, 1.25, 0.85, 0.65, 0.55, 0.45, 0.4, 0.35, 0.35]
)
#: Medical grades (Consultant, NCCG, Trainee, Other) and the BME factor (fewer consultants, more
#: specialty doctors).
_MEDICAL_GRADES = np.array([0.40, 0.12, 0.45, 0.03])
_BME_GRADE_FACTOR = np.array([0.85, 1.5, 1.0, 1.0])


def _band_table() -> np.ndarray:
    """Cumulative band chances, indexed [staff group, WRES group, band in schema.BANDS]."""
    table = np.zeros((3, 3, len(BANDS)))
    n_afc = len(AFC_BANDS)
    for group in (WHITE, BME, UNKNOWN):
        afc_factor = _BME_BAND_FACTOR if group == BME else np.ones(n_afc)
        grade_factor = _BME_GRADE_FACTOR if group == BME else np.ones(4)
        table[NON_CLINICAL, group, :n_afc] = _NON_CLINICAL_BANDS * afc_factor
        table[CLINICAL, group, :n_afc] = _CLINICAL_BANDS * afc_factor
        table[MEDICAL, group, n_afc:] = _MEDICAL_GRADES * grade_factor
    table /= table.sum(axis=2, keepdims=True)
    return np.cumsum(table, axis=2)


_BAND_CUMULATIVE = _band_table()


def draw_staff_groups(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """Staff group (index into schema.STAFF_GROUPS) for people of the given WRES groups."""
    draw = rng.random(len(groups))
    medical = draw < _MEDICAL_SHARE[groups]
    rest = (draw - _MEDICAL_SHARE[groups]) / (1.0 - _MEDICAL_SHARE[groups])
    clinical = ~medical & (rest < _CLINICAL_SHARE_OF_REST[groups])
    return np.where(medical, MEDICAL, np.where(clinical, CLINICAL, NON_CLINICAL)).astype(np.int8)


def draw_bands(
    rng: np.random.Generator, staff_groups: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """Band (index into schema.BANDS) by inverse CDF on the staff group's band table."""
    cumulative = _BAND_CUMULATIVE[staff_groups, groups]
    band: np.ndarray = (rng.random(len(groups))[:, None] > cumulative).sum(axis=1)
    clipped: np.ndarray = np.minimum(band, len(BANDS) - 1).astype(np.int8)
    return clipped


@dataclass(slots=True)
class People:
    """Everyone a trust employed over the years, one array entry per person."""

    group: np.ndarray  # WRES group; drives events even when the written value is a typo
    ethnic: np.ndarray  # vocabulary entry as recorded in ESR (may be an injected typo)
    true_ethnic: np.ndarray  # vocabulary entry without typos (the survey asks again)
    staff_group: np.ndarray
    band: np.ndarray
    site: np.ndarray
    bank: np.ndarray
    disability: np.ndarray

    def extend(self, other: People) -> None:
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))

    def count(self, index: np.ndarray, group: int) -> int:
        return int(np.count_nonzero(self.group[index] == group))


def hire(rng: np.random.Generator, trust: Trust, config: SynthConfig, groups: np.ndarray) -> People:
    """New people of the given WRES groups with every fixed attribute drawn."""
    n = len(groups)
    ethnic = trust.mix.draw(rng, groups)
    staff_groups = draw_staff_groups(rng, groups)
    # Cumulative cut points of Yes | No | Not declared | blank.
    disability_cut = np.array(
        [
            config.disability_yes_share,
            1.0 - config.disability_not_declared_share - config.disability_blank_share,
            1.0 - config.disability_blank_share,
        ]
    )
    return People(
        group=groups,
        ethnic=inject_unrecognised(rng, ethnic, config.unrecognised_ethnicity_rate),
        true_ethnic=ethnic,
        staff_group=staff_groups,
        band=draw_bands(rng, staff_groups, groups),
        site=rng.choice(len(trust.sites), size=n, p=np.asarray(trust.site_weights)).astype(
            np.int16
        ),
        bank=rng.random(n) < config.bank_share,
        disability=np.searchsorted(disability_cut, rng.random(n), side="right").astype(np.int8),
    )


@dataclass(frozen=True, slots=True)
class Workforce:
    """A trust's panel: the people, and which person each staff row (person-year) is."""

    people: People
    row_person: np.ndarray
    row_year: np.ndarray
    #: ESR-like 8-digit staff number of person 0; people are numbered on from it.
    first_staff_number: int


def grow_workforce(
    rng: np.random.Generator, trust: Trust, config: SynthConfig, years: tuple[int, ...]
) -> Workforce:
    """Start with the first year's staff, then each year let some leave and hire joiners."""
    first = years[0]
    target = trust.headcount(first)
    groups = draw_groups(rng, target, trust.bme_share(config, first), trust.unknown_share)
    people = hire(rng, trust, config, groups)
    alive = np.arange(target)
    persons, row_years = [alive], [np.full(target, first, dtype=np.int32)]
    for year in years[1:]:
        alive = alive[rng.random(len(alive)) >= config.leaver_rate]
        target = trust.headcount(year)
        joiners = max(target - len(alive), 0)
        # Joiners' BME chance is whatever brings the year's BME share to its target.
        bme_wanted = trust.bme_share(config, year) * (len(alive) + joiners)
        bme_needed = bme_wanted - people.count(alive, BME)
        bme_chance = min(max(bme_needed / max(joiners, 1), 0.0), 1.0 - trust.unknown_share)
        new_groups = draw_groups(rng, joiners, bme_chance, trust.unknown_share)
        new_ids = np.arange(len(people.group), len(people.group) + joiners)
        people.extend(hire(rng, trust, config, new_groups))
        alive = np.concatenate([alive, new_ids])
        persons.append(alive)
        row_years.append(np.full(len(alive), year, dtype=np.int32))
    first_number = int(rng.integers(10_000_000, 60_000_000))
    return Workforce(people, np.concatenate(persons), np.concatenate(row_years), first_number)


def _group_rates(
    config: SynthConfig, indicator: int, years: np.ndarray, hot: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """Per-row probability of an indicator's event: White rate for White and Unknown."""
    distinct = np.unique(years)
    table = np.zeros((len(distinct), 2, 3))
    for i, year in enumerate(distinct):
        for hotspot in (False, True):
            white, bme = config.indicator_rates(indicator, int(year), hotspot=hotspot)
            table[i, int(hotspot)] = (white, bme, white)
    rates: np.ndarray = table[np.searchsorted(distinct, years), hot.astype(np.intp), groups]
    return rates


def staff_frame(
    rng: np.random.Generator, trust: Trust, config: SynthConfig, workforce: Workforce
) -> pl.DataFrame:
    """The staff rows of one trust for all years, values spelt in the trust's style."""
    people, person = workforce.people, workforce.row_person
    groups = people.group[person]
    hot = trust.hotspot_mask[people.site[person]]
    n = len(person)
    disabled = people.disability[person] == DISABLED
    capability_rate = config.capability_rate_not_disabled * np.where(
        disabled, config.capability_ratio_disabled, 1.0
    )
    style = trust.style
    return pl.DataFrame(
        {
            "year": workforce.row_year,
            "ethnicity": written_values(style.staff_ethnicity).gather(people.ethnic[person]),
            "band": pl.Series(band_spellings(style.band)).gather(people.band[person]),
            "staff_group": pl.Series(STAFF_GROUP_SPELLINGS[style.staff_group]).gather(
                people.staff_group[person]
            ),
            "disciplinary": rng.random(n)
            < _group_rates(config, 3, workforce.row_year, hot, groups),
            "training": rng.random(n) < _group_rates(config, 4, workforce.row_year, hot, groups),
            "site": pl.Series(trust.sites).gather(people.site[person]),
            "disability": pl.Series(DISABILITY_SPELLINGS, dtype=pl.String).gather(
                people.disability[person]
            ),
            "bank": people.bank[person],
            "capability": rng.random(n) < capability_rate,
            "staff_id": pl.Series(workforce.first_staff_number + person).cast(pl.String),
        }
    )
