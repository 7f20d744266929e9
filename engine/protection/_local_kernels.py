"""Numba kernels of the local problems: plain loops over numpy arrays, nothing of ours.

The system is given both ways round: ``row_ptr``/``row_cells``/``row_coef`` (each relation's
cells, a CSR matrix) and ``cell_ptr``/``cell_rows`` (each cell's relations, its transpose).
Neighbourhoods are concatenated: neighbourhood ``k`` is ``cells[ptr[k]:ptr[k + 1]]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def neighbourhoods(  # noqa: PLR0917 - numba kernels take positional arrays only
    row_ptr: np.ndarray,
    row_cells: np.ndarray,
    cell_ptr: np.ndarray,
    cell_rows: np.ndarray,
    movable: np.ndarray,
    targets: np.ndarray,
    depth: int,
    cap: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The movable cells within ``depth`` relations of each target (the target first), in
    breadth-first order, at most ``cap`` of them."""
    n_cells = cell_ptr.shape[0] - 1
    stamp = np.full(n_cells, -1, np.int64)
    ptr = np.zeros(targets.shape[0] + 1, np.int64)
    out = np.empty(targets.shape[0] * cap, np.int64)
    at = 0
    for k in range(targets.shape[0]):
        start = at
        out[at] = targets[k]
        stamp[targets[k]] = k
        at += 1
        level_start, level_end = start, at
        for _ in range(depth):
            for q in range(level_start, level_end):
                c = out[q]
                for e in range(cell_ptr[c], cell_ptr[c + 1]):
                    r = cell_rows[e]
                    for f in range(row_ptr[r], row_ptr[r + 1]):
                        other = row_cells[f]
                        if movable[other] and stamp[other] != k and at - start < cap:
                            stamp[other] = k
                            out[at] = other
                            at += 1
            level_start, level_end = level_end, at
        ptr[k + 1] = at
    return ptr, out[:at]


@njit(cache=True)
def block_entries(  # noqa: PLR0917 - numba kernels take positional arrays only
    ptr: np.ndarray,
    cells: np.ndarray,
    first: int,
    last: int,
    row_ptr: np.ndarray,
    row_cells: np.ndarray,
    row_coef: np.ndarray,
    cell_ptr: np.ndarray,
    cell_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The block-diagonal system of neighbourhoods ``first..last-1``: every relation through a
    cell of a neighbourhood, over that neighbourhood's cells (the others stay put).

    Returns entries (row, column, coefficient), columns numbered along ``cells[ptr[first]:]``,
    and each block's first row (``last - first + 1`` offsets)."""
    n_cells = cell_ptr.shape[0] - 1
    n_rows = row_ptr.shape[0] - 1
    col_of = np.full(n_cells, -1, np.int64)
    col_stamp = np.full(n_cells, -1, np.int64)
    row_stamp = np.full(n_rows, -1, np.int64)
    size = 0
    for q in range(ptr[first], ptr[last]):
        c = cells[q]
        for e in range(cell_ptr[c], cell_ptr[c + 1]):
            r = cell_rows[e]
            size += row_ptr[r + 1] - row_ptr[r]
    rows = np.empty(size, np.int64)
    cols = np.empty(size, np.int64)
    data = np.empty(size, np.float64)
    row_start = np.zeros(last - first + 1, np.int64)
    n = 0
    next_row = 0
    base = ptr[first]
    for k in range(first, last):
        for q in range(ptr[k], ptr[k + 1]):
            col_of[cells[q]] = q - base
            col_stamp[cells[q]] = k
        row_start[k - first] = next_row
        for q in range(ptr[k], ptr[k + 1]):
            c = cells[q]
            for e in range(cell_ptr[c], cell_ptr[c + 1]):
                r = cell_rows[e]
                if row_stamp[r] == k:
                    continue
                row_stamp[r] = k
                for f in range(row_ptr[r], row_ptr[r + 1]):
                    other = row_cells[f]
                    if col_stamp[other] == k:
                        rows[n] = next_row
                        cols[n] = col_of[other]
                        data[n] = row_coef[f]
                        n += 1
                next_row += 1
    row_start[last - first] = next_row
    return rows[:n], cols[:n], data[:n], row_start
