"""The measures of a run's system: every count derived from the published ones, and the relations
between them, as ``wres.engine.measures`` declares them.

A run's cells are keyed by measure, year, cut cells and group. For each key where the measures a
derived count needs are all counted, it is a cell of its own: unknown to the attacker (absent),
unless it is a small count of people (1 up to the withheld range), which a reader could get by
subtraction and which is then a primary cell to protect (rule P2, complements: the international
recruits among the appointed, the non-voting members of a board, the people at risk without the
event). The relations are the measure hierarchy (a tree of splits, which the pattern search
keeps as it keeps every hierarchy) and further rows wherever all their cells are present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.measures import MeasureModel, Split
from wres.rules.table import Hierarchy

IntArray = npt.NDArray[np.int64]
MEASURE = "measure"
#: The label of the total of the measure dimension (no publication has it).
ALL_MEASURES = "(every measure)"
#: The ``column`` of a derived count's rows in the long format.
DERIVED_COLUMN = "derived"


def split_conflicts(
    long: pl.DataFrame, keys: Sequence[str], declared: Sequence[Split]
) -> tuple[pl.DataFrame, list[Split]]:
    """A counts file may give one measure (the headcount of indicators 1, 3 and 4) different
    values in different indicators: those measures are then the indicators' own, named
    ``measure@indicator``, and no relation says they are the same people. The totals over
    every group of a ratio (``phantom``: not published) count too: a file whose groups of one
    indicator sum to another headcount than a second indicator gives is such a clash."""
    clash = (
        long.group_by([MEASURE, *keys])
        .agg(pl.col("value").n_unique().alias("_n"))
        .filter(pl.col("_n") > 1)[MEASURE]
        .unique()
        .to_list()
    )
    if not clash:
        return long, list(declared)
    renamed = long.with_columns(
        pl.when(pl.col(MEASURE).is_in(clash))
        .then(pl.col(MEASURE) + "@" + pl.col("indicator").cast(pl.String))
        .otherwise(pl.col(MEASURE))
        .alias(MEASURE)
    )

    def named(m: str, indicator: int) -> str:
        return f"{m}@{indicator}" if m in clash else m

    splits = [
        Split(
            s.indicator,
            {named(m, s.indicator): a for m, a in s.atoms.items()},
            tuple((named(w, s.indicator), named(p, s.indicator)) for w, p in s.complements),
        )
        for s in declared
    ]
    return renamed, splits


def derived_cells(
    frame: pl.DataFrame, model: MeasureModel, keys: Sequence[str], *, at_most: int
) -> pl.DataFrame:
    """A row per derived count and key where every measure it needs is counted: its value,
    absent (``phantom``) unless a small count of people whose measures are all real cells,
    and then withheld on its own account (``hidden``)."""
    derived = model.derived()
    if not derived or not frame.height:
        return frame.clear()
    cells = frame.group_by([MEASURE, *keys]).agg(
        pl.col("value").first(), pl.col("phantom").all().alias("_phantom")
    )
    values = cells.pivot(on=MEASURE, index=list(keys), values="value")
    ghosts = cells.pivot(on=MEASURE, index=list(keys), values="_phantom")
    out = []
    for node in derived:
        needed = [m for m, _ in node.formula]
        if not all(m in values.columns for m in needed):
            continue
        value = pl.sum_horizontal(pl.col(m) * c for m, c in node.formula)
        present = pl.all_horizontal(pl.col(m).is_not_null() for m in needed)
        ghost = pl.any_horizontal(pl.col(m).fill_null(value=True) for m in needed)
        rows = (
            values.select(*keys, value.alias("value"), present.alias("_present"))
            .with_columns(ghosts.select(ghost.alias("_ghost")))
            .filter("_present")
        )
        small = (pl.col("value") >= 1) & (pl.col("value") <= at_most) & pl.lit(node.protected)
        if node.implied:  # a cell only where it is a count to protect
            rows = rows.filter(small & ~pl.col("_ghost"))
        out.append(
            rows.select(
                *keys,
                pl.lit(node.name).alias(MEASURE),
                pl.col("value").cast(pl.Int64),
                (small & ~pl.col("_ghost")).alias("hidden"),
                (pl.col("_ghost") | ~small).alias("phantom"),
            )
        )
    if not out:
        return frame.clear()
    return pl.concat(out).with_columns(
        row=pl.lit(-1, pl.Int64),
        span=pl.lit(1, pl.Int64),
        column=pl.lit(DERIVED_COLUMN),
        fills=pl.lit(value=False),
    )


def measure_hierarchy(model: MeasureModel, present: Sequence[str]) -> Hierarchy:
    """The measures under one total, each split's parts under its whole (the tree of
    ``model``); a node whose whole has no cells sits under the total."""
    here = set(present)
    pairs = []
    for m in present:
        up = model.parent.get(m)
        while up is not None and up not in here:
            up = model.parent.get(up)
        pairs.append((m, up or ALL_MEASURES))
    if not pairs:
        pairs = [("(none)", ALL_MEASURES)]
    return Hierarchy.from_pairs(MEASURE, pairs, ALL_MEASURES)


def extra_rows(
    model: MeasureModel,
    measure: Hierarchy,
    codes: IntArray,
    measure_of: IntArray,
    stride: int,
) -> tuple[tuple[IntArray, IntArray], ...]:
    """Every relation of ``model`` beyond the hierarchy, at every key where all its cells are.

    ``codes``: each cell's code (sorted); ``measure_of``: each cell's measure node; ``stride``:
    the measure dimension's stride in the codes."""
    rows: list[tuple[IntArray, IntArray]] = []
    for relation in model.relations:
        nodes = [measure.position.get(name, -1) for name, _ in relation]
        if min(nodes) < 0:
            continue
        first = np.flatnonzero(measure_of == nodes[0])
        base = codes[first] - nodes[0] * stride
        found = [first]
        for node in nodes[1:]:
            wanted = base + node * stride
            at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
            found.append(np.where(codes[at] == wanted, at, -1))
        cells = np.stack(found, axis=1)
        cells = cells[(cells >= 0).all(axis=1)]
        coefficients = np.array([c for _, c in relation], np.int64)
        rows += [(np.asarray(row, np.int64), coefficients) for row in cells]
    return tuple(rows)


def derived_mask(model: MeasureModel, measure: Hierarchy) -> npt.NDArray[np.bool_]:
    """Per node of the measure dimension: a derived count (where a pattern balances a relation
    it breaks first: nobody publishes it)."""
    nodes: Mapping[str, object] = model.nodes
    return np.array(
        [label in nodes and model.nodes[label].derived for label in measure.labels], np.bool_
    )
