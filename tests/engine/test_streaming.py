"""Reading extracts in chunks: the same rows, counts and problems as reading them whole.

Chunks are forced tiny (a few rows) so that every file here spans several; a problem in a later
chunk must still name its row as a spreadsheet shows it, and every problem of the file must be
reported once the last chunk is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from wres.cli.app import app
from wres.cli.progress import progress_bar
from wres.engine.counts import count_records
from wres.engine.errors import BadInputError, ConfigError, Problem
from wres.engine.readers import ExtractReader, chunk_rows_setting, read_extract
from wres.engine.standards import load_standard

HEADER = ["year", "ethnicity", "band", "staff_group", "disciplinary", "training", "bank"]


def staff(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "year": rng.choice(["2023", "2024"], n),
            "ethnicity": rng.choice(["A", "CP", "H", "Z", "", "N", "Asian"], n),
            "band": rng.choice(["5", "Band 8 - Range A", "VSM", "Consultant"], n),
            "staff_group": rng.choice(["Clinical", "Non-clinical", "Medical"], n),
            "disciplinary": rng.choice(["yes", "no", "N"], n),
            "training": rng.choice(["1", "0"], n),
            "bank": rng.choice(["", "yes", "no", "no", "no"], n),
            "site": rng.choice(["A", "B ", "C"], n),
            "staff_id": [f"ID{i}" for i in range(n)],
        }
    )


def write(frame: pl.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return path


def problems_of(path: Path, chunk_rows: int) -> list[Problem]:
    with pytest.raises(BadInputError) as err:
        read_extract(path, "staff", chunk_rows=chunk_rows)
    return err.value.problems


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunked_reading_gives_the_rows_and_report_of_a_whole_read(
    tmp_path: Path, suffix: str
) -> None:
    path = write(staff(101), tmp_path / f"staff{suffix}")
    whole = read_extract(path, "staff")
    chunked = read_extract(path, "staff", chunk_rows=7)
    assert_frame_equal(chunked.data, whole.data)
    assert chunked.report == whole.report
    chunked.report.check()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_bad_cell_in_the_third_chunk_names_its_spreadsheet_row(
    tmp_path: Path, suffix: str
) -> None:
    frame = staff(40).with_columns(
        training=pl.when(pl.int_range(pl.len()) == 23).then(pl.lit("maybe")).otherwise("training")
    )
    path = write(frame, tmp_path / f"staff{suffix}")
    [problem] = problems_of(path, chunk_rows=10)  # record 24 is the 4th of the 3rd chunk
    assert (problem.row, problem.column) == (25, "training")
    assert "'maybe'" in problem.message


def test_every_problem_of_every_chunk_is_reported_and_capped_per_issue(tmp_path: Path) -> None:
    frame = staff(60).with_columns(
        year=pl.when(pl.int_range(pl.len()).is_in([3, 58])).then(pl.lit("20x4")).otherwise("year"),
        training=pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit("?")).otherwise("training"),
    )
    path = write(frame, tmp_path / "staff.csv")
    problems = problems_of(path, chunk_rows=9)
    assert [p.row for p in problems if p.column == "year"] == [5, 60]
    training = [p for p in problems if p.column == "training"]
    assert [p.row for p in training] == [2, 9, 16, 23, 30, None]
    assert training[-1].message == "and 4 more rows that cannot be read as yes/no"


def test_a_missing_column_and_bad_cells_in_later_chunks_are_reported_together(
    tmp_path: Path,
) -> None:
    frame = staff(30).drop("staff_group")
    frame = frame.with_columns(
        disciplinary=pl.when(pl.int_range(pl.len()) == 25)
        .then(pl.lit("?"))
        .otherwise("disciplinary")
    )
    problems = problems_of(write(frame, tmp_path / "staff.csv"), chunk_rows=4)
    assert [(p.row, p.column) for p in problems] == [(None, "staff_group"), (27, "disciplinary")]


def test_repeated_staff_ids_in_different_chunks_are_found(tmp_path: Path) -> None:
    frame = staff(50).with_columns(year=pl.lit("2024"), bank=pl.lit("no"))
    ids = frame["staff_id"].to_list()
    ids[44] = ids[3]  # the same person in the 1st and 5th chunks
    ids[30] = ids[3]
    path = write(frame.with_columns(staff_id=pl.Series(ids)), tmp_path / "staff.parquet")
    [problem] = problems_of(path, chunk_rows=10)
    assert (problem.row, problem.column) == (5, "staff_id")
    assert "row(s) 32, 46" in problem.message
    assert "ID3" not in str(problem)


def test_a_header_without_records_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    [problem] = problems_of(path, chunk_rows=3)
    assert problem.message == "no records below the header row"


def test_the_report_is_there_only_after_reading(tmp_path: Path) -> None:
    reader = ExtractReader(write(staff(5), tmp_path / "staff.csv"), "staff")
    with pytest.raises(Exception, match="bug"):
        _ = reader.report
    assert sum(chunk.height for chunk in reader.chunks()) == reader.report.rows_used


@pytest.mark.parametrize(("suffix", "total"), [(".parquet", 25), (".csv", None)])
def test_progress_is_told_rows_read_and_the_total_when_known(
    tmp_path: Path, suffix: str, total: int | None
) -> None:
    seen: list[tuple[str, int, int | None]] = []
    path = write(staff(25), tmp_path / f"staff{suffix}")
    reader = ExtractReader(path, "staff", chunk_rows=10, progress=lambda *a: seen.append(a))
    for _ in reader.chunks():
        pass
    assert seen == [("staff", 10, total), ("staff", 20, total), ("staff", 25, total)]


def test_parquet_tells_the_text_values_of_a_column_before_reading(tmp_path: Path) -> None:
    frame = staff(30).with_columns(site=pl.Series(["A", " A", None, "", "B "] * 6))
    parquet = ExtractReader(write(frame, tmp_path / "staff.parquet"), "staff")
    values = parquet.text_values(["site", "band", "organisation"])
    assert set(values) == {"site"}  # band is a vocabulary, organisation is not in the file
    assert set(values["site"]) == {None, "A", "B"}
    csv = ExtractReader(write(frame, tmp_path / "staff.csv"), "staff")
    assert csv.text_values(["site"]) == {}


def test_chunk_size_comes_from_the_argument_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WRES_CHUNK_ROWS", "123")
    assert chunk_rows_setting() == 123
    assert chunk_rows_setting(5) == 5
    monkeypatch.setenv("WRES_CHUNK_ROWS", "lots")
    with pytest.raises(ConfigError, match="WRES_CHUNK_ROWS"):
        chunk_rows_setting()
    with pytest.raises(ConfigError, match="above 0"):
        chunk_rows_setting(0)


def test_counting_in_chunks_gives_the_cubes_of_a_whole_read(tmp_path: Path) -> None:
    path = write(staff(300, seed=4), tmp_path / "staff.parquet")
    standard = load_standard("wres")

    def cells(chunk_rows: int) -> pl.DataFrame:
        reader = ExtractReader(path, "staff", chunk_rows=chunk_rows)
        counts, _ = count_records({"staff": reader}, standard, ["site"])
        cube = counts[3][0].cube
        table = cube.to_frame({"ethnicity": ("category", "broad", "wres")})
        return table.sort(table.columns, nulls_last=False)

    assert_frame_equal(cells(13), cells(1_000))


# --- the command ----------------------------------------------------------------------------------


def _run(tmp_path: Path, data: Path, name: str, env: dict[str, str]) -> Path:
    policy = tmp_path / "off.toml"
    policy.write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    out = tmp_path / name
    result = CliRunner().invoke(
        app,
        ["run", "--staff", str(data), "--by", "site", "--lattice", "--policy", str(policy),
         "--out", str(out)],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "reading staff" not in result.output  # no bar: stderr is not a terminal here
    return out / "publish"


def test_wres_run_in_tiny_chunks_writes_the_same_pack(tmp_path: Path) -> None:
    data = write(staff(500, seed=9), tmp_path / "staff.csv")
    whole = _run(tmp_path, data, "whole", {})
    chunked = _run(tmp_path, data, "chunked", {"WRES_CHUNK_ROWS": "37"})
    for name in ("indicators.csv", "pooled.csv"):
        assert (whole / name).read_bytes() == (chunked / name).read_bytes()


def test_the_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    with progress_bar(enabled=True) as callback:
        assert callback is None  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    with progress_bar(enabled=False) as callback:
        assert callback is None
    with progress_bar(enabled=True) as callback:
        assert callback is not None
        callback("reading staff", 10, 20)
        callback("reading staff", 20, 20)
