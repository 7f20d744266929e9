"""Fixtures shared across test modules."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.engine.publication_fixtures import small_count_pack, synthetic_pack
from wres.cli.app import app


def once_for_all_workers(
    factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]
) -> Path:
    """``make(folder)`` run once for the whole test run, whichever pytest-xdist worker asks
    first (the others wait for it and read the same folder): a pack that only tests that read
    it use need not be run once per worker. Without xdist, or without ``fcntl``, once per
    process."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        return make(factory.mktemp(name))
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make(factory.mktemp(name))
    root = factory.getbasetemp().parent  # shared by the run's workers
    folder, made = root / f"shared-{name}", root / f"shared-{name}.path"
    with (root / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            folder.mkdir(exist_ok=True)
            made.write_text(str(make(folder)), encoding="utf-8")
    return Path(made.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def shared_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic trust's pack (three years, by site and by band), run once for every module
    that only reads it (the report, the workbook, the browser): no test writes into it."""
    return once_for_all_workers(tmp_path_factory, "synthetic", synthetic_pack)


@pytest.fixture(scope="session")
def small_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pack of a small counts file whose one withheld count appears nowhere else
    (``small_count_pack``), run once for the modules that only read it (the report, the
    workbook): no test writes into it."""
    return once_for_all_workers(tmp_path_factory, "small", small_count_pack)


@pytest.fixture(scope="session")
def demo_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``wres demo --years 2023-2024``'s folder (data/, publish/, restricted/), run once for the
    command's own test and the browser's; no test writes into it."""
    return once_for_all_workers(tmp_path_factory, "demo", _demo)


def _demo(folder: Path) -> Path:
    out = folder / "demo"
    # one process: the other test worker has the second core
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--years", "2023-2024", "--jobs", "1", "-q"]
    )
    assert result.exit_code == 0, result.output
    return out
