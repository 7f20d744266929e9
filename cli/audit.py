"""`wres audit`: what an attacker can infer from a count table someone already published."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer

from wres.cli import options
from wres.cli.console import fail, handles_errors, stdout
from wres.cli.exit_codes import ExitCode
from wres.cli.protect import read_table
from wres.engine.errors import BadInputError, Problem
from wres.engine.protection.batches import InconsistentSystemError
from wres.rules.attacker_knowledge import RevealedSum, knowledge, revealed_sums
from wres.rules.audit import UNBOUNDED, Certificate, audit
from wres.rules.long_format import LongTable
from wres.rules.policy import Policy, load_policy
from wres.rules.table import DEFAULT_TOTAL


@handles_errors
def audit_command(
    table: Annotated[
        Path,
        typer.Argument(
            metavar="TABLE.csv",
            help="A published long-format table: dimension columns and one column of counts or "
            "suppression markers (<5, <10, *, c, x, [c], ..).",
        ),
    ],
    *,
    count_column: Annotated[
        str, typer.Option(metavar="NAME", help="The column holding counts and markers.")
    ] = "count",
    hierarchy: options.Hierarchy = None,
    policy: options.Policy = "wres-default",
    total_label: options.TotalLabel = DEFAULT_TOTAL,
    dimensions: options.Dimensions = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the verdict, no per-cell listing.")
    ] = False,
    as_json: options.Json = False,
) -> None:
    """Audit a published table: can any withheld count be recovered or narrowed down?

    For each withheld cell, the tightest interval an attacker can infer from every published
    count, the totals (rows labelled --total-label are the sums of their siblings, along every
    dimension and grouping) and the markers themselves (<5 says at most 4); with zeros
    published, a withheld cell is at least 1. Lists the cells recovered exactly, the published
    counts in the policy's withheld range, the sums of withheld cells that the totals give away,
    and every withheld cell that could be a small count but keeps fewer possible values than the
    policy's [secondary] min_attacker_interval (or than its own marker allows). Exit status 1
    when anything is disclosed under the policy, 0 otherwise.

    Example: wres audit published.csv --count-column staff --hierarchy ethnicity=eth.csv
    """
    # long: a typer command; most of its lines declare its options
    chosen = load_policy(policy)
    read = read_table(
        table,
        count_column,
        hierarchy,
        total_label,
        dimensions,
        published=True,
        marker=chosen.secondary.marker,
    )
    figures = np.maximum(read.tables.values, 0)
    known = knowledge(
        chosen, figures, read.withheld, read.absent, hidden_upper=read.at_most, rounded=True
    )
    try:
        cert = audit(read.tables, known, chosen)
    except InconsistentSystemError as err:
        raise BadInputError(_inconsistent(read, err)) from None
    published = ~read.withheld & ~read.absent
    small = np.flatnonzero(published & _in_withheld_range(chosen, read.tables.values))
    sums = revealed_sums(read.tables, known, chosen)
    report = _report(read, chosen, cert, small, sums)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print(report, quiet=quiet)
    if report["disclosure"]:
        raise fail(
            f"{table}: disclosure under policy {chosen.name}: {report['verdict']}",
            ExitCode.DISCLOSURE_AUDIT_FAILED,
            as_json=False,  # the report above is the JSON document
        )


def _in_withheld_range(policy: Policy, values: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    at_most = policy.primary.suppress_if_count_at_most
    small: npt.NDArray[np.bool_] = (values >= 1) & (values <= at_most)
    if policy.primary.suppress_zero_counts:
        small |= values == 0
    return small


def _inconsistent(read: LongTable, err: InconsistentSystemError) -> list[Problem]:
    system = read.tables.constraints
    problems = []
    for r in np.unique(err.rows)[:20]:
        total = int(system.total_cell[r])
        row = int(read.row_of_cell[total]) if total >= 0 else 0
        problems.append(
            Problem(
                read.path,
                row or None,
                read.count_column,
                "the published figures cannot all hold: this total does not match its parts "
                f"({read.tables.key_text(total)})",
            )
        )
    return problems or [Problem(read.path, None, None, "the published figures cannot all hold")]


def _report(
    read: LongTable, policy: Policy, cert: Certificate, small: np.ndarray, sums: list[RevealedSum]
) -> dict[str, Any]:
    tables = read.tables
    cells = []
    for i, cell in enumerate(cert.cells):
        upper = cert.upper[i]
        cells.append(
            {
                "key": dict(zip(tables.dimensions, tables.key(int(cell)), strict=True)),
                "row": int(read.row_of_cell[cell]),
                "lower": int(cert.lower[i]),
                "upper": UNBOUNDED if np.isinf(upper) else int(upper),
                "possible_values": _count(cert.possible[i]),
                "required": int(cert.required[i]),
                "result": "pass" if cert.passed[i] else "FAIL",
                "exact": bool(cert.exact[i]),
            }
        )
    exact = [c for c in cells if c["upper"] != UNBOUNDED and c["lower"] == c["upper"]]
    failing = [c for c in cells if c["result"] == "FAIL"]
    revealed = [
        {
            "cells": [
                dict(zip(tables.dimensions, tables.key(int(c)), strict=True)) for c in s.cells
            ],
            "sum": s.total,
            "narrows_below_requirement": s.disclosive,
        }
        for s in sums
    ]
    small_counts = [
        {
            "key": dict(zip(tables.dimensions, tables.key(int(c)), strict=True)),
            "row": int(read.row_of_cell[c]),
            "count": int(tables.values[c]),
        }
        for c in small
    ]
    disclosure = bool(failing or small_counts)
    parts = []
    if failing:
        parts.append(f"{len(failing)} withheld cell(s) narrowed below the requirement")
    if small_counts:
        parts.append(f"{len(small_counts)} published count(s) in the withheld range")
    return {
        "table": str(read.path),
        "policy": policy.name,
        "requirement": policy.secondary.min_attacker_interval,
        "cells": int((~read.absent).sum()),
        "withheld": len(cells),
        "not_published": int(read.absent[: read.frame.height].sum()),
        "disclosure": disclosure,
        "verdict": "; ".join(parts) if parts else "no disclosure found",
        "exact_disclosures": exact,
        "small_published_counts": small_counts,
        "revealed_sums": revealed,
        "withheld_cells": cells,
    }


def _count(value: float) -> int | str | None:
    if np.isnan(value):
        return None
    return UNBOUNDED if np.isinf(value) else int(value)


def _key(key: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items())


def _print(report: dict[str, Any], *, quiet: bool) -> None:
    console = stdout()

    def say(text: str) -> None:
        console.print(text, markup=False)

    say(f"audit of {report['table']} under policy {report['policy']}")
    say(
        f"cells: {report['cells']}, withheld: {report['withheld']}; a withheld cell that could be"
        f" a small count must keep {report['requirement']} possible values (or all its marker"
        " allows)"
    )
    say(f"verdict: {report['verdict']}")
    if quiet:
        return
    sections: list[tuple[str, list[dict[str, Any]], Callable[[dict[str, Any]], str]]] = [
        ("published counts in the withheld range", report["small_published_counts"], _small),
        ("withheld cells recovered exactly", report["exact_disclosures"], _exact),
        ("sums of withheld cells given away by the totals", report["revealed_sums"], _sum),
        (
            "every withheld cell: attacker's interval, possible values, required",
            report["withheld_cells"],
            _interval,
        ),
    ]
    for title, items, line in sections:
        say("")
        say(f"{title}: {len(items)}")
        for item in items:
            say(f"  {line(item)}")


def _small(c: dict[str, Any]) -> str:
    return f"row {c['row']}: {_key(c['key'])}: {c['count']}"


def _exact(c: dict[str, Any]) -> str:
    return f"row {c['row']}: {_key(c['key'])}: {c['lower']}"


def _sum(s: dict[str, Any]) -> str:
    note = "  (narrows them below the requirement)" if s["narrows_below_requirement"] else ""
    return f"{' + '.join(_key(k) for k in s['cells'])} = {s['sum']}{note}"


def _interval(c: dict[str, Any]) -> str:
    return (
        f"row {c['row']}: {_key(c['key'])}: [{c['lower']}, {c['upper']}] "
        f"{c['possible_values']} values, {c['required']} required: {c['result']}"
    )
