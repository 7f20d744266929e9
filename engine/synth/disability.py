"""Disability in the applications, survey and board extracts, and the WDES survey questions.

Everything here is drawn after, and from other random streams than, the WRES columns, which stay
exactly as they were: disability is drawn *given* the outcomes already drawn, with Bayes' rule,
so that the outcomes of Disabled and Not disabled people differ by the injected ratio while the
outcome of everyone together is unchanged.

For metric 2: among shortlisted applicants with appointment chance ``p``, a share ``s`` Disabled
and a ratio ``R`` (Not disabled / Disabled), the Disabled rate is ``r = p / (s + (1 - s) R)``
and the others' ``R r``; so P(Disabled | appointed) = ``s r / p`` and P(Disabled | not
appointed) = ``s (1 - r) / (1 - p)``. For the survey, a respondent's chance of being Disabled
given the answers to q5-q7 is the share times each answer's likelihood ratio, P(answer |
Disabled) / P(answer); the answers of Disabled respondents are then independent with the
Disabled rates, and each question's Not disabled rate follows. The ratios hold exactly in the
generating probabilities of every trust, year and ethnic group.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from wres.engine.synth.config import SynthConfig
from wres.engine.synth.spellings import (
    DISABILITY_BLANK,
    DISABILITY_SPELLINGS,
    DISABLED,
    NOT_DECLARED,
    NOT_DISABLED,
)

#: The questions whose answers disability is drawn from, and the WDES metric each serves.
DRAWN_FROM: tuple[tuple[str, int], ...] = (("q5", 4), ("q6", 41), ("q7", 5))
#: Engagement scores come in steps of 10/36: nine items scored 0, 2.5, 5, 7.5 or 10, averaged
#: in three groups of three and then over the groups.
ENGAGEMENT_STEPS = 36

#: How recruitment systems and the survey write disability, by the generator's code.
APPLICANT_SPELLINGS: tuple[str | None, ...] = ("Yes", "No", "Prefer not to say", None)
SURVEY_SPELLINGS: tuple[str | None, ...] = ("Yes", "No", "Prefer not to say", None)
#: The satisfaction scale (metric 7): yes is satisfied or very satisfied.
VALUED_YES: tuple[tuple[str, float], ...] = (("Satisfied", 0.7), ("Very satisfied", 0.3))
VALUED_NO: tuple[tuple[str, float], ...] = (
    ("Neither satisfied nor dissatisfied", 0.45),
    ("Dissatisfied", 0.35),
    ("Very dissatisfied", 0.2),
)
ADJUSTMENTS_NOT_NEEDED = "No adjustment required"


def _split_unknown(rng: np.random.Generator, size: int, blank_share: float) -> np.ndarray:
    """Unknown disability written as not declared or as a blank."""
    return np.where(rng.random(size) < blank_share, DISABILITY_BLANK, NOT_DECLARED).astype(np.int8)


# --- applications (metric 2) ----------------------------------------------------------------------


def applicant_disability(
    rng: np.random.Generator,
    config: SynthConfig,
    *,
    years: np.ndarray,
    shortlisted: np.ndarray,
    appointed: np.ndarray,
    appointment_chance: np.ndarray,
) -> np.ndarray:
    """Disability code of each application, given whether it was shortlisted and appointed and
    the chance of appointment it was drawn with."""
    n = len(years)
    s = config.applicant_disabled_share
    unknown = config.applicant_not_declared_share + config.applicant_disability_blank_share
    ratio = np.array([config.wdes_metric2_ratio.at(int(y)) for y in years], dtype=np.float64)
    p = appointment_chance
    disabled_rate = p / (s + (1.0 - s) * ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        if_appointed = s * disabled_rate / p
        if_not = s * (1.0 - disabled_rate) / (1.0 - p)
    chance = np.where(~shortlisted, s, np.where(appointed, if_appointed, if_not))
    disabled = rng.random(n) < np.nan_to_num(chance)
    # the rest are Unknown or Not disabled whatever their outcome (Unknown has the others' rate)
    rest_unknown = rng.random(n) < unknown / (1.0 - s)
    blank_share = config.applicant_disability_blank_share / unknown if unknown else 0.0
    unknown_codes = _split_unknown(rng, n, blank_share)
    return np.where(disabled, DISABLED, np.where(rest_unknown, unknown_codes, NOT_DISABLED)).astype(
        np.int8
    )


def applicant_column(codes: np.ndarray) -> pl.Series:
    return pl.Series("disability", APPLICANT_SPELLINGS, dtype=pl.String).gather(codes)


# --- survey (metrics 4a, 4b, 5, 6, 7, 8, 9a) ----------------------------------------------------


def survey_disability(
    rng: np.random.Generator,
    config: SynthConfig,
    years: np.ndarray,
    answers: dict[str, pl.Series],
    chances: dict[str, np.ndarray],
) -> np.ndarray:
    """Disability code of each respondent as the survey asks it, given the answers to q5-q7
    (``answers``, null where skipped) and the chance of yes each was drawn with."""
    n = len(years)
    share = np.array([config.survey_disabled_share.at(int(y)) for y in years], dtype=np.float64)
    chance = share.copy()
    for question, _ in DRAWN_FROM:
        ratio = getattr(config, f"survey_disabled_ratio_{question}")
        p = chances[question]
        _, disabled = config.survey_rates_by_disability(p, ratio, share)
        yes = answers[question].fill_null(value=False).to_numpy()
        skipped = answers[question].is_null().to_numpy()
        factor = np.where(yes, disabled / p, (1.0 - disabled) / (1.0 - p))
        chance *= np.where(skipped, 1.0, factor)
    unanswered = rng.random(n) < config.survey_disability_unanswered
    disabled_draw = rng.random(n) < np.minimum(chance, 1.0)
    codes = np.where(disabled_draw, DISABLED, NOT_DISABLED)
    return np.where(unanswered, _split_unknown(rng, n, 0.5), codes).astype(np.int8)


def _by_disability(pair: tuple[float, float], disabled: np.ndarray) -> np.ndarray:
    """(Not disabled, Disabled) values per respondent; Unknown takes the Not disabled one."""
    return np.where(disabled, pair[1], pair[0])


def _nullable(values: np.ndarray, asked: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, values).scatter(np.flatnonzero(~asked), None)


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], size: int) -> pl.Series:
    labels = pl.Series([label for label, _ in options], dtype=pl.String)
    chances = np.array([chance for _, chance in options])
    return labels.gather(rng.choice(len(options), size=size, p=chances / chances.sum()))


def wdes_answers(
    rng: np.random.Generator, config: SynthConfig, codes: np.ndarray, answers: dict[str, pl.Series]
) -> dict[str, pl.Series]:
    """The columns of the WDES questions: reported, pressure, valued, adjustments, engagement."""
    n = len(codes)
    everyone = np.ones(n, dtype=bool)
    disabled = codes == DISABLED
    harassed = (
        answers["q5"].fill_null(value=False) | answers["q6"].fill_null(value=False)
    ).to_numpy()

    def answered(asked: np.ndarray) -> np.ndarray:
        return asked & (rng.random(n) >= config.survey_item_nonresponse)

    reported = rng.random(n) < _by_disability(config.survey_reported_rates, disabled)
    unwell = rng.random(n) < _by_disability(config.survey_unwell_at_work_rates, disabled)
    pressure = rng.random(n) < _by_disability(config.survey_pressure_rates, disabled)
    valued = rng.random(n) < _by_disability(config.survey_valued_rates, disabled)
    valued_text = pl.select(
        pl.when(pl.Series(valued))
        .then(_pick(rng, VALUED_YES, n))
        .otherwise(_pick(rng, VALUED_NO, n))
    ).to_series()
    needed = disabled & (rng.random(n) < config.survey_adjustments_needed)
    made = rng.random(n) < config.survey_adjustments_made
    adjustments = np.where(needed, np.where(made, "Yes", "No"), ADJUSTMENTS_NOT_NEEDED)
    latent = rng.normal(
        _by_disability(config.survey_engagement_means, disabled), config.survey_engagement_sd
    )
    steps = np.rint(np.clip(latent, 0.0, 10.0) * ENGAGEMENT_STEPS / 10.0)
    engagement = np.round(steps * 10.0 / ENGAGEMENT_STEPS, 2)
    return {
        "reported": _nullable(reported, answered(harassed), "reported"),
        "pressure": _nullable(pressure, answered(unwell), "pressure"),
        "valued": valued_text.alias("valued").scatter(np.flatnonzero(~answered(everyone)), None),
        "adjustments": _nullable(adjustments, answered(disabled), "adjustments"),
        "engagement": _nullable(engagement, answered(everyone), "engagement"),
    }


def survey_column(codes: np.ndarray) -> pl.Series:
    return pl.Series("disability", SURVEY_SPELLINGS, dtype=pl.String).gather(codes)


def engagement_share_at_least(threshold: float, mean: float, sd: float) -> float:
    """The chance that a generated engagement score is at least ``threshold``: the normal
    score before rounding must reach the lowest step that rounds to ``threshold`` or more."""
    lowest = next(
        k for k in range(ENGAGEMENT_STEPS + 1) if round(k * 10.0 / ENGAGEMENT_STEPS, 2) >= threshold
    )
    if lowest == 0:
        return 1.0
    boundary = (lowest - 0.5) * 10.0 / ENGAGEMENT_STEPS
    return 0.5 * math.erfc((boundary - mean) / (sd * math.sqrt(2.0)))


# --- board (metric 10) --------------------------------------------------------------------------


def board_disability(rng: np.random.Generator, config: SynthConfig, size: int) -> pl.Series:
    """Board members' disability as ESR records it (Yes, No, Not declared, blank)."""
    draw = rng.random(size)
    codes = np.where(
        draw < config.board_disabled_share,
        DISABLED,
        np.where(
            draw < config.board_disabled_share + config.board_disability_not_declared_share,
            _split_unknown(rng, size, 0.5),
            NOT_DISABLED,
        ),
    ).astype(np.int8)
    return pl.Series("disability", DISABILITY_SPELLINGS, dtype=pl.String).gather(codes)
