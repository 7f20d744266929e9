"""Write a run's two folders atomically: ``publish/`` (safe to release) and ``restricted/``.

Everything is written into a hidden staging folder beside the destination and renamed into
place only when complete, so a failed run leaves the previous pack (or nothing), never half of
one. Same input and settings give byte-identical files: stable sort orders, no timestamps.

wres never deletes or replaces a file it did not write. The output folder must be new, empty or
a previous pack (recognised by its ``restricted/manifest.json``) whose two folders hold only
the files a pack holds; anything else is refused unless forced, and then only wres's own files
in ``publish/`` and ``restricted/`` are replaced, one at a time, and every other file is left.
The folder is checked, and its staging folder made, before the run reads any input
(:func:`pack_folder`), so an unusable folder is reported at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from wres.cli.publication import WRITERS, write_publication
from wres.engine.errors import ConfigError
from wres.engine.funnels import funnel_table
from wres.engine.precision import as_published
from wres.engine.reconciliation import Reconciliation
from wres.engine.staging import cannot_write, is_staging, staging_folder
from wres.engine.standards import Standard

PUBLISH = "publish"
RESTRICTED = "restricted"
#: The attacker's audit of a run's withheld counts, in restricted/.
CERTIFICATE = "certificate.csv"
MANIFEST = "manifest.json"
#: Every unrecognised ethnicity spelling of the inputs, in restricted/.
UNRECOGNISED_FILE = "unrecognised_ethnicity.csv"
#: The funnel table of a run with an organisation cut (``wres.engine.funnels``).
FUNNEL_FILE = "funnel.csv"
#: What the protection costs: the share of counts published and the information lost.
UTILITY_FILE = "utility.csv"
#: Every file a pack holds, by folder: the only files a new pack may replace or remove.
PACK_FILES: Mapping[str, frozenset[str]] = {
    PUBLISH: frozenset(
        {
            "indicators.csv",
            "indicators.parquet",
            "pooled.csv",
            "pooled.parquet",
            FUNNEL_FILE,
            "funnel.parquet",
            *(w.filename for w in WRITERS),
        }
    ),
    RESTRICTED: frozenset(
        {
            CERTIFICATE,
            "decisions.csv",
            "reconciliation.csv",
            "not_computed.csv",
            UNRECOGNISED_FILE,
            UTILITY_FILE,
            MANIFEST,
        }
    ),
}
#: The purpose in the staging folder's name: ``.wres-run-<host>-<pid>-<random>``.
STAGING_PURPOSE = "run"


@dataclass(frozen=True, slots=True)
class Pack:
    """What a run hands over for writing."""

    #: every figure at full precision (publish/ rounds them: wres.engine.precision)
    indicators: pl.DataFrame
    #: Mantel-Haenszel and trend results over the years, per comparison and cut
    pooled: pl.DataFrame
    decisions: pl.DataFrame
    reconciliations: tuple[Reconciliation, ...]
    not_computed: pl.DataFrame
    manifest: Mapping[str, Any]
    #: the attacker's audit of every withheld count (restricted: it says which are small)
    certificate: pl.DataFrame | None = None
    #: False: the audit failed, and nothing may be published
    audit_passed: bool = True
    #: per table and level, the share of counts published and the information lost
    #: (wres.engine.utility; restricted: with publish/ it gives the withheld counts' sums)
    utility: pl.DataFrame | None = None
    #: the run's declarations (its indicators' titles and labels, for the workbook and the
    #: report); None: the shipped standard the manifest names
    standard: Standard | None = None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (inputs can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reconciliation_rows(reports: Iterable[Reconciliation]) -> pl.DataFrame:
    """The reconciliation of input rows as a tidy table: extract, item, rows."""
    rows: list[tuple[str, str, int]] = []
    for rep in reports:
        rows.append((rep.extract, "rows read", rep.rows_read))
        rows.append((rep.extract, "rows used", rep.rows_used))
        rows.extend((rep.extract, f"excluded: {k}", v) for k, v in rep.rows_excluded.items())
        rows.extend((rep.extract, f"ethnicity: {k}", v) for k, v in rep.ethnicity.items())
        rows.extend(
            (rep.extract, f"unknown ethnicity: {k}", v) for k, v in rep.ethnicity_unknown.items()
        )
        rows.extend(
            (rep.extract, f"unknown or blank: {k}", v) for k, v in rep.unknown_values.items()
        )
        rows.extend((rep.extract, f"year {y}: rows used", v) for y, v in rep.rows_by_year.items())
    return pl.DataFrame(rows, schema=["extract", "item", "rows"], orient="row")


def unrecognised_rows(reports: Iterable[Reconciliation]) -> pl.DataFrame:
    """Every unrecognised ethnicity spelling of each input: extract, spelling, rows, and the
    file, row and column of its first occurrence (restricted: the spellings are values)."""
    rows = [
        (rep.extract, spelling, found.rows, str(found.file), found.row, found.column)
        for rep in reports
        for spelling, found in rep.unrecognised_spellings()
    ]
    return pl.DataFrame(
        rows,
        schema={
            "extract": pl.String,
            "spelling": pl.String,
            "rows": pl.Int64,
            "file": pl.String,
            "row": pl.Int64,
            "column": pl.String,
        },
        orient="row",
    )


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, float_precision=None, null_value="")


@dataclass(frozen=True, slots=True)
class PackFolder:
    """An output folder that was checked, with the staging folder this run writes into."""

    out: Path
    staging: Path

    def write(self, pack: Pack) -> dict[str, Path]:
        """Write ``out/publish`` and ``out/restricted``; return the paths written."""
        publish, restricted = self.staging / PUBLISH, self.staging / RESTRICTED
        publish.mkdir()
        restricted.mkdir()
        written: dict[str, Path] = {}
        if pack.audit_passed:  # a failed audit publishes nothing: publish/ is left empty
            # figures rounded as the annual return prints them; the Pack keeps full precision
            indicators, pooled = as_published(pack.indicators), as_published(pack.pooled)
            _write_csv(indicators, publish / "indicators.csv")
            indicators.write_parquet(publish / "indicators.parquet", statistics=False)
            _write_csv(pooled, publish / "pooled.csv")
            pooled.write_parquet(publish / "pooled.parquet", statistics=False)
            # computed from the published table alone: it can say nothing that table does not
            funnel = funnel_table(indicators)
            if not funnel.is_empty():
                _write_csv(funnel, publish / FUNNEL_FILE)
                funnel.write_parquet(publish / "funnel.parquet", statistics=False)
                written["funnel"] = publish / FUNNEL_FILE
            # the workbook and the report, from the same published tables, in the same swap
            written |= write_publication(
                publish, indicators, pooled, pack.manifest, standard=pack.standard, funnel=funnel
            )
        if pack.certificate is not None:
            _write_csv(pack.certificate, restricted / CERTIFICATE)
        if pack.utility is not None and pack.audit_passed:  # nothing published: no cost to tell
            _write_csv(pack.utility, restricted / UTILITY_FILE)
        _write_csv(pack.decisions, restricted / "decisions.csv")
        _write_csv(reconciliation_rows(pack.reconciliations), restricted / "reconciliation.csv")
        _write_csv(unrecognised_rows(pack.reconciliations), restricted / UNRECOGNISED_FILE)
        _write_csv(pack.not_computed, restricted / "not_computed.csv")
        manifest = json.dumps(pack.manifest, indent=2, sort_keys=True, ensure_ascii=False)
        (restricted / MANIFEST).write_text(manifest + "\n", encoding="utf-8")
        _swap_into_place(self.staging, self.out)
        return _paths(self.out, pack, written)


@contextmanager
def pack_folder(out: Path, *, force: bool = False) -> Iterator[PackFolder]:
    """Check ``out``, make it and its staging folder: everything that can fail before a run.

    ConfigError, naming the folder, when ``out`` cannot be written (a file is in the way,
    permission denied) or is not empty and not a previous pack (unless ``force``). Stale
    staging folders of killed runs are removed. When the block fails, the staging folder and
    any folder made for ``out`` are removed: nothing is left behind.
    """
    check_out(out, force=force)
    with staging_folder(out, STAGING_PURPOSE) as staging:
        yield PackFolder(out, staging)


def write_pack(out: Path, pack: Pack, *, force: bool = False) -> dict[str, Path]:
    """Write ``out/publish`` and ``out/restricted``; return the paths written.

    ``out`` must be new, empty or a previous pack unless ``force`` (see :func:`check_out`).
    """
    with pack_folder(out, force=force) as folder:
        return folder.write(pack)


def is_pack(out: Path) -> bool:
    """Whether ``out`` holds a pack written by wres: its manifest names the wres version."""
    try:
        manifest = json.loads((out / RESTRICTED / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and "wres_version" in manifest


def foreign_files(out: Path) -> list[Path]:
    """What ``out/publish`` and ``out/restricted`` hold that wres did not write."""
    foreign: list[Path] = []
    for name, own in PACK_FILES.items():
        folder = out / name
        if folder.is_dir():
            foreign += sorted(p for p in folder.iterdir() if p.name not in own or not _a_file(p))
    return foreign


def _a_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def check_out(out: Path, *, force: bool = False) -> None:
    """ConfigError unless a pack may be written into ``out`` without touching others' files.

    Accepted: a folder that does not exist yet, an empty one (staging folders aside), a
    previous pack whose publish/ and restricted/ hold only wres's files, and, with ``force``,
    any other folder (wres then replaces only its own files).
    """
    try:
        if not out.exists():
            return
        if not out.is_dir():
            msg = f"{out} is a file, not a folder: give a folder for the pack"
            raise ConfigError(msg)
        if not any(not is_staging(entry.name) for entry in out.iterdir()):
            return
        _check_pack_folders(out)
        foreign = foreign_files(out)
    except OSError as err:
        raise ConfigError(cannot_write(out, err)) from None
    if force:
        return
    if is_pack(out):
        if foreign:
            msg = (
                f"{out} holds a wres pack, and also files wres did not write: "
                f"{_listing(foreign)}. A new pack replaces publish/ and restricted/ as a whole; "
                "move those files elsewhere first, or pass --force to keep them (wres then "
                "replaces only its own files, one at a time)"
            )
            raise ConfigError(msg)
        return
    msg = (
        f"{out} is not empty and holds no wres pack (no {RESTRICTED}/{MANIFEST} written by "
        "wres); wres writes only into a new or empty folder or over an earlier pack, so that "
        "it never replaces or deletes files it did not write. Give another --out, or pass "
        "--force to write publish/ and restricted/ beside what is there (wres then replaces "
        "only its own files and leaves every other)"
    )
    raise ConfigError(msg)


def _check_pack_folders(out: Path) -> None:
    """Refuse what even --force cannot write over: a file or link named publish, a folder or
    link named like one of wres's files."""
    for name, own in PACK_FILES.items():
        folder = out / name
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            msg = f"{folder} is not a folder, but wres writes a folder there: move or rename it"
            raise ConfigError(msg)
        for file in own:
            path = folder / file
            if (path.exists() or path.is_symlink()) and not _a_file(path):
                msg = f"{path} has the name of a file of the pack but is not a plain file: move it"
                raise ConfigError(msg)


