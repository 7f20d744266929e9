"""The publication pack's human-facing files: the Excel workbook and the HTML report.

Both are built from the run's published tables and its manifest only (see
:mod:`wres.cli.publication.tables`), written into the pack's staging folder by
:func:`wres.cli.pack.write_pack`, and byte-deterministic for the same input.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from wres.engine.standards import Standard

WORKBOOK = "wres.xlsx"
REPORT = "report.html"


def write_publication(
    folder: Path,
    indicators: pl.DataFrame,
    pooled: pl.DataFrame,
    manifest: Mapping[str, Any],
    *,
    standard: Standard | None = None,
) -> dict[str, Path]:
    """Write ``wres.xlsx`` and ``report.html`` into ``folder``; return their paths. ``standard``:
    the run's declarations (None: the shipped standard the manifest names)."""
    # imported here so that `wres --help` does not load xlsxwriter
    from wres.cli.publication.report import write_report  # noqa: PLC0415
    from wres.cli.publication.tables import published  # noqa: PLC0415
    from wres.cli.publication.workbook import write_workbook  # noqa: PLC0415

    data = published(indicators, pooled, manifest, standard=standard)
    return {
        "workbook": write_workbook(folder / WORKBOOK, data),
        "report": write_report(folder / REPORT, data),
    }
