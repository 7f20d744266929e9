"""The count stage on Apache Spark: the same cube, so the same pack, as the local engine.

Spark runs in local mode (``local[2]``), one session for the module. Its files are split into
many small partitions (tiny row groups, tiny splits), some of them empty, so that every extract
spans several; DataFrames are also repartitioned (into more partitions than rows, for the
board). A run on Spark must give the local engine's cubes, label for label and cell for cell,
hence byte-identical files in publish/, the same reconciliation and the same problems, rows
numbered as in the file. Without PySpark or Java, a run stops with a message naming what to
install (exit 2), never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.engine.label_order import in_label_order
from wres.cli.app import app
from wres.cli.pack import write_pack
from wres.cli.pipeline import run
from wres.cli.request import RunRequest
from wres.engine.counts import Block, count_records
from wres.engine.errors import BadInputError, ConfigError
from wres.engine.ethnicity import default_scheme
from wres.engine.readers import ExtractReader
from wres.engine.reconciliation import Reconciliation
from wres.engine.spark import count_dataframes, count_request, sources_of
from wres.engine.spark.partitions import _chunks
from wres.engine.spark.session import JAVA_PACKAGE, require_java, require_pyspark
from wres.engine.standards import load_standard
from wres.engine.synth import parse_years, write_synthetic
from wres.rules.policy import load_policy

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet:FutureWarning")

EXTRACTS = ("staff", "applications", "survey", "board")
RECORDS = 1500  # per extract: enough for every band and site, small enough for a quick pack
ROW_GROUP = 100
SPLIT_BYTES = "16384"  # Spark reads a file in pieces of this size: a few per file here
NOTHING_WITHHELD = "nothing withheld"  # a policy that publishes every count
runner = CliRunner()
Counted = tuple[Mapping[int, tuple[Block, ...]], list[Any], list[Reconciliation]]


def _java_missing() -> str | None:
    try:
        require_java(require_pyspark())
    except ConfigError as err:
        return str(err)
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark session for the module, reading files in pieces of SPLIT_BYTES."""
    missing = _java_missing()
    if missing is not None:
        pytest.skip(missing)
    from pyspark.sql import SparkSession  # noqa: PLC0415  # only once Java is known to be there

    python = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import this wres
    session = (
        SparkSession.builder.master("local[2]")
        .appName("wres-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.files.maxPartitionBytes", SPLIT_BYTES)
        .config("spark.sql.files.openCostInBytes", "0")
        # a JVM for a few minutes of small jobs: its quick compiler only (the optimising one
        # costs more than it gains here) and the serial garbage collector
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if python is None:
        del os.environ["PYSPARK_PYTHON"]
    else:
        os.environ["PYSPARK_PYTHON"] = python


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic extracts of one trust over two years, thinned to RECORDS rows each and written
    in row groups of ROW_GROUP rows (so Spark reads each file in many partitions)."""
    synth = tmp_path_factory.mktemp("synth")
    write_synthetic(synth, trusts=1, years=parse_years("2023-2024"), seed=11)
    folder = tmp_path_factory.mktemp("data")
    for name in EXTRACTS:
        frame = pl.read_parquet(synth / f"{name}.parquet")
        frame = frame.sample(min(frame.height, RECORDS), seed=3, shuffle=True)
        frame.write_parquet(folder / f"{name}.parquet", row_group_size=ROW_GROUP)
    return folder


def files(folder: Path, suffix: str = ".parquet") -> dict[str, Path]:
    return {name: folder / f"{name}{suffix}" for name in EXTRACTS}


def local_counts(extracts: Mapping[str, Path], dims: list[str], **kwargs: Any) -> Counted:
    readers = {name: ExtractReader(path, name, **kwargs) for name, path in extracts.items()}
    counts, missing = count_records(readers, load_standard("wres"), dims)
    return counts, missing, [r.report for r in readers.values()]


def spark_counts(extracts: Mapping[str, Path], dims: list[str], **kwargs: Any) -> Counted:
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=load_policy("wres-default"),
        extracts=extracts,
        engine="spark",
        **kwargs,
    )
    return count_request(request, sources_of(request), dims)


def assert_same_counts(ours: Counted, theirs: Counted, *, same_codes: bool) -> None:
    """The same blocks of the same cubes: the same labels on every axis, the same counts in every
    cell and channel (in the same numbering too, with ``same_codes``), the same reconciliation."""
    counts, missing, reports = ours
    other_counts, other_missing, other_reports = theirs
    assert missing == other_missing
    assert counts.keys() == other_counts.keys()
    for indicator, blocks in counts.items():
        for a, b in zip(blocks, other_counts[indicator], strict=True):
            assert (a.variant, a.board, a.numerator, a.denominator, a.presence) == (
                b.variant,
                b.board,
                b.numerator,
                b.denominator,
                b.presence,
            )
            assert (a.cube.axes, a.cube.channels) == (b.cube.axes, b.cube.channels)
            if same_codes:
                assert a.cube.labels == b.cube.labels
                np.testing.assert_array_equal(a.cube.counts, b.cube.counts)
            else:
                labels, cells = in_label_order(a.cube)
                other_labels, other_cells = in_label_order(b.cube)
                assert labels == other_labels
                np.testing.assert_array_equal(cells, other_cells)
    assert [_unfiled(r) for r in reports] == [_unfiled(r) for r in other_reports]


def _unfiled(report: Reconciliation) -> Reconciliation:
    """A report without the paths of its files (Spark may name a source otherwise)."""
    spellings = {s: replace(f, file=Path()) for s, f in report.unrecognised_ethnicity.items()}
    return replace(report, files=(), unrecognised_ethnicity=spellings)


# --- the cube --------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [["band"], ["organisation", "region", "site", "band"]])
def test_files_counted_on_spark_give_the_local_cubes(
    spark: Any, data: Path, dims: list[str]
) -> None:
    partitions = spark.read.parquet(str(data / "staff.parquet")).rdd.getNumPartitions()
    assert partitions >= 3  # the file is read in several pieces
    assert_same_counts(
        spark_counts(files(data), dims), local_counts(files(data), dims), same_codes=False
    )
    # in one partition, read in the local engine's chunks, the labels are numbered alike too
    whole = {"survey": data / "survey.parquet"}
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(1 << 27))
    try:
        ours = spark_counts(whole, dims, chunk_rows=ROW_GROUP * 3)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", SPLIT_BYTES)
    assert_same_counts(ours, local_counts(whole, dims, chunk_rows=ROW_GROUP * 3), same_codes=True)


def test_dataframes_in_many_and_empty_partitions_give_the_local_cubes(
    spark: Any, data: Path
) -> None:
    frames = {
        # a trust's own column name, found through the mapping
        name: spark.read.parquet(str(path)).withColumnRenamed("ethnicity", "Ethnic Origin")
        for name, path in files(data).items()
    }
    frames["staff"] = frames["staff"].repartition(50)
    frames["survey"] = frames["survey"].repartition(9, "year")
    # more partitions than records: most hold none
    frames["board"] = frames["board"].repartition(frames["board"].count() * 3)
    dims = ["site", "band"]
    ours = count_dataframes(frames, dims, mapping={"ethnicity": "Ethnic Origin"})
    assert_same_counts(ours, local_counts(files(data), dims), same_codes=False)


@pytest.mark.parametrize("delimiter", [",", ";"], ids=["comma", "semicolon"])
def test_csv_files_counted_on_spark_give_the_local_cubes(
    spark: Any, data: Path, tmp_path: Path, delimiter: str
) -> None:
    for name, path in files(data).items():
        pl.read_parquet(path).write_csv(tmp_path / f"{name}.csv", separator=delimiter)
    dims = ["site", "band"]
    assert_same_counts(
        spark_counts(files(tmp_path, ".csv"), dims),
        local_counts(files(tmp_path, ".csv"), dims),
        same_codes=False,
    )


# --- the pack ---------------------------------------------------------------------------------


def wres_run(data: Path, out: Path, *options: str) -> None:
    inputs = [arg for name, path in files(data).items() for arg in (f"--{name}", str(path))]
    result = runner.invoke(app, ["run", *inputs, *options, "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("cuts", "policy"),
    [
        # with nothing withheld every count is published: the strictest comparison (the
        # disclosure control after the cube is the same code on either engine, and slow)
        (("--by", "band"), NOTHING_WITHHELD),
        (("--by", "site,band"), NOTHING_WITHHELD),
        (("--by", "band", "--by", "site", "--lattice"), NOTHING_WITHHELD),
        # the protection's parts (two years, four families of measures) as Spark tasks
        (("--by", "site", "--jobs", "1"), "wres-default"),
    ],
    ids=["band", "site-band", "lattice", "site-protected-in-parts"],
)
def test_a_run_on_spark_publishes_the_local_pack_byte_for_byte(
    spark: Any, data: Path, tmp_path: Path, cuts: tuple[str, ...], policy: str
) -> None:
    if policy == NOTHING_WITHHELD:
        policy = str(tmp_path / "nothing-withheld.toml")
        Path(policy).write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    wres_run(data, tmp_path / "local", *cuts, "--policy", policy)
    wres_run(data, tmp_path / "spark", *cuts, "--policy", policy, "--engine", "spark")
    published = sorted(p.name for p in (tmp_path / "local" / "publish").iterdir())
    assert "indicators.csv" in published
    for name in published:
        local = (tmp_path / "local" / "publish" / name).read_bytes()
        assert (tmp_path / "spark" / "publish" / name).read_bytes() == local, name
    for name in ("reconciliation.csv", "decisions.csv", "not_computed.csv"):
        local = (tmp_path / "local" / "restricted" / name).read_bytes()
        assert (tmp_path / "spark" / "restricted" / name).read_bytes() == local, name


def test_a_notebook_run_and_wres_toml_choose_spark_too(
    spark: Any, data: Path, tmp_path: Path
) -> None:
    wres_run(data, tmp_path / "local", "--by", "band")
    settings = tmp_path / "wres.toml"
    settings.write_text('[run]\nengine = "spark"\nby = ["band"]\n', encoding="utf-8")
    inputs = [arg for name, path in files(data).items() for arg in (f"--{name}", str(path))]
    out = tmp_path / "toml"
    result = runner.invoke(
        app, ["--config", str(settings), "run", *inputs, "-q", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # a notebook's run: a DataFrame for the staff extract, files for the others
    request = RunRequest(
        standard=load_standard("wres"),
        scheme=default_scheme(),
        policy=load_policy("wres-default"),
        extracts={name: path for name, path in files(data).items() if name != "staff"},
        frames={"staff": spark.read.parquet(str(data / "staff.parquet")).repartition(7)},
        by=[["band"]],
        engine="spark",
    )
    write_pack(tmp_path / "notebook", run(request))
    expected = (tmp_path / "local" / "publish" / "indicators.csv").read_bytes()
    for name in ("toml", "notebook"):
        assert (tmp_path / name / "publish" / "indicators.csv").read_bytes() == expected, name


# --- problems ---------------------------------------------------------------------------------


def test_problems_are_those_of_the_local_engine_with_the_files_rows(
    spark: Any, data: Path, tmp_path: Path
) -> None:
    staff = pl.read_parquet(data / "staff.parquet")
    n = staff.height
    staff = staff.with_columns(
        training=pl.when(pl.int_range(n).is_in([7, 777, 1333]))
        .then(pl.lit("maybe"))
        .otherwise(pl.col("training").cast(pl.String)),
        # a staff member twice in a year, far apart in the file (other partitions)
        staff_id=pl.when(pl.int_range(n) == n - 2)
        .then(pl.col("staff_id").first())
        .otherwise(pl.col("staff_id")),
        year=pl.when(pl.int_range(n) == n - 2)
        .then(pl.col("year").first())
        .otherwise(pl.col("year")),
        organisation=pl.when(pl.int_range(n) == n - 2)
        .then(pl.col("organisation").first())
        .otherwise(pl.col("organisation")),
        bank=pl.when(pl.int_range(n) == n - 2).then(pl.lit(value=False)).otherwise(pl.col("bank")),
    )
    if staff["bank"][0]:  # the first row must be used for its key to repeat
        staff = staff.with_columns(bank=pl.int_range(n) == -1)
    path = tmp_path / "staff.parquet"
    staff.write_parquet(path, row_group_size=ROW_GROUP)
    with pytest.raises(BadInputError) as local:
        local_counts({"staff": path}, ["band"], chunk_rows=200)
    with pytest.raises(BadInputError) as ours:
        spark_counts({"staff": path}, ["band"])
    assert [str(p) for p in ours.value.problems] == [str(p) for p in local.value.problems]
    rows = {p.row for p in ours.value.problems}
    assert {9, 779, 1335} <= rows  # spreadsheet rows: the header is row 1
    assert any("same staff_id" in p.message for p in ours.value.problems)


def test_a_missing_required_column_and_an_unreadable_one_are_reported(spark: Any) -> None:
    frame = spark.createDataFrame(
        [(2024, "A", [1, 2])], "year int, ethnicity string, band array<int>"
    )
    with pytest.raises(BadInputError) as err:
        count_dataframes({"staff": frame}, ["band"])
    text = err.value.render()
    assert "column 'band': holds array<int> values, which cannot be read as band" in text
    assert "column 'staff_group': required column of the staff extract is missing" in text


def test_a_png_renamed_csv_is_not_a_csv_file_on_spark_either(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(BadInputError, match=r"staff.csv: not a CSV file: it starts like a PNG"):
        spark_counts({"staff": path}, [])


def test_excel_is_read_by_the_local_engine_only(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "staff.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"reads Parquet and CSV extracts, not Excel"):
        spark_counts({"staff": path}, [])


# --- without Java (the rest: test_spark_setup.py) -----------------------------------------------


def test_wres_run_without_java_exits_2_naming_the_package(tmp_path: Path) -> None:
    require_pyspark()
    staff = tmp_path / "staff.parquet"
    pl.DataFrame({"year": [2024]}).write_parquet(staff)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PYSPARK_GATEWAY_PORT")}
    env["PATH"] = str(tmp_path)  # no java on it
    wres = Path(sys.executable).with_name("wres")
    done = subprocess.run(
        [str(wres), "run", "--staff", str(staff), "--engine", "spark", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert JAVA_PACKAGE in done.stderr
    assert "Traceback" not in done.stderr


# --- the pieces, without Spark ------------------------------------------------------------------


def test_arrow_batches_become_chunks_of_the_chunk_size() -> None:
    batches = [pa.RecordBatch.from_pydict({"a": list(range(n))}) for n in (3, 0, 5, 2, 6)]
    sizes = [chunk.height for chunk in _chunks(iter(batches), 4)]
    assert sizes == [4, 4, 4, 4]
    assert [c.height for c in _chunks(iter(batches), 100)] == [16]
    assert list(_chunks(iter([]), 4)) == []
