"""The reconciliation of input rows: every row read is either used or excluded for a stated reason.

A :class:`Reconciliation` is additive: the report of a file read in chunks, or of an extract split
over several files, is the sum of the parts' reports (SPEC section 9). Its invariants are checked
by :meth:`Reconciliation.check`; a failure is a bug in wres, never a problem of the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InternalError
from engine.ethnicity import BME, UNKNOWN, WHITE, UnknownReason

#: Why a row read is not used. Anything not listed here is used (an unknown value is counted,
#: never a reason to drop a row).
EXCLUDED_BANK = "bank staff"
EXCLUDED_EMPTY = "empty row"

ETHNICITY_STATUSES: tuple[str, ...] = (WHITE, BME, UNKNOWN)
UNKNOWN_REASONS: tuple[str, ...] = tuple(str(r) for r in UnknownReason)


def _sum(a: Mapping[Any, int], b: Mapping[Any, int]) -> dict[Any, int]:
    # Keys of both sides survive, zeros included, so "0 bank staff" stays visible.
    return {key: a.get(key, 0) + b.get(key, 0) for key in dict.fromkeys((*a, *b))}


@dataclass(frozen=True)
class Reconciliation:
    """Where the rows of one extract went.

    Counts other than ``rows_read`` and ``rows_excluded`` are over the rows used:
    ``ethnicity`` (White, BME, Unknown) sums to ``rows_used`` and ``ethnicity_unknown`` (not
    stated, not known, blank, unrecognised) to ``ethnicity["Unknown"]``. ``unknown_values``
    counts, per column present in the file, the rows whose value is ``Unknown`` (band,
    staff_group, disability: blank or unrecognised) or blank (a yes/no column that allows blank:
    survey q5-q8, bank, international).
    """

    extract: str
    files: tuple[Path, ...]
    rows_read: int
    rows_used: int
    rows_excluded: Mapping[str, int] = field(default_factory=dict)
    ethnicity: Mapping[str, int] = field(default_factory=dict)
    ethnicity_unknown: Mapping[str, int] = field(default_factory=dict)
    unknown_values: Mapping[str, int] = field(default_factory=dict)
    rows_by_year: Mapping[int, int] = field(default_factory=dict)
    #: the organisation codes of the rows used, sorted (none without an organisation column)
    organisations: tuple[str, ...] = ()

    @property
    def rows_excluded_total(self) -> int:
        return sum(self.rows_excluded.values())

    @property
    def balances(self) -> bool:
        """rows read = rows used + rows excluded."""
        return self.rows_read == self.rows_used + self.rows_excluded_total

    def __add__(self, other: Reconciliation) -> Reconciliation:
        if not isinstance(other, Reconciliation):
            return NotImplemented
        if other.extract != self.extract:
            msg = (
                f"cannot add the reconciliation of a {other.extract!r} extract to one of "
                f"{self.extract!r} (a bug in wres)"
            )
            raise InternalError(msg)
        files = tuple(dict.fromkeys((*self.files, *other.files)))
        return Reconciliation(
            extract=self.extract,
            files=files,
            rows_read=self.rows_read + other.rows_read,
            rows_used=self.rows_used + other.rows_used,
            rows_excluded=_sum(self.rows_excluded, other.rows_excluded),
            ethnicity=_sum(self.ethnicity, other.ethnicity),
            ethnicity_unknown=_sum(self.ethnicity_unknown, other.ethnicity_unknown),
            unknown_values=_sum(self.unknown_values, other.unknown_values),
            rows_by_year=dict(sorted(_sum(self.rows_by_year, other.rows_by_year).items())),
            organisations=tuple(sorted({*self.organisations, *other.organisations})),
        )

    def check(self) -> None:
        """Raise InternalError unless every row read is accounted for exactly once."""
        failures: list[str] = []
        if not self.balances:
            failures.append(
                f"rows read {self.rows_read} != rows used {self.rows_used} + rows excluded "
                f"{self.rows_excluded_total}"
            )
        if sum(self.ethnicity.values()) != self.rows_used:
            failures.append(f"ethnicity counts {dict(self.ethnicity)} do not sum to rows used")
        if sum(self.ethnicity_unknown.values()) != self.ethnicity.get(UNKNOWN, 0):
            failures.append("the Unknown ethnicity reasons do not sum to the Unknown rows")
        if self.rows_by_year and sum(self.rows_by_year.values()) != self.rows_used:
            failures.append("rows by year do not sum to rows used")
        counts = [
            self.rows_read,
            self.rows_used,
            *self.rows_excluded.values(),
            *self.ethnicity.values(),
            *self.ethnicity_unknown.values(),
            *self.unknown_values.values(),
            *self.rows_by_year.values(),
        ]
        if any(n < 0 for n in counts):
            failures.append("a negative count")
        if failures:
            where = ", ".join(str(f) for f in self.files) or "no file"
            msg = (
                f"the reconciliation of the {self.extract} extract ({where}) does not add up: "
                f"{'; '.join(failures)}. This is a bug in wres, not a problem of the data."
            )
            raise InternalError(msg)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (years become strings, as JSON keys must)."""
        return {
            "extract": self.extract,
            "files": [str(f) for f in self.files],
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_excluded": dict(self.rows_excluded),
            "rows_excluded_total": self.rows_excluded_total,
            "balances": self.balances,
            "ethnicity": dict(self.ethnicity),
            "ethnicity_unknown": dict(self.ethnicity_unknown),
            "unknown_values": dict(self.unknown_values),
            "rows_by_year": {str(y): n for y, n in self.rows_by_year.items()},
        }
