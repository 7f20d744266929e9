"""What a cell of a published count table says: a count, a suppression marker, or nothing.

Statistical producers mark withheld counts in many ways. A marker that states a range (``<5``,
``<=9``) is a published fact the attacker uses: the cell is at most 4 (or 9). The others
(``*``, ``c``, ``x``, ``[c]``, ``[x]``, ``..``, ``[low]``, and the policy's own marker) say
only that the cell is withheld. A blank cell, ``z`` or ``[z]`` is not published at all (not
applicable, not collected): the attacker knows nothing of it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

#: Markers that say only "withheld" (compared without case).
WITHHELD_MARKERS: tuple[str, ...] = ("*", "**", "c", "x", "[c]", "[x]", "..", "[low]", "~")
#: Cells that are not published at all.
NOT_PUBLISHED: tuple[str, ...] = ("", "z", "[z]")

_BELOW = re.compile(r"^\s*(<|<=|≤)\s*(\d+)\s*$")
_COUNT = re.compile(r"^\s*\d+\s*$")
_DECIMAL_WHOLE = re.compile(r"^\s*(\d+)\.0*\s*$")


class CellKind(Enum):
    COUNT = "count"
    WITHHELD = "withheld"
    ABSENT = "absent"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class ReadCell:
    kind: CellKind
    #: the published count (COUNT only)
    count: int = 0
    #: what the marker says of a withheld cell: it is at most this (inf: nothing)
    at_most: float = math.inf


def read_cell(text: str | None, marker: str = "[c]") -> ReadCell:
    """Classify one cell of a published table's count column."""
    raw = "" if text is None else text.strip()
    if _COUNT.match(raw):
        return ReadCell(CellKind.COUNT, count=int(raw))
    whole = _DECIMAL_WHOLE.match(raw)
    if whole:  # "12.0", as spreadsheets export counts
        return ReadCell(CellKind.COUNT, count=int(whole.group(1)))
    if raw.lower() in NOT_PUBLISHED:
        return ReadCell(CellKind.ABSENT)
    below = _BELOW.match(raw)
    if below:
        bound = int(below.group(2))
        return ReadCell(
            CellKind.WITHHELD, at_most=float(bound - 1 if below.group(1) == "<" else bound)
        )
    if raw.lower() in WITHHELD_MARKERS or raw == marker.strip():
        return ReadCell(CellKind.WITHHELD)
    return ReadCell(CellKind.INVALID)


def read_count(text: str | None) -> int | None:
    """A whole number >= 0, or None (for tables of true counts: no markers allowed)."""
    raw = "" if text is None else text.strip()
    if _COUNT.match(raw):
        return int(raw)
    whole = _DECIMAL_WHOLE.match(raw)
    return int(whole.group(1)) if whole else None
