"""The linear system of a whole run: every count it publishes, as cells related by sums.

A run publishes counts in many places: each indicator's group and reference counts, for every
year, 2-year rolling window, cut (band, band x site, ...), total and ethnicity level, and the
same headcount can appear as indicator 1's numerator, indicators 3 and 4's denominator and
indicator 9's workforce. An attacker combines all of them, so they are one linear system
(:class:`wres.rules.table.LinkedTables`) with these dimensions:

- ``measure``: what is counted, named after the extract and channel it is counted from
  (``staff:rows`` is the headcount, ``staff:3:events`` the staff entering a disciplinary
  process), so figures of different indicators that are the same number are the same cell;
  and, for each event counted among people at risk, the people it did not happen to
  (``staff:rows - staff:3:events``): published only through its two parts, but a relation
  ``at risk = events + the rest`` and a small count of its own (rule P2);
- ``year``: each year, and each rolling window (equal to the sum of its years);
- each cut column (``All`` is the total of its values): a missing row of a published cut is a
  zero (nobody to count), so an organisation's figure is also its region's;
- ``ethnicity``: every group of the run nested by the people it holds (the White reference
  holds the detailed White categories, BME its broad groups, ...), under the total.

The run's primary decisions (P1-P4) are the primary cells, then :func:`wres.rules.secondary.protect`
withholds more until the audit passes, and every figure of every row whose count is withheld
is withheld with it (D1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import InternalError
from wres.engine.ethnicity import UNKNOWN, WHITE
from wres.engine.measures import Bound, MeasureModel, Split, measure_model
from wres.engine.standards import Shape
from wres.rules.measure_cells import (
    derived_cells,
    derived_mask,
    extra_rows,
    measure_hierarchy,
    split_conflicts,
)
from wres.rules.run_counts import (
    ALL_GROUPS,
    ALL_YEARS,
    COUNT_COLUMNS,
    CUT_TOTAL,
    ETHNICITY,
    MEASURE,
    YEAR,
    BoolArray,
    CountSource,
    CutDimension,
    IntArray,
    SourceKey,
    cut_dimensions,
    everyone_rest,
    known_zeros,
    long_counts,
    made_cells,
    window_parts,
)
from wres.rules.table import Hierarchy, LinkedTables


@dataclass(frozen=True, eq=False)
class RunCells:
    """The run's counts as cells, and where each count of the table is."""

    tables: LinkedTables
    #: the cells withheld by the run's primary rules (and the remainders of withheld counts)
    primary: BoolArray
    #: per count column: the cell of each row (-1 where the row has no such count)
    cell_of: Mapping[str, IntArray]
    #: per count column: for a rolling figure, the cells of the years it sums (-1: none)
    window_parts: Mapping[str, IntArray]
    #: cells no row publishes (a ratio's counts over every group)
    absent: BoolArray
    #: the zeros a published cut leaves out: known to the attacker, never withheld (withholding
    #: one would hide nothing, since no row shows it)
    fixed: BoolArray
    #: counts derived from the published ones (``wres.engine.measures``): no row shows them
    derived: BoolArray
    #: counts that are public knowledge (``[primary] public_measures``: a board's members, and
    #: every count derived from them alone): known to the attacker, never withheld
    public: BoolArray
    #: counts some row shows after the primary rules (a zero one row leaves blank beside a
    #: small complement and another row shows is known)
    visible: BoolArray
    #: the counts a share is about (``about_mask``): withholding one costs a level more
    about: BoolArray


def ethnicity_hierarchy(
    members: Mapping[str, frozenset[str]],
) -> tuple[Hierarchy, dict[str, str]]:
    """The groups nested by the people they hold (sets of finest categories).

    Two labels holding the same people are one node (the first label); a group whose parts
    do not cover it gets a part that is never published, so no false relation is made.
    Returns the hierarchy and each label's node.
    """
    if not members:  # nothing counted: one placeholder group
        members = {"(nobody)": frozenset({"(nobody)"})}
    everyone: frozenset[str] = frozenset().union(*members.values())
    if len(members) == 1:  # a single group is everyone: the hierarchy needs a category
        everyone = everyone | {"(rest)"}
    node_of: dict[str, str] = {}
    by_set: dict[frozenset[str], str] = {everyone: ALL_GROUPS}
    for label, cells in members.items():
        node_of[label] = by_set.setdefault(cells, label)
    nodes = sorted(by_set.items(), key=lambda item: (-len(item[0]), item[1]))
    labels: list[str] = []
    parents: list[int] = []
    sets: list[frozenset[str]] = []
    for cells, label in nodes:
        parent = -1
        for j in range(len(labels) - 1, -1, -1):  # the smallest strict superset so far
            if cells < sets[j] and (parent < 0 or len(sets[j]) < len(sets[parent])):
                parent = j
        labels.append(label)
        parents.append(parent if labels[0] != label else -1)
        sets.append(cells)
    # a node whose children do not cover it: add its rest, never published
    extra_labels, extra_parents = [], []
    for i, cells in enumerate(sets):
        kids = [j for j, p in enumerate(parents) if p == i]
        if kids and frozenset().union(*(sets[j] for j in kids)) != cells:
            extra_labels.append(f"{labels[i]} (rest)")
            extra_parents.append(i)
    return Hierarchy(ETHNICITY, (*labels, *extra_labels), (*parents, *extra_parents)), node_of


