"""The table model of disclosure protection: cells, dimensions with hierarchies, and the linear
system an attacker can use against them.

A *cell* is one published count, keyed by one node of each dimension's hierarchy (a category,
a group of categories, or the dimension's total). Several tables published together are one
:class:`LinkedTables`: a cell of "band alone" is the cell of "band x site" whose site is the
total, so the two tables share it, and every relation between them is in one system.

The system an attacker knows: along every dimension, each cell whose node has children equals
the sum of the cells of those children with every other coordinate the same ("each total equals
the sum of its children, along every hierarchy and across every combination of the others").
A relation is part of the system only when all its cells are in the tables; further linear
relations (a pooled figure equal to the sum of its years, ...) can be added as ``extra_rows``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp

from wres.engine.errors import ConfigError, InternalError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The label of a dimension's total unless a table says otherwise.
DEFAULT_TOTAL = "Total"


class CellState(StrEnum):
    """What happens to a cell (a closed vocabulary, like sdcTable's s / u / x codes)."""

    #: published as it is (or rounded, when the policy rounds)
    PUBLISHED = "published"
    #: withheld on its own account: a small count (rules P1-P4)
    PRIMARY = "primary"
    #: withheld so that no primary cell can be recovered from the others (rules S1, S2)
    SECONDARY = "secondary"
    #: not part of the publication at all: unknown to the attacker, protects nothing and needs
    #: no protection (a row missing from an audited table)
    ABSENT = "absent"


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """One dimension: its total, and the nested groupings of its categories.

    ``labels[0]`` is the total; ``parents[i]`` is the index of node ``i``'s parent (-1 for the
    total), always smaller than ``i``. A flat dimension has every category directly under the
    total; ``19 ethnic categories in 5 broad groups in a total`` has three levels.
    """

    name: str
    labels: tuple[str, ...]
    parents: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.labels or len(self.labels) != len(self.parents):
            msg = f"hierarchy {self.name!r}: labels and parents must be non-empty and match"
            raise ConfigError(msg)
        if len(set(self.labels)) != len(self.labels):
            twice = sorted({x for x in self.labels if self.labels.count(x) > 1})
            msg = f"hierarchy {self.name!r}: label(s) {twice} appear more than once"
            raise ConfigError(msg)
        if self.parents[0] != -1 or any(not 0 <= p < i for i, p in enumerate(self.parents) if i):
            msg = f"hierarchy {self.name!r}: every node's parent must come before it"
            raise ConfigError(msg)
        if len(self.labels) < 2:
            msg = f"hierarchy {self.name!r}: the total {self.labels[0]!r} has no categories"
            raise ConfigError(msg)

    @classmethod
    def flat(cls, name: str, categories: Sequence[str], total: str = DEFAULT_TOTAL) -> Hierarchy:
        """Categories directly under the total."""
        return cls(name, (total, *categories), (-1, *([0] * len(categories))))

    @classmethod
    def from_pairs(
        cls, name: str, pairs: Sequence[tuple[str, str]], total: str = DEFAULT_TOTAL
    ) -> Hierarchy:
        """From ``(child, parent)`` pairs whose top parent is ``total``."""
        parent_of: dict[str, str] = {}
        for child, parent in pairs:
            if child == total:
                msg = f"hierarchy {name!r}: the total {total!r} cannot have a parent"
                raise ConfigError(msg)
            if parent_of.setdefault(child, parent) != parent:
                msg = f"hierarchy {name!r}: {child!r} has two parents"
                raise ConfigError(msg)
        children: dict[str, list[str]] = {}
        for child, parent in parent_of.items():
            children.setdefault(parent, []).append(child)
        labels, parents = [total], [-1]
        for i, label in enumerate(labels):  # breadth first; the list grows as we go
            for child in children.get(label, []):
                labels.append(child)
                parents.append(i)
        unreachable = sorted(set(parent_of) - set(labels))
        if unreachable:
            msg = (
                f"hierarchy {name!r}: {unreachable[:5]} do not lead up to the total {total!r} "
                "(a cycle, or a top parent other than the total)"
            )
            raise ConfigError(msg)
        return cls(name, tuple(labels), tuple(parents))

    @property
    def total(self) -> str:
        return self.labels[0]

    @cached_property
    def position(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    @cached_property
    def children(self) -> tuple[tuple[int, ...], ...]:
        kids: list[list[int]] = [[] for _ in self.labels]
        for i, p in enumerate(self.parents):
            if p >= 0:
                kids[p].append(i)
        return tuple(tuple(k) for k in kids)

    @cached_property
    def is_leaf(self) -> npt.NDArray[np.bool_]:
        return np.array([not k for k in self.children], dtype=np.bool_)

    def ancestors(self, node: int) -> list[int]:
        """``node`` and its parents up to the total."""
        path = [node]
        while self.parents[path[-1]] >= 0:
            path.append(self.parents[path[-1]])
        return path


@dataclass(frozen=True, eq=False)
class ConstraintSystem:
    """The relations ``sum(children) - total = 0``, one row each, as a sparse matrix."""

    #: rows x cells, +1 for a child, -1 for the total (or the coefficients of an extra row)
    matrix: sp.csr_array
    #: the cell index of each row's total (-1 for an extra row)
    total_cell: IntArray
    #: the dimension each row sums along (-1 for an extra row)
    dimension: IntArray


@dataclass(frozen=True, eq=False)
class LinkedTables:
    """Cells of one or more linked tables over the same dimensions, and their true counts.

    ``coords[i, d]`` is the node of dimension ``d`` of cell ``i``; a table that does not have a
    dimension holds its total there. ``values`` are the true counts, -1 where unknown (an
    audited publication, whose withheld cells nobody outside knows).
    """

    hierarchies: tuple[Hierarchy, ...]
    coords: npt.NDArray[np.int32]
    values: IntArray
    #: further relations ``sum(coefficient * cell) = 0``: (cell indices, coefficients) pairs
    extra_rows: tuple[tuple[IntArray, IntArray], ...] = field(default=())

    def __post_init__(self) -> None:
        k = len(self.hierarchies)
        if k == 0 or self.coords.ndim != 2 or self.coords.shape[1] != k:
            msg = "LinkedTables: coords must be a (cells x dimensions) array (this is a bug)"
            raise InternalError(msg)
        if self.values.shape != (self.coords.shape[0],):
            msg = "LinkedTables: one value per cell is needed (this is a bug)"
            raise InternalError(msg)
        sizes = np.array([len(h.labels) for h in self.hierarchies])
        if len(self.coords) and ((self.coords < 0).any() or (self.coords >= sizes).any()):
            msg = "LinkedTables: a coordinate is outside its hierarchy (this is a bug)"
            raise InternalError(msg)
        names = [h.name for h in self.hierarchies]
        if len(set(names)) != len(names):
            msg = f"dimensions must have different names: {names}"
            raise ConfigError(msg)
        if len(np.unique(self.codes)) != len(self.codes):
            msg = "LinkedTables: a cell appears twice; merge linked tables with link()"
            raise ConfigError(msg)

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_keys(
        cls,
        hierarchies: Sequence[Hierarchy],
        keys: Sequence[Sequence[str]],
        values: Sequence[int] | IntArray,
    ) -> LinkedTables:
        """Cells keyed by labels, one per dimension in the order of ``hierarchies``."""
        coords = np.empty((len(keys), len(hierarchies)), dtype=np.int32)
        for d, h in enumerate(hierarchies):
            pos = h.position
            for i, key in enumerate(keys):
                label = key[d]
                if label not in pos:
                    msg = f"{label!r} is not a node of dimension {h.name!r}"
                    raise ConfigError(msg)
                coords[i, d] = pos[label]
        return cls(tuple(hierarchies), coords, np.asarray(values, dtype=np.int64))

    @classmethod
    def full_cross(cls, hierarchies: Sequence[Hierarchy], values: IntArray) -> LinkedTables:
        """Every combination of nodes, the last dimension varying fastest (``values`` in C order
        of shape ``(len(h.labels) for h in hierarchies)``)."""
        shape = tuple(len(h.labels) for h in hierarchies)
        grid = np.indices(shape, dtype=np.int32).reshape(len(shape), -1).T
        return cls(tuple(hierarchies), np.ascontiguousarray(grid), values.reshape(-1).copy())

    @classmethod
    def link(cls, parts: Sequence[LinkedTables]) -> LinkedTables:
        """Several tables over the same hierarchies as one; a shared cell must agree."""
        if not parts:
            msg = "link() needs at least one table (this is a bug)"
            raise InternalError(msg)
        first = parts[0].hierarchies
        if any(p.hierarchies != first for p in parts):
            msg = "linked tables must share their hierarchy objects"
            raise ConfigError(msg)
        codes = np.concatenate([p.codes for p in parts])
        values = np.concatenate([p.values for p in parts])
        coords = np.concatenate([p.coords for p in parts])
        order = np.lexsort((values, codes))
        codes, values, coords = codes[order], values[order], coords[order]
        first_of = np.ones(len(codes), dtype=np.bool_)
        first_of[1:] = codes[1:] != codes[:-1]
        group = np.cumsum(first_of) - 1
        if (values != values[first_of][group]).any():
            msg = "linked tables disagree on a shared cell (a total published twice differently)"
            raise ConfigError(msg)
        return cls(first, coords[first_of], values[first_of])

    def reordered(self, order: IntArray) -> LinkedTables:
        """The same tables with cell ``i`` being this one's cell ``order[i]``."""
        new_index = np.empty(self.n_cells, np.int64)
        new_index[order] = np.arange(self.n_cells)
        extra = tuple((new_index[np.asarray(c)], np.asarray(k)) for c, k in self.extra_rows)
        return LinkedTables(self.hierarchies, self.coords[order], self.values[order], extra)

    def subset(self, cells: IntArray) -> LinkedTables:
        """The tables of ``cells`` alone (ascending), numbered in that order: every relation
        whose cells are all among them, and no other (for a part closed under the relations,
        its own system exactly)."""
        index = np.full(self.n_cells, -1, np.int64)
        index[cells] = np.arange(len(cells))
        extra: tuple[tuple[IntArray, IntArray], ...] = ()
        if self.extra_rows:
            sizes = np.array([len(c) for c, _ in self.extra_rows])
            inside = index[np.concatenate([np.asarray(c) for c, _ in self.extra_rows])] >= 0
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            whole = np.logical_and.reduceat(inside, starts) & (sizes > 0)
            extra = tuple(
                (index[np.asarray(self.extra_rows[r][0])], np.asarray(self.extra_rows[r][1]))
                for r in np.flatnonzero(whole)
            )
        return LinkedTables(self.hierarchies, self.coords[cells], self.values[cells], extra)

    # --- structure --------------------------------------------------------------------------

    @property
    def n_cells(self) -> int:
        return int(self.coords.shape[0])

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hierarchies)

    @cached_property
    def strides(self) -> IntArray:
        sizes = [len(h.labels) for h in self.hierarchies]
        strides = np.ones(len(sizes), dtype=np.int64)
        for d in range(len(sizes) - 2, -1, -1):
            strides[d] = strides[d + 1] * sizes[d + 1]
        return strides

    @cached_property
    def codes(self) -> IntArray:
        """Each cell's position in the full cross of all nodes (mixed radix)."""
        return self.coords.astype(np.int64) @ self.strides

    @cached_property
    def _sorted(self) -> tuple[IntArray, IntArray]:
        order = np.argsort(self.codes, kind="stable")
        return self.codes[order], order

    def find(self, codes: IntArray) -> IntArray:
        """Cell indices of full-cross ``codes``; -1 where the tables have no such cell."""
        sorted_codes, order = self._sorted
        at = np.searchsorted(sorted_codes, codes)
        at = np.minimum(at, len(sorted_codes) - 1)
        found = sorted_codes[at] == codes
        return np.where(found, order[at], -1)

    @cached_property
    def constraints(self) -> ConstraintSystem:
        """Every relation whose cells are all present, then the extra rows."""
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        coefs: list[IntArray] = []
        totals: list[IntArray] = []
        dims: list[IntArray] = []
        n_rows = 0
        for d, h in enumerate(self.hierarchies):
            stride = self.strides[d]
            for g, kids in enumerate(h.children):
                if not kids:
                    continue
                parents = np.flatnonzero(self.coords[:, d] == g)
                if not len(parents):
                    continue
                shift = (np.array(kids, dtype=np.int64) - g) * stride
                members = self.find(self.codes[parents][:, None] + shift[None, :])
                present = members >= 0
                keep = present.all(axis=1)
                parents, members, present = parents[keep], members[keep], present[keep]
                r = np.arange(n_rows, n_rows + len(parents), dtype=np.int64)
                n_rows += len(parents)
                rows += [r, np.repeat(r, present.sum(axis=1))]
                cols += [parents, members[present]]
                coefs += [-np.ones(len(r), np.int64), np.ones(int(present.sum()), np.int64)]
                totals.append(parents)
                dims.append(np.full(len(r), d, dtype=np.int64))
        for cells, coefficients in self.extra_rows:
            rows.append(np.full(len(cells), n_rows, dtype=np.int64))
            cols.append(np.asarray(cells, dtype=np.int64))
            coefs.append(np.asarray(coefficients, dtype=np.int64))
            totals.append(np.array([-1], dtype=np.int64))
            dims.append(np.array([-1], dtype=np.int64))
            n_rows += 1
        empty = np.zeros(0, dtype=np.int64)
        matrix = sp.csr_array(
            (
                np.concatenate(coefs or [empty]).astype(np.float64),
                (np.concatenate(rows or [empty]), np.concatenate(cols or [empty])),
            ),
            shape=(n_rows, self.n_cells),
        )
        matrix.sum_duplicates()
        return ConstraintSystem(
            matrix, np.concatenate(totals or [empty]), np.concatenate(dims or [empty])
        )

    # --- keys -------------------------------------------------------------------------------

    def key(self, cell: int) -> tuple[str, ...]:
        return tuple(h.labels[self.coords[cell, d]] for d, h in enumerate(self.hierarchies))

    def key_text(self, cell: int) -> str:
        """``ethnicity=Black, band=5`` for messages: the cell's key, never its value."""
        return ", ".join(
            f"{h.name}={label}" for h, label in zip(self.hierarchies, self.key(cell), strict=True)
        )

    def keys_frame(self, cells: IntArray | None = None) -> pl.DataFrame:
        """The key columns (one per dimension, labels) of ``cells`` (default: all)."""
        chosen = np.arange(self.n_cells) if cells is None else np.asarray(cells, dtype=np.int64)
        return pl.DataFrame(
            {
                h.name: pl.Series(h.name, h.labels, dtype=pl.String).gather(
                    self.coords[chosen, d].astype(np.int64)
                )
                for d, h in enumerate(self.hierarchies)
            }
        )

    def cells_of(self, keys: Mapping[str, str]) -> IntArray:
        """Cells matching the given labels (unnamed dimensions: any node)."""
        mask = np.ones(self.n_cells, dtype=np.bool_)
        for d, h in enumerate(self.hierarchies):
            if h.name in keys:
                mask &= self.coords[:, d] == h.position[keys[h.name]]
        return np.flatnonzero(mask)
