"""Secondary suppression of a whole run: every count it publishes, protected together.

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

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import InternalError
from wres.engine.ethnicity import UNKNOWN, WHITE
from wres.engine.measures import Bound, MeasureModel, Split, measure_model
from wres.engine.progress import Progress, prefixed, silent
from wres.engine.protection.intervals import (
    InconsistentSystemError,
    attacker_intervals,
    propagate_bounds,
)
from wres.engine.protection.local import System, prove
from wres.rules.measure_cells import (
    derived_cells,
    derived_mask,
    extra_rows,
    measure_hierarchy,
    split_conflicts,
)
from wres.rules.policy import Policy
from wres.rules.secondary import REASONS as SECONDARY_REASONS
from wres.rules.secondary import Protection, ProtectSettings, protect
from wres.rules.suppression import DERIVED, PUBLIC_STATUS, Rule
from wres.rules.suppression import REASONS as PRIMARY_REASONS
from wres.rules.table import Hierarchy, LinkedTables

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

    kind: Literal["share", "ratio", "board"]
    events: str
    at_risk: str
    workforce: str | None = None
    span: int = 1
    #: the measure of the workforce's total (from records, the workforce's own)
    workforce_total: str | None = None


SourceKey = tuple[int, str, str | None]
#: The rule id of a rolling count withheld because a year it sums is.
ROLLING_RULE = "S3"

#: A run's system is large and sparse: the audit solves the interval of every withheld cell
#: that neither a witness pattern nor its distance above the range proves, and no more.
RUN_SETTINGS = ProtectSettings(
    exact_limit=0, method="patterns", repair_rounds=2, local_witnesses=True, cleanup_up_to=0
)


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
    everything = _long_counts(evaluated, withheld, sources, dims, node_of)
    cuts = cut_dimensions(everything, dims, labels or {}, nested or {})
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
    dims = [cut.name for cut in cuts]
    keys = [YEAR, "year_value", *dims, ETHNICITY]
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
    codes = coords.astype(np.int64) @ strides
    unique_codes, first, cell = np.unique(codes, return_index=True, return_inverse=True)
    values = frame["value"].to_numpy().astype(np.int64)
    if (values[first][cell] != values).any():
        msg = "one count published twice with different values (a bug in wres)"
        raise InternalError(msg)
    hidden = np.zeros(len(unique_codes), np.bool_)
    np.logical_or.at(hidden, cell, frame["hidden"].to_numpy())
    real = np.zeros(len(unique_codes), np.bool_)
    np.logical_or.at(real, cell, ~frame["phantom"].to_numpy())
    shown = np.zeros(len(unique_codes), np.bool_)
    np.logical_or.at(shown, cell, (frame["column"] != "zero").to_numpy())
    visible = np.zeros(len(unique_codes), np.bool_)
    np.logical_or.at(
        visible,
        cell,
        ((frame["column"] != "zero") & ~frame["phantom"] & ~frame["hidden"]).to_numpy(),
    )
    cell_coords = coords[first]
    measure_of = cell_coords[:, 0].astype(np.int64)
    extra = extra_rows(model, hierarchies[0], unique_codes, measure_of, int(strides[0]))
    parts = _window_parts(windows, hierarchies, strides, unique_codes)
    # a rolling count withheld on its own account: its years are withheld too (it cannot be
    # small unless one of them is, but this does not rely on it)
    own = windows["hidden"].to_numpy()
    hidden[parts[own][parts[own] >= 0]] = True
    tables = LinkedTables(
        tuple(hierarchies), np.ascontiguousarray(cell_coords), values[first], extra
    )
    cell_of, parts_of = _row_cells(evaluated.height, frame, cell, windows, parts)
    derived = derived_mask(model, hierarchies[0])[measure_of]
    known = public_mask(model, hierarchies[0], sources, public)[measure_of] & real
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
    shares = {s.events for s in sources.values() if s.kind == "share"}
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
    frame = pl.concat([frame, _known_zeros(frame, cuts)], how="diagonal_relaxed")
    frame = pl.concat([frame, _everyone_rest(frame, eth, keys)], how="diagonal_relaxed")
    return pl.concat(
        [frame, derived_cells(frame, model, keys, at_most=at_most)], how="diagonal_relaxed"
    )


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


def _known_zeros(frame: pl.DataFrame, cuts: Sequence[CutDimension]) -> pl.DataFrame:
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
    return pl.concat(out).with_columns(
        row=pl.lit(-1, pl.Int64),
        span=pl.lit(1, pl.Int64),
        column=pl.lit("zero"),
        value=pl.lit(0, pl.Int64),
        hidden=pl.lit(value=False),
        phantom=pl.lit(value=False),
        fills=pl.lit(value=True),
    )


def _everyone_rest(frame: pl.DataFrame, eth: Hierarchy, keys: Sequence[str]) -> pl.DataFrame:
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
    return pl.DataFrame(
        out, schema={c: frame.schema[c] for c in (MEASURE, *keys)} | {"value": pl.Int64}
    ).with_columns(
        row=pl.lit(-1, pl.Int64),
        span=pl.lit(1, pl.Int64),
        column=pl.lit("rest of everyone"),
        hidden=pl.lit(value=False),
        phantom=pl.lit(value=True),
        fills=pl.lit(value=False),
    )


def _window_parts(
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


def _long_counts(
    evaluated: pl.DataFrame,
    withheld: pl.DataFrame,
    sources: Mapping[SourceKey, CountSource],
    dims: Sequence[str],
    node_of: Mapping[str, str],
) -> pl.DataFrame:
    """One row per count of the table: its cell key, value, and whether the primary rules
    withheld it."""
    source_frame = pl.DataFrame(
        [
            (
                i,
                v,
                b,
                s.kind,
                s.events,
                s.at_risk,
                s.workforce,
                s.workforce_total or s.workforce,
                s.span,
            )
            for (i, v, b), s in sources.items()
        ],
        schema={
            "indicator": evaluated.schema["indicator"],
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
            source_frame,
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
    kind = pl.col("_kind")
    total = pl.lit(ALL_GROUPS)
    # (column, measure, group node, value, withheld)
    parts: list[tuple[str, pl.Expr, pl.Expr, pl.Expr, pl.Expr]] = [
        ("numerator", pl.col("_events"), pl.col("group"), pl.col("numerator"), _h("numerator")),
        (
            "denominator",
            pl.col("_at_risk"),
            pl.when(kind == "ratio").then(pl.col("group")).otherwise(total),
            pl.col("denominator"),
            _h("denominator"),
        ),
        (
            "reference_numerator",
            pl.when(kind == "board").then("_workforce").otherwise("_events"),
            pl.when(kind == "board").then(pl.col("group")).otherwise(pl.col("reference_group")),
            pl.col("reference_numerator"),
            _h("reference_numerator"),
        ),
        (
            "reference_denominator",
            pl.when(kind == "board").then("_workforce_total").otherwise("_at_risk"),
            pl.when(kind == "board").then(total).otherwise(pl.col("reference_group")),
            pl.col("reference_denominator"),
            _h("reference_denominator"),
        ),
    ]
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
                ~((kind == "board") & pl.lit(column.startswith("reference"))).alias("fills"),
            )
            for column, measure, group, value, hidden in parts
        ]
        + _phantom_totals(base, keys)
    ).filter(pl.col("value").is_not_null())
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
    return long.with_columns(
        pl.col("_node").alias(ETHNICITY),
        pl.col("year").alias("year_value"),
        pl.when(pl.col("span") == 1)
        .then(pl.col("year").cast(pl.String))
        .otherwise(
            (pl.col("year") - pl.col("span") + 1).cast(pl.String)
            + "-"
            + pl.col("year").cast(pl.String)
        )
        .alias(YEAR),
    ).drop("_node")


def _phantom_totals(base: pl.DataFrame, keys: Sequence[str]) -> list[pl.DataFrame]:
    """A ratio's counts over every group: nobody publishes them, but their relations make the
    tables whole, so a pattern may pass through them (they are absent to the attacker)."""
    ratio = base.filter(pl.col("_kind") == "ratio")
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


@dataclass(frozen=True, eq=False)
class FirstLevel:
    """The organisation-level rows of a run with ``--by`` cuts (the rows the same run without
    them has), protected first and on their own: what the run without the cuts publishes there,
    the run with them publishes too."""

    #: the system of those rows alone (:func:`run_cells` of them, with the run's own rows'
    #: cut columns only)
    cells: RunCells
    #: each of those rows' position in the whole table
    rows: IntArray
    #: per count column: whether each of those rows shows its count after the primary rules
    shown: Mapping[str, BoolArray]


def protect_run(
    cells: RunCells,
    policy: Policy,
    *,
    first: FirstLevel | None = None,
    progress: Progress = silent,
) -> Protection:
    """Protect the run's cells, its primary cells marked as the run decided them.

    A run withholds some zeros (a small group's zero events, the remainder of a count equal to
    its denominator), and its one public marker does not say which: the attacker's least value
    of a withheld cell is 0, as under a policy whose zeros are sensitive. ``progress`` is told
    how far the protection and its audit have got (``wres.engine.progress``).

    Levels of importance: with ``first`` (a run with ``--by`` cuts), the organisation-level
    rows are protected first as the run without the cuts protects them; then the whole run,
    with the figures that stage withheld withheld from the start and those it published kept
    published (the finer cuts give up more cells instead; only a fallback that finds nothing
    else to withhold may take one, and says so in its notes). Every withheld cell, the
    organisation's too, is audited in the whole system. Within a stage a cell costs
    ``[secondary] coarser_level_cost`` times as much per cut column at its total."""
    if first is None:
        return published_when_known(_protect_cells(cells, policy, progress=progress))
    told = prefixed(progress, "organisation level, ")
    # as the run without the cuts protects them, to the last figure published after all
    inner = published_when_known(_protect_cells(first.cells, policy, progress=told))
    published = np.zeros(cells.tables.n_cells, np.bool_)
    withheld = np.zeros(cells.tables.n_cells, np.bool_)
    rule_of = np.full(cells.tables.n_cells, "", dtype=object)
    for column in COUNT_COLUMNS:
        mine = first.cells.cell_of[column]
        whole = cells.cell_of[column][first.rows]
        both = (mine >= 0) & (whole >= 0)
        at, inner_at = whole[both], mine[both]
        hid = inner.hidden[inner_at]
        withheld[at[hid]] = True
        # a count the rows leave blank that no stage withholds (a zero anyone can tell) is
        # neither: the whole run decides it again
        published[at[~hid & first.shown[column][both]]] = True
        rule_of[at[hid]] = np.array(inner.rules, dtype=object)[inner_at[hid]]
    if (published & withheld).any():
        msg = "one organisation-level count both withheld and published (a bug in wres)"
        raise InternalError(msg)
    # a count the run without the cuts publishes, that a finer row's rule withholds (a group
    # too small to report in a band, its count large in the whole organisation): it is
    # published there, so it is known; the finer row still shows it blank
    cells = replace(cells, primary=cells.primary & ~published)
    done = _protect_cells(
        cells,
        policy,
        withheld=withheld & ~cells.primary,
        reserve=published,
        progress=prefixed(progress, "finer cuts, "),
    )
    rules = list(done.rules)
    for i in np.flatnonzero(withheld & done.secondary):
        rules[i] = str(rule_of[i])
    return published_when_known(replace(done, rules=tuple(rules)))


#: The note of a protection that published withheld cells a reader recovers exactly anyway.
RECOVERABLE_NOTE = "published {n} withheld cell(s) that a reader recovers exactly anyway"


def _pinned_by_programme(
    protection: Protection, cells: BoolArray, outer: tuple[FloatArray, FloatArray]
) -> tuple[BoolArray, FloatArray]:
    """Of ``cells``, those a reader recovers exactly, and the value each is recovered as: the
    ones no proof of the certificate and no small move moves get their exact interval."""
    cert = protection.certificate
    moves = cert.cells[np.nan_to_num(cert.possible, nan=0.0) >= 2]
    todo = cells.copy()
    todo[moves] = False
    known = protection.knowledge
    values = protection.tables.values.astype(np.float64)
    low, high = known.lower - values, known.upper - values
    system = System.of(protection.tables.constraints.matrix)
    for sign in (1, -1):
        targets = np.flatnonzero(todo)
        if not len(targets):
            break
        for move in prove(
            system,
            low,
            high,
            targets,
            direction=np.full(len(targets), sign, np.int64),
            wanted=np.ones(len(targets), np.int64),
        ):
            todo[move.cells] = False
    if not todo.any():
        return todo, np.full(len(todo), np.nan)
    try:
        found = attacker_intervals(
            protection.tables.constraints.matrix, known.lower, known.upper, todo, outer=outer
        )
    except InconsistentSystemError:
        # a counts file whose indicators disagree (one headcount, two values) makes relations
        # the published figures break; the audit's local proofs never solve them as a whole,
        # but a whole solve cannot: no cell is published on its account (withheld is safe)
        return np.zeros(len(todo), np.bool_), np.full(len(todo), np.nan)
    exact = found.exact_lower & found.exact_upper
    out: BoolArray = todo & exact & (found.upper - found.lower < 0.5)
    return out, np.where(out, found.lower, np.nan)


def published_when_known(protection: Protection) -> Protection:
    """Nothing withheld for nothing: every withheld cell that no primary rule withholds and
    that a reader recovers exactly from what is published (a broad group's headcount that is
    its total minus the groups beside it) is published after all.

    A reader who deduces a count learns nothing when it is printed: the tables a reader cannot
    tell apart from the true one are the same before and after, so every other cell keeps its
    interval and the audit's certificate holds as it is (less the cells published). The
    deductions are bound propagation through every relation of the run's system (each step is
    a reader's own: a row's total minus its other cells' bounds), so every cell published here
    is one a reader recovers. The cells it leaves, that no proof of the audit moves and no
    small move around them shifts, get their exact interval by linear programme."""
    known = protection.knowledge
    matrix = protection.tables.constraints.matrix
    lower, upper = propagate_bounds(matrix, known.lower, known.upper)
    withheld = protection.secondary & ~known.absent
    pinned = withheld & (upper - lower < 0.5)
    solved, at = _pinned_by_programme(protection, withheld & ~pinned, (lower, upper))
    deduced = np.where(solved, at, lower)
    pinned |= solved
    if not pinned.any():
        return protection
    if (np.abs(deduced[pinned] - protection.tables.values[pinned]) > 0.5).any():
        msg = "a withheld count deduced as another value (a bug in wres)"
        raise InternalError(msg)
    cert = protection.certificate
    stays = ~pinned[cert.cells]
    certificate = replace(
        cert,
        cells=cert.cells[stays],
        lower=cert.lower[stays],
        upper=cert.upper[stays],
        exact=cert.exact[stays],
        possible=cert.possible[stays],
        required=cert.required[stays],
        passed=cert.passed[stays],
        proof=tuple(p for p, k in zip(cert.proof, stays, strict=True) if k),
    )
    return replace(
        protection,
        secondary=protection.secondary & ~pinned,
        rules=tuple("" if k else r for r, k in zip(protection.rules, pinned, strict=True)),
        certificate=certificate,
        knowledge=replace(
            known,
            lower=np.where(pinned, deduced, known.lower),  # the true count, as a reader deduces
            upper=np.where(pinned, deduced, known.upper),
            hidden=known.hidden & ~pinned,
        ),
        notes=(*protection.notes, RECOVERABLE_NOTE.format(n=int(pinned.sum()))),
        recovered=protection.recovered + int(pinned.sum()),
    )


def _protect_cells(
    cells: RunCells,
    policy: Policy,
    *,
    withheld: BoolArray | None = None,
    reserve: BoolArray | None = None,
    progress: Progress = silent,
) -> Protection:
    """One stage of :func:`protect_run`."""
    zeros_hidden = replace(policy, primary=replace(policy.primary, suppress_zero_counts=True))
    nobody = structural_zeros(cells.tables, cells.fixed)
    absent = cells.absent
    if not policy.primary.suppress_zero_counts:
        # Zeros are not sensitive under this policy. One withheld for another's sake (its
        # complement is small: P2) protects nothing and needs no room of its own, but the
        # attacker does not know it is 0: it is a cell nobody publishes (absent), at least 0.
        # (Held as known, the certificate's intervals were narrower than an attacker's.) And
        # no zero is withheld to protect another (it could only be pinned to 0, which tells
        # nothing the policy protects).
        zero = cells.tables.values == 0
        absent = absent | (cells.primary & zero & ~cells.visible)
        nobody |= zero & ~absent
    fixed = cells.fixed | nobody | cells.public
    return protect(
        cells.tables,
        zeros_hidden,
        primary=cells.primary & ~nobody & ~absent,
        settings=RUN_SETTINGS,
        absent=absent,
        fixed=fixed,
        balance=cells.derived,
        keep=headline(cells.tables),
        withheld=None if withheld is None else withheld & ~fixed & ~absent,
        reserve=reserve,
        coarseness=coarseness(cells.tables) + cells.about,
        progress=progress,
    )


def coarseness(tables: LinkedTables) -> IntArray:
    """Each cell's number of cut columns at their total (``All``): the more, the coarser the
    figure, and the more withholding it costs (``[secondary] coarser_level_cost``). In a chain
    of nested columns each column counts: a region's figure is one step coarser than its
    organisations', a band cluster's than its bands'."""
    out = np.zeros(tables.n_cells, dtype=np.int64)
    for d in _cut_dims(tables):
        depth = _depths(tables.hierarchies[d])
        out += depth.max() - depth[tables.coords[:, d]]
    return out


