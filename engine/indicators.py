"""Evaluate a standard's indicators from the count table, for every cut and ethnicity group.

Input is the count table of :mod:`engine.counts` (from records or a counts file); output is one
row per indicator, variant, year, cut cell, board membership and group, with the columns of
SPEC section 8 before any disclosure control. Rates and ratios are computed from counts, never
from rounded percentages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from engine.counts import STANDARD_VARIANT, WORKFORCE
from engine.ethnicity import UNKNOWN, WHITE, EthnicityScheme, Level
from engine.standards import Indicator, Measure, RatioOrder, Standard
from engine.stats import adjust, p_value, relative_likelihood
from engine.stats.intervals import CiMethod
from engine.stats.pvalues import TestName

#: The label of a rolled-up cut dimension (SPEC section 10).
ALL = "All"
#: The non-adverse range 0.80-1.25, inclusive, as exact fractions (numerator, denominator).
NON_ADVERSE = ((4, 5), (5, 4))

Reference = Literal["White", "White British"]
REFERENCES: tuple[str, ...] = ("White", "White British")


@dataclass(frozen=True, slots=True)
class Settings:
    """How a run compares groups."""

    level: Level = Level.WRES
    reference: Reference = "White"
    ci_method: CiMethod = "score"
    confidence: float = 0.95
    test: TestName = "chi2"


class Status:
    """The closed vocabulary of the ``status`` column before disclosure control."""

    PUBLISHED = "published"
    NOT_CALCULABLE = "not calculable"
    NOT_COMPARED = "not compared: unknown ethnicity"


def _group_expr(level: Level, scheme: EthnicityScheme) -> pl.Expr:
    wres = pl.col("ethnic_wres")
    unplaced = pl.when(wres == UNKNOWN).then(pl.lit(UNKNOWN)).otherwise(wres + " (group not known)")
    if level is Level.WRES:
        return wres
    broad = pl.coalesce(pl.col("ethnic_broad"), unplaced)
    if level is Level.BROAD:
        return broad
    labels = {code: scheme.label(code) for code in scheme.categories}
    detailed = pl.col("ethnic_category").replace_strict(
        labels, default=None, return_dtype=pl.String
    )
    return pl.coalesce(detailed, pl.col("ethnic_broad") + " (category not known)", unplaced)


def _is_reference(reference: Reference) -> pl.Expr:
    if reference == "White British":
        return pl.col("ethnic_category") == "A"
    return pl.col("ethnic_wres") == WHITE


def _rolling(table: pl.DataFrame, ind: Indicator) -> pl.DataFrame:
    """Counts pooled over ``rolling_years`` consecutive years, labelled by the last year."""
    assert ind.rolling_years is not None
    own = table.filter((pl.col("indicator") == ind.id) & (pl.col("variant") == STANDARD_VARIANT))
    years = sorted(own["year"].unique().to_list())
    span = ind.rolling_years
    complete = [y for y in years if all(y - k in years for k in range(span))]
    parts = [own.with_columns(year=pl.col("year") + k) for k in range(span)]
    pooled = pl.concat(parts).filter(pl.col("year").is_in(complete))
    return pooled.with_columns(variant=pl.lit(f"{span}-year rolling"))


def _aggregate(
    table: pl.DataFrame,
    cut: Sequence[str],
    dims: Sequence[str],
    settings: Settings,
    scheme: EthnicityScheme,
    *,
    compared: bool,
) -> pl.DataFrame:
    """Sum the table over everything not in ``cut``; add group and reference counts.

    ``compared``: the indicator compares groups with the reference (ratios, percentages)."""
    keys = ["indicator", "variant", "year", "board", *cut]
    group, is_ref = _group_expr(settings.level, scheme), _is_reference(settings.reference)
    if compared and settings.reference == "White British" and settings.level is not Level.DETAILED:
        # The White (or broad White) group contains the White British reference: comparing the
        # two would compare people with themselves, so the group is White other than British.
        white = pl.col("ethnic_wres") == WHITE
        group = (
            pl.when(is_ref)
            .then(pl.lit("White British"))
            .when(white)
            .then(group + " (excluding White British)")
            .otherwise(group)
        )
    with_group = table.with_columns(group=group, _ref=is_ref)
    counted = with_group.group_by([*keys, "group"]).agg(
        numerator=pl.col("numerator").sum(),
        denominator=pl.col("denominator").sum(),
        _all_ref=pl.col("_ref").all(),
    )
    # Every group of the indicator gets a row in every cell, with zero counts where it has
    # nobody: a missing row would hide a figure (a board with no BME member is indicator 9's
    # most telling value) and would disclose a zero that a policy withholds.
    seen = counted.group_by("group").agg(pl.col("_all_ref").all())
    groups = (
        counted.select(keys)
        .unique()
        .join(seen, how="cross")
        .join(counted.drop("_all_ref"), on=[*keys, "group"], how="left", nulls_equal=True)
        .with_columns(pl.col("numerator", "denominator").fill_null(0))
    )
    refs = (
        with_group.filter(pl.col("_ref"))
        .group_by(keys)
        .agg(
            reference_numerator=pl.col("numerator").sum(),
            reference_denominator=pl.col("denominator").sum(),
        )
    )
    totals = with_group.group_by(keys).agg(_row_total=pl.col("numerator").sum())
    out = groups.join(refs, on=keys, how="left", nulls_equal=True).join(
        totals, on=keys, how="left", nulls_equal=True
    )
    rolled = [pl.lit(ALL).alias(d) for d in dims if d not in cut]
    return out.with_columns(*rolled)


def _board_pairs(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Indicator 9: each membership's group counts beside the same group in the workforce."""
    board = frame.filter(pl.col("board") != WORKFORCE)
    workforce = frame.filter(pl.col("board") == WORKFORCE).select(
        *[k for k in keys if k != "board"],
        "group",
        reference_numerator="numerator",
        reference_denominator="_row_total",
    )
    joined = board.drop("reference_numerator", "reference_denominator").join(
        workforce, on=[*[k for k in keys if k != "board"], "group"], how="left", nulls_equal=True
    )
    return joined.with_columns(
        denominator="_row_total",
        reference_numerator=pl.col("reference_numerator").fill_null(0),
        reference_group=pl.lit(WORKFORCE),
    )


