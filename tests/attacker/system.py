"""The linear system a reader builds from ``publish/indicators.csv`` and the documented
definitions (``tests/attacker/knowledge.py``), with no help from wres's protection code.

Variables are counts keyed by (quantity, year or window, cut cell, group). Relations
(``sum(coefficient * variable) = 0``):

- along every cut column, ``All`` is the sum of the column's values (a value missing from a
  table that is published that year is a zero: a row is left out only where nobody is counted);
- a band cluster (``band_cluster``) is the sum of its bands (``knowledge.BAND_CLUSTERS``);
- along the groups, each node is the sum of the nodes under it (everyone of White, BME and
  Unknown; BME of its broad groups; a broad group of its categories);
- between quantities, each split of a class of people into disjoint classes (``RELATIONS``);
- a rolling figure is the sum of its years.

Bounds: a published count is its value (or the values that round to it); a withheld count and a
class nobody publishes are whole numbers of at least 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp

from tests.attacker.knowledge import (
    ALL_GROUPS,
    CLASSES,
    EVERYONE,
    GROUP,
    RELATIONS,
    ROLLING,
    ROLLING_QUANTITIES,
    cluster_of_band,
    parent_of_group,
    quantities,
)

ALL = "All"
BLANK = "(blank)"
COUNTS = ("numerator", "denominator", "reference_numerator", "reference_denominator")
#: Columns of indicators.csv that are not cut columns.
NOT_CUTS = frozenset(
    {
        "indicator", "measure", "variant", "year", "board", "group", "reference_group",
        "numerator", "denominator", "rate", "reference_numerator", "reference_denominator",
        "reference_rate", "difference_pp", "relative_likelihood", "ci_low", "ci_high",
        "ci_method", "p_value", "test", "p_adjusted", "significant", "non_adverse_range",
        "status", "direction",
    }
)  # fmt: skip
#: A variable's bound from above when nothing else bounds it.
CAP = 10**7

Key = tuple[str, str, tuple[str, ...], str]


@dataclass(frozen=True)
class Policy:
    """What the reader knows of the policy: counts 1..``at_most`` withheld, published counts
    rounded to the nearest ``rounding``."""

    at_most: int
    need: int
    rounding: int = 1
    #: what the policy declares public knowledge (``"board"``: a board's members and every
    #: class of them): no secret, so not judged; every other count is judged as ever
    public: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class PackSystem:
    keys: list[Key]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    #: a count the pack shows withheld (and nowhere published)
    withheld: npt.NDArray[np.bool_]
    #: a count the pack withholds in one row and publishes in another
    shown_elsewhere: npt.NDArray[np.bool_]
    matrix: sp.csr_array
    cuts: tuple[str, ...]
    #: a class of people no row shows (``knowledge.CLASSES``), of a group
    classes: npt.NDArray[np.bool_]

    def index(self) -> dict[Key, int]:
        return {k: i for i, k in enumerate(self.keys)}


def read_indicators(pack: Path) -> pl.DataFrame:
    """``publish/indicators.csv`` with its cut columns as text (a blank one as ``(blank)``)."""
    table = pl.read_csv(pack / "publish" / "indicators.csv", infer_schema_length=None)
    cuts = [c for c in table.columns if c not in NOT_CUTS]
    return table.with_columns(
        pl.col(cuts).cast(pl.String).fill_null(BLANK),
        pl.col("variant").cast(pl.String),
        pl.col("board").cast(pl.String),
        pl.col("group").cast(pl.String),
        pl.col("reference_group").cast(pl.String),
        *(pl.col(c).cast(pl.Int64) for c in COUNTS),
    )


def derived_beside_withheld(table: pl.DataFrame) -> pl.DataFrame:
    """Rows publishing a figure computed from a count they withhold (each would reveal the
    count, or narrow it: a rate beside its denominator is the count)."""
    sources = {
        "rate": ("numerator", "denominator"),
        "reference_rate": ("reference_numerator", "reference_denominator"),
        **dict.fromkeys(
            ("difference_pp", "relative_likelihood", "ci_low", "ci_high", "p_value",
             "p_adjusted"),
            COUNTS,
        ),
    }  # fmt: skip
    leaks = [
        pl.col(figure).is_not_null() & pl.any_horizontal(pl.col(c).is_null() for c in counts)
        for figure, counts in sources.items()
        if figure in table.columns
    ]
    return table.filter(pl.any_horizontal(leaks))


def _window(year: int, variant: str) -> str:
    return f"{year - 1}-{year}" if variant == ROLLING else str(year)


def _counts(table: pl.DataFrame, standard: str, cuts: Sequence[str]) -> pl.DataFrame:
    """One row per count shown: key columns, value (null: withheld)."""
    parts = []
    sources = table.select("indicator", "variant", "board").unique().rows()
    for indicator, variant, board in sources:
        rows = table.filter(
            pl.col("indicator") == indicator,
            pl.col("variant") == variant,
            pl.col("board").eq_missing(board),
        )
        suppressed = pl.col("status").str.starts_with("suppressed")
        for column, (quantity, whose) in quantities(standard, indicator, variant, board).items():
            group = (
                pl.col("group")
                if whose == GROUP
                else pl.lit(EVERYONE)
                if whose == ALL_GROUPS
                else pl.col("reference_group")
            )
            parts.append(
                rows.filter(
                    group.is_not_null() & (pl.col(column).is_not_null() | suppressed)
                ).select(
                    pl.lit(quantity).alias("quantity"),
                    pl.struct("year", "variant")
                    .map_elements(lambda s: _window(s["year"], s["variant"]), pl.String)
                    .alias("window"),
                    *cuts,
                    group.alias("group"),
                    pl.col(column).alias("value"),
                )
            )
            parts.append(_known_zeros(rows, cuts, quantity, whose, table))
    return pl.concat([p for p in parts if p.height], how="vertical_relaxed")


def _known_zeros(
    rows: pl.DataFrame, cuts: Sequence[str], quantity: str, whose: str, everything: pl.DataFrame
) -> pl.DataFrame:
    """Rows a published table leaves out: nobody is counted there, so each count is 0. (A
    board's rows are where it has members: its workforce columns say nothing of the rest.)"""
    if quantity == "headcount" and str(rows["measure"][0]) == "board_gap":
        return pl.DataFrame()
    universe = {c: sorted(v for v in everything[c].unique().to_list() if v != ALL) for c in cuts}
    groups = (
        [EVERYONE]
        if whose == ALL_GROUPS
        else rows[("group" if whose == GROUP else "reference_group")]
        .drop_nulls()
        .unique()
        .to_list()
    )
    out = []
    flags = rows.with_columns(
        pl.concat_str([(pl.col(c) != ALL).cast(pl.UInt8).cast(pl.String) for c in cuts]).alias(
            "_table"
        )
        if cuts
        else pl.lit("").alias("_table")
    )
    for (table_id, year, variant), mine in flags.group_by(
        "_table", "year", "variant", maintain_order=True
    ):
        inside = [c for c, flag in zip(cuts, str(table_id), strict=True) if flag == "1"]
        if not inside:
            continue
        have = set(mine.select(*cuts).unique().rows())
        for combo in itertools.product(*(universe[c] for c in inside)):
            full = dict(zip(inside, combo, strict=True))
            key = tuple(full.get(c, ALL) for c in cuts)
            if key in have:
                continue
            window = _window(int(year), str(variant))  # type: ignore[call-overload]
            out.extend((quantity, window, *key, group) for group in groups)
    if not out:
        return pl.DataFrame()
    frame = pl.DataFrame(out, schema=["quantity", "window", *cuts, "group"], orient="row")
    return frame.with_columns(value=pl.lit(0, pl.Int64))


def build(
    pack: Path, standard: str, policy: Policy, *, measures: bool = True
) -> tuple[PackSystem, pl.DataFrame]:
    """The reader's system of a pack, and the pack's table. ``measures=False`` leaves out the
    relations between quantities (a weaker reader, for comparison)."""
    table = read_indicators(pack)
    cuts = tuple(c for c in table.columns if c not in NOT_CUTS)
    counts = _counts(table, standard, cuts)
    keys_cols = ["quantity", "window", *cuts, "group"]
    merged = counts.group_by(keys_cols, maintain_order=True).agg(
        low=pl.col("value").min(),
        high=pl.col("value").max(),
        withheld=pl.col("value").is_null().any(),
    )
    twice = merged.filter(pl.col("low") != pl.col("high"))
    if twice.height:
        msg = f"a count published twice with different values: {twice.row(0)}"
        raise AssertionError(msg)
    merged = merged.sort(keys_cols)
    keys: list[Key] = [
        (r[0], r[1], tuple(r[2 : 2 + len(cuts)]), r[2 + len(cuts)])
        for r in merged.select(keys_cols).rows()
    ]
    value = merged["low"].to_numpy()
    shown = merged["low"].is_not_null().to_numpy()
    withheld = merged["withheld"].to_numpy() & ~shown
    elsewhere = merged["withheld"].to_numpy() & shown
    builder = _Builder(keys, standard)
    if measures:
        builder.measure_relations()
    builder.rolling_relations(standard)
    builder.group_relations()
    builder.cut_relations(cuts, table)
    builder.cluster_relations(cuts, table)
    n = len(builder.keys)
    lower = np.zeros(n)
    upper = np.full(n, float(CAP))
    known = np.flatnonzero(shown)
    v = value[known].astype(np.float64)
    half = policy.rounding // 2
    if policy.rounding > 1:
        low = np.maximum(v - half, 0)
        low = np.where((v > 0) & (low <= policy.at_most), policy.at_most + 1, low)
        lower[known], upper[known] = low, np.where(v > 0, v + half, 0)
    else:
        lower[known] = upper[known] = v
    pad = n - len(keys)
    system = PackSystem(
        builder.keys,
        lower,
        upper,
        np.concatenate([withheld, np.zeros(pad, np.bool_)]),
        np.concatenate([elsewhere, np.zeros(pad, np.bool_)]),
        builder.matrix(),
        cuts,
        np.array(
            [
                i >= len(keys) and k[0] in CLASSES and k[3] != EVERYONE
                for i, k in enumerate(builder.keys)
            ]
        ),
    )
    return system, table


class _Builder:
    """Variables and relations, growing as relations name classes nobody publishes."""

    def __init__(self, keys: list[Key], standard: str) -> None:
        self.keys = list(keys)
        self.at = {k: i for i, k in enumerate(keys)}
        self.real = len(keys)
        self.standard = standard
        self.rows: list[list[tuple[int, int]]] = []

    def var(self, key: Key) -> int:
        if key not in self.at:
            self.at[key] = len(self.keys)
            self.keys.append(key)
        return self.at[key]

    def measure_relations(self) -> None:
        """The splits of one population (the relations linked through their quantities) at every
        (window, cut cell, group) where two of its published quantities are shown; the classes
        no row shows become unknowns."""
        published = {k[0] for k in self.keys[: self.real]}
        relations = RELATIONS[self.standard]
        population = list(range(len(relations)))  # union-find over relations sharing a quantity

        def root(r: int) -> int:
            while population[r] != r:
                r = population[r]
            return r

        for a, b in itertools.combinations(range(len(relations)), 2):
            if {q for q, _ in relations[a]} & {q for q, _ in relations[b]}:
                population[root(a)] = root(b)
        groups: dict[int, list[int]] = {}
        for r in range(len(relations)):
            groups.setdefault(root(r), []).append(r)
        places: dict[tuple[str, tuple[str, ...], str], set[str]] = {}
        for q, w, cell, g in self.keys[: self.real]:
            places.setdefault((w, cell, g), set()).add(q)
        for (w, cell, g), here in places.items():
            for members in groups.values():
                quantities = {q for r in members for q, _ in relations[r]}
                if len(quantities & here & published) < 2:
                    continue
                for r in members:
                    self.rows.append([(self.var((q, w, cell, g)), c) for q, c in relations[r]])

    def rolling_relations(self, standard: str) -> None:
        for q, w, cell, g in list(self.keys[: self.real]):
            if "-" not in w or q not in ROLLING_QUANTITIES[standard]:
                continue
            first, last = w.split("-")
            self.rows.append(
                [
                    (self.at[(q, w, cell, g)], -1),
                    (self.var((q, first, cell, g)), 1),
                    (self.var((q, last, cell, g)), 1),
                ]
            )

    def group_relations(self) -> None:
        """Each node the sum of the nodes under it, over the groups the pack names."""
        labels = {k[3] for k in self.keys}
        nodes = set(labels)
        for label in labels:
            up = parent_of_group(self.standard, label)
            while up is not None:
                nodes.add(up)
                up = parent_of_group(self.standard, up)
        children: dict[str, list[str]] = {}
        for node in sorted(nodes):
            parent = parent_of_group(self.standard, node)
            if parent is not None:
                children.setdefault(parent, []).append(node)
        places = {(q, w, cell) for q, w, cell, _ in self.keys}
        for q, w, cell in sorted(places):
            for parent, kids in children.items():
                here = [(q, w, cell, x) for x in (parent, *kids)]
                if not any(k in self.at for k in here):
                    continue
                self.rows.append([(self.var(here[0]), -1), *((self.var(k), 1) for k in here[1:])])

    def cut_relations(self, cuts: Sequence[str], table: pl.DataFrame) -> None:
        universe = {c: sorted(v for v in table[c].unique().to_list() if v != ALL) for c in cuts}
        for key in list(self.keys):
            q, w, cell, g = key
            for d, c in enumerate(cuts):
                if cell[d] != ALL:
                    continue
                kids = [(q, w, (*cell[:d], v, *cell[d + 1 :]), g) for v in universe[c]]
                if all(k in self.at for k in kids):
                    self.rows.append([(self.at[key], -1), *((self.at[k], 1) for k in kids)])

    def cluster_relations(self, cuts: Sequence[str], table: pl.DataFrame) -> None:
        """A band cluster's count (band ``All``) is the sum of its bands' (cluster ``All``), in
        every cell of the other cut columns."""
        if "band" not in cuts or "band_cluster" not in cuts:
            return
        b, c = cuts.index("band"), cuts.index("band_cluster")
        bands = [v for v in table["band"].unique().to_list() if v != ALL]
        for key in list(self.keys[: self.real]):
            q, w, cell, g = key
            if cell[c] == ALL or cell[b] != ALL:
                continue
            mine = [v for v in bands if cluster_of_band(v) == cell[c]]
            parts = [(q, w, (*_at(cell, c, b, v),), g) for v in mine]
            if all(k in self.at for k in parts):
                self.rows.append([(self.at[key], -1), *((self.at[k], 1) for k in parts)])

    def matrix(self) -> sp.csr_array:
        r = [i for i, row in enumerate(self.rows) for _ in row]
        c = [j for row in self.rows for j, _ in row]
        v = [float(x) for row in self.rows for _, x in row]
        m = sp.csr_array((v, (r, c)), shape=(len(self.rows), len(self.keys)))
        m.sum_duplicates()
        return m


def _at(cell: tuple[str, ...], cluster: int, band: int, value: str) -> list[str]:
    """``cell`` with the cluster column at ``All`` and the band column at ``value``."""
    out = list(cell)
    out[cluster], out[band] = ALL, value
    return out


def truth_violations(system: PackSystem, truth: Mapping[Key, int]) -> list[str]:
    """Relations the true counts break (the reader's knowledge would then be false)."""
    values = np.array([truth.get(k, np.nan) for k in system.keys])
    known = ~np.isnan(values)
    out = []
    m = system.matrix.tocsr()
    for r in range(m.shape[0]):
        cols = m.indices[m.indptr[r] : m.indptr[r + 1]]
        if known[cols].all():
            total = float(m.data[m.indptr[r] : m.indptr[r + 1]] @ values[cols])
            if abs(total) > 0.5:
                out.append(" + ".join(f"{m[r, c]:+.0f}*{system.keys[c]}" for c in cols))
    return out
