"""The reconciliation of input rows: every row read is either used or excluded for a stated reason.

A :class:`Reconciliation` is additive: the report of a file read in chunks, or of an extract split
over several files, is the sum of the parts' reports (SPEC section 9). Its invariants are checked
by :meth:`Reconciliation.check`; a failure is a bug in wres, never a problem of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wres.engine.errors import InternalError, Problem, UnrecognisedEthnicityError
from wres.engine.ethnicity import BME, UNKNOWN, WHITE, UnknownReason

#: Why a row read is not used. Anything not listed here is used (an unknown value is counted,
#: never a reason to drop a row).
EXCLUDED_BANK = "bank staff"
EXCLUDED_EMPTY = "empty row"

ETHNICITY_STATUSES: tuple[str, ...] = (WHITE, BME, UNKNOWN)
UNKNOWN_REASONS: tuple[str, ...] = tuple(str(r) for r in UnknownReason)
UNRECOGNISED = str(UnknownReason.UNRECOGNISED)
#: The default of ``--unrecognised-at-most``: more than this percentage of an extract's rows used
#: with an unrecognised ethnicity stops a run, unless the user accepts them.
UNRECOGNISED_AT_MOST_PERCENT = 1.0
#: Spellings an error lists per extract; ``wres validate --json`` lists every one.
_LISTED_SPELLINGS = 100


@dataclass(frozen=True, slots=True)
class UnrecognisedSpelling:
    """An ethnicity value that the scheme does not recognise, as the file spells it (spaces
    around it removed): how many rows used hold it, and the first of them (file, spreadsheet row
    and the column as the file names it)."""

    rows: int
    file: Path
    row: int
    column: str


def _sum(a: Mapping[Any, int], b: Mapping[Any, int]) -> dict[Any, int]:
    # Keys of both sides survive, zeros included, so "0 bank staff" stays visible.
    return {key: a.get(key, 0) + b.get(key, 0) for key in dict.fromkeys((*a, *b))}


def _sum_spellings(
    a: Mapping[str, UnrecognisedSpelling], b: Mapping[str, UnrecognisedSpelling]
) -> dict[str, UnrecognisedSpelling]:
    """Rows added; the first row is ``a``'s when both have the spelling, as ``a`` is the part
    read first (the earlier chunk, partition or file)."""
    out = dict(a)
    for spelling, found in b.items():
        earlier = out.get(spelling)
        out[spelling] = (
            found if earlier is None else replace(earlier, rows=earlier.rows + found.rows)
        )
    return out


@dataclass(frozen=True)
class Reconciliation:
    """Where the rows of one extract went.

    Counts other than ``rows_read`` and ``rows_excluded`` are over the rows used:
    ``ethnicity`` (White, BME, Unknown) sums to ``rows_used`` and ``ethnicity_unknown`` (not
    stated, not known, blank, unrecognised) to ``ethnicity["Unknown"]``. ``unknown_values``
    counts, per column present in the file, the rows whose value is ``Unknown`` (band,
    staff_group, disability: blank or unrecognised) or blank (a yes/no column that allows blank:
    survey q5-q8, bank, international). ``unrecognised_ethnicity`` lists each unrecognised
    ethnicity spelling with its rows and first row; its rows sum to the unrecognised rows.
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
    unrecognised_ethnicity: Mapping[str, UnrecognisedSpelling] = field(default_factory=dict)
    #: the organisation codes of the rows used, sorted (none without an organisation column)
    organisations: tuple[str, ...] = ()

    @property
    def rows_excluded_total(self) -> int:
        return sum(self.rows_excluded.values())

    @property
    def unrecognised_rows(self) -> int:
        """Rows used whose ethnicity is not recognised (Unknown, reason unrecognised)."""
        return self.ethnicity_unknown.get(UNRECOGNISED, 0)

    @property
    def unrecognised_share(self) -> float:
        """The unrecognised rows as a share of the rows used (0 when none are used)."""
        return self.unrecognised_rows / self.rows_used if self.rows_used else 0.0

    def unrecognised_spellings(self) -> list[tuple[str, UnrecognisedSpelling]]:
        """The unrecognised spellings, most rows first, then in the order they first appear."""
        order = {f: i for i, f in enumerate(self.files)}
        return sorted(
            self.unrecognised_ethnicity.items(),
            key=lambda item: (-item[1].rows, order.get(item[1].file, len(order)), item[1].row),
        )

    def shifted(self, records: int) -> Reconciliation:
        """This report of a part of a file whose first record has ``records`` records before it
        (a Spark partition numbers its rows from its own start)."""
        moved = {
            s: replace(found, row=found.row + records)
            for s, found in self.unrecognised_ethnicity.items()
        }
        return replace(self, unrecognised_ethnicity=moved)

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
            unrecognised_ethnicity=_sum_spellings(
                self.unrecognised_ethnicity, other.unrecognised_ethnicity
            ),
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
        if sum(s.rows for s in self.unrecognised_ethnicity.values()) != self.unrecognised_rows:
            failures.append("the unrecognised ethnicity spellings do not sum to their rows")
        counts = [
            self.rows_read,
            self.rows_used,
            *self.rows_excluded.values(),
            *self.ethnicity.values(),
            *self.ethnicity_unknown.values(),
            *self.unknown_values.values(),
            *self.rows_by_year.values(),
            *(s.rows for s in self.unrecognised_ethnicity.values()),
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
            "unrecognised_ethnicity": [
                {
                    "spelling": spelling,
                    "rows": found.rows,
                    "file": str(found.file),
                    "row": found.row,
                    "column": found.column,
                }
                for spelling, found in self.unrecognised_spellings()
            ],
        }