def _measure_rows(
    frame: pl.DataFrame, ind: Indicator, keys: Sequence[str], settings: Settings
) -> pl.DataFrame:
    """Select and label the rows an indicator publishes."""
    reference_name = settings.reference
    if ind.measure is Measure.SHARE:
        return frame.with_columns(
            denominator="_row_total",
            reference_numerator=pl.lit(None, pl.Int64),
            reference_denominator=pl.lit(None, pl.Int64),
            reference_group=pl.lit(None, pl.String),
        )
    if ind.measure is Measure.BOARD_GAP:
        return _board_pairs(frame, keys).filter(~pl.col("_all_ref") & (pl.col("group") != UNKNOWN))
    # ratio and percentage: every group that is not (wholly) the reference; Unknown is reported
    # with its own counts and rate but compared with nobody.
    unknown = pl.col("group") == UNKNOWN
    return frame.filter(~pl.col("_all_ref")).with_columns(
        reference_group=pl.when(~unknown).then(pl.lit(reference_name)),
        reference_numerator=pl.when(~unknown).then("reference_numerator"),
        reference_denominator=pl.when(~unknown).then("reference_denominator"),
    )


def _statistics(frame: pl.DataFrame, ind: Indicator, settings: Settings) -> pl.DataFrame:
    a = frame["numerator"].to_numpy().astype(np.float64)
    n1 = frame["denominator"].to_numpy().astype(np.float64)
    c = frame["reference_numerator"].fill_null(0).to_numpy().astype(np.float64)
    n2 = frame["reference_denominator"].fill_null(0).to_numpy().astype(np.float64)
    comparable = (frame["group"] != UNKNOWN).to_numpy() & (ind.measure is not Measure.SHARE)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n1 > 0, a / n1, np.nan)
        reference_rate = np.where(comparable & (n2 > 0), c / n2, np.nan)
    columns: dict[str, np.ndarray] = {"rate": rate, "reference_rate": reference_rate}
    columns["difference_pp"] = np.where(comparable, (rate - reference_rate) * 100, np.nan)
    estimate = low = high = np.full(len(a), np.nan)
    method = None
    if ind.measure is Measure.RATIO and len(a):
        top, bottom = ((c, n2), (a, n1))
        if ind.ratio is RatioOrder.GROUP_OVER_REFERENCE:
            top, bottom = bottom, top
        rr = relative_likelihood(*top, *bottom, ci=settings.ci_method, level=settings.confidence)
        method = rr.method
        # A ratio that is not calculable publishes no interval either (its bounds would be
        # 0 to infinity, or run to infinity).
        calculable = comparable & ~np.isnan(rr.estimate)
        estimate, low, high = (
            np.where(calculable, x, np.nan) for x in (rr.estimate, rr.ci_low, rr.ci_high)
        )
    columns |= {"relative_likelihood": estimate, "ci_low": low, "ci_high": high}
    tested = comparable & (ind.measure in (Measure.RATIO, Measure.PERCENTAGE)) & (n1 > 0) & (n2 > 0)
    p = np.full(len(a), np.nan)
    if tested.any():
        p[tested] = p_value(a[tested], n1[tested], c[tested], n2[tested], test=settings.test)
    columns["p_value"] = p
    out = frame.with_columns(
        *[
            pl.Series(name, values, dtype=pl.Float64).fill_nan(None)
            for name, values in columns.items()
        ]
    )
    ratio = ind.measure is Measure.RATIO
    return out.with_columns(
        ci_method=pl.when(pl.col("ci_low").is_not_null()).then(pl.lit(method, pl.String)),
        test=pl.when(pl.col("p_value").is_not_null()).then(pl.lit(settings.test)),
        non_adverse_range=pl.when(pl.col("relative_likelihood").is_not_null()).then(
            _non_adverse(a, n1, c, n2, ind)
        ),
        status=pl.when(pl.col("group") == UNKNOWN)
        .then(pl.lit(Status.NOT_COMPARED if ind.measure is not Measure.SHARE else Status.PUBLISHED))
        .when(pl.lit(ratio) & pl.col("relative_likelihood").is_null())
        .then(pl.lit(Status.NOT_CALCULABLE))
        .when(pl.col("rate").is_null())
        .then(pl.lit(Status.NOT_CALCULABLE))
        .otherwise(pl.lit(Status.PUBLISHED)),
    )


