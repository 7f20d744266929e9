"""The staff-survey and board extracts.

Survey respondents are a sample of the trust's non-bank staff each year (about 45%), answering
q5-q8 with the configured White and BME rates shifted by a small trust effect on the logit scale
(so trusts differ, as they do in the published survey). The survey asks ethnicity afresh: no typos
and no local sub-codes, written as plain labels. It asks disability afresh too (far more staff
tell the survey of a long-lasting condition than ESR records), and the WDES questions
(wres.engine.synth.disability).

Boards have 10-16 members a year, drawn afresh each year, with a BME share well below the
trust's workforce share, and disability as ESR records it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from wres.engine.synth.config import SynthConfig
from wres.engine.synth.disability import (
    board_disability,
    survey_column,
    survey_disability,
    wdes_answers,
)
from wres.engine.synth.ethnic_mix import draw_groups, written_values
from wres.engine.synth.organisations import Trust
from wres.engine.synth.spellings import STAFF_GROUP_SPELLINGS, EthnicityStyle, band_spellings
from wres.engine.synth.workforce import Workforce

QUESTIONS = ("q5", "q6", "q7", "q8")
#: Spread of trusts around the national answer rates, on the logit scale.
_TRUST_EFFECT_SD = 0.15
#: Executive directors on a board (the rest are the chair and non-executives), and the chance
#: that a member votes: most executives and non-executives vote; some are non-voting.
_EXECUTIVES = (5, 8)
_EXECUTIVE_VOTING = 0.75
_NON_EXECUTIVE_VOTING = 0.9


def _answer_rates(config: SynthConfig, effect: float, question: str) -> np.ndarray:
    """(White, BME, Unknown) yes-rates of one question in one trust; Unknown answers as White."""
    white, bme = getattr(config, f"survey_{question}_rates")
    rates = np.array([white, bme, white])
    logit = np.log(rates / (1.0 - rates)) + effect
    return 1.0 / (1.0 + np.exp(-logit))


def survey_frame(
    rng: np.random.Generator,
    trust: Trust,
    config: SynthConfig,
    workforce: Workforce,
    disability_rng: np.random.Generator,
) -> pl.DataFrame:
    """Respondents of one trust for all years (a sample of its non-bank staff rows).

    Disability and the WDES questions come from their own stream (``disability_rng``), after
    q5-q8 (see wres.engine.synth.disability).
    """
    people = workforce.people
    eligible = ~people.bank[workforce.row_person]
    responds = eligible & (rng.random(len(eligible)) < trust.survey_response_rate)
    person = workforce.row_person[responds]
    groups = people.group[person]
    years = workforce.row_year[responds]
    n = len(person)
    answers: dict[str, pl.Series] = {}
    chances: dict[str, np.ndarray] = {}
    for question in QUESTIONS:
        rates = _answer_rates(config, float(rng.normal(0.0, _TRUST_EFFECT_SD)), question)
        chances[question] = rates[groups]
        yes = rng.random(n) < chances[question]
        skipped = rng.random(n) < config.survey_item_nonresponse
        answers[question] = pl.Series(question, yes).scatter(np.flatnonzero(skipped), None)
    disability = survey_disability(disability_rng, config, years, answers, chances)
    style = trust.style
    return pl.DataFrame(
        {
            "year": years,
            "ethnicity": written_values(EthnicityStyle.LABELS, collapse_subcodes=True).gather(
                people.true_ethnic[person]
            ),
            **answers,
            "site": pl.Series(trust.sites).gather(people.site[person]),
            "band": pl.Series(band_spellings(style.band)).gather(people.band[person]),
            "staff_group": pl.Series(STAFF_GROUP_SPELLINGS[style.staff_group]).gather(
                people.staff_group[person]
            ),
            "disability": survey_column(disability),
            **wdes_answers(disability_rng, config, disability, answers),
        }
    )


def board_frame(
    rng: np.random.Generator,
    trust: Trust,
    config: SynthConfig,
    years: tuple[int, ...],
    disability_rng: np.random.Generator,
) -> pl.DataFrame:
    """Board members of one trust, year by year; disability from its own stream."""
    low, high = config.board_size
    year_parts, ethnic_parts, voting_parts, executive_parts = [], [], [], []
    for year in years:
        size = int(rng.integers(low, high + 1))
        bme_share = config.board_bme_relative_share * trust.bme_share(config, year)
        groups = draw_groups(rng, size, bme_share, trust.unknown_share / 2)
        executive = np.arange(size) < int(rng.integers(*_EXECUTIVES, endpoint=True))
        voting_chance = np.where(executive, _EXECUTIVE_VOTING, _NON_EXECUTIVE_VOTING)
        year_parts.append(np.full(size, year, dtype=np.int32))
        ethnic_parts.append(trust.mix.draw(rng, groups))
        voting_parts.append(rng.random(size) < voting_chance)
        executive_parts.append(executive)
    return pl.DataFrame(
        {
            "year": np.concatenate(year_parts),
            "ethnicity": written_values(trust.style.staff_ethnicity).gather(
                np.concatenate(ethnic_parts)
            ),
            "voting": np.concatenate(voting_parts),
            "executive": np.concatenate(executive_parts),
            "disability": board_disability(
                disability_rng, config, sum(len(part) for part in year_parts)
            ),
        }
    )
