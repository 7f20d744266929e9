"""Which staging folders are stale: only those whose process is known to be gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from wres.engine.staging import UNOWNED_STALE_AFTER, host_name, make_staging, remove_stale


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def _folder(parent: Path, name: str, *, age: float = 0) -> Path:
    folder = parent / name
    (folder / "publish").mkdir(parents=True)
    when = time.time() - age
    os.utime(folder, (when, when))
    return folder


def test_a_staging_folder_names_this_machine_and_process(tmp_path: Path) -> None:
    folder = make_staging(tmp_path, "run")
    assert folder.name.startswith(f".wres-run-{host_name()}-{os.getpid()}-")
    assert remove_stale(tmp_path, "run") == []  # this process is running


def test_only_folders_of_gone_processes_of_this_machine_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = _folder(tmp_path, f".wres-run-{host_name()}-{dead}-a1b2c3d4")
    live = _folder(tmp_path, f".wres-run-{host_name()}-{os.getppid()}-a1b2c3d4")
    remote = _folder(tmp_path, f".wres-run-elsewhere-{dead}-a1b2c3d4", age=30 * 86400)
    other_command = _folder(tmp_path, f".wres-synth-{host_name()}-{dead}-a1b2c3d4")
    assert remove_stale(tmp_path, "run") == [stale]
    assert not stale.exists()
    assert live.is_dir()
    assert remote.is_dir()
    assert other_command.is_dir()  # wres synth cleans its own


def test_folders_of_earlier_versions_go_once_untouched_for_a_day(tmp_path: Path) -> None:
    old = _folder(tmp_path, ".wres-run-k3j9x_2a", age=UNOWNED_STALE_AFTER + 3600)
    recent = _folder(tmp_path, ".wres-run-p0q8w1e2", age=UNOWNED_STALE_AFTER - 3600)
    assert remove_stale(tmp_path, "run") == [old]
    assert recent.is_dir()


def test_a_name_that_is_no_pid_of_this_machine_is_kept(tmp_path: Path) -> None:
    huge = _folder(tmp_path, f".wres-run-{host_name()}-{10**30}-a1b2c3d4", age=30 * 86400)
    assert remove_stale(tmp_path, "run") == []
    assert huge.is_dir()
