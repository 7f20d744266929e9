"""Record-level extracts -> count cubes, and the blocks every indicator is evaluated from.

Each extract is read once, chunk by chunk, and counted into one cube (:mod:`wres.engine.cube`) with
the axes ``year``, the run's cut dimensions the extract carries (plus the rows an indicator
always has: staff group and band for indicator 1) and ``ethnicity`` at the finest level (the
category, broad group and WRES group of each value; the levels compared are sums over it). Its
channels are what the standard's indicators count: the people at risk and the events of a ratio
or percentage, the memberships of a board, and the rows (the headcount of band shares and of the
workforce). A :class:`Block` names the part of a cube that one indicator, variant and board
membership reads; every cut is a marginal of it, so the data are never read twice.

A counts file (SPEC section 4's long format, :mod:`wres.engine.counts_file`) becomes the same
blocks, with the count table's ``numerator`` and ``denominator`` as channels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from wres.engine.cube import ROWS, CountCube, CubeBuilder, Dictionary, Encoded, encode, encode_joint
from wres.engine.readers import ExtractReader
from wres.engine.schema import EXTRACTS, Kind
from wres.engine.standards import Indicator, Shape, Standard

#: The columns whose combination is the ``ethnicity`` axis of a cube.
ETHNIC_COLUMNS: tuple[str, ...] = ("ethnic_category", "ethnic_broad", "ethnic_wres")
ETHNICITY = "ethnicity"
YEAR = "year"
#: ``variant`` of the standard figure; others name what changed ("excluding international").
STANDARD_VARIANT = "standard"
#: The ``board`` column of indicator 9: memberships compared with the workforce.
WORKFORCE = "workforce"


@dataclass(frozen=True, slots=True)
class NotComputed:
    """An indicator (or a cut of it) that a run could not compute, and why."""

    indicator: int
    reason: str


@dataclass(frozen=True, eq=False)
class Block:
    """The counts of one indicator, variant and board membership: a cube with the axes ``year``,
    cut dimensions and ``ethnicity``, and which of its channels are the numerator, the
    denominator and the presence of a cell (a cell exists where that channel is not zero: people
    at risk for records, rows of a counts file)."""

    variant: str
    board: str | None
    cube: CountCube
    numerator: str
    denominator: str
    presence: str


#: Each indicator's blocks, by indicator id.
Counts = Mapping[int, tuple[Block, ...]]


def count_schema(dims: Sequence[str]) -> dict[str, pl.DataType]:
    """Column types of a count table (a counts file) with cut dimensions ``dims``."""
    return {
        "indicator": pl.Int16(),
        "variant": pl.String(),
        "year": pl.Int32(),
        "board": pl.String(),
        **{d: pl.String() for d in dims},
        **{c: pl.String() for c in ETHNIC_COLUMNS},
        "numerator": pl.Int64(),
        "denominator": pl.Int64(),
    }


def table_dims(standard: Standard, dims: Sequence[str]) -> list[str]:
    """The cut dimensions of a run plus the rows an indicator always has (1: staff group, band)."""
    return list(dict.fromkeys([*dims, *(d for ind in standard.indicators for d in ind.rows)]))


# --- what each indicator counts -------------------------------------------------------------------

_MEMBERSHIP: Mapping[str, pl.Expr] = {
    "voting": pl.col("voting"),
    "executive": pl.col("executive"),
    "non-executive": ~pl.col("executive"),
}


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A block to be: which channels of its extract's cube it reads."""

    variant: str
    board: str | None
    numerator: str
    denominator: str


