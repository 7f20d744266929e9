"""`wres protect`: secondary suppression for any count table, with the audit's certificate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import polars as pl
import typer

from wres.cli import options
from wres.cli.console import fail, handles_errors, stderr, stdout
from wres.cli.exit_codes import ExitCode
from wres.engine.errors import ConfigError
from wres.engine.staging import staging_folder
from wres.rules.long_format import STATUS_COLUMN, LongTable, read_long_table
from wres.rules.policy import load_policy
from wres.rules.secondary import Protection, protect
from wres.rules.table import DEFAULT_TOTAL

PUBLISHED = "published"
SUPPRESSED = "suppressed"


def parse_hierarchies(items: Sequence[str]) -> dict[str, Path]:
    """``["ethnicity=eth.csv"]`` -> ``{"ethnicity": Path("eth.csv")}``; ConfigError if bad."""
    out: dict[str, Path] = {}
    for item in items:
        name, sep, file = item.partition("=")
        if not sep or not name.strip() or not file.strip():
            msg = f"--hierarchy {item!r}: write DIMENSION=FILE, e.g. --hierarchy ethnicity=eth.csv"
            raise ConfigError(msg)
        if name.strip() in out:
            msg = f"--hierarchy gives two files for {name.strip()!r}"
            raise ConfigError(msg)
        out[name.strip()] = Path(file.strip())
    return out


def parse_dimensions(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        msg = "--dimensions names no column; give e.g. --dimensions ethnicity,band,site"
        raise ConfigError(msg)
    return names


def read_table(
    table: Path,
    count_column: str,
    hierarchy: Sequence[str] | None,
    total_label: str,
    dimensions: str | None,
    *,
    published: bool = False,
    marker: str = "[c]",
) -> LongTable:
    """The table of ``wres protect`` (true counts) or ``wres audit`` (``published``, its
    withheld cells showing ``marker``) read with the command's options."""
    return read_long_table(
        table,
        count_column,
        hierarchies=parse_hierarchies(hierarchy or []),
        total=total_label,
        dimensions=parse_dimensions(dimensions),
        published=published,
        marker=marker,
    )


def certificate_path(out: Path) -> Path:
    """``protected.csv`` -> ``protected.certificate.csv``."""
    return out.with_name(f"{out.stem}.certificate.csv")


@handles_errors
def protect_command(
    table: Annotated[
        Path,
        typer.Argument(
            metavar="TABLE.csv",
            help="Long-format counts: dimension columns (totals labelled --total-label) and "
            "one count column.",
        ),
    ],
    *,
    out: Annotated[
        Path,
        typer.Option(
            metavar="OUT.csv",
            dir_okay=False,
            help="The protected table; its certificate goes beside it as OUT.certificate.csv.",
        ),
    ],
    count_column: Annotated[
        str, typer.Option(metavar="NAME", help="The column holding the counts.")
    ] = "count",
    hierarchy: options.Hierarchy = None,
    policy: options.Policy = "wres-default",
    total_label: options.TotalLabel = DEFAULT_TOTAL,
    dimensions: options.Dimensions = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
    as_json: options.Json = False,
) -> None:
    """Withhold small counts and every cell that would let them be recovered.

    Reads a long-format count table with all its totals, withholds the counts the policy
    withholds (primary), then further cells (secondary) until an attacker who knows every
    published figure, every total and the policy is left with at least the policy's
    [secondary] min_attacker_interval possible values for each withheld cell that could be
    small. Writes the same rows with every withheld count replaced by the policy's marker and
    a status column (published or suppressed: the same for both kinds), and
    OUT.certificate.csv beside it (for the information-governance officer, not for release):
    each withheld cell's key, why it is withheld, the attacker's interval, the requirement and
    pass or fail. Never writes or prints the true value of a withheld cell.

    Example: wres protect staff.csv --count-column staff --hierarchy ethnicity=eth.csv --out out.csv
    """
    # long: a typer command; most of its lines declare its options
    # the folder of OUT is made and proved writable before the table is read
    with staging_folder(out.parent, "protect") as staging:
        chosen = load_policy(policy)
        read = read_table(table, count_column, hierarchy, total_label, dimensions)
        result = protect(read.tables, chosen)
        cert_path = certificate_path(out)
        if not result.certificate.ok:  # the fallback makes this unreachable; publish nothing
            raise fail(
                f"the disclosure audit failed for {len(result.certificate.failures)} cell(s); "
                "nothing written",
                ExitCode.DISCLOSURE_AUDIT_FAILED,
            )
        protected = _protected_frame(read, result, chosen.secondary.marker)
        _write_atomically(staging, {out: protected, cert_path: result.certificate_frame()})
    summary = _summary(read, result, chosen.name, out, cert_path)
    if as_json:
        print(json.dumps(summary, indent=2))
    elif not quiet:
        console = stdout()
        for key, value in summary.items():
            if not isinstance(value, dict | list):
                console.print(f"{key.replace('_', ' ')}: {value}", markup=False)
    if not quiet:
        for note in result.notes:
            stderr().print(f"note: {note}", markup=False)


def _protected_frame(read: LongTable, result: Protection, marker: str) -> pl.DataFrame:
    """The input rows in their order: withheld counts as the marker, a status column."""
    cells = read.cell_of_record
    hidden = result.hidden[cells]
    figures = result.figures[cells]
    column = [marker if h else str(int(f)) for h, f in zip(hidden, figures, strict=True)]
    frame = read.frame.with_columns(pl.Series(read.count_column, column, dtype=pl.String))
    status = np.where(hidden, SUPPRESSED, PUBLISHED)
    return frame.with_columns(pl.Series(STATUS_COLUMN, status.tolist(), dtype=pl.String))


def _write_atomically(staging: Path, files: dict[Path, pl.DataFrame]) -> None:
    """Write every file into ``staging`` first, then rename each into place: all or none."""
    for path, frame in files.items():
        frame.write_csv(staging / path.name, null_value="")
    for path in files:
        (staging / path.name).replace(path)


def _summary(
    read: LongTable, result: Protection, policy: str, out: Path, cert: Path
) -> dict[str, Any]:
    c = result.certificate
    return {
        "table": str(read.path),
        "policy": policy,
        "cells": int(read.tables.n_cells),
        "withheld_primary": int(result.primary.sum()),
        "withheld_secondary": int(result.secondary.sum()),
        "withheld_by_fallback": int(sum(r == "S2" for r in result.rules)),
        "audit": "pass" if c.ok else "FAIL",
        "cells_below_requirement": len(c.failures),
        "exact_intervals": int(c.exact.sum()),
        "proved_by_witness_tables": int((~c.exact & c.passed & (c.required > 0)).sum()),
        "protected_table": str(out),
        "certificate": str(cert),
    }
