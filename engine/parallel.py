"""Work in independent pieces, run one after another or in parallel: the shape every runner
of a run's protected parts has (``wres.rules.run_parts``), this process's and a pool of
processes'. (Spark's is ``wres.engine.spark.parts``.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Protocol, TypeVar

from wres.engine.progress import PARTS, Progress

T = TypeVar("T")
R = TypeVar("R")


class Runner(Protocol):
    """Runs ``work`` on every item and returns the results in the items' order; ``weights``
    (one per item, larger for more work) may decide the order they start in, never the
    result."""

    def __call__(
        self,
        work: Callable[[T], R],
        items: Sequence[T],
        *,
        weights: Sequence[int],
        progress: Progress,
    ) -> list[R]: ...


def in_process(
    work: Callable[[T], R], items: Sequence[T], *, weights: Sequence[int], progress: Progress
) -> list[R]:
    """One part after another in this process (``--jobs 1``)."""
    del weights
    out = []
    for i, item in enumerate(items):
        progress(PARTS, i, len(items))
        out.append(work(item))
    progress(PARTS, len(items), len(items))
    return out


def largest_first(weights: Sequence[int]) -> list[int]:
    """The items' positions, the most work first (ties in the items' order)."""
    return sorted(range(len(weights)), key=lambda i: (-weights[i], i))


def default_jobs() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class ProcessPool:
    """Parts in ``jobs`` processes of their own (``--jobs N``), the largest started first;
    a small run's in this process.

    The processes are started fresh (``spawn``): a forked copy of a process running polars'
    threads can hang. At most twice ``jobs`` parts wait in the pool at a time, so only those
    are copied to it at once."""

    jobs: int
    #: below this much work in all (the items' weights: a run's cells), the items run in this
    #: process: starting the processes (each imports wres and loads its compiled kernels, a
    #: few seconds) would cost more than it saves
    at_least: int = 50_000

    def __call__(
        self,
        work: Callable[[T], R],
        items: Sequence[T],
        *,
        weights: Sequence[int],
        progress: Progress,
    ) -> list[R]:
        if self.jobs <= 1 or len(items) <= 1 or sum(weights) < self.at_least:
            return in_process(work, items, weights=weights, progress=progress)
        order = largest_first(weights)
        results: dict[int, R] = {}
        waiting: dict[Future[R], int] = {}
        workers = min(self.jobs, len(items))
        progress(PARTS, 0, len(items))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for i in order:
                while len(waiting) >= 2 * workers:
                    self._collect(waiting, results, progress, len(items))
                waiting[pool.submit(work, items[i])] = i
            while waiting:
                self._collect(waiting, results, progress, len(items))
        return [results[i] for i in range(len(items))]

    @staticmethod
    def _collect(
        waiting: dict[Future[R], int], results: dict[int, R], progress: Progress, total: int
    ) -> None:
        finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=lambda f: waiting[f]):
            results[waiting.pop(future)] = future.result()
        progress(PARTS, len(results), total)
