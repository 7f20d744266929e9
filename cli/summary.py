"""The short terminal summary of a run: the latest year's headline figure of each indicator."""

from __future__ import annotations

import polars as pl
from rich.table import Table

from cli.console import stdout
from engine.counts import STANDARD_VARIANT
from engine.indicators import ALL
from engine.standards import Measure, Standard


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


def _figure(row: dict[str, object], measure: Measure, level: float) -> str:
    status = str(row["status"])
    if status.startswith("suppressed") or status == "not calculable":
        return status
    if measure is Measure.RATIO:
        rl, low, high = row["relative_likelihood"], row["ci_low"], row["ci_high"]
        assert isinstance(rl, float)
        interval = "" if low is None else f" ({100 * level:g}% CI {low:.2f}-{high:.2f})"
        return f"{rl:.2f}{interval}"
    if measure is Measure.BOARD_GAP:
        diff = row["difference_pp"]
        return "-" if diff is None else f"{diff:+.1f} points ({row['board']})"
    rate = row["rate"]
    ref = row["reference_rate"]
    if measure is Measure.PERCENTAGE:
        return f"{_percent(rate)} vs {row['reference_group']} {_percent(ref)}"  # type: ignore[arg-type]
    return _percent(rate)  # type: ignore[arg-type]


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
        if ind.id == 9:
            mine = mine.filter(pl.col("board") == "voting")
        if mine.height == 0:
            # At the broad and detailed levels there is no BME row, only its parts.
            computed = rows.filter(pl.col("indicator") == ind.id).height > 0
            figure = "by group: see publish/indicators.csv" if computed else "not computed"
            table.add_row(str(ind.id), figure, ind.title)
            continue
        row = mine.row(0, named=True)
        meaning = str(row["direction"]) if ind.measure is Measure.RATIO else ind.title
        table.add_row(str(ind.id), _figure(row, ind.measure, level), meaning)
    stdout().print(table)
