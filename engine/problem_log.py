"""Collecting every problem of an input file, with a cap on how many rows each issue lists.

An analyst fixing a file wants every kind of problem at once, not one per run, but not ten
thousand lines for one column of misspelt yes/no values either: each (column, issue) lists its
first few rows and then "and N more rows ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wres.engine.errors import Problem

#: How many rows each kind of problem of a column lists before summarising the rest.
ROWS_LISTED_PER_ISSUE = 5


def show(value: object, limit: int = 40) -> str:
    """The offending cell as quoted in a message, cut short so a stray paste cannot flood it."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


@dataclass
class _Issue:
    listed: list[Problem] = field(default_factory=list)
    more: int = 0


class ProblemLog:
    """Every problem of one file, in the order found, across chunks of the file.

    Problems of the whole file or of a column are all kept; problems of rows are listed for the
    first ``rows_listed`` rows of each column and issue, then summarised as "and N more ...".
    :meth:`problems` lists problems of the file and of whole columns first, then the problems of
    rows column by column in ``column_order`` (the columns as the file names them).
    """

    def __init__(
        self,
        file: Path,
        rows_listed: int = ROWS_LISTED_PER_ISSUE,
        column_order: Sequence[str] = (),
    ) -> None:
        self.file = file
        self.rows_listed = rows_listed
        self.column_order = tuple(column_order)
        self._entries: dict[tuple[str | None, str], _Issue] = {}

    def add(self, column: str | None, message: str) -> None:
        """A problem of the whole file (``column`` None) or of a whole column; never capped."""
        # Keyed by the message itself so that it keeps its place in the order found.
        entry = self._entries.setdefault((column, "\0" + message), _Issue())
        if not entry.listed:
            entry.listed.append(Problem(self.file, None, column, message))

    def add_rows(
        self, column: str | None, issue: str, found: Sequence[tuple[int, str]], total: int
    ) -> None:
        """Record that ``total`` rows have ``issue`` (a plural phrase such as "rows that cannot
        be read as yes/no"); ``found`` holds (row, message) for the first of them, in order."""
        entry = self._entries.setdefault((column, issue), _Issue())
        room = max(self.rows_listed - len(entry.listed), 0)
        listed = list(found[:room])
        entry.listed.extend(Problem(self.file, row, column, message) for row, message in listed)
        entry.more += total - len(listed)

    def merge(self, other: ProblemLog, row_offset: int = 0) -> None:
        """Add the problems of a later part of the same file, logged on its own (a Spark
        partition), whose rows are numbered as if it began the file: ``row_offset`` is the
        number of records before it. Each issue keeps listing its first rows."""
        for (column, issue), entry in other._entries.items():
            if issue.startswith("\0"):
                for problem in entry.listed:
                    self.add(column, problem.message)
                continue
            found = [(int(p.row or 0) + row_offset, p.message) for p in entry.listed]
            self.add_rows(column, issue, found, len(found) + entry.more)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def problems(self) -> list[Problem]:
        """Every problem, in the order found; each capped issue ends with its summary."""
        rank = {column: i for i, column in enumerate(self.column_order)}

        def order(key: tuple[str | None, str]) -> tuple[bool, int]:
            column, issue = key
            whole = issue.startswith("\0")
            return (not whole, 0 if whole or column is None else rank.get(column, len(rank)))

        out: list[Problem] = []
        for (column, issue), entry in sorted(self._entries.items(), key=lambda kv: order(kv[0])):
            out.extend(entry.listed)
            if entry.more:
                out.append(Problem(self.file, None, column, f"and {entry.more} more {issue}"))
        return out
