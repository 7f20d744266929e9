"""Fixtures shared across test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.engine.publication_fixtures import small_count_pack, synthetic_pack
from wres.cli.app import app


@pytest.fixture(scope="session")
def shared_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic trust's pack (three years, by site and by band), run once for every module
    that only reads it (the report, the workbook, the browser): no test writes into it."""
    return synthetic_pack(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="session")
def small_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pack of a small counts file whose one withheld count appears nowhere else
    (``small_count_pack``), run once for the modules that only read it (the report, the
    workbook): no test writes into it."""
    return small_count_pack(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="session")
def demo_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``wres demo --years 2023-2024``'s folder (data/, publish/, restricted/), run once for the
    command's own test and the browser's; no test writes into it."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--years", "2023-2024", "-q"])
    assert result.exit_code == 0, result.output
    return out