def run_cells(
    evaluated: pl.DataFrame,
    withheld: pl.DataFrame,
    sources: Mapping[SourceKey, CountSource],
    dims: Sequence[str],
    groups: Mapping[str, frozenset[str]],
    *,
    at_most: int,
    labels: Mapping[str, Sequence[str]] | None = None,
    nested: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
    declared: Sequence[Split] = (),
    routing: Sequence[Bound] = (),
    counts_file: bool = False,
    public: Sequence[str] = (),
) -> RunCells:
    """The linear system of a run's counts.

    ``evaluated``: the rows before disclosure control (true counts); ``withheld``: the same
    rows after the primary rules (a count column null where withheld); ``sources``: the
    measures of each (indicator, variant, board); ``dims``: the cut columns; ``groups``: the
    finest categories each group label holds; ``at_most``: the top of the withheld range;
    ``labels``: every value of each cut column in the inputs (default: those the rows show);
    ``nested``: cut columns nested in another (``wres.rules.disclosure.nesting``), each chain of
    them one dimension (``region / organisation``: regions, then their organisations);
    ``declared``, ``routing``: the classes each measure sums and the bounds of a survey's routing
    (``wres.engine.measures``), from which every relation between measures follows;
    ``counts_file``: the counts come from a counts file, where one measure may have different
    values in different indicators (they are then kept apart); ``public``: the kinds of count
    source whose own counts are public knowledge (``"board"``, from the policy's
    ``public_measures``).
    """
    eth, node_of = ethnicity_hierarchy(groups)
    everything, cuts = _counts_at_cut_nodes(
        evaluated, withheld, sources, dims, node_of, labels=labels or {}, nested=nested or {}
    )
    keys = [YEAR, "year_value", *(cut.name for cut in cuts), ETHNICITY]
    if counts_file:
        everything, declared = split_conflicts(everything, ["span", *keys], declared)
    # Rolling figures are not in the system: each is withheld when a year it sums is (see
    # ``withhold``), so a published one adds nothing to what its years' figures say.
    frame = everything.filter(pl.col("span") == 1)
    windows = everything.filter((pl.col("span") > 1) & ~pl.col("phantom"))
    model = measure_model(frame[MEASURE].unique().to_list(), declared, routing)
    years = sorted(frame[YEAR].unique().to_list(), key=lambda y: (len(y), y))
    frame = _made_whole(frame, cuts, eth, keys, model, at_most=at_most)
    measures = sorted(frame[MEASURE].unique().to_list())
    hierarchies = [
        measure_hierarchy(model, measures),
        Hierarchy.flat(YEAR, years or ["(none)"], ALL_YEARS),
        *(cut.hierarchy for cut in cuts),
        eth,
    ]
    return _system(
        evaluated.height, frame, windows, hierarchies, model=model, sources=sources, public=public
    )


def _counts_at_cut_nodes(
    evaluated: pl.DataFrame,
    withheld: pl.DataFrame,
    sources: Mapping[SourceKey, CountSource],
    dims: Sequence[str],
    node_of: Mapping[str, str],
    *,
    labels: Mapping[str, Sequence[str]],
    nested: Mapping[str, tuple[str, Mapping[str, str]]],
) -> tuple[pl.DataFrame, list[CutDimension]]:
    """The run's counts in long form (:func:`long_counts`), each with its node in every cut
    dimension (the cut columns' total when the row has none), and those dimensions."""
    everything = long_counts(evaluated, withheld, sources, dims, node_of)
    cuts = cut_dimensions(everything, dims, labels, nested)
    everything = everything.with_columns(
        pl.coalesce(
            *(
                pl.col(c).replace_strict(cut.node_of[c], default=None, return_dtype=pl.String)
                for c in reversed(cut.columns)
            ),
            pl.lit(CUT_TOTAL),
        ).alias(cut.name)
        for cut in cuts
    )
    return everything, cuts