def _listing(paths: list[Path], limit: int = 5) -> str:
    shown = ", ".join(str(p) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _paths(out: Path, pack: Pack, written: Mapping[str, Path]) -> dict[str, Path]:
    published = (
        {
            "indicators": out / PUBLISH / "indicators.csv",
            "indicators_parquet": out / PUBLISH / "indicators.parquet",
            "pooled": out / PUBLISH / "pooled.csv",
            **{name: out / PUBLISH / path.name for name, path in written.items()},
        }
        if pack.audit_passed
        else {}
    )
    certificate = (
        {"certificate": out / RESTRICTED / CERTIFICATE} if pack.certificate is not None else {}
    )
    utility = (
        {"utility": out / RESTRICTED / UTILITY_FILE}
        if pack.utility is not None and pack.audit_passed
        else {}
    )
    return {
        **published,
        **certificate,
        **utility,
        "decisions": out / RESTRICTED / "decisions.csv",
        "reconciliation": out / RESTRICTED / "reconciliation.csv",
        "unrecognised_ethnicity": out / RESTRICTED / UNRECOGNISED_FILE,
        "manifest": out / RESTRICTED / MANIFEST,
    }


def _swap_into_place(staging: Path, out: Path) -> None:
    """Put the staged folders in place of the previous ones, each by a rename.

    A previous folder holding only wres's files is renamed away whole (and removed with the
    staging folder); if any rename fails, those done are undone and the previous pack stays.
    A folder that also holds others' files (only with --force) keeps them: wres's files in it
    are replaced one at a time instead.
    """
    retired = staging / "retired"
    retired.mkdir()
    foreign = foreign_files(out)
    done: list[tuple[Path, Path]] = []
    try:
        for name, own in PACK_FILES.items():
            target = out / name
            if any(path.parent == target for path in foreign):
                _replace_own_files(staging / name, target, own)
                continue
            if target.exists():
                target.rename(retired / name)
                done.append((target, retired / name))
            (staging / name).rename(target)
            done.append((staging / name, target))
    except OSError:
        for source, destination in reversed(done):
            destination.rename(source)
        raise


def _replace_own_files(staged: Path, target: Path, own: frozenset[str]) -> None:
    """Replace wres's files in ``target`` by the staged ones; leave every other file."""
    new = {path.name for path in staged.iterdir()}
    for name in sorted(own - new):  # e.g. the publication of an earlier run whose audit passed
        (target / name).unlink(missing_ok=True)
    for path in sorted(staged.iterdir()):
        path.replace(target / path.name)
