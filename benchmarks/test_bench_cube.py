"""The count cube against the group-bys it replaces, timed in the same run.

Run with ``python -m pytest benchmarks/test_bench_cube.py --benchmark-enable``. Both sides of each
comparison are timed here (best of several runs, the JIT warmed up first) so that the ratio
printed and asserted comes from one run on one machine; the benchmark table shows our side again.

What "our cube" includes: the records are a polars frame whose five key columns are Enums (the
categorical codes the readers produce); counting takes their physical codes, numbers each
column's labels in the run's dictionaries, and counts every row into the dense array in one
fused numba pass (:class:`wres.engine.cube.CubeBuilder`). The baselines start from the same frame
(polars ``group_by(...).len()``) or from the codes already in numpy arrays (``ravel_multi_index``
then ``bincount``: the memory-bandwidth floor of counting).
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import polars as pl
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.timing import best_seconds
from wres.engine.cube import CountCube, CubeBuilder, Dictionary, encode

ROWS = 10_000_000
KEYS = {"ethnicity": 17, "band": 13, "site": 40, "year": 10, "outcome": 2}


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    rng = np.random.default_rng(20261127)
    columns = {}
    for name, size in KEYS.items():
        labels = [f"{name} {i}" for i in range(size)]
        codes = pl.Series(rng.integers(0, size, ROWS).astype(np.uint32))
        columns[name] = pl.Series(labels, dtype=pl.Enum(labels)).gather(codes)
    return pl.DataFrame(columns)


def count_cube(records: pl.DataFrame) -> CountCube:
    dictionaries = {name: Dictionary() for name in KEYS}
    builder = CubeBuilder(list(KEYS), [], dictionaries)
    builder.add([encode(records[name]) for name in KEYS])
    return builder.cube()


def test_counting_ten_million_rows(benchmark: BenchmarkFixture, records: pl.DataFrame) -> None:
    codes = [records[name].to_physical().to_numpy().astype(np.intp) for name in KEYS]
    shape = tuple(KEYS.values())

    def numpy_floor() -> np.ndarray:
        return np.bincount(np.ravel_multi_index(codes, shape), minlength=math.prod(shape))

    def polars_group_by() -> pl.DataFrame:
        return records.group_by(list(KEYS)).len()

    cube = count_cube(records)
    assert (cube.counts[..., 0].ravel() == numpy_floor()).all()  # same cells, same counts
    ours = best_seconds(lambda: count_cube(records), 5, warm_up=True)
    floor = best_seconds(numpy_floor, 5, warm_up=True)
    group_by = best_seconds(polars_group_by, 3, warm_up=True)
    print(
        f"\ncounting {ROWS:,} rows, 5 keys: cube {ours * 1e3:.0f} ms, "
        f"polars group_by {group_by * 1e3:.0f} ms ({group_by / ours:.1f}x), "
        f"numpy ravel_multi_index + bincount {floor * 1e3:.0f} ms (cube/numpy {ours / floor:.2f})"
    )
    assert group_by / ours >= 5
    assert ours / floor <= 2
    benchmark(count_cube, records)


def _lattice(axes: list[str]) -> list[list[str]]:
    """Every subset of ``axes``, largest first, so that a cut can start from a computed one."""
    return [list(c) for k in range(len(axes), -1, -1) for c in combinations(axes, k)]


def every_cut(cube: CountCube) -> list[np.ndarray]:
    fresh = CountCube(cube.axes, cube.labels, cube.channels, cube.counts)  # no marginals yet
    return [fresh.marginal(cut).counts for cut in _lattice(list(KEYS))]


def test_every_cut_of_a_five_dimension_lattice(
    benchmark: BenchmarkFixture, records: pl.DataFrame
) -> None:
    cube = count_cube(records)
    cuts = _lattice(list(KEYS))
    assert len(cuts) == 32

    def group_bys(frame: pl.DataFrame, count: pl.Expr) -> list[pl.DataFrame]:
        return [frame.group_by(cut).agg(count) if cut else frame.select(count) for cut in cuts]

    table = cube.to_frame()  # the long count table: one row per occupied cell
    ours = best_seconds(lambda: every_cut(cube), 5, warm_up=True)
    on_records = best_seconds(lambda: group_bys(records, pl.len()), 1, warm_up=True)
    on_table = best_seconds(lambda: group_bys(table, pl.col("rows").sum()), 3, warm_up=True)
    print(
        f"\nall 32 cuts: cube {ours * 1e3:.1f} ms; 32 polars group-bys over the {ROWS:,} records "
        f"{on_records * 1e3:.0f} ms ({on_records / ours:.0f}x), over the {table.height:,}-row "
        f"count table {on_table * 1e3:.0f} ms ({on_table / ours:.1f}x)"
    )
    assert on_records / ours >= 20
    benchmark(every_cut, cube)
