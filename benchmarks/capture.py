"""A run's system of counts, captured at the point of protection, for the benchmarks that time
protections against each other on the same input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from wres.cli import pipeline
from wres.cli.app import app
from wres.rules.run_cells import RunCells
from wres.rules.run_protection import protect_run
from wres.rules.secondary import Protection

EXTRACTS = ("staff", "applications", "survey", "board")


def run_system(data: Path, out: Path, *options: str) -> tuple[RunCells, Any]:
    """``wres run`` on the four synthetic extracts in ``data`` with ``options``: the cells and
    policy it protected (it is protected once, as the run does)."""
    seen: list[tuple[RunCells, Any]] = []

    def capture(cells: RunCells, policy: Any, **settings: Any) -> Protection:
        seen.append((cells, policy))
        return protect_run(cells, policy, **settings)

    original = pipeline.protect_run
    pipeline.protect_run = capture
    try:
        inputs = [a for n in EXTRACTS for a in (f"--{n}", str(data / f"{n}.parquet"))]
        result = CliRunner().invoke(app, ["run", *inputs, *options, "--out", str(out), "-q"])
    finally:
        pipeline.protect_run = original
    assert result.exit_code == 0, result.output
    return seen[0]
