"""Evaluate a standard's indicators from the count cubes, for every cut and ethnicity group.

Input is the blocks of :mod:`wres.engine.counts` (from records or a counts file); each cut of each
indicator is a marginal of them (:mod:`wres.engine.cells`). Output is one row per indicator,
variant, year, cut cell, board membership and group, with the columns of SPEC section 8 before
any disclosure control. Rates and ratios are computed from counts, never from rounded
percentages.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from wres.engine.cells import Groups, LabelTypes, cut_rows, groups_of, has_anyone
from wres.engine.counts import ETHNICITY, WORKFORCE, Block, Counts
from wres.engine.cube import Label
from wres.engine.ethnicity import UNKNOWN, EthnicityScheme, Level
from wres.engine.families import adjust_within, family_codes
from wres.engine.rollup import BAND, BAND_CLUSTER
from wres.engine.standards import Indicator, RatioOrder, Shape, Standard
from wres.engine.stats import p_value, relative_likelihood
from wres.engine.stats.intervals import CiMethod
from wres.engine.stats.pvalues import TestName

#: The non-adverse range 0.80-1.25, inclusive, as exact fractions (numerator, denominator).
NON_ADVERSE = ((4, 5), (5, 4))

#: The label of a rolled-up cut dimension (SPEC section 10).
ALL = "All"

Reference = Literal["White", "White British"]
REFERENCES: tuple[str, ...] = ("White", "White British")


@dataclass(frozen=True, slots=True)
class Settings:
    """How a run compares groups."""

    level: Level = Level.WRES
    #: White or White British; for another characteristic, the standard's reference value
    reference: str = "White"
    ci_method: CiMethod = "score"
    confidence: float = 0.95
    test: TestName = "chi2"
    #: the standard's characteristic (the Unknown group is "not compared: unknown <this>")
    characteristic: str = "ethnicity"


class Status:
    """The closed vocabulary of the ``status`` column before disclosure control."""

    PUBLISHED = "published"
    NOT_CALCULABLE = "not calculable"
    NOT_COMPARED = "not compared: unknown ethnicity"


def _compares(ind: Indicator) -> bool:
    """The indicator sets each group beside another's figure (not shares, not WDES metric 8)."""
    return ind.kind.compares and ind.compared


def _measure_rows(frame: pl.DataFrame, ind: Indicator, settings: Settings) -> pl.DataFrame:
    """Select and label the rows an indicator publishes."""
    if not _compares(ind):
        # every group with anyone, on its own: the share of the row's headcount, or a
        # percentage of the group's own respondents
        return frame.with_columns(
            denominator="_row_total" if ind.kind.headcount else "denominator",
            reference_numerator=pl.lit(None, pl.Int64),
            reference_denominator=pl.lit(None, pl.Int64),
            reference_group=pl.lit(None, pl.String),
        )
    if ind.kind.shape is Shape.BOARD:
        # each membership's group against the same group in the workforce
        return frame.filter(~pl.col("_all_ref") & (pl.col("group") != UNKNOWN)).with_columns(
            denominator="_row_total", reference_group=pl.lit(WORKFORCE)
        )
    # ratio and percentage: every group that is not (wholly) the reference; Unknown is reported
    # with its own counts and rate but compared with nobody.
    unknown = pl.col("group") == UNKNOWN
    return frame.filter(~pl.col("_all_ref")).with_columns(
        reference_group=pl.when(~unknown).then(pl.lit(settings.reference)),
        reference_numerator=pl.when(~unknown).then("reference_numerator"),
        reference_denominator=pl.when(~unknown).then("reference_denominator"),
    )


def _not_compared(settings: Settings) -> str:
    return Status.NOT_COMPARED.replace("ethnicity", settings.characteristic)


