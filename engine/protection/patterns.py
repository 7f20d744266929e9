"""Suppression patterns: sets of cells that can all move together without changing any total.

Along one dimension, a change ``v`` of the nodes keeps every relation ``total = sum(children)``
when ``v(node) = sum(v(children))`` at every node with children. The smallest such changes
(*line patterns*) are: a category up and another down, each with its groups up to (not
including) the group they share (two sibling categories: just the two); or a category up with
every group above it and the total. A *product pattern* takes one line pattern per dimension
and moves cell ``(n_1, ..., n_k)`` by the product of their signs; it keeps every relation of the
full cross of hierarchies. When all its cells are withheld, the attacker cannot tell the true
table from the one moved by ``t`` along the pattern, for every integer ``t`` that keeps the
withheld cells within what the attacker knows (at least 1 when zeros are published): so each
cell on it is protected by that range. This generalises the hypercube method to hierarchies.

The search (a numba kernel) takes the primary cells in turn and hides the cheapest product
pattern that gives the cell the interval it needs, counting already-withheld cells as free and
crediting every primary cell a chosen pattern passes through. A pattern of totals only (every
line pattern a path to the total) always exists, so the search never fails on a full cross.
Afterwards, patterns that the others make unnecessary are dropped (reverse deletion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wres.engine.errors import InternalError
from wres.engine.protection import _kernels

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Line patterns tried per node and dimension (the closest partners first); a path to the
#: total is always among them.
MAX_LINE_PATTERNS = 12
#: Patterns at most in a fan (see ``search_patterns``).
MAX_FAN = 8
#: Above this many cells in the full cross, cells are looked up by binary search.
DENSE_LOOKUP_LIMIT = 20_000_000


@dataclass(frozen=True, slots=True)
class Tree:
    """One dimension's hierarchy as the search needs it: parents (-1 for the total) and a
    weight per node (a larger weight makes a better partner: more room to move)."""

    parents: tuple[int, ...]
    weights: tuple[float, ...]
    #: no relation runs along this dimension (its groups and total are never cells): a pattern
    #: stays at the cell's own node there
    free: bool = False
    #: further relations among this dimension's nodes, at every cell of the others
    #: (``sum(coefficient * move) = 0``; a run's second split of one count): every line pattern
    #: keeps them too
    relations: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class LinePatterns:
    """CSR arrays of line patterns, and of the patterns through each node (global numbering)."""

    pat_ptr: IntArray
    pat_nodes: IntArray
    pat_signs: IntArray
    node_offset: IntArray
    node_ptr: IntArray
    node_pats: IntArray
    node_flip: IntArray
    longest: IntArray  # per dimension, the longest line pattern


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The chosen patterns (kept after reverse deletion) and the cells they withhold."""

    hidden: BoolArray
    #: CSR over kept patterns: their cells (-1 for absent ones) and signs
    support_ptr: IntArray
    support_cells: IntArray
    support_signs: IntArray
    pattern_up: IntArray
    pattern_down: IntArray
    #: the primary cell each kept pattern was chosen for
    pattern_primary: IntArray
    #: primaries for which no pattern exists (needs a fallback)
    unprotected: IntArray
    #: per kept pattern: the fan it belongs to (-1: none); a fan's patterns moved together by
    #: ``pattern_up`` each are one witness, for its primary's whole need
    pattern_fan: IntArray


