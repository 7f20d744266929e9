"""A run's published counts in long form, one row per cell of its system: where each count comes
from (:class:`CountSource`), the cut columns and their totals, the zeros a reader knows, the
rest of everyone beside each group and each rolling window's years (what
:mod:`wres.rules.run_cells` builds the system from).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import InternalError
from wres.engine.standards import Shape
from wres.rules.table import Hierarchy

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: The count columns of a row of ``indicators.csv``.
COUNT_COLUMNS: tuple[str, ...] = (
    "numerator",
    "denominator",
    "reference_numerator",
    "reference_denominator",
)
MEASURE, YEAR, ETHNICITY = "measure", "year", "ethnicity"
#: Labels of the totals of the dimensions that have none in a publication.
ALL_YEARS, ALL_GROUPS = "(every year)", "(everyone)"
CUT_TOTAL = "All"
#: The label of a blank value of a cut column (a category of its own, not the total).
BLANK = "(blank)"


@dataclass(frozen=True, slots=True)
class CountSource:
    """Where the counts of one indicator, variant and board membership come from.

    ``share``: numerator the group's ``events``, denominator everyone's; ``ratio``: numerator
    the group's ``events``, denominator the group's ``at_risk``; ``board``: the group's and
    everyone's ``events`` (members), compared with the group's and everyone's ``workforce``.
    ``span``: years per figure (2 for a 2-year rolling variant).
    """

    kind: Shape
    events: str
    at_risk: str
    workforce: str | None = None
    span: int = 1
    #: the measure of the workforce's total (from records, the workforce's own)
    workforce_total: str | None = None


SourceKey = tuple[int, str, str | None]


@dataclass(frozen=True, eq=False)
class CutDimension:
    """One dimension of the system from one cut column or a chain of nested ones."""

    #: the cut columns, the outermost first (``region``, ``organisation``)
    columns: tuple[str, ...]
    #: per column: each value's node label (its path, ``London / RXB``, in a chain)
    node_of: Mapping[str, Mapping[str, str]]
    hierarchy: Hierarchy
    #: each node's depth (0: the total ``All``; 1: the outermost column's values; ...)
    level: Mapping[str, int]

    @property
    def name(self) -> str:
        return self.hierarchy.name

    def nodes_at(self, level: int) -> list[str]:
        return [label for label, at in self.level.items() if at == level]


def cut_dimensions(
    frame: pl.DataFrame,
    dims: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    nested: Mapping[str, tuple[str, Mapping[str, str]]],
) -> list[CutDimension]:
    """The cut columns as dimensions: a chain of nested columns is one (its name the columns
    joined by `` / ``), every other column one of its own."""
    values = {
        d: sorted(
            {v for v in frame[d].unique().to_list() if v != CUT_TOTAL}
            | {v for v in labels.get(d, ()) if v != CUT_TOTAL}
        )
        or ["(none)"]
        for d in dims
    }
    parent = {c: p for c, (p, _) in nested.items() if c in dims and p in dims}
    out = []
    for root in dims:
        if root in parent:
            continue
        chain = [root]
        while child := next((c for c, p in parent.items() if p == chain[-1]), None):
            chain.append(child)
        node_of: dict[str, dict[str, str]] = {root: {v: v for v in values[root]}}
        pairs: list[tuple[str, str]] = [(v, CUT_TOTAL) for v in values[root]]
        for up, col in itertools.pairwise(chain):
            mapping = nested[col][1]
            node_of[col] = {v: f"{node_of[up][mapping[v]]} / {v}" for v in values[col]}
            pairs += [(node_of[col][v], node_of[up][mapping[v]]) for v in values[col]]
        level = {CUT_TOTAL: 0} | {
            node: depth + 1 for depth, col in enumerate(chain) for node in node_of[col].values()
        }
        name = " / ".join(chain)
        out.append(
            CutDimension(tuple(chain), node_of, Hierarchy.from_pairs(name, pairs, CUT_TOTAL), level)
        )
    return out


def known_zeros(frame: pl.DataFrame, cuts: Sequence[CutDimension]) -> pl.DataFrame:
    """The rows a published cut leaves out because nobody is there: zeros the attacker knows.

    A cut (a measure by band, say) publishes a row where anyone is counted; every other value of
    its columns (a band that has nobody in it for this measure) is a zero, and the totals of
    the cut are the sums of the rows it has. Made explicit, so that every relation of a
    published cut is whole. (A cut by region and organisation holds every organisation, each
    under its own region: the other regions are not a zero to make.)"""
    dims = [cut.name for cut in cuts]
    flags = [
        pl.col(cut.name).replace_strict(cut.level, return_dtype=pl.Int64).alias(f"_in_{cut.name}")
        for cut in cuts
    ]
    every = frame.with_columns(flags)
    real = every.filter(~pl.col("phantom") & (pl.col("row") >= 0) & pl.col("fills"))
    if not dims or not real.height:
        return frame.clear()
    tables = real.select(MEASURE, *(f"_in_{d}" for d in dims)).unique().sort(pl.all())
    keys = [MEASURE, YEAR, "year_value", *dims, ETHNICITY]
    out = []
    for table in tables.iter_rows(named=True):
        inside = [cut for cut in cuts if table[f"_in_{cut.name}"]]
        if not inside:
            continue
        mine = real.filter(
            pl.col(MEASURE) == table[MEASURE],
            *(pl.col(f"_in_{d}") == table[f"_in_{d}"] for d in dims),
        )
        full = mine.select(MEASURE, YEAR, "year_value", ETHNICITY).unique()
        for cut in inside:
            nodes = cut.nodes_at(table[f"_in_{cut.name}"])
            full = full.join(pl.DataFrame({cut.name: nodes}), how="cross")
        full = full.with_columns(
            pl.lit(CUT_TOTAL).alias(cut.name) for cut in cuts if cut not in inside
        )
        known = every.filter(pl.col(MEASURE) == table[MEASURE]).select(keys)
        missing = full.join(known, on=keys, how="anti", nulls_equal=True)
        out.append(missing.select(keys))
    if not out:
        return frame.clear()
    zeros = pl.concat(out).with_columns(value=pl.lit(0, pl.Int64))
    return made_cells(zeros, "zero", phantom=False, fills=True)


def everyone_rest(frame: pl.DataFrame, eth: Hierarchy, keys: Sequence[str]) -> pl.DataFrame:
    """Where a count of everyone is published beside only some groups' (a board membership:
    BME members of the board, and all members), the other groups' counts as cells nobody
    publishes, so that the relation ``everyone = sum of the groups`` (each group's count at most
    everyone's) is in the system. Their split among the missing groups is not known to anyone
    and not needed: the first missing group holds the difference, the others 0."""
    top = [eth.labels[i] for i in eth.children[0]]
    cut_keys = [k for k in keys if k != ETHNICITY]
    real = frame.filter(~pl.col("phantom"))
    everyone = (
        real.filter(pl.col(ETHNICITY) == ALL_GROUPS)
        .group_by([MEASURE, *cut_keys])
        .agg(pl.col("value").first().alias("_everyone"))
    )
    if not everyone.height:
        return frame.clear()
    parts = (
        frame.filter(pl.col(ETHNICITY).is_in(top))
        .group_by([MEASURE, *cut_keys, ETHNICITY])
        .agg(pl.col("value").first())
        .group_by([MEASURE, *cut_keys])
        .agg(pl.col(ETHNICITY).alias("_present"), pl.col("value").sum().alias("_sum"))
    )
    joined = everyone.join(parts, on=[MEASURE, *cut_keys], how="inner", nulls_equal=True)
    out = []
    for row in joined.iter_rows(named=True):
        missing = [g for g in top if g not in set(row["_present"])]
        rest = row["_everyone"] - row["_sum"]
        if not missing or rest < 0:
            continue
        for k, group in enumerate(missing):
            out.append({**{c: row[c] for c in (MEASURE, *cut_keys)}, ETHNICITY: group,
                        "value": rest if k == 0 else 0})  # fmt: skip
    if not out:
        return frame.clear()
    rest = pl.DataFrame(
        out, schema={c: frame.schema[c] for c in (MEASURE, *keys)} | {"value": pl.Int64}
    )
    return made_cells(rest, "rest of everyone", phantom=True, fills=False)


def made_cells(frame: pl.DataFrame, column: str, *, phantom: bool, fills: bool) -> pl.DataFrame:
    """Cells the run's system needs that no row of the table is (``column`` says why): not
    withheld, and ``phantom`` when nobody publishes them (unknown to the attacker) or a zero
    anyone can tell; ``fills`` a published cut's row left out."""
    return frame.with_columns(
        row=pl.lit(-1, pl.Int64),
        span=pl.lit(1, pl.Int64),
        column=pl.lit(column),
        hidden=pl.lit(value=False),
        phantom=pl.lit(value=phantom),
        fills=pl.lit(value=fills),
    )


def window_parts(
    windows: pl.DataFrame,
    hierarchies: Sequence[Hierarchy],
    strides: IntArray,
    codes: IntArray,
) -> IntArray:
    """For each rolling count, the cells of the years it sums (-1: no row that year)."""
    if not windows.height:
        return np.zeros((0, 1), np.int64)
    span = int(windows["span"].to_numpy().max())
    out = np.full((windows.height, span), -1, np.int64)
    base = np.zeros(windows.height, np.int64)
    for d, h in enumerate(hierarchies):
        if h.name == YEAR:
            continue
        pos = pl.DataFrame({"_label": list(h.labels), "_pos": np.arange(len(h.labels))})
        at = (
            windows.select(pl.col(h.name).alias("_label"))
            .join(pos, on="_label", how="left", maintain_order="left")["_pos"]
            .to_numpy()
        )
        base += at.astype(np.int64) * strides[d]
    year_h = hierarchies[1]
    last = windows["year_value"].to_numpy()
    spans = windows["span"].to_numpy()
    for k in range(span):
        labels = [str(y - k) if k < s else "" for y, s in zip(last, spans, strict=True)]
        at = np.array([year_h.position.get(label, -1) for label in labels], np.int64)
        wanted = base + at * strides[1]
        found = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
        out[:, k] = np.where((at >= 0) & (codes[found] == wanted), found, -1)
    return out


def long_counts(
    evaluated: pl.DataFrame,
    withheld: pl.DataFrame,
    sources: Mapping[SourceKey, CountSource],
    dims: Sequence[str],
    node_of: Mapping[str, str],
) -> pl.DataFrame:
    """One row per count of the table: its cell key, value, and whether the primary rules
    withheld it."""
    base = _rows_with_sources(evaluated, withheld, sources, dims)
    board = pl.col("_kind") == Shape.BOARD.value
    keys = ["row", "indicator", "year", "span", *dims]
    long = pl.concat(
        [
            base.select(
                *keys,
                pl.lit(column).alias("column"),
                measure.alias(MEASURE),
                group.alias(ETHNICITY),
                value.alias("value"),
                hidden.alias("hidden"),
                pl.lit(value=False).alias("phantom"),
                # a board's rows are where it has members: its workforce columns say nothing
                # of the rows it leaves out
                ~(board & pl.lit(column.startswith("reference"))).alias("fills"),
            )
            for column, measure, group, value, hidden in _count_parts()
        ]
        + _phantom_totals(base, keys)
    ).filter(pl.col("value").is_not_null())
    return _with_year_labels(_at_group_nodes(long, node_of))


def _rows_with_sources(
    evaluated: pl.DataFrame,
    withheld: pl.DataFrame,
    sources: Mapping[SourceKey, CountSource],
    dims: Sequence[str],
) -> pl.DataFrame:
    """The table's rows (numbered, blank cut values labelled), whether the primary rules
    withheld each count, and the measures of each row's source (``_kind``, ``_events``, ...)."""
    base = (
        evaluated.select(
            "indicator",
            pl.col("variant").cast(pl.String),
            pl.col("board").cast(pl.String),
            pl.col("year").cast(pl.Int64),
            *(pl.col(d).cast(pl.String).fill_null(BLANK) for d in dims),
            pl.col("group").cast(pl.String),
            pl.col("reference_group").cast(pl.String),
            *COUNT_COLUMNS,
            *(withheld[c].is_null().alias(f"_hidden_{c}") for c in COUNT_COLUMNS),
        )
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(
            _source_frame(sources, evaluated.schema["indicator"]),
            on=["indicator", "variant", "board"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    )
    if base["_kind"].null_count():
        missing = base.filter(pl.col("_kind").is_null()).row(0, named=True)
        msg = f"no count source for indicator {missing['indicator']} {missing['variant']!r}"
        raise InternalError(msg)
    return base


def _source_frame(sources: Mapping[SourceKey, CountSource], indicator: pl.DataType) -> pl.DataFrame:
    """One row per count source: its key (indicator, variant, board) and its measures."""
    return pl.DataFrame(
        [
            (
                i,
                v,
                b,
                s.kind.value,
                s.events,
                s.at_risk,
                s.workforce,
                s.workforce_total or s.workforce,
                s.span,
            )
            for (i, v, b), s in sources.items()
        ],
        schema={
            "indicator": indicator,
            "variant": pl.String,
            "board": pl.String,
            "_kind": pl.String,
            "_events": pl.String,
            "_at_risk": pl.String,
            "_workforce": pl.String,
            "_workforce_total": pl.String,
            "span": pl.Int64,
        },
        orient="row",
    )


def _count_parts() -> list[tuple[str, pl.Expr, pl.Expr, pl.Expr, pl.Expr]]:
    """Per count column of a row: the column, its measure, its group node, its value and
    whether it is withheld, by the kind of the row's source."""
    board, ratio = (pl.col("_kind") == shape.value for shape in (Shape.BOARD, Shape.RATIO))
    total = pl.lit(ALL_GROUPS)
    return [
        ("numerator", pl.col("_events"), pl.col("group"), pl.col("numerator"), _h("numerator")),
        (
            "denominator",
            pl.col("_at_risk"),
            pl.when(ratio).then(pl.col("group")).otherwise(total),
            pl.col("denominator"),
            _h("denominator"),
        ),
        (
            "reference_numerator",
            pl.when(board).then("_workforce").otherwise("_events"),
            pl.when(board).then(pl.col("group")).otherwise(pl.col("reference_group")),
            pl.col("reference_numerator"),
            _h("reference_numerator"),
        ),
        (
            "reference_denominator",
            pl.when(board).then("_workforce_total").otherwise("_at_risk"),
            pl.when(board).then(total).otherwise(pl.col("reference_group")),
            pl.col("reference_denominator"),
            _h("reference_denominator"),
        ),
    ]


def _at_group_nodes(long: pl.DataFrame, node_of: Mapping[str, str]) -> pl.DataFrame:
    """The counts with each group label replaced by its node of the ethnicity hierarchy."""
    nodes = pl.DataFrame(
        {"_label": [*node_of, ALL_GROUPS], "_node": [*node_of.values(), ALL_GROUPS]}
    )
    long = long.join(nodes, left_on=ETHNICITY, right_on="_label", how="left", maintain_order="left")
    # a reference group nobody in the run belongs to has counts of 0 and no node: no relation
    # holds them
    long = long.filter(pl.col("_node").is_not_null() | (pl.col("value") != 0))
    if long["_node"].null_count():
        label = long.filter(pl.col("_node").is_null())[ETHNICITY][0]
        msg = f"group {label!r} is not in the run's ethnicity hierarchy (a bug in wres)"
        raise InternalError(msg)
    return long.with_columns(pl.col("_node").alias(ETHNICITY)).drop("_node")


def _with_year_labels(long: pl.DataFrame) -> pl.DataFrame:
    """The counts with their last year as ``year_value`` and, as ``year``, the label of the
    year or the rolling window (``2022-2023``) they count."""
    return long.with_columns(
        pl.col("year").alias("year_value"),
        pl.when(pl.col("span") == 1)
        .then(pl.col("year").cast(pl.String))
        .otherwise(
            (pl.col("year") - pl.col("span") + 1).cast(pl.String)
            + "-"
            + pl.col("year").cast(pl.String)
        )
        .alias(YEAR),
    )


def _phantom_totals(base: pl.DataFrame, keys: Sequence[str]) -> list[pl.DataFrame]:
    """A ratio's counts over every group: nobody publishes them, but their relations make the
    tables whole, so a pattern may pass through them (they are absent to the attacker)."""
    ratio = base.filter(pl.col("_kind") == Shape.RATIO.value)
    if not ratio.height:
        return []
    by = ["variant", "board", *(k for k in keys if k != "row")]
    sums = (
        ratio.group_by(by, maintain_order=True)
        .agg(
            events=pl.col("_events").first(),
            at_risk=pl.col("_at_risk").first(),
            e=pl.col("numerator").sum() + pl.col("reference_numerator").max().fill_null(0),
            n=pl.col("denominator").sum() + pl.col("reference_denominator").max().fill_null(0),
            whole=pl.col("reference_denominator").is_not_null().any(),
        )
        .filter("whole")
    )  # only the rows that carry the reference make up everyone
    sums = sums.with_columns(row=-2 - pl.int_range(pl.len(), dtype=pl.Int64))
    out = []
    for column, measure, value in (
        ("total_events", pl.col("events"), pl.col("e")),
        ("total_at_risk", pl.col("at_risk"), pl.col("n")),
    ):
        out.append(
            sums.select(
                "row",
                *(k for k in keys if k != "row"),
                pl.lit(column).alias("column"),
                measure.alias(MEASURE),
                pl.lit(ALL_GROUPS).alias(ETHNICITY),
                value.cast(pl.Int64).alias("value"),
                pl.lit(value=False).alias("hidden"),
                pl.lit(value=True).alias("phantom"),
                pl.lit(value=False).alias("fills"),
            )
        )
    return out


def _h(column: str) -> pl.Expr:
    return pl.col(f"_hidden_{column}") & pl.col(column).is_not_null()
