"""`wres synth` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

runner = CliRunner()


def test_one_trust_one_year_writes_the_four_extracts(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    result = runner.invoke(
        app, ["synth", "--trusts", "1", "--years", "2024-2024", "--seed", "1", "--out", str(out)]
    )
    assert result.exit_code == ExitCode.OK, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "applications.parquet",
        "board.parquet",
        "staff.parquet",
        "survey.parquet",
        "synth_truth.json",
    ]
    staff = pl.read_parquet(out / "staff.parquet")
    assert staff["region"].unique().to_list() == ["Midlands"]
    assert staff["year"].unique().to_list() == [2024]
    truth = json.loads((out / "synth_truth.json").read_text())
    assert truth["rows"]["staff"] == staff.height
    assert f"staff {staff.height:,}" in result.stdout  # the summary is on stdout
    assert "trust 1/1" in result.stderr  # progress is on stderr
    assert "trust 1/1" not in result.stdout


def test_csv_format_and_quiet(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", "--years", "2024", "--format", "csv", "-q", "--out", str(tmp_path)]
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert (tmp_path / "staff.csv").exists()
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--years", "2024-2015"], "run backwards"),
        (["--years", "abc"], "not a year or a range of years"),
        (["--format", "xml"], "'xml' is not one of 'parquet', 'csv'"),
        (["--trusts", "0"], "--trusts"),
    ],
)
def test_bad_options_exit_with_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    result = runner.invoke(app, ["synth", *args, "--out", str(out)])
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert message in result.stderr
    assert not out.exists()


def test_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["synth", "--years", "2024", "--out", str(blocker / "sub")])
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert "cannot write to" in result.stderr


def test_help_says_what_it_does_with_an_example() -> None:
    result = runner.invoke(app, ["synth", "--help"])
    assert result.exit_code == ExitCode.OK
    assert "synthetic" in result.stdout
    assert "Example: wres synth --trusts" in result.stdout
    for option in ("--trusts", "--years", "--seed", "--format", "--out"):
        assert option in result.stdout