def check_unrecognised(reports: Iterable[Reconciliation], *, at_most_percent: float) -> None:
    """UnrecognisedEthnicityError naming every spelling of each extract in which more than
    ``at_most_percent`` of the rows used have an ethnicity the scheme does not recognise.

    They would count as Unknown beside not stated and shrink White and BME alike, so a file in
    a classification the scheme does not know would publish figures for the few rows it does.
    """
    problems: list[Problem] = []
    for report in reports:
        if report.unrecognised_rows * 100 > at_most_percent * report.rows_used:
            problems.extend(_unrecognised_problems(report, at_most_percent))
    if problems:
        raise UnrecognisedEthnicityError(problems)


def _unrecognised_problems(report: Reconciliation, at_most_percent: float) -> list[Problem]:
    spellings = report.unrecognised_spellings()
    first = spellings[0][1]
    n = len(spellings)
    summary = (
        f"{report.unrecognised_rows:,} of the {report.rows_used:,} rows used "
        f"({100 * report.unrecognised_share:.1f}%) hold an ethnicity that is not recognised, "
        f"more than the {at_most_percent:g}% allowed (--unrecognised-at-most); they would count "
        f"as Unknown beside not stated. The {n} spelling{'s' if n > 1 else ''} follow, most "
        "rows first: add them to an ethnicity configuration (--ethnicity-config, [aliases]), "
        "correct the extract, or pass --accept-unrecognised to count them as Unknown "
        "(unrecognised)"
    )
    problems = [Problem(first.file, None, first.column, summary)]
    for spelling, found in spellings[:_LISTED_SPELLINGS]:
        rows = f"{found.rows:,} row{'s' if found.rows > 1 else ''}"
        message = f"{spelling!r} is not a recognised ethnicity: {rows}, the first in this row"
        problems.append(Problem(found.file, found.row, found.column, message))
    if n > _LISTED_SPELLINGS:
        rest = sum(found.rows for _, found in spellings[_LISTED_SPELLINGS:])
        message = (
            f"and {n - _LISTED_SPELLINGS:,} more spellings in {rest:,} rows; "
            "wres validate --json lists every one"
        )
        problems.append(Problem(first.file, None, first.column, message))
    return problems
