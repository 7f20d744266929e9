"""The rows of one indicator at one cut: its blocks summed to the cut, ethnic groups formed.

Every cut is a marginal of the count cubes (:mod:`wres.engine.cube`): the blocks of an indicator are
summed over the axes outside the cut, the cells of the ethnicity axis are added up into the
groups compared (the run's ``--ethnicity-level``), and the reference group's counts are set
beside each group. Only these small arrays become rows: one per present cell (a cell where the
indicator has anyone: people at risk, members, rows of a counts file) and group.

Every group the indicator has anywhere gets a row in every present cell, with zero counts where
it has nobody: a missing row would hide a figure (a board with no BME member is indicator 9's
most telling value) and would disclose a zero that a policy withholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.counts import ETHNIC_COLUMNS, ETHNICITY, STANDARD_VARIANT, WORKFORCE, YEAR, Block
from wres.engine.cube import Label
from wres.engine.ethnicity import UNKNOWN, WHITE, EthnicityScheme, Level

IntArray = npt.NDArray[np.int64]
#: The three counts of each cell, in the order of the last axis of a cut's arrays.
NUMERATOR, DENOMINATOR, PRESENCE = 0, 1, 2


# --- ethnic groups --------------------------------------------------------------------------------


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


def _is_reference(reference: str) -> pl.Expr:
    if reference == "White British":
        return pl.col("ethnic_category") == "A"
    return pl.col("ethnic_wres") == reference


@dataclass(frozen=True, eq=False)
class Groups:
    """How the cells of the ethnicity axis form the groups of a run."""

    #: the name of each group
    names: tuple[str, ...]
    #: the group of each ethnicity cell
    of_cell: IntArray
    #: whether each ethnicity cell belongs to the reference group
    is_reference: npt.NDArray[np.bool_]

    def membership(self) -> IntArray:
        """ethnicity cells x groups, 1 where the cell is in the group."""
        out = np.zeros((len(self.of_cell), len(self.names)), dtype=np.int64)
        out[np.arange(len(self.of_cell)), self.of_cell] = 1
        return out


def groups_of(
    ethnicity: Sequence[Label],
    level: Level,
    reference: str,
    scheme: EthnicityScheme,
    *,
    compared: bool,
) -> Groups:
    """The groups of the ``ethnicity`` labels ((category, broad, wres) tuples) at ``level``,
    compared with ``reference`` (White or White British; for a standard on another
    characteristic, such as disability, its reference value: labels are (value, value, value)).

    ``compared``: the indicator compares groups with the reference (ratios, percentages).
    """
    cells = pl.DataFrame(
        [tuple(label) for label in ethnicity],
        schema=dict.fromkeys(ETHNIC_COLUMNS, pl.String),
        orient="row",
    )
    group, is_ref = _group_expr(level, scheme), _is_reference(reference)
    if compared and reference == "White British" and level is not Level.DETAILED:
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
    named = cells.select(group=group, is_ref=is_ref.fill_null(value=False))
    names = tuple(dict.fromkeys(named["group"].to_list()))
    index = {name: i for i, name in enumerate(names)}
    of_cell = np.array([index[g] for g in named["group"].to_list()], dtype=np.int64)
    return Groups(names, of_cell, named["is_ref"].to_numpy().astype(np.bool_))


# --- label columns ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LabelTypes:
    """The Enum type of each text column of evaluated rows.

    The categories are in text order, so that sorting the rows by these columns sorts them as
    text would, on small integer codes; the rows are turned into text when sorted.
    """

    columns: Mapping[str, pl.Enum]

    @classmethod
    def of(cls, values: Mapping[str, Iterable[Label]]) -> LabelTypes:
        return cls(
            {name: pl.Enum(sorted({v for v in vs if v is not None})) for name, vs in values.items()}
        )

    def column(self, name: str, labels: Sequence[Label], codes: IntArray) -> pl.Series:
        """The labels at ``codes`` (None: null) as this column's Enum."""
        return pl.Series(name, list(labels), dtype=self.columns[name]).gather(codes)

    def constant(self, name: str, value: str | None) -> pl.Expr:
        return pl.lit(value, dtype=self.columns[name]).alias(name)