def _channels(ind: Indicator, columns: set[str]) -> tuple[dict[str, pl.Expr], list[_Wanted]]:
    """The channels (boolean expressions over a chunk) an indicator needs, and its blocks."""
    if ind.kind.shape is Shape.SHARE:
        return {}, [_Wanted(STANDARD_VARIANT, None, ROWS, ROWS)]
    if ind.kind.shape is Shape.BOARD:
        channels = {f"{ind.id}:{m}": _MEMBERSHIP[m].fill_null(value=False) for m in ind.members}
        return channels, [
            _Wanted(STANDARD_VARIANT, m, f"{ind.id}:{m}", f"{ind.id}:{m}") for m in ind.members
        ]
    assert ind.event is not None  # checked when the standard was loaded
    event = pl.col(ind.event)
    if ind.event_at_least is not None:  # a score column: the event is a score this high
        event = event >= ind.event_at_least
    at_risk = (
        pl.lit(value=True) if ind.at_risk is None else pl.col(ind.at_risk).fill_null(value=False)
    )
    at_risk = at_risk & event.is_not_null()  # an unanswered survey question is left out
    # A required yes/no column is never blank in a file that passes validation, and chunks of a
    # file with problems are not counted: then everyone is at risk and the rows channel serves.
    everyone = ind.at_risk is None and EXTRACTS[ind.extract].column(ind.event).kind is Kind.BOOL
    risk_name = ROWS if everyone else f"{ind.id}:at risk"
    channels = {f"{ind.id}:events": at_risk & event.fill_null(value=False)}
    if not everyone:
        channels[risk_name] = at_risk
    wanted = [_Wanted(STANDARD_VARIANT, None, f"{ind.id}:events", risk_name)]
    if ind.variant_without and ind.variant_without in columns:
        variant = f"excluding {ind.variant_without}"
        kept = at_risk & ~pl.col(ind.variant_without).fill_null(value=False)
        channels[f"{ind.id}:{variant}:at risk"] = kept
        channels[f"{ind.id}:{variant}:events"] = kept & event.fill_null(value=False)
        wanted.append(
            _Wanted(variant, None, f"{ind.id}:{variant}:events", f"{ind.id}:{variant}:at risk")
        )
    return channels, wanted


def _reads(ind: Indicator, extract: str) -> bool:
    """The indicator counts this extract (indicator 9 also reads the staff extract)."""
    return ind.extract == extract or extract in ind.kind.extracts


# --- counting records ---------------------------------------------------------------------------


def _keys(chunk: pl.DataFrame, dims: Sequence[str], characteristic: str) -> list[Encoded]:
    # The standard's characteristic is the ``ethnicity`` axis. Ethnicity has three levels; any
    # other characteristic (disability) has one, repeated so that its labels are the same
    # (category, broad, wres) tuples: (value, value, value).
    if characteristic == ETHNICITY:
        axis = [chunk[c] for c in ETHNIC_COLUMNS]
    else:
        axis = [chunk[characteristic].cast(pl.String)] * len(ETHNIC_COLUMNS)
    return [encode(chunk[YEAR]), *(encode(chunk[d]) for d in dims), encode_joint(axis)]


@dataclass(frozen=True)
class ExtractPlan:
    """How one extract is counted: the cut axes of its cube (between ``year`` and
    ``ethnicity``) and its channels. An extract without the standard's characteristic is not
    counted (``counted`` false): it is read only to check and reconcile it."""

    axes: tuple[str, ...] = ()
    channels: Mapping[str, pl.Expr] = field(default_factory=dict)
    counted: bool = True

    def builder(self, dictionaries: Mapping[str, Dictionary]) -> CubeBuilder:
        """An empty cube of the extract whose axes use ``dictionaries``."""
        return CubeBuilder([YEAR, *self.axes, ETHNICITY], list(self.channels), dictionaries)


@dataclass(frozen=True)
class CountPlan:
    """The cube each extract of a run is counted into, and the blocks each indicator reads.

    It is made from the extracts' column names alone, before any record is read, so that every
    engine (this process, or Spark: :mod:`wres.engine.spark`) counts the same cubes.
    """

    standard: Standard
    dims: tuple[str, ...]
    extracts: Mapping[str, ExtractPlan]
    wanted: Mapping[tuple[int, str], Sequence[_Wanted]]
    #: indicators whose extract lacks an optional column they count: id -> the column
    unavailable: Mapping[int, str] = field(default_factory=dict)