def _line_patterns_of(
    tree: Tree, max_per_node: int
) -> list[list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """Per node, the line patterns through it as (nodes, signs) with the node's sign +1."""
    n = len(tree.parents)
    if tree.free:
        return [[((node,), (1,))] for node in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(tree.parents):
        if p >= 0:
            children[p].append(i)
    leaves = [i for i in range(n) if not children[i]]

    def path(node: int) -> list[int]:
        out = [node]
        while tree.parents[out[-1]] >= 0:
            out.append(tree.parents[out[-1]])
        return out

    paths = {leaf: path(leaf) for leaf in leaves}
    leaves_under: list[set[int]] = [set() for _ in range(n)]
    for leaf in leaves:
        for node in paths[leaf]:
            leaves_under[node].add(leaf)
    weight = tree.weights
    out: list[list[tuple[tuple[int, ...], tuple[int, ...]]]] = []
    for node in range(n):
        ranked: list[tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]] = []
        under = sorted(leaves_under[node], key=lambda x: (-weight[x], x))
        for leaf in under:
            up = paths[leaf]
            ranked.append(((1.0, -weight[leaf], len(up)), tuple(up), (1,) * len(up)))
            for other in leaves:
                if other in leaves_under[node]:
                    continue
                theirs = paths[other]
                shared = set(up) & set(theirs)
                mine = [x for x in up if x not in shared]
                yours = [x for x in theirs if x not in shared]
                nodes = (*mine, *yours)
                signs = (1,) * len(mine) + (-1,) * len(yours)
                # siblings first, then the largest partners: most room to move
                key = (0.0 if len(nodes) == 2 else 2.0, -weight[other], len(nodes), other, leaf)
                ranked.append((key, nodes, signs))
        ranked.sort(key=lambda item: item[0])
        keep = ranked[:max_per_node]
        if not any(min(s) > 0 for _, _, s in keep):
            keep[-1] = next(item for item in ranked if min(item[2]) > 0)
        closed = (_closed(tree, node, nodes, signs, paths) for _, nodes, signs in keep)
        out.append(list(dict.fromkeys(pattern for pattern in closed if pattern is not None)))
    return out


def _closed(
    tree: Tree,
    node: int,
    nodes: tuple[int, ...],
    signs: tuple[int, ...],
    paths: dict[int, list[int]],
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The line pattern moved further so that it keeps ``tree.relations`` too: a relation it
    breaks is balanced on its heaviest leaf the pattern leaves still, with that leaf's path to
    the total (which keeps the hierarchy). None when that fails (the pattern is then dropped)."""
    if not tree.relations:
        return nodes, signs
    move = dict(zip(nodes, signs, strict=True))
    for _ in range(2 * len(tree.relations) + 1):
        broken = next(
            (
                (members, coefs, total)
                for members, coefs in tree.relations
                if (total := sum(c * move.get(m, 0) for m, c in zip(members, coefs, strict=True)))
            ),
            None,
        )
        if broken is None:
            break
        members, coefs, total = broken
        still = [
            (m, c)
            for m, c in zip(members, coefs, strict=True)
            if m in paths and not move.get(m, 0) and abs(c) == 1
        ]
        if not still:
            return None
        leaf, coef = max(still, key=lambda item: (tree.weights[item[0]], -item[0]))
        for at in paths[leaf]:
            move[at] = move.get(at, 0) - total * coef
    else:
        return None
    if move.get(node, 0) != 1:
        return None
    kept = sorted(at for at, amount in move.items() if amount)
    return tuple(kept), tuple(move[at] for at in kept)


def line_patterns(trees: Sequence[Tree], max_per_node: int = MAX_LINE_PATTERNS) -> LinePatterns:
    """Line patterns of every dimension, numbered globally."""
    pat_ptr = [0]
    pat_nodes: list[int] = []
    pat_signs: list[int] = []
    node_ptr = [0]
    node_pats: list[int] = []
    node_flip: list[int] = []
    node_offset = []
    longest = []
    offset = 0
    for tree in trees:
        node_offset.append(offset)
        offset += len(tree.parents)
        per_node = _line_patterns_of(tree, max_per_node)
        longest.append(max(len(nodes) for pats in per_node for nodes, _ in pats))
        for pats in per_node:
            for nodes, signs in pats:
                node_pats.append(len(pat_ptr) - 1)
                node_flip.append(1)
                pat_nodes.extend(nodes)
                pat_signs.extend(signs)
                pat_ptr.append(len(pat_nodes))
            node_ptr.append(len(node_pats))
    return LinePatterns(
        _ints(pat_ptr),
        _ints(pat_nodes),
        _ints(pat_signs),
        _ints(node_offset),
        _ints(node_ptr),
        _ints(node_pats),
        _ints(node_flip),
        _ints(longest),
    )


def _ints(values: Sequence[int]) -> IntArray:
    return np.asarray(values, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Lookup:
    """Cells by full-cross code: a dense array, or sorted codes for binary search."""

    cell_at: IntArray
    sorted_codes: IntArray
    order: IntArray

    @classmethod
    def of(cls, coords: npt.NDArray[np.int32], strides: IntArray, sizes: IntArray) -> _Lookup:
        codes = coords.astype(np.int64) @ strides
        cross = int(np.prod(sizes))
        none = np.zeros(0, np.int64)
        if cross <= DENSE_LOOKUP_LIMIT:
            cell_at = np.full(cross, -1, np.int64)
            cell_at[codes] = np.arange(len(codes))
            return cls(cell_at, none, none)
        order = np.argsort(codes, kind="stable").astype(np.int64)
        return cls(none, codes[order], order)


def _check_lengths(primaries: IntArray, need: IntArray, *per_cell: IntArray, n: int) -> None:
    if len(primaries) != len(need) or any(a.shape != (n,) for a in per_cell):
        msg = "search_patterns: arrays of different lengths (a bug in wres)"
        raise InternalError(msg)


def search_patterns(
    *,
    trees: Sequence[Tree],
    coords: npt.NDArray[np.int32],
    strides: IntArray,
    primaries: IntArray,
    need: IntArray,
    value: IntArray,
    lower: IntArray,
    cost: IntArray,
    eligible: BoolArray,
    hidden: BoolArray,
    max_per_node: int = MAX_LINE_PATTERNS,
    toll: IntArray | None = None,
    fan_above: int = int(_kernels.INF),
    max_fan: int = 0,
) -> SearchResult:
    """Hide product patterns until every primary cell (in the given order) has ``need`` room.

    ``need[i]`` is the range ``up + down`` that ``primaries[i]`` needs; ``lower`` the least
    value the attacker allows a withheld cell; ``eligible`` the cells that may be withheld;
    ``toll`` a cost paid for every cell on a pattern, withheld or not. With ``max_fan``, a cell
    whose cheapest pattern costs at least ``fan_above`` (or that has none) may get a *fan*:
    up to ``max_fan`` patterns through it that share out their room (see ``_kernels.search``).
    """
    n_cells = coords.shape[0]
    _check_lengths(primaries, need, value, lower, cost, n=n_cells)
    lines = line_patterns(trees, max_per_node)
    coords = np.ascontiguousarray(coords, dtype=np.int32)
    strides = strides.astype(np.int64)
    lookup = _Lookup.of(coords, strides, np.array([len(t.parents) for t in trees], np.int64))
    max_support = int(np.prod(lines.longest))
    is_primary = np.zeros(n_cells, np.bool_)
    is_primary[primaries] = True
    initially = hidden | is_primary
    toll = np.zeros(n_cells, np.int64) if toll is None else toll.astype(np.int64)
    chosen, pat_up, pat_down, status, fan_owner, fan_choice, fan_up, fan_down = _kernels.search(
        primaries.astype(np.int64),
        need.astype(np.int64),
        coords,
        _kernel_lines(strides, lines, lookup),
        value.astype(np.int64),
        lower.astype(np.int64),
        cost.astype(np.int64),
        toll,
        eligible.astype(np.bool_),
        is_primary,
        initially.copy(),
        np.zeros(n_cells, np.int64),
        np.zeros(n_cells, np.int64),
        max_support,
        np.int64(min(fan_above, int(_kernels.INF))),
        max_fan,
    )
    owners, choices, ups, downs, fans = _patterns_found(
        primaries, (chosen, pat_up, pat_down, status), (fan_owner, fan_choice, fan_up, fan_down)
    )
    supports = [
        _support_of(int(cell), choice, coords, strides, lines, lookup, max_support)
        for cell, choice in zip(owners, choices, strict=True)
    ]
    need_of_cell = np.zeros(n_cells, np.int64)
    need_of_cell[primaries] = need
    kept = _reverse_delete(supports, ups, downs, cost, is_primary, need_of_cell)
    return _result(initially, supports, kept, (owners, ups, downs, fans), primaries[status == 2])


def _result(
    initially: BoolArray,
    supports: Sequence[tuple[IntArray, IntArray]],
    kept: IntArray,
    found: tuple[IntArray, IntArray, IntArray, IntArray],
    unprotected: IntArray,
) -> SearchResult:
    """The cells hidden with the ``kept`` patterns (of those ``found``: the cell each protects,
    its room up and down, its fan) and their supports."""
    owners, ups, downs, fans = found
    new_hidden = initially.copy()
    for j in kept:
        cells = supports[j][0]
        new_hidden[cells[cells >= 0]] = True
    lengths = [len(supports[j][0]) for j in kept]
    return SearchResult(
        hidden=new_hidden,
        support_ptr=np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64),
        support_cells=_concat([supports[j][0] for j in kept]),
        support_signs=_concat([supports[j][1] for j in kept]),
        pattern_up=ups[kept],
        pattern_down=downs[kept],
        pattern_primary=owners[kept],
        unprotected=unprotected,
        pattern_fan=_whole_fans(fans, kept),
    )


def _patterns_found(
    primaries: IntArray,
    own: tuple[IntArray, IntArray, IntArray, IntArray],
    fan: tuple[IntArray, IntArray, IntArray, IntArray],
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Every pattern the kernel chose, a cell's own first and then the fans' parts: the cell it
    protects, its choice, its room up and down, and its fan's owner (-1: not a fan's part)."""
    chosen, up, down, status = own
    fan_owner, fan_choice, fan_up, fan_down = fan
    picked = np.flatnonzero(status == 1)
    owners = np.concatenate([primaries[picked], primaries[fan_owner]]).astype(np.int64)
    choices = np.concatenate([chosen[picked], fan_choice])
    ups = np.concatenate([up[picked], fan_up]).astype(np.int64)
    downs = np.concatenate([down[picked], fan_down]).astype(np.int64)
    fans = np.concatenate([np.full(len(picked), -1), fan_owner]).astype(np.int64)
    return owners, choices, ups, downs, fans


def _whole_fans(fans: IntArray, kept: IntArray) -> IntArray:
    """Per kept pattern, its fan (-1: none, or a fan that lost a member to reverse deletion:
    its members then prove only what each does alone)."""
    out = fans[kept].copy()
    ids, members = np.unique(fans[fans >= 0], return_counts=True)
    left = np.zeros(len(ids), np.int64)
    np.add.at(left, np.searchsorted(ids, out[out >= 0]), 1)
    out[(out >= 0) & ~np.isin(out, ids[left == members])] = -1
    return out


def _kernel_lines(strides: IntArray, lines: LinePatterns, lookup: _Lookup) -> tuple[IntArray, ...]:
    """The kernels' ``lines`` argument: strides, line patterns and cell lookup, in that order."""
    parts = (
        strides,
        lines.node_offset,
        lines.node_ptr,
        lines.node_pats,
        lines.node_flip,
        lines.pat_ptr,
        lines.pat_nodes,
        lines.pat_signs,
        lookup.cell_at,
        lookup.sorted_codes,
        lookup.order,
    )
    return tuple(np.ascontiguousarray(part, dtype=np.int64) for part in parts)


def _support_of(  # noqa: PLR0917 - mirrors the kernel it wraps
    cell: int,
    choice: IntArray,
    coords: npt.NDArray[np.int32],
    strides: IntArray,
    lines: LinePatterns,
    lookup: _Lookup,
    max_support: int,
) -> tuple[IntArray, IntArray]:
    """The cells (-1 for absent ones) and signs of a chosen product pattern."""
    cells = np.empty(max_support, np.int64)
    signs = np.empty(max_support, np.int64)
    size = _kernels._support(
        cell,
        choice,
        coords.shape[1] - 1,
        coords,
        _kernel_lines(strides, lines, lookup),
        cells,
        signs,
    )
    return cells[:size].copy(), signs[:size].copy()


def _reverse_delete(  # noqa: PLR0917 - the arrays of one search
    supports: Sequence[tuple[IntArray, IntArray]],
    pattern_up: IntArray,
    pattern_down: IntArray,
    cost: IntArray,
    is_primary: BoolArray,
    need_of_cell: IntArray,
) -> IntArray:
    """The patterns kept after dropping those the others make unnecessary, the most
    expensive first."""
    if not supports:
        return np.zeros(0, np.int64)
    ptr = np.concatenate([[0], np.cumsum([len(c) for c, _ in supports])]).astype(np.int64)
    cells = _concat([c for c, _ in supports])
    signs = _concat([s for _, s in supports])
    pattern_cost = np.array([cost[c[c >= 0]].sum() for c, _ in supports], dtype=np.int64)
    attempt = np.lexsort((-np.arange(len(supports)), -pattern_cost)).astype(np.int64)
    kept = _kernels.prune(
        ptr, cells, signs, pattern_up, pattern_down, attempt, is_primary, need_of_cell,
        len(is_primary),
    )  # fmt: skip
    return np.flatnonzero(kept).astype(np.int64)


def _concat(parts: Sequence[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
