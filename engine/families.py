"""The families of tests that multiplicity adjustment works within.

A family is one indicator's comparisons in one year at one cut: the organisation total (every
cut column ``All``), or one table of a cut (``site``; ``band`` x ``site``). The cut is the set of
cut columns that are not ``All``, so a family is defined by the run's rows alone and never by the
other cuts the run asks for: adding ``--by band`` to a run adds families of its own and leaves
every adjusted p-value of the organisation total and of the site table as it was. Variants of
an indicator (``excluding international``, ``2-year rolling``) share their year's family: they
are the same question asked of the same people and are published side by side.

Pooled trends over the years (``pooled.csv``) have no year: their family is the indicator and
the cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from wres.engine.errors import InternalError
from wres.engine.stats import adjust

#: The label of a rolled-up cut dimension (SPEC section 10).
ALL = "All"


def family_codes(
    frame: pl.DataFrame, dims: Sequence[str], keys: Sequence[str]
) -> npt.NDArray[np.int64]:
    """One integer per row naming its family: the values of ``keys`` (integer columns such as
    ``indicator`` and ``year``, never null) and which of the cut columns ``dims`` are not
    ``All``. Rows with the same code are in the same family."""
    columns = [c for c in dims if c in frame.columns]
    if len(columns) > 30:  # pragma: no cover - no standard has so many cut columns
        msg = f"{len(columns)} cut columns do not fit a family code (this is a bug in wres)"
        raise InternalError(msg)
    # the cut as a bit pattern: bit k set where the k-th cut column is not All
    code = np.zeros(frame.height, dtype=np.int64)
    for k, column in enumerate(columns):
        code |= frame[column].ne_missing(ALL).to_numpy().astype(np.int64) << k
    span = 1 << len(columns)
    for key in keys:
        values = frame[key].to_numpy().astype(np.int64)
        if not len(values):
            break
        low, high = int(values.min()), int(values.max())
        if span * (high - low + 1) >= 1 << 62:  # pragma: no cover - years and ids are small
            msg = f"the values of {key} do not fit a family code (this is a bug in wres)"
            raise InternalError(msg)
        code += (values - low) * span
        span *= high - low + 1
    return code


def adjust_within(
    p: npt.NDArray[np.float64],
    families: npt.NDArray[np.int64],
    *,
    method: Literal["bh", "holm"],
) -> npt.NDArray[np.float64]:
    """``adjust`` within each family; NaN (no test) stays NaN and counts in no family."""
    out = np.full(len(p), np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    if not len(tested):
        return out
    order = tested[np.argsort(families[tested], kind="stable")]
    sorted_families = families[order]
    starts = np.flatnonzero(np.diff(sorted_families)) + 1
    for members in np.split(order, starts):
        out[members] = adjust(p[members], method=method)
    return out