def _depths(hierarchy: Hierarchy) -> IntArray:
    """Each node's depth: 0 for the total, 1 for the outermost column's values, ..."""
    depth = np.zeros(len(hierarchy.labels), dtype=np.int64)
    for i, parent in enumerate(hierarchy.parents):
        if parent >= 0:  # a parent comes before its children
            depth[i] = depth[parent] + 1
    return depth


def headline(tables: LinkedTables) -> BoolArray:
    """The organisation-wide figures: every cut column at its total (``All``). The pattern
    search reaches for totals when the cells around a small count are all small; these are the
    figures a reader looks for first, so they are kept published where other cells can do."""
    out: BoolArray = (tables.coords[:, _cut_dims(tables)] == 0).all(axis=1)
    return out


def _cut_dims(tables: LinkedTables) -> list[int]:
    """The dimensions of the system that are cut columns (not measure, year or ethnicity)."""
    return [d for d, h in enumerate(tables.hierarchies) if h.name not in (MEASURE, YEAR, ETHNICITY)]


def structural_zeros(tables: LinkedTables, known_zeros: BoolArray) -> BoolArray:
    """Cells that the rows a publication leaves out show to be zero: a band's headcount when
    the band x staff group cut has no row for that band. Anyone can tell, so withholding one
    hides nothing; it is neither a primary cell to protect nor a cell to withhold."""
    lower = np.zeros(tables.n_cells)
    upper = np.where(known_zeros, 0.0, np.inf)
    _, upper = propagate_bounds(tables.constraints.matrix, lower, upper)
    nobody: BoolArray = upper <= 0
    return nobody & ~known_zeros