def plan_counts(
    columns: Mapping[str, Collection[str]], standard: Standard, dims: Sequence[str]
) -> CountPlan:
    """The count plan of a run whose extracts (by name) have ``columns`` (canonical names).

    The cubes have the cut dimensions ``dims`` and the rows every indicator always has (1: staff
    group and band), where the extract carries them.
    """
    wanted: dict[tuple[int, str], list[_Wanted]] = {}
    extracts: dict[str, ExtractPlan] = {}
    unavailable: dict[int, str] = {}
    for name, names in columns.items():
        present = set(names)
        if standard.characteristic not in present:
            # read only to check it and reconcile it: the indicators it serves are not computed
            extracts[name] = ExtractPlan(counted=False)
            continue
        channels: dict[str, pl.Expr] = {}
        for ind in standard.indicators:
            absent = [c for c in (ind.event, ind.at_risk) if c is not None and c not in present]
            if ind.extract == name and absent:  # an optional column (capability, pressure, ...)
                unavailable[ind.id] = absent[0]
                continue
            if _reads(ind, name):
                more, needs = _channels(ind, present) if ind.extract == name else ({}, [])
                channels |= more
                wanted[ind.id, name] = needs
        rows = [d for ind in standard.indicators if ind.extract == name for d in ind.rows]
        axes = tuple(d for d in dict.fromkeys([*dims, *rows]) if d in present)
        extracts[name] = ExtractPlan(axes, channels)
    return CountPlan(standard, tuple(dims), extracts, wanted, unavailable)


def add_hints(
    dictionaries: Mapping[str, Dictionary], values: Mapping[str, Iterable[str | None]]
) -> None:
    """Number the text values an extract is known to hold (:meth:`ExtractReader.text_values`)
    before counting it, sorted and blank last, so that its cube is made at its full size."""
    for axis, found in values.items():
        dictionaries[axis].add(sorted(found, key=lambda v: (v is None, v)))


def count_chunk(
    builder: CubeBuilder, chunk: pl.DataFrame, extract: ExtractPlan, characteristic: str
) -> None:
    """Count the used rows of one checked chunk (:func:`wres.engine.validation.validate_chunk`) into
    ``builder``: the step every engine runs on every chunk of records."""
    weights = chunk.select(**extract.channels) if extract.channels else pl.DataFrame()
    builder.add(
        _keys(chunk, extract.axes, characteristic), [w.to_numpy() for w in weights.get_columns()]
    )


def _count_extract(
    reader: ExtractReader, plan: CountPlan, name: str, dictionaries: Mapping[str, Dictionary]
) -> CubeBuilder | None:
    extract = plan.extracts[name]
    builder = extract.builder(dictionaries) if extract.counted else None
    for chunk in reader.chunks():
        if builder is None or reader.log:
            continue  # not counted, or the file has problems: read on only to list them
        count_chunk(builder, chunk, extract, plan.standard.characteristic)
    return builder


def count_records(
    readers: Mapping[str, ExtractReader], standard: Standard, dims: Sequence[str]
) -> tuple[dict[int, tuple[Block, ...]], list[NotComputed]]:
    """Every given extract counted into one cube, and the blocks of each indicator it serves.

    The cubes are those of :func:`plan_counts`. Raises BadInputError for a file with problems
    (after reading all of it).
    """
    plan = plan_counts({name: list(r.columns) for name, r in readers.items()}, standard, dims)
    dictionaries: defaultdict[str, Dictionary] = defaultdict(Dictionary)
    builders: dict[str, CubeBuilder] = {}
    for name, reader in readers.items():
        if plan.extracts[name].counted:
            add_hints(dictionaries, reader.text_values(plan.extracts[name].axes))
        builder = _count_extract(reader, plan, name, dictionaries)
        if builder is not None:
            builders[name] = builder
    return blocks_of(plan, {name: builder.cube() for name, builder in builders.items()})


