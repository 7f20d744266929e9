"""An attacker written for the tests, independent of wres.rules.table and wres.engine.protection.

It builds the relations itself from the hierarchies (parent = sum of children, along every
dimension, for every combination of the other coordinates) and finds each withheld cell's
integer interval with its own integer programmes (scipy's milp).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

Key = tuple[str, ...]


def relations(
    trees: Sequence[Mapping[str, str | None]], keys: Iterable[Key]
) -> list[list[tuple[Key, int]]]:
    """Each relation as (cell, coefficient) pairs: +1 per child, -1 for the total.

    ``trees[d]`` maps every node label of dimension d to its parent (None for the total)."""
    present = set(keys)
    rows = []
    for key in sorted(present):
        for d, tree in enumerate(trees):
            kids = [c for c, p in tree.items() if p == key[d]]
            if not kids:
                continue
            members = [(*key[:d], c, *key[d + 1 :]) for c in kids]
            if all(m in present for m in members):
                rows.append([(key, -1)] + [(m, 1) for m in members])
    return rows


def integer_interval(
    rows: list[list[tuple[Key, int]]],
    lower: Mapping[Key, float],
    upper: Mapping[Key, float],
    cell: Key,
) -> tuple[float, float]:
    """The smallest and largest integer value of ``cell`` (inf when unbounded)."""
    keys = sorted(lower)
    index = {k: i for i, k in enumerate(keys)}
    a = np.zeros((len(rows), len(keys)))
    for r, row in enumerate(rows):
        for key, coef in row:
            a[r, index[key]] = coef
    bounds = Bounds(np.array([lower[k] for k in keys]), np.array([upper[k] for k in keys]))
    constraints = [LinearConstraint(a, 0, 0)] if rows else []
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(keys))
        c[index[cell]] = sign
        result = milp(c, integrality=np.ones(len(keys)), bounds=bounds, constraints=constraints)
        if result.status == 3 or (result.status != 0 and sign < 0):
            out.append(math.inf)
            continue
        assert result.status == 0, result.message
        out.append(sign * result.fun)
    return round(out[0]), out[1] if math.isinf(out[1]) else round(out[1])
