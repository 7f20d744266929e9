"""wres.toml: settings for any command, overridden by the command line, typos refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

COUNTS = (
    "indicator,organisation,year,ethnicity,numerator,denominator\n"
    "2,RXX,2024,White,1148,15853\n2,RXX,2024,Black,188,15515\n"
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "counts.csv").write_text(COUNTS, encoding="utf-8")
    (tmp_path / "p.toml").write_text("[primary]\nsuppress_if_count_at_most = 0\n", encoding="utf-8")
    return tmp_path


def _groups(out: Path) -> set[str]:
    table = pl.read_csv(out / "publish" / "indicators.csv", infer_schema_length=None)
    return set(table["group"].to_list())


def test_wres_toml_in_the_working_folder_sets_run_options(folder: Path) -> None:
    (folder / "wres.toml").write_text(
        '[run]\ncounts = "counts.csv"\nethnicity-level = "broad"\npolicy = "p.toml"\n'
        'out = "pack"\nby = ["organisation"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", "-q"])
    assert result.exit_code == ExitCode.OK, result.output
    assert "Black" in _groups(folder / "pack")  # broad level, from the file
    command = json.loads((folder / "pack/restricted/manifest.json").read_text())["command"]
    assert command[command.index("--by") + 1] == "organisation"


def test_the_command_line_overrides_the_file(folder: Path) -> None:
    (folder / "wres.toml").write_text(
        '[run]\ncounts = "counts.csv"\nethnicity-level = "broad"\npolicy = "p.toml"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", "-q", "--ethnicity-level", "wres", "--out", "o2"])
    assert result.exit_code == ExitCode.OK, result.output
    assert _groups(folder / "o2") == {"BME"}


def test_an_explicit_config_file_is_read(folder: Path) -> None:
    (folder / "settings.toml").write_text(
        '[run]\ncounts = "counts.csv"\npolicy = "p.toml"\nout = "o3"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["--config", "settings.toml", "run", "-q"])
    assert result.exit_code == ExitCode.OK, result.output
    assert (folder / "o3/publish/indicators.csv").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[run]\nethnicity_levle = "broad"\n', r"no option 'ethnicity_levle'.*'ethnicity-level'"),
        ('[runn]\nout = "x"\n', r"unknown table\(s\) \['runn'\]"),
        ("[run\n", "not valid TOML"),
        ('run = "x"\n', r"\[run\] must be a table"),
    ],
)
def test_a_bad_settings_file_is_a_usage_error(folder: Path, text: str, message: str) -> None:
    (folder / "wres.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--counts", "counts.csv"])
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG
    assert re.search(message, result.output), result.output