def _non_adverse(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, ind: Indicator
) -> pl.Series:
    """inside / below / above the non-adverse range, compared exactly on whole numbers.

    The range is inclusive, and a ratio that is exactly 0.80 as a fraction of counts can be
    0.7999999999999999 in floating point, so the test is done on cross products of the counts.
    Only meaningful where the ratio is calculable; the caller masks the other rows.
    """
    a_, n1_, c_, n2_ = (x.astype(np.int64) for x in (a, n1, c, n2))
    if ind.ratio is RatioOrder.REFERENCE_OVER_GROUP:
        top, bottom = c_ * n1_, n2_ * a_
    else:
        top, bottom = a_ * n2_, n1_ * c_
    (low_num, low_den), (high_num, high_den) = NON_ADVERSE
    flag = np.where(
        top * low_den < bottom * low_num,
        "below",
        np.where(top * high_den > bottom * high_num, "above", "inside"),
    )
    return pl.Series("non_adverse_range", flag, dtype=pl.String)


#: Columns of ``indicators.csv`` after the cut columns (SPEC section 8 and the extras named).
VALUE_COLUMNS: tuple[str, ...] = (
    "board",
    "group",
    "reference_group",
    "numerator",
    "denominator",
    "rate",
    "reference_numerator",
    "reference_denominator",
    "reference_rate",
    "difference_pp",
    "relative_likelihood",
    "ci_low",
    "ci_high",
    "ci_method",
    "p_value",
    "test",
    "p_adjusted",
    "significant",
    "non_adverse_range",
    "status",
    "direction",
)
HEAD_COLUMNS: tuple[str, ...] = ("indicator", "measure", "variant", "year")


def output_dims(standard: Standard, cuts: Sequence[Sequence[str]]) -> list[str]:
    """Every cut column a run's output carries: the requested ones, then indicator rows."""
    requested = [d for cut in cuts for d in cut]
    rows = [d for ind in standard.indicators for d in ind.rows]
    return list(dict.fromkeys([*requested, *rows]))


