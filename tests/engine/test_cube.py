"""The count cube: every cell of every cut equals a plain polars group-by of the same records.

The kernels are checked against ``np.add.at`` (an obviously correct reference), the encoders
against the values they encode, and whole cubes against polars: for random records, random cut
sets and random chunkings, each marginal's cells are the group-by's counts and sums, whether the
records were counted at once or chunk by chunk.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wres.engine._kernels import cube as kernels
from wres.engine.cube import (
    ROWS,
    CountCube,
    CubeBuilder,
    Dictionary,
    Grouping,
    encode,
    encode_joint,
)
from wres.engine.errors import InternalError

# --- the kernels against np.add.at ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
@pytest.mark.parametrize("weighted", ["none", "bool", "int"])
def test_kernels_match_add_at(dtype: type, weighted: str) -> None:
    rng = np.random.default_rng(5)
    sizes = [3, 5, 2, 7]
    n = 5000
    local = [rng.integers(0, s + 2, n).astype(dtype) for s in sizes]  # chunk numbering, wider
    remap = np.zeros((len(sizes), max(sizes) + 2), dtype=np.int64)
    for axis, size in enumerate(sizes):
        remap[axis, : size + 2] = rng.integers(0, size, size + 2)
    strides = np.array([math.prod(sizes[a + 1 :]) for a in range(len(sizes))], np.int64)
    cells = sum(strides[a] * remap[a, local[a].astype(np.int64)] for a in range(len(sizes)))
    weights: tuple[np.ndarray, ...] = ()
    if weighted == "bool":
        weights = tuple(rng.random(n) < p for p in (0.1, 0.5))
    elif weighted == "int":
        weights = tuple(rng.integers(0, 50, n).astype(np.int64) for _ in range(3))
    out = np.zeros((math.prod(sizes), 1 + len(weights)), dtype=np.int64)
    if weights:
        kernels.count_weighted(tuple(local), remap, strides, weights, out)
    else:
        kernels.count_rows(tuple(local), remap, strides, out)
    expected = np.zeros_like(out)
    np.add.at(expected[:, 0], cells, 1)
    for c, w in enumerate(weights):
        np.add.at(expected[:, c + 1], cells, w.astype(np.int64))
    assert (out == expected).all()


# --- encoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "series",
    [
        pl.Series(["b", "a", None, "b", "c"]),
        pl.Series(["x", "y"]),
        pl.Series([None, None], dtype=pl.String),
        pl.Series(["b", None, "a"]).cast(pl.Categorical),
        pl.Series(["a", None]).cast(pl.Enum(["z", "a"])),
        pl.Series([2024, None, 2015], dtype=pl.Int16),
        pl.Series([3, 10**9, None]),
        pl.Series([True, None, False]),
    ],
)
def test_encode_gives_back_every_value(series: pl.Series) -> None:
    encoded = encode(series)
    assert [encoded.labels[c] for c in encoded.codes] == series.to_list()
    used = encoded.used if encoded.used is not None else np.ones(len(encoded.labels), bool)
    marked = {i for i in range(len(encoded.labels)) if used[i]}
    if isinstance(series.dtype, pl.Enum):  # every category, blank only when there is one
        assert marked >= set(encoded.codes.tolist())
    else:
        assert marked == set(encoded.codes.tolist())


def test_an_enums_categories_enter_the_dictionary_and_blank_only_when_seen() -> None:
    dictionary = Dictionary()
    dictionary.codes_of(encode(pl.Series(["a", "a"]).cast(pl.Enum(["z", "a"]))))
    assert dictionary.labels == ["z", "a"]
    dictionary.codes_of(encode(pl.Series(["a", None]).cast(pl.Enum(["z", "a"]))))
    assert dictionary.labels == ["z", "a", None]


def test_a_joint_axis_is_the_tuple_of_its_columns() -> None:
    left = pl.Series(["A", "A", None, "H", "A"])
    right = pl.Series(["White", "White", "Unknown", "BME", "White"])
    encoded = encode_joint([left, right])
    values = [encoded.labels[c] for c in encoded.codes]
    assert values == list(zip(left.to_list(), right.to_list(), strict=True))
    assert len(encoded.labels) == 3


def test_a_dictionary_keeps_codes_across_chunks() -> None:
    dictionary = Dictionary()
    chunks = [encode(pl.Series(["b", "a"])), encode(pl.Series(["c", "a", None, "b"]))]
    remaps = [dictionary.codes_of(chunk) for chunk in chunks]
    assert sorted(dictionary.labels, key=str) == [None, "a", "b", "c"]
    for chunk, remap in zip(chunks, remaps, strict=True):
        for code, label in enumerate(chunk.labels):
            if chunk.used is None or chunk.used[code]:
                assert dictionary.labels[remap[code]] == label


def test_wrong_shapes_are_internal_errors() -> None:
    builder = CubeBuilder(["a"], [], {"a": Dictionary()})
    with pytest.raises(InternalError, match="bug"):
        builder.add([])
    cube = builder.cube()
    with pytest.raises(InternalError, match="bug"):
        cube.marginal(["b"])
    with pytest.raises(InternalError, match="bug"):
        CountCube(("a",), ((1, 2),), (ROWS,), np.zeros((3, 1), np.int64))


# --- cubes and cuts against polars group-by -------------------------------------------------------

AXES = ("year", "band", "site", "ethnicity")


def _records(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    bands = ["Band 5", "Band 6", "VSM", None]
    sites = [f"Site {i}" for i in range(12)] + [None]
    return pl.DataFrame(
        {
            "year": rng.integers(2015, 2025, n).astype(np.int16),
            "band": pl.Series([bands[i] for i in rng.integers(0, len(bands), n)], dtype=pl.String),
            "site": pl.Series([sites[i] for i in rng.integers(0, len(sites), n)], dtype=pl.String),
            "category": pl.Series(
                [("A", "H", None)[i] for i in rng.integers(0, 3, n)], dtype=pl.String
            ),
            "wres": pl.Series(rng.choice(np.array(["White", "BME", "Unknown"]), n)),
            "event": rng.random(n) < 0.3,
            "count": rng.integers(0, 9, n),
        }
    )


def _count(frame: pl.DataFrame, chunk_rows: int, weights: str) -> CountCube:
    dictionaries = {a: Dictionary() for a in AXES}
    builder = CubeBuilder(AXES, ["event"], dictionaries)
    for offset in range(0, frame.height, chunk_rows):
        chunk = frame.slice(offset, chunk_rows)
        keys = [
            encode(chunk["year"]),
            encode(chunk["band"].cast(pl.Categorical) if weights == "int" else chunk["band"]),
            encode(chunk["site"]),
            encode_joint([chunk["category"], chunk["wres"]]),
        ]
        weight = chunk["event"] if weights == "bool" else chunk["count"]
        builder.add(keys, [weight.to_numpy()])
    return builder.cube()


Groups = dict[tuple[object, ...], tuple[int, int]]


def _as_groups(cube: CountCube, keep: list[str]) -> Groups:
    """The cells of a marginal with any row: labels -> (rows, events)."""
    counts = cube.marginal(keep).counts
    if not keep:
        return {(): (int(counts[0]), int(counts[1]))} if counts[0] else {}
    out: Groups = {}
    for index in zip(*np.nonzero(counts[..., 0]), strict=True):
        key = tuple(cube.labels_of(axis)[i] for axis, i in zip(keep, index, strict=True))
        out[key] = (int(counts[index][0]), int(counts[index][1]))
    return out


def _group_by(frame: pl.DataFrame, keep: list[str], weights: str) -> Groups:
    """The same by a plain polars group-by of the records."""
    weight = "event" if weights == "bool" else "count"
    if not keep:
        return {(): (frame.height, int(frame[weight].sum()))} if frame.height else {}
    named = frame.with_columns(ethnicity=pl.struct("category", "wres"))
    grouped = named.group_by(keep).agg(rows=pl.len(), event=pl.col(weight).sum())
    out: Groups = {}
    for row in grouped.iter_rows(named=True):
        key = tuple(
            (row[k]["category"], row[k]["wres"]) if k == "ethnicity" else row[k] for k in keep
        )
        out[key] = (int(row["rows"]), int(row["event"]))
    return out


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 400),
    seed=st.integers(0, 10_000),
    chunk_rows=st.integers(1, 500),
    cuts=st.lists(st.lists(st.sampled_from(AXES), unique=True), min_size=1, max_size=6),
    weights=st.sampled_from(["bool", "int"]),
)
def test_every_cell_of_every_cut_equals_a_polars_group_by(
    n: int, seed: int, chunk_rows: int, cuts: list[list[str]], weights: str
) -> None:
    frame = _records(n, seed)
    chunked = _count(frame, chunk_rows, weights)
    whole = _count(frame, max(n, 1), weights)
    # the same cells (codes may differ: a label's code is the order in which it was first seen)
    assert _as_groups(chunked, list(AXES)) == _as_groups(whole, list(AXES))
    for keep in cuts:  # in the order drawn: later cuts reuse earlier marginals
        assert _as_groups(chunked, keep) == _group_by(frame, keep, weights)


#: A grouping of the records' bands, as a band cluster groups bands.
CLUSTER = {"Band 5": "mid", "Band 6": "mid", "VSM": "top", None: None}


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 300),
    seed=st.integers(0, 10_000),
    cuts=st.lists(
        st.lists(st.sampled_from([*AXES, "cluster"]), unique=True).filter(
            lambda keep: "cluster" in keep
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_grouped_axis_is_the_group_by_of_the_grouped_labels(
    n: int, seed: int, cuts: list[list[str]]
) -> None:
    # a derived axis (band clusters from bands) is computed from the counts, never counted:
    # each marginal keeping it, with or without its source, is a polars group-by of the
    # records with the cluster written into them
    frame = _records(n, seed)
    cube = _count(frame, max(n, 1), "int")
    grouped = cube.with_grouping(Grouping.of("cluster", "band", cube.labels_of("band"), CLUSTER))
    mapped = frame.with_columns(cluster=pl.col("band").replace_strict(CLUSTER, default=None))
    for keep in cuts:
        assert _as_groups(grouped, keep) == _group_by(mapped, keep, "int")
    # the cube without the grouping is unchanged by it
    assert _as_groups(cube, ["band"]) == _group_by(frame, ["band"], "int")
    with pytest.raises(InternalError, match="bug"):
        grouped.select("band", "VSM")


def test_marginals_reuse_the_smallest_marginal_computed() -> None:
    cube = _count(_records(2000, 3), 2000, "bool")
    first = cube.marginal(["year", "band", "site"])
    second = cube.marginal(["band", "year"])
    assert (second.counts == first.counts.sum(axis=2).transpose(1, 0, 2)).all()
    assert frozenset(["band", "year"]) in cube._marginals  # the cache is the point


def test_select_takes_one_label_and_drops_the_axis() -> None:
    cube = _count(_records(500, 4), 500, "int")
    band = cube.labels_of("band")[0]
    selected = cube.select("band", band)
    assert selected.axes == ("year", "site", "ethnicity")
    position = cube.axes.index("band")
    assert (selected.counts == np.take(cube.counts, 0, axis=position)).all()
    absent = cube.select("band", "no such band")
    assert absent.counts.sum() == 0


def test_to_frame_lists_the_cells_with_rows() -> None:
    frame = _records(300, 8)
    cube = _count(frame, 50, "bool")
    table = cube.to_frame({"ethnicity": ("category", "wres")})
    assert table["rows"].sum() == 300
    assert set(table.columns) == {"year", "band", "site", "category", "wres", "rows", "event"}
