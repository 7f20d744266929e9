"""The truth file: what was injected, so analyses of the synthetic data can be checked.

Byte-deterministic: no clock, no paths, keys in a fixed order, floats as Python writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine import __version__
from engine.synth.config import SynthConfig
from engine.synth.ethnic_mix import UNRECOGNISED_VALUES
from engine.synth.organisations import Trust

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
        "wdes_capability": {
            "rate_not_disabled": config.capability_rate_not_disabled,
            "ratio_disabled_to_not_disabled": config.capability_ratio_disabled,
        },
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