def _cuts_of(ind: Indicator, cuts: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """The cuts an indicator is evaluated at: each requested cut, and for band shares the cut
    by staff group and by staff group and band as well (the rows of the annual return)."""
    out = [(*cut, *ind.rows[:k]) for cut in cuts for k in range(len(ind.rows) + 1)]
    return list(dict.fromkeys(tuple(dict.fromkeys(c)) for c in out))


def evaluate(
    table: pl.DataFrame,
    standard: Standard,
    cuts: Sequence[Sequence[str]],
    settings: Settings,
    scheme: EthnicityScheme,
) -> pl.DataFrame:
    """Every indicator in ``table`` at every cut; ``cuts`` should include ``()`` for the total."""
    dims = output_dims(standard, cuts)
    for d in dims:
        if d not in table.columns:
            table = table.with_columns(pl.lit(None, pl.String).alias(d))
    parts = []
    for ind in standard.indicators:
        own = table.filter(pl.col("indicator") == ind.id)
        if own.height == 0:
            continue
        if ind.rolling_years:
            own = pl.concat([own, _rolling(own, ind)])
        for cut in _cuts_of(ind, cuts):
            if any(own[d].null_count() == own.height for d in cut):
                continue  # this indicator's extract has no such column
            keys = ["indicator", "variant", "year", "board", *cut]
            compared = ind.measure in (Measure.RATIO, Measure.PERCENTAGE)
            frame = _aggregate(own, cut, dims, settings, scheme, compared=compared)
            rows = _measure_rows(frame, ind, keys, settings)
            parts.append(
                _statistics(rows, ind, settings).with_columns(measure=pl.lit(str(ind.measure)))
            )
    if not parts:
        return _empty(dims)
    out = pl.concat([p.select(_columns(dims, p)) for p in parts], how="vertical_relaxed")
    return _with_direction(out, standard).sort(
        ["indicator", "variant", "year", *dims, "board", "group"], nulls_last=False
    )


def _columns(dims: Sequence[str], frame: pl.DataFrame) -> list[pl.Expr]:
    exprs = []
    for name in (*HEAD_COLUMNS, *dims, *VALUE_COLUMNS):
        if name in ("p_adjusted", "significant"):
            dtype: pl.DataType = pl.Float64() if name == "p_adjusted" else pl.Boolean()
            exprs.append(pl.lit(None, dtype).alias(name))
        elif name in frame.columns:
            exprs.append(pl.col(name))
        else:
            exprs.append(pl.lit(None, pl.String).alias(name))
    return exprs


def _with_direction(frame: pl.DataFrame, standard: Standard) -> pl.DataFrame:
    texts = {
        ind.id: ind.direction.replace("{reference}", "\0r").replace("{group}", "\0g")
        for ind in standard.indicators
    }
    template = pl.col("indicator").replace_strict(texts, return_dtype=pl.String)
    filled = template.str.replace_all("\0r", pl.col("reference_group").fill_null(""), literal=True)
    # A row compared with nobody (Unknown ethnicity) has no direction: the text would name an
    # empty reference group ("White" missing from "... than  staff").
    compared = pl.col("reference_group").is_not_null() | ~template.str.contains("\0r", literal=True)
    return frame.with_columns(
        direction=pl.when(compared).then(
            filled.str.replace_all("\0g", pl.col("group"), literal=True)
        )
    )


def _empty(dims: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(schema=[*HEAD_COLUMNS, *dims, *VALUE_COLUMNS])


def with_adjusted_p(
    table: pl.DataFrame, *, method: Literal["bh", "holm"] = "bh", alpha: float = 0.05
) -> pl.DataFrame:
    """``p_adjusted`` within each indicator's family and ``significant`` from it.

    Run after disclosure control: the family is the comparisons a run publishes, so a withheld
    p-value neither counts nor leaks through the adjusted values of its neighbours.
    """
    p = table["p_value"].to_numpy().astype(np.float64)
    families = table["indicator"].to_numpy()
    adjusted = np.full(len(p), np.nan)
    for family in np.unique(families):
        members = families == family
        adjusted[members] = adjust(p[members], method=method)
    series = pl.Series("p_adjusted", adjusted, dtype=pl.Float64).fill_nan(None)
    return table.with_columns(series).with_columns(
        significant=pl.when(pl.col("p_adjusted").is_not_null()).then(pl.col("p_adjusted") < alpha)
    )
