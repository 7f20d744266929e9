"""Synthetic NHS trusts: region, code, size, sites, hotspots and how each writes its extracts.

Everything about trust ``k`` comes from its own random stream (``SeedSequence([seed, k])``) and
from ``k`` itself, never from how many trusts are generated: trust 3 is the same trust whether 5 or
210 are asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from wres.engine.schema import REGIONS
from wres.engine.synth.config import SynthConfig
from wres.engine.synth.ethnic_mix import EthnicMix, draw_trust_mix
from wres.engine.synth.spellings import WritingStyle, draw_writing_style

#: Approximate numbers of NHS trusts per NHS England region (2023/24, acute, mental health,
#: community and ambulance trusts), rounded to a total of 210. Midlands is the largest, so a
#: single synthetic trust is a Midlands trust.
REGION_TRUST_COUNTS: tuple[tuple[str, int], ...] = (
    ("Midlands", 37),
    ("North East and Yorkshire", 35),
    ("London", 34),
    ("North West", 31),
    ("South East", 30),
    ("East of England", 24),
    ("South West", 19),
)

# Trust codes: "R" + a letter + a letter or digit, as NHS trust codes look (RXH, RJ1). I and O
# are left out as real codes avoid them.
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ALPHANUMERIC = _LETTERS + "0123456789"
MAX_TRUSTS = len(_LETTERS) * len(_ALPHANUMERIC)
# A multiplier coprime with MAX_TRUSTS spreads consecutive trusts over the code space.
_CODE_STRIDE = 337

#: Staff per site: a trust of 4,000 has 10 sites, one of 20,000 has 50 (SPEC section 9).
STAFF_PER_SITE = 400
MIN_SITES = 5
MAX_SITES = 50


@dataclass(frozen=True, slots=True)
class Trust:
    """One synthetic organisation and its fixed characteristics."""

    index: int
    code: str
    region: str
    #: Substantive (non-bank) headcount in 2024; other years scale by ``growth``.
    size_2024: int
    growth: float
    sites: tuple[str, ...]
    #: Share of staff and applications at each site (sums to 1).
    site_weights: tuple[float, ...]
    hotspots: tuple[str, ...]
    #: Deviation of this trust's BME share from its region's, on the logit scale.
    bme_logit_offset: float
    unknown_share: float
    survey_response_rate: float
    style: WritingStyle
    mix: EthnicMix

    def headcount(self, year: int) -> int:
        """Substantive headcount in ``year``."""
        return max(1, round(self.size_2024 * (1.0 + self.growth) ** (year - 2024)))

    def bme_share(self, config: SynthConfig, year: int) -> float:
        """This trust's BME share of all staff in ``year``: its region's, shifted on the logit."""
        base = config.region_bme_share(self.region, year)
        logit = math.log(base / (1.0 - base)) + self.bme_logit_offset
        return 1.0 / (1.0 + math.exp(-logit))

    @property
    def hotspot_mask(self) -> np.ndarray:
        """One boolean per site: is it a hotspot."""
        hot = set(self.hotspots)
        return np.array([site in hot for site in self.sites], dtype=bool)


@cache
def region_sequence(count: int) -> tuple[str, ...]:
    """The region of trusts 0..count-1, proportional to REGION_TRUST_COUNTS for every prefix.

    Seats are handed out one at a time by the Sainte-Lague rule (the region with the highest
    weight / (2 * seats + 1) gets the next trust), so the allocation of the first N trusts is
    proportional for every N and trust k's region does not depend on N. For N = 210 the counts
    are exactly REGION_TRUST_COUNTS.
    """
    weights = dict(REGION_TRUST_COUNTS)
    seats = dict.fromkeys(weights, 0)
    order: list[str] = []
    for _ in range(count):
        best = max(weights, key=lambda r: (weights[r] / (2 * seats[r] + 1), -REGIONS.index(r)))
        seats[best] += 1
        order.append(best)
    return tuple(order)


def trust_code(index: int) -> str:
    """A unique NHS-style trust code for trust ``index`` (0 <= index < MAX_TRUSTS)."""
    if not 0 <= index < MAX_TRUSTS:
        msg = f"trust index {index} is outside 0..{MAX_TRUSTS - 1}"
        raise ValueError(msg)
    slot = (index * _CODE_STRIDE + 41) % MAX_TRUSTS
    return "R" + _LETTERS[slot // len(_ALPHANUMERIC)] + _ALPHANUMERIC[slot % len(_ALPHANUMERIC)]


def trust_rng(seed: int, index: int, stream: int) -> np.random.Generator:
    """The random stream ``stream`` of trust ``index``: 0 traits, 1 staff, 2 applications, ..."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, stream]))


def build_trust(seed: int, index: int, config: SynthConfig) -> Trust:
    """Trust ``index`` of the data set generated with ``seed``."""
    rng = trust_rng(seed, index, 0)
    code = trust_code(index)
    size = float(np.exp(rng.normal(math.log(config.trust_size_median), config.trust_size_sigma)))
    size_2024 = round(min(max(size, config.trust_size_min), config.trust_size_max))
    n_sites = min(max(round(size_2024 / STAFF_PER_SITE), MIN_SITES), MAX_SITES)
    sites = tuple(f"{code}{number:02d}" for number in range(1, n_sites + 1))
    # A main hospital site and many small ones: lognormal weights, largest first.
    raw = np.sort(rng.lognormal(0.0, 0.9, n_sites))[::-1]
    weights = tuple(float(w) for w in raw / raw.sum())
    n_hot = max(1, round(config.hotspot_site_share * n_sites))
    hot_index = np.sort(rng.choice(n_sites, size=n_hot, replace=False))
    style = draw_writing_style(rng)
    return Trust(
        index=index,
        code=code,
        region=region_sequence(MAX_TRUSTS)[index],
        size_2024=size_2024,
        growth=float(np.clip(rng.normal(config.growth_per_year, 0.01), -0.01, 0.06)),
        sites=sites,
        site_weights=weights,
        hotspots=tuple(sites[i] for i in hot_index),
        bme_logit_offset=float(rng.normal(0.0, config.trust_bme_logit_sd)),
        unknown_share=float(config.unknown_ethnicity_share * rng.uniform(0.6, 1.4)),
        survey_response_rate=float(
            np.clip(rng.normal(config.survey_response_rate, 0.06), 0.2, 0.8)
        ),
        style=style,
        mix=draw_trust_mix(rng, style.uses_subcodes),
    )
