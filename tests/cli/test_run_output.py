"""What `wres run` prints: --json on stdout, messages on stderr, -q, -v, NO_COLOR."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wres.cli import console
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode

COUNTS = (
    "indicator,organisation,year,ethnicity,numerator,denominator\n"
    "3,RXX,2024,BME,3,400\n3,RXX,2024,White,20,1300\n"
)


@pytest.fixture
def counts(tmp_path: Path) -> Path:
    path = tmp_path / "counts.csv"
    path.write_text(COUNTS, encoding="utf-8")
    return path


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["run", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_json_summary_is_valid_and_documented(counts: Path, tmp_path: Path) -> None:
    code, out, _ = _run("--counts", counts, "--json", "--out", tmp_path / "pack")
    assert code == ExitCode.OK
    document = json.loads(out)  # stdout holds the JSON and nothing else
    assert set(document) == {
        "wres_version", "standard", "rows", "status_counts", "headline", "not_computed",
        "secondary_protection", "utility", "outputs",
    }  # fmt: skip
    assert sum(document["status_counts"].values()) == document["rows"]
    # 3 BME staff of 400 is withheld under the default policy (counts 1-7)
    assert any(k.startswith("suppressed") for k in document["status_counts"])
    headline = {row["group"]: row for row in document["headline"]}
    assert headline["BME"]["relative_likelihood"] is None
    assert Path(document["outputs"]["indicators"]).is_file()
    assert {row["indicator"] for row in document["not_computed"]} == {1, 2, 4, 5, 6, 7, 8, 9}


def test_quiet_prints_nothing(counts: Path, tmp_path: Path) -> None:
    code, out, err = _run("--counts", counts, "-q", "--out", tmp_path / "pack")
    assert code == ExitCode.OK
    assert (out, err) == ("", "")


def test_messages_go_to_stderr_and_verbose_adds_the_reconciliation(
    counts: Path, tmp_path: Path
) -> None:
    code, out, err = _run("--counts", counts, "-v", "--out", tmp_path / "pack")
    assert code == ExitCode.OK
    assert "WRES 2024" in out  # the summary table is data: stdout
    assert "wrote" in err
    assert "counts: 2 rows read = 2 used + 0 excluded" in err
    assert "wrote" not in out


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert console._colour_allowed(_Terminal())
    assert not console._colour_allowed(io.StringIO())  # a pipe or file: plain text
    monkeypatch.setenv("NO_COLOR", "1")
    assert not console._colour_allowed(_Terminal())


def test_no_escape_codes_when_piped(counts: Path, tmp_path: Path) -> None:
    code, out, err = _run("--counts", counts, "--out", tmp_path / "pack")
    assert code == ExitCode.OK
    assert "\x1b[" not in out + err


def test_the_summary_says_what_indicator_1s_total_is(tmp_path: Path) -> None:
    """The organisation-total figure of indicator 1 is the group's share of all staff, not the
    band breakdown its title names."""
    counts = tmp_path / "bands.csv"
    counts.write_text(
        "indicator,year,ethnicity,numerator,denominator\n1,2024,BME,30,100\n1,2024,White,60,100\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["run", "--counts", str(counts), "--out", str(tmp_path / "pack")],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == ExitCode.OK, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ 1 "))
    assert "30.0%" in row
    assert "BME staff as a share of all staff" in row
    assert "in each AfC band" not in row
