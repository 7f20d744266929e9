"""An unexpected failure is exit 4, says it is a bug, and quotes nothing from the data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wres.cli import run as run_module
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode


def _boom(*_args: object, **_kwargs: object) -> None:
    msg = "row 12 holds ethnicity 'A White - British' and 3 disciplinaries"
    raise RuntimeError(msg)


def test_an_unexpected_error_is_exit_4_without_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WRES_DEBUG", raising=False)
    monkeypatch.setattr(run_module, "run", _boom)
    counts = tmp_path / "c.csv"
    counts.write_text("indicator,year,ethnicity,numerator,denominator\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", "--counts", str(counts), "--out", str(tmp_path / "pack")]
    )
    assert result.exit_code == ExitCode.INTERNAL
    assert "internal error (a bug in wres" in result.output
    assert "RuntimeError" in result.output
    assert "cli/test_internal_errors.py:" in result.output  # where it arose, by line
    assert "White" not in result.output
    assert "disciplinar" not in result.output


def test_wres_debug_lets_the_traceback_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRES_DEBUG", "1")
    monkeypatch.setattr(run_module, "run", _boom)
    counts = tmp_path / "c.csv"
    counts.write_text("indicator,year,ethnicity,numerator,denominator\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", "--counts", str(counts), "--out", str(tmp_path / "pack")]
    )
    assert isinstance(result.exception, RuntimeError)
