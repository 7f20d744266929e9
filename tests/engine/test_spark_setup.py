"""The Spark engine without Spark: what a run says when PySpark or Java is missing, and the
pieces the driver adds partitions up with. Run whether or not the spark extra is installed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from tests.engine.label_order import in_label_order
from wres.cli.app import app
from wres.engine.cube import ROWS, CountCube, CubeBuilder, Dictionary, Encoded, encode
from wres.engine.errors import ConfigError, Problem
from wres.engine.problem_log import ProblemLog
from wres.engine.spark.session import JAVA_PACKAGE, SPARK_EXTRA, require_java, require_pyspark

runner = CliRunner()


def test_without_pyspark_a_run_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    with pytest.raises(ConfigError, match=r'pip install "wres\[spark\]"'):
        require_pyspark()
    staff = tmp_path / "staff.parquet"
    pl.DataFrame({"year": [2024]}).write_parquet(staff)
    result = runner.invoke(app, ["run", "--staff", str(staff), "--engine", "spark", "-q"])
    assert result.exit_code == 2
    assert SPARK_EXTRA in result.output
    assert "Traceback" not in result.output


def test_without_java_the_message_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(ConfigError, match=rf"JAVA_HOME/bin/java does not exist.*{JAVA_PACKAGE}"):
        require_java("4.0.0")
    old = tmp_path / "old-java"
    (old / "bin").mkdir(parents=True)
    java = old / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(old))
    with pytest.raises(ConfigError, match=rf"is Java 11; .*apt-get install {JAVA_PACKAGE}"):
        require_java("4.0.0")
    require_java("3.5.1")  # Spark 3 runs on Java 8 or later
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"java is not on PATH and JAVA_HOME is not set"):
        require_java("4.0.0")


def test_partial_cubes_added_by_label_equal_one_count() -> None:
    rng = np.random.default_rng(5)
    year = pl.Series([int(y) or None for y in rng.choice([2023, 2024, 0], 500)], dtype=pl.Int32)
    band = pl.Series([b or None for b in rng.choice(["5", "6", "7", ""], 500)], dtype=pl.String)
    event = rng.random(500) < 0.3

    def counted(rows: slice) -> CountCube:
        builder = CubeBuilder(
            ["year", "band"], ["event"], {"year": Dictionary(), "band": Dictionary()}
        )
        builder.add([encode(year[rows]), encode(band[rows])], [event[rows]])
        return builder.cube()

    whole = counted(slice(0, 500))
    total = CubeBuilder(["year", "band"], ["event"], {"year": Dictionary(), "band": Dictionary()})
    for part in (slice(0, 170), slice(170, 171), slice(171, 500)):
        own = counted(part)  # numbered by its own dictionaries, as a Spark partition's
        occupied = np.nonzero(own.counts[..., 0])
        keys = [
            Encoded(codes.astype(np.uint32), labels)
            for codes, labels in zip(occupied, own.labels, strict=True)
        ]
        total.add_counts(keys, own.counts[occupied])
    summed = total.cube()
    assert in_label_order(summed)[0] == in_label_order(whole)[0]
    np.testing.assert_array_equal(in_label_order(summed)[1], in_label_order(whole)[1])
    assert summed.counts[..., summed.channel(ROWS)].sum() == 500


def test_problem_logs_of_parts_merge_as_one_file(tmp_path: Path) -> None:
    file = tmp_path / "staff.csv"
    whole = ProblemLog(file, rows_listed=3)
    whole.add("band", "a column problem")
    whole.add_rows("band", "rows with a bad band", [(2, "bad"), (4, "bad")], 2)
    whole.add_rows("band", "rows with a bad band", [(12, "bad"), (13, "bad")], 9)
    first, second = ProblemLog(file, rows_listed=3), ProblemLog(file, rows_listed=3)
    first.add("band", "a column problem")
    first.add_rows("band", "rows with a bad band", [(2, "bad"), (4, "bad")], 2)
    second.add("band", "a column problem")
    second.add_rows("band", "rows with a bad band", [(2, "bad"), (3, "bad")], 9)
    merged = ProblemLog(file, rows_listed=3)
    merged.merge(first)
    merged.merge(second, row_offset=10)  # the second part starts after 10 records
    assert merged.problems() == whole.problems()
    assert merged.problems()[-1] == Problem(file, None, "band", "and 8 more rows with a bad band")
