"""Cubes compared label for label: an axis's codes are only a numbering, so two cubes counted
apart (by Spark's partitions, by the local engine) agree in labels and counts, not in codes."""

from __future__ import annotations

from typing import Any

import numpy as np

from wres.engine.cube import CountCube


def in_label_order(cube: CountCube) -> tuple[tuple[Any, ...], np.ndarray]:
    """A cube's labels and counts with every axis sorted by label (codes are a numbering)."""
    labels, counts = [], cube.counts
    for axis, found in enumerate(cube.labels):
        order = sorted(range(len(found)), key=lambda i: (found[i] is None, str(found[i])))
        labels.append(tuple(found[i] for i in order))
        counts = np.take(counts, order, axis=axis)
    return tuple(labels), counts
