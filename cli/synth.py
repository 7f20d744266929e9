"""`wres synth`: write synthetic record-level extracts with known, injected disparities."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wres.cli import options
from wres.cli.console import fail, handles_errors, stderr, stdout
from wres.cli.exit_codes import ExitCode
from wres.engine.errors import ConfigError
from wres.engine.synth import (
    EXTRACT_NAMES,
    MAX_TRUSTS,
    OutputFormat,
    TrustData,
    check_out_dir,
    parse_years,
    write_synthetic,
)


def _check_years(text: str) -> str:
    """Option callback, so a bad value is reported against ``--years`` with exit code 2."""
    try:
        parse_years(text)
    except ConfigError as err:
        raise typer.BadParameter(str(err)) from None
    return text


@handles_errors
def synth(
    *,
    trusts: Annotated[
        int,
        typer.Option(min=1, max=MAX_TRUSTS, help="Number of trusts (about 210 is the nation)."),
    ] = 1,
    years: Annotated[
        str,
        typer.Option(callback=_check_years, help="A year or an inclusive range: 2024, 2015-2024."),
    ] = "2015-2024",
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed; the same seed gives identical files.")
    ] = 1,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="File format of the extracts.")
    ] = OutputFormat.PARQUET,
    out: Annotated[
        Path,
        typer.Option(file_okay=False, help="Folder to write into (created if missing)."),
    ] = Path("wres-synth"),
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress messages on stderr.")
    ] = False,
    force: options.Force = False,
) -> None:
    """Write synthetic staff, applications, survey and board extracts with known disparities.

    The four record-level extracts of the WRES (docs/inputs.md) are written to OUT as
    staff.parquet, applications.parquet, survey.parquet and board.parquet (or .csv), with the
    disability columns and survey questions of the WDES, and synth_truth.json recording the
    injected indicator 2-4 ratios, the WDES values, hotspot sites and row counts. Files are
    byte-identical for the same options. OUT must be new, empty or an earlier output of wres
    synth, unless --force; a file wres did not write is never replaced.

    Example: wres synth --trusts 210 --years 2015-2024 --seed 1 --format parquet --out ./national
    """
    # long: a typer command; most of its lines declare its options
    check_out_dir(out, output_format, force=force)
    messages = stderr()

    def report(data: TrustData) -> None:
        if not quiet:
            trust = data.trust
            messages.print(
                f"trust {trust.index + 1}/{trusts} {trust.code} ({trust.region}): "
                f"{data.frames['staff'].height:,} staff rows",
                markup=False,
            )

    try:
        result = write_synthetic(
            out,
            trusts=trusts,
            years=parse_years(years),
            seed=seed,
            output_format=output_format,
            progress=report,
        )
    except OSError as err:
        raise fail(
            f"cannot write to {out}: {err.strerror or err}", ExitCode.USAGE_OR_CONFIG
        ) from None
    counts = ", ".join(f"{name} {result.rows[name]:,}" for name in EXTRACT_NAMES)
    stdout().print(f"wrote {out}: {counts} rows; truth in {result.truth.name}", markup=False)
