"""The short terminal summary of a run: the latest year's headline figure of each indicator."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from rich.table import Table

from wres.cli.console import stderr, stdout
from wres.cli.pack import RESTRICTED, UNRECOGNISED_FILE, UTILITY_FILE, Pack
from wres.engine import __version__
from wres.engine.counts import STANDARD_VARIANT
from wres.engine.indicators import ALL
from wres.engine.standards import Indicator, MeasureKind, Shape, Standard
from wres.engine.utility import EVERY


def _headline_rows(indicators: pl.DataFrame) -> pl.DataFrame:
    """Rows of the organisation total (every cut column All), standard variant, latest year."""
    if indicators.height == 0:
        return indicators
    fixed = {"indicator", "measure", "variant", "year"}
    cut_columns = [
        c for c in indicators.columns[: indicators.columns.index("board")] if c not in fixed
    ]
    total = pl.all_horizontal([pl.col(c) == ALL for c in cut_columns]) if cut_columns else True
    latest = indicators["year"].max()
    return indicators.filter(total, pl.col("variant") == STANDARD_VARIANT, pl.col("year") == latest)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _figure(row: dict[str, object], kind: MeasureKind, level: float) -> str:
    status = str(row["status"])
    if status.startswith("suppressed") or status == "not calculable":
        return status
    if kind.relative_likelihood:
        rl, low, high = row["relative_likelihood"], row["ci_low"], row["ci_high"]
        assert isinstance(rl, float)
        interval = "" if low is None else f" ({100 * level:g}% CI {low:.2f}-{high:.2f})"
        return f"{rl:.2f}{interval}"
    if kind.shape is Shape.BOARD:
        diff = row["difference_pp"]
        return "-" if diff is None else f"{diff:+.1f} points ({row['board']})"
    rate = row["rate"]
    ref = row["reference_rate"]
    if row["reference_group"] is not None:
        return f"{_percent(rate)} vs {row['reference_group']} {_percent(ref)}"  # type: ignore[arg-type]
    return _percent(rate)  # type: ignore[arg-type]


def _meaning(row: dict[str, object], indicator: Indicator, standard: Standard) -> str:
    """What the organisation-total figure of ``indicator`` is, in words."""
    if indicator.kind.relative_likelihood:
        return str(row["direction"])
    if indicator.kind.shape is Shape.SHARE:
        # the total row is the group's share of the whole workforce, not the bands the
        # indicator's title names (those are in the workbook and indicators.csv)
        return (
            f"{row['group']} staff as a share of all staff "
            "(each band and staff group: wres.xlsx and publish/indicators.csv)"
        )
    return indicator.title


def print_summary(indicators: pl.DataFrame, standard: Standard, level: float = 0.95) -> None:
    """Print the latest year's headline figures of the focal group (BME) on stdout."""
    rows = _headline_rows(indicators)
    if rows.height == 0:
        stdout().print("no indicators computed", markup=False)
        return
    year = rows["year"][0]
    table = Table(title=f"{standard.short_name} {year}: organisation total", title_justify="left")
    for name in ("indicator", "figure", "meaning"):
        table.add_column(name, overflow="fold")
    for ind in standard.indicators:
        mine = rows.filter(pl.col("indicator") == ind.id, pl.col("group") == standard.focal)
        if ind.kind.shape is Shape.BOARD:
            mine = mine.filter(pl.col("board") == "voting")
        if mine.height == 0:
            # At the broad and detailed levels there is no BME row, only its parts.
            computed = rows.filter(pl.col("indicator") == ind.id).height > 0
            figure = "by group: see publish/indicators.csv" if computed else "not computed"
            table.add_row(str(ind.id), figure, ind.title)
            continue
        row = mine.row(0, named=True)
        table.add_row(str(ind.id), _figure(row, ind.kind, level), _meaning(row, ind, standard))
    stdout().print(table)


