"""The funnel table of a run with an organisation cut: every published organisation figure of
the ratio indicators (2, 3, 4 and the WDES ratios) and the share indicators (1, 9) against the
figure of the whole run, with control limits (``wres.engine.stats.funnel``).

It is computed from the *published* indicators table alone (the counts and figures a reader
has): an organisation whose figure is withheld is listed as not plotted, with nothing else, so
the funnel table holds nothing a reader could not compute from ``indicators.csv``.

- A ratio's statistic is its log relative likelihood, log((a/n1)/(c/n2)), with Katz's standard
  error sqrt(1/a - 1/n1 + 1/c - 1/n2); an organisation with no events in a group has no log
  ratio and is not plotted. The target is the whole run's log ratio.
- A share's statistic is the share itself, its standard error under the target share p0,
  sqrt(p0 (1 - p0) / n).
- Each funnel is one indicator, measure, variant, board, group and reference group in one year,
  over the organisations (every other cut column ``All``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from wres.engine.stats.funnel import LEVELS, WINSORISE, funnel

ALL = "All"
#: The measures plotted, and how: a ratio on the log scale, or a share.
RATIO_MEASURES = ("ratio",)
SHARE_MEASURES = ("share", "board_gap")
#: The columns that name one funnel (besides the year), where the table has them.
FUNNEL_KEYS = ("indicator", "measure", "variant", "board", "group", "reference_group")
#: A plotted organisation's status.
PLOTTED = "plotted"
#: The label of each level in the column names: 95 and 998 (99.8%).
LEVEL_NAMES = {0.95: "95", 0.998: "998"}
FLAG_NAMES = {1: "above", -1: "below", 0: "within"}


def cut_columns(indicators: pl.DataFrame) -> list[str]:
    """The cut dimensions of a published table: the columns between ``year`` and ``board``
    (SPEC section 8)."""
    columns = indicators.columns
    if "year" not in columns or "board" not in columns:
        return []
    return columns[columns.index("year") + 1 : columns.index("board")]


def funnel_table(
    indicators: pl.DataFrame, *, method: str = "additive", winsorise: float = WINSORISE
) -> pl.DataFrame:
    """The funnel table of a published indicators table (empty without an organisation cut)."""
    cuts = cut_columns(indicators)
    if "organisation" not in cuts:
        return pl.DataFrame()
    others = [c for c in cuts if c != "organisation"]
    keys = [k for k in FUNNEL_KEYS if k in indicators.columns]
    at_total = pl.all_horizontal([pl.col(c) == ALL for c in others]) if others else pl.lit(True)
    wanted = pl.col("measure").is_in([*RATIO_MEASURES, *SHARE_MEASURES])
    rows = indicators.filter(at_total & wanted).unique(maintain_order=True)
    whole = rows.filter(pl.col("organisation") == ALL).with_columns(_statistic().alias("target"))
    units = rows.filter(pl.col("organisation") != ALL).join(
        whole.select(*keys, "year", "target"), on=[*keys, "year"], how="inner", nulls_equal=True
    )
    units = units.filter(pl.col("target").is_not_null())
    if units.is_empty():
        return pl.DataFrame()
    units = (
        units.with_columns(value=_statistic())
        .with_columns(standard_error=_standard_error())
        .with_columns(
            status=pl.when(pl.col("value").is_not_null() & pl.col("standard_error").is_not_null())
            .then(pl.lit(PLOTTED))
            .when(pl.col("value").is_null() & pl.col("status").str.starts_with("published"))
            .then(pl.lit("not plotted: no events in a group"))
            .when(pl.col("value").is_not_null())
            .then(pl.lit("not plotted: no spread (a share of 0 or 1 in the whole run)"))
            .otherwise(pl.lit("not plotted: ") + pl.col("status"))
        )
    )
    return _with_limits(units, keys, method, winsorise)


def _counts() -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """A row's published counts a, n1, c, n2 as floats."""
    names = ("numerator", "denominator", "reference_numerator", "reference_denominator")
    a, n1, c, n2 = (pl.col(n).cast(pl.Float64) for n in names)
    return a, n1, c, n2


def _statistic() -> pl.Expr:
    """The plotted statistic of a row: the log ratio from its published counts, or its share."""
    a, n1, c, n2 = _counts()
    ratio = pl.col("relative_likelihood").is_not_null() & (a > 0) & (c > 0)
    return (
        pl.when(pl.col("measure").is_in(RATIO_MEASURES))
        .then(pl.when(ratio).then((a / n1).log() - (c / n2).log()))
        .otherwise(pl.when(n1 > 0).then(a / n1))
    )


