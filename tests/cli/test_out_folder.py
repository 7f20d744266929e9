"""Where commands write: never over files wres did not write, checked before any input is read,
and no staging folder of a killed run left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from wres.cli import run as run_module
from wres.cli.app import app
from wres.cli.exit_codes import ExitCode
from wres.cli.pack import PACK_FILES, PUBLISH, RESTRICTED
from wres.engine import staging as staging_module
from wres.engine.staging import host_name

HEADER = "indicator,organisation,year,ethnicity,numerator,denominator"


def wres(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def counts_file(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return counts_file(tmp_path / "good.csv", "3,RXX,2024,White,20,100", "3,RXX,2024,BME,9,50")


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _boom(*_args: object, **_kwargs: object) -> None:
    msg = "the run reached the computation"
    raise AssertionError(msg)


def _dead_pid() -> int:
    """The pid of a process that has finished (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


# --- point 3: never delete what wres did not write ---------------------------------------------


def test_run_refuses_a_folder_that_is_not_empty_and_not_a_pack(tmp_path: Path, good: Path) -> None:
    out = tmp_path / "mine"
    (out / PUBLISH).mkdir(parents=True)
    (out / PUBLISH / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "budget.xlsx").write_bytes(b"mine")
    before = files(out)
    result = wres("run", "--counts", good, "--out", out, "-q")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert f"{out} is not empty and holds no wres pack" in result.stderr
    assert "--force" in result.stderr
    assert files(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["budget.xlsx", PUBLISH]  # no staging left


def test_force_writes_beside_other_files_and_keeps_them(tmp_path: Path, good: Path) -> None:
    out = tmp_path / "mine"
    (out / PUBLISH).mkdir(parents=True)
    (out / PUBLISH / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "budget.xlsx").write_bytes(b"mine")
    result = wres("run", "--counts", good, "--out", out, "-q", "--force")
    assert result.exit_code == ExitCode.OK, result.output
    assert (out / PUBLISH / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (out / "budget.xlsx").read_bytes() == b"mine"
    assert (out / PUBLISH / "indicators.csv").is_file()
    assert (out / RESTRICTED / "manifest.json").is_file()


def test_a_file_added_to_a_pack_is_never_deleted(tmp_path: Path, good: Path) -> None:
    out = tmp_path / "pack"
    assert wres("run", "--counts", good, "--out", out, "-q").exit_code == ExitCode.OK
    for name in (PUBLISH, RESTRICTED):  # else a rerun would take them for the user's
        assert {p.name for p in (out / name).iterdir()} <= PACK_FILES[name]
    # a file beside publish/ and restricted/ leaves the pack a pack, and is never touched
    (out / "extracts").mkdir()
    (out / "extracts" / "staff.csv").write_text("mine", encoding="utf-8")
    assert wres("run", "--counts", good, "--out", out, "-q").exit_code == ExitCode.OK
    (out / PUBLISH / "notes.txt").write_text("my notes", encoding="utf-8")
    before = files(out)

    refused = wres("run", "--counts", good, "--out", out, "-q")
    assert refused.exit_code == ExitCode.USAGE_OR_CONFIG, refused.output
    assert str(out / PUBLISH / "notes.txt") in refused.stderr
    assert files(out) == before

    # with --force the new pack replaces wres's own files and leaves the notes
    other = counts_file(tmp_path / "other.csv", "3,RXX,2024,White,30,100", "3,RXX,2024,BME,9,50")
    forced = wres("run", "--counts", other, "--out", out, "-q", "--force")
    assert forced.exit_code == ExitCode.OK, forced.output
    after = files(out)
    assert after["extracts/staff.csv"] == b"mine"
    assert after[f"{PUBLISH}/notes.txt"] == b"my notes"
    assert after[f"{PUBLISH}/indicators.csv"] != before[f"{PUBLISH}/indicators.csv"]
    assert str(other) in json.dumps(json.loads(after[f"{RESTRICTED}/manifest.json"])["inputs"])
    assert set(after) - set(before) == set()  # no staging folder or file left


@pytest.mark.parametrize(
    ("in_the_way", "make"),
    [
        (PUBLISH, lambda p: p.write_text("my file called publish", encoding="utf-8")),
        (f"{PUBLISH}/report.html", lambda p: p.mkdir(parents=True)),
        (RESTRICTED, lambda p: p.symlink_to(p.parent / "elsewhere", target_is_directory=True)),
    ],
    ids=["file-named-publish", "folder-named-like-a-pack-file", "linked-restricted"],
)
def test_force_never_writes_over_what_is_in_the_way(
    tmp_path: Path, good: Path, in_the_way: str, make: Callable[[Path], object]
) -> None:
    out = tmp_path / "mine"
    (out / "elsewhere").mkdir(parents=True)
    make(out / in_the_way)
    before = files(out)
    result = wres("run", "--counts", good, "--out", out, "-q", "--force")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert str(out / in_the_way) in result.stderr
    assert files(out) == before
    assert (out / in_the_way).is_symlink() or (out / in_the_way).exists()


def test_a_failure_while_moving_the_pack_in_leaves_the_previous_one_whole(
    tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pack"
    assert wres("run", "--counts", good, "--out", out, "-q").exit_code == ExitCode.OK
    before = files(out)
    rename = Path.rename

    def fail_on_restricted(self: Path, target: Path) -> Path:
        if self.name == RESTRICTED and self.parent.name.startswith(".wres-run-"):
            raise OSError(28, "No space left on device")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", fail_on_restricted)
    other = counts_file(tmp_path / "other.csv", "3,RXX,2024,White,30,100", "3,RXX,2024,BME,9,50")
    result = wres("run", "--counts", other, "--out", out, "-q")
    assert result.exit_code == ExitCode.INTERNAL
    assert files(out) == before  # the new publish/ was moved back out: not half of each pack


def test_synth_refuses_a_folder_of_other_files_and_never_replaces_them(tmp_path: Path) -> None:
    out = tmp_path / "extracts"
    out.mkdir()
    (out / "staff.parquet").write_bytes(b"the trust's real extract")
    args = ("synth", "--years", "2024", "--out", out, "-q")
    refused = wres(*args)
    assert refused.exit_code == ExitCode.USAGE_OR_CONFIG, refused.output
    assert f"{out} is not empty and holds no synthetic data" in refused.stderr
    forced = wres(*args, "--force")
    assert forced.exit_code == ExitCode.USAGE_OR_CONFIG, forced.output
    assert "staff.parquet, which wres did not write" in forced.stderr
    assert (out / "staff.parquet").read_bytes() == b"the trust's real extract"
    assert sorted(p.name for p in out.iterdir()) == ["staff.parquet"]

    beside = wres("synth", "--years", "2024", "--format", "csv", "--out", out, "-q", "--force")
    assert beside.exit_code == ExitCode.OK, beside.output
    assert (out / "staff.parquet").read_bytes() == b"the trust's real extract"
    assert (out / "staff.csv").is_file()
    again = wres("synth", "--years", "2024", "--format", "csv", "--out", out, "-q")
    assert again.exit_code == ExitCode.OK, again.output  # its own earlier output: no --force


def test_demo_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    out = tmp_path / "work"
    out.mkdir()
    (out / "report.docx").write_bytes(b"mine")
    result = wres("demo", "--out", out, "--years", "2024", "-q")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert f"{out} is not empty" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.docx"]


# --- point 4: an unwritable --out is reported first, as a usage error --------------------------


def test_run_reports_an_out_under_a_file_before_reading_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "run", _boom)
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file", encoding="utf-8")
    missing = tmp_path / "no-such-counts.csv"  # reading it would be exit 3
    result = wres("run", "--counts", missing, "--out", blocker / "pack")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert f"cannot write to {blocker / 'pack'}: {blocker} is a file, not a folder" in result.stderr
    assert "internal error" not in result.stderr


def test_run_reports_a_folder_it_cannot_write_to(
    tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(parent: Path, purpose: str) -> Path:
        raise PermissionError(13, "Permission denied", str(parent))

    monkeypatch.setattr(staging_module, "make_staging", refused)
    monkeypatch.setattr(run_module, "run", _boom)
    out = tmp_path / "new" / "pack"
    result = wres("run", "--counts", good, "--out", out)
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert f"cannot write to {out}: Permission denied" in result.stderr
    assert not (tmp_path / "new").exists()  # the folders made for it are removed again


def test_demo_reports_an_out_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file", encoding="utf-8")
    result = wres("demo", "--out", blocker / "demo", "--years", "2024", "-q")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert f"{blocker} is a file, not a folder" in result.stderr


def test_protect_reports_an_out_under_a_file_before_reading_the_table(tmp_path: Path) -> None:
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file", encoding="utf-8")
    result = wres("protect", tmp_path / "no-such-table.csv", "--out", blocker / "out.csv")
    assert result.exit_code == ExitCode.USAGE_OR_CONFIG, result.output
    assert f"{blocker} is a file, not a folder" in result.stderr


# --- point 6: staging folders of killed runs -----------------------------------------------------


def test_a_run_removes_the_staging_folder_of_a_killed_run_and_keeps_a_live_one(
    tmp_path: Path, good: Path
) -> None:
    out = tmp_path / "pack"
    killed = out / f".wres-run-{host_name()}-{_dead_pid()}-abcd1234"
    running = out / f".wres-run-{host_name()}-{os.getppid()}-efgh5678"
    elsewhere = out / f".wres-run-another-machine-{_dead_pid()}-ijkl9012"
    for folder in (killed, running, elsewhere):
        (folder / PUBLISH).mkdir(parents=True)
        (folder / PUBLISH / "indicators.csv").write_text("partial", encoding="utf-8")
    # staging folders alone leave the folder empty: no --force needed
    result = wres("run", "--counts", good, "--out", out, "-q")
    assert result.exit_code == ExitCode.OK, result.output
    assert not killed.exists()
    assert running.is_dir()  # a concurrent run's: never touched
    assert elsewhere.is_dir()  # another machine's process cannot be looked up
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        PUBLISH,
        RESTRICTED,
    ]


def test_synth_removes_the_staging_folder_of_a_killed_run(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    killed = out / f".wres-synth-{host_name()}-{_dead_pid()}-abcd1234"
    killed.mkdir(parents=True)
    result = wres("synth", "--years", "2024", "--out", out, "-q")
    assert result.exit_code == ExitCode.OK, result.output
    assert not killed.exists()
