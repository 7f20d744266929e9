"""Independent pieces of work as Spark tasks, one task each (``wres run --engine spark``: a
run's protected parts, ``wres.rules.run_parts``), their results collected on the driver.

The same :class:`wres.engine.parallel.Runner` shape as the local ones: the results come back in
the items' order, whatever executor ran each, so the output is the same as ``--jobs 1``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from wres.engine.parallel import largest_first
from wres.engine.progress import PARTS, Progress
from wres.engine.spark.session import quiet_pyspark, spark_session

T = TypeVar("T")
R = TypeVar("R")


def _indexed(work: Callable[[T], R], item: tuple[int, T]) -> tuple[int, R]:
    return item[0], work(item[1])


def on_spark(
    work: Callable[[T], R], items: Sequence[T], *, weights: Sequence[int], progress: Progress
) -> list[R]:
    """Every item a task of its own on the running Spark session (or a new one in local
    mode), the largest first; ``work`` must be importable where the tasks run (a function of
    an installed module)."""
    if not items:
        return []
    session = spark_session()
    order = largest_first(weights)
    progress(PARTS, 0, len(items))
    with quiet_pyspark():
        tasks = session.sparkContext.parallelize([(i, items[i]) for i in order], len(order))
        found = dict(tasks.map(partial(_indexed, work)).collect())
    progress(PARTS, len(items), len(items))
    return [found[i] for i in range(len(items))]