# --- one cut ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Part:
    """One block summed to a cut: ``counts`` has the axes year, the cut, ethnicity, channels;
    ``channels`` are the positions of the numerator, the denominator and the presence."""

    variant: str
    board: str | None
    counts: IntArray
    channels: tuple[int, int, int]

    @classmethod
    def of(cls, block: Block, keep: Sequence[str]) -> _Part:
        marginal = block.cube.marginal(keep)
        names = (block.numerator, block.denominator, block.presence)
        channels = (
            marginal.channel(names[0]),
            marginal.channel(names[1]),
            marginal.channel(names[2]),
        )
        return cls(block.variant, block.board, marginal.counts, channels)

    def presence(self) -> IntArray:
        return self.counts[..., self.channels[PRESENCE]]

    def cells(self, present: tuple[IntArray, ...]) -> IntArray:
        """The present cells: (cells, ethnicity, [numerator, denominator, presence])."""
        return self.counts[present][..., list(self.channels)]

    def rolling(self, years: Sequence[Label], span: int) -> _Part:
        """Counts pooled over ``span`` consecutive years, labelled by the last year; only years
        whose ``span - 1`` years before are all in the data have them."""
        counts = self.counts[..., list(self.channels)]
        by_year = counts[..., PRESENCE].sum(axis=tuple(range(1, counts.ndim - 1)))
        present = {y for y, n in zip(years, by_year, strict=True) if n > 0}
        position = {y: i for i, y in enumerate(years)}
        out = np.zeros_like(counts)
        for year in present:
            if all(year - k in present for k in range(span)):
                for k in range(span):
                    out[position[year]] += counts[position[year - k]]
        return _Part(f"{span}-year rolling", self.board, out, (NUMERATOR, DENOMINATOR, PRESENCE))


def _presence_along(blocks: Sequence[Block], axis: str) -> IntArray:
    """How many are present at each label of ``axis``, over all the blocks (the blocks' cubes
    keep these one-axis marginals, so each is computed once per run)."""
    total = np.zeros(len(blocks[0].cube.labels_of(axis)), dtype=np.int64)
    for block in blocks:
        marginal = block.cube.marginal([axis])
        total += marginal.counts[:, marginal.channel(block.presence)]
    return total


def has_anyone(blocks: Sequence[Block]) -> bool:
    """The indicator has anyone at all: people at risk, members, rows of a counts file."""
    return bool(_presence_along(blocks, ETHNICITY).any())


def _all_blank(blocks: Sequence[Block], axis: str) -> bool:
    """No one at any label but blank along ``axis``: the extract's column is empty."""
    labels = blocks[0].cube.labels_of(axis)
    if None not in labels:  # a column without blanks is blank only if there is no one at all
        return not has_anyone(blocks)
    named = np.array([label is not None for label in labels], dtype=np.bool_)
    return not _presence_along(blocks, axis)[named].any()


@dataclass(frozen=True, eq=False)
class _Cut:
    """What the rows of every block of one indicator at one cut share."""

    keep: tuple[str, ...]
    labels: tuple[tuple[Label, ...], ...]
    groups: Groups
    seen: npt.NDArray[np.bool_]  # the groups with anyone, anywhere in the indicator
    all_reference: npt.NDArray[np.bool_]  # the groups made of reference cells only
    types: LabelTypes


