"""The publication pack's human-facing files: the Excel workbook and the HTML report.

Both are built from the run's published tables and its manifest only (see
:mod:`wres.cli.publication.tables`), written into the pack's staging folder by
:func:`wres.cli.pack.write_pack`, and byte-deterministic for the same input.

A writer is a function ``(path, data: Published) -> path`` (:class:`Writer`) named in
:data:`WRITERS`; adding a file to the pack is one module with that function and one entry here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import polars as pl

from wres.engine.standards import Standard

if TYPE_CHECKING:
    from wres.cli.publication.tables import Published

WORKBOOK = "wres.xlsx"
REPORT = "report.html"


class Writer(Protocol):
    """Writes one file of the pack from the run's published tables; returns its path."""

    def __call__(self, path: Path, data: Published, /) -> Path: ...


@dataclass(frozen=True, slots=True)
class WriterEntry:
    """A writer of the pack: the name a run reports it by, its file, and where it lives (imported
    only when a pack is written, so that ``wres --help`` does not load xlsxwriter)."""

    name: str
    filename: str
    module: str
    function: str

    def load(self) -> Writer:
        return cast("Writer", getattr(importlib.import_module(self.module), self.function))


WRITERS: tuple[WriterEntry, ...] = (
    WriterEntry("workbook", WORKBOOK, "wres.cli.publication.workbook", "write_workbook"),
    WriterEntry("report", REPORT, "wres.cli.publication.report", "write_report"),
)


def write_publication(
    folder: Path,
    indicators: pl.DataFrame,
    pooled: pl.DataFrame,
    manifest: Mapping[str, Any],
    *,
    standard: Standard | None = None,
    funnel: pl.DataFrame | None = None,
    writers: Sequence[WriterEntry] = WRITERS,
) -> dict[str, Path]:
    """Write every writer's file into ``folder``; return their paths by name. ``standard``: the
    run's declarations (None: the shipped standard the manifest names); ``funnel``: the funnel
    table of a run with an organisation cut."""
    from wres.cli.publication.tables import published  # noqa: PLC0415

    data = published(indicators, pooled, manifest, standard=standard, funnel=funnel)
    return {w.name: w.load()(folder / w.filename, data) for w in writers}
