"""Settings of the synthetic data generator: every injected disparity and every scale, documented.

The defaults sit near the published national picture (NHS England WRES data analysis reports
2015-2024, NHS Staff Survey, NHS workforce statistics); docs/synthetic-data.md gives the source or
the reasoning for each value. The generator writes this object into the truth file, so an analysis
of the synthetic data can be checked against what was put in.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from wres.engine.errors import ConfigError
from wres.engine.schema import REGIONS

#: The years between which drifting values move linearly; outside them they are held flat.
FIRST_ANCHOR_YEAR = 2015
LAST_ANCHOR_YEAR = 2024


@dataclass(frozen=True, slots=True)
class Drift:
    """A value that moves linearly from ``first`` (2015) to ``last`` (2024), flat outside them."""

    first: float
    last: float

    def at(self, year: int) -> float:
        """The value in ``year``."""
        clamped = min(max(year, FIRST_ANCHOR_YEAR), LAST_ANCHOR_YEAR)
        step = (clamped - FIRST_ANCHOR_YEAR) / (LAST_ANCHOR_YEAR - FIRST_ANCHOR_YEAR)
        return self.first + (self.last - self.first) * step

    @property
    def extremes(self) -> tuple[float, float]:
        return min(self.first, self.last), max(self.first, self.last)


#: BME share of all staff (Unknown included in the denominator) in 2024, by region. London is
#: about half, the South West about a tenth; weighted by the default trust counts the nation
#: comes to about 26%.
DEFAULT_BME_SHARE_2024: tuple[tuple[str, float], ...] = (
    ("London", 0.50),
    ("South East", 0.22),
    ("South West", 0.11),
    ("Midlands", 0.29),
    ("East of England", 0.25),
    ("North West", 0.20),
    ("North East and Yorkshire", 0.16),
)


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """What the generator injects. Rates are probabilities per person (or application) per year.

    Indicator ratios follow SPEC section 2 directions (above 1 means BME disadvantage) and are the
    values at sites that are not hotspots. The White rate of each indicator is held fixed and the
    BME rate derived from the ratio, so the ratio holds exactly in the generating probabilities.
    Every BME group shares the BME rate; Unknown ethnicity gets the White rate.
    """

    # -- injected disparities (indicators 2-4) ---------------------------------------------------
    #: Indicator 2: White / BME appointment from shortlisting, non-international applications.
    indicator2_ratio: Drift = field(default_factory=lambda: Drift(1.70, 1.55))
    #: Indicator 3: BME / White entering the formal disciplinary process (non-bank staff).
    indicator3_ratio: Drift = field(default_factory=lambda: Drift(1.45, 1.15))
    #: Indicator 4: White / BME accessing non-mandatory training and CPD.
    indicator4_ratio: Drift = field(default_factory=lambda: Drift(1.15, 1.05))
    #: White shortlisted applicants appointed (indicator 2 reference rate).
    appointment_rate_white: float = 0.20
    #: White staff entering a formal disciplinary process in a year (about 0.75%: a trust of
    #: 3,000 staff sees a dozen or two cases, so indicator 3 is noisy in small trusts).
    disciplinary_rate_white: float = 0.0075
    #: White staff accessing non-mandatory training or CPD in a year.
    training_rate_white: float = 0.55
    #: Share of each trust's sites that are hotspots (at least one per trust).
    hotspot_site_share: float = 0.15
    #: At hotspot sites the indicator's ratio is multiplied by these factors.
    hotspot_factor_indicator2: float = 2.0
    hotspot_factor_indicator3: float = 2.0
    hotspot_factor_indicator4: float = 1.25

    # -- workforce ---------------------------------------------------------------------------------
    #: BME share of all staff in 2024 by region (see DEFAULT_BME_SHARE_2024).
    bme_share_2024: tuple[tuple[str, float], ...] = DEFAULT_BME_SHARE_2024
    #: Each year back from 2024 the BME share falls by this fraction of its 2024 value (0.027 of
    #: 26% is 0.7 percentage points a year nationally); flat before 2015 and after 2024.
    bme_share_relative_fall_per_year: float = 0.027
    #: Standard deviation of a trust's BME share around its region's, on the logit scale.
    trust_bme_logit_sd: float = 0.25
    #: Mean share of staff of Unknown ethnicity (written Z, 99 or blank); trusts vary 0.6x to 1.4x.
    unknown_ethnicity_share: float = 0.03
    #: Injected values that no ethnicity scheme recognises (typos), per staff member or applicant.
    unrecognised_ethnicity_rate: float = 0.0002
    #: Substantive headcount in 2024: lognormal median and sigma, clipped to [min, max].
    trust_size_median: float = 5_900.0
    trust_size_sigma: float = 0.55
    trust_size_min: int = 2_000
    trust_size_max: int = 20_000
    #: Mean yearly headcount growth; trusts vary (sd 1 point) and earlier years are smaller.
    growth_per_year: float = 0.02
    #: Staff leaving each year; joiners replace them and bring the growth.
    leaver_rate: float = 0.10
    #: Staff on the bank (excluded from every indicator), as a share of rows.
    bank_share: float = 0.05
    #: Disability as declared in ESR: Yes, and the two ways of not declaring (text and blank).
    disability_yes_share: float = 0.04
    disability_not_declared_share: float = 0.15
    disability_blank_share: float = 0.12
    #: Entering the formal capability process in a year (non-disabled; WDES metric 3).
    capability_rate_not_disabled: float = 0.003
    #: Disabled / non-disabled capability ratio.
    capability_ratio_disabled: float = 1.5

    # -- recruitment -------------------------------------------------------------------------------
    #: Applications per head of a trust's headcount per year (campaigns come on top).
    applications_per_head: float = 0.8
    #: Shortlisting rates; with the applicant mix about 45% of applications are shortlisted.
    shortlist_rate_white: float = 0.50
    shortlist_rate_bme: float = 0.40
    #: Applicants' BME odds relative to the trust's workforce (applicant pools are more diverse).
    applicant_bme_odds_ratio: float = 2.0
    #: Chance that a trust runs a bulk international recruitment campaign in a year.
    international_campaign_chance_to_2019: float = 0.04
    international_campaign_chance_from_2020: float = 0.30
    #: Campaign applications per head of headcount: uniform between these.
    international_applications_per_head: tuple[float, float] = (0.01, 0.04)
    international_bme_share: float = 0.92
    international_shortlist_rate: float = 0.97
    international_appointment_rate: float = 0.75

    # -- staff survey and board --------------------------------------------------------------------
    #: Mean response rate of non-bank staff; trusts vary (sd 6 points).
    survey_response_rate: float = 0.45
    #: (White, BME) share answering yes to q5-q8, before a small per-trust effect.
    survey_q5_rates: tuple[float, float] = (0.26, 0.30)
    survey_q6_rates: tuple[float, float] = (0.23, 0.28)
    survey_q7_rates: tuple[float, float] = (0.59, 0.46)
    survey_q8_rates: tuple[float, float] = (0.065, 0.165)
    #: Respondents skipping a question (a blank answer).
    survey_item_nonresponse: float = 0.02
    #: Board members per trust per year: uniform between these, inclusive.
    board_size: tuple[int, int] = (10, 16)
    #: BME share on the board as a fraction of the trust's workforce share.
    board_bme_relative_share: float = 0.5

    # -- WDES: disability in applications, the survey and the board ------------------------------
    #: Metric 2: Not disabled / Disabled appointment from shortlisting, all applications.
    wdes_metric2_ratio: Drift = field(default_factory=lambda: Drift(1.25, 1.00))
    #: Applicants' disability as recruitment systems record it: Yes, "Prefer not to say", blank.
    applicant_disabled_share: float = 0.07
    applicant_not_declared_share: float = 0.05
    applicant_disability_blank_share: float = 0.03
    #: Respondents who tell the survey they have a long-lasting condition or illness (Disabled),
    #: of those who answer the question; the survey asks afresh, so far more than ESR records.
    survey_disabled_share: Drift = field(default_factory=lambda: Drift(0.18, 0.24))
    #: Respondents who do not answer the disability question ("Prefer not to say" or blank).
    survey_disability_unanswered: float = 0.03
    #: Disabled / Not disabled yes-rate of q5, q6 and q7 (WDES metrics 4a and 5). Each question's
    #: rate over all respondents stays the WRES one (survey_q*_rates): disability is drawn after
    #: the answers, so the WRES figures do not move.
    survey_disabled_ratio_q5: float = 1.30
    survey_disabled_ratio_q6: float = 1.55
    survey_disabled_ratio_q7: float = 0.88
    #: (Not disabled, Disabled) rates of the WDES questions; Unknown answers as Not disabled.
    #: Metric 4b, asked of respondents answering yes to q5 or q6: they or a colleague reported it.
    survey_reported_rates: tuple[float, float] = (0.47, 0.49)
    #: Came to work in the last three months despite not feeling well enough (asked metric 6).
    survey_unwell_at_work_rates: tuple[float, float] = (0.55, 0.65)
    #: Metric 6: felt pressure from their manager to come to work, of those who came unwell.
    survey_pressure_rates: tuple[float, float] = (0.20, 0.27)
    #: Metric 7: satisfied or very satisfied with the extent the organisation values their work.
    survey_valued_rates: tuple[float, float] = (0.43, 0.33)
    #: Disabled respondents who needed adjustments (the rest answer "No adjustment required"),
    #: and metric 8: of those, the employer made adequate adjustments.
    survey_adjustments_needed: float = 0.70
    survey_adjustments_made: float = 0.73
    #: Metric 9a: engagement score (0-10, in steps of 10/36 as the survey's nine items make it):
    #: (Not disabled, Disabled) mean of a normal score before rounding, and its sd.
    survey_engagement_means: tuple[float, float] = (7.0, 6.5)
    survey_engagement_sd: float = 1.9
    #: Metric 10: board members declared Disabled, and not declared (written "Not declared" or
    #: blank, half each).
    board_disabled_share: float = 0.05
    board_disability_not_declared_share: float = 0.15

    def __post_init__(self) -> None:
        self._check_probabilities()
        self._check_positive()
        self._check_regions()
        self._check_derived_rates()

    # -- validation --------------------------------------------------------------------------------
    def _check_probabilities(self) -> None:
        for name in _PROBABILITIES:
            _require(0.0 <= getattr(self, name) <= 1.0, name, "a probability between 0 and 1")
        for name in ("survey_q5_rates", "survey_q6_rates", "survey_q7_rates", "survey_q8_rates"):
            _require(all(0.0 <= v <= 1.0 for v in getattr(self, name)), name, "two probabilities")
        lo, hi = self.international_applications_per_head
        _require(0.0 <= lo <= hi, "international_applications_per_head", "0 <= low <= high")
        disability = (
            self.disability_yes_share
            + self.disability_not_declared_share
            + self.disability_blank_share
        )
        _require(disability <= 1.0, "disability_*_share", "shares summing to at most 1")
        for name in _RATE_PAIRS:
            _require(all(0.0 <= v <= 1.0 for v in getattr(self, name)), name, "two probabilities")
        applicants = (
            self.applicant_disabled_share
            + self.applicant_not_declared_share
            + self.applicant_disability_blank_share
        )
        _require(applicants <= 1.0, "applicant_*_share", "shares summing to at most 1")
        board = self.board_disabled_share + self.board_disability_not_declared_share
        _require(board <= 1.0, "board_*_share", "shares summing to at most 1")
        low, high = self.survey_disabled_share.extremes
        _require(low > 0.0 and high < 1.0, "survey_disabled_share", "shares between 0 and 1")
        lo, hi = self.survey_engagement_means
        _require(min(lo, hi) >= 0.0 and max(lo, hi) <= 10.0, "survey_engagement_means", "0 to 10")

    def _check_positive(self) -> None:
        for name in (
            "indicator2_ratio",
            "indicator3_ratio",
            "indicator4_ratio",
            "wdes_metric2_ratio",
        ):
            _require(getattr(self, name).extremes[0] > 0.0, name, "ratios above 0")
        for name in _POSITIVE:
            _require(getattr(self, name) > 0.0, name, "a number above 0")
        _require(
            0 < self.trust_size_min <= self.trust_size_max,
            "trust_size_min",
            "0 < trust_size_min <= trust_size_max",
        )
        low, high = self.board_size
        _require(1 <= low <= high, "board_size", "1 <= low <= high")

    def _check_regions(self) -> None:
        named = [region for region, _ in self.bme_share_2024]
        if sorted(named) != sorted(REGIONS):
            msg = f"bme_share_2024 must give one share for each region: {list(REGIONS)}"
            raise ConfigError(msg)
        for region, share in self.bme_share_2024:
            _require(0.0 < share < 1.0, f"bme_share_2024[{region}]", "a share between 0 and 1")

    def _check_derived_rates(self) -> None:
        """The BME rates derived from the ratios must be probabilities at every year."""
        worst = {
            "indicator 2": self.appointment_rate_white
            / (self.indicator2_ratio.extremes[0] * min(1.0, self.hotspot_factor_indicator2)),
            "indicator 3": self.disciplinary_rate_white
            * self.indicator3_ratio.extremes[1]
            * max(1.0, self.hotspot_factor_indicator3),
            "indicator 4": self.training_rate_white
            / (self.indicator4_ratio.extremes[0] * min(1.0, self.hotspot_factor_indicator4)),
            "capability": self.capability_rate_not_disabled * self.capability_ratio_disabled,
        }
        worst |= self._wdes_worst_rates()
        for what, rate in worst.items():
            if rate > 1.0:
                msg = (
                    f"the {what} settings give a rate of {rate:.3f} for one group, above 1; "
                    f"lower the White rate or bring the ratio closer to 1"
                )
                raise ConfigError(msg)

    def _wdes_worst_rates(self) -> dict[str, float]:
        """The highest probabilities the WDES injections derive (each must be at most 1).

        Metric 2: with appointment rate p (any group, site or campaign), the Disabled rate is
        p / (s + (1 - s) R) and the others' R times it. The survey: a respondent's chance of
        being Disabled given q5-q7 is the share times each answer's likelihood ratio, largest
        for a question rate 4 trust-effect sds (0.6 on the logit) from its configured value.
        """
        appoint = max(
            self.international_appointment_rate,
            *(
                rate
                for year in (FIRST_ANCHOR_YEAR, LAST_ANCHOR_YEAR)
                for hotspot in (False, True)
                for rate in self.indicator_rates(2, year, hotspot=hotspot)
            ),
        )
        s = self.applicant_disabled_share
        metric2 = max(
            appoint * max(1.0, ratio) / (s + (1.0 - s) * ratio)
            for ratio in self.wdes_metric2_ratio.extremes
        )
        share = self.survey_disabled_share.extremes[1]
        chance = share
        for question in ("q5", "q6", "q7"):
            ratio = getattr(self, f"survey_disabled_ratio_{question}")
            chance *= max(
                _likelihood_ratios(_shift(p, shift), share, ratio)
                for p in getattr(self, f"survey_{question}_rates")
                for shift in (-0.6, 0.6)
            )
        return {"WDES metric 2": metric2, "WDES survey disability": chance}

    def survey_rates_by_disability(
        self, rate: np.ndarray, ratio: float, share: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(Not disabled, Disabled) yes-rates whose mix at ``share`` Disabled is ``rate`` and
        whose ratio (Disabled / Not disabled) is ``ratio``."""
        not_disabled = rate / (share * ratio + 1.0 - share)
        return not_disabled, ratio * not_disabled

    # -- derived values ----------------------------------------------------------------------------
    def region_bme_share(self, region: str, year: int) -> float:
        """The region's BME share of all staff in ``year`` (before per-trust variation)."""
        share_2024 = dict(self.bme_share_2024)[region]
        clamped = min(max(year, FIRST_ANCHOR_YEAR), LAST_ANCHOR_YEAR)
        return share_2024 * (1.0 - self.bme_share_relative_fall_per_year * (2024 - clamped))

    def indicator_ratio(self, indicator: int, year: int, *, hotspot: bool) -> float:
        """The true ratio of indicator 2, 3 or 4 in ``year``, at a hotspot site or elsewhere."""
        drift, factor = {
            2: (self.indicator2_ratio, self.hotspot_factor_indicator2),
            3: (self.indicator3_ratio, self.hotspot_factor_indicator3),
            4: (self.indicator4_ratio, self.hotspot_factor_indicator4),
        }[indicator]
        return drift.at(year) * (factor if hotspot else 1.0)

    def indicator_rates(self, indicator: int, year: int, *, hotspot: bool) -> tuple[float, float]:
        """(White rate, BME rate) that generate indicator 2, 3 or 4 in ``year``.

        The White rate is fixed; the BME rate is set so that the SPEC ratio is exact: White/BME
        for indicators 2 and 4, BME/White for indicator 3.
        """
        ratio = self.indicator_ratio(indicator, year, hotspot=hotspot)
        if indicator == 2:
            return self.appointment_rate_white, self.appointment_rate_white / ratio
        if indicator == 3:
            return self.disciplinary_rate_white, self.disciplinary_rate_white * ratio
        return self.training_rate_white, self.training_rate_white / ratio

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists), in field order."""
        return asdict(self)


def _shift(p: float, logit: float) -> float:
    """``p`` moved by ``logit`` on the logit scale (kept inside 0..1)."""
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return 1.0 / (1.0 + math.exp(-(math.log(p / (1.0 - p)) + logit)))


def _likelihood_ratios(p: float, share: float, ratio: float) -> float:
    """The larger of P(answer | Disabled) / P(answer) over yes and no, for a question answered
    yes with chance ``p`` overall and ``ratio`` times as often by Disabled respondents."""
    disabled = ratio * p / (share * ratio + 1.0 - share)
    if disabled > 1.0:
        return math.inf
    return max(disabled / p, (1.0 - disabled) / (1.0 - p))


_RATE_PAIRS = (
    "survey_reported_rates",
    "survey_unwell_at_work_rates",
    "survey_pressure_rates",
    "survey_valued_rates",
)
_PROBABILITIES = (
    "appointment_rate_white",
    "disciplinary_rate_white",
    "training_rate_white",
    "hotspot_site_share",
    "bme_share_relative_fall_per_year",
    "unknown_ethnicity_share",
    "unrecognised_ethnicity_rate",
    "growth_per_year",
    "leaver_rate",
    "bank_share",
    "disability_yes_share",
    "disability_not_declared_share",
    "disability_blank_share",
    "capability_rate_not_disabled",
    "shortlist_rate_white",
    "shortlist_rate_bme",
    "international_campaign_chance_to_2019",
    "international_campaign_chance_from_2020",
    "international_bme_share",
    "international_shortlist_rate",
    "international_appointment_rate",
    "survey_response_rate",
    "survey_item_nonresponse",
    "board_bme_relative_share",
    "applicant_disabled_share",
    "applicant_not_declared_share",
    "applicant_disability_blank_share",
    "survey_disability_unanswered",
    "survey_adjustments_needed",
    "survey_adjustments_made",
    "board_disabled_share",
    "board_disability_not_declared_share",
)
_POSITIVE = (
    "hotspot_factor_indicator2",
    "hotspot_factor_indicator3",
    "hotspot_factor_indicator4",
    "trust_size_median",
    "trust_size_sigma",
    "capability_ratio_disabled",
    "applications_per_head",
    "applicant_bme_odds_ratio",
    "survey_disabled_ratio_q5",
    "survey_disabled_ratio_q6",
    "survey_disabled_ratio_q7",
    "survey_engagement_sd",
)


def _require(ok: bool, name: str, expected: str) -> None:
    if not ok:
        msg = f"synthetic data setting {name} must be {expected}"
        raise ConfigError(msg)
