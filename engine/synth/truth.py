"""The truth file: what was injected, so analyses of the synthetic data can be checked.

Byte-deterministic: no clock, no paths, keys in a fixed order, floats as Python writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wres.engine import __version__
from wres.engine.standards import load_standard
from wres.engine.synth.config import SynthConfig
from wres.engine.synth.disability import engagement_share_at_least
from wres.engine.synth.ethnic_mix import UNRECOGNISED_VALUES
from wres.engine.synth.organisations import Trust

_INDICATORS: dict[int, tuple[str, str]] = {
    2: (
        "appointment from shortlisting, applications with international = false",
        "White rate / BME rate",
    ),
    3: ("entering the formal disciplinary process, non-bank staff", "BME rate / White rate"),
    4: ("non-mandatory training and CPD, non-bank staff", "White rate / BME rate"),
}


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a run produced, beside its settings."""

    seed: int
    years: tuple[int, ...]
    output_format: str
    trusts: tuple[Trust, ...]
    rows: dict[str, int]
    unrecognised_rows: dict[str, int]


def _indicator(config: SynthConfig, indicator: int, years: tuple[int, ...]) -> dict[str, Any]:
    measure, direction = _INDICATORS[indicator]
    by_year: dict[str, Any] = {}
    for year in years:
        white, bme = config.indicator_rates(indicator, year, hotspot=False)
        hot_white, hot_bme = config.indicator_rates(indicator, year, hotspot=True)
        by_year[str(year)] = {
            "ratio": config.indicator_ratio(indicator, year, hotspot=False),
            "white_rate": white,
            "bme_rate": bme,
            "hotspot_ratio": config.indicator_ratio(indicator, year, hotspot=True),
            "hotspot_white_rate": hot_white,
            "hotspot_bme_rate": hot_bme,
        }
    factor = getattr(config, f"hotspot_factor_indicator{indicator}")
    return {
        "measure": measure,
        "direction": direction,
        "hotspot_factor": factor,
        "by_year": by_year,
    }


def _survey_question(config: SynthConfig, question: str) -> dict[str, Any]:
    """A WRES question's Disabled / Not disabled ratio (metrics 4a and 5)."""
    return {
        "column": question,
        "direction": "Disabled rate / Not disabled rate",
        "ratio": getattr(config, f"survey_disabled_ratio_{question}"),
        "note": "holds in every trust, year and ethnic group; the rate of all respondents is "
        f"the WRES one (config survey_{question}_rates, with the trust's effect)",
    }


def _rates(pair: tuple[float, float]) -> dict[str, float]:
    return {"not_disabled_rate": pair[0], "disabled_rate": pair[1]}


def wdes_truth(config: SynthConfig, years: tuple[int, ...]) -> dict[str, Any]:
    """The injected WDES values, by metric id (engine/data/standards/wdes.toml)."""
    threshold = load_standard("wdes").indicator(9).event_at_least or 0.0
    means, sd = config.survey_engagement_means, config.survey_engagement_sd
    return {
        "2": {
            "measure": "appointment from shortlisting, all applications",
            "direction": "Not disabled rate / Disabled rate",
            "by_year": {str(y): {"ratio": config.wdes_metric2_ratio.at(y)} for y in years},
            "note": "holds in every trust, year, site, ethnic group and campaign; Unknown "
            "disability has the Not disabled rate",
        },
        "3": {
            "measure": "entering the formal capability process, non-bank staff",
            "direction": "Disabled rate / Not disabled rate",
            "ratio": config.capability_ratio_disabled,
            "not_disabled_rate": config.capability_rate_not_disabled,
        },
        "4": _survey_question(config, "q5"),
        "41": _survey_question(config, "q6"),
        "42": {
            "column": "reported",
            "asked": "respondents answering yes to q5 or q6",
            **_rates(config.survey_reported_rates),
        },
        "5": _survey_question(config, "q7"),
        "6": {
            "column": "pressure",
            "asked": "respondents who came to work when unwell",
            "came_to_work_unwell": _rates(config.survey_unwell_at_work_rates),
            **_rates(config.survey_pressure_rates),
        },
        "7": {"column": "valued", **_rates(config.survey_valued_rates)},
        "8": {
            "column": "adjustments",
            "asked": "Disabled respondents who needed adjustments",
            "needed_adjustments": config.survey_adjustments_needed,
            "disabled_rate": config.survey_adjustments_made,
        },
        "9": {
            "column": "engagement",
            "threshold": threshold,
            "not_disabled_mean_before_rounding": means[0],
            "disabled_mean_before_rounding": means[1],
            "sd_before_rounding": sd,
            "not_disabled_rate": engagement_share_at_least(threshold, means[0], sd),
            "disabled_rate": engagement_share_at_least(threshold, means[1], sd),
        },
        "10": {
            "board_disabled_share": config.board_disabled_share,
            "board_not_declared_share": config.board_disability_not_declared_share,
            "workforce_disabled_share": config.disability_yes_share,
        },
        "notes": [
            "Survey disability is asked afresh: Disabled share of those answering per year "
            "(config survey_disabled_share); Unknown answers the WDES questions as Not disabled.",
            "Rates are of those asked; item non-response is config survey_item_nonresponse.",
        ],
    }


def truth_text(config: SynthConfig, facts: RunFacts) -> str:
    """The truth file's JSON text."""
    document: dict[str, Any] = {
        "generator": f"wres {__version__} synth",
        "seed": facts.seed,
        "years": list(facts.years),
        "format": facts.output_format,
        "rows": facts.rows,
        "indicators": {str(i): _indicator(config, i, facts.years) for i in (2, 3, 4)},
        "notes": [
            "Ratios are at non-hotspot sites; at hotspot sites they are multiplied by the "
            "indicator's hotspot_factor.",
            "Every BME group shares the BME rate; Unknown ethnicity has the White rate.",
            "Bank staff (bank = true) get events like everyone else and must be excluded.",
            "International applications (international = true) do not follow indicator 2.",
        ],
        "hotspot_sites": [site for trust in facts.trusts for site in trust.hotspots],
        "unrecognised_ethnicity": {
            "values": list(UNRECOGNISED_VALUES),
            "rows": facts.unrecognised_rows,
        },
        "wdes": wdes_truth(config, facts.years),
        "organisations": [
            {
                "code": trust.code,
                "region": trust.region,
                "headcount_2024": trust.size_2024,
                "sites": len(trust.sites),
                "hotspot_sites": list(trust.hotspots),
                "bme_share_target": {
                    str(year): round(trust.bme_share(config, year), 6) for year in facts.years
                },
            }
            for trust in facts.trusts
        ],
        "config": config.to_json(),
    }
    return json.dumps(document, indent=2) + "\n"
