"""`wres run`: compute the indicators and write the publication pack."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from wres.cli import options
from wres.cli.console import handles_errors, stderr
from wres.cli.exit_codes import ExitCode
from wres.cli.pack import pack_folder
from wres.cli.pipeline import run
from wres.cli.progress import WRITING, progress_bar
from wres.cli.request import RunRequest, parse_by
from wres.cli.summary import report_run
from wres.cli.validate import parse_mapping
from wres.engine.errors import ConfigError
from wres.engine.ethnicity import Level, load_scheme
from wres.engine.indicators import REFERENCES, Settings
from wres.engine.parallel import default_jobs
from wres.engine.reconciliation import UNRECOGNISED_AT_MOST_PERCENT
from wres.engine.standards import load_standard
from wres.rules.policy import load_policy

_FILE = "FILE"


def _reference(value: str) -> Literal["White", "White British"]:
    if value == "White":
        return "White"
    if value == "White British":
        return "White British"
    msg = f"--reference {value!r}: use one of {', '.join(map(repr, REFERENCES))}"
    raise ConfigError(msg)


def _command(ctx: typer.Context) -> list[str]:
    """The command as the options were understood, defaults included, for the manifest.

    Built from the parsed options rather than ``sys.argv``, which holds the host program's
    arguments when wres is called from Python (a notebook, a test runner).
    """
    command = ["wres", ctx.info_name or "run"]
    flags = {p.name: p.opts[0] for p in ctx.command.params if p.opts}
    for name, value in ctx.params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None or item is False:
                continue
            flag = flags[name]
            command.extend([flag] if item is True else [flag, str(getattr(item, "value", item))])
    return command


class StandardChoice(StrEnum):
    WRES = "wres"
    WDES = "wdes"


def _settings_for(standard: str, level: Level, reference: str) -> tuple[Level, str]:
    """The comparison level and reference group of a run: WRES as asked; WDES compares
    Disabled with Not disabled staff, so the ethnicity options do not apply to it."""
    if standard == StandardChoice.WRES:
        return level, _reference(reference)
    if level is not Level.WRES or reference != "White":
        msg = (
            f"--standard {standard} compares Disabled with Not disabled staff: "
            "--ethnicity-level and --reference apply to --standard wres only"
        )
        raise ConfigError(msg)
    return Level.WRES, load_standard(standard).reference


class CiChoice(StrEnum):
    SCORE = "score"
    MN = "mn"
    KATZ = "katz"


class TestChoice(StrEnum):
    CHI2 = "chi2"
    MIDP = "midp"
    FISHER = "fisher"


class AdjustChoice(StrEnum):
    BH = "bh"
    HOLM = "holm"


class RollUp(StrEnum):
    NONE = "none"
    AUTO = "auto"


@handles_errors
def run_command(
    ctx: typer.Context,
    *,
    staff: options.Staff = None,
    applications: options.Applications = None,
    survey: options.Survey = None,
    board: options.Board = None,
    standard: Annotated[
        StandardChoice,
        typer.Option(
            help="Standard: wres (ethnicity, White vs BME) or wdes (disability, "
            "Not disabled vs Disabled)."
        ),
    ] = StandardChoice.WRES,
    counts: Annotated[
        Path | None,
        typer.Option(
            metavar=_FILE,
            help="Pre-aggregated counts (indicator,year,ethnicity,numerator,denominator,...), "
            "instead of record-level extracts.",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            file_okay=False,
            help="Folder for publish/ and restricted/: new, empty or an earlier pack "
            "(else --force).",
        ),
    ] = Path("wres-out"),
    force: options.Force = False,
    by: Annotated[
        list[str] | None,
        typer.Option(
            metavar="COLUMN[,COLUMN...]",
            help="Cut by these columns as a roll-up (band, then band x site); repeatable.",
        ),
    ] = None,
    lattice: Annotated[
        bool, typer.Option("--lattice", help="Every subset of the --by columns, with totals.")
    ] = False,
    roll_up: Annotated[
        RollUp,
        typer.Option(
            help="auto: also publish each band cut by NHS WRES band cluster (Bands 1-4, 5-7, "
            "8a-8b, 8c-9 and VSM; consultants, career grades, trainees), for where bands are "
            "withheld."
        ),
    ] = RollUp.NONE,
    ethnicity_level: Annotated[
        Level, typer.Option(help="wres: White vs BME; broad: groups vs White; detailed: 16.")
    ] = Level.WRES,
    reference: Annotated[
        str, typer.Option(help="Reference group: 'White' or 'White British'.")
    ] = "White",
    policy: options.Policy = "wres-default",
    level: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
    ] = 0.95,
    ci_method: Annotated[
        CiChoice,
        typer.Option(
            help="Interval for the ratio: score (Koopman), mn (Miettinen-Nurminen), katz."
        ),
    ] = CiChoice.SCORE,
    test: Annotated[
        TestChoice,
        typer.Option(help="Test of equal rates: chi2 (Pearson, matches score), midp, fisher."),
    ] = TestChoice.CHI2,
    adjust: Annotated[
        AdjustChoice,
        typer.Option(help="Multiplicity adjustment within each indicator: bh or holm."),
    ] = AdjustChoice.BH,
    column_map: options.ColumnMap = None,
    ethnicity_config: options.EthnicityConfig = None,
    unrecognised_at_most: options.UnrecognisedAtMost = UNRECOGNISED_AT_MOST_PERCENT,
    accept_unrecognised: options.AcceptUnrecognised = False,
    organisation_name: options.OrganisationName = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary table and no messages.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also the reconciliation of every input.")
    ] = False,
    as_json: options.Json = False,
    engine: options.Engine = options.EngineChoice.LOCAL,
    jobs: options.Jobs = None,
) -> None:
    """Compute the WRES (or, with --standard wdes, WDES) indicators and write a safe pack.

    Reads record-level extracts (any subset of --staff, --applications, --survey, --board) or a
    counts file (--counts), computes every indicator for every year, cut and ethnic group, withholds
    what the disclosure policy withholds, and writes OUT/publish/ (indicators and pooled results
    as CSV and Parquet, the workbook wres.xlsx, the report report.html) and OUT/restricted/
    (decisions, reconciliation, the share of counts published, manifest). Indicators whose
    extract is missing are listed as not computed. An extract with more unrecognised ethnicity
    values than --unrecognised-at-most allows stops the run with every spelling listed (exit 3),
    unless --accept-unrecognised.

    Example: wres run --staff staff.parquet --applications applications.parquet --by site --out pack
    """
    # long: a typer command; most of its lines declare its options
    with pack_folder(out, force=force) as folder:  # before any input is read
        extracts = options.given_extracts(staff, applications, survey, board)
        compared_level, reference_group = _settings_for(standard.value, ethnicity_level, reference)
        with progress_bar(enabled=not quiet) as progress:
            request = RunRequest(
                standard=load_standard(standard.value),
                scheme=load_scheme(ethnicity_config),
                policy=load_policy(policy),
                settings=Settings(
                    level=compared_level,
                    reference=reference_group,
                    ci_method=ci_method.value,
                    confidence=level,
                    test=test.value,
                    characteristic=load_standard(standard.value).characteristic,
                ),
                extracts=extracts,
                counts=counts,
                mapping=parse_mapping(column_map or []),
                by=parse_by(by or []),
                lattice=lattice,
                roll_up=roll_up is RollUp.AUTO,
                adjust=adjust.value,
                command=_command(ctx),
                progress=progress,
                engine=engine.value,
                jobs=jobs or default_jobs(),
                unrecognised_at_most_percent=unrecognised_at_most,
                accept_unrecognised=accept_unrecognised,
                organisation_name=options.organisation_name(organisation_name),
            )
            pack = run(request)
            if progress is not None:
                progress(WRITING, 0, None)
            paths = folder.write(pack)
    if not pack.audit_passed:
        if as_json:
            typer.echo(
                json.dumps({"attacker_audit": "failed", "certificate": str(paths["certificate"])})
            )
        stderr().print(
            "[bold red]the disclosure audit failed[/]: nothing was published; "
            f"see {paths['certificate']}"
        )
        raise typer.Exit(ExitCode.DISCLOSURE_AUDIT_FAILED)
    report_run(
        pack, paths, request.standard, level=level, as_json=as_json, quiet=quiet, verbose=verbose
    )
