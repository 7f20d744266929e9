"""`wres validate`: check record-level extracts and report where every row went."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from wres.cli import options
from wres.cli.console import fail, handles_errors, stderr, stdout
from wres.cli.exit_codes import ExitCode
from wres.engine.errors import BadInputError, ConfigError, Problem, UnrecognisedEthnicityError
from wres.engine.ethnicity import UNKNOWN, load_scheme
from wres.engine.readers import check_mapping, read_extract
from wres.engine.reconciliation import (
    UNRECOGNISED,
    UNRECOGNISED_AT_MOST_PERCENT,
    Reconciliation,
    check_unrecognised,
)
from wres.engine.schema import EXTRACTS, Kind

_FILE = "FILE"


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["year=Reporting Year", ...]`` -> ``{"year": "Reporting Year"}``; ConfigError if bad."""
    mapping: dict[str, str] = {}
    for item in items:
        key, sep, source = item.partition("=")
        key, source = key.strip(), source.strip()
        if not sep or not key or not source:
            msg = f"--map {item!r}: write KEY=SOURCE, e.g. --map 'year=Reporting Year'"
            raise ConfigError(msg)
        if mapping.get(key, source) != source:
            msg = f"--map gives two source columns for {key!r}: {mapping[key]!r} and {source!r}"
            raise ConfigError(msg)
        mapping[key] = source
    check_mapping(mapping)
    return mapping


@handles_errors
def validate(
    *,
    staff: options.Staff = None,
    applications: options.Applications = None,
    survey: options.Survey = None,
    board: options.Board = None,
    column_map: options.ColumnMap = None,
    ethnicity_config: options.EthnicityConfig = None,
    unrecognised_at_most: options.UnrecognisedAtMost = UNRECOGNISED_AT_MOST_PERCENT,
    accept_unrecognised: options.AcceptUnrecognised = False,
    as_json: options.Json = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No report and no notes: problems only (on stderr)."),
    ] = False,
) -> None:
    """Check extracts and report how every row is counted; never prints a record.

    Reads each extract given (CSV, Parquet or Excel), checks every row and prints, per extract:
    rows read, rows by ethnicity (White, BME, Unknown and why, with every unrecognised spelling,
    its rows and its first row), unknown values, rows excluded and why, and the check "rows read
    = rows used + rows excluded". Every problem of a file is listed on stderr with its file, row
    and column (exit code 3); so is an extract with more unrecognised ethnicity values than
    --unrecognised-at-most allows, unless --accept-unrecognised. With -q only the problems are
    printed, and the exit code says whether the extracts are valid.

    Example: wres validate --staff staff.csv --survey survey.parquet --map 'ethnicity=Ethnic Origin'
    """
    # long: a typer command; most of its lines declare its options
    files = options.given_extracts(staff, applications, survey, board)
    if not files:
        msg = "give at least one extract to validate: --staff, --applications, --survey or --board"
        raise ConfigError(msg)
    mapping = parse_mapping(column_map or [])
    if not quiet:
        _note_unused(mapping, files)
    scheme = load_scheme(ethnicity_config)

    reports: dict[str, Reconciliation] = {}
    problems: list[Problem] = []
    for name, path in files.items():
        try:
            reports[name] = read_extract(path, name, mapping=mapping, scheme=scheme).report
        except BadInputError as err:  # keep going: the analyst gets every file's problems at once
            problems.extend(err.problems)
    if not accept_unrecognised:
        try:
            check_unrecognised(reports.values(), at_most_percent=unrecognised_at_most)
        except UnrecognisedEthnicityError as err:
            problems.extend(err.problems)

    if as_json:
        print_json(reports, problems)
    elif not quiet:
        console = stdout()
        for report in reports.values():
            print_report(console, report)
    if problems:
        # All of them: each column already lists only its first rows, and a cut-off list would
        # hide whole columns.
        raise fail(
            BadInputError(problems).render(limit=len(problems)),
            ExitCode.BAD_INPUT,
            as_json=False,  # the JSON report above already lists them
        )


