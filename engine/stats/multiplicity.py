"""Multiple-comparison adjustment of p-values within a family of tests."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from wres.engine.errors import ConfigError

ADJUST_METHODS: tuple[str, ...] = ("bh", "holm")


def adjust(p: npt.ArrayLike, *, method: Literal["bh", "holm"] = "bh") -> npt.NDArray[np.float64]:
    """Benjamini-Hochberg (``bh``) or Holm (``holm``) adjusted p-values.

    NaN entries (comparisons not tested) are left NaN and do not count towards the family size.
    """
    if method not in ADJUST_METHODS:
        msg = f"unknown adjustment {method!r}; available: {', '.join(ADJUST_METHODS)}"
        raise ConfigError(msg)
    values = np.asarray(p, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    tested = ~np.isnan(values)
    q = values[tested]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    if method == "bh":
        scaled = ranked * m / np.arange(1, m + 1)
        monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    else:
        scaled = ranked * (m - np.arange(m))
        monotone = np.maximum.accumulate(scaled)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(monotone, 1.0)
    out[tested] = adjusted
    return out
