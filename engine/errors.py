"""Error types shared by the engine. Messages name file, row and column, never other records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: How many problems of one file a message lists before summarising the rest.
MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file.

    ``row`` is the row as an analyst sees it in a spreadsheet: the header is row 1, the first
    record row 2. It is None for problems of the whole file or of a whole column.
    """

    file: Path
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [str(self.file)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class BadInputError(Exception):
    """Input data that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            msg = "BadInputError needs at least one problem (this is a bug in wres)"
            raise InternalError(msg)
        self.problems = problems
        super().__init__(self.render())

    def render(self, limit: int = MAX_LISTED_PROBLEMS) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            lines.append(f"... and {more} more problem(s) of the same input")
        return "\n".join(lines)


class UnrecognisedEthnicityError(BadInputError):
    """Too many ethnicity values of an extract are not recognised (more than the share allowed).

    Its problems are the extract's share, then each unrecognised spelling at its first row, and
    all of them are rendered: the point of the error is the list of spellings to fix.
    """

    def render(self, limit: int | None = None) -> str:
        return super().render(len(self.problems) if limit is None else limit)


class ConfigError(ValueError):
    """A configuration or usage problem (policy, mapping, options); the message says the fix."""


class InternalError(RuntimeError):
    """An invariant of wres itself failed: a bug, never the user's data."""