def cut_rows(
    blocks: Sequence[Block],
    cut: Sequence[str],
    groups: Groups,
    types: LabelTypes,
    *,
    rolling_years: int | None = None,
) -> pl.DataFrame | None:
    """One row per block, present cell and group of an indicator at ``cut``; None when a cut
    column is missing from, or blank throughout, the indicator's extract (or no block has rows:
    a workforce without board members).

    Columns: variant, year, board, the cut columns, group, numerator, denominator,
    reference_numerator and reference_denominator (0 where the cell has no one of the reference
    group; for a board membership, the workforce's group and total), _row_total and _all_ref.
    """
    if any(d not in b.cube.axes for b in blocks for d in cut):
        return None
    keep = (YEAR, *cut, ETHNICITY)
    parts = [_Part.of(b, keep) for b in blocks]  # first: the checks below reuse these sums
    if any(_all_blank(blocks, d) for d in cut):
        return None
    if rolling_years:
        standard = next(p for p in parts if p.variant == STANDARD_VARIANT)
        parts.append(standard.rolling(blocks[0].cube.labels_of(YEAR), rolling_years))
    labels = tuple(blocks[0].cube.labels_of(a) for a in keep)
    by_cell = _presence_along(blocks, ETHNICITY) > 0  # rolling adds no one new
    seen = np.zeros(len(groups.names), dtype=np.bool_)
    seen[groups.of_cell[by_cell]] = True
    all_reference = np.ones(len(groups.names), dtype=np.bool_)
    all_reference[groups.of_cell[by_cell & ~groups.is_reference]] = False
    shared = _Cut(keep, labels, groups, seen, all_reference, types)
    workforce = next((p for p in parts if p.board == WORKFORCE), None)
    frames = [
        _part_rows(shared, part, workforce if part.board is not None else None)
        for part in parts
        if part.board != WORKFORCE  # the workforce is the reference of the memberships only
    ]
    return pl.concat(frames) if frames else None


def _grouped(cells: IntArray, membership: IntArray) -> IntArray:
    """(cells, ethnicity, 3) -> (cells, groups, 3)."""
    return np.stack([cells[:, :, k] @ membership for k in range(cells.shape[2])], axis=-1)


def _reference(
    cells: IntArray,
    is_reference: npt.NDArray[np.bool_],
    membership: IntArray,
    workforce: IntArray | None,
) -> tuple[IntArray, IntArray]:
    """Per row (present cell x group): the reference numerator and denominator (0 and 0 in a
    cell without the reference group)."""
    n_groups = membership.shape[1]
    if workforce is None:
        reference = (cells * is_reference[None, :, None]).sum(axis=1)
        numerator = np.repeat(reference[:, NUMERATOR], n_groups)
        return numerator, np.repeat(reference[:, DENOMINATOR], n_groups)
    # a board membership: each group against the same group of the cell's whole workforce
    total = workforce.sum(axis=1)
    numerator = _grouped(workforce, membership)[:, :, NUMERATOR].ravel()
    return numerator, np.repeat(total[:, NUMERATOR], n_groups)


def _part_rows(cut: _Cut, part: _Part, workforce: _Part | None) -> pl.DataFrame:
    present = np.nonzero(part.presence().sum(axis=-1))
    cells = part.cells(present)
    membership = cut.groups.membership()[:, cut.seen]
    group_codes = np.flatnonzero(cut.seen)
    grouped = _grouped(cells, membership)
    reference = _reference(
        cells,
        cut.groups.is_reference,
        membership,
        None if workforce is None else workforce.cells(present),
    )

    def each_group(values: IntArray) -> IntArray:  # one row per cell and group
        return np.repeat(values, len(group_codes))

    columns: dict[str, pl.Series | IntArray | npt.NDArray[np.bool_]] = {
        YEAR: pl.Series(list(cut.labels[0]), dtype=pl.Int32).gather(each_group(present[0])),
    }
    for i, axis in enumerate(cut.keep[1:-1]):
        columns[axis] = cut.types.column(axis, cut.labels[1 + i], each_group(present[1 + i]))
    groups = np.tile(group_codes, len(present[0]))
    columns |= {
        "group": cut.types.column("group", cut.groups.names, groups),
        "numerator": grouped[:, :, NUMERATOR].ravel(),
        "denominator": grouped[:, :, DENOMINATOR].ravel(),
        "reference_numerator": reference[0],
        "reference_denominator": reference[1],
        "_row_total": each_group(cells[:, :, NUMERATOR].sum(axis=1)),
        "_all_ref": cut.all_reference[groups],
    }
    # A reference group with nobody in the cell has counts of 0, published as such: left blank
    # they would look like withheld counts, and a reader who cannot tell knows less than the
    # protection assumes (wres.engine.measures: every cell of a published table is known).
    return pl.DataFrame(columns).with_columns(
        cut.types.constant("variant", part.variant),
        cut.types.constant("board", part.board),
    )
