"""Counting records into a dense count cube: one pass over the code columns.

Accepted input (the caller, :mod:`wres.engine.cube`, guarantees it):
- ``codes``: a tuple with one array per axis of the cube, all of one unsigned dtype (uint8, uint16
  or uint32), C-contiguous and of one length; ``codes[a][i]`` is row ``i``'s code in the chunk's
  own numbering of axis ``a``;
- ``remap``: int64 [axes, longest chunk numbering]; ``remap[a, k]`` is the cube's index on axis
  ``a`` of the chunk's code ``k`` (so the same label counts into the same cell in every chunk);
- ``strides``: int64 [axes], the step of each axis in the flattened cube;
- ``weights``: a tuple of arrays as long as the codes, all bool or all int64: what each row adds
  to the channels after the first;
- ``out``: int64 [cells, 1 + len(weights)], C-contiguous; column 0 counts rows.

Encoding (the remap) and counting are fused: nothing of the length of the chunk is allocated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

IntArray = npt.NDArray[np.int64]
Codes = tuple[npt.NDArray[np.unsignedinteger[Any]], ...]
Weights = tuple[npt.NDArray[np.bool_], ...] | tuple[IntArray, ...]


@njit(cache=True, error_model="numpy", nogil=True)
def count_rows(codes: Codes, remap: IntArray, strides: IntArray, out: IntArray) -> None:
    """``out[cell, 0] += 1`` for each row: a headcount per cell."""
    for i in range(codes[0].shape[0]):
        cell = 0
        for a in range(len(codes)):
            cell += strides[a] * remap[a, codes[a][i]]
        out[cell, 0] += 1


@njit(cache=True, error_model="numpy", nogil=True)
def count_weighted(
    codes: Codes, remap: IntArray, strides: IntArray, weights: Weights, out: IntArray
) -> None:
    """As :func:`count_rows`, and ``out[cell, 1 + c] += weights[c][i]`` for each channel."""
    for i in range(codes[0].shape[0]):
        cell = 0
        for a in range(len(codes)):
            cell += strides[a] * remap[a, codes[a][i]]
        out[cell, 0] += 1
        for c in range(len(weights)):
            out[cell, c + 1] += weights[c][i]
