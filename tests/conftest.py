"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.publication_fixtures import synthetic_pack


@pytest.fixture(scope="session")
def shared_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic trust's pack (three years, by site and by band), run once for every module
    that only reads it (the report, the workbook, the browser): no test writes into it."""
    return synthetic_pack(tmp_path_factory.mktemp("synthetic"))