def _system(
    rows: int,
    frame: pl.DataFrame,
    windows: pl.DataFrame,
    hierarchies: list[Hierarchy],
    *,
    model: MeasureModel,
    sources: Mapping[SourceKey, CountSource],
    public: Sequence[str],
) -> RunCells:
    """The cells of the counts of ``frame`` (one cell per key, in key order) in the
    ``hierarchies``, their relations, and where the ``rows`` of the table and their rolling
    figures (``windows``) are among them."""
    coords, strides = _coordinates(frame, hierarchies)
    codes = coords.astype(np.int64) @ strides
    unique_codes, first, cell = np.unique(codes, return_index=True, return_inverse=True)
    values = frame["value"].to_numpy().astype(np.int64)
    if (values[first][cell] != values).any():
        msg = "one count published twice with different values (a bug in wres)"
        raise InternalError(msg)
    n = len(unique_codes)
    hidden = _any_row(cell, n, frame["hidden"].to_numpy())
    real = _any_row(cell, n, ~frame["phantom"].to_numpy())
    shown = _any_row(cell, n, (frame["column"] != "zero").to_numpy())
    visible = _any_row(
        cell, n, ((frame["column"] != "zero") & ~frame["phantom"] & ~frame["hidden"]).to_numpy()
    )
    cell_coords = coords[first]
    measure_of = cell_coords[:, 0].astype(np.int64)
    extra = extra_rows(model, hierarchies[0], unique_codes, measure_of, int(strides[0]))
    parts = window_parts(windows, hierarchies, strides, unique_codes)
    # a rolling count withheld on its own account: its years are withheld too (it cannot be
    # small unless one of them is, but this does not rely on it)
    own = windows["hidden"].to_numpy()
    hidden[parts[own][parts[own] >= 0]] = True
    tables = LinkedTables(
        tuple(hierarchies), np.ascontiguousarray(cell_coords), values[first], extra
    )
    cell_of, parts_of = _row_cells(rows, frame, cell, windows, parts)
    derived = derived_mask(model, hierarchies[0])[measure_of]
    known = public_mask(model, hierarchies[0], sources, public)[measure_of] & real
    eth = hierarchies[-1]  # the ethnicity dimension comes last
    about = about_mask(hierarchies[0], eth, sources, cell_coords)
    return RunCells(
        tables,
        hidden & real & shown & ~known,
        cell_of,
        parts_of,
        ~real,
        real & ~shown & ~known,
        derived,
        known,
        visible & real,
        about,
    )


def _coordinates(
    frame: pl.DataFrame, hierarchies: Sequence[Hierarchy]
) -> tuple[npt.NDArray[np.int32], IntArray]:
    """Each count's node in every dimension, and each dimension's stride in a cell's code."""
    coords = np.empty((frame.height, len(hierarchies)), dtype=np.int32)
    for d, h in enumerate(hierarchies):
        pos = pl.DataFrame({"_label": list(h.labels), "_pos": np.arange(len(h.labels))})
        coords[:, d] = (
            frame.select(pl.col(h.name).alias("_label"))
            .join(pos, on="_label", how="left", maintain_order="left")["_pos"]
            .to_numpy()
        )
    strides = np.ones(len(hierarchies), dtype=np.int64)
    for d in range(len(hierarchies) - 2, -1, -1):
        strides[d] = strides[d + 1] * len(hierarchies[d + 1].labels)
    return coords, strides


def _any_row(cell: IntArray, n: int, flag: BoolArray) -> BoolArray:
    """Per cell of ``n``: whether any of the counts in it (``cell``, per count) has ``flag``."""
    out = np.zeros(n, np.bool_)
    np.logical_or.at(out, cell, flag)
    return out


def about_mask(
    measure: Hierarchy,
    eth: Hierarchy,
    sources: Mapping[SourceKey, CountSource],
    coords: npt.NDArray[np.int32],
) -> BoolArray:
    """The counts a share is about: a share's own count (indicator 1's headcount) of everyone
    or of a group that is neither the reference group (White) nor Unknown, nor part of one.
    In a row where one more count must be withheld beside a small Unknown, the White count goes
    before BME's, so the BME share, the figure the WRES reads, stays published (the ratios over
    the headcount lose the same either way: each compares a group with White)."""
    shares = {s.events for s in sources.values() if s.kind is Shape.SHARE}
    of_share = np.array([label in shares for label in measure.labels], np.bool_)
    aside = np.zeros(len(eth.labels), np.bool_)
    for i, label in enumerate(eth.labels):  # a parent comes before its children
        parent = eth.parents[i]
        aside[i] = label in (WHITE, UNKNOWN) or (parent >= 0 and aside[parent])
    out: BoolArray = of_share[coords[:, 0]] & ~aside[coords[:, -1]]
    return out


