"""With --json, a failure is a JSON object on stdout too, with the same exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from wres.cli import run as run_module
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"


def wres(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def error_document(result: Result, code: ExitCode) -> dict[str, Any]:
    """The one JSON object on stdout, checked against the exit code and the message on stderr."""
    assert result.exit_code == code, result.output
    document: dict[str, Any] = json.loads(result.stdout)  # stdout holds the object and nothing else
    assert document["exit_code"] == code
    assert document["error"].splitlines()[0] in result.stderr  # the same message as ever
    return document


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write(tmp_path / "good.csv", f"{HEADER}\n3,RXX,2024,White,20,100\n3,RXX,2024,BME,9,50\n")


def test_bad_input_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.csv", f"{HEADER}\n3,RXX,2024,White,200,100\n3,RXX,2024,BME,x,5\n")
    out = tmp_path / "pack"
    document = error_document(wres("run", "--counts", bad, "--json", "--out", out), 3)
    assert str(bad) in document["error"]
    assert {(p["file"], p["row"], p["column"]) for p in document["problems"]} == {
        (str(bad), 2, "numerator"),
        (str(bad), 3, "numerator"),
    }
    assert not out.exists()  # nothing half-written, not even the folder
    without = wres("run", "--counts", bad, "--out", out)
    assert (without.exit_code, without.stdout) == (3, "")  # JSON only when asked for


def test_an_out_under_a_file(tmp_path: Path, good: Path) -> None:
    blocker = write(tmp_path / "results.txt", "a file")
    result = wres("run", "--counts", good, "--json", "--out", blocker / "pack")
    document = error_document(result, ExitCode.USAGE_OR_CONFIG)
    assert (
        document["error"]
        == f"cannot write to {blocker / 'pack'}: {blocker} is a file, not a folder"
    )
    assert "problems" not in document


def test_a_folder_of_other_files(tmp_path: Path, good: Path) -> None:
    (tmp_path / "mine").mkdir()
    write(tmp_path / "mine" / "notes.txt", "mine")
    result = wres("run", "--counts", good, "--json", "--out", tmp_path / "mine")
    assert "--force" in error_document(result, ExitCode.USAGE_OR_CONFIG)["error"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--ci-method", "wilson"], "'--ci-method'"),
        (["--no-such-option"], "No such option: --no-such-option"),
        (["--policy", "lenient"], "lenient"),
    ],
    ids=["bad-value", "unknown-option", "unknown-policy"],
)
def test_usage_errors(tmp_path: Path, good: Path, args: list[str], fragment: str) -> None:
    result = wres("run", "--counts", good, "--json", *args, "--out", tmp_path / "pack")
    assert fragment in error_document(result, ExitCode.USAGE_OR_CONFIG)["error"]


def test_a_bad_settings_file(tmp_path: Path, good: Path) -> None:
    settings = write(tmp_path / "wres.toml", "[run]\nwards = 3\n")
    result = wres("--config", settings, "run", "--counts", good, "--json")
    assert "no option 'wards'" in error_document(result, ExitCode.USAGE_OR_CONFIG)["error"]


def test_an_internal_error(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        msg = "row 12 holds 'A White - British'"
        raise RuntimeError(msg)

    monkeypatch.delenv("WRES_DEBUG", raising=False)
    monkeypatch.setattr(run_module, "run", boom)
    result = wres("run", "--counts", good, "--json", "--out", tmp_path / "pack")
    document = error_document(result, ExitCode.INTERNAL)
    assert "internal error (a bug in wres" in document["error"]
    assert "White" not in result.stdout


@pytest.mark.parametrize("command", ["protect", "audit"])
def test_protect_and_audit_report_bad_input_as_json(tmp_path: Path, command: str) -> None:
    table = write(tmp_path / "t.csv", "site,count\nA,3\nB,many\nTotal,12\n")
    extra = ["--out", str(tmp_path / "p.csv")] if command == "protect" else []
    result = wres(command, table, "--json", *extra)
    document = error_document(result, ExitCode.BAD_INPUT)
    assert [(p["row"], p["column"]) for p in document["problems"]] == [(3, "count")]
    assert not (tmp_path / "p.csv").exists()


def test_validate_reports_a_usage_error_as_json() -> None:
    document = error_document(wres("validate", "--json"), ExitCode.USAGE_OR_CONFIG)
    assert "give at least one extract" in document["error"]
