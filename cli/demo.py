"""`wres demo`: one synthetic trust over ten years, run end to end with the default policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wres.cli import options
from wres.cli.console import handles_errors, stderr
from wres.cli.pack import pack_folder
from wres.cli.pipeline import run
from wres.cli.progress import WRITING, progress_bar
from wres.cli.request import RunRequest
from wres.cli.summary import print_summary, print_unrecognised_notes, print_utility
from wres.engine.ethnicity import default_scheme
from wres.engine.parallel import default_jobs
from wres.engine.standards import load_standard
from wres.engine.synth import OutputFormat, check_out_dir, parse_years, write_synthetic
from wres.rules.policy import load_policy

DEMO_CUTS = (("site",), ("band",))
#: The demo's first stage, before the run's own.
SYNTHESISING = "synthesising one trust"


@handles_errors
def demo(
    *,
    out: Annotated[
        Path,
        typer.Option(
            file_okay=False,
            help="Folder for data/, publish/ and restricted/: new, empty or an earlier demo "
            "(else --force).",
        ),
    ] = Path("wres-demo"),
    seed: Annotated[int, typer.Option(min=0, help="Seed of the synthetic trust.")] = 1,
    years: Annotated[str, typer.Option(help="Years to synthesise, e.g. 2015-2024.")] = "2015-2024",
    organisation_name: options.OrganisationName = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stdout.")] = False,
    force: options.Force = False,
    jobs: options.Jobs = None,
) -> None:
    """Synthesise one NHS trust, compute all nine WRES indicators and write the pack.

    Writes the synthetic extracts to OUT/data/, then runs them with the wres-default policy,
    cut by site and by band with the band clusters rolled up (--roll-up auto), and writes
    OUT/publish/ and OUT/restricted/. Prints the latest year's headline figures. No real data
    is involved.

    Example: wres demo --out ./wres-demo
    """
    # long: a typer command; most of its lines declare its options
    messages = stderr()
    data = out / "data"
    with pack_folder(out, force=force) as folder:  # before anything is written
        check_out_dir(data, OutputFormat.PARQUET, force=force)
        with progress_bar() as progress:
            if progress is not None:
                progress(SYNTHESISING, 0, None)
            result = write_synthetic(data, trusts=1, years=parse_years(years), seed=seed)
        messages.print(f"synthesised one trust into {data}", markup=False)
        named = options.organisation_name(organisation_name)
        command = ["wres", "demo", "--out", str(out), "--seed", str(seed), "--years", years]
        with progress_bar() as progress:
            request = RunRequest(
                standard=load_standard("wres"),
                scheme=default_scheme(),
                policy=load_policy("wres-default"),
                extracts=dict(result.files),
                by=DEMO_CUTS,
                roll_up=True,
                command=[*command, *(["--organisation-name", named] if named else [])],
                progress=progress,
                organisation_name=named,
                jobs=jobs or default_jobs(),
            )
            pack = run(request)
            if progress is not None:
                progress(WRITING, 0, None)
            paths = folder.write(pack)
    for report in pack.reconciliations:
        messages.print(
            f"{report.extract}: {report.rows_read:,} rows read = {report.rows_used:,} used "
            f"+ {report.rows_excluded_total:,} excluded",
            markup=False,
        )
    print_unrecognised_notes(pack)
    if not quiet:
        print_summary(pack.indicators, request.standard)
        print_utility(pack)
    messages.print(
        f"wrote {paths['indicators'].parent} (safe to publish) and "
        f"{paths['manifest'].parent} (restricted audit)",
        markup=False,
    )
