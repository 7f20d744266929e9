"""A progress bar on stderr for long reads, only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cli.console import stderr
from engine.readers import Progress as ProgressCallback


@contextmanager
def records_progress(*, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """A callback that shows the records read of each extract as a bar on stderr.

    Yields None (no bar) when ``enabled`` is false or stderr is not a terminal: a log file or a
    pipe gets no animation. Colour follows the console's rules (off with ``NO_COLOR``).
    """
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr(), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(extract: str, rows: int, total: int | None) -> None:
            if extract not in tasks:
                tasks[extract] = bar.add_task(f"reading {extract}", total=total)
            bar.update(tasks[extract], completed=rows)

        yield update
