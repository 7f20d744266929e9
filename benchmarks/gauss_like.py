"""A GAUSS-like baseline for the secondary suppression benchmark, written apart from the
protection code (nothing of ``wres.engine.protection`` or ``wres.rules.secondary`` is used).

After Langsrud's Gaussian elimination method (SSBtools ``GaussSuppression``, which sdcTable's
``method = "GAUSS"`` calls): every cell is a sum of inner cells (the table's leaves), a column
of ``X``. The candidates for publication are taken in order of preference (zeros first, since
they are published anyway; then the largest counts first); each is reduced by Gaussian
elimination against the cells published so far. A candidate already in their span adds
nothing and is published; one whose publication would put a primary cell in the span (so the
attacker could solve for it exactly) is withheld; any other is published and becomes a pivot.
This protects against exact recovery by linear algebra only: the bounds (a withheld count is at
least 1) and the width of the attacker's interval are not looked at.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wres.rules.table import LinkedTables

BoolArray = npt.NDArray[np.bool_]
#: Entries smaller than this are zero.
TOLERANCE = 1e-9


def inner_matrix(tables: LinkedTables) -> npt.NDArray[np.float64]:
    """``X``: inner cells (leaves of the full cross) x cells, 1 where the leaf is in the cell."""
    per_dim = []
    for d, h in enumerate(tables.hierarchies):
        leaves = np.flatnonzero(h.is_leaf)
        under = np.zeros((len(h.labels), len(leaves)), np.float64)
        for j, leaf in enumerate(leaves):
            under[h.ancestors(int(leaf)), j] = 1.0
        per_dim.append(under[tables.coords[:, d]])  # cells x leaves of dimension d
    x = per_dim[0]
    for part in per_dim[1:]:  # cells x (leaves so far * leaves of this dimension)
        x = (x[:, :, None] * part[:, None, :]).reshape(len(x), -1)
    return np.ascontiguousarray(x.T)


def gauss_like(tables: LinkedTables, primary: BoolArray, publish_always: BoolArray) -> BoolArray:
    """The withheld cells: ``primary`` and the candidates whose publication would let a primary
    cell be solved for. ``publish_always`` (zeros) are published first, whatever they reveal."""
    m = inner_matrix(tables)
    values = tables.values
    primaries = np.flatnonzero(primary)
    others = np.flatnonzero(~primary)
    order = others[np.lexsort((tables.codes[others], -values[others], ~publish_always[others]))]
    hidden = primary.copy()
    for c in order.tolist():
        r = m[:, c].copy()
        m[:, c] = 0.0
        rows = np.flatnonzero(np.abs(r) > TOLERANCE)
        if not len(rows):
            continue  # already known from what is published
        i = int(rows[np.argmax(np.abs(r[rows]))])
        if not publish_always[c]:
            touched = primaries[np.abs(m[i, primaries]) > TOLERANCE]
            if len(touched):
                rest = m[:, touched] - np.outer(r, m[i, touched] / r[i])
                if (np.abs(rest) <= TOLERANCE).all(axis=0).any():
                    hidden[c] = True
                    continue
        cols = np.flatnonzero(np.abs(m[i]) > TOLERANCE)
        if len(cols):
            m[np.ix_(rows, cols)] -= np.outer(r[rows], m[i, cols] / r[i])
            m[i, cols] = 0.0
    return hidden
