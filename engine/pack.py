"""Write a run's two folders atomically: ``publish/`` (safe to release) and ``restricted/``.

Everything is written into a hidden staging folder beside the destination and renamed into
place only when complete, so a failed run leaves the previous pack (or nothing), never half of
one. Same input and settings give byte-identical files: stable sort orders, no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from engine.precision import as_published
from engine.publication import write_publication
from engine.reconciliation import Reconciliation

PUBLISH = "publish"
RESTRICTED = "restricted"
#: The attacker's audit of a run's withheld counts, in restricted/.
CERTIFICATE = "certificate.csv"


@dataclass(frozen=True, slots=True)
class Pack:
    """What a run hands over for writing."""

    #: every figure at full precision (publish/ rounds them: engine.precision)
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


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, float_precision=None, null_value="")


def write_pack(out: Path, pack: Pack) -> dict[str, Path]:
    """Write ``out/publish`` and ``out/restricted``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".wres-run-", dir=out))
    try:
        publish, restricted = staging / PUBLISH, staging / RESTRICTED
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
            # the workbook and the report, from the same published tables, in the same swap
            written = write_publication(publish, indicators, pooled, pack.manifest)
        if pack.certificate is not None:
            _write_csv(pack.certificate, restricted / CERTIFICATE)
        _write_csv(pack.decisions, restricted / "decisions.csv")
        _write_csv(reconciliation_rows(pack.reconciliations), restricted / "reconciliation.csv")
        _write_csv(pack.not_computed, restricted / "not_computed.csv")
        manifest = json.dumps(pack.manifest, indent=2, sort_keys=True, ensure_ascii=False)
        (restricted / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
        _swap_into_place(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
    return {
        **published,
        **certificate,
        "decisions": out / RESTRICTED / "decisions.csv",
        "reconciliation": out / RESTRICTED / "reconciliation.csv",
        "manifest": out / RESTRICTED / "manifest.json",
    }


def _swap_into_place(staging: Path, out: Path) -> None:
    """Replace the previous folders with the staged ones; old ones go only after both moved."""
    retired = staging / "retired"
    retired.mkdir()
    for name in (PUBLISH, RESTRICTED):
        target = out / name
        if target.exists():
            target.rename(retired / name)
    for name in (PUBLISH, RESTRICTED):
        (staging / name).rename(out / name)
