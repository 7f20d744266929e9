"""The system and the protection of the runs a test makes, as ``wres run`` built them."""

from __future__ import annotations

from typing import Any

import pytest

from wres.cli import pipeline
from wres.rules.run_cells import RunCells
from wres.rules.secondary import Protection


def captured_protections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[RunCells, Protection]]:
    """From now on, each run's cells and protection, in the order of the runs."""
    seen: list[tuple[RunCells, Protection]] = []
    real = pipeline.protect_run

    def keep(cells: RunCells, policy: Any, **options: Any) -> Protection:
        done = real(cells, policy, **options)
        seen.append((cells, done))
        return done

    monkeypatch.setattr(pipeline, "protect_run", keep)
    return seen