def _statistics(frame: pl.DataFrame, ind: Indicator, settings: Settings) -> pl.DataFrame:
    a = frame["numerator"].to_numpy().astype(np.float64)
    n1 = frame["denominator"].to_numpy().astype(np.float64)
    c = frame["reference_numerator"].fill_null(0).to_numpy().astype(np.float64)
    n2 = frame["reference_denominator"].fill_null(0).to_numpy().astype(np.float64)
    comparable = (frame["group"] != UNKNOWN).to_numpy() & _compares(ind)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n1 > 0, a / n1, np.nan)
        reference_rate = np.where(comparable & (n2 > 0), c / n2, np.nan)
    columns: dict[str, np.ndarray] = {"rate": rate, "reference_rate": reference_rate}
    columns["difference_pp"] = np.where(comparable, (rate - reference_rate) * 100, np.nan)
    estimate = low = high = np.full(len(a), np.nan)
    method = None
    if ind.kind.relative_likelihood and len(a):
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
    tested = comparable & ind.kind.tested & (n1 > 0) & (n2 > 0)
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
    ratio = ind.kind.relative_likelihood
    return out.with_columns(
        ci_method=pl.when(pl.col("ci_low").is_not_null()).then(pl.lit(method, pl.String)),
        test=pl.when(pl.col("p_value").is_not_null()).then(pl.lit(settings.test)),
        non_adverse_range=pl.when(pl.col("relative_likelihood").is_not_null()).then(
            _non_adverse(a, n1, c, n2, ind)
        ),
        status=pl.when(pl.lit(_compares(ind)) & (pl.col("group") == UNKNOWN))
        .then(pl.lit(_not_compared(settings)))
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
        top * low_den < bottom * low_num, 0, np.where(top * high_den > bottom * high_num, 2, 1)
    )
    return pl.Series("non_adverse_range", ["below", "inside", "above"]).gather(flag)


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


#: The cut columns that name organisations: a run by them publishes each organisation's
#: own tables (its annual return), so they are the organisation level of a run.
ORGANISATION_COLUMNS: tuple[str, ...] = ("region", "organisation")


