"""What the four record-level extracts hold (SPEC section 4) and the vocabularies of their columns.

This module is the single place that says which columns an extract needs, of what kind, and how
each spelling seen in real extracts maps to a canonical value. Readers and the synthetic generator
both use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    """How a column is read and checked."""

    YEAR = "year"
    ETHNICITY = "ethnicity"
    BAND = "band"
    STAFF_GROUP = "staff group"
    BOOL = "boolean"
    OPTIONAL_BOOL = "boolean or blank"  # blank is allowed and counted (a skipped survey question)
    DISABILITY = "disability"
    #: a survey answer read as yes/no: yes/no spellings, satisfaction and agreement scales;
    #: blank, "not applicable", "no adjustment required" and "don't know" are not answers
    ANSWER = "survey answer"
    #: a score from 0 to 10 (the staff-survey engagement score), blank allowed
    SCORE = "score from 0 to 10"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an extract: its default name, how it is read, whether it must be present."""

    name: str
    kind: Kind
    required: bool


@dataclass(frozen=True, slots=True)
class Extract:
    """A record-level extract: what one row is, and its columns."""

    name: str
    row_is: str
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        msg = f"extract {self.name!r} has no column {name!r}"
        raise KeyError(msg)


def _req(name: str, kind: Kind) -> Column:
    return Column(name, kind, required=True)


def _opt(name: str, kind: Kind = Kind.TEXT) -> Column:
    return Column(name, kind, required=False)


_WHERE = (_opt("organisation"), _opt("region"))

EXTRACTS: MappingProxyType[str, Extract] = MappingProxyType(
    {
        "staff": Extract(
            "staff",
            "staff member on 31 March of the year",
            (
                _req("year", Kind.YEAR),
                _req("ethnicity", Kind.ETHNICITY),
                _req("band", Kind.BAND),
                _req("staff_group", Kind.STAFF_GROUP),
                _req("disciplinary", Kind.BOOL),
                _req("training", Kind.BOOL),
                *_WHERE,
                _opt("site"),
                _opt("directorate"),
                _opt("occupation"),
                _opt("gender"),
                _opt("disability", Kind.DISABILITY),
                _opt("bank", Kind.OPTIONAL_BOOL),
                _opt("capability", Kind.BOOL),
                _opt("staff_id"),
            ),
        ),
        "applications": Extract(
            "applications",
            "application",
            (
                _req("year", Kind.YEAR),
                _req("ethnicity", Kind.ETHNICITY),
                _req("shortlisted", Kind.BOOL),
                _req("appointed", Kind.BOOL),
                *_WHERE,
                _opt("band", Kind.BAND),
                _opt("site"),
                _opt("staff_group", Kind.STAFF_GROUP),
                _opt("international", Kind.OPTIONAL_BOOL),
                _opt("disability", Kind.DISABILITY),
            ),
        ),
        "survey": Extract(
            "survey",
            "staff-survey respondent",
            (
                _req("year", Kind.YEAR),
                _req("ethnicity", Kind.ETHNICITY),
                _req("q5", Kind.OPTIONAL_BOOL),
                _req("q6", Kind.OPTIONAL_BOOL),
                _req("q7", Kind.OPTIONAL_BOOL),
                _req("q8", Kind.OPTIONAL_BOOL),
                *_WHERE,
                _opt("site"),
                _opt("band", Kind.BAND),
                _opt("staff_group", Kind.STAFF_GROUP),
                _opt("disability", Kind.DISABILITY),
                # the questions of WDES metrics 4b and 6-9 (see docs/inputs.md)
                _opt("reported", Kind.ANSWER),
                _opt("pressure", Kind.ANSWER),
                _opt("valued", Kind.ANSWER),
                _opt("adjustments", Kind.ANSWER),
                _opt("engagement", Kind.SCORE),
            ),
        ),
        "board": Extract(
            "board",
            "board member",
            (
                _req("year", Kind.YEAR),
                _req("ethnicity", Kind.ETHNICITY),
                _req("voting", Kind.BOOL),
                _req("executive", Kind.BOOL),
                *_WHERE,
                _opt("disability", Kind.DISABILITY),
            ),
        ),
    }
)

# --- vocabularies -------------------------------------------------------------------------------

UNKNOWN = "Unknown"

#: Agenda for Change bands, in the order the WRES return lists them (indicator 1 rows).
AFC_BANDS: tuple[str, ...] = (
    "Under Band 1",
    "Band 1",
    "Band 2",
    "Band 3",
    "Band 4",
    "Band 5",
    "Band 6",
    "Band 7",
    "Band 8a",
    "Band 8b",
    "Band 8c",
    "Band 8d",
    "Band 9",
    "VSM",
)
#: Medical and dental grades (indicator 1, medical rows).
MEDICAL_GRADES: tuple[str, ...] = (
    "Consultant",
    "Non-consultant career grade",
    "Trainee grade",
    "Other medical",
)
BANDS: tuple[str, ...] = (*AFC_BANDS, *MEDICAL_GRADES)

STAFF_GROUPS: tuple[str, ...] = ("Non-clinical", "Clinical", "Medical")

DISABILITY: tuple[str, ...] = ("Disabled", "Not disabled", UNKNOWN)

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "0.0"})

