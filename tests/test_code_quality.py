"""The tree stays ruff- and mypy-clean: these run the same checks a reviewer would."""

import ast
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


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_the_wres_folder_links_the_three_packages() -> None:
    """``wres/`` is the installed namespace as the repository holds it, for the tools that read
    packages from the file system (mypy, import-linter): a link per package, nothing else."""
    links = {path.name: path for path in (ROOT / "wres").iterdir()}
    assert set(links) == {"engine", "rules", "cli"}
    for name, link in links.items():
        assert link.is_symlink()
        assert link.resolve() == (ROOT / name).resolve()


def test_imports_run_one_way_with_no_cycle() -> None:
    """import-linter's contracts in pyproject.toml, run as ``lint-imports`` from the repository:
    cli -> rules -> engine, and no cycle between the modules of any package."""
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=ROOT,
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


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A docstring's lines: an explanation is not counted against a function's length."""
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        assert first.end_lineno is not None
        return first.end_lineno - first.lineno + 1
    return 0


def test_a_function_over_60_lines_says_why() -> None:
    """Lines counted from ``def`` to its end, its docstring apart. A long function is split by
    what its parts do, or a ``# long:`` comment in it says why it is better whole (a numba
    kernel's one pass, a typer command's declared options). Issue 20 split the last of the
    long functions that had no reason."""
    long_ones = set()
    for package in ("engine", "rules", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines()
            for node in ast.walk(ast.parse(text)):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                body = lines[node.lineno - 1 : node.end_lineno]
                if len(body) - _docstring_lines(node) > 60 and not any(
                    "# long:" in line for line in body
                ):
                    long_ones.add(f"{path.relative_to(ROOT).as_posix()}:{node.name}")
    assert long_ones == set()
