"""A progress bar on stderr for long runs, only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from wres.cli.console import stderr
from wres.engine.progress import Progress as ProgressCallback

#: The stage after the run: the pack written (the workbook takes seconds for a large run).
WRITING = "writing the pack"


class _StageBar:
    """The stage a run is in, as one line: its name, a bar, how much is done and for how long.

    A stage with a new name replaces the one before (a finished stage is not left at 100% while
    the next one works); a stage whose total is unknown shows a moving bar and its time.
    """

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._stage: str | None = None
        self._task: TaskID | None = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        count = "" if total is None else f"{done:,}/{total:,}"
        if stage != self._stage or self._task is None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._stage = stage
            self._task = self._bar.add_task(stage, total=total, completed=done, count=count)
            self._bar.refresh()  # every stage is seen, however short
            return
        self._bar.update(self._task, total=total, completed=done, count=count)


@contextmanager
def progress_bar(*, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """A callback (``wres.engine.progress``) that shows the stage a run is in as a bar on stderr:
    the records read of each extract, then secondary suppression and its audit.

    Yields None (no bar) when ``enabled`` is false or stderr is not a terminal: a log file or a
    pipe gets no animation. Colour follows the console's rules (off with ``NO_COLOR``).
    """
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),  # an estimate, once a stage with a total has made progress
    )
    with Progress(*columns, console=stderr(), transient=True) as bar:
        yield _StageBar(bar)
