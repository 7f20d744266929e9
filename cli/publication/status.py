"""What a published cell shows in the workbook and the report: the labels of totals and groups,
the status words and rule codes of a withheld figure, the marker of one that is withheld or
does not apply, and the order of labels (:mod:`wres.cli.publication.tables`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from wres.engine.pooling import POOLED_COLUMNS
from wres.engine.rollup import CLUSTERS
from wres.engine.schema import AFC_BANDS, MEDICAL_GRADES, STAFF_GROUPS
from wres.engine.standards import KINDS, Measure, MeasureKind

#: The label of a rolled-up cut dimension in ``indicators.csv`` (SPEC section 10).
ALL = "All"
#: The variant every indicator has; others are e.g. "excluding international", "2-year rolling".
STANDARD_VARIANT = "standard"
UNKNOWN = "Unknown"
#: NHS England's non-adverse range for a relative likelihood, inclusive.
NON_ADVERSE = (0.80, 1.25)


class Marker(StrEnum):
    """What stands in an empty published cell (the GSS shorthand for statistical tables)."""

    #: withheld by disclosure control ("confidential")
    WITHHELD = "[c]"
    #: not calculable (a rate it would be divided by is zero)
    NOT_CALCULABLE = "[x]"


_OWN = ("numerator", "denominator", "rate")
_COMPARED = (
    *_OWN,
    "reference_numerator",
    "reference_denominator",
    "reference_rate",
    "difference_pp",
)
_TESTED = ("p_value", "p_adjusted", "significant")
_RATIO = ("relative_likelihood", "ci_low", "ci_high")


def _applicable(kind: MeasureKind) -> frozenset[str]:
    """The columns a kind of measure publishes for a compared group: an empty one is withheld
    or not calculable; any other empty column simply does not apply to that measure."""
    columns = [*(_COMPARED if kind.compares else _OWN)]
    columns += _RATIO if kind.relative_likelihood else ()
    columns += _TESTED if kind.tested else ()
    columns += ("non_adverse_range",) if kind.relative_likelihood else ()
    return frozenset(columns)


APPLICABLE: Mapping[Measure, frozenset[str]] = {m: _applicable(k) for m, k in KINDS.items()}
#: Unknown ethnicity is never compared: only its own counts and rate apply.
_NOT_COMPARED = frozenset(("numerator", "denominator", "rate"))
#: The figures of a row of ``pooled.csv``: its columns less its keys' years, methods and words.
_POOLED = frozenset(POOLED_COLUMNS) - {
    *("first_year", "last_year", "years_used", "years_withheld"),
    *("ci_method", "trend_method", "status", "direction"),
}

#: How the people at risk of an indicator read in headings (its event: its declaration).
AT_RISK_WORDS: Mapping[str, str] = {
    "shortlisted": "shortlisted",
    "staff": "headcount",
    "survey": "respondents",
    "applications": "applicants",
    "board": "board members",
}


def is_withheld(status: str | None) -> bool:
    return status is not None and status.startswith(("suppressed", "withheld"))


#: ``suppressed: C``, ``suppressed: P1, P2``, ``suppressed: C (the comparison uses ...)``
_WITHHELD_STATUS = re.compile(r"^[^:(]*(?::(?P<codes>[^(]*))?(?:\((?P<why>.*)\))?\s*$")


def rule_codes(status: str | None) -> tuple[str, ...]:
    """``"suppressed: P1, P2"`` -> ``("P1", "P2")``; the words in brackets are not codes."""
    if not is_withheld(status) or status is None:
        return ()
    found = _WITHHELD_STATUS.match(status)
    codes = found.group("codes") if found else None
    return tuple(c.strip() for c in (codes or "").split(",") if c.strip())


def withheld_why(status: str | None) -> str | None:
    """The words a withheld row's status gives in brackets (``the comparison uses a withheld
    White count``), or None."""
    found = _WITHHELD_STATUS.match(status) if is_withheld(status) and status else None
    return found.group("why") if found and found.group("why") else None


def applicable(measure: str | None, group: str | None, *, compared: bool = True) -> frozenset[str]:
    """The columns a row publishes; ``compared`` False: a row with no reference group (WDES
    metric 8, asked of Disabled staff only)."""
    if measure is None:  # a row of pooled.csv
        return _POOLED
    if group == UNKNOWN or not compared:
        return _NOT_COMPARED
    return APPLICABLE.get(Measure(measure), _NOT_COMPARED)


def marker_for(row: Mapping[str, Any], column: str) -> Marker | None:
    """The marker of an empty cell of ``row``, or None when the column does not apply."""
    if row.get(column) is not None:
        return None
    measure = row.get("measure")
    # Only Unknown and the groups of an indicator that compares nobody have no reference group.
    compared = row.get("reference_group") is not None or "reference_group" not in row
    kind = None if measure is None else str(measure)
    if column not in applicable(kind, row.get("group"), compared=compared):
        return None
    status = row.get("status")
    if is_withheld(status):
        return Marker.WITHHELD
    if status == "not calculable":
        return Marker.NOT_CALCULABLE
    return None


def title_case(column: str) -> str:
    """``staff_group`` -> ``Staff group``."""
    words = column.replace("_", " ")
    return words[:1].upper() + words[1:]


def natural_key(value: object) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting RBH2 before RBH10 and the return's bands in the return's order. A
    number sorts before text at the same place ("8" before "Band 8a"), so labels of any
    spelling compare."""
    text = "" if value is None else str(value)
    if text in _BAND_RANK:
        return ((0, _BAND_RANK[text], ""),)
    if text == ALL:
        return ((3, 0, ""),)
    parts = re.split(r"(\d+)", text)
    return tuple((1, int(p), "") if p.isdigit() else (2, 0, p.casefold()) for p in parts if p)


_BAND_RANK = {b: i for i, b in enumerate((*STAFF_GROUPS, *AFC_BANDS, *MEDICAL_GRADES, *CLUSTERS))}
