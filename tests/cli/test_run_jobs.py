"""``wres run --jobs N``: the run's independent parts protected in N processes at once give the
pack one process gives, byte for byte, audit and decisions included."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.attacker.inputs import record_inputs, synthetic
from wres.cli import pipeline
from wres.cli.app import app
from wres.engine.parallel import ProcessPool

runner = CliRunner()
#: two small trusts over two years, by organisation and region: one part per year and family
#: of measures
BY = ("--by", "organisation,region", "--ethnicity-level", "broad")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic(tmp_path_factory.mktemp("jobs"), trusts=2, years=(2023, 2024), seed=5)


def run(data: Path, out: Path, *args: str) -> Path:
    result = runner.invoke(app, ["run", *record_inputs(data), *BY, "--out", str(out), "-q", *args])
    assert result.exit_code == 0, result.output
    return out


def test_two_processes_publish_what_one_publishes(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = run(data, tmp_path / "one", "--jobs", "1")
    # a run this small stays in its own process unless told otherwise
    monkeypatch.setattr(pipeline, "ProcessPool", partial(ProcessPool, at_least=0))
    two = run(data, tmp_path / "two", "--jobs", "2")
    manifest = json.loads((one / "restricted" / "manifest.json").read_text(encoding="utf-8"))
    protection = manifest["secondary_protection"]
    # several parts, and some of them with cells withheld for others' sake
    assert protection["parts"] >= 4
    assert protection["withheld_secondary"] > 0
    assert protection["attacker_audit"] == "passed"
    files = sorted(p.name for p in (one / "publish").iterdir())
    assert "indicators.csv" in files
    for name in files:
        assert (two / "publish" / name).read_bytes() == (one / "publish" / name).read_bytes(), name
    for name in ("decisions.csv", "certificate.csv", "utility.csv"):
        mine = (one / "restricted" / name).read_bytes()
        assert (two / "restricted" / name).read_bytes() == mine, name


def test_jobs_must_be_at_least_one(data: Path, tmp_path: Path) -> None:
    args = ["run", *record_inputs(data), "--jobs", "0", "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--jobs" in result.output
