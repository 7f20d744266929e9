"""The tree stays ruff- and mypy-clean: these run the same checks a reviewer would."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed beside {sys.executable}; install the dev extra")
    return found


def test_ruff_check_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied() -> None:
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _linked_tree(folder: Path) -> Path:
    """``folder/wres/{engine,rules,cli}`` linked to the repository's folders: the installed
    namespace as a plain tree, for tools that do not follow the editable install's import hook
    (mypy; import-linter, which reads the files under a package's path)."""
    (folder / "wres").mkdir()
    for package in ("engine", "rules", "cli"):
        (folder / "wres" / package).symlink_to(ROOT / package, target_is_directory=True)
    return folder


def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        [_tool("mypy"), "--config-file", str(ROOT / "pyproject.toml"), "-p", "wres"],
        cwd=_linked_tree(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_imports_run_one_way_with_no_cycle(tmp_path: Path) -> None:
    """import-linter's contracts in pyproject.toml: cli -> rules -> engine, and no cycle between
    the modules of any package."""
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(_linked_tree(tmp_path))},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_every_module_is_under_500_lines() -> None:
    """A module that grows past 500 lines is split by what its parts do (README: Architecture)."""
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("engine", "rules", "cli")
        for path in (ROOT / package).rglob("*.py")
    }
    assert len(sizes) > 100
    assert {path: n for path, n in sizes.items() if n > 500} == {}
