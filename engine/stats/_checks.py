"""Input checks shared by the statistics wrappers (intervals, p-values, pooled estimates).

Every message says what is wrong, where (a position in the argument, or a stratum row) and what
to do. Values that are not counts (-1, 2.5, nan, inf, a group size above the limit) may be
quoted; where a count exceeds its group size only the place is named, never the counts, since
they may be small, protected numbers (STYLE.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from wres.engine.errors import ConfigError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Counts = tuple[FloatArray, FloatArray, FloatArray, FloatArray]

_COUNT_NAMES = ("a", "n1", "c", "n2")


def normal_quantile(level: float) -> float:
    """z with P(|Z| <= z) = ``level``, a confidence level strictly inside (0, 1).

    The chi-square(1) quantile at ``level`` is its square. Raises ConfigError otherwise.
    """
    if (
        isinstance(level, bool)
        or not isinstance(level, int | float | np.floating)
        or not 0.0 < float(level) < 1.0
    ):
        msg = (
            f"level must be a confidence level strictly between 0 and 1, got {level!r}; "
            "use e.g. level=0.95"
        )
        raise ConfigError(msg)
    return float(ndtri(0.5 + float(level) / 2.0))


def where(mask: BoolArray, *, rows: bool = False) -> str:
    """Where ``mask`` first holds, for a message: 'at position 3', 'at row 3 (first of 2)'.

    Positions are numpy indices into ``mask``'s shape; ``rows`` names them stratum rows.
    """
    flat = np.flatnonzero(mask)
    if mask.ndim == 0:
        return "in the scalar given"
    if rows:
        place = f"at row {int(flat[0])}"
    elif mask.ndim == 1:
        place = f"at position {int(flat[0])}"
    else:
        index = tuple(int(i) for i in np.unravel_index(int(flat[0]), mask.shape))
        place = f"at position {index}"
    return place if flat.size == 1 else f"{place} (first of {flat.size})"


def found(values: npt.NDArray[np.generic], mask: BoolArray, *, rows: bool = False) -> str:
    """'found -1 at position 3': the first value where ``mask`` (of ``values``' shape) holds.

    Only for values that are not valid counts; never call it on a count that may be protected.
    """
    value = values[mask].flat[0].item()
    return f"found {value!r} {where(mask, rows=rows)}"


def numbers(name: str, values: npt.ArrayLike) -> npt.NDArray[np.generic]:
    """``values`` as an array of integers or floats (not bool, str or object)."""
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        msg = (
            f"{name} must hold numbers, got dtype {array.dtype}; convert it first, "
            f"e.g. np.asarray({name}, dtype=np.int64)"
        )
        raise ValueError(msg)
    return array


def one_value_per_row(
    name: str, values: npt.ArrayLike, rows: int | None
) -> npt.NDArray[np.generic]:
    """``values`` as a one-dimensional array of numbers with ``rows`` elements (if given)."""
    array = np.asarray(values)
    if array.ndim != 1:
        msg = (
            f"{name} must be one-dimensional (one value per stratum row), got shape "
            f"{array.shape}; flatten it or pass one row per stratum"
        )
        raise ValueError(msg)
    if rows is not None and array.size != rows:
        msg = (
            f"{name} has {array.size} rows but a has {rows}; pass the same rows, one per "
            "stratum, for every array"
        )
        raise ValueError(msg)
    return numbers(name, array)


def _whole_numbers(name: str, array: npt.NDArray[np.generic], *, rows: bool) -> None:
    """Raise unless every element of ``array`` is a finite whole number >= 0."""
    unit = "rows" if rows else "comparisons"
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array)
        if bad.any():
            msg = (
                f"{name} must hold finite counts, {found(array, bad, rows=rows)}; drop the "
                f"{unit} with a missing count first"
            )
            raise ValueError(msg)
        bad = array != np.floor(array)
        if bad.any():
            msg = (
                f"{name} must hold whole numbers, {found(array, bad, rows=rows)}; pass counts "
                "of people, not rates or weighted figures"
            )
            raise ValueError(msg)
    bad = np.less(array, 0)
    if bad.any():
        msg = (
            f"{name} must not be negative, {found(array, bad, rows=rows)}; counts of people "
            "are 0 or more"
        )
        raise ValueError(msg)


def checked_counts(
    a: npt.ArrayLike,
    n1: npt.ArrayLike,
    c: npt.ArrayLike,
    n2: npt.ArrayLike,
    *,
    one_dimensional: bool = False,
    max_group_size: int | None = None,
) -> tuple[Counts, tuple[int, ...]]:
    """The four counts as flat contiguous float64 arrays of one length, and their common shape.

    ``a`` events among ``n1`` people, ``c`` among ``n2``: integers or whole-valued floats, >= 0,
    with a <= n1 and c <= n2. By default they broadcast together (one element per comparison,
    scalars shared by all); with ``one_dimensional`` each is 1-D with one value per stratum row,
    all of one length, and messages name rows. ``max_group_size`` caps n1 and n2.
    Raises ValueError naming the argument, the place and the fix.
    """
    arrays: list[npt.NDArray[np.generic]] = []
    for name, values in zip(_COUNT_NAMES, (a, n1, c, n2), strict=True):
        if one_dimensional:
            array = one_value_per_row(name, values, arrays[0].size if arrays else None)
        else:
            array = numbers(name, values)
        _whole_numbers(name, array, rows=one_dimensional)
        arrays.append(array)
    try:
        shape = np.broadcast_shapes(*(array.shape for array in arrays))
    except ValueError:
        shapes = ", ".join(f"{n}={x.shape}" for n, x in zip(_COUNT_NAMES, arrays, strict=True))
        msg = (
            f"a, n1, c, n2 must broadcast to one shape, got {shapes}; pass arrays of one shape "
            "(one element per comparison), or scalars for values shared by all comparisons"
        )
        raise ValueError(msg) from None
    a_, n1_, c_, n2_ = (
        np.ascontiguousarray(np.broadcast_to(array, shape), dtype=np.float64).reshape(-1)
        for array in arrays
    )
    if max_group_size is not None:
        for name, size in (("n1", n1_), ("n2", n2_)):
            size_in_shape = size.reshape(shape)
            too_big = size_in_shape > max_group_size
            if too_big.any():
                msg = (
                    f"{name} must be at most {max_group_size:,} people, "
                    f"{found(size_in_shape, too_big, rows=one_dimensional)}; check that it "
                    "holds group sizes"
                )
                raise ValueError(msg)
    for events, size, events_name, size_name in ((a_, n1_, "a", "n1"), (c_, n2_, "c", "n2")):
        too_many = (events > size).reshape(shape)
        if too_many.any():
            # the counts may be protected: name the place, never the values
            msg = (
                f"{events_name} exceeds {size_name} (more events than people in the group) "
                f"{where(too_many, rows=one_dimensional)}; counts must satisfy 0 <= a <= n1 and "
                "0 <= c <= n2: check the argument order (a, n1, c, n2) and that the event and "
                "group-size columns are not swapped"
            )
            raise ValueError(msg)
    return (a_, n1_, c_, n2_), shape