_BAND_WORDS = re.compile(r"^(?:afc\s*)?(?:pay\s*)?band\s*", re.IGNORECASE)
_BAND_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "under 1": "Under Band 1",
        "under band 1": "Under Band 1",
        "under1": "Under Band 1",
        "vsm": "VSM",
        "very senior manager": "VSM",
        "very senior managers": "VSM",
        "consultant": "Consultant",
        "consultants": "Consultant",
        "non-consultant career grade": "Non-consultant career grade",
        "non consultant career grade": "Non-consultant career grade",
        "nccg": "Non-consultant career grade",
        "specialty doctor": "Non-consultant career grade",
        "trainee": "Trainee grade",
        "trainee grade": "Trainee grade",
        "trainee grades": "Trainee grade",
        "doctor in training": "Trainee grade",
        "other medical": "Other medical",
        "other medical grade": "Other medical",
        "other": "Other medical",
    }
)
_BAND_NUMBER = re.compile(r"^0?([1-9])\s*(?:-\s*range\s*|\s*)([a-d])?$", re.IGNORECASE)


def normalise_band(value: str | None) -> str:
    """Canonical band for ``"Band 5"``, ``"5"``, ``"AfC Band 8A"``, ``"Band 8 - Range A"``, ...

    Anything unrecognised, blank included, is ``Unknown`` (counted by the readers, never dropped).
    """
    if value is None:
        return UNKNOWN
    text = " ".join(value.strip().split())
    if not text:
        return UNKNOWN
    lower = text.lower()
    if lower in _BAND_ALIASES:
        return _BAND_ALIASES[lower]
    rest = _BAND_WORDS.sub("", text)
    match = _BAND_NUMBER.match(rest)
    if match is None:
        return UNKNOWN
    number, letter = match.group(1), match.group(2)
    if letter is None:
        return f"Band {number}" if number != "8" else UNKNOWN
    if number != "8":
        return UNKNOWN
    return f"Band 8{letter.lower()}"


_STAFF_GROUP_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "non-clinical": "Non-clinical",
        "non clinical": "Non-clinical",
        "nonclinical": "Non-clinical",
        "non-clinical staff": "Non-clinical",
        "clinical": "Clinical",
        "clinical staff": "Clinical",
        "medical": "Medical",
        "medical and dental": "Medical",
        "medical & dental": "Medical",
        "medical staff": "Medical",
    }
)


def _canonical(aliases: MappingProxyType[str, str], value: str | None) -> str:
    """The canonical value of ``value`` (compared ignoring case and spacing), or ``Unknown``."""
    if value is None:
        return UNKNOWN
    return aliases.get(" ".join(value.strip().lower().split()), UNKNOWN)


def normalise_staff_group(value: str | None) -> str:
    """Canonical staff group (Non-clinical, Clinical, Medical) or ``Unknown``."""
    return _canonical(_STAFF_GROUP_ALIASES, value)


_DISABILITY_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "yes": "Disabled",
        "y": "Disabled",
        "disabled": "Disabled",
        "no": "Not disabled",
        "n": "Not disabled",
        "not disabled": "Not disabled",
        "non-disabled": "Not disabled",
    }
)


def normalise_disability(value: str | None) -> str:
    """Disabled / Not disabled, anything else (not declared, blank, prefer not to say) Unknown."""
    return _canonical(_DISABILITY_ALIASES, value)


def parse_bool(value: str | None) -> bool | None:
    """``True``/``False`` for the accepted spellings, ``None`` for blank.

    Raises ``ValueError`` for anything else so the caller can name file, row and column.
    """
    if value is None:
        return None
    text = value.strip().lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    msg = f"cannot read {value!r} as yes/no (accepted: yes/no, y/n, true/false, 1/0)"
    raise ValueError(msg)


#: Survey answers beyond yes/no (compared ignoring case and spacing): the satisfaction and
#: agreement scales of the NHS Staff Survey, and answers that are not an answer to the question
#: (a respondent who needed no adjustment is not asked whether adjustments were made).
ANSWER_WORDS: MappingProxyType[str, bool | None] = MappingProxyType(
    {
        "very satisfied": True,
        "satisfied": True,
        "neither satisfied nor dissatisfied": False,
        "dissatisfied": False,
        "very dissatisfied": False,
        "strongly agree": True,
        "agree": True,
        "neither agree nor disagree": False,
        "disagree": False,
        "strongly disagree": False,
        "no adjustment required": None,
        "no adjustments required": None,
        "not required": None,
        "not applicable": None,
        "n/a": None,
        "don't know": None,
        "dont know": None,
        "do not know": None,
    }
)


def parse_answer(value: str | None) -> bool | None:
    """A survey answer as yes (``True``), no (``False``) or not an answer (``None``).

    Accepts the yes/no spellings of :func:`parse_bool` and ``ANSWER_WORDS``; raises
    ``ValueError`` for anything else so the caller can name file, row and column.
    """
    if value is None:
        return None
    text = " ".join(value.strip().lower().replace("\u2019", "'").split())
    if text in ANSWER_WORDS:
        return ANSWER_WORDS[text]
    try:
        return parse_bool(text)
    except ValueError:
        msg = (
            f"cannot read {value!r} as an answer (accepted: yes/no, y/n, true/false, 1/0, "
            "very satisfied ... very dissatisfied, strongly agree ... strongly disagree, "
            "not applicable, no adjustment required, don't know)"
        )
        raise ValueError(msg) from None


#: The range of a score column (the staff-survey engagement score is out of 10).
SCORE_RANGE = (0.0, 10.0)

#: Reporting years accepted; anything outside is almost certainly a typo or a date.
YEAR_RANGE = (1990, 2100)

#: The seven NHS England regions.
REGIONS: tuple[str, ...] = (
    "London",
    "South East",
    "South West",
    "Midlands",
    "East of England",
    "North West",
    "North East and Yorkshire",
)
