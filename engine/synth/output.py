"""Streaming the extracts to disk, one trust at a time, and publishing them atomically.

Everything is written inside a hidden temporary folder in the output folder (same file system,
so the final ``os.replace`` is atomic); the extract files appear under their real names only once
all of them are complete, and the temporary folder is removed whatever happens. A failed run
leaves no partial extract behind, and the temporary folders of killed runs are removed by the
next (:mod:`wres.engine.staging`). :func:`check_out_dir` keeps the files replaced to wres's own.

CSV chunks are appended to one open file (header once). Parquet chunks go to one file per trust
and are stream-merged at the end with ``scan_parquet(...).sink_parquet(...)``, which keeps the
order of the files and bounded memory.
"""

from __future__ import annotations

import json
import shutil
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

import polars as pl

from wres.engine.errors import ConfigError, InternalError
from wres.engine.schema import EXTRACTS
from wres.engine.staging import is_staging, make_staging, remove_stale

#: The extracts in the order they are written and reported.
EXTRACT_NAMES: tuple[str, ...] = ("staff", "applications", "survey", "board")
TRUTH_FILE = "synth_truth.json"
#: Rows per Parquet row group of the merged files: fixed so reruns are byte-identical.
PARQUET_ROW_GROUP = 262_144


class OutputFormat(StrEnum):
    """File format of the written extracts."""

    PARQUET = "parquet"
    CSV = "csv"


def in_schema_order(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame's columns in the order wres.engine.schema lists them for the extract."""
    known = [column.name for column in EXTRACTS[name].columns]
    extra = sorted(set(frame.columns) - set(known))
    if extra:
        msg = f"synthetic {name} extract has columns {extra} that wres.engine.schema does not know"
        raise InternalError(msg)
    return frame.select([column for column in known if column in frame.columns])


def _csv_booleans(frame: pl.DataFrame, spelling: tuple[str, str]) -> pl.DataFrame:
    true, false = spelling
    flags = [name for name, dtype in frame.schema.items() if dtype == pl.Boolean]
    return frame.with_columns(
        pl.col(flags).replace_strict({True: true, False: false}, return_dtype=pl.String)
    )


def written_by_wres(out_dir: Path) -> set[str]:
    """The files of ``out_dir`` that an earlier ``wres synth`` wrote, known by its truth file."""
    try:
        truth = json.loads((out_dir / TRUTH_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    if not isinstance(truth, dict) or truth.get("format") not in set(OutputFormat):
        return set()
    return {TRUTH_FILE, *(f"{name}.{truth['format']}" for name in EXTRACT_NAMES)}


def check_out_dir(out_dir: Path, output_format: OutputFormat, *, force: bool = False) -> None:
    """ConfigError unless the extracts can be written into ``out_dir`` replacing only wres's files.

    Accepted: a folder that does not exist yet, an empty one, an earlier synthetic data set
    (its ``synth_truth.json``), and, with ``force``, any folder that holds none of the file
    names about to be written (wres never replaces a file it did not write, even forced).
    """
    try:
        if not out_dir.exists():
            return
        if not out_dir.is_dir():
            msg = f"{out_dir} is a file, not a folder: give a folder for the extracts"
            raise ConfigError(msg)
        entries = {entry.name for entry in out_dir.iterdir() if not is_staging(entry.name)}
    except OSError as err:
        msg = f"cannot write to {out_dir}: {err.strerror or err}"
        raise ConfigError(msg) from None
    ours = written_by_wres(out_dir)
    if entries and not ours and not force:
        msg = (
            f"{out_dir} is not empty and holds no synthetic data of wres (no {TRUTH_FILE}); "
            "wres writes only into a new or empty folder or over its own earlier extracts, so "
            "that it never replaces or deletes files it did not write. Give another --out, or "
            "pass --force to write the extracts beside what is there"
        )
        raise ConfigError(msg)
    to_write = {TRUTH_FILE, *(f"{name}.{output_format.value}" for name in EXTRACT_NAMES)}
    theirs = (to_write & entries) - ours
    if theirs:
        msg = (
            f"{out_dir} already holds {', '.join(sorted(theirs))}, which wres did not write; "
            "wres never replaces a file it did not write: move them or give another --out"
        )
        raise ConfigError(msg)


class ExtractWriter:
    """Writes the four extracts chunk by chunk; ``commit`` publishes them, leaving always cleans.

    Use as a context manager::

        with ExtractWriter(out_dir, OutputFormat.CSV) as writer:
            writer.write({"staff": frame, ...}, csv_boolean=("Y", "N"))
            writer.commit(truth_text)
    """

    def __init__(self, out_dir: Path, output_format: OutputFormat) -> None:
        self.out_dir = out_dir
        self.output_format = output_format
        self._work: Path | None = None
        self._csv: dict[str, BinaryIO] = {}
        self._chunks: dict[str, list[Path]] = {name: [] for name in EXTRACT_NAMES}
        self.rows: dict[str, int] = dict.fromkeys(EXTRACT_NAMES, 0)

    def final_path(self, name: str) -> Path:
        return self.out_dir / f"{name}.{self.output_format.value}"

    def __enter__(self) -> Self:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale(self.out_dir, "synth")
        self._work = make_staging(self.out_dir, "synth")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for handle in self._csv.values():
            handle.close()
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)

    @property
    def work(self) -> Path:
        if self._work is None:
            msg = "ExtractWriter used outside its 'with' block (a bug in wres)"
            raise InternalError(msg)
        return self._work

    def write(self, frames: dict[str, pl.DataFrame], csv_boolean: tuple[str, str]) -> None:
        """Append one trust's frames; CSV booleans are spelt ``csv_boolean`` (true, false)."""
        for name in EXTRACT_NAMES:
            frame = in_schema_order(name, frames[name])
            self.rows[name] += frame.height
            if self.output_format is OutputFormat.CSV:
                self._append_csv(name, _csv_booleans(frame, csv_boolean))
            else:
                chunk = self.work / f"{name}-{len(self._chunks[name]):05d}.parquet"
                frame.write_parquet(chunk)
                self._chunks[name].append(chunk)

    def _append_csv(self, name: str, frame: pl.DataFrame) -> None:
        handle = self._csv.get(name)
        first = handle is None
        if handle is None:
            handle = (self.work / f"{name}.csv").open("wb")
            self._csv[name] = handle
        frame.write_csv(handle, include_header=first)

    def _finish(self, name: str) -> Path:
        """The complete extract inside the work folder."""
        if self.output_format is OutputFormat.CSV:
            self._csv.pop(name).close()
            return self.work / f"{name}.csv"
        merged = self.work / f"{name}.parquet"
        pl.scan_parquet(self._chunks[name]).sink_parquet(
            merged, row_group_size=PARQUET_ROW_GROUP, maintain_order=True
        )
        for chunk in self._chunks[name]:
            chunk.unlink()
        return merged

    def commit(self, truth_text: str) -> dict[str, Path]:
        """Complete every extract, then move them and the truth file into place."""
        if any(self.rows[name] == 0 for name in EXTRACT_NAMES):
            msg = f"nothing was written to some extracts ({self.rows}); this is a bug in wres"
            raise InternalError(msg)
        complete = {name: self._finish(name) for name in EXTRACT_NAMES}
        truth = self.work / TRUTH_FILE
        truth.write_text(truth_text, encoding="utf-8")
        published: dict[str, Path] = {}
        for name, path in complete.items():
            published[name] = self.final_path(name)
            path.replace(published[name])
        truth.replace(self.out_dir / TRUTH_FILE)
        return published