def organisation_cuts(cuts: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """The cuts of a run that name organisations only (and the total): the run without its
    other ``--by`` cuts."""
    return [tuple(c) for c in cuts if all(d in ORGANISATION_COLUMNS for d in c)]


def organisation_rows(
    standard: Standard, dims: Sequence[str], cuts: Sequence[Sequence[str]] = ((),)
) -> pl.Expr:
    """True on the rows a run by ``cuts`` only (default: without ``--by`` cuts) has too: the
    organisation-level tables (the annual return), each indicator's own rows (indicator 1 by
    staff group and band) included. ``dims``: the run's cut columns."""
    out = pl.lit(value=False)
    for ind in standard.indicators:
        for cut in _cuts_of(ind, cuts, clusters=BAND_CLUSTER in dims):
            # exactly the cut's columns cut (a band share of all staff groups is not a row of
            # the run without --by band)
            at_all = [(pl.col(d).cast(pl.String) == ALL) != (d in cut) for d in dims]
            here = pl.all_horizontal(at_all) if at_all else pl.lit(value=True)
            out = out | ((pl.col("indicator") == ind.id) & here)
    return out


def _cuts_of(
    ind: Indicator, cuts: Sequence[Sequence[str]], *, clusters: bool = False
) -> list[tuple[str, ...]]:
    """The cuts an indicator is evaluated at: each requested cut, and for band shares the cut
    by staff group and by staff group and band as well (the rows of the annual return); with
    ``clusters``, by staff group and band cluster too (the return's rows rolled up)."""
    out: dict[frozenset[str], tuple[str, ...]] = {}
    rows = [ind.rows]
    if clusters and BAND in ind.rows:
        rows.append(tuple(BAND_CLUSTER if d == BAND else d for d in ind.rows))
    for cut, these in itertools.product(cuts, rows):
        for k in range(len(these) + 1):
            columns = tuple(dict.fromkeys((*cut, *these[:k])))
            if BAND in columns and BAND_CLUSTER in columns:  # a band is in one cluster
                columns = tuple(c for c in columns if c != BAND_CLUSTER)
            # band + (staff group, band) and band + staff group are one cut: its rows once
            out.setdefault(frozenset(columns), columns)
    return list(out.values())


def _label_types(
    counts: Counts, standard: Standard, dims: Sequence[str], names: set[str]
) -> LabelTypes:
    """Enum types of the text columns, from every label the run's cubes and groups hold."""
    values: dict[str, set[Label]] = {d: {ALL} for d in dims}
    values |= {"variant": set(), "board": set(), "group": set(names)}
    for ind in standard.indicators:
        for block in counts.get(ind.id, ()):
            values["variant"].add(block.variant)
            values["board"].add(block.board)
            for axis, labels in zip(block.cube.axes, block.cube.labels, strict=True):
                if axis in values:
                    values[axis].update(labels)
        if ind.rolling_years:
            values["variant"].add(f"{ind.rolling_years}-year rolling")
    return LabelTypes.of(values)


def evaluate(
    counts: Counts,
    standard: Standard,
    cuts: Sequence[Sequence[str]],
    settings: Settings,
    scheme: EthnicityScheme,
) -> pl.DataFrame:
    """Every indicator in ``counts`` at every cut; ``cuts`` should include ``()`` for the total."""
    dims = output_dims(standard, cuts)
    indicators = [i for i in standard.indicators if i.id in counts and has_anyone(counts[i.id])]
    groups = {
        ind.id: groups_of(
            counts[ind.id][0].cube.labels_of(ETHNICITY),
            settings.level,
            settings.reference,
            scheme,
            compared=_compares(ind) and ind.kind.shape is Shape.RATIO,
        )
        for ind in indicators
    }
    names = {name for g in groups.values() for name in g.names}
    types = _label_types(counts, standard, dims, names)
    parts = []
    for ind in sorted(indicators, key=lambda i: i.id):
        rows = _indicator_rows(
            ind, counts[ind.id], cuts, dims=dims, groups=groups[ind.id], types=types
        )
        if rows is not None:
            figures = _statistics(_measure_rows(rows, ind, settings), ind, settings)
            parts.append(figures.with_columns(indicator=pl.lit(ind.id, pl.Int16)))
    if not parts:
        return _empty(dims)
    out = pl.concat([p.select(_columns(dims, p, types)) for p in parts])  # in key order
    text = [c for c, t in out.schema.items() if isinstance(t, pl.Enum)]
    return _with_direction(out.with_columns(pl.col(text).cast(pl.String)), standard)


def _indicator_rows(
    ind: Indicator,
    blocks: Sequence[Block],
    cuts: Sequence[Sequence[str]],
    *,
    dims: Sequence[str],
    groups: Groups,
    types: LabelTypes,
) -> pl.DataFrame | None:
    """The counts of one indicator at every cut, sorted by the output's keys after indicator
    (sorting these few columns before the figures are added is the cheap place to sort)."""
    frames = []
    # the largest cuts first, so that each smaller one is summed from a larger one's marginal
    for cut in sorted(_cuts_of(ind, cuts), key=len, reverse=True):
        rows = cut_rows(blocks, cut, groups, types, rolling_years=ind.rolling_years)
        if rows is not None:  # None: this indicator's extract has no such column
            frames.append(rows.with_columns(types.constant(d, ALL) for d in dims if d not in cut))
    if not frames:
        return None
    rows = pl.concat(frames, how="diagonal")
    return _in_key_order(rows, ["variant", "year", *dims, "board", "group"]).with_columns(
        measure=pl.lit(str(ind.measure))
    )


def _in_key_order(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """``frame`` sorted by ``keys``, nulls first.

    The key columns are integers and Enums whose categories are in text order, so one integer
    made of their codes orders the rows as the columns would; sorting on it is several times
    faster than sorting on the columns. Keys too wide for 63 bits are sorted as columns.
    """
    codes, sizes = [], []
    for key in keys:
        column = frame[key]
        if isinstance(column.dtype, pl.Enum):
            codes.append(column.to_physical().cast(pl.Int64) + 1)
            sizes.append(len(column.dtype.categories) + 1)
        else:
            low, high = column.min(), column.max()
            low, high = (0, 0) if low is None else (int(low), int(high))  # type: ignore[arg-type]
            codes.append(column.cast(pl.Int64) - low + 1)
            sizes.append(high - low + 2)
    if math.prod(sizes) >= 1 << 63:
        return frame.sort(keys, nulls_last=False)
    combined = pl.Series(np.zeros(frame.height, dtype=np.int64))
    for code, size in zip(codes, sizes, strict=True):
        combined = combined * size + code.fill_null(0)
    return frame[combined.arg_sort()]


def _columns(dims: Sequence[str], frame: pl.DataFrame, types: LabelTypes) -> list[pl.Expr]:
    exprs = []
    for name in (*HEAD_COLUMNS, *dims, *VALUE_COLUMNS):
        if name in ("p_adjusted", "significant"):
            dtype: pl.DataType = pl.Float64() if name == "p_adjusted" else pl.Boolean()
            exprs.append(pl.lit(None, dtype).alias(name))
        elif name in frame.columns:
            exprs.append(pl.col(name))
        elif name in types.columns:
            exprs.append(types.constant(name, None))
        else:
            exprs.append(pl.lit(None, pl.String).alias(name))
    return exprs


def _with_direction(frame: pl.DataFrame, standard: Standard) -> pl.DataFrame:
    """The ``direction`` text of each row, written once per indicator, reference and group."""
    texts = {
        ind.id: ind.direction.replace("{reference}", "\0r").replace("{group}", "\0g")
        for ind in standard.indicators
    }
    keys = ["indicator", "reference_group", "group"]
    template = pl.col("indicator").replace_strict(texts, return_dtype=pl.String)
    filled = template.str.replace_all("\0r", pl.col("reference_group").fill_null(""), literal=True)
    # A row compared with nobody (Unknown ethnicity) has no direction: the text would name an
    # empty reference group ("White" missing from "... than  staff"); nor has a row without a
    # group (replace_all cannot take a null, even for rows the condition leaves out).
    compared = (
        pl.col("reference_group").is_not_null() | ~template.str.contains("\0r", literal=True)
    ) & pl.col("group").is_not_null()
    directions = (
        frame.select(keys)
        .unique()
        .with_columns(
            direction=pl.when(compared).then(
                filled.str.replace_all("\0g", pl.col("group").fill_null(""), literal=True)
            )
        )
    )
    # joined rather than computed per row: millions of rows then share a few texts
    joined = frame.drop("direction").join(
        directions, on=keys, how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.select(frame.columns)


_NUMBERS: dict[str, pl.DataType] = {
    "indicator": pl.Int16(),
    "year": pl.Int32(),
    **dict.fromkeys(
        ("numerator", "denominator", "reference_numerator", "reference_denominator"), pl.Int64()
    ),
    **dict.fromkeys(
        (
            "rate",
            "reference_rate",
            "difference_pp",
            "relative_likelihood",
            "ci_low",
            "ci_high",
            "p_value",
            "p_adjusted",
        ),
        pl.Float64(),
    ),
    "significant": pl.Boolean(),
}


def _empty(dims: Sequence[str]) -> pl.DataFrame:
    """No rows (no indicator had anyone), with the columns and types of evaluated rows."""
    names = [*HEAD_COLUMNS, *dims, *VALUE_COLUMNS]
    return pl.DataFrame(schema={name: _NUMBERS.get(name, pl.String()) for name in names})


#: The figures computed from a row's counts (recomputed by :func:`restated`): every value
#: column but the keys, the counts, what the adjustment adds later and the direction text.
_FIGURES: tuple[str, ...] = tuple(
    c
    for c in VALUE_COLUMNS
    if c not in {"board", "group", "reference_group", "p_adjusted", "significant", "direction"}
    and c not in {"numerator", "denominator", "reference_numerator", "reference_denominator"}
)


def restated(table: pl.DataFrame, standard: Standard, settings: Settings) -> pl.DataFrame:
    """Every figure recomputed from the counts as published (rounded), rows in their order.

    A rate from the true count beside a rounded count gives the true count away (7/25 beside a
    published 25 and a rate of 0.28 is exactly 7): with rounding, rates, ratios, intervals and
    p-values come from the published counts, so they tell nothing the counts do not. Rows whose
    counts are withheld keep their (empty) figures and status.
    """
    withheld = pl.col("status").str.starts_with("suppressed")
    indexed = table.with_row_index("_row")
    parts = [
        indexed.filter(withheld | ~pl.col("indicator").is_in([i.id for i in standard.indicators]))
    ]
    for ind in standard.indicators:
        own = indexed.filter((pl.col("indicator") == ind.id) & ~withheld)
        if own.height:
            fresh = _statistics(
                own.with_columns(pl.col(c).fill_null(0) for c in ("numerator", "denominator")),
                ind,
                settings,
            )
            parts.append(own.with_columns(fresh.select(_FIGURES)))
    return pl.concat(parts).sort("_row").drop("_row").select(table.columns)


def with_adjusted_p(
    table: pl.DataFrame,
    dims: Sequence[str],
    *,
    method: Literal["bh", "holm"] = "bh",
    alpha: float = 0.05,
) -> pl.DataFrame:
    """``p_adjusted`` within each family and ``significant`` from it.

    A family is one indicator's comparisons in one year at one cut (the cut columns of
    ``dims`` that are not ``All``; :mod:`wres.engine.families`), so a figure's adjusted p-value does
    not depend on which other cuts the run asked for. Run after disclosure control: the family
    is the comparisons a run publishes, so a withheld p-value neither counts nor leaks through
    the adjusted values of its neighbours.
    """
    p = table["p_value"].to_numpy().astype(np.float64)
    families = family_codes(table, dims, ("indicator", "year"))
    adjusted = adjust_within(p, families, method=method)
    series = pl.Series("p_adjusted", adjusted, dtype=pl.Float64).fill_nan(None)
    return table.with_columns(series).with_columns(
        significant=pl.when(pl.col("p_adjusted").is_not_null()).then(pl.col("p_adjusted") < alpha)
    )