def blocks_of(
    plan: CountPlan, cubes: Mapping[str, CountCube]
) -> tuple[dict[int, tuple[Block, ...]], list[NotComputed]]:
    """The blocks of each indicator in the counted ``cubes`` (by extract, every axis as long as
    its dictionary), and the indicators and cuts that cannot be computed."""
    standard, dims = plan.standard, plan.dims
    characteristic = standard.characteristic
    lacking = {name for name, extract in plan.extracts.items() if not extract.counted}
    out: dict[int, tuple[Block, ...]] = {}
    missing: list[NotComputed] = []
    for ind in standard.indicators:
        if ind.extract in lacking:
            reason = f"the {ind.extract} extract has no {characteristic!r} column"
            missing.append(NotComputed(ind.id, reason))
            continue
        if ind.extract not in cubes:
            missing.append(NotComputed(ind.id, f"no {ind.extract} extract was given"))
            continue
        if ind.id in plan.unavailable:
            column = plan.unavailable[ind.id]
            reason = f"the {ind.extract} extract has no {column!r} column"
            missing.append(NotComputed(ind.id, reason))
            continue
        cube = cubes[ind.extract]
        blocks = [
            Block(w.variant, w.board, cube, w.numerator, w.denominator, w.denominator)
            for w in plan.wanted[ind.id, ind.extract]
        ]
        if ind.kind.shape is Shape.BOARD:
            if "staff" in lacking:
                reason = f"the staff extract has no {characteristic!r} column"
                missing.append(NotComputed(ind.id, reason))
                continue
            if "staff" not in cubes:
                reason = "the workforce comparison needs the staff extract"
                missing.append(NotComputed(ind.id, reason))
                continue
            blocks.append(Block(STANDARD_VARIANT, WORKFORCE, cubes["staff"], ROWS, ROWS, ROWS))
            missing.extend(
                NotComputed(
                    ind.id, f"the board and staff extracts do not both have {d!r}; cut not computed"
                )
                for d in dims
                if not all(d in b.cube.axes for b in blocks)
            )
        else:
            missing.extend(
                NotComputed(
                    ind.id, f"the {ind.extract} extract has no {d!r} column; cut not computed"
                )
                for d in dims
                if d not in cube.axes
            )
        out[ind.id] = tuple(blocks)
    return out, missing


# --- a counts file ------------------------------------------------------------------------------


def count_table(table: pl.DataFrame, dims: Sequence[str]) -> dict[int, tuple[Block, ...]]:
    """The blocks of a count table (:func:`count_schema`) with cut dimensions ``dims``.

    Its ``numerator`` and ``denominator`` become channels; a cell exists where the table has a
    row, whatever its counts.
    """
    axes = ["indicator", "board", YEAR, *dims, ETHNICITY]
    builder = CubeBuilder(axes, ["numerator", "denominator"], defaultdict(Dictionary))
    keys = [encode(table[c]) for c in axes[:-1]]
    keys.append(encode_joint([table[c] for c in ETHNIC_COLUMNS]))
    builder.add(keys, [table["numerator"].to_numpy(), table["denominator"].to_numpy()])
    cube = builder.cube()
    out: dict[int, tuple[Block, ...]] = {}
    for indicator in cube.labels_of("indicator"):
        if indicator is None:  # only an empty table has no indicator
            continue
        own = cube.select("indicator", indicator)
        rows = own.marginal(["board"]).counts[:, own.channel(ROWS)]
        out[int(indicator)] = tuple(
            Block(
                STANDARD_VARIANT,
                board,
                own.select("board", board),
                "numerator",
                "denominator",
                ROWS,
            )
            for board, n in zip(own.labels_of("board"), rows, strict=True)
            if n > 0
        )
    return out