def public_mask(
    model: MeasureModel,
    measure: Hierarchy,
    sources: Mapping[SourceKey, CountSource],
    public: Sequence[str],
) -> BoolArray:
    """Per node of the measure dimension: a count that is public knowledge, the own measures
    of the sources of a ``public`` kind (a board's members) and every count derived from those
    alone (a board's non-voting members). The counts they are compared with (a board's
    workforce) are not among them."""
    names = {m for s in sources.values() if s.kind in public for m in (s.events, s.at_risk)}
    grew = True
    while grew:
        more = {n.name for n in model.derived() if all(m in names for m, _ in n.formula)} - names
        names |= more
        grew = bool(more)
    return np.array([label in names for label in measure.labels], np.bool_)


def _row_cells(
    rows: int, frame: pl.DataFrame, cell: IntArray, windows: pl.DataFrame, parts: IntArray
) -> tuple[dict[str, IntArray], dict[str, IntArray]]:
    """Per count column: the cell of each row (-1: none), and for a rolling figure the cells of
    the years it sums."""
    cell_of: dict[str, IntArray] = {}
    parts_of: dict[str, IntArray] = {}
    span = int(windows["span"].to_numpy().max()) if windows.height else 1
    for column in COUNT_COLUMNS:
        at = np.full(rows, -1, np.int64)
        mine = (frame["column"] == column).to_numpy()
        at[frame["row"].to_numpy()[mine]] = cell[mine]
        cell_of[column] = at
        of_row = np.full((rows, span), -1, np.int64)
        mine = (windows["column"] == column).to_numpy()
        of_row[windows["row"].to_numpy()[mine], : parts.shape[1]] = parts[mine]
        parts_of[column] = of_row
    return cell_of, parts_of


def _made_whole(
    frame: pl.DataFrame,
    cuts: Sequence[CutDimension],
    eth: Hierarchy,
    keys: Sequence[str],
    model: MeasureModel,
    *,
    at_most: int,
) -> pl.DataFrame:
    """The published counts with every cell their relations need: the zeros a published cut
    leaves out, the groups a count of everyone is published without, the derived counts."""
    frame = pl.concat([frame, known_zeros(frame, cuts)], how="diagonal_relaxed")
    frame = pl.concat([frame, everyone_rest(frame, eth, keys)], how="diagonal_relaxed")
    frame = pl.concat(
        [frame, derived_cells(frame, model, keys, at_most=at_most)], how="diagonal_relaxed"
    )
    return pl.concat([frame, unpublished_levels(frame, cuts, keys)], how="diagonal_relaxed")


def unpublished_levels(
    frame: pl.DataFrame, cuts: Sequence[CutDimension], keys: Sequence[str]
) -> pl.DataFrame:
    """Where a chain of nested cut columns publishes its inner values and the total but not the
    values between (every organisation and the nation, but no region: ``--by
    organisation,region``), the counts of those values as cells nobody publishes, so that every
    relation of the chain is whole. A relation is in the system only when all its cells are, so
    without them the nation would not be the sum of its regions, nor a region of its
    organisations, and a reader's ``nation - the other organisations`` would be missing: a
    count withheld in one organisation alone would be recovered exactly. Deepest first, so a
    longer chain is whole at every level; made only where every child has a cell."""
    cell_keys = [MEASURE, *keys]
    cells = frame.unique(cell_keys, keep="first", maintain_order=True).select(*cell_keys, "value")
    made: list[pl.DataFrame] = []
    for cut in cuts:
        h = cut.hierarchy
        others = [k for k in cell_keys if k != cut.name]
        inner = [i for i in range(1, len(h.labels)) if h.children[i]]
        sums: dict[int, pl.DataFrame] = {}
        for node in sorted(inner, key=lambda i: -cut.level[h.labels[i]]):
            kids = [h.labels[c] for c in h.children[node]]
            known = pl.concat([cells, *sums.values()])  # the deeper levels' sums included
            have = known.filter(pl.col(cut.name) == h.labels[node])
            sums[node] = (
                known.filter(pl.col(cut.name).is_in(kids))
                .group_by(others)
                .agg(n=pl.col(cut.name).n_unique(), value=pl.col("value").sum())
                .filter(pl.col("n") == len(kids))
                .join(have.select(others), on=others, how="anti", nulls_equal=True)
                .select(*others, pl.lit(h.labels[node]).alias(cut.name), "value")
                .select(cells.columns)
            )
        # only where the level above has a cell: elsewhere the sum relates nothing published
        for node in sorted(inner, key=lambda i: cut.level[h.labels[i]]):
            above = pl.concat([cells, *made]).filter(pl.col(cut.name) == h.labels[h.parents[node]])
            kept = sums[node].join(above.select(others), on=others, how="semi", nulls_equal=True)
            if kept.height:
                made.append(kept)
    if not made:
        return frame.clear()
    return made_cells(pl.concat(made), "unpublished level", phantom=True, fills=False)
