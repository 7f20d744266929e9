"""One installed namespace: the wheel holds wres (and its dist-info) only, and every module of
the installed package imports without a top-level ``engine``, ``rules`` or ``cli``."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("engine", "rules", "cli")


def _wheel(out: Path) -> Path:
    """Built from a copy of what the wheel is made of: setuptools builds in the source folder,
    and a build/ left there by an earlier build could carry a deleted module into it."""
    source = out / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in FOLDERS:
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("wres-*.whl")
    return wheel


def test_the_wheel_installs_wres_only_with_every_module_and_data_file(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(_wheel(tmp_path)).namelist())
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"wres"}
    shipped = {
        f"wres/{path.relative_to(ROOT).as_posix()}"
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped - names == set()  # every module and data file (a sub-package not listed)
    assert "wres/rules/profiles/wres-default.toml" in names


def test_every_module_imports_under_wres_and_nothing_under_the_folders_names(
    tmp_path: Path,
) -> None:
    """Run from an empty folder, so the repository's own folders are not on the path: a module
    still importing ``engine.x`` fails here."""
    script = """
import importlib, pkgutil, sys
import wres.engine, wres.rules, wres.cli
for package in (wres.engine, wres.rules, wres.cli):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
leaked = sorted({"engine", "rules", "cli"} & set(sys.modules))
print("leaked", leaked)
sys.exit(1 if leaked else 0)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "leaked []" in result.stdout