def _standard_error() -> pl.Expr:
    """Katz's standard error of the log ratio, or the share's under the target share."""
    a, n1, c, n2 = _counts()
    p0 = pl.col("target")
    katz = (1 / a - 1 / n1 + 1 / c - 1 / n2).sqrt()
    share = (p0 * (1 - p0) / n1).sqrt()
    out = pl.when(pl.col("measure").is_in(RATIO_MEASURES)).then(katz).otherwise(share)
    return pl.when(pl.col("value").is_not_null() & (out > 0)).then(out)


def _with_limits(
    units: pl.DataFrame, keys: Sequence[str], method: str, winsorise: float
) -> pl.DataFrame:
    """The units with their funnel's limits, z-scores, flags and over-dispersion."""
    plotted = units.filter(pl.col("status") == PLOTTED)
    ids = plotted.select(*keys, "year").with_row_index("_row")
    names = ids.select(*keys, "year").unique(maintain_order=True).with_row_index("_funnel")
    of = ids.join(names, on=[*keys, "year"], nulls_equal=True).sort("_row")["_funnel"].to_numpy()
    targets = (
        plotted.with_columns(_funnel=pl.Series(of))
        .group_by("_funnel", maintain_order=True)
        .agg(pl.col("target").first())
        .sort("_funnel")["target"]
        .to_numpy()
    )
    out = funnel(
        plotted["value"].to_numpy(),
        plotted["standard_error"].to_numpy(),
        target=targets,
        funnel_of=of.astype(np.int64),
        method=method,
        winsorise=winsorise,
    )
    columns: dict[str, Sequence[object] | np.ndarray] = {
        "precision": 1.0 / plotted["standard_error"].to_numpy() ** 2,
        "z": out.z,
        "z_adjusted": out.z_adjusted,
    }
    for i, level in enumerate(LEVELS):
        name = LEVEL_NAMES[level]
        columns[f"lower_{name}"] = out.plain_lower[i]
        columns[f"upper_{name}"] = out.plain_upper[i]
        columns[f"adjusted_lower_{name}"] = out.lower[i]
        columns[f"adjusted_upper_{name}"] = out.upper[i]
        columns[f"flag_{name}"] = [FLAG_NAMES[int(f)] for f in out.flag[i]]
        columns[f"plain_flag_{name}"] = [FLAG_NAMES[int(f)] for f in out.plain_flag[i]]
    columns["overdispersion"] = np.where(out.estimated[of], method, "not estimated")
    columns["phi"] = out.phi[of]
    columns["tau2"] = out.tau2[of]
    columns["organisations"] = out.units[of]
    done = plotted.with_columns(**{k: pl.Series(k, v) for k, v in columns.items()})
    rest = units.filter(pl.col("status") != PLOTTED).with_columns(
        value=pl.lit(None, pl.Float64), standard_error=pl.lit(None, pl.Float64)
    )
    first = [*keys, "year", "organisation"]
    stats = ["statistic", "value", "target", "standard_error", *columns]
    stacked = pl.concat(
        [
            done.with_columns(_statistic_name()),
            rest.with_columns(_statistic_name(), target=pl.lit(None, pl.Float64)),
        ],
        how="diagonal_relaxed",
    )
    table = stacked.select(*first, *stats, "status").sort(first, nulls_last=True)
    return _rounded(table)


#: Published as the indicators are (``wres.engine.precision``): figures on the statistic's
#: scale to 4 decimals, the rest to 3 significant figures; the flags were set at full precision.
FOUR_DECIMALS = ("value", "target", "z", "z_adjusted")
SIGNIFICANT = ("standard_error", "precision", "phi", "tau2")


def _rounded(frame: pl.DataFrame) -> pl.DataFrame:
    limits = [c for c in frame.columns if c.startswith(("lower_", "upper_", "adjusted_"))]
    return frame.with_columns(
        *[pl.col(c).round(4) for c in (*FOUR_DECIMALS, *limits)],
        *[pl.col(c).round_sig_figs(3) for c in SIGNIFICANT],
    )


def _statistic_name() -> pl.Expr:
    return (
        pl.when(pl.col("measure").is_in(RATIO_MEASURES))
        .then(pl.lit("log relative likelihood"))
        .otherwise(pl.lit("share"))
        .alias("statistic")
    )