def withhold(
    table: pl.DataFrame, cells: RunCells, protection: Protection, keys: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The published table with every count of a withheld cell withheld, and every figure
    computed from one (D1); and the decisions that adds (key, column, rule, reason)."""
    hidden = protection.hidden
    flags: dict[str, pl.Series] = {}
    rules = np.array(protection.rules, dtype=object)
    rule_of: dict[str, npt.NDArray[np.object_]] = {}
    for column in COUNT_COLUMNS:
        at = cells.cell_of[column]
        published = table[column].is_not_null().to_numpy()
        newly = (at >= 0) & hidden[np.maximum(at, 0)] & published
        rule = np.where(newly, rules[np.maximum(at, 0)], "")
        # a rolling count: withheld with any year it sums
        parts = cells.window_parts[column]
        part_hidden = (parts >= 0) & hidden[np.maximum(parts, 0)]
        by_window = part_hidden.any(axis=1) & published & ~newly
        rule = np.where(by_window, str(ROLLING_RULE), rule)
        flags[column] = pl.Series(column, newly | by_window)
        rule_of[column] = rule
    decided: list[pl.DataFrame] = []
    for column, newly in flags.items():
        rows = np.flatnonzero(newly.to_numpy())
        if not len(rows):
            continue
        rule = rule_of[column][rows]
        decided.append(
            table[rows]
            .select(keys)
            .with_columns(
                column=pl.lit(column),
                rule=pl.Series(rule.astype(str), dtype=pl.String),
            )
        )
    flagged = table.with_columns(**{f"_new_{c}": f for c, f in flags.items()})
    derived_new: dict[str, pl.Expr] = {}
    for name, sources in DERIVED.items():
        derived_new[name] = (
            pl.any_horizontal([pl.col(f"_new_{s}") for s in sources]) & pl.col(name).is_not_null()
        )
    flagged = flagged.with_columns(**{f"_new_{n}": e for n, e in derived_new.items()})
    for name in derived_new:
        rows = np.flatnonzero(flagged[f"_new_{name}"].to_numpy())
        if len(rows):
            decided.append(
                table[rows]
                .select(keys)
                .with_columns(column=pl.lit(name), rule=pl.lit(str(Rule.DERIVED)))
            )
    changed = [*flags, *derived_new]
    any_new = pl.any_horizontal([pl.col(f"_new_{c}") for c in changed])
    out = flagged.with_columns(
        *[pl.when(pl.col(f"_new_{c}")).then(None).otherwise(pl.col(c)).alias(c) for c in changed],
        status=pl.when(any_new).then(pl.lit(PUBLIC_STATUS)).otherwise(pl.col("status")),
    )
    out = out.with_columns(
        non_adverse_range=pl.when(pl.col("relative_likelihood").is_not_null()).then(
            pl.col("non_adverse_range")
        ),
        ci_method=pl.when(pl.col("ci_low").is_not_null()).then(pl.col("ci_method")),
        test=pl.when(pl.col("p_value").is_not_null()).then(pl.col("test")),
    ).drop([f"_new_{c}" for c in changed])
    reasons: dict[str, str] = {str(k): v for k, v in SECONDARY_REASONS.items()}
    reasons |= {str(k): v for k, v in PRIMARY_REASONS.items()}
    reasons["P0"] = "the same count is withheld in another row of the run"
    reasons[ROLLING_RULE] = "a rolling figure summing a year whose count is withheld"
    decisions = (
        pl.concat(decided).with_columns(
            reason=pl.col("rule").replace_strict(reasons, return_dtype=pl.String)
        )
        if decided
        else pl.DataFrame()
    )
    return out, decisions
