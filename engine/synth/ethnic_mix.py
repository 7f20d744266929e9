"""Which ethnic categories synthetic people have, and how each trust writes them.

A person carries an index into ``VOCABULARY`` (a national category such as ``H``, a local sub-code
such as ``SC``, an Unknown code, or a deliberately unrecognised typo) and a WRES group (White, BME,
Unknown) that drives the rates of every event. The written value comes from the trust's style.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from wres.engine.ethnicity import default_scheme
from wres.engine.synth.spellings import EthnicityStyle

#: WRES groups as the generator codes them.
WHITE, BME, UNKNOWN = 0, 1, 2

#: Mix of national categories inside White and inside BME, roughly the NHS workforce (NHS
#: workforce statistics by ethnic category): British dominant in White with a large Other White
#: group; Indian, African, Other Asian and Any other ethnic group (many Filipino nurses) largest
#: in BME. Each trust's mix varies around these (Dirichlet, concentration 200).
WHITE_CATEGORIES: dict[str, float] = {"A": 0.84, "B": 0.025, "C": 0.135}
BME_CATEGORIES: dict[str, float] = {
    "D": 0.020, "E": 0.015, "F": 0.020, "G": 0.025,
    "H": 0.215, "J": 0.050, "K": 0.020, "L": 0.120,
    "M": 0.050, "N": 0.190, "P": 0.030,
    "R": 0.025, "S": 0.200,
}  # fmt: skip
_MIX_CONCENTRATION = 200.0

#: In trusts whose ESR uses local sub-codes, the share of a category written with each sub-code
#: (the rest keep the one-character code).
SUBCODE_SPLIT: dict[str, dict[str, float]] = {
    "C": {"CP": 0.25, "CY": 0.15, "CK": 0.05, "CF": 0.04, "CQ": 0.03, "CX": 0.03, "C3": 0.10},
    "G": {"GF": 0.30, "GC": 0.10},
    "L": {"LB": 0.10, "LE": 0.15, "LF": 0.05, "LK": 0.10},
    "P": {"PC": 0.40, "PA": 0.10, "PE": 0.10},
    "S": {"SC": 0.45, "SA": 0.03, "SE": 0.15},
}

#: Bulk international campaigns recruit mostly from India, the Philippines and Africa.
INTERNATIONAL_BME_CATEGORIES: dict[str, float] = {
    "H": 0.35,
    "L": 0.10,
    "N": 0.20,
    "P": 0.10,
    "S": 0.25,
}
_INTERNATIONAL_SUBCODES = {"P": "PC", "S": "SC"}  # Nigerian, Filipino

#: Unknown ethnicity: Z (not stated), 99 (not known) or a blank; "" stands for the blank.
UNKNOWN_CODES: dict[str, float] = {"Z": 0.5, "99": 0.3, "": 0.2}

#: Typos injected at a low rate; no scheme recognises them, so they must come out as Unknown
#: (unrecognised), counted and reported by the readers.
UNRECOGNISED_VALUES: tuple[str, ...] = (
    "Whte British",
    "Asain - Indian",
    "Blak African",
    "Other Europen",
    "Brit",
    "W1",
)

_CATEGORY_CODES = tuple(sorted({*WHITE_CATEGORIES, *BME_CATEGORIES}))
_SUBCODES = tuple(sub for split in SUBCODE_SPLIT.values() for sub in split)
#: Every value a synthetic person can carry, in a fixed order.
VOCABULARY: tuple[str, ...] = (
    *_CATEGORY_CODES,
    *_SUBCODES,
    *UNKNOWN_CODES,
    *UNRECOGNISED_VALUES,
)
_POSITION = {code: i for i, code in enumerate(VOCABULARY)}
#: Positions of the typos: a person given one of these keeps their true group for events.
UNRECOGNISED_IDS = np.array([_POSITION[v] for v in UNRECOGNISED_VALUES], dtype=np.int16)

_UNKNOWN_LABELS = {
    EthnicityStyle.CODES: {"Z": "Z", "99": "99"},
    EthnicityStyle.ESR_LABELS: {"Z": "Z Not Stated", "99": "99 Not Known"},
    EthnicityStyle.LABELS: {"Z": "Not stated", "99": "Not known"},
}


def _written(code: str, style: EthnicityStyle, collapse_subcodes: bool) -> str | None:
    scheme = default_scheme()
    if code in UNRECOGNISED_VALUES:
        return code
    if code in UNKNOWN_CODES:
        return _UNKNOWN_LABELS[style].get(code)  # the blank has no spelling: None
    if collapse_subcodes:
        code = code[0]
    label = scheme.labels[code] if len(code) == 1 else scheme.subcode_labels[code]
    if style is EthnicityStyle.CODES:
        return code
    if style is EthnicityStyle.ESR_LABELS:
        return f"{code} {label}"
    return label


def written_values(style: EthnicityStyle, *, collapse_subcodes: bool = False) -> pl.Series:
    """How ``style`` writes each VOCABULARY entry (None for a blank), for ``gather``.

    ``collapse_subcodes`` writes a sub-code as its national category, as the staff survey does.
    """
    return pl.Series(
        "ethnicity",
        [_written(code, style, collapse_subcodes) for code in VOCABULARY],
        dtype=pl.String,
    )


@dataclass(frozen=True, slots=True)
class GroupMix:
    """Within one WRES group: the vocabulary entries a person can get and their chances."""

    ids: tuple[int, ...]
    chances: tuple[float, ...]

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        ids = np.array(self.ids, dtype=np.int16)
        return ids[rng.choice(len(ids), size=size, p=np.array(self.chances))]


def _mix(weights: dict[str, float], uses_subcodes: bool) -> GroupMix:
    ids: list[int] = []
    chances: list[float] = []
    for code, weight in weights.items():
        split = SUBCODE_SPLIT.get(code, {}) if uses_subcodes and len(code) == 1 else {}
        for sub, share in split.items():
            ids.append(_POSITION[sub])
            chances.append(weight * share)
        ids.append(_POSITION[code])
        chances.append(weight * (1.0 - sum(split.values())))
    total = sum(chances)
    return GroupMix(tuple(ids), tuple(chance / total for chance in chances))


def _jitter(rng: np.random.Generator, weights: dict[str, float]) -> dict[str, float]:
    shares = rng.dirichlet(_MIX_CONCENTRATION * np.array(list(weights.values())))
    return dict(zip(weights, (float(s) for s in shares), strict=True))


@dataclass(frozen=True, slots=True)
class EthnicMix:
    """One trust's mix of ethnic values inside each WRES group."""

    white: GroupMix
    bme: GroupMix
    unknown: GroupMix
    international_bme: GroupMix

    def draw(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """A vocabulary entry for each person of the given WRES ``groups``."""
        out = np.empty(len(groups), dtype=np.int16)
        for group, mix in ((WHITE, self.white), (BME, self.bme), (UNKNOWN, self.unknown)):
            where = np.flatnonzero(groups == group)
            out[where] = mix.draw(rng, len(where))
        return out


def draw_trust_mix(rng: np.random.Generator, uses_subcodes: bool) -> EthnicMix:
    """A trust's mix: the national one jittered, sub-codes if its ESR uses them."""
    international = {
        (_INTERNATIONAL_SUBCODES.get(code, code) if uses_subcodes else code): weight
        for code, weight in INTERNATIONAL_BME_CATEGORIES.items()
    }
    return EthnicMix(
        white=_mix(_jitter(rng, WHITE_CATEGORIES), uses_subcodes),
        bme=_mix(_jitter(rng, BME_CATEGORIES), uses_subcodes),
        unknown=_mix(UNKNOWN_CODES, uses_subcodes=False),
        international_bme=_mix(international, uses_subcodes=False),
    )


def draw_groups(
    rng: np.random.Generator, size: int, bme_share: float, unknown_share: float
) -> np.ndarray:
    """WRES groups for ``size`` people: BME with ``bme_share``, Unknown with ``unknown_share``."""
    draw = rng.random(size)
    groups = np.full(size, WHITE, dtype=np.int8)
    groups[draw < bme_share + unknown_share] = UNKNOWN
    groups[draw < bme_share] = BME
    return groups


def inject_unrecognised(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    """``values`` with about ``rate`` of them replaced by unrecognised typos (a new array)."""
    hit = np.flatnonzero(rng.random(len(values)) < rate)
    out = values.copy()
    out[hit] = rng.choice(UNRECOGNISED_IDS, size=len(hit))
    return out