def summary_document(pack: Pack, paths: Mapping[str, Path], standard: Standard) -> dict[str, Any]:
    """The ``--json`` summary of a run (schema in docs/outputs.md)."""
    statuses = pack.indicators.group_by("status").len().sort("status")
    headline = _headline_rows(pack.indicators)
    figures = [
        "indicator", "variant", "year", "board", "group", "reference_group", "rate",
        "reference_rate", "difference_pp", "relative_likelihood", "ci_low", "ci_high",
        "p_value", "p_adjusted", "significant", "non_adverse_range", "status",
    ]  # fmt: skip
    return {
        "wres_version": __version__,
        "standard": standard.short_name,
        "rows": pack.indicators.height,
        "status_counts": dict(statuses.iter_rows()),
        "headline": headline.select(figures).to_dicts() if headline.height else [],
        "not_computed": pack.not_computed.to_dicts(),
        "secondary_protection": pack.manifest.get("secondary_protection"),
        "utility": utility_summary(pack),
        "outputs": {name: str(path) for name, path in sorted(paths.items())},
    }


def report_run(
    pack: Pack,
    paths: Mapping[str, Path],
    standard: Standard,
    *,
    level: float,
    as_json: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """What a run tells its user: data on stdout, messages on stderr."""
    if as_json:
        document = summary_document(pack, paths, standard)
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    elif not quiet:
        print_summary(pack.indicators, standard, level)
    if quiet:
        return
    messages = stderr()
    if verbose:
        for report in pack.reconciliations:
            messages.print(
                f"{report.extract}: {report.rows_read:,} rows read = {report.rows_used:,} used "
                f"+ {report.rows_excluded_total:,} excluded "
                f"({', '.join(f'{k}: {v:,}' for k, v in report.rows_excluded.items()) or 'none'})",
                markup=False,
            )
    if standard.characteristic == "ethnicity":
        print_unrecognised_notes(pack)
    print_utility(pack)
    messages.print(
        f"wrote {paths['indicators'].parent} and {paths['manifest'].parent}", markup=False
    )
    for indicator, reason in pack.not_computed.iter_rows():
        messages.print(f"indicator {indicator} not computed: {reason}", markup=False)


def print_unrecognised_notes(pack: Pack) -> None:
    """On stderr, for each input with unrecognised ethnicity values: how many, and where the
    spellings are listed."""
    for report in pack.reconciliations:
        if report.unrecognised_rows:
            stderr().print(
                f"note: {report.extract}: {report.unrecognised_rows:,} of {report.rows_used:,} "
                f"rows used ({100 * report.unrecognised_share:.1f}%) have an ethnicity that is "
                "not recognised, counted as Unknown (unrecognised), apart from not stated; "
                f"every spelling is in {RESTRICTED}/{UNRECOGNISED_FILE}",
                markup=False,
            )


def utility_summary(pack: Pack) -> dict[str, Any] | None:
    """The share of the run's counts published, over every table and by level (the whole
    ``all`` rows of restricted/utility.csv), for --json: counts of cells and shares, never the
    information lost (with publish/ it would give the withheld counts' sum). None when the
    run wrote no utility.csv (its audit failed)."""
    if pack.utility is None or not pack.audit_passed:
        return None
    whole = pack.utility.filter(pl.col("indicator") == EVERY)
    shown = ["counts", "published", "withheld", "share_published"]
    overall = whole.filter(pl.col("level") == EVERY).select(shown).row(0, named=True)
    levels = whole.filter(pl.col("level") != EVERY).select(pl.col("level").cast(pl.Int64), *shown)
    protection = pack.manifest.get("secondary_protection", {})
    return {
        **overall,
        "by_level": levels.to_dicts(),
        # withheld cells published after all, since a reader works them out exactly anyway
        "published_recoverable": protection.get("published_recoverable", 0),
        "details": f"{RESTRICTED}/{UTILITY_FILE}",
    }


def utility_line(pack: Pack) -> str | None:
    """One line of what the protection cost: ``published 34.9% of 53,286 counts (organisation
    level 89.5%); details in restricted/utility.csv``."""
    summary = utility_summary(pack)
    if summary is None or not summary["counts"]:
        return None
    line = f"published {_percent(summary['share_published'])} of {summary['counts']:,} counts"
    organisation = [row for row in summary["by_level"] if row["level"] == 0]
    if organisation:
        line += f" (organisation level {_percent(organisation[0]['share_published'])})"
    return f"{line}; details in {summary['details']}"


def print_utility(pack: Pack) -> None:
    """On stderr, the share of the run's counts published (:func:`utility_line`)."""
    line = utility_line(pack)
    if line is not None:
        stderr().print(line, markup=False)
