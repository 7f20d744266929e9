"""A writer is one function and one entry: a toy writer, defined in this file and added to the
pack's writers, is given the run's typed record and its file lands beside the workbook and the
report.

The toy writes one line per published indicator: its id, its measure and how many of its rows
publish a numerator. Each is checked against ``indicators.parquet`` read here on its own.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.engine.publication_fixtures import published_tables
from wres.cli.pack import PACK_FILES, PUBLISH
from wres.cli.publication import WRITERS, WriterEntry, write_publication
from wres.cli.publication.tables import Published

TOY = WriterEntry("toy", "toy.txt", __name__, "write_toy")


def write_toy(path: Path, data: Published) -> Path:
    """The toy writer: reads the typed record only, never a file."""
    lines = []
    for i in data.indicator_ids():
        shown = data.rows(i)["numerator"].is_not_null().sum()
        lines.append(f"{i} {data.measure(i).value} {shown}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_toy_writer_is_one_entry_and_gets_the_typed_record(
    shared_pack: Path, tmp_path: Path
) -> None:
    indicators, pooled, manifest = published_tables(shared_pack)
    written = write_publication(tmp_path, indicators, pooled, manifest, writers=(*WRITERS, TOY))
    assert set(written) == {"workbook", "report", "toy"}
    assert {p.name for p in tmp_path.iterdir()} == {"wres.xlsx", "report.html", "toy.txt"}
    unique = indicators.unique()
    expected = {
        f"{i} {unique.filter(pl.col('indicator') == i)['measure'][0]} "
        f"{unique.filter(pl.col('indicator') == i)['numerator'].is_not_null().sum()}"
        for i in unique["indicator"].unique().to_list()
    }
    lines = (tmp_path / "toy.txt").read_text(encoding="utf-8").splitlines()
    assert set(lines) == expected
    assert len(lines) == len(expected) > 3


def test_every_writers_file_is_a_file_a_pack_may_hold() -> None:
    assert {w.filename for w in WRITERS} <= PACK_FILES[PUBLISH]
    assert {w.filename for w in WRITERS} == {"wres.xlsx", "report.html"}