def _note_unused(mapping: dict[str, str], files: dict[str, Path]) -> None:
    for key, source in mapping.items():
        if not any(key in EXTRACTS[name].required + EXTRACTS[name].optional for name in files):
            stderr().print(
                f"note: --map {key}={source!r} is not used: no extract given has a column {key!r}",
                markup=False,
            )


# --- output -------------------------------------------------------------------------------------


def print_json(reports: dict[str, Reconciliation], problems: Sequence[Problem]) -> None:
    """The machine-readable report: every count, and every problem when the input is bad."""
    document: dict[str, Any] = {
        "valid": not problems,
        "extracts": {name: report.to_dict() for name, report in reports.items()},
    }
    if problems:
        document["problems"] = [
            {"file": str(p.file), "row": p.row, "column": p.column, "message": p.message}
            for p in problems
        ]
    # print, not rich: rich would wrap long lines and break the JSON.
    print(json.dumps(document, indent=2))


def report_lines(report: Reconciliation) -> list[tuple[int, str, int]]:
    """(indent, label, count) lines of one extract's report, in reading order."""
    lines = [(0, "rows read", report.rows_read), (0, "rows used", report.rows_used)]
    lines.append((0, "rows excluded", report.rows_excluded_total))
    lines += [(1, reason, n) for reason, n in report.rows_excluded.items()]
    lines.append((0, "ethnicity of the rows used", report.rows_used))
    for status, n in report.ethnicity.items():
        lines.append((1, status, n))
        if status == UNKNOWN:
            for reason, m in report.ethnicity_unknown.items():
                lines.append((2, reason, m))
                if reason == UNRECOGNISED:
                    lines += [
                        (
                            3,
                            f"{spelling!r} (first: {_where(found.file, report)}row {found.row})",
                            found.rows,
                        )
                        for spelling, found in report.unrecognised_spellings()
                    ]
    if report.unknown_values:
        lines.append((0, "unknown or blank values in the rows used", -1))
        spec = EXTRACTS[report.extract]
        lines += [
            (1, _unknown_label(column, spec.column(column).kind), n)
            for column, n in report.unknown_values.items()
        ]
    if report.rows_by_year:
        lines.append((0, "rows used by year", -1))
        lines += [(1, str(year), n) for year, n in report.rows_by_year.items()]
    return lines


def _where(file: Path, report: Reconciliation) -> str:
    """The file of a row, when the report covers several."""
    return f"{file}, " if len(report.files) > 1 else ""


def _unknown_label(column: str, kind: Kind) -> str:
    if kind is Kind.OPTIONAL_BOOL:
        return f"{column} blank" + (" (not answered)" if column.startswith("q") else "")
    if kind in (Kind.ANSWER, Kind.SCORE):
        return f"{column} blank (not answered or not asked)"
    return f"{column} Unknown"


def equation(report: Reconciliation) -> str:
    return (
        f"rows read = rows used + rows excluded: {report.rows_read} = {report.rows_used} + "
        f"{report.rows_excluded_total}"
    )


def _notes(report: Reconciliation) -> Iterable[str]:
    if report.extract == "staff" and "bank" not in report.unknown_values:
        yield "no bank column: bank staff cannot be excluded; check the extract holds none"


def print_report(console: Console, report: Reconciliation) -> None:
    """One extract's report: a table on a terminal, aligned plain text otherwise."""
    title = f"{report.extract} extract: {', '.join(str(f) for f in report.files)}"
    lines = report_lines(report)
    if console.is_terminal:
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column("what")
        table.add_column("rows", justify="right")
        for indent, label, n in lines:
            table.add_row("  " * indent + label, "" if n < 0 else f"{n:,}")
        console.print(table)
    else:
        console.print(title, markup=False)
        width = max(2 * indent + len(label) for indent, label, _ in lines) + 2
        for indent, label, n in lines:
            text = ("  " * indent + label).ljust(width)
            console.print(f"  {text}{'' if n < 0 else n}".rstrip(), markup=False)
    console.print(equation(report), markup=False)
    for note in _notes(report):
        console.print(f"note: {note}", markup=False)
    console.print()
