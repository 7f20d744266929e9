"""How a synthetic trust writes its values: the spellings real extracts use for the same thing.

Each trust picks one style per kind of value, so a national file mixes them as a file assembled
from many trusts' returns does. Every spelling here is one that ``wres.engine.schema`` and
``wres.engine.ethnicity`` accept; the tests check that.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import numpy as np

from wres.engine.schema import BANDS, STAFF_GROUPS

T = TypeVar("T")


class EthnicityStyle(StrEnum):
    """How ethnicity is written."""

    CODES = "codes"  # "A", "CP", "Z", "99"
    ESR_LABELS = "esr labels"  # "A White - British", "CP White - Polish", "Z Not Stated"
    LABELS = "labels"  # "White - British", "White - Polish", "Not stated"


class BandStyle(StrEnum):
    """How pay bands and medical grades are written."""

    CANONICAL = "canonical"  # "Band 5", "Band 8a", "Under Band 1", "VSM", "Consultant"
    AFC = "afc"  # "AfC Band 5", "AfC Band 8A"
    RANGE = "range"  # "Band 8 - Range A", "Very Senior Manager", "Specialty doctor"
    BARE = "bare"  # "5", "8A", "Under 1", "NCCG"


_MEDICAL_SPELLINGS: dict[BandStyle, tuple[str, str, str, str]] = {
    BandStyle.CANONICAL: (
        "Consultant",
        "Non-consultant career grade",
        "Trainee grade",
        "Other medical",
    ),
    BandStyle.AFC: ("Consultant", "Non-consultant career grade", "Trainee grade", "Other medical"),
    BandStyle.RANGE: (
        "Consultants",
        "Specialty doctor",
        "Doctor in training",
        "Other medical grade",
    ),
    BandStyle.BARE: ("Consultant", "NCCG", "Trainee", "Other"),
}


def _afc_spelling(band: str, style: BandStyle) -> str:
    if band in ("Under Band 1", "VSM"):
        return {
            BandStyle.RANGE: {"Under Band 1": "Under 1", "VSM": "Very Senior Manager"},
            BandStyle.BARE: {"Under Band 1": "Under 1", "VSM": "VSM"},
        }.get(style, {}).get(band, band)
    number = band.removeprefix("Band ")  # "5", "8a"
    if style is BandStyle.AFC:
        return f"AfC Band {number.upper()}"
    if style is BandStyle.RANGE and len(number) == 2:
        return f"Band 8 - Range {number[1].upper()}"
    if style is BandStyle.BARE:
        return number.upper()
    return band


def band_spellings(style: BandStyle) -> tuple[str, ...]:
    """How ``style`` writes each of ``schema.BANDS``, in that order."""
    afc = tuple(_afc_spelling(band, style) for band in BANDS[: -len(_MEDICAL_SPELLINGS[style])])
    return afc + _MEDICAL_SPELLINGS[style]


#: Spellings of schema.STAFF_GROUPS (in its order), by style name.
STAFF_GROUP_SPELLINGS: dict[str, tuple[str, ...]] = {
    "canonical": STAFF_GROUPS,
    "long": ("Non-clinical staff", "Clinical staff", "Medical and dental"),
    "plain": ("Non clinical", "Clinical", "Medical & Dental"),
}

#: (true, false) as written in CSV; Parquet files carry real booleans.
CSV_BOOLEAN_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("true", "false"),
    ("Y", "N"),
    ("Yes", "No"),
    ("1", "0"),
)

#: Disability as ESR writes it, indexed by the generator's disability code (3 is a blank).
DISABILITY_SPELLINGS: tuple[str | None, ...] = ("Yes", "No", "Not declared", None)
DISABLED, NOT_DISABLED, NOT_DECLARED, DISABILITY_BLANK = range(4)


@dataclass(frozen=True, slots=True)
class WritingStyle:
    """The spellings one trust uses in its extracts."""

    staff_ethnicity: EthnicityStyle
    applications_ethnicity: EthnicityStyle
    #: Whether the trust's ESR uses local two-character sub-codes (CP, LB, SC, ...).
    uses_subcodes: bool
    band: BandStyle
    staff_group: str
    csv_boolean: tuple[str, str]


def _pick(rng: np.random.Generator, options: tuple[T, ...], chances: tuple[float, ...]) -> T:
    return options[int(rng.choice(len(options), p=np.asarray(chances)))]


def draw_writing_style(rng: np.random.Generator) -> WritingStyle:
    """A trust's style: ESR codes or labels for staff, labels more often from recruitment."""
    ethnicity = (EthnicityStyle.CODES, EthnicityStyle.ESR_LABELS, EthnicityStyle.LABELS)
    return WritingStyle(
        staff_ethnicity=_pick(rng, ethnicity, (0.40, 0.45, 0.15)),
        applications_ethnicity=_pick(rng, ethnicity, (0.25, 0.25, 0.50)),
        uses_subcodes=bool(rng.random() < 0.5),
        band=_pick(rng, tuple(BandStyle), (0.50, 0.20, 0.20, 0.10)),
        staff_group=_pick(rng, tuple(STAFF_GROUP_SPELLINGS), (0.60, 0.20, 0.20)),
        csv_boolean=_pick(rng, CSV_BOOLEAN_SPELLINGS, (0.40, 0.25, 0.25, 0.10)),
    )
